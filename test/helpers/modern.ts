/**
 * Raw 2026-07-28-era requests to Warden: the per-request `_meta` a modern client sends, and one
 * POST with the `Mcp-Method` / `Mcp-Name` headers mirrored from the body, so a test controls every
 * byte and header (tokens, cookies, forged request state) without an SDK in between.
 */

/** The protocol version of the modern (sessionless) era. */
export const MODERN = '2026-07-28';
export const KEY_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const KEY_CLIENT = 'io.modelcontextprotocol/clientInfo';
export const KEY_CAPS = 'io.modelcontextprotocol/clientCapabilities';

/** A JSON-RPC message as the tests read it. */
export interface Msg {
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** The per-request `_meta` of a 2026-07-28 client. */
export function modernMeta(
  clientInfo: Record<string, unknown>,
  caps: Record<string, unknown> = {},
): Record<string, unknown> {
  return { [KEY_VERSION]: MODERN, [KEY_CLIENT]: clientInfo, [KEY_CAPS]: caps };
}

/**
 * POSTs one request as a 2026-07-28 client (headers mirrored from the body; `extra` adds or
 * overrides headers) and parses the answer; `M` is the shape the test reads the answer as.
 */
export async function modernPost<M = Msg>(
  url: string,
  id: number,
  method: string,
  params: Record<string, unknown>,
  extra: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; msg: M }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...extra,
  };
  if (typeof params.name === 'string' && (method === 'tools/call' || method === 'prompts/get'))
    headers['mcp-name'] = params.name;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  });
  return { status: res.status, headers: res.headers, msg: JSON.parse(await res.text()) as M };
}
