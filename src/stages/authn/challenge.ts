/**
 * The resource-server surface of the coming authentication stage: the RFC 9728 protected-resource
 * metadata document of an endpoint and the RFC 6750 `WWW-Authenticate` challenges (401 with
 * `resource_metadata` and `scope`, 403 `insufficient_scope` for step-up). Pure functions, not
 * wired into the pipeline yet.
 */

/** RFC 9728 §2 metadata for one endpoint. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly bearer_methods_supported: readonly ['header'];
  readonly scopes_supported?: readonly string[];
  readonly resource_name?: string;
}

/** The well-known metadata URL of an endpoint (RFC 9728 §3.1: inserted before the path). */
export function metadataUrl(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === '/' ? '' : u.pathname;
  return `${u.origin}/.well-known/oauth-protected-resource${path}`;
}

/** Builds the metadata document; only the header bearer method, never query or body tokens. */
export function protectedResourceMetadata(
  resource: string,
  authorizationServers: readonly string[],
  scopes?: readonly string[],
  name?: string,
): ProtectedResourceMetadata {
  if (authorizationServers.length === 0)
    throw new Error('protected-resource metadata needs at least one authorization server');
  const doc: ProtectedResourceMetadata = {
    resource,
    authorization_servers: [...authorizationServers],
    bearer_methods_supported: ['header'],
  };
  return {
    ...doc,
    ...(scopes !== undefined && scopes.length > 0 ? { scopes_supported: [...scopes] } : {}),
    ...(name !== undefined ? { resource_name: name } : {}),
  };
}

// RFC 6750 §3: auth-param values are quoted strings; a quote or backslash must be escaped and
// control characters have no place in a header at all.
function quoted(value: string): string {
  return `"${value.replace(/[\x00-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&')}"`;
}

/** What a challenge says. */
export interface Challenge {
  /** `invalid_token` when a token was sent and refused; absent when none was sent (RFC 6750 §3.1). */
  readonly error?: 'invalid_token' | 'insufficient_scope' | 'invalid_request';
  readonly description?: string;
  readonly resourceMetadata: string;
  readonly scopes?: readonly string[];
}

/** Formats a `WWW-Authenticate: Bearer …` value. */
export function bearerChallenge(c: Challenge): string {
  const parts = [`resource_metadata=${quoted(c.resourceMetadata)}`];
  if (c.scopes !== undefined && c.scopes.length > 0)
    parts.push(`scope=${quoted([...new Set(c.scopes)].join(' '))}`);
  if (c.error !== undefined) parts.push(`error=${quoted(c.error)}`);
  if (c.description !== undefined) parts.push(`error_description=${quoted(c.description.slice(0, 200))}`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * The scopes a step-up challenge asks for: the scopes the token already holds for this resource
 * (those in `supported`) plus the ones the call needs, so the client's new token does not lose what
 * the old one had (MCP authorization, scope step-up).
 */
export function stepUpScopes(
  granted: readonly string[],
  needed: readonly string[],
  supported: readonly string[],
): string[] {
  const kept = granted.filter((s) => supported.includes(s));
  return [...new Set([...kept, ...needed])];
}
