/**
 * Opaque access tokens checked by RFC 7662 introspection (`authn:introspection`), with every OAuth
 * step done by oauth4webapi (client_secret_basic authentication, response validation).
 *
 * Refused: `active: false` (ERR_AUTHN_INACTIVE); an `exp` in the past or an `nbf` in the future,
 * beyond the clock skew; an `aud` that does not name this endpoint's canonical resource; an `iss`
 * other than the configured issuer. An endpoint that cannot be reached, times out, answers with a
 * status other than 200, an oversized body or anything malformed gives ERR_AUTHN_UNAVAILABLE: Warden
 * fails closed.
 *
 * Caching: active answers are kept by the SHA-256 digest of the token (never the token), for at
 * most `cacheMaxSec` and never past the token's `exp`; the checks above run again on every use,
 * since the cached answer is shared by every endpoint. Inactive answers and failures are not cached
 * at all, so a revoked token is never remembered as active and junk tokens cannot evict live
 * entries; concurrent checks of one token share a single request instead.
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import * as oauth from 'oauth4webapi';
import { WardenError } from '../../core/errors.js';
import { canonicalResource } from './jwt.js';

/** How opaque tokens are introspected; built once from `auth.introspection`. */
export interface IntrospectionPolicy {
  /** The RFC 7662 endpoint (https, or http on a loopback host only). */
  readonly endpoint: string;
  /** The issuer the answers must come from (`iss`, compared exactly when present). */
  readonly issuer: string;
  /** Warden's client id at the endpoint (client_secret_basic). */
  readonly clientId: string;
  /** Warden's client secret there. */
  readonly clientSecret: string;
  /** Longest an active answer is reused, in seconds (0 turns the cache off); never past `exp`. */
  readonly cacheMaxSec: number;
  /** Most answers cached; the oldest is evicted first (default 10000). */
  readonly maxEntries?: number;
  /** Fetch to use (for example the SSRF-safe one for a discovered endpoint); default global fetch. */
  readonly fetch?: typeof fetch;
  /** Clock skew allowed for `exp` and `nbf`, in seconds (default 60). */
  readonly clockSkewSec?: number;
  /** Time allowed for the whole request and answer, in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Largest answer body accepted, in bytes (default 65536). */
  readonly maxResponseBytes?: number;
}

type Answer = Readonly<Record<string, unknown>>;

interface Entry {
  readonly answer: Answer;
  /** Milliseconds since the epoch after which the entry is gone. */
  readonly until: number;
}

type Fetcher = NonNullable<oauth.HttpRequestOptions<'POST', URLSearchParams>[typeof oauth.customFetch]>;

function configProblem(message: string): WardenError {
  return new WardenError('ERR_CONFIG_INVALID', `auth.introspection.endpoint: ${message}`, {
    data: { problems: [{ path: 'auth.introspection.endpoint', message }] },
  });
}

function unavailable(cause: unknown): WardenError {
  return new WardenError('ERR_AUTHN_UNAVAILABLE', undefined, { cause });
}

function isLoopbackHost(hostname: string): boolean {
  // Literal addresses and `localhost` only: any other name may resolve anywhere.
  return (
    hostname === 'localhost' || hostname === '[::1]' || (isIPv4(hostname) && hostname.startsWith('127.'))
  );
}

/** Whether plain http is allowed: only for an http URL on a loopback host. */
function verifyEndpoint(endpoint: string): boolean {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw configProblem('not a URL');
  }
  if (u.protocol === 'https:') return false;
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return true;
  throw configProblem('must be https (plain http only on a loopback host)');
}

/** Reads the whole answer under a size cap, so a hostile endpoint cannot make Warden buffer without limit. */
function capped(base: typeof fetch, maxBytes: number): Fetcher {
  return async (url, init) => {
    const res = await base(url, init);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw new Error(`introspection answer declares ${declared} bytes, over the cap`);
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
    for (;;) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
      size += chunk.value.byteLength;
      if (size > maxBytes) {
        await reader?.cancel();
        throw new Error('introspection answer is over the size cap');
      }
      parts.push(chunk.value);
    }
    const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
    return new Response(nullBody ? null : Buffer.concat(parts), {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}

/** Checks the types of the answer members Warden relies on; a malformed answer is a failed check. */
function verifyShape(answer: Answer): Answer {
  const num = (k: string): boolean => answer[k] === undefined || Number.isFinite(answer[k]);
  const aud = answer.aud;
  const audOk =
    aud === undefined ||
    typeof aud === 'string' ||
    (Array.isArray(aud) && aud.every((a) => typeof a === 'string'));
  if (!num('exp') || !num('nbf') || !audOk || (answer.iss !== undefined && typeof answer.iss !== 'string'))
    throw unavailable(new Error('introspection answer has malformed members'));
  return answer;
}

/** Checks an active answer for this endpoint: liveness, time window, audience, issuer. */
function verifyAnswer(
  answer: Answer,
  resource: string,
  issuer: string,
  nowSec: number,
  skew: number,
): Answer {
  if (answer.active !== true) throw new WardenError('ERR_AUTHN_INACTIVE');
  const { exp, nbf, aud, iss } = answer as {
    exp?: number;
    nbf?: number;
    aud?: string | string[];
    iss?: string;
  };
  if (exp !== undefined && exp <= nowSec - skew)
    throw new WardenError('ERR_AUTHN_TOKEN_EXPIRED', undefined, { data: { reason: 'expired' } });
  if (nbf !== undefined && nbf > nowSec + skew)
    throw new WardenError('ERR_AUTHN_TOKEN_INVALID', undefined, { data: { reason: 'not-yet-valid' } });
  if (aud !== undefined) {
    const expected = canonicalResource(resource);
    const list = typeof aud === 'string' ? [aud] : aud;
    if (expected === undefined || !list.some((a) => canonicalResource(a) === expected))
      throw new WardenError('ERR_AUTHN_AUDIENCE', undefined, { data: { reason: 'audience' } });
  }
  if (iss !== undefined && iss !== issuer)
    throw new WardenError('ERR_AUTHN_TOKEN_INVALID', undefined, { data: { reason: 'issuer' } });
  return answer;
}

/** Introspects opaque tokens, caching active answers by token digest and sharing concurrent requests. */
export class Introspector {
  readonly #as: oauth.AuthorizationServer;
  readonly #client: oauth.Client;
  readonly #auth: oauth.ClientAuth;
  readonly #options: oauth.IntrospectionRequestOptions;
  readonly #issuer: string;
  readonly #cacheMs: number;
  readonly #maxEntries: number;
  readonly #skew: number;
  readonly #cache = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Answer>>();

  /** Validates the policy now (throws ERR_CONFIG_INVALID for a non-https, non-loopback endpoint). */
  constructor(policy: IntrospectionPolicy) {
    const insecure = verifyEndpoint(policy.endpoint);
    const timeoutMs = policy.timeoutMs ?? 5000;
    this.#as = { issuer: policy.issuer, introspection_endpoint: policy.endpoint };
    this.#client = { client_id: policy.clientId };
    this.#auth = oauth.ClientSecretBasic(policy.clientSecret);
    this.#options = {
      signal: () => AbortSignal.timeout(timeoutMs),
      [oauth.customFetch]: capped(policy.fetch ?? fetch, policy.maxResponseBytes ?? 65_536),
      // Only for an http URL on a loopback host, which verifyEndpoint has established.
      ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
    };
    this.#issuer = policy.issuer;
    this.#cacheMs = Math.max(0, policy.cacheMaxSec) * 1000;
    this.#maxEntries = policy.maxEntries ?? 10_000;
    this.#skew = policy.clockSkewSec ?? 60;
  }

  /**
   * Checks an opaque token for `resource` (canonical endpoint URL); resolves with the answer's
   * claims, with `iss` set to the configured issuer when the answer had none, or throws the coded
   * refusal. `now` is in milliseconds since the epoch.
   */
  async check(token: string, resource: string, now = Date.now()): Promise<Readonly<Record<string, unknown>>> {
    if (token.length === 0)
      throw new WardenError('ERR_AUTHN_TOKEN_INVALID', undefined, { data: { reason: 'malformed' } });
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = this.#cache.get(key);
    let answer: Answer;
    if (hit !== undefined && hit.until > now) answer = hit.answer;
    else {
      if (hit !== undefined) this.#cache.delete(key);
      answer = await this.#shared(key, token, now);
    }
    return verifyAnswer(answer, resource, this.#issuer, Math.floor(now / 1000), this.#skew);
  }

  /** One request per token at a time; every concurrent caller awaits the same answer. */
  #shared(key: string, token: string, now: number): Promise<Answer> {
    let flight = this.#inflight.get(key);
    if (flight === undefined) {
      flight = this.#ask(token).then((answer) => {
        this.#remember(key, answer, now);
        return answer;
      });
      const done = (): void => {
        this.#inflight.delete(key);
      };
      flight.then(done, done);
      this.#inflight.set(key, flight);
    }
    return flight;
  }

  async #ask(token: string): Promise<Answer> {
    let answer: oauth.IntrospectionResponse;
    try {
      const res = await oauth.introspectionRequest(this.#as, this.#client, this.#auth, token, this.#options);
      answer = await oauth.processIntrospectionResponse(this.#as, this.#client, res);
    } catch (err) {
      // A guarded fetch's own refusal (SSRF, cap, timeout) already carries its reason.
      if (err instanceof WardenError && err.code === 'ERR_AUTHN_UNAVAILABLE') throw err;
      throw unavailable(err);
    }
    verifyShape(answer);
    return Object.freeze(answer.iss === undefined ? { ...answer, iss: this.#issuer } : { ...answer });
  }

  #remember(key: string, answer: Answer, now: number): void {
    if (answer.active !== true || this.#maxEntries <= 0) return;
    const exp = answer.exp as number | undefined;
    const until = Math.min(now + this.#cacheMs, exp === undefined ? Infinity : exp * 1000);
    if (until <= now) return;
    this.#cache.delete(key);
    // Map order is insertion order, so the first key is the oldest entry.
    while (this.#cache.size >= this.#maxEntries) {
      const oldest = this.#cache.keys().next();
      if (oldest.done === true) break;
      this.#cache.delete(oldest.value);
    }
    this.#cache.set(key, { answer, until });
  }
}
