/**
 * A tiny token issuer for the authentication benchmark, running in the bench process: one key pair
 * per algorithm (made with jose), a `node:http` server publishing their public halves as a JWKS on
 * 127.0.0.1, and access-token minting for a given audience.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';

/** Signature algorithms the benchmark issuer can sign with. */
export type BenchAlg = 'ES256' | 'RS256';

/** Every algorithm the benchmark issuer supports. */
export const BENCH_ALGS: readonly BenchAlg[] = ['ES256', 'RS256'];

/** Subject of every benchmark token, so all of them name the same principal (and session). */
export const BENCH_SUBJECT = 'bench-user';

/** A running issuer: its identifier, its JWKS URL, and token minting. */
export interface BenchIssuer {
  /** Issuer identifier (`iss`): `http://127.0.0.1:<port>`. */
  readonly issuer: string;
  /** JWKS URL: `<issuer>/jwks`. */
  readonly jwksUri: string;
  /** Signs one access token for `audience` with `alg`; `jti` makes it unique. Valid for `ttlSec` (default 4 h). */
  mint(alg: BenchAlg, audience: string, jti: string, ttlSec?: number): Promise<string>;
  /** JWKS requests served so far. */
  readonly jwksRequests: number;
  close(): Promise<void>;
}

/** Starts an issuer with one fresh key pair per algorithm in `algs`. */
export async function startIssuer(algs: readonly BenchAlg[]): Promise<BenchIssuer> {
  const keys = new Map<BenchAlg, CryptoKey>();
  const published: JWK[] = [];
  for (const alg of algs) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    keys.set(alg, privateKey);
    published.push({ ...(await exportJWK(publicKey)), kid: `bench-${alg}`, alg, use: 'sig' });
  }
  const body = JSON.stringify({ keys: published });
  let jwksRequests = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks') {
      jwksRequests++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }).end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    async mint(alg, audience, jti, ttlSec = 4 * 3600) {
      const key = keys.get(alg);
      if (key === undefined) throw new Error(`issuer has no ${alg} key`);
      return new SignJWT({ jti })
        .setProtectedHeader({ alg, kid: `bench-${alg}`, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setSubject(BENCH_SUBJECT)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSec}s`)
        .sign(key);
    },
    get jwksRequests() {
      return jwksRequests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Mints `n` distinct tokens (jti `<prefix>-<i>`), `batch` signatures in flight at once: jose signs
 * through WebCrypto, which runs on libuv's thread pool, so batches use every core.
 */
export async function mintMany(
  issuer: BenchIssuer,
  alg: BenchAlg,
  audience: string,
  prefix: string,
  n: number,
  batch = 64,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i += batch) {
    const size = Math.min(batch, n - i);
    out.push(
      ...(await Promise.all(
        Array.from({ length: size }, (_, k) => issuer.mint(alg, audience, `${prefix}-${i + k}`)),
      )),
    );
  }
  return out;
}
