/**
 * Issuer discovery with oauth4webapi: OpenID Connect Discovery first, then RFC 8414. The
 * discovery URL derives from the issuer the operator wrote (trusted as written); the document's
 * `issuer` must equal it exactly, and the URLs Warden will later fetch from it (`jwks_uri`,
 * `introspection_endpoint`) are learned, so they pass the SSRF guard here, at start-up, and again
 * at every fetch. The Entra profile accepts only the tenant-specific v2 issuer.
 */
import {
  JSON_ATTRIBUTE_COMPARISON,
  OperationProcessingError,
  allowInsecureRequests,
  customFetch,
  discoveryRequest,
  processDiscoveryResponse,
} from 'oauth4webapi';
import type { AuthorizationServer } from 'oauth4webapi';
import { WardenError } from '../../core/errors.js';
import { trustedFetch, vetUrl } from './ssrf.js';
import type { FetchPolicy } from './ssrf.js';

/** An issuer's metadata (RFC 8414 / OIDC Discovery) after every check passed. */
export type IssuerMetadata = AuthorizationServer;

/** Identity-provider profile (config `auth.profile`). */
export type IdpProfile = 'oidc' | 'entra';

/** Entra ID authorities (global, US Government, China) whose v2 issuers the `entra` profile accepts. */
export const ENTRA_AUTHORITIES = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The tenant id of a tenant-specific Entra ID v2 issuer `https://<authority>/<tenant GUID>/v2.0`
 * (lower-case GUID, as Entra writes it); undefined for anything else, including `common`,
 * `organizations`, `consumers` and v1 `https://sts.windows.net/<tenant>/` issuers.
 */
export function entraTenantOf(issuer: string): string | undefined {
  const m = /^https:\/\/([^/]+)\/([^/]+)\/v2\.0$/.exec(issuer);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  if (!(ENTRA_AUTHORITIES as readonly string[]).includes(m[1])) return undefined;
  return GUID.test(m[2]) ? m[2] : undefined;
}

function configProblem(message: string): WardenError {
  return new WardenError('ERR_CONFIG_INVALID', `auth.issuer: ${message}`, {
    data: { problems: [{ path: 'auth.issuer', message }] },
  });
}

function unavailable(reason: 'discovery' | 'issuer-mismatch', issuer: URL, cause?: unknown): WardenError {
  return new WardenError('ERR_AUTHN_UNAVAILABLE', undefined, {
    data: { reason, url: issuer.origin },
    cause,
  });
}

/** Checks the configured issuer's form for the profile; returns it parsed. */
export function verifyIssuerForm(issuer: string, profile: IdpProfile, policy: FetchPolicy): URL {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw configProblem('not a URL');
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && policy.allowInsecure))
    throw configProblem('must be an https URL (http only with allowInsecureDiscovery)');
  if (u.search !== '' || u.hash !== '') throw configProblem('must have no query or fragment (RFC 8414 §2)');
  if (profile === 'entra' && entraTenantOf(issuer) === undefined) {
    // Development and tests may stand in for Entra on another origin, with the same path form.
    const tenant = /^\/([^/]+)\/v2\.0$/.exec(u.pathname)?.[1];
    const dev = policy.allowInsecure && tenant !== undefined && GUID.test(tenant);
    if (!dev)
      throw configProblem(
        'the entra profile needs the tenant-specific v2 issuer https://login.microsoftonline.com/<tenant GUID>/v2.0 (not common, organizations, consumers or sts.windows.net)',
      );
  }
  return u;
}

async function fetchMetadata(
  issuer: URL,
  algorithm: 'oidc' | 'oauth2',
  fetchImpl: typeof fetch,
  policy: FetchPolicy,
): Promise<IssuerMetadata | undefined> {
  let res: Response;
  try {
    res = await discoveryRequest(issuer, {
      algorithm,
      [customFetch]: fetchImpl,
      [allowInsecureRequests]: policy.allowInsecure,
    });
  } catch (err) {
    throw err instanceof WardenError ? err : unavailable('discovery', issuer, err);
  }
  // Not served in this form: try the other one.
  if (res.status === 404 || res.status === 405 || res.status === 400) {
    await res.body?.cancel();
    return undefined;
  }
  try {
    return await processDiscoveryResponse(issuer, res);
  } catch (err) {
    const mismatch = err instanceof OperationProcessingError && err.code === JSON_ATTRIBUTE_COMPARISON;
    throw unavailable(mismatch ? 'issuer-mismatch' : 'discovery', issuer, err);
  }
}

/** Checks a learned URL under the SSRF rules (at discovery time, not only when fetched). */
async function verifyLearnedUrl(
  meta: IssuerMetadata,
  field: 'jwks_uri' | 'introspection_endpoint',
  issuer: URL,
  policy: FetchPolicy,
): Promise<void> {
  const value: unknown = meta[field];
  if (value === undefined) return;
  if (typeof value !== 'string')
    throw unavailable('discovery', issuer, new TypeError(`${field} is not a string`));
  await vetUrl(value, policy);
}

/**
 * Fetches and checks the issuer's metadata: OIDC Discovery (`<issuer>/.well-known/openid-configuration`)
 * first, then RFC 8414 (`/.well-known/oauth-authorization-server<issuer path>`). Throws
 * ERR_CONFIG_INVALID for an issuer the profile does not allow, and ERR_AUTHN_UNAVAILABLE with
 * `data.reason` `discovery`, `issuer-mismatch`, `ssrf`, `timeout`, `too-large` or `network`.
 */
export async function discoverIssuer(
  issuer: string,
  profile: IdpProfile,
  policy: FetchPolicy,
): Promise<IssuerMetadata> {
  const url = verifyIssuerForm(issuer, profile, policy);
  const fetchImpl = trustedFetch(policy);
  let meta = await fetchMetadata(url, 'oidc', fetchImpl, policy);
  meta ??= await fetchMetadata(url, 'oauth2', fetchImpl, policy);
  if (meta === undefined) throw unavailable('discovery', url);
  // oauth4webapi compares normalised URLs (a trailing slash passes); the issuer must match as written.
  if (meta.issuer !== issuer) throw unavailable('issuer-mismatch', url);
  await verifyLearnedUrl(meta, 'jwks_uri', url, policy);
  await verifyLearnedUrl(meta, 'introspection_endpoint', url, policy);
  return meta;
}
