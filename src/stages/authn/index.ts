/**
 * The authentication stage (OAuth 2.1 resource server, DESIGN §3): every HTTP request must carry
 * a bearer token in the Authorization header that Warden validates (JWT, or RFC 7662 for opaque
 * tokens); a session id alone proves nothing. The principal comes only from the validated token.
 * Refusals carry RFC 6750 challenges pointing at the RFC 9728 metadata of the endpoint. The stdio
 * front is not authenticated: its caller is the local user who started the process.
 */
import { WardenError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import type { Exchange, HttpFacts, Principal, Stage } from '../../core/exchange.js';
import { bearerChallenge, metadataUrl, protectedResourceMetadata, stepUpScopes } from './challenge.js';
import type { ProtectedResourceMetadata } from './challenge.js';
import { canonicalResource, verifyAccessToken } from './jwt.js';
import type { JwtPolicy } from './jwt.js';
import { ReplayCache, TokenCache, tokenDigest } from './token-cache.js';
import type { CachedToken } from './token-cache.js';

/** Extra scopes needed by matching requests (`auth.stepUp`). */
export interface StepUpRule {
  readonly method?: string;
  readonly server?: string;
  readonly tool?: string;
  readonly scopes: readonly string[];
}

/** Checks an opaque token; resolves with the active answer's claims or throws a coded refusal. */
export type OpaqueCheck = (
  token: string,
  resource: string,
  now: number,
) => Promise<Readonly<Record<string, unknown>>>;

/** Everything the stage needs, prepared at start-up. */
export interface AuthnSettings {
  /** Public base URL without a trailing slash; endpoint resources are `publicUrl + path`. */
  readonly publicUrl: string;
  /** `default`: the endpoint's canonical URL; else this exact audience for every endpoint. */
  readonly audience: string;
  /** JWT verification (modes local and jwt). */
  readonly jwt?: JwtPolicy;
  /** Opaque-token introspection (mode introspection). */
  readonly introspect?: OpaqueCheck;
  /** Builds the principal from validated claims; throws a coded refusal. */
  readonly principalOf: (claims: Readonly<Record<string, unknown>>) => Principal;
  /** Authorization servers announced in the metadata. */
  readonly authorizationServers: readonly string[];
  readonly scopesSupported: readonly string[];
  readonly requiredScopes: readonly string[];
  readonly stepUp: readonly StepUpRule[];
  /** Refuse a `jti` seen before. */
  readonly replay: boolean;
  /** Verified tokens remembered (0 = off). */
  readonly cacheEntries: number;
  /** Longest a token is accepted after its `iat`, in seconds (bounds cache entries too). */
  readonly maxTokenAgeSec?: number;
  /**
   * Longest a verification is reused, in seconds, whatever the token's lifetime: the
   * introspection cache bound, so a token the authorization server revoked stops working in time.
   */
  readonly cacheMaxSec?: number;
  /** Largest token accepted, in bytes (JWT and opaque alike). */
  readonly maxTokenBytes: number;
  /** Name shown in the metadata document. */
  readonly resourceName?: string;
}

/** The authentication stage plus what the HTTP front and the admin side need. */
export interface Authn extends Stage {
  /** Authenticates one HTTP request for an endpoint path; throws a challenge-carrying refusal. */
  authenticate(facts: HttpFacts, endpointPath: string, target?: StepUpTarget): Promise<Authenticated>;
  /** RFC 9728 metadata for a well-known path, or undefined when it names no endpoint. */
  metadataFor(wellKnownPath: string, endpointPaths: readonly string[]): ProtectedResourceMetadata | undefined;
  /** Forgets cached verifications of a principal (revocation). */
  revoke(principalKey: string): void;
  /** Verified tokens currently cached. */
  readonly cached: number;
}

/** What a request is about, for step-up rules. */
export interface StepUpTarget {
  readonly method?: string;
  readonly server?: string;
  readonly tool?: string;
}

/** A request that passed authentication. */
export interface Authenticated {
  readonly principal: Principal;
  readonly token: string;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

function header(facts: HttpFacts, name: string): string | undefined {
  const v = facts.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Fails start-up on settings that cannot work. */
function checkSettings(s: AuthnSettings): void {
  if (s.jwt === undefined && s.introspect === undefined)
    throw new WardenError('ERR_CONFIG_INVALID', 'authentication needs a JWT policy or introspection', {
      data: { problems: [{ path: 'auth.mode', message: 'no way to validate tokens' }] },
    });
  if (s.authorizationServers.length === 0)
    throw new WardenError('ERR_CONFIG_INVALID', 'no authorization server to announce', {
      data: { problems: [{ path: 'auth.authorizationServers', message: 'at least one is needed' }] },
    });
}

/** Builds the authentication stage. */
export function authnStage(settings: AuthnSettings): Authn {
  checkSettings(settings);
  const cache = new TokenCache(settings.replay ? 0 : settings.cacheEntries);
  const replay = settings.replay ? new ReplayCache() : undefined;
  const resources = new Map<string, { resource: string; canonical: string; metadata: string }>();

  function resourceOf(endpointPath: string): { resource: string; canonical: string; metadata: string } {
    let r = resources.get(endpointPath);
    if (r === undefined) {
      const resource = `${settings.publicUrl}${endpointPath}`;
      r = { resource, canonical: canonicalResource(resource) ?? resource, metadata: metadataUrl(resource) };
      resources.set(endpointPath, r);
    }
    return r;
  }

  const expectedAudience = (endpointPath: string): string =>
    settings.audience === 'default' ? resourceOf(endpointPath).canonical : settings.audience;

  /** A refusal with its RFC 6750 challenge; `tokenSent` adds `error="invalid_token"`. */
  function challenge(
    endpointPath: string,
    code: ErrorCode,
    tokenSent: boolean,
    cause?: unknown,
  ): WardenError {
    const base = cause instanceof WardenError ? cause : undefined;
    const value = bearerChallenge({
      resourceMetadata: resourceOf(endpointPath).metadata,
      scopes: settings.requiredScopes.length > 0 ? settings.requiredScopes : settings.scopesSupported,
      ...(code === 'ERR_AUTHN_QUERY_TOKEN'
        ? { error: 'invalid_request' as const }
        : tokenSent
          ? { error: 'invalid_token' as const }
          : {}),
    });
    return new WardenError(code, base?.message, {
      data: base?.data,
      headers: { 'www-authenticate': value },
      cause,
    });
  }

  function audiencesOf(claims: Readonly<Record<string, unknown>>): string[] {
    const aud = claims.aud;
    const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    return list.filter((a): a is string => typeof a === 'string').map((a) => canonicalResource(a) ?? a);
  }

  async function verifyFresh(token: string, endpointPath: string, now: number): Promise<CachedToken> {
    let claims: Readonly<Record<string, unknown>>;
    const aud = expectedAudience(endpointPath);
    if (settings.jwt !== undefined) {
      claims = (await verifyAccessToken(token, aud, settings.jwt, now)).claims;
    } else {
      // checkSettings guarantees one of the two.
      claims = await (settings.introspect as OpaqueCheck)(token, aud, now);
    }
    const principal = settings.principalOf(claims);
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : now + 60_000;
    const iat = typeof claims.iat === 'number' ? claims.iat * 1000 : undefined;
    const maxAge = settings.maxTokenAgeSec;
    const aged = iat !== undefined && maxAge !== undefined ? iat + maxAge * 1000 : Infinity;
    const jti = typeof claims.jti === 'string' ? claims.jti : undefined;
    return {
      principal,
      audiences: audiencesOf(claims),
      until: Math.min(
        exp,
        aged,
        settings.cacheMaxSec === undefined ? Infinity : now + settings.cacheMaxSec * 1000,
      ),
      ...(jti !== undefined ? { jti: `${principal.issuer}|${jti}` } : {}),
    };
  }

  function neededScopes(target: StepUpTarget | undefined): string[] {
    const need = [...settings.requiredScopes];
    if (target !== undefined)
      for (const r of settings.stepUp) {
        if (r.method !== undefined && r.method !== target.method) continue;
        if (r.server !== undefined && r.server !== target.server) continue;
        if (r.tool !== undefined && r.tool !== target.tool) continue;
        need.push(...r.scopes);
      }
    return need;
  }

  function checkScopes(principal: Principal, endpointPath: string, target: StepUpTarget | undefined): void {
    const need = neededScopes(target);
    if (need.length === 0) return;
    const missing = need.filter((s) => !principal.scopes.includes(s));
    if (missing.length === 0) return;
    const relevant = [
      ...settings.scopesSupported,
      ...settings.requiredScopes,
      ...settings.stepUp.flatMap((r) => r.scopes),
    ];
    const ask = stepUpScopes(principal.scopes, need, relevant);
    throw new WardenError('ERR_AUTHN_INSUFFICIENT_SCOPE', undefined, {
      data: { scopes: ask },
      headers: {
        'www-authenticate': bearerChallenge({
          error: 'insufficient_scope',
          resourceMetadata: resourceOf(endpointPath).metadata,
          scopes: ask,
        }),
      },
    });
  }

  async function authenticate(
    facts: HttpFacts,
    endpointPath: string,
    target?: StepUpTarget,
  ): Promise<Authenticated> {
    // OAuth 2.1 §5.1.1 / RFC 6750 §2.3: a token in the URL leaks into logs and history; refuse it
    // outright, before looking at anything else.
    if (facts.query !== undefined && /(?:^|&)access_token=/i.test(facts.query))
      throw challenge(endpointPath, 'ERR_AUTHN_QUERY_TOKEN', false);
    const auth = header(facts, 'authorization');
    const m = auth === undefined ? null : /^Bearer(?: +([^\s]*))?\s*$/i.exec(auth);
    if (m === null) throw challenge(endpointPath, 'ERR_AUTHN_TOKEN_MISSING', false);
    const token = m[1] ?? '';
    // RFC 6750 §2.1 b64token; the size cap comes first so nothing large is hashed or parsed.
    if (token.length > settings.maxTokenBytes)
      throw challenge(
        endpointPath,
        'ERR_AUTHN_TOKEN_INVALID',
        true,
        new WardenError('ERR_AUTHN_TOKEN_INVALID', undefined, { data: { reason: 'size' } }),
      );
    if (token === '' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token))
      throw challenge(
        endpointPath,
        'ERR_AUTHN_TOKEN_INVALID',
        true,
        new WardenError('ERR_AUTHN_TOKEN_INVALID', undefined, { data: { reason: 'malformed' } }),
      );
    const now = Date.now();
    const digest = tokenDigest(token);
    let entry = cache.get(digest, now);
    if (entry === undefined) {
      try {
        entry = await verifyFresh(token, endpointPath, now);
      } catch (err) {
        if (err instanceof WardenError && err.code === 'ERR_AUTHN_UNAVAILABLE') throw err;
        const code = err instanceof WardenError ? err.code : 'ERR_AUTHN_TOKEN_INVALID';
        throw challenge(endpointPath, code, true, err);
      }
      cache.set(digest, entry);
    } else if (!entry.audiences.includes(expectedAudience(endpointPath))) {
      // Cached for another endpoint: the audience decides per endpoint, never per token.
      throw challenge(
        endpointPath,
        'ERR_AUTHN_AUDIENCE',
        true,
        new WardenError('ERR_AUTHN_AUDIENCE', undefined, { data: { reason: 'audience' } }),
      );
    }
    if (replay !== undefined) {
      if (entry.jti === undefined || !replay.use(entry.jti, entry.until, now))
        throw challenge(
          endpointPath,
          'ERR_AUTHN_TOKEN_REPLAYED',
          true,
          new WardenError('ERR_AUTHN_TOKEN_REPLAYED', undefined, {
            data: { reason: entry.jti === undefined ? 'no-jti' : 'replayed' },
          }),
        );
    }
    checkScopes(entry.principal, endpointPath, target);
    return { principal: entry.principal, token };
  }

  return {
    name: 'authn',
    authenticate,
    async request(ex: Exchange) {
      if (ex.transport !== 'http' || ex.http === undefined) return;
      const method = 'method' in ex.message ? ex.message.method : undefined;
      const tool = ex.audit.tool;
      let server = ex.endpointServer;
      if (server === undefined && tool !== undefined) {
        const i = tool.indexOf('__');
        if (i > 0) server = tool.slice(0, i);
      }
      const who = await authenticate(ex.http, ex.endpoint, { method, server, tool });
      ex.principal = who.principal;
      ex.subjectToken = who.token;
      ex.audit.principal = who.principal.key;
    },
    metadataFor(wellKnownPath, endpointPaths) {
      if (!wellKnownPath.startsWith(WELL_KNOWN)) return undefined;
      const rest = wellKnownPath.slice(WELL_KNOWN.length).replace(/\/+$/, '');
      // RFC 9728 §3.1: the root document describes the resource without a path.
      if (rest !== '' && !endpointPaths.includes(rest)) return undefined;
      const resource = rest === '' ? settings.publicUrl : resourceOf(rest).resource;
      return protectedResourceMetadata(
        resource,
        settings.authorizationServers,
        settings.scopesSupported,
        settings.resourceName,
      );
    },
    revoke(principalKey) {
      cache.forgetPrincipal(principalKey);
    },
    get cached() {
      return cache.size;
    },
  };
}
