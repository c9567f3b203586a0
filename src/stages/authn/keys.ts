/**
 * Key sets for JWT verification, on jose: a remote JWKS (cached, refetched when a token names an
 * unknown `kid` once the cooldown has passed, so key rotation needs no restart) or a local one. A
 * key set that cannot be fetched or read is ERR_AUTHN_UNAVAILABLE (503, fail closed); a token
 * whose key is not in the set stays the token's fault (401).
 */
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors as joseErrors } from 'jose';
import type { JWK, JWTVerifyGetKey } from 'jose';
import { WardenError } from '../../core/errors.js';
import { safeFetch, trustedFetch } from './ssrf.js';
import type { FetchPolicy } from './ssrf.js';

/** How a remote key set is fetched and cached. */
export interface RemoteKeysOptions {
  /** True when the operator wrote the URL in config; otherwise it was learned and is SSRF-guarded. */
  readonly trusted: boolean;
  /** Scheme, address, redirect, size and time rules of the fetch. */
  readonly policy: FetchPolicy;
  /** Least time between two refetches caused by unknown `kid`s, in milliseconds (default 30000). */
  readonly cooldownMs?: number;
  /** Age after which the cached set is refetched before use, in milliseconds (default 600000). */
  readonly cacheMaxAgeMs?: number;
}

// Whether the key set, rather than the token, is at fault: a token can only cause "no key matches"
// (unknown kid, wrong kty/alg) or "several keys match"; everything else is fetching or reading the set.
function keySetFault(err: unknown): boolean {
  return !(err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys);
}

/** A key resolver over the JWKS at `jwksUri`, fetched with safeFetch (learned URL) or trustedFetch (configured URL). */
export function remoteKeys(jwksUri: string, opts: RemoteKeysOptions): JWTVerifyGetKey {
  const url = new URL(jwksUri);
  const jwks = createRemoteJWKSet(url, {
    cooldownDuration: opts.cooldownMs ?? 30_000,
    cacheMaxAge: opts.cacheMaxAgeMs ?? 600_000,
    timeoutDuration: opts.policy.timeoutMs ?? 5000,
    [customFetch]: opts.trusted ? trustedFetch(opts.policy) : safeFetch(opts.policy),
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      if (err instanceof WardenError || !keySetFault(err)) throw err;
      throw new WardenError('ERR_AUTHN_UNAVAILABLE', undefined, {
        data: { reason: 'jwks', url: url.origin },
        cause: err,
      });
    }
  };
}

/** A key resolver over a fixed key set (the local issuer's); throws at once if the set is malformed. */
export function localKeys(jwks: { readonly keys: readonly JWK[] }): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: jwks.keys.map((k) => ({ ...k })) });
}
