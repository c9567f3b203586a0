/**
 * A `tools/call` with schema validation around it (issue 4 items 3): the arguments are checked
 * against the tool's `inputSchema` before anything is sent, the result's `structuredContent`
 * against its `outputSchema` before the client sees it. The schemas are the ones the session saw
 * in the server's `tools/list`; a call for a tool Warden has not seen listed makes Warden list the
 * server's tools itself, once, and a tool still missing from that list is refused.
 */
import type { JsonRpcRequest, JsonRpcResponse, Params } from '../core/jsonrpc.js';
import { resultResponse } from '../core/jsonrpc.js';
import { toolError } from '../stages/validate/index.js';
import type { ToolSchema } from '../stages/validate/index.js';
import type { RouteContext } from './dispatch.js';
import { ensureApproved } from './integrity.js';
import type { ClientSession } from './session.js';
import type { Upstreams } from './upstreams.js';

/** How a request is sent to one server (dispatch's `forward`). */
export type Send = (
  up: Upstreams,
  session: ClientSession,
  server: string,
  req: JsonRpcRequest,
  params: Params | undefined,
  route: RouteContext,
) => Promise<JsonRpcResponse>;

/** Most pages Warden follows when it lists a server's tools for validation. */
const MAX_PAGES = 50;

/** Records the tools of a `tools/list` answer that passed through to the client. */
export function learnTools(
  session: ClientSession,
  server: string,
  params: Params | undefined,
  res: JsonRpcResponse,
): void {
  if (!('result' in res) || !Array.isArray(res.result.tools)) return;
  const next = res.result.nextCursor;
  // Only a listing from the first page to the last is the complete list.
  const last = params?.cursor === undefined && (typeof next !== 'string' || next === '');
  session.toolSchemas.learn(server, res.result.tools as unknown[], last);
}

/** Lists every page of the server's tools into the session's schema map. */
async function listTools(
  up: Upstreams,
  session: ClientSession,
  server: string,
  req: JsonRpcRequest,
  route: RouteContext,
  send: Send,
): Promise<void> {
  const list: JsonRpcRequest = { jsonrpc: '2.0', id: req.id, method: 'tools/list' };
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await send(up, session, server, list, cursor === undefined ? {} : { cursor }, {
      track: false,
      ...(route.signal ? { signal: route.signal } : {}),
    });
    // A server that cannot list tools has none Warden could validate a call against.
    if (!('result' in res)) break;
    const next = res.result.nextCursor;
    const more = typeof next === 'string' && next !== '';
    session.toolSchemas.learn(
      server,
      Array.isArray(res.result.tools) ? (res.result.tools as unknown[]) : [],
      !more,
    );
    if (!more) return;
    cursor = next;
  }
  // Unfinished (error or too many pages): mark it complete anyway so a hostile server cannot make
  // every call list again; what was seen is what validates.
  session.toolSchemas.learn(server, [], true);
}

/** Validates, forwards and checks one `tools/call`; `params.name` is the server's own tool name. */
export async function callTool(
  up: Upstreams,
  session: ClientSession,
  server: string,
  req: JsonRpcRequest,
  params: Params | undefined,
  route: RouteContext,
  send: Send,
): Promise<JsonRpcResponse> {
  const tool = typeof params?.name === 'string' ? params.name : '';
  // Pinning first: a tool that is not approved in the version offered is never called or validated.
  await ensureApproved(up, session, server, 'tool', tool, route.signal);
  const v = up.validation;
  if (!v.input && !v.output) return send(up, session, server, req, params, route);
  let schema: ToolSchema | undefined = session.toolSchemas.get(server, tool);
  if (schema === undefined && !session.toolSchemas.complete(server)) {
    await listTools(up, session, server, req, route, send);
    schema = session.toolSchemas.get(server, tool);
  }
  const refused = v.checkInput(server, tool, schema, params?.arguments);
  if (refused !== undefined) {
    // Not a protocol error (the client gets an isError result), but a refusal the audit must show.
    route.decide?.({ stage: 'validate', decision: 'deny', rule: 'inputSchema' });
    return resultResponse(req.id, toolError(refused));
  }
  const res = await send(up, session, server, req, params, route);
  if (!('result' in res)) return res;
  const r = res.result;
  // Only a final result carries the tool's output: input_required rounds and task handles do not.
  if ((r.resultType !== undefined && r.resultType !== 'complete') || 'task' in r) return res;
  const withheld = v.checkOutput(server, tool, schema, r);
  if (withheld === undefined) return res;
  route.decide?.({ stage: 'validate', decision: 'deny', rule: 'outputSchema' });
  return resultResponse(req.id, toolError(withheld));
}
