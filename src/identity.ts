/**
 * Wiring of client authentication: compiled config (+ resolved secrets) → the authentication
 * stage. This is where the issuer's keys are found: the local issuer's key under dataDir, a JWKS
 * URL the operator wrote (trusted as written), or one discovered from the issuer's metadata
 * (fetched under the SSRF rules). Everything here runs once at start-up and fails start-up.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { JWK } from 'jose';
import type { Compiled } from './config/compile.js';
import { isLoopback } from './config/compile.js';
import { WardenError } from './core/errors.js';
import type { Logger } from './core/log.js';
import { loadLocalIssuer } from './secrets/local-issuer.js';
import type { LocalIssuer } from './secrets/local-issuer.js';
import { loadStorageKey } from './secrets/seal.js';
import { discoverIssuer } from './stages/authn/discovery.js';
import { authnStage } from './stages/authn/index.js';
import type { Authn } from './stages/authn/index.js';
import { Introspector } from './stages/authn/introspect.js';
import type { JwtPolicy } from './stages/authn/jwt.js';
import { localKeys, remoteKeys } from './stages/authn/keys.js';
import { checkPrincipalPolicy, principalFromClaims } from './stages/authn/principal.js';
import { safeFetch } from './stages/authn/ssrf.js';
import type { FetchPolicy } from './stages/authn/ssrf.js';

function problem(path: string, message: string): WardenError {
  return new WardenError('ERR_CONFIG_INVALID', `${path}: ${message}`, {
    data: { problems: [{ path, message }] },
  });
}

/** True for an http URL whose host is a loopback literal or `localhost` (local development). */
function loopbackHttp(url: string): boolean {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return u.protocol === 'http:' && (host === 'localhost' || (isIP(host) !== 0 && isLoopback(host)));
}

/** Reads an operator-supplied JWKS file; only public keys are accepted. */
function readJwksFile(file: string): { keys: JWK[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw problem('auth.jwksFile', `cannot read a JSON key set: ${(err as Error).message}`);
  }
  const keys = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw problem('auth.jwksFile', 'no "keys" array');
  // A private key in a verification key set is a leak waiting to happen; refuse it outright.
  if (keys.some((k) => typeof k !== 'object' || k === null || 'd' in k || (k as JWK).kty === 'oct'))
    throw problem('auth.jwksFile', 'only public asymmetric keys belong in a verification key set');
  return { keys: keys as JWK[] };
}

/** The storage key and local issuer of a deployment in local mode (shared with `warden token`). */
export async function localIssuerOf(compiled: Compiled): Promise<LocalIssuer> {
  const cfg = compiled.config;
  const ref = cfg.secrets.encryptionKey;
  const key = loadStorageKey(compiled.dataDir, ref === undefined ? undefined : compiled.secrets.get(ref));
  return loadLocalIssuer(compiled.dataDir, key, cfg.auth.local.algorithm);
}

/** Builds the authentication stage, or undefined for `auth.mode: none`. */
export async function buildAuthn(compiled: Compiled, log: Logger): Promise<Authn | undefined> {
  const auth = compiled.config.auth;
  if (auth.mode === 'none') return undefined;
  const fetchPolicy: FetchPolicy = { allowInsecure: auth.allowInsecureDiscovery };
  const principalPolicy = checkPrincipalPolicy({
    profile: auth.profile,
    tenants: auth.tenants,
    clientIds: auth.clientIds,
    claims: auth.claims,
  });
  const common = {
    publicUrl: compiled.publicUrl,
    audience: auth.audience,
    principalOf: (claims: Readonly<Record<string, unknown>>) => principalFromClaims(claims, principalPolicy),
    scopesSupported: auth.scopesSupported,
    requiredScopes: auth.requiredScopes,
    stepUp: auth.stepUp,
    replay: auth.replay,
    cacheEntries: auth.cacheEntries,
    maxTokenAgeSec: auth.maxTokenAgeSec,
    maxTokenBytes: auth.maxTokenBytes,
    resourceName: 'Warden MCP gateway',
  };
  const jwtBase = {
    algorithms: auth.algorithms,
    clockSkewSec: auth.clockSkewSec,
    maxAgeSec: auth.maxTokenAgeSec,
    maxTokenBytes: auth.maxTokenBytes,
    ...(auth.typ !== undefined ? { typ: auth.typ } : {}),
  };

  if (auth.mode === 'local') {
    const issuer = auth.issuer ?? compiled.publicUrl;
    const local = await localIssuerOf(compiled);
    const alg = compiled.config.auth.local.algorithm;
    const jwt: JwtPolicy = {
      ...jwtBase,
      issuers: [issuer],
      algorithms: [alg],
      keys: localKeys(local.jwks),
      typ: auth.typ ?? 'at+jwt',
    };
    log.debug('local issuer ready', { issuer });
    return authnStage({
      ...common,
      jwt,
      authorizationServers: auth.authorizationServers.length > 0 ? auth.authorizationServers : [issuer],
    });
  }

  const issuer = auth.issuer;
  if (issuer === undefined) throw problem('auth.issuer', `required for mode ${auth.mode}`);
  const authorizationServers = auth.authorizationServers.length > 0 ? auth.authorizationServers : [issuer];

  if (auth.mode === 'jwt') {
    let keys;
    if (auth.jwksFile !== undefined && auth.jwksUri !== undefined)
      throw problem('auth.jwksFile', 'give either jwksFile or jwksUri, not both');
    if (auth.jwksFile !== undefined) {
      keys = localKeys(readJwksFile(auth.jwksFile));
    } else if (auth.jwksUri !== undefined) {
      // Written by the operator: trusted as written (http only makes sense on loopback).
      keys = remoteKeys(auth.jwksUri, { trusted: true, policy: fetchPolicy });
    } else {
      const meta = await discoverIssuer(issuer, auth.profile, fetchPolicy);
      if (meta.jwks_uri === undefined)
        throw problem('auth.jwksUri', "the issuer's metadata names no jwks_uri");
      keys = remoteKeys(meta.jwks_uri, { trusted: false, policy: fetchPolicy });
    }
    return authnStage({ ...common, jwt: { ...jwtBase, issuers: [issuer], keys }, authorizationServers });
  }

  const intro = auth.introspection;
  if (intro === undefined) throw problem('auth.introspection', 'required for mode introspection');
  let endpoint: string;
  let fetchFn: typeof fetch | undefined;
  if (intro.endpoint === undefined) {
    const meta = await discoverIssuer(issuer, auth.profile, fetchPolicy);
    const found = meta.introspection_endpoint;
    if (typeof found !== 'string')
      throw problem('auth.introspection.endpoint', "the issuer's metadata names no introspection_endpoint");
    endpoint = found;
    // Learned from a fetched document: every request to it goes through the SSRF guard.
    fetchFn = safeFetch(fetchPolicy);
  } else {
    endpoint = intro.endpoint;
    if (new URL(endpoint).protocol === 'http:' && !loopbackHttp(endpoint))
      throw problem('auth.introspection.endpoint', 'plain http is allowed only on a loopback host');
  }
  const introspector = new Introspector({
    endpoint,
    issuer,
    clientId: intro.clientId,
    clientSecret: compiled.secrets.get(intro.clientSecret),
    cacheMaxSec: intro.cacheMaxSec,
    clockSkewSec: auth.clockSkewSec,
    ...(fetchFn !== undefined ? { fetch: fetchFn } : {}),
  });
  return authnStage({
    ...common,
    introspect: (token, resource, now) => introspector.check(token, resource, now),
    cacheMaxSec: intro.cacheMaxSec,
    authorizationServers,
  });
}
