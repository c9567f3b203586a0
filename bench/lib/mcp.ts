/**
 * The MCP client side of the benchmark over Streamable HTTP: the initialize handshake, tool-call
 * bodies and the checks applied to responses.
 */
import { BLOB_TEXT, ECHO_TEXT } from './payload.js';

/** Protocol revision the benchmark client speaks. */
export const PROTOCOL_VERSION = '2025-11-25';

/** The two workloads. */
export type Workload = 'echo' | 'blob64k';

/** Every workload, in the order they are run. */
export const WORKLOADS: readonly Workload[] = ['echo', 'blob64k'];

/** An initialized MCP connection: the endpoint and the headers every request must carry. */
export interface McpSession {
  readonly url: string;
  readonly sessionId?: string;
  readonly headers: Record<string, string>;
}

/** Request headers for an endpoint, with the session header when there is one. */
export function mcpHeaders(sessionId?: string): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': PROTOCOL_VERSION,
  };
  if (sessionId !== undefined) h['mcp-session-id'] = sessionId;
  return h;
}

/** A `tools/call` body for `workload`; `id` is inserted as a JSON string. */
export function toolCallBody(workload: Workload, id: string): string {
  const params =
    workload === 'echo'
      ? { name: 'echo', arguments: { text: ECHO_TEXT } }
      : { name: 'blob64k', arguments: {} };
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The JSON-RPC message in a response body: a JSON object, or the last `data:` event of an SSE
 * stream carrying a response. Throws on anything else.
 */
export function parseRpcBody(body: string): Record<string, unknown> {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) {
    const v: unknown = JSON.parse(trimmed);
    if (!isRecord(v)) throw new Error('body is not a JSON object');
    return v;
  }
  let found: Record<string, unknown> | undefined;
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data.length === 0) continue;
    const v: unknown = JSON.parse(data);
    if (isRecord(v) && ('result' in v || 'error' in v)) found = v;
  }
  if (found === undefined) throw new Error(`no JSON-RPC response in body: ${body.slice(0, 120)}`);
  return found;
}

/** Why a tool-call response body is wrong for `workload`, or undefined when it is right. */
export function checkToolResult(workload: Workload, body: string): string | undefined {
  let msg: Record<string, unknown>;
  try {
    msg = parseRpcBody(body);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  if (isRecord(msg.error)) return `JSON-RPC error ${String(msg.error.code)}: ${String(msg.error.message)}`;
  const result = msg.result;
  if (!isRecord(result)) return 'no result';
  if (result.isError === true) return 'tool returned isError';
  const content = result.content;
  const first: unknown = Array.isArray(content) ? content[0] : undefined;
  if (!isRecord(first) || first.type !== 'text' || typeof first.text !== 'string') return 'no text content';
  const expected = workload === 'echo' ? ECHO_TEXT : BLOB_TEXT;
  if (first.text !== expected) return `unexpected text (${first.text.length} chars)`;
  return undefined;
}

/** True when a body is a JSON-RPC error (cheap test used on unsampled responses). */
export function looksLikeRpcError(body: string): boolean {
  return body.includes('"error":{');
}

async function post(url: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

/**
 * Runs the initialize handshake against `url` (initialize, then notifications/initialized unless
 * `notify` is false) and returns the session to use; `sessionId` is set when the endpoint is
 * sessionful. `extra` headers (e.g. `authorization`) go on every request, now and in the session.
 */
export async function initialize(
  url: string,
  notify = true,
  extra: Readonly<Record<string, string>> = {},
): Promise<McpSession> {
  const first = { ...mcpHeaders(), ...extra };
  const res = await post(url, first, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'warden-bench', version: '1.0.0' },
    },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`initialize: HTTP ${res.status}: ${text.slice(0, 200)}`);
  const msg = parseRpcBody(text);
  if (!isRecord(msg.result) || typeof msg.result.protocolVersion !== 'string') {
    throw new Error(`initialize: unexpected response ${text.slice(0, 200)}`);
  }
  const sessionId = res.headers.get('mcp-session-id') ?? undefined;
  const headers = { ...mcpHeaders(sessionId), ...extra };
  if (!notify) return sessionId === undefined ? { url, headers } : { url, sessionId, headers };
  const note = await post(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' });
  await note.arrayBuffer();
  if (note.status !== 202 && note.status !== 200 && note.status !== 204) {
    throw new Error(`notifications/initialized: HTTP ${note.status}`);
  }
  return sessionId === undefined ? { url, headers } : { url, sessionId, headers };
}

/** Ends a sessionful session with DELETE; returns the HTTP status. */
export async function closeSession(session: McpSession): Promise<number> {
  if (session.sessionId === undefined) return 0;
  const res = await fetch(session.url, {
    method: 'DELETE',
    headers: session.headers,
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** One tool call with a full check of the answer; throws when it is wrong. */
export async function callOnce(session: McpSession, workload: Workload, id: string): Promise<void> {
  const res = await fetch(session.url, {
    method: 'POST',
    headers: session.headers,
    body: toolCallBody(workload, id),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${workload}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  const why = checkToolResult(workload, text);
  if (why !== undefined) throw new Error(`${workload}: ${why}`);
}
