/**
 * Method routing: what happens to each client request once the request stages let it through.
 * A single-server endpoint forwards everything but ping; the aggregate endpoint fans list methods
 * out to every server and merges them with namespaced names, and routes calls by name or URI.
 */
import type { ClientChannel } from '../core/channel.js';
import { WardenError } from '../core/errors.js';
import type { JsonRpcRequest, JsonRpcResponse, Params } from '../core/jsonrpc.js';
import { methodNotFound, resultResponse } from '../core/jsonrpc.js';
import { META, metaOf } from '../core/protocol.js';
import { MRTR_METHODS } from './mrtr.js';
import type { ClientSession } from './session.js';
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

/** Sends one request to one server of the session and returns the answer with the client's id. */
export async function forward(
  up: Upstreams,
  session: ClientSession,
  server: string,
  req: JsonRpcRequest,
  params: Params | undefined,
  channel: ClientChannel | undefined,
  track = true,
): Promise<JsonRpcResponse> {
  const lease = await session.lease(server);
  if (session.mrtr !== undefined && MRTR_METHODS.has(req.method)) {
    // 2026-07-28: server requests of a session-era upstream become input_required round trips.
    const mrtr = session.mrtr;
    const owner = `${session.principal.key}|${session.endpoint}`;
    if (typeof params?.requestState === 'string') return mrtr.resume(owner, req, params);
    const caps = metaOf(req.params)?.[META.clientCapabilities];
    const upParams: Params = { ...params };
    delete upParams.inputResponses;
    delete upParams.requestState;
    return mrtr.start(
      owner,
      req,
      params,
      lease,
      caps !== null && typeof caps === 'object' ? (caps as Record<string, unknown>) : {},
      (onMessage, signal) =>
        lease.upstream.request(req.method, upParams, {
          timeoutMs: up.requestTimeout(server),
          signal,
          onMessage,
        }),
    );
  }
  const ac = track ? session.track(req.id) : new AbortController();
  try {
    const res = await lease.upstream.request(req.method, params, {
      timeoutMs: up.requestTimeout(server),
      signal: ac.signal,
      onMessage: (m) => session.fromUpstream(server, m, lease, channel),
    });
    return { ...res, id: req.id };
  } finally {
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
): Promise<JsonRpcResponse> {
  const servers = session.servers.filter((s) => capOf(session, up, s, cap));
  const parts = await Promise.allSettled(
    servers.map(async (server) => {
      const items: Record<string, unknown>[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const params = cursor === undefined ? {} : { cursor };
        const res = await forward(up, session, server, req, params, undefined, false);
        if ('error' in res)
          throw new WardenError('ERR_UPSTREAM_UNAVAILABLE', res.error.message, { data: { server } });
        const list = res.result[key];
        if (Array.isArray(list)) {
          for (const it of list) {
            if (it !== null && typeof it === 'object') {
              const v = visit(server, it as Record<string, unknown>);
              if (v !== undefined) items.push(v);
            }
          }
        }
        const next = res.result.nextCursor;
        if (typeof next !== 'string' || next === '') break;
        cursor = next;
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

/** Compiles an RFC 6570 URI template into a matcher (simple and reserved expansions). */
export function templateMatcher(template: string): RegExp {
  let re = '^';
  let last = 0;
  for (const m of template.matchAll(/\{([+#./;?&]?)([^}]*)\}/g)) {
    re += template.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const op = m[1];
    re += op === '+' || op === '#' ? '.*' : op === '?' || op === '&' ? '(?:[?&].*)?' : '[^/?#]*';
    last = m.index + m[0].length;
  }
  re += template.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
  return new RegExp(re);
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

/** Routes one request of an aggregate-endpoint session. */
async function dispatchAggregate(
  up: Upstreams,
  session: ClientSession,
  req: JsonRpcRequest,
  params: Params | undefined,
  channel: ClientChannel | undefined,
): Promise<JsonRpcResponse> {
  switch (req.method) {
    case 'tools/list':
      return gather(up, session, req, 'tools', 'tools', (s, t) =>
        typeof t.name === 'string' ? { ...t, name: session.tools.add(s, t.name) } : undefined,
      );
    case 'prompts/list':
      return gather(up, session, req, 'prompts', 'prompts', (s, p) =>
        typeof p.name === 'string' ? { ...p, name: session.prompts.add(s, p.name) } : undefined,
      );
    case 'resources/list':
      return gather(up, session, req, 'resources', 'resources', (s, r) => {
        if (typeof r.uri !== 'string') return undefined;
        session.resourceOwner.set(r.uri, s);
        return r;
      });
    case 'resources/templates/list': {
      const seen = new Map<string, RegExp[]>();
      const res = await gather(up, session, req, 'resources', 'resourceTemplates', (s, t) => {
        if (typeof t.uriTemplate !== 'string' || typeof t.name !== 'string') return undefined;
        const list = seen.get(s) ?? [];
        list.push(templateMatcher(t.uriTemplate));
        seen.set(s, list);
        return { ...t, name: session.templates.add(s, t.name) };
      });
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
      return forward(up, session, target.server, req, { ...params, name: target.name }, channel);
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      const uri = params?.uri;
      const owner = typeof uri === 'string' ? ownerOfUri(session, up, uri) : undefined;
      if (owner === undefined) throw unknownName('resource', uri);
      return forward(up, session, owner, req, params, channel);
    }
    case 'completion/complete': {
      const ref = params?.ref as Record<string, unknown> | undefined;
      if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
        const t = session.prompts.resolve(ref.name, session.serverSet);
        if (t === undefined) throw unknownName('prompt', ref.name);
        return forward(up, session, t.server, req, { ...params, ref: { ...ref, name: t.name } }, channel);
      }
      if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
        const owner = ownerOfUri(session, up, ref.uri);
        if (owner === undefined) throw unknownName('resource', ref.uri);
        return forward(up, session, owner, req, params, channel);
      }
      throw unknownName('completion reference', undefined);
    }
    case 'logging/setLevel': {
      const targets = session.servers.filter((s) => capOf(session, up, s, 'logging'));
      await Promise.allSettled(targets.map((s) => forward(up, session, s, req, params, undefined, false)));
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
  channel: ClientChannel | undefined,
): Promise<JsonRpcResponse> {
  if (req.method === 'ping') return resultResponse(req.id, {});
  const params = session.era === 'modern' ? stripModernMeta(req.params) : req.params;
  if (session.aggregate) return dispatchAggregate(up, session, req, params, channel);
  const server = session.servers[0];
  if (server === undefined) throw new WardenError('ERR_TRANSPORT_NOT_FOUND');
  return forward(up, session, server, req, params, channel);
}
