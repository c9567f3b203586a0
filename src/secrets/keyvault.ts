/**
 * Azure Key Vault secret provider over its REST API (`GET {vault}/secrets/{name}[/{version}]`,
 * api-version 7.4), with Warden's own Azure token: a managed identity (App Service/Functions
 * `IDENTITY_ENDPOINT`, or the instance metadata service) or an Entra ID app registration with a
 * client secret (OAuth client credentials through oauth4webapi). The token is cached until shortly
 * before it expires. Errors name the reference only: never a value, a token or a response body.
 */
import * as oauth from 'oauth4webapi';
import { fetch } from 'undici';
import type { Dispatcher } from 'undici';
import { resolveSecret } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { WardenError } from '../core/errors.js';

/** `secrets.keyVault` after defaults. */
export type KeyVaultConfig = NonNullable<Config['secrets']['keyVault']>;

/** Options of `createKeyVault`. */
export interface KeyVaultOptions {
  /** Environment for `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` and the client-secret reference; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** undici dispatcher for every request (a private CA, a proxy); undici's global dispatcher when unset. */
  readonly dispatcher?: Dispatcher;
  /** Time allowed for each HTTP request, in milliseconds; default 10 000. */
  readonly timeoutMs?: number;
  /** Clock in milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
}

/** A Key Vault secret reader. */
export interface KeyVault {
  /** Fetches the value of a `keyvault:NAME[/VERSION]` reference (latest version when none is given). */
  getSecret(ref: string): Promise<string>;
}

/** The Key Vault resource (managed identity) and its `.default` scope (client credentials). */
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

/** The instance metadata service token endpoint (Azure VMs, scale sets, AKS nodes). */
export const IMDS_TOKEN_ENDPOINT = 'http://169.254.169.254/metadata/identity/oauth2/token';

const REF = /^keyvault:([A-Za-z0-9-]{1,127})(?:\/([A-Za-z0-9]{1,64}))?$/;
const MAX_BODY_BYTES = 1_048_576;
/** Tokens are renewed this long before they expire (at most half their lifetime), in ms. */
const RENEW_BEFORE_MS = 300_000;

/** Splits a `keyvault:NAME[/VERSION]` reference; undefined when it is not one. */
export function parseKeyVaultRef(ref: string): { name: string; version: string | undefined } | undefined {
  const m = REF.exec(ref);
  if (m === null || m[1] === undefined) return undefined;
  return { name: m[1], version: m[2] };
}

/** A failure inside a read, turned into ERR_SECRET_UNRESOLVED naming the reference each caller asked for. */
class Refusal extends Error {
  constructor(
    readonly reason: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}

function unresolved(ref: string, reason: string, extra: Record<string, unknown> = {}): WardenError {
  return new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} cannot be fetched: ${reason}`, {
    data: { ref, reason, ...extra },
  });
}

/** A network error's code (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, ...) and nothing else of it. */
function netCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e !== undefined && e !== null && i < 4; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

interface HttpResult {
  readonly status: number;
  readonly json: unknown;
}

/** A token for the vault and when it stops being used, in ms since the epoch. */
interface CachedToken {
  readonly token: string;
  readonly renewAt: number;
}

function isLoopbackUrl(u: URL): boolean {
  return u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);
}

/** Creates a Key Vault reader; validates the settings now, contacts Azure only when a secret is read. */
export function createKeyVault(config: KeyVaultConfig, opts: KeyVaultOptions = {}): KeyVault {
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const vault = new URL(config.url);
  // The bearer token must never cross the network in clear; plain http is for a local emulator only.
  if (vault.protocol !== 'https:' && !isLoopbackUrl(vault)) {
    throw new WardenError('ERR_CONFIG_INVALID', 'secrets.keyVault.url must use https', {
      data: { problems: [{ path: 'secrets.keyVault.url', message: 'must use https' }] },
    });
  }
  const vaultBase = vault.href.replace(/\/+$/, '');
  const acquire = tokenSource(config.credential, env, opts.dispatcher, timeoutMs, now);

  let cached: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;

  /** One token request at a time: concurrent reads at start-up share it. */
  function token(): Promise<string> {
    if (cached !== undefined && now() < cached.renewAt) return Promise.resolve(cached.token);
    pending ??= (async () => {
      try {
        const t0 = now();
        const { token: tok, expiresAt } = await acquire();
        const renewAt = expiresAt - Math.min(RENEW_BEFORE_MS, Math.max(0, (expiresAt - t0) / 2));
        cached = { token: tok, renewAt };
        return cached;
      } finally {
        pending = undefined;
      }
    })();
    return pending.then((c) => c.token);
  }

  return {
    async getSecret(ref: string): Promise<string> {
      const parsed = parseKeyVaultRef(ref);
      if (parsed === undefined) {
        throw new WardenError('ERR_SECRET_UNRESOLVED', 'not a keyvault reference', { data: {} });
      }
      try {
        const bearer = await token();
        const url = new URL(
          `${vaultBase}/secrets/${parsed.name}${parsed.version === undefined ? '' : `/${parsed.version}`}`,
        );
        url.searchParams.set('api-version', config.apiVersion);
        const r = await getJson(
          url,
          { authorization: `Bearer ${bearer}`, accept: 'application/json' },
          opts.dispatcher,
          timeoutMs,
        );
        if (r.status !== 200) throw new Refusal(`the vault answered HTTP ${r.status}`, { status: r.status });
        const value = (r.json as { value?: unknown } | null)?.value;
        if (typeof value !== 'string') throw new Refusal('the vault answer has no string value');
        return value;
      } catch (err) {
        if (err instanceof Refusal) throw unresolved(ref, err.reason, err.extra);
        throw err;
      }
    },
  };
}

/** GET (or POST) with a timeout, no redirects and a size cap; the body is parsed as JSON when it can be. */
async function getJson(
  url: URL,
  headers: Record<string, string>,
  dispatcher: Dispatcher | undefined,
  timeoutMs: number,
): Promise<HttpResult> {
  let res: Awaited<ReturnType<typeof fetch>>;
  try {
    res = await fetch(url, {
      method: 'GET',
      headers,
      // A redirect could carry the bearer token to another origin; Azure's endpoints never redirect.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      ...(dispatcher === undefined ? {} : { dispatcher }),
    });
  } catch (err) {
    const code = netCode(err);
    throw new Refusal(`${url.host} cannot be reached${code === undefined ? '' : ` (${code})`}`);
  }
  const text = await readCapped(res);
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

async function readCapped(res: Awaited<ReturnType<typeof fetch>>): Promise<string> {
  if (res.body === null) return '';
  const parts: Buffer[] = [];
  let size = 0;
  try {
    // Leaving the loop early (the throw) cancels the stream.
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) throw new Refusal('the answer is too large');
      parts.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof Refusal) throw err;
    throw new Refusal('the answer was cut off');
  }
  return Buffer.concat(parts).toString('utf8');
}

type Acquire = () => Promise<{ token: string; expiresAt: number }>;

/** Seconds (a JSON number or a decimal string, as Azure's endpoints send both) or undefined. */
function seconds(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** How the Azure token is obtained, chosen once from the credential settings and the environment. */
function tokenSource(
  credential: KeyVaultConfig['credential'],
  env: NodeJS.ProcessEnv,
  dispatcher: Dispatcher | undefined,
  timeoutMs: number,
  now: () => number,
): Acquire {
  if (credential.type === 'client_credentials')
    return clientCredentials(credential, env, dispatcher, timeoutMs, now);
  // App Service and Functions set both variables; the header value proves the caller runs there.
  const identityHeader = env.IDENTITY_HEADER;
  const appService = env.IDENTITY_ENDPOINT !== undefined && identityHeader !== undefined;
  const endpoint =
    credential.endpoint ?? (appService ? env.IDENTITY_ENDPOINT : undefined) ?? IMDS_TOKEN_ENDPOINT;
  return async () => {
    const url = new URL(endpoint);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (appService) {
      url.searchParams.set('api-version', '2019-08-01');
      headers['x-identity-header'] = identityHeader;
    } else {
      url.searchParams.set('api-version', '2018-02-01');
      headers.metadata = 'true';
    }
    url.searchParams.set('resource', KEY_VAULT_RESOURCE);
    if (credential.clientId !== undefined) url.searchParams.set('client_id', credential.clientId);
    const t0 = now();
    const r = await getJson(url, headers, dispatcher, timeoutMs);
    if (r.status !== 200) {
      throw new Refusal(`the managed identity endpoint answered HTTP ${r.status}`, { status: r.status });
    }
    const body = (typeof r.json === 'object' && r.json !== null ? r.json : {}) as Record<string, unknown>;
    const token = body.access_token;
    // expires_on is absolute (seconds since the epoch); expires_in is relative. Either may come.
    const on = seconds(body.expires_on);
    const inSec = seconds(body.expires_in);
    const expiresAt = on !== undefined ? on * 1000 : inSec !== undefined ? t0 + inSec * 1000 : undefined;
    if (typeof token !== 'string' || token === '' || expiresAt === undefined) {
      throw new Refusal('the managed identity endpoint sent no usable token');
    }
    return { token, expiresAt };
  };
}

/** Entra ID client credentials: `POST {authorityHost}/{tenantId}/oauth2/v2.0/token`, scope `<vault>/.default`. */
function clientCredentials(
  credential: Extract<KeyVaultConfig['credential'], { type: 'client_credentials' }>,
  env: NodeJS.ProcessEnv,
  dispatcher: Dispatcher | undefined,
  timeoutMs: number,
  now: () => number,
): Acquire {
  const authority = credential.authorityHost.replace(/\/+$/, '');
  const tokenEndpoint = `${authority}/${encodeURIComponent(credential.tenantId)}/oauth2/v2.0/token`;
  // The metadata is written by hand from the documented endpoint: no discovery document is fetched.
  const as: oauth.AuthorizationServer = {
    issuer: `${authority}/${encodeURIComponent(credential.tenantId)}/v2.0`,
    token_endpoint: tokenEndpoint,
  };
  const client: oauth.Client = { client_id: credential.clientId };
  return async () => {
    // Resolved at each token request, so a rotated client-secret file is picked up on renewal.
    let secret: string;
    try {
      secret = resolveSecret(credential.clientSecret, env);
    } catch {
      throw new Refusal(`its client secret ${credential.clientSecret} cannot be resolved`);
    }
    const t0 = now();
    let response: Response;
    try {
      response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretPost(secret),
        { scope: `${KEY_VAULT_RESOURCE}/.default` },
        {
          signal: AbortSignal.timeout(timeoutMs),
          // undici's fetch, so the given dispatcher (a private CA) applies; oauth4webapi accepts its Response.
          [oauth.customFetch]: (url, init) =>
            fetch(url, {
              ...init,
              redirect: 'manual',
              ...(dispatcher === undefined ? {} : { dispatcher }),
            }),
        },
      );
    } catch (err) {
      const code = netCode(err);
      throw new Refusal(`the token endpoint cannot be reached${code === undefined ? '' : ` (${code})`}`);
    }
    try {
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      const expiresIn = result.expires_in ?? 3600;
      return { token: result.access_token, expiresAt: t0 + expiresIn * 1000 };
    } catch (err) {
      // Only the OAuth error code is kept: the description and body stay out of logs and messages.
      const oauthError =
        err instanceof oauth.ResponseBodyError && /^[a-z_]{1,64}$/.test(err.error) ? err.error : undefined;
      throw new Refusal(
        `the token endpoint refused (HTTP ${response.status}${oauthError === undefined ? '' : `, ${oauthError}`})`,
        { status: response.status, ...(oauthError === undefined ? {} : { oauthError }) },
      );
    }
  };
}
