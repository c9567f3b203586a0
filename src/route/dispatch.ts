/**
 * Method routing: what happens to each client request once the request stages let it through.
 * A single-server endpoint forwards everything but ping; the aggregate endpoint fans list methods
 * out to every server and merges them with namespaced names, and routes calls by name or URI.
 */
import type { ClientChannel } from '../core/channel.js';
import { Canceller } from '../core/cancel.js';
import type { CancelSignal } from '../core/cancel.js';
import type { StageDecision } from '../core/exchange.js';
import { WardenError } from '../core/errors.js';
import type {
  JsonRpcMessage,
  JsonRpcRequest,
  JsonRpcResponse,
  JsonRpcResult,
  Params,
} from '../core/jsonrpc.js';
import { isRequest, methodNotFound, resultResponse } from '../core/jsonrpc.js';
import { CAPABILITY_FOR, META, metaOf } from '../core/protocol.js';
import { MRTR_METHODS } from './mrtr.js';
import { templateMatcher } from './template.js';
import type { TemplateMatcher } from './template.js';
import type { ClientSession } from './session.js';
import { verifyServerRequest } from '../stages/server-requests/index.js';
import { callTool, learnTools } from './tool-call.js';
import {
  LISTED,
  ensureApproved,
  ensureResourceApproved,
  reviewItems,
  reviewListResponse,
} from './integrity.js';
import type { Upstreams } from './upstreams.js';

/** Most pages Warden follows when it gathers a list from one upstream for the aggregate. */
const MAX_PAGES = 50;

/** Removes the 2026 per-request protocol keys before a request goes to a session-era upstream. */
export function stripModernMeta(params: Params | undefined): Params | undefined {
  const meta = params?._meta;
  if (params === undefined || meta === null || typeof meta !== 'object' || Array.isArray(meta)) return params;
  const m = { ...(meta as Record<string, unknown>) };
  delete m[META.protocolVersion];
  delete m[META.clientInfo];
  delete m[META.clientCapabilities];
  const out = { ...params };
  if (Object.keys(m).length === 0) delete out._meta;
  else out._meta = m;
  return out;
}

/** How a request is being routed: its reply path and how it can be cancelled. */
export interface RouteContext {
  readonly channel?: ClientChannel;
  /**
   * Cancels the request (2026-07-28: the client closed the stream). Without a signal, the request
   * is tracked by its JSON-RPC id so notifications/cancelled can reach it (2025 era: ids are unique
   * within a session).
   */
  readonly signal?: CancelSignal;
  /** False for Warden's own fan-out sub-requests, which share the client's id. */
  readonly track?: boolean;
  /** Records a decision on the exchange's audit record (schema validation refusals). */
  readonly decide?: (d: StageDecision) => void;
}

/** Most input_required rounds Warden answers for a session-era client before giving up. */
const MAX_ROUNDS = 8;

function isInputRequired(res: JsonRpcResponse): res is JsonRpcResult {
  return 'result' in res && res.result.resultType === 'input_required';
}

/**
 * A 2026-07-28 upstream answered a session-era client with input_required: Warden asks the client
 * each input request as an ordinary server→client request on the call's stream, then retries the
 * upstream with the answers and the upstream's own requestState.
 */
async function bridgeInputRequired(
  up: Upstreams,
  session: ClientSession,
  server: string,
  req: JsonRpcRequest,
  params: Params | undefined,
  first: JsonRpcResult,
  channel: ClientChannel | undefined,
  send: (p: Params | undefined) => Promise<JsonRpcResponse>,
): Promise<JsonRpcResponse> {
  let res: JsonRpcResponse = first;
  for (let round = 0; round < MAX_ROUNDS && isInputRequired(res); round++) {
    const asks = res.result.inputRequests;
    const answers: Record<string, unknown> = {};
    if (asks !== null && typeof asks === 'object') {
      for (const [key, ask] of Object.entries(asks as Record<string, unknown>)) {
        const a = ask as { method?: unknown; params?: unknown };
        if (typeof a.method !== 'string') continue;
        verifyServerRequest(server, up.allowOf(server), a.method, a.params as Params | undefined);
        const need = CAPABILITY_FOR[a.method];
        if (need === undefined || session.hello.capabilities[need] === undefined) {
          throw new WardenError(
            'ERR_UPSTREAM_ERA',
            `the upstream needs ${a.method.slice(0, 64)}, which this client did not declare`,
            {
              data: { server, method: a.method.slice(0, 64) },
            },
          );
        }
        const reply = await session.askClient(
          a.method,
          a.params as Params | undefined,
          channel,
          up.requestTimeout(server),
        );
        if (!('result' in reply)) {
          throw new WardenError(
            'ERR_UPSTREAM_ERA',
            `the client refused ${a.method}: ${reply.error.message.slice(0, 200)}`,
            {
              data: { server, method: a.method, clientCode: reply.error.code },
            },
          );
        }
        answers[key] = reply.result;
      }
    }
    const next: Params = { ...params, inputResponses: answers };
    if (typeof res.result.requestState === 'string') next.requestState = res.result.requestState;
    res = await send(next);
  }
  if (isInputRequired(res))
    throw new WardenError('ERR_UPSTREAM_ERA', 'the upstream kept asking for input', { data: { server } });
  return res;
}

/** Sends one request to one server of the session and returns the answer with the client's id. */
export async function forward(
  up: Upstreams,
  session: ClientSession,
  server: string,
  req: JsonRpcRequest,
  rawParams: Params | undefined,
  route: RouteContext,
): Promise<JsonRpcResponse> {
  const channel = route.channel;
  const lease = await session.lease(server);
  const upstreamModern = lease.upstream.info?.era === 'modern';
  // A 2026 upstream gets the client's own request metadata; a session-era upstream never sees it.
  // Only a 2026 client's own request metadata may reach a 2026 upstream; a session-era client's
  // stray `_meta` keys could otherwise claim capabilities it never declared.
  const params = upstreamModern && session.era === 'modern' ? rawParams : stripModernMeta(rawParams);
  // Progress and logging of the request go to its reply path, with the client's own progress token.
  const relay = (m: JsonRpcMessage): void => session.fromUpstream(server, m, lease, channel);
  if (session.mrtr !== undefined && !upstreamModern && MRTR_METHODS.has(req.method)) {
    // 2026-07-28 client, session-era upstream: server requests become input_required round trips.
    const mrtr = session.mrtr;
    const owner = `${session.principal.key}|${session.endpoint}`;
    if (typeof params?.requestState === 'string') return mrtr.resume(owner, req, params, relay, route.signal);
    const caps = metaOf(rawParams)?.[META.clientCapabilities];
    const upParams: Params = { ...params };
    delete upParams.inputResponses;
    delete upParams.requestState;
    return mrtr.start(
      owner,
      req,
      params,
      lease,
      caps !== null && typeof caps === 'object' ? (caps as Record<string, unknown>) : {},
      relay,
      route.signal,
      (onMessage, signal) =>
        lease.upstream.request(req.method, upParams, {
          timeoutMs: up.requestTimeout(server),
          signal,
          // A forbidden server request is answered here and never becomes an input request.
          onMessage: (m) => {
            if (!isRequest(m) || !session.refuseServerRequest(server, m, lease)) onMessage(m);
          },
        }),
    );
  }
  const track = route.signal === undefined && route.track !== false;
  const ac = track ? session.track(req.id) : new Canceller();
  const onAbort = (): void => ac.abort();
  route.signal?.addEventListener('abort', onAbort, { once: true });
  if (route.signal?.aborted === true) ac.abort();
  try {
    const send = (p: Params | undefined): Promise<JsonRpcResponse> =>
      lease.upstream.request(req.method, p, {
        timeoutMs: up.requestTimeout(server),
        signal: ac.signal,
        onMessage: (m) => session.fromUpstream(server, m, lease, channel),
      });
    let res = await send(params);
    if (session.era === 'legacy' && upstreamModern && isInputRequired(res)) {
      res = await bridgeInputRequired(up, session, server, req, params, res, channel, send);
    }
    if (session.era === 'legacy' && 'result' in res && res.result.resultType === 'complete') {
      const { resultType: _drop, ...rest } = res.result;
      return { jsonrpc: '2.0', id: req.id, result: rest };
    }
    return { ...res, id: req.id };
  } finally {
    route.signal?.removeEventListener('abort', onAbort);
    if (track) session.untrack(req.id, ac);
  }
}

function capOf(session: ClientSession, up: Upstreams, server: string, cap: string): boolean {
  void up;
  return session.capabilities(server)?.[cap] !== undefined;
}

async function gather(
  up: Upstreams,
  session: ClientSession,
  req: JsonRpcRequest,
  cap: string,
  key: 'tools' | 'prompts' | 'resources' | 'resourceTemplates',
  visit: (server: string, item: Record<string, unknown>) => Record<string, unknown> | undefined,
  route: RouteContext,
): Promise<JsonRpcResponse> {
  const servers = session.servers.filter((s) => capOf(session, up, s, cap));
  const parts = await Promise.allSettled(
    servers.map(async (server) => {
      const raw: Record<string, unknown>[] = [];
      let complete = false;
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const params = cursor === undefined ? {} : { cursor };
        const res = await forward(up, session, server, req, params, {
          track: false,
          ...(route.signal ? { signal: route.signal } : {}),
        });
        if ('error' in res)
          throw new WardenError('ERR_UPSTREAM_UNAVAILABLE', res.error.message, { data: { server } });
        const list = res.result[key];
        if (Array.isArray(list)) {
          for (const it of list)
            if (it !== null && typeof it === 'object' && !Array.isArray(it))
              raw.push(it as Record<string, unknown>);
        }
        const next = res.result.nextCursor;
        if (typeof next !== 'string' || next === '') {
          complete = true;
          break;
        }
        cursor = next;
      }
      // Pinned kinds pass the integrity review per server before they are renamed and merged.
      const listed = LISTED[req.method];
      const integrity = up.integrity;
      const reviewed =
        listed === undefined || integrity === undefined || integrity.mode === 'off'
          ? raw
          : reviewItems(integrity, up, session, server, listed.kind, raw, {
              complete,
              lastPage: complete,
              connection: (await session.lease(server)).upstream,
              toClient: true,
            });
      const items: Record<string, unknown>[] = [];
      for (const it of reviewed) {
        const v = visit(server, it);
        if (v !== undefined) items.push(v);
      }
      return items;
    }),
  );
  const merged: Record<string, unknown>[] = [];
  let failures = 0;
  for (const p of parts) {
    if (p.status === 'fulfilled') merged.push(...p.value);
    else failures++;
  }
  if (failures > 0 && failures === parts.length) {
    const first = parts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    throw first?.reason instanceof WardenError ? first.reason : new WardenError('ERR_UPSTREAM_UNAVAILABLE');
  }
  return resultResponse(req.id, { [key]: merged });
}

function ownerOfUri(session: ClientSession, up: Upstreams, uri: string): string | undefined {
  const known = session.resourceOwner.get(uri);
  if (known !== undefined) return known;
  const hits = [...session.templateMatchers].filter(([, ms]) => ms.some((m) => m.test(uri))).map(([s]) => s);
  if (hits.length === 1) return hits[0];
  const withResources = session.servers.filter((s) => capOf(session, up, s, 'resources'));
  return withResources.length === 1 ? withResources[0] : undefined;
}

function unknownName(kind: string, name: unknown): WardenError {
  return new WardenError(
    'ERR_INVALID_PARAMS',
    `Unknown ${kind}: ${typeof name === 'string' ? name.slice(0, 200) : 'missing name'}`,
    {
      data: { kind },
    },
  );
}

/** An item with its namespaced name, or undefined when it has no usable name. */
function renamed(
  item: Record<string, unknown>,
  add: (server: string, name: string) => string | undefined,
  server: string,
): Record<string, unknown> | undefined {
  if (typeof item.name !== 'string') return undefined;
  const name = add(server, item.name);
  return name === undefined ? undefined : { ...item, name };
}

/** Routes one request of an aggregate-endpoint session. */
async function dispatchAggregate(
  up: Upstreams,
  session: ClientSession,
  req: JsonRpcRequest,
  params: Params | undefined,
  route: RouteContext,
): Promise<JsonRpcResponse> {
  switch (req.method) {
    case 'tools/list':
      return gather(
        up,
        session,
        req,
        'tools',
        'tools',
        (s, t) => {
          session.toolSchemas.learn(s, [t], false);
          return renamed(t, session.tools.add.bind(session.tools), s);
        },
        route,
      );
    case 'prompts/list':
      return gather(
        up,
        session,
        req,
        'prompts',
        'prompts',
        (s, p) => renamed(p, session.prompts.add.bind(session.prompts), s),
        route,
      );
    case 'resources/list':
      return gather(
        up,
        session,
        req,
        'resources',
        'resources',
        (s, r) => {
          if (typeof r.uri !== 'string') return undefined;
          session.resourceOwner.set(r.uri, s);
          return r;
        },
        route,
      );
    case 'resources/templates/list': {
      const seen = new Map<string, TemplateMatcher[]>();
      const res = await gather(
        up,
        session,
        req,
        'resources',
        'resourceTemplates',
        (s, t) => {
          if (typeof t.uriTemplate !== 'string') return undefined;
          const out = renamed(t, session.templates.add.bind(session.templates), s);
          if (out === undefined) return undefined;
          const list = seen.get(s) ?? [];
          list.push(templateMatcher(t.uriTemplate));
          seen.set(s, list);
          return out;
        },
        route,
      );
      for (const [s, ms] of seen) session.templateMatchers.set(s, ms);
      return res;
    }
    case 'tools/call':
    case 'prompts/get': {
      const table = req.method === 'tools/call' ? session.tools : session.prompts;
      const target =
        typeof params?.name === 'string' ? table.resolve(params.name, session.serverSet) : undefined;
      if (target === undefined)
        throw unknownName(req.method === 'tools/call' ? 'tool' : 'prompt', params?.name);
      const p = { ...params, name: target.name };
      if (req.method === 'tools/call') return callTool(up, session, target.server, req, p, route, forward);
      await ensureApproved(up, session, target.server, 'prompt', target.name, route.signal);
      return forward(up, session, target.server, req, p, route);
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      const uri = params?.uri;
      const owner = typeof uri === 'string' ? ownerOfUri(session, up, uri) : undefined;
      if (owner === undefined) throw unknownName('resource', uri);
      if (req.method !== 'resources/unsubscribe')
        await ensureResourceApproved(up, session, owner, uri as string, route.signal);
      return forward(up, session, owner, req, params, route);
    }
    case 'completion/complete': {
      const ref = params?.ref as Record<string, unknown> | undefined;
      if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
        const t = session.prompts.resolve(ref.name, session.serverSet);
        if (t === undefined) throw unknownName('prompt', ref.name);
        return forward(up, session, t.server, req, { ...params, ref: { ...ref, name: t.name } }, route);
      }
      if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
        const owner = ownerOfUri(session, up, ref.uri);
        if (owner === undefined) throw unknownName('resource', ref.uri);
        return forward(up, session, owner, req, params, route);
      }
      throw unknownName('completion reference', undefined);
    }
    case 'logging/setLevel': {
      const targets = session.servers.filter((s) => capOf(session, up, s, 'logging'));
      await Promise.allSettled(targets.map((s) => forward(up, session, s, req, params, { track: false })));
      return resultResponse(req.id, {});
    }
    default:
      return methodNotFound(req.id, req.method);
  }
}

/** Routes one client request (not initialize) of a session. */
export async function dispatch(
  up: Upstreams,
  session: ClientSession,
  req: JsonRpcRequest,
  route: RouteContext,
): Promise<JsonRpcResponse> {
  if (req.method === 'ping') return resultResponse(req.id, {});
  const params = req.params;
  if (session.aggregate) return dispatchAggregate(up, session, req, params, route);
  const server = session.servers[0];
  if (server === undefined) throw new WardenError('ERR_TRANSPORT_NOT_FOUND');
  if (req.method === 'tools/call') return callTool(up, session, server, req, params, route, forward);
  if (req.method === 'prompts/get')
    await ensureApproved(
      up,
      session,
      server,
      'prompt',
      typeof params?.name === 'string' ? params.name : '',
      route.signal,
    );
  if (
    (req.method === 'resources/read' || req.method === 'resources/subscribe') &&
    typeof params?.uri === 'string'
  )
    await ensureResourceApproved(up, session, server, params.uri, route.signal);
  const res = await reviewListResponse(
    up,
    session,
    server,
    req.method,
    params,
    await forward(up, session, server, req, params, route),
  );
  if (req.method === 'tools/list') learnTools(session, server, params, res);
  return res;
}
