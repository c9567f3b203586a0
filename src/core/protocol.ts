/**
 * MCP protocol versions and eras Warden speaks. "Legacy" revisions establish a session with an
 * `initialize` handshake; "modern" revisions (2026-07-28 on) carry version, client info and
 * capabilities in every request's `_meta` and have no sessions.
 */
import type { JsonRpcRequest, Params } from './jsonrpc.js';

/** Revisions served in the session era, newest first. */
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
/** Revisions served in the sessionless era, newest first. */
export const MODERN_VERSIONS = ['2026-07-28'] as const;
/** Every revision Warden serves, newest first. */
export const SUPPORTED_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...LEGACY_VERSIONS];
/** The newest session-era revision, offered when a client asks for one Warden does not know. */
export const LATEST_LEGACY = LEGACY_VERSIONS[0];
/** The newest revision. */
export const LATEST_MODERN = MODERN_VERSIONS[0];

/** Which family of revisions an exchange belongs to. */
export type Era = 'legacy' | 'modern';

const LEGACY_SET: ReadonlySet<string> = new Set(LEGACY_VERSIONS);
const MODERN_SET: ReadonlySet<string> = new Set(MODERN_VERSIONS);
const VERSION_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/** The era of a revision string, or undefined when Warden does not serve it. */
export function eraOf(version: string): Era | undefined {
  if (MODERN_SET.has(version)) return 'modern';
  if (LEGACY_SET.has(version)) return 'legacy';
  return undefined;
}

/** True when the string has the YYYY-MM-DD shape of an MCP revision. */
export function isVersionShaped(version: string): boolean {
  return VERSION_SHAPE.test(version);
}

/** Reserved `_meta` keys of the 2026-07-28 revision. */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
} as const;

/** The `_meta` object of a request's params, if it has one. */
export function metaOf(params: Params | undefined): Record<string, unknown> | undefined {
  const m = params?._meta;
  return typeof m === 'object' && m !== null && !Array.isArray(m)
    ? (m as Record<string, unknown>)
    : undefined;
}

/** The protocol version a modern request declares in its `_meta`, if any. */
export function declaredVersion(req: JsonRpcRequest | { params?: Params }): string | undefined {
  const v = metaOf(req.params)?.[META.protocolVersion];
  return typeof v === 'string' ? v : undefined;
}

/** Methods whose `Mcp-Name` header mirrors a body field in 2026-07-28, and which field. */
export const NAME_SOURCE: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/** Decodes an `Mcp-Name`/`Mcp-Param-*` header value (plain, or the `=?base64?…?=` sentinel form). */
export function decodeHeaderValue(value: string): string | undefined {
  if (value.startsWith('=?base64?') && value.endsWith('?=') && value.length >= 11) {
    const b64 = value.slice(9, -2);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
    const bytes = Buffer.from(b64, 'base64');
    // Only canonical base64 of valid UTF-8: anything else could smuggle two readings of one value.
    if (bytes.toString('base64') !== b64) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
  }
  // RFC 9110 field values: visible ASCII, space and tab only.
  return /^[\x20-\x7e\t]*$/.test(value) ? value : undefined;
}

/** Encodes a value for `Mcp-Name`, using the sentinel form when it is not plain header-safe ASCII. */
export function encodeHeaderValue(value: string): string {
  const plain =
    /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) &&
    !(value.startsWith('=?base64?') && value.endsWith('?='));
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** The client capability each server→client request needs. */
export const CAPABILITY_FOR: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};
