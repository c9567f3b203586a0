/**
 * The route layer's side of pinning (docs/integrity.md): list results pass the integrity engine
 * before the client sees them, a call or get is checked against what its connection listed
 * (listing on demand when the connection has not listed that kind yet), and an upstream's
 * `list_changed` makes Warden list again and tell the client only when what it may see changed.
 */
import type { CancelSignal } from '../core/cancel.js';
import { WardenError } from '../core/errors.js';
import type { JsonRpcResponse, Params } from '../core/jsonrpc.js';
import { isStdioServer } from '../config/schema.js';
import { canonicalDefinition, pinName } from '../stages/integrity/index.js';
import type { DefinitionKind, IdentityFacts, Integrity } from '../stages/integrity/index.js';
import { seenSpkiOf } from '../transport/upstream-tls.js';
import { templateMatcher } from './template.js';
import type { TemplateMatcher } from './template.js';
import type { ClientSession } from './session.js';
import type { Lease, Upstreams } from './upstreams.js';

/** The list methods whose items are pinned: kind and result key. */
export const LISTED: Readonly<Record<string, { kind: DefinitionKind; key: string; cap: string }>> = {
  'tools/list': { kind: 'tool', key: 'tools', cap: 'tools' },
  'prompts/list': { kind: 'prompt', key: 'prompts', cap: 'prompts' },
  'resources/templates/list': { kind: 'resourceTemplate', key: 'resourceTemplates', cap: 'resources' },
};

/** The list method of each kind. */
const METHOD_OF: Readonly<Record<DefinitionKind, string>> = {
  tool: 'tools/list',
  prompt: 'prompts/list',
  resourceTemplate: 'resources/templates/list',
};

/** Upstream notifications that make Warden list a kind again. */
export const CHANGED: Readonly<Record<string, DefinitionKind>> = {
  'notifications/tools/list_changed': 'tool',
  'notifications/prompts/list_changed': 'prompt',
  'notifications/resources/list_changed': 'resourceTemplate',
};

/** Most pages Warden follows when it lists a kind itself. */
const MAX_PAGES = 50;

/** The identity facts of a server as this session's connection shows them. */
export function identityOf(up: Upstreams, session: ClientSession, server: string): IdentityFacts {
  const cfg = up.configOf(server);
  if (cfg === undefined) throw new WardenError('ERR_TRANSPORT_NOT_FOUND', `no server named ${server}`);
  if (isStdioServer(cfg))
    return {
      transport: 'stdio',
      command: cfg.command,
      args: cfg.args,
      serverInfo: session.infoOf(server)?.serverInfo,
    };
  const url = new URL(cfg.url);
  return {
    transport: 'http',
    url: url.href,
    tlsSpkiSha256: url.protocol === 'https:' ? seenSpkiOf(url.host) : undefined,
  };
}

/** What each session's client was last shown, per server and kind: sorted `name hash` lines. */
const shown = new WeakMap<ClientSession, Map<string, string>>();

/** Per gateway (its Upstreams): the sessions that were given a list, to tell them of approvals. */
const watchers = new WeakMap<Upstreams, Set<WeakRef<ClientSession>>>();

/** The list_changed notification of each kind. */
const NOTIFICATION_OF: Readonly<Record<DefinitionKind, string>> = {
  tool: 'notifications/tools/list_changed',
  prompt: 'notifications/prompts/list_changed',
  resourceTemplate: 'notifications/resources/list_changed',
};

/**
 * After a reviewer decided a change of `server` (kind `server`: its identity, which affects every
 * kind): every session of this gateway that was given a list of that kind and reaches that server
 * is sent the kind's list_changed notification on its stream, so its client lists again and sees
 * the approved version. Sessionless (2026-07-28) contexts have no stream and are skipped.
 */
export function announceDecision(up: Upstreams, server: string, kind: DefinitionKind | 'server'): void {
  const set = watchers.get(up);
  if (set === undefined) return;
  for (const ref of set) {
    const s = ref.deref();
    if (s === undefined || s.closed) {
      set.delete(ref);
      continue;
    }
    if (!s.serverSet.has(server) || s.sink === undefined) continue;
    const seen = shown.get(s);
    for (const k of kind === 'server' ? (Object.keys(NOTIFICATION_OF) as DefinitionKind[]) : [kind])
      if (seen?.has(`${server}\n${k}`) === true) s.sink.push({ jsonrpc: '2.0', method: NOTIFICATION_OF[k] });
  }
}

function signature(kind: DefinitionKind, items: readonly Record<string, unknown>[]): string {
  return items
    .map((i) => `${pinName(kind, i) ?? ''} ${canonicalDefinition(i).hash}`)
    .sort()
    .join('\n');
}

/**
 * Reviews one server's items of one kind for a session; returns what the client may see.
 * `toClient`: the result goes to the client as a complete list (remembered for list_changed).
 */
export function reviewItems(
  integrity: Integrity,
  up: Upstreams,
  session: ClientSession,
  server: string,
  kind: DefinitionKind,
  items: readonly Record<string, unknown>[],
  listing: { complete: boolean; lastPage: boolean; connection: object; toClient: boolean },
): Record<string, unknown>[] {
  const kept = integrity.review(server, kind, items, {
    ...listing,
    identity: identityOf(up, session, server),
    principal: session.principal.key,
  });
  if (listing.complete && listing.toClient) {
    let m = shown.get(session);
    if (m === undefined) {
      m = new Map<string, string>();
      shown.set(session, m);
      let set = watchers.get(up);
      if (set === undefined) {
        set = new Set();
        watchers.set(up, set);
      }
      set.add(new WeakRef(session));
    }
    m.set(`${server}\n${kind}`, signature(kind, kept));
  }
  return kept;
}

/** A single server's list result with what the client may not see taken out. */
export async function reviewListResponse(
  up: Upstreams,
  session: ClientSession,
  server: string,
  method: string,
  params: Params | undefined,
  res: JsonRpcResponse,
): Promise<JsonRpcResponse> {
  const integrity = up.integrity;
  const listed = LISTED[method];
  if (integrity === undefined || integrity.mode === 'off' || listed === undefined || !('result' in res))
    return res;
  const raw = res.result[listed.key];
  const items = Array.isArray(raw)
    ? raw.filter(
        (i): i is Record<string, unknown> => i !== null && typeof i === 'object' && !Array.isArray(i),
      )
    : [];
  const next = res.result.nextCursor;
  const lastPage = typeof next !== 'string' || next === '';
  const lease = await session.lease(server);
  const kept = reviewItems(integrity, up, session, server, listed.kind, items, {
    complete: lastPage && params?.cursor === undefined,
    lastPage,
    connection: lease.upstream,
    toClient: true,
  });
  return { ...res, result: { ...res.result, [listed.key]: kept } };
}

/** Lists every page of one kind from a connection; `complete` false when it stopped early. */
export async function listAll(
  up: Upstreams,
  server: string,
  lease: Lease,
  kind: DefinitionKind,
  signal?: CancelSignal,
): Promise<{ items: Record<string, unknown>[]; complete: boolean }> {
  const method = METHOD_OF[kind];
  const key = (LISTED[method] as { key: string }).key;
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await lease.upstream.request(method, cursor === undefined ? {} : { cursor }, {
      timeoutMs: up.requestTimeout(server),
      ...(signal !== undefined ? { signal } : {}),
    });
    if (!('result' in res))
      throw new WardenError(
        'ERR_UPSTREAM_UNAVAILABLE',
        `${server} could not list: ${res.error.message.slice(0, 200)}`,
        {
          data: { server, upstreamCode: res.error.code },
        },
      );
    const list = res.result[key];
    if (Array.isArray(list))
      for (const i of list)
        if (i !== null && typeof i === 'object' && !Array.isArray(i))
          items.push(i as Record<string, unknown>);
    const next = res.result.nextCursor;
    if (typeof next !== 'string' || next === '') return { items, complete: true };
    cursor = next;
  }
  return { items, complete: false };
}

/**
 * Lists every page of one kind from a connection on Warden's own account (not for a client) and
 * reviews it, so the connection's verdicts are known; tool schemas are learnt on the way. Returns
 * what a client may see and whether the listing was complete.
 */
async function listAndReview(
  integrity: Integrity,
  up: Upstreams,
  session: ClientSession,
  server: string,
  lease: Lease,
  kind: DefinitionKind,
  signal?: CancelSignal,
): Promise<{ kept: Record<string, unknown>[]; complete: boolean }> {
  const { items, complete } = await listAll(up, server, lease, kind, signal);
  if (kind === 'tool') session.toolSchemas.learn(server, items, complete);
  const kept = reviewItems(integrity, up, session, server, kind, items, {
    complete,
    lastPage: complete,
    connection: lease.upstream,
    toClient: false,
  });
  return { kept, complete };
}

/**
 * Refuses (ERR_INTEGRITY_UNAPPROVED) a call or get of a definition that is not approved in the
 * version this session's connection offers; a connection that has not listed the kind is listed
 * first, so a definition the client never listed is checked all the same. A tool the server does
 * not list at all is left to input validation when that is on (it refuses such calls itself).
 */
export async function ensureApproved(
  up: Upstreams,
  session: ClientSession,
  server: string,
  kind: DefinitionKind,
  name: string,
  signal?: CancelSignal,
): Promise<void> {
  const integrity = up.integrity;
  if (integrity === undefined || integrity.mode === 'off') return;
  const lease = await session.lease(server);
  let v = integrity.verdict(server, kind, name, lease.upstream);
  if (v === 'unseen') {
    await listAndReview(integrity, up, session, server, lease, kind, signal);
    v = integrity.verdict(server, kind, name, lease.upstream);
  }
  if (v === 'unseen')
    throw new WardenError(
      'ERR_INTEGRITY_UNAPPROVED',
      `${server} did not list ${name.slice(0, 128)} completely`,
      {
        data: { server, kind, name: name.slice(0, 128), reason: 'unlisted' },
      },
    );
  if (v === 'allowed') return;
  // A tool the server does not list at all has no definition to pin: with input validation on,
  // validation refuses it (an isError result naming the missing tool) before anything is sent.
  if (kind === 'tool' && v.data?.reason === 'unlisted' && up.validation.input) return;
  throw v;
}

/** Compiled matchers of pinned templates, by template (bounded: templates come from upstreams). */
const matchers = new Map<string, TemplateMatcher>();
const MAX_MATCHERS = 4096;

function matcherOf(template: string): TemplateMatcher {
  let m = matchers.get(template);
  if (m === undefined) {
    if (matchers.size >= MAX_MATCHERS) matchers.clear();
    m = templateMatcher(template);
    matchers.set(template, m);
  }
  return m;
}

/**
 * Refuses (ERR_INTEGRITY_UNAPPROVED) a `resources/read` or subscription of a URI that only a
 * resource template not approved in the listed version describes: the URI matches one or more of
 * the templates this session's connection listed and none of them is approved. A URI no template
 * matches is a concrete resource (resources are not pinned) and passes. A connection that has not
 * listed its templates is listed first; a server that does not answer `resources/templates/list`
 * (method not found) has no templates to hold.
 */
export async function ensureResourceApproved(
  up: Upstreams,
  session: ClientSession,
  server: string,
  uri: string,
  signal?: CancelSignal,
): Promise<void> {
  const integrity = up.integrity;
  if (integrity === undefined || integrity.mode === 'off') return;
  const lease = await session.lease(server);
  let names = integrity.listedNames(lease.upstream, 'resourceTemplate');
  if (names === undefined) {
    try {
      await listAndReview(integrity, up, session, server, lease, 'resourceTemplate', signal);
    } catch (e) {
      // A server without templates may not answer resources/templates/list at all.
      if (
        e instanceof WardenError &&
        (e.data as { upstreamCode?: unknown } | undefined)?.upstreamCode === -32601
      )
        return;
      throw e;
    }
    names = integrity.listedNames(lease.upstream, 'resourceTemplate');
    if (names === undefined)
      throw new WardenError(
        'ERR_INTEGRITY_UNAPPROVED',
        `${server} did not list its resource templates completely`,
        { data: { server, kind: 'resourceTemplate', name: uri.slice(0, 128), reason: 'unlisted' } },
      );
  }
  let refusal: WardenError | undefined;
  for (const t of names) {
    if (!matcherOf(t).test(uri)) continue;
    const v = integrity.verdict(server, 'resourceTemplate', t, lease.upstream);
    if (v === 'allowed') return;
    if (v !== 'unseen') refusal ??= v;
  }
  if (refusal !== undefined) throw refusal;
}

/**
 * After an upstream's list_changed: forgets what the connection listed, lists again, reviews it
 * (recording pending changes), and resolves true when the client should be told: what it was
 * shown of that kind changed, or it was shown no complete list yet, or the notification is
 * `resources/list_changed` (it covers resources too, which are not pinned).
 */
export async function recheck(
  up: Upstreams,
  session: ClientSession,
  server: string,
  lease: Lease,
  kind: DefinitionKind,
): Promise<boolean> {
  const integrity = up.integrity;
  if (integrity === undefined || integrity.mode === 'off') return true;
  integrity.forget(lease.upstream, kind);
  const before = shown.get(session)?.get(`${server}\n${kind}`);
  const { kept, complete } = await listAndReview(integrity, up, session, server, lease, kind);
  if (before === undefined || !complete) return true;
  const after = signature(kind, kept);
  if (after === before) return kind === 'resourceTemplate';
  // The client is told and will list again; until then this is what it is about to see.
  shown.get(session)?.set(`${server}\n${kind}`, after);
  return true;
}
