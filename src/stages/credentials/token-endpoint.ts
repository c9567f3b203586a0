/**
 * Warden as an OAuth client of an upstream's authorization server: the client credentials grant
 * (RFC 6749 §4.4) and token exchange (RFC 8693), both on oauth4webapi with client_secret_basic.
 * The token endpoint is operator-written configuration and trusted as written; plain http is
 * allowed only to a loopback address.
 */
import * as oauth from 'oauth4webapi';
import { WardenError } from '../../core/errors.js';

/** What Warden needs to ask one authorization server for a token. */
export interface OAuthClientSpec {
  /** The token endpoint URL (http only on a loopback host). */
  readonly tokenEndpoint: string;
  readonly clientId: string;
  /** A secret reference to the client secret. */
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  /** RFC 8707 `resource`; the upstream URL when neither this nor `audience` is set. */
  readonly resource?: string;
  /** RFC 8693 `audience`. */
  readonly audience?: string;
}

/** A token the authorization server issued. */
export interface IssuedToken {
  readonly accessToken: string;
  /** `expires_in`, in seconds, when the server sent one. */
  readonly expiresIn: number | undefined;
}

/** Requests tokens from one authorization server for one upstream. */
export interface TokenEndpoint {
  /** Warden's own token (client credentials grant). */
  clientCredentials(): Promise<IssuedToken>;
  /** A token for the subject of `subjectToken`, with Warden as the actor (RFC 8693). */
  exchange(subjectToken: string, requestedTokenType: string): Promise<IssuedToken>;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** What may go into an Authorization header after `Bearer ` (RFC 6750 b64token, loosely: visible ASCII). */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** True for an address literal or name that can only be this machine. */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

function configError(path: string, message: string): WardenError {
  return new WardenError('ERR_CONFIG_INVALID', `${path}: ${message}`, {
    data: { problems: [{ path, message }] },
  });
}

/** The `resource`, `audience` and `scope` parameters every request to this server carries. */
function targetParams(spec: OAuthClientSpec, upstreamUrl: string): [string, string][] {
  const out: [string, string][] = [];
  if (spec.resource === undefined && spec.audience === undefined) out.push(['resource', upstreamUrl]);
  if (spec.resource !== undefined) out.push(['resource', spec.resource]);
  if (spec.audience !== undefined) out.push(['audience', spec.audience]);
  if (spec.scopes.length > 0) out.push(['scope', spec.scopes.join(' ')]);
  return out;
}

/** Checks what the token endpoint returned is a bearer token Warden can send in a header. */
function issued(res: oauth.TokenEndpointResponse): IssuedToken {
  // oauth4webapi lower-cases token_type and accepts DPoP tokens, which Warden cannot present.
  if (res.token_type !== 'bearer')
    throw new WardenError('ERR_UPSTREAM_CREDENTIAL', 'the token endpoint issued a non-bearer token', {
      data: { reason: 'token_type' },
    });
  if (!HEADER_SAFE.test(res.access_token))
    throw new WardenError('ERR_UPSTREAM_CREDENTIAL', 'the issued token cannot be sent in a header', {
      data: { reason: 'access_token' },
    });
  return { accessToken: res.access_token, expiresIn: res.expires_in };
}

/**
 * Prepares the client of one upstream's authorization server; throws ERR_CONFIG_INVALID at
 * start-up for an unusable token endpoint. `path` names the config entry in errors.
 */
export function createTokenEndpoint(
  path: string,
  spec: OAuthClientSpec,
  clientSecret: string,
  upstreamUrl: string,
  opts: { fetch?: typeof fetch; timeoutMs: number },
): TokenEndpoint {
  let url: URL;
  try {
    url = new URL(spec.tokenEndpoint);
  } catch {
    throw configError(`${path}.tokenEndpoint`, 'not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    throw configError(`${path}.tokenEndpoint`, 'must be https (plain http only on a loopback address)');
  if (url.username !== '' || url.password !== '')
    throw configError(`${path}.tokenEndpoint`, 'must not carry credentials in the URL');

  const as: oauth.AuthorizationServer = {
    // The issuer is only compared against ID tokens, which these grants do not return.
    issuer: url.origin,
    token_endpoint: url.href,
  };
  const client: oauth.Client = { client_id: spec.clientId };
  const auth = oauth.ClientSecretBasic(clientSecret);
  const options: oauth.TokenEndpointRequestOptions = {
    signal: () => AbortSignal.timeout(opts.timeoutMs),
    // Checked above: only a loopback token endpoint may be plain http (tests, a local sidecar).
    [oauth.allowInsecureRequests]: url.protocol === 'http:',
  };
  if (opts.fetch !== undefined) options[oauth.customFetch] = opts.fetch;
  const common = targetParams(spec, upstreamUrl);

  return {
    async clientCredentials() {
      const res = await oauth.clientCredentialsGrantRequest(as, client, auth, common, options);
      return issued(await oauth.processClientCredentialsResponse(as, client, res));
    },
    async exchange(subjectToken, requestedTokenType) {
      const params: [string, string][] = [
        ['subject_token', subjectToken],
        ['subject_token_type', ACCESS_TOKEN_TYPE],
        ['requested_token_type', requestedTokenType],
        ...common,
      ];
      const res = await oauth.genericTokenEndpointRequest(as, client, auth, TOKEN_EXCHANGE, params, options);
      return issued(await oauth.processGenericTokenEndpointResponse(as, client, res));
    },
  };
}
