/**
 * Notes as MCP resources (`note://<name>`), and argument completion over note names.
 */
import { PROMPTS, RESOURCE_TEMPLATES } from './catalog.js';
import { CODE, RpcError, isObject, type JsonObject } from './rpc.js';
import { NAME_PATTERN, NoteError, type NoteStore } from './store.js';
import type { Era } from './versions.js';

/** Most completion values one answer may carry, per the spec. */
const MAX_COMPLETIONS = 100;

/** The `resources/list` result: one text/plain resource per note. */
export async function listResources(store: NoteStore): Promise<JsonObject> {
  const resources = (await store.list()).map((n) => ({
    uri: `note://${n.name}`,
    name: n.name,
    title: n.name,
    mimeType: 'text/plain',
    size: n.bytes,
  }));
  return { resources };
}

/** The `resources/read` result for a `note://` URI; a missing note is a protocol error. */
export async function readResource(store: NoteStore, uri: unknown, era: Era): Promise<JsonObject> {
  // 2026-07-28 moved "resource not found" from -32002 to -32602.
  const code = era === 'modern' ? CODE.invalidParams : CODE.resourceNotFound;
  const notFound = new RpcError(code, 'Resource not found', { uri });
  const name = typeof uri === 'string' ? /^note:\/\/(.*)$/.exec(uri)?.[1] : undefined;
  if (name === undefined || !NAME_PATTERN.test(name)) throw notFound;
  try {
    const text = await store.read(name);
    return { contents: [{ uri, mimeType: 'text/plain', text }] };
  } catch (err) {
    if (err instanceof NoteError) throw notFound;
    throw err;
  }
}

/** The `completion/complete` result: note names starting with the typed value, ignoring case. */
export async function complete(store: NoteStore, params: JsonObject): Promise<JsonObject> {
  const ref = isObject(params.ref) ? params.ref : {};
  const argument = isObject(params.argument) ? params.argument : {};
  const known =
    (ref.type === 'ref/prompt' && PROMPTS.some((p) => p.name === ref.name)) ||
    (ref.type === 'ref/resource' && RESOURCE_TEMPLATES.some((t) => t.uriTemplate === ref.uri));
  if (!known) throw new RpcError(CODE.invalidParams, 'Unknown completion reference');
  if (argument.name !== 'name') return { completion: { values: [], total: 0, hasMore: false } };
  const prefix = typeof argument.value === 'string' ? argument.value.toLowerCase() : '';
  const names = (await store.list()).map((n) => n.name).filter((n) => n.toLowerCase().startsWith(prefix));
  return {
    completion: {
      values: names.slice(0, MAX_COMPLETIONS),
      total: names.length,
      hasMore: names.length > MAX_COMPLETIONS,
    },
  };
}
