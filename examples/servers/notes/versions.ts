/**
 * Protocol revisions, capabilities and self-description of the notes server, for both the
 * session era (`initialize`) and the sessionless 2026-07-28 era (`server/discover`).
 */
import type { JsonObject } from './rpc.js';

/** Which family of revisions a request belongs to. */
export type Era = 'legacy' | 'modern';

/** Session-era revisions, newest first. */
export const LEGACY_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];
/** Sessionless-era revisions. */
export const MODERN_VERSIONS: readonly string[] = ['2026-07-28'];
/** Every revision served, newest first. */
export const SUPPORTED_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...LEGACY_VERSIONS];
/** The server's self-description. */
export const SERVER_INFO = { name: 'warden-demo-notes', version: '0.1.0' } as const;

/** The `_meta` key a modern request declares its revision under. */
export const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
/** The `_meta` key a modern result names the server under. */
export const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';

/** Guidance for the model, sent in `initialize` and `server/discover` results. */
export const INSTRUCTIONS =
  'Plain-text notes stored on local disk. Use search_notes or list_notes to find a note before ' +
  'reading it; write_note replaces the whole note. Each note is also a resource at note://<name>.';

/** Capabilities announced to a legacy session. */
export const LEGACY_CAPABILITIES = {
  tools: { listChanged: true },
  resources: { listChanged: true },
  prompts: { listChanged: true },
  logging: {},
  completions: {},
};

// 2026-07-28 delivers list changes only over subscriptions/listen and drops logging/setLevel, neither of
// which this server implements, so the modern capabilities leave them out.
/** Capabilities announced by `server/discover`. */
export const MODERN_CAPABILITIES = { tools: {}, resources: {}, prompts: {}, completions: {} };

// Static lists may be cached by anyone; note contents are private and change on every write.
const STATIC_CACHE = { ttlMs: 300_000, cacheScope: 'public' };
const NOTE_CACHE = { ttlMs: 0, cacheScope: 'private' };

/** The cache hints 2026-07-28 requires on list and read results, by method. */
export const CACHE_BY_METHOD: Readonly<Record<string, JsonObject>> = {
  'tools/list': STATIC_CACHE,
  'prompts/list': STATIC_CACHE,
  'resources/templates/list': STATIC_CACHE,
  'resources/list': NOTE_CACHE,
  'resources/read': NOTE_CACHE,
};

/** The `server/discover` result. */
export function discoverResult(): JsonObject {
  return {
    resultType: 'complete',
    supportedVersions: SUPPORTED_VERSIONS,
    capabilities: MODERN_CAPABILITIES,
    serverInfo: SERVER_INFO,
    instructions: INSTRUCTIONS,
    ...STATIC_CACHE,
    _meta: { [SERVER_INFO_KEY]: SERVER_INFO },
  };
}
