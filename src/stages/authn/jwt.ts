/**
 * JWT access-token verification for the coming authentication stage (OAuth 2.1 resource server):
 * a chain of small validators, each returning its input or throwing a coded error, with every
 * JOSE operation done by jose. Not wired into the pipeline yet.
 *
 * Refused: tokens over the size cap; malformed tokens; algorithms outside the asymmetric
 * allowlist (so `none` and HMAC, including HMAC keyed with a public key); header-supplied keys
 * (`jku`, `x5u`, `jwk`, `x5c`); any `crit`; a `typ` other than the configured one; a bad
 * signature or unknown key; an issuer outside the allowlist; a missing or foreign audience
 * (compared as canonical resource URIs, RFC 8707); a missing `exp`; `exp`/`nbf`/`iat` outside the
 * allowed skew; tokens older than the maximum age.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, ProtectedHeaderParameters } from 'jose';
import { WardenError } from '../../core/errors.js';

/** Asymmetric JWS algorithms Warden may accept. */
export const ASYMMETRIC_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
/** One accepted algorithm. */
export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number];

/** How tokens are checked; built once from config. */
export interface JwtPolicy {
  /** Issuers accepted, compared exactly. */
  readonly issuers: readonly string[];
  /** Algorithms accepted (a subset of ASYMMETRIC_ALGS). */
  readonly algorithms: readonly AsymmetricAlg[];
  /** Key resolver: a local or remote JWKS from jose. */
  readonly keys: JWTVerifyGetKey;
  /** Allowed clock skew, in seconds (default 60). */
  readonly clockSkewSec?: number;
  /** Oldest token accepted by its `iat`, in seconds; `iat` becomes required when set. */
  readonly maxAgeSec?: number;
  /** Required `typ` header (for example `at+jwt`), compared case-insensitively. */
  readonly typ?: string;
  /** Largest token accepted, in bytes (default 8192). */
  readonly maxTokenBytes?: number;
}

/** A token that passed every check. */
export interface VerifiedToken {
  readonly header: ProtectedHeaderParameters;
  readonly claims: JWTPayload;
}

/** Why a token was refused (stable, for audit records and tests). */
export type TokenFault =
  | 'size'
  | 'malformed'
  | 'algorithm'
  | 'header-key'
  | 'crit'
  | 'typ'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'too-old'
  | 'claims';

function refuse(fault: TokenFault, cause?: unknown): WardenError {
  const code =
    fault === 'audience'
      ? 'ERR_AUTHN_AUDIENCE'
      : fault === 'expired' || fault === 'too-old'
        ? 'ERR_AUTHN_TOKEN_EXPIRED'
        : 'ERR_AUTHN_TOKEN_INVALID';
  return new WardenError(code, undefined, { data: { reason: fault }, cause });
}

/**
 * The canonical form of a resource URI (RFC 8707 §2, RFC 3986 §6.2.2–6.2.3): scheme and host in
 * lower case, no default port, no fragment, and no trailing slash unless the path is `/`.
 * Undefined for anything that is not an absolute http(s) URI.
 */
export function canonicalResource(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  u.hash = '';
  const path = u.pathname.length > 1 ? u.pathname.replace(/\/+$/, '') : u.pathname;
  return `${u.protocol}//${u.host}${path === '/' ? '' : path}${u.search}`;
}

/** Refuses a token larger than the cap, before anything else looks at it. */
export function verifyTokenSize(token: string, maxBytes: number): string {
  if (Buffer.byteLength(token) > maxBytes) throw refuse('size');
  return token;
}

/** Reads and checks the protected header: algorithm, header-supplied keys, `crit`, `typ`. */
export function verifyHeader(token: string, policy: JwtPolicy): ProtectedHeaderParameters {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch (err) {
    throw refuse('malformed', err);
  }
  if (token.split('.').length !== 3) throw refuse('malformed');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(policy.algorithms as readonly string[]).includes(alg))
    throw refuse('algorithm');
  // Keys come only from Warden's own key set, never from the token.
  for (const k of ['jku', 'x5u', 'jwk', 'x5c'] as const) if (k in header) throw refuse('header-key');
  if ('crit' in header) throw refuse('crit');
  if (policy.typ !== undefined) {
    const typ =
      typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : undefined;
    if (typ !== policy.typ.toLowerCase()) throw refuse('typ');
  }
  return header;
}

/** Checks the audience: it must name this endpoint's canonical resource URI. */
export function verifyAudience(claims: JWTPayload, resource: string): JWTPayload {
  // A URL is compared in canonical form; any other audience (an Entra `api://…` id) exactly.
  const expected = canonicalResource(resource) ?? resource;
  const aud = claims.aud;
  const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (expected === '' || !list.some((a) => typeof a === 'string' && (canonicalResource(a) ?? a) === expected))
    throw refuse('audience');
  return claims;
}

/** Checks `iat` against the skew and the maximum age (jose checks `exp` and `nbf`). */
export function verifyIssuedAt(claims: JWTPayload, policy: JwtPolicy, nowSec: number): JWTPayload {
  const skew = policy.clockSkewSec ?? 60;
  const iat = claims.iat;
  if (iat === undefined) {
    if (policy.maxAgeSec !== undefined) throw refuse('claims');
    return claims;
  }
  if (typeof iat !== 'number') throw refuse('claims');
  if (iat > nowSec + skew) throw refuse('issued-in-future');
  if (policy.maxAgeSec !== undefined && nowSec - iat > policy.maxAgeSec + skew) throw refuse('too-old');
  return claims;
}

function fromJose(err: unknown): WardenError {
  if (err instanceof WardenError) return err;
  // The key set could not be fetched or read (timeout, network, bad status or document): no verdict
  // on the token, so fail closed with 503. jose throws its generic JOSEError only from a JWKS fetch.
  if (
    err instanceof joseErrors.JWKSTimeout ||
    err instanceof joseErrors.JWKSInvalid ||
    !(err instanceof joseErrors.JOSEError) ||
    err.code === 'ERR_JOSE_GENERIC'
  )
    return new WardenError('ERR_AUTHN_UNAVAILABLE', undefined, { data: { reason: 'jwks' }, cause: err });
  if (err instanceof joseErrors.JWTExpired) return refuse('expired', err);
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return refuse('issuer', err);
    if (err.claim === 'aud') return refuse('audience', err);
    if (err.claim === 'nbf') return refuse('not-yet-valid', err);
    return refuse('claims', err);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return refuse('algorithm', err);
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid)
    return refuse('malformed', err);
  return refuse('signature', err);
}

/** Verifies an access token for the endpoint whose canonical resource URI is `resource`. */
export async function verifyAccessToken(
  token: string,
  resource: string,
  policy: JwtPolicy,
  now = Date.now(),
): Promise<VerifiedToken> {
  verifyTokenSize(token, policy.maxTokenBytes ?? 8192);
  const header = verifyHeader(token, policy);
  let claims: JWTPayload;
  try {
    const r = await jwtVerify(token, policy.keys, {
      issuer: [...policy.issuers],
      algorithms: [...policy.algorithms],
      clockTolerance: policy.clockSkewSec ?? 60,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'aud', 'iss'],
    });
    claims = r.payload;
  } catch (err) {
    throw fromJose(err);
  }
  verifyIssuedAt(claims, policy, Math.floor(now / 1000));
  verifyAudience(claims, resource);
  return { header, claims };
}
