/**
 * The local issuer (`auth.mode: local`, the embedded default): Warden generates one signing key
 * pair, keeps it sealed (AES-256-GCM under the storage key) in `<dataDir>/keys/local-issuer.jwk`,
 * verifies tokens against its public half, and `warden token` signs short-lived, audience-bound
 * access tokens with its private half. All JOSE work is done by jose.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { JWK } from 'jose';
import { WardenError } from '../core/errors.js';
import { seal, unseal } from './seal.js';

/** Algorithms the local issuer can use. */
export type LocalAlg = 'ES256' | 'EdDSA' | 'RS256';

const PURPOSE = 'warden/local-issuer-key/v1';

/** The claims of a token the local issuer mints. */
export interface LocalTokenRequest {
  /** Issuer identifier (Warden's public URL). */
  readonly issuer: string;
  /** Audience: the canonical URL of the endpoint the token is for. */
  readonly audience: string;
  readonly subject: string;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
  /** Lifetime in seconds. */
  readonly ttlSec: number;
}

/** A loaded local issuer. */
export interface LocalIssuer {
  /** Public key set (one key) for verification. */
  readonly jwks: { keys: JWK[] };
  /** Signs an RFC 9068 access token (`typ: at+jwt`). */
  mint(req: LocalTokenRequest, now?: number): Promise<string>;
}

/** The file the sealed private key lives in. */
export function localKeyFile(dataDir: string): string {
  return path.join(dataDir, 'keys', 'local-issuer.jwk');
}

async function createKey(file: string, storageKey: Buffer, alg: LocalAlg): Promise<void> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const jwk = await exportJWK(privateKey);
  const full: JWK = { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // `wx`: two processes starting at once (warden start and warden token) must not both write.
    writeFileSync(file, seal(storageKey, JSON.stringify(full), PURPOSE) + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Loads the local issuer's key from dataDir, creating it on first use. */
export async function loadLocalIssuer(
  dataDir: string,
  storageKey: Buffer,
  alg: LocalAlg,
): Promise<LocalIssuer> {
  const file = localKeyFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    await createKey(file, storageKey, alg);
    text = readFileSync(file, 'utf8');
  }
  const jwk = JSON.parse(unseal(storageKey, text.trim(), PURPOSE).toString('utf8')) as JWK;
  if (jwk.alg !== alg)
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `the local issuer key is ${String(jwk.alg)}, not ${alg}; remove ${path.basename(file)} to make a new one`,
      { data: { problems: [{ path: 'auth.local.algorithm', message: 'differs from the stored key' }] } },
    );
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  const privateKey = await importJWK(jwk, alg);
  return {
    jwks: { keys: [pub] },
    async mint(req, now = Date.now()) {
      const iat = Math.floor(now / 1000);
      return new SignJWT({
        ...(req.scopes !== undefined && req.scopes.length > 0 ? { scope: req.scopes.join(' ') } : {}),
        ...(req.roles !== undefined && req.roles.length > 0 ? { roles: [...req.roles] } : {}),
        client_id: 'warden-cli',
      })
        .setProtectedHeader({ alg, typ: 'at+jwt', kid: jwk.kid })
        .setIssuer(req.issuer)
        .setSubject(req.subject)
        .setAudience(req.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + req.ttlSec)
        .setJti(randomBytes(16).toString('base64url'))
        .sign(privateKey);
    },
  };
}
