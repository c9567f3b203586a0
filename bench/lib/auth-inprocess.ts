/**
 * The authentication stage measured in the bench process: CPU per `authenticate()` call for a token
 * already seen and for tokens on first sight, next to what the signature check alone costs (jose's
 * `jwtVerify`, and the raw OpenSSL check through `node:crypto`). No sockets and no other process,
 * so the figures resolve single microseconds that the end-to-end cells (tens of µs of noise on a
 * shared 2-core VM) cannot.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { authnStage } from '../../src/stages/authn/index.js';
import type { Authn } from '../../src/stages/authn/index.js';
import { remoteKeys } from '../../src/stages/authn/keys.js';
import { principalFromClaims } from '../../src/stages/authn/principal.js';
import type { HttpFacts } from '../../src/core/exchange.js';
import type { BenchAlg, BenchIssuer } from './issuer.js';
import { mintMany } from './issuer.js';
import { cpuFigure as figure, cpuPerCall } from './cpu.js';
import type { CpuFigure } from './cpu.js';

export type { CpuFigure } from './cpu.js';

/** What the in-process measurement found. */
export interface InProcessResult {
  /** Calls per repetition, repetitions. */
  readonly calls: number;
  readonly repetitions: number;
  /** authenticate() with one token already verified and cached. */
  readonly seen: CpuFigure;
  /** authenticate() with a token never seen before, per algorithm. */
  readonly first: Partial<Record<BenchAlg, CpuFigure>>;
  /** jose jwtVerify alone (same key set, same tokens), per algorithm. */
  readonly jose: Partial<Record<BenchAlg, CpuFigure>>;
  /** The bare signature check through node:crypto (OpenSSL), per algorithm. */
  readonly openssl: Partial<Record<BenchAlg, CpuFigure>>;
}

function factsFor(token: string): HttpFacts {
  return {
    method: 'POST',
    path: '/mcp/bench',
    headers: { authorization: `Bearer ${token}`, host: '127.0.0.1' },
    remoteAddress: '127.0.0.1',
  };
}

/** Measures the stage in this process against the bench issuer's key set. */
export async function measureInProcess(
  issuer: BenchIssuer,
  algs: readonly BenchAlg[],
  publicUrl: string,
  opts: { calls: number; repetitions: number },
): Promise<InProcessResult> {
  const audience = `${publicUrl}/mcp/bench`;
  const keys = remoteKeys(issuer.jwksUri, { trusted: true, policy: { allowInsecure: true } });
  const stage: Authn = authnStage({
    publicUrl,
    audience: 'default',
    jwt: {
      issuers: [issuer.issuer],
      algorithms: [...algs],
      keys,
      clockSkewSec: 60,
      maxAgeSec: 86_400,
      maxTokenBytes: 8192,
    },
    principalOf: (claims) =>
      principalFromClaims(claims, { profile: 'oidc', tenants: [], clientIds: [], claims: [] }),
    authorizationServers: [issuer.issuer],
    scopesSupported: [],
    requiredScopes: [],
    stepUp: [],
    replay: false,
    cacheEntries: 10_000,
    maxTokenAgeSec: 86_400,
    maxTokenBytes: 8192,
  });
  const seenToken = await issuer.mint('ES256', audience, 'in-process-seen');
  const seenFacts = Array.from({ length: opts.calls }, () => factsFor(seenToken));
  await stage.authenticate(seenFacts[0] as HttpFacts, '/mcp/bench');
  const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: JWK[] };

  const seen: number[] = [];
  const first: Partial<Record<BenchAlg, number[]>> = {};
  const jose: Partial<Record<BenchAlg, number[]>> = {};
  const openssl: Partial<Record<BenchAlg, number[]>> = {};
  for (let rep = 0; rep < opts.repetitions; rep++) {
    seen.push(await cpuPerCall(seenFacts, (f) => stage.authenticate(f, '/mcp/bench')));
    for (const alg of algs) {
      const tokens = await mintMany(issuer, alg, audience, `in-process-${rep}`, opts.calls);
      // Warm the key import once so neither side pays it inside the loop.
      await jwtVerify(tokens[0] as string, keys);
      (jose[alg] ??= []).push(await cpuPerCall(tokens, (t) => jwtVerify(t, keys)));
      (first[alg] ??= []).push(
        await cpuPerCall(tokens.map(factsFor), (f) => stage.authenticate(f, '/mcp/bench')),
      );
      const jwk = jwks.keys.find((k) => k.alg === alg) as JWK;
      const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      const parts = tokens.map((t) => {
        const [h, p, s] = t.split('.') as [string, string, string];
        return { data: Buffer.from(`${h}.${p}`), sig: Buffer.from(s, 'base64url') };
      });
      const k = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
      (openssl[alg] ??= []).push(await cpuPerCall(parts, (x) => cryptoVerify('sha256', x.data, k, x.sig)));
    }
  }
  const per = (m: Partial<Record<BenchAlg, number[]>>): Partial<Record<BenchAlg, CpuFigure>> =>
    Object.fromEntries(Object.entries(m).map(([a, v]) => [a, figure(v)]));
  return {
    calls: opts.calls,
    repetitions: opts.repetitions,
    seen: figure(seen),
    first: per(first),
    jose: per(jose),
    openssl: per(openssl),
  };
}

/** Printable lines: each figure, and the targets judged on the in-process figures. */
export function formatInProcess(r: InProcessResult): string[] {
  const f = (x: CpuFigure | undefined): string =>
    x === undefined ? 'n/a' : `${x.median.toFixed(1)} µs (${x.min.toFixed(1)}–${x.max.toFixed(1)})`;
  const verdict = (x: CpuFigure | undefined, target: number): string =>
    x === undefined ? '' : x.median <= target ? `met (≤ ${target} µs)` : `MISSED (≤ ${target} µs)`;
  const out = [
    `in-process CPU per request (${r.repetitions} repetitions × ${r.calls} calls, 10 in flight):`,
    `  authentication, token seen ............ ${f(r.seen)}  ${verdict(r.seen, 15)}`,
  ];
  for (const alg of Object.keys(r.first) as BenchAlg[]) {
    out.push(`  authentication, first sight ${alg} ..... ${f(r.first[alg])}  ${verdict(r.first[alg], 90)}`);
    out.push(`    of which jose jwtVerify alone ....... ${f(r.jose[alg])}`);
    out.push(`    the bare OpenSSL check (node:crypto)  ${f(r.openssl[alg])}`);
  }
  return out;
}
