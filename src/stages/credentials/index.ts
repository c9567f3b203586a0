/**
 * Warden's own credentials for its HTTP upstreams (DESIGN §3, `authn:no-passthrough`). The client's
 * Authorization header and cookies never leave Warden; each upstream instead gets the credential
 * its config names: none, a static secret, an OAuth client-credentials token, or an RFC 8693 token
 * exchanged for the caller's. The broker is built once at start-up (bad config throws then); the
 * upstream connector asks it for headers before every HTTP request it sends.
 */
import { WardenError } from '../../core/errors.js';
import type { Principal } from '../../core/exchange.js';
import type { Logger } from '../../core/log.js';
import { SingleFlightCache } from './token-cache.js';
import type { Expiring } from './token-cache.js';
import { createTokenEndpoint } from './token-endpoint.js';
import type { IssuedToken, OAuthClientSpec, TokenEndpoint } from './token-endpoint.js';

/** Warden's credential for one HTTP upstream, as the config's `servers.<name>.auth` spells it. */
export type UpstreamAuth =
  | { readonly type: 'none' }
  | {
      readonly type: 'static';
      /** Header carrying the secret (not a protocol or framing header). */
      readonly header: string;
      /** `bearer`: `Bearer <secret>`; `raw`: the secret as is. */
      readonly scheme: 'bearer' | 'raw';
      /** A secret reference. */
      readonly value: string;
    }
  | ({ readonly type: 'client_credentials' } & OAuthClientSpec)
  | ({ readonly type: 'token_exchange'; readonly requestedTokenType: string } & OAuthClientSpec);

/**
 * What the broker needs of one configured server: an HTTP upstream's URL (the default `resource`)
 * and its `auth`, or a stdio server (`command`), which never gets an HTTP credential.
 */
export type UpstreamAuthSpec =
  { readonly url: string; readonly auth: UpstreamAuth } | { readonly command: string };

/** Who a request to an upstream is made for: the session's principal and its current token. */
export interface CallerCredential {
  readonly principal: Principal;
  /** The caller's validated access token (token exchange only); never logged or forwarded. */
  subjectToken: string | undefined;
}

/** Hands out the headers Warden adds to its own requests to each upstream. */
export interface CredentialBroker {
  /** Headers Warden adds to one HTTP request to `server` for `caller` ({} for none); throws ERR_UPSTREAM_CREDENTIAL when it cannot get one. */
  headersFor(
    server: string,
    caller: CallerCredential | undefined,
  ): Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>;
  /** True when the credential depends on the caller (token exchange), so connections must not be shared across principals. */
  perPrincipal(server: string): boolean;
}

/** Options of the broker. */
export interface CredentialBrokerOptions {
  readonly log: Logger;
  /** The fetch used for token endpoints; default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Time allowed for one token request, in milliseconds; default 10 000. */
  readonly timeoutMs?: number;
  /** Exchanged tokens remembered across all servers and principals; default 10 000. */
  readonly maxExchanged?: number;
}

type Headers = Readonly<Record<string, string>>;

const NONE: Headers = Object.freeze({});
/** Headers Warden's connector owns or that frame the HTTP message; a static credential may not use them. */
const RESERVED = new Set([
  'accept',
  'connection',
  'content-length',
  'content-type',
  'host',
  'keep-alive',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** A header value without control characters (no CR/LF injection), not empty. */
const VALUE_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
/** Refresh this long before expiry, in seconds (or at half the lifetime when that is shorter). */
const REFRESH_MARGIN_SEC = 30;
/** Lifetime assumed when the token endpoint sends no `expires_in`, in seconds. */
const DEFAULT_LIFETIME_SEC = 60;

function configError(path: string, message: string): WardenError {
  return new WardenError('ERR_CONFIG_INVALID', `${path}: ${message}`, {
    data: { problems: [{ path, message }] },
  });
}

function bearer(token: string): Headers {
  return Object.freeze({ authorization: `Bearer ${token}` });
}

/** When an issued token must be fetched again, in ms since the epoch; `capSec` bounds it (the subject token's `exp`). */
function refreshAt(t: IssuedToken, now: number, capSec?: number): number {
  const life = t.expiresIn ?? DEFAULT_LIFETIME_SEC;
  let at = now + (life - Math.min(REFRESH_MARGIN_SEC, life / 2)) * 1000;
  if (capSec !== undefined) at = Math.min(at, capSec * 1000);
  return at;
}

/** Error facts safe to log: names and codes, never a message body that could echo a token. */
function failure(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: typeof err };
  const e = err as Error & { code?: unknown; error?: unknown; status?: unknown; data?: unknown };
  const out: Record<string, unknown> = { error: e.name };
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.error === 'string') out.oauthError = e.error.slice(0, 64);
  if (typeof e.status === 'number') out.status = e.status;
  const cause = (e.cause as { code?: unknown } | undefined)?.code;
  if (typeof cause === 'string') out.cause = cause;
  return out;
}

/** Builds the broker for every configured server; throws ERR_CONFIG_INVALID or ERR_SECRET_UNRESOLVED at start-up. */
export function createCredentialBroker(
  servers: Readonly<Record<string, UpstreamAuthSpec>>,
  secret: (ref: string) => string,
  opts: CredentialBrokerOptions,
): CredentialBroker {
  const { log } = opts;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const statics = new Map<string, Headers>();
  const owned = new Map<string, { endpoint: TokenEndpoint; cc?: true; exchangeType?: string }>();

  for (const [name, s] of Object.entries(servers)) {
    if (!('url' in s)) continue;
    const path = `servers.${name}.auth`;
    const a = s.auth;
    switch (a.type) {
      case 'none':
        break;
      case 'static': {
        const header = a.header.toLowerCase();
        if (RESERVED.has(header) || header.startsWith('mcp-'))
          throw configError(`${path}.header`, `${header} is a protocol header Warden sets itself`);
        const value = secret(a.value);
        if (!VALUE_SAFE.test(value))
          throw configError(
            `${path}.value`,
            'the secret is empty or holds characters not allowed in a header',
          );
        statics.set(name, Object.freeze({ [header]: a.scheme === 'bearer' ? `Bearer ${value}` : value }));
        break;
      }
      case 'client_credentials':
      case 'token_exchange': {
        const endpoint = createTokenEndpoint(path, a, secret(a.clientSecret), s.url, {
          fetch: opts.fetch,
          timeoutMs,
        });
        owned.set(
          name,
          a.type === 'client_credentials'
            ? { endpoint, cc: true }
            : { endpoint, exchangeType: a.requestedTokenType },
        );
        break;
      }
    }
  }

  const ccTokens = new SingleFlightCache<Headers>(Math.max(1, owned.size));
  const exchanged = new SingleFlightCache<Headers>(Math.max(1, opts.maxExchanged ?? 10_000));

  const refuse = (server: string, mode: string, err: unknown): WardenError => {
    log.warn('upstream credential failed', { server, mode, ...failure(err) });
    // The cause stays out: an authorization server's answer may echo what was sent to it.
    return new WardenError('ERR_UPSTREAM_CREDENTIAL', `no credential for upstream ${server}`, {
      data: { server },
    });
  };

  const fetchOwn = async (server: string, endpoint: TokenEndpoint): Promise<Expiring<Headers>> => {
    try {
      const t = await endpoint.clientCredentials();
      log.debug('upstream credential obtained', {
        server,
        mode: 'client_credentials',
        expiresIn: t.expiresIn,
      });
      return { value: bearer(t.accessToken), refreshAt: refreshAt(t, Date.now()) };
    } catch (err) {
      throw refuse(server, 'client_credentials', err);
    }
  };

  const fetchExchanged = async (
    server: string,
    endpoint: TokenEndpoint,
    requestedType: string,
    caller: CallerCredential,
    subjectToken: string,
  ): Promise<Expiring<Headers>> => {
    try {
      const t = await endpoint.exchange(subjectToken, requestedType);
      log.debug('upstream credential obtained', {
        server,
        mode: 'token_exchange',
        principal: caller.principal.key,
        expiresIn: t.expiresIn,
      });
      // Never used past the subject token's own expiry: the caller's grant ends there.
      return {
        value: bearer(t.accessToken),
        refreshAt: refreshAt(t, Date.now(), caller.principal.expiresAt),
      };
    } catch (err) {
      throw refuse(server, 'token_exchange', err);
    }
  };

  return {
    headersFor(server, caller) {
      const st = statics.get(server);
      if (st !== undefined) return st;
      const own = owned.get(server);
      if (own === undefined) return NONE;
      if (own.cc === true) return ccTokens.get(server, () => fetchOwn(server, own.endpoint));
      const subjectToken = caller?.subjectToken;
      if (caller === undefined || subjectToken === undefined) {
        log.warn('upstream credential failed', { server, mode: 'token_exchange', error: 'no subject token' });
        throw new WardenError('ERR_UPSTREAM_CREDENTIAL', `upstream ${server} needs the caller's token`, {
          data: { server },
        });
      }
      const requested = own.exchangeType ?? '';
      // The principal key is part of the cache key: one principal's token never serves another.
      return exchanged.get(`${server}\n${caller.principal.key}`, () =>
        fetchExchanged(server, own.endpoint, requested, caller, subjectToken),
      );
    },
    perPrincipal(server) {
      return owned.get(server)?.exchangeType !== undefined;
    },
  };
}
