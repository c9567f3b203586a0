/**
 * The pipeline: the ordered stage list and the exchange runner (DESIGN §2). This is the one place
 * that knows every stage and the upstream connectors. Transports hand it parsed messages with a
 * reply channel; it runs the request stages, routes the message, passes server→client messages
 * through the response stages, and writes one audit record per exchange, whatever happens.
 */
import { createHash } from 'node:crypto';
import type { ClientChannel, ClientSink } from './core/channel.js';
import type { EndpointSpec, Handler, Inbound } from './core/handler.js';
import { exchangeEnd, sessionEvent } from './core/diagnostics.js';
import { Canceller } from './core/cancel.js';
import { WardenError, toWardenError } from './core/errors.js';
import { ANONYMOUS, decide, startExchange } from './core/exchange.js';
import type { AuditRecord, Exchange, Principal, ResponseContext, Stage } from './core/exchange.js';
import { newExchangeId, newSessionId } from './core/ids.js';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from './core/jsonrpc.js';
import { isRequest, isResponse, kindOf, resultResponse } from './core/jsonrpc.js';
import type { Logger } from './core/log.js';
import { toJsonRpcError } from './core/mapper.js';
import type { Compiled } from './config/compile.js';
import { dispatch } from './route/dispatch.js';
import { discover, openSession } from './route/open.js';
import type { WardenIdentity } from './route/open.js';
import { ClientSession } from './route/session.js';
import { Upstreams } from './route/upstreams.js';
import { createCredentialBroker } from './stages/credentials/index.js';
import type { Authn } from './stages/authn/index.js';
import { sessionStage } from './stages/session/index.js';
import { policyStage, supportsFormElicitation } from './stages/policy/index.js';
import type { ConfirmationRequest, ConfirmOutcome, PolicyTarget, TargetKind } from './stages/policy/index.js';
import { splitName } from './route/naming.js';
import { limitsStage } from './stages/limits/index.js';
import { inspectStage } from './stages/inspect/index.js';
import type { LimitStore } from './store/limits.js';
import { transportGuard } from './stages/transport-guard/index.js';
import type { AuditSink } from './store/audit-jsonl.js';
import { SessionStore } from './store/sessions.js';
import { memoryApprovalQueue } from './store/approvals.js';
import type { ApprovalQueue } from './store/approvals.js';
import { memoryElevationStore } from './store/elevations.js';
import type { ElevationStore } from './store/elevations.js';
import { lapseHooks } from './admin/audit.js';
import { integrityFor } from './integrity.js';
import type { PinStore } from './store/pins.js';
import { LATEST_MODERN, META, metaOf } from './core/protocol.js';

/** The pipeline: the transports' Handler plus what the process wiring needs. */
export interface Pipeline extends Handler {
  /** Live sessions. */
  readonly sessionCount: number;
  /** Live sessionless (2026-07-28) contexts, one per principal and endpoint. */
  readonly contextCount: number;
  readonly upstreams: Upstreams;
  /** Calls held for a human approval: a request stage holds one with `approvals.hold()`. */
  readonly approvals: ApprovalQueue;
  /** Just-in-time role grants: `elevations.activeRoles(principal.key)` adds to the token's roles. */
  readonly elevations: ElevationStore;
  /** Pinned definitions and pending changes (the admin API approves and rejects through it). */
  readonly pins: PinStore;
  /** Writes buffered audit records now. */
  flushAudit(): void;
  close(): Promise<void>;
}

function argsDigest(msg: JsonRpcMessage): string | undefined {
  if (!isRequest(msg) || msg.method !== 'tools/call') return undefined;
  const args = msg.params?.arguments;
  if (args === undefined) return undefined;
  return createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 32);
}

function toolOf(msg: JsonRpcMessage): string | undefined {
  if (!isRequest(msg)) return undefined;
  if (msg.method !== 'tools/call' && msg.method !== 'prompts/get') return undefined;
  const n = msg.params?.name;
  return typeof n === 'string' ? n.slice(0, 256) : undefined;
}

/** 2026-07-28 results whose schema requires `ttlMs` and `cacheScope` (SEP-2549). */
const CACHEABLE: ReadonlySet<string> = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

/**
 * A result as a 2026-07-28 client expects it: `resultType` always, and for cacheable methods
 * `ttlMs` (0 unless the upstream set one) and `cacheScope: "private"`.
 */
function modernResult(method: string, res: JsonRpcResponse): JsonRpcResponse {
  if (!('result' in res)) return res;
  const r: Record<string, unknown> = { ...res.result };
  r.resultType ??= 'complete';
  if (CACHEABLE.has(method) && r.resultType === 'complete') {
    if (typeof r.ttlMs !== 'number') r.ttlMs = 0;
    // Always private: what a principal may see is Warden's decision, so no shared cache may reuse it.
    r.cacheScope = 'private';
  }
  return { ...res, result: r };
}

/** Builds the pipeline from compiled config. */
export function createPipeline(
  compiled: Compiled,
  audit: AuditSink,
  log: Logger,
  identity: WardenIdentity,
  authn?: Authn,
  stores: { readonly limits?: LimitStore } = {},
): Pipeline {
  const cfg = compiled.config;
  const credentials = createCredentialBroker(cfg.servers, (ref) => compiled.secrets.get(ref), { log });
  const upstreams = new Upstreams(compiled, log, identity.version, credentials);
  // Pinning (docs/integrity.md): list results and calls are checked against approved pins.
  const integrity = integrityFor(compiled, (r) => audit.write(r), log);
  upstreams.integrity = integrity;
  // Every fail-open is audited: a server whose optional sandbox could not be set up runs unconfined.
  for (const f of upstreams.sandboxFailOpen)
    audit.write({
      time: new Date().toISOString(),
      exchange: newExchangeId(),
      transport: 'stdio',
      endpoint: `/mcp/${f.server}`,
      era: 'unknown',
      principal: ANONYMOUS.key,
      server: f.server,
      direction: 'server',
      kind: 'startup',
      method: 'warden/sandbox',
      decisions: [
        { stage: 'sandbox', decision: 'skip', rule: 'sandbox.optional', code: 'ERR_UPSTREAM_SANDBOX' },
      ],
      outcome: 'error',
      code: 'ERR_UPSTREAM_SANDBOX',
    });
  const sessions = new SessionStore<ClientSession>(cfg.sessions, (s, reason) => {
    if (sessionEvent.hasSubscribers) sessionEvent.publish({ id: s.id, event: 'end', reason });
  });
  // Approvals and elevations: decided through the admin API (server.ts), which audits decisions;
  // what lapses without a decision is audited by these hooks.
  const lapses = lapseHooks((r) => audit.write(r));
  const approvals = memoryApprovalQueue({ maxPending: cfg.admin.maxPending, onEnd: lapses.onEnd });
  const elevations = memoryElevationStore({ maxPending: cfg.admin.maxPending, onExpire: lapses.onExpire });
  const endpoints = new Map<string, EndpointSpec>();
  const names = Object.keys(cfg.servers);
  endpoints.set('/mcp', { path: '/mcp', servers: names, aggregate: true });
  for (const n of names) endpoints.set(`/mcp/${n}`, { path: `/mcp/${n}`, servers: [n], aggregate: false });

  // Undefined when no limit is configured: the stage then costs nothing per request.
  const limits = limitsStage(cfg.limits, stores.limits === undefined ? {} : { store: stores.limits });
  const guard = transportGuard({
    allowedHosts: compiled.allowedHosts,
    allowedOrigins: compiled.allowedOrigins,
    selfOrigin: new URL(compiled.publicUrl).origin,
    maxRequestBytes: cfg.limits.maxRequestBytes,
  });

  // Reply paths and stage answers of the exchanges in flight (user confirmation needs both).
  const channels = new WeakMap<Exchange, ClientChannel>();
  const answered = new WeakMap<Exchange, JsonRpcResponse>();
  const confirmTimeoutMs = cfg.admin.approvalTimeoutSec * 1000;

  /**
   * Asks the caller to confirm a held call (approve rules with `userConfirmation`): on the call's
   * own stream in the 2025 era, as an input_required round in the 2026-07-28 era.
   */
  function confirmWithUser(
    ex: Exchange,
    q: ConfirmationRequest,
    rule: string,
  ): ConfirmOutcome | Promise<ConfirmOutcome> {
    const req = ex.message;
    if (!isRequest(req)) return { kind: 'unavailable' };
    if (ex.era === 'modern') {
      const ep = endpoints.get(ex.endpoint);
      const mrtr = ep === undefined ? undefined : statelessFor(ex.principal, ep).mrtr;
      if (mrtr === undefined) return { kind: 'unavailable' };
      // The same owner dispatch binds its own round trips to: principal and endpoint.
      const owner = `${ex.principal.key}|${ex.endpoint}`;
      const params = req.params;
      if (typeof params?.requestState === 'string') {
        const c = mrtr.claim(owner, req, params);
        if (c.kind === 'continuation') return { kind: 'continued' };
        if (c.kind === 'expired') return { kind: 'expired' };
        // The confirmation round is used up: the call goes on as the plain request it was.
        const rest = { ...params };
        delete rest.requestState;
        delete rest.inputResponses;
        ex.message = { ...req, params: rest };
        return { kind: 'answered', answer: c.answer };
      }
      if (!supportsFormElicitation(metaOf(params)?.[META.clientCapabilities])) return { kind: 'unavailable' };
      const lapsed = (): void =>
        audit.write({
          time: new Date().toISOString(),
          exchange: newExchangeId(),
          transport: ex.transport,
          endpoint: ex.endpoint,
          era: 'modern',
          principal: ex.principal.key,
          direction: 'client',
          kind: 'request',
          method: req.method,
          ...(ex.audit.tool !== undefined ? { tool: ex.audit.tool } : {}),
          decisions: [
            {
              stage: 'policy',
              decision: 'deny',
              rule: `${rule} (user confirmation expired)`,
              code: 'ERR_APPROVAL_EXPIRED',
            },
          ],
          outcome: 'denied',
          code: 'ERR_APPROVAL_EXPIRED',
        });
      answered.set(ex, mrtr.ask(owner, req, params, q, confirmTimeoutMs, lapsed));
      return { kind: 'asked' };
    }
    const session = ex.session as ClientSession | undefined;
    if (session === undefined || !supportsFormElicitation(session.hello.capabilities))
      return { kind: 'unavailable' };
    return session
      .askUser(q.method, q.params, channels.get(ex), confirmTimeoutMs)
      .then((r): ConfirmOutcome =>
        r === undefined
          ? { kind: 'expired' }
          : { kind: 'answered', answer: 'result' in r ? r.result : undefined },
      );
  }

  const policy =
    cfg.policy === undefined
      ? undefined
      : policyStage(cfg.policy, cfg.servers, {
          elevatedRoles: (key) => elevations.activeRoles(key),
          confirm: confirmWithUser,
          // Held calls wait in the approval queue only where approvers can reach it (admin API).
          ...(cfg.admin.enabled
            ? {
                hold: (ex: Exchange, target: { server: string; name: string }, rule: string, args: unknown) =>
                  approvals.hold({
                    principal: { key: ex.principal.key, subject: ex.principal.subject },
                    server: target.server,
                    tool: target.name,
                    args,
                    rule,
                    timeoutMs: cfg.admin.approvalTimeoutSec * 1000,
                  }),
              }
            : {}),
          continues: (ex) => {
            const req = ex.message;
            const ep = endpoints.get(ex.endpoint);
            if (ex.era !== 'modern' || !isRequest(req) || ep === undefined) return false;
            const mrtr = statelessFor(ex.principal, ep).mrtr;
            return mrtr?.continues(`${ex.principal.key}|${ex.endpoint}`, req, req.params) ?? false;
          },
          resolve: (ex, kind, name) => {
            const ep = endpoints.get(ex.endpoint);
            if (ex.endpointServer !== undefined) return { server: ex.endpointServer, name };
            const session =
              (ex.session as ClientSession | undefined) ??
              (ex.era === 'modern' && ep !== undefined ? statelessFor(ex.principal, ep) : undefined);
            if (session === undefined) {
              const s = splitName(name);
              return s !== undefined && s.server in cfg.servers ? s : undefined;
            }
            return (kind === 'prompt' ? session.prompts : session.tools).resolve(name, session.serverSet);
          },
        });
  if (policy === undefined)
    log.warn(
      'no policy block: every authenticated principal may use every server, tool, prompt and resource',
    );

  /** A list result cut down to what the principal may use (no policy: unchanged). */
  function policyFiltered(
    ex: Exchange,
    session: ClientSession,
    method: string,
    res: JsonRpcResponse,
  ): JsonRpcResponse {
    if (policy === undefined || !('result' in res)) return res;
    const single = session.aggregate ? undefined : session.servers[0];
    const locate = (kind: TargetKind, item: Readonly<Record<string, unknown>>): PolicyTarget | undefined => {
      if (kind === 'resource' && typeof item.uri === 'string')
        return { server: single ?? session.resourceOwner.get(item.uri), name: item.uri };
      const name = kind === 'resource' ? item.uriTemplate : item.name;
      if (typeof name !== 'string') return undefined;
      if (single !== undefined) return { server: single, name };
      const table = kind === 'tool' ? session.tools : kind === 'prompt' ? session.prompts : session.templates;
      const t = table.resolve(item.name as string, session.serverSet);
      return t === undefined ? undefined : { server: t.server, name: kind === 'resource' ? name : t.name };
    };
    return {
      ...res,
      result: policy.filterList(ex.principal, method, res.result, locate, ex.http?.remoteAddress),
    };
  }

  const inspect =
    cfg.inspection === undefined
      ? undefined
      : inspectStage(cfg.inspection, {
          secret: (ref) => compiled.secrets.get(ref),
          resolve: (ex, kind, name) => {
            if (ex.endpointServer !== undefined) return { server: ex.endpointServer, name };
            const ep = endpoints.get(ex.endpoint);
            const session =
              (ex.session as ClientSession | undefined) ??
              (ex.era === 'modern' && ep !== undefined ? statelessFor(ex.principal, ep) : undefined);
            return session === undefined
              ? undefined
              : (kind === 'prompt' ? session.prompts : session.tools).resolve(name, session.serverSet);
          },
          auditStream: (principal, server, method, decision, findings) =>
            audit.write({
              time: new Date().toISOString(),
              exchange: newExchangeId(),
              transport: 'http',
              endpoint: `/mcp/${server}`,
              era: 'unknown',
              principal,
              server,
              direction: 'server',
              kind: 'request',
              method,
              decisions: [decision],
              findings: [...findings],
              outcome: decision.decision === 'deny' ? 'denied' : 'ok',
              ...(decision.code !== undefined ? { code: decision.code } : {}),
            }),
        });
  if (inspect === undefined)
    log.warn('no inspection block: arguments and results pass without content inspection');

  // The request stages, in order. The guard runs first: nothing else may look at a message whose
  // era and headers are not settled. Authentication comes next, before the session stage, because
  // a session is looked up under the principal the token names (a session id proves nothing).
  // Limits, policy, validation, inspection and approval follow as they land.
  const requestStages: readonly Stage[] = [
    guard,
    ...(authn !== undefined ? [authn] : []),
    sessionStage((principal, id) => sessions.get(principal, id)),
    // Limits count per principal, so they follow authentication; after the session stage so a
    // request on a dead session is refused as such without spending the caller's allowance.
    ...(limits !== undefined ? [limits] : []),
    // Policy after limits (DESIGN §2): a denied call still spends the caller's allowance, so
    // probing what is denied is rate limited too. Absent `policy` block: no stage (start-up warns).
    ...(policy !== undefined ? [policy] : []),
    // Inspection after policy: only calls the principal may make are inspected (and audited), and
    // before anything is forwarded. Absent `inspection` block: no stage (start-up warns).
    ...(inspect !== undefined ? [inspect] : []),
  ];
  const endpointPaths = [...endpoints.keys()];
  // The response stages (integrity, inspection, output validation, boundary marking) land here.
  // Inspection sees what the client would get; it may answer asynchronously (external detectors).
  const responseStages: readonly Stage[] = [...(inspect !== undefined ? [inspect] : [])];

  // Sessionless (2026-era) contexts: one per principal and endpoint, on shared upstream connections.
  // Every authenticated principal can create one, so the map is bounded like the session store:
  // least recently used first out (a Map keeps insertion order; a hit moves the entry to the end).
  const stateless = new Map<string, ClientSession>();
  const maxStateless = cfg.sessions.maxSessions;

  /**
   * Runs the response stages from `from` on: synchronously while each stage answers synchronously,
   * and on from the first stage that returns a promise (an external detector) once it settles.
   */
  function runResponseStages(
    ctx: ResponseContext,
    msg: JsonRpcMessage,
    from = 0,
  ): JsonRpcMessage | undefined | Promise<JsonRpcMessage | undefined> {
    let m: JsonRpcMessage | undefined = msg;
    for (let i = from; i < responseStages.length && m !== undefined; i++) {
      const phase = responseStages[i]?.response;
      if (phase === undefined) continue;
      const r = phase(ctx, m);
      if (r instanceof Promise)
        return r.then((next) => (next === undefined ? undefined : runResponseStages(ctx, next, i + 1)));
      m = r;
    }
    return m;
  }

  const outbound = (
    session: ClientSession,
    server: string,
    msg: JsonRpcMessage,
  ): JsonRpcMessage | undefined | Promise<JsonRpcMessage | undefined> =>
    responseStages.length === 0 ? msg : runResponseStages({ session, server }, msg);

  /** The server that answers a request of this session ('' when several or unknown). */
  function serverOf(ex: Exchange, session: ClientSession, req: JsonRpcRequest): string {
    if (ex.endpointServer !== undefined) return ex.endpointServer;
    const p = req.params;
    if ((req.method === 'tools/call' || req.method === 'prompts/get') && typeof p?.name === 'string')
      return (
        (req.method === 'tools/call' ? session.tools : session.prompts).resolve(p.name, session.serverSet)
          ?.server ?? ''
      );
    if (req.method === 'resources/read' && typeof p?.uri === 'string')
      return session.resourceOwner.get(p.uri) ?? '';
    return '';
  }

  /**
   * The final answer to a client request after the response stages, sent only once the messages
   * of its stream that an asynchronous stage still holds have gone out (order kept).
   */
  function answerOf(
    ex: Exchange,
    session: ClientSession,
    req: JsonRpcRequest,
    res: JsonRpcResponse,
  ): JsonRpcResponse | Promise<JsonRpcResponse> {
    if (responseStages.length === 0) return afterHeld(session, res);
    const ctx: ResponseContext = {
      session,
      server: serverOf(ex, session, req),
      request: req,
      exchange: ex,
    };
    // Synchronous stages (no external detector) answer without a promise turn.
    const r = runResponseStages(ctx, res);
    return r instanceof Promise
      ? r.then((m) => afterHeld(session, answerIn(m)))
      : afterHeld(session, answerIn(r));
  }

  function answerIn(m: JsonRpcMessage | undefined): JsonRpcResponse {
    if (m === undefined || !isResponse(m))
      throw new WardenError('ERR_INTERNAL', 'a response stage withheld the answer to a request');
    return m;
  }

  /** The answer, once the messages of its stream that an asynchronous stage still holds have gone out. */
  function afterHeld(
    session: ClientSession,
    out: JsonRpcResponse,
  ): JsonRpcResponse | Promise<JsonRpcResponse> {
    const held = session.settled();
    return held === undefined ? out : held.then(() => out);
  }

  function statelessFor(principal: Principal, endpoint: EndpointSpec): ClientSession {
    const key = `${principal.key}|${endpoint.path}`;
    let s = stateless.get(key);
    if (s !== undefined) {
      stateless.delete(key);
      stateless.set(key, s);
    } else {
      if (stateless.size >= maxStateless) {
        const oldest = stateless.entries().next();
        if (oldest.done !== true) {
          stateless.delete(oldest.value[0]);
          void oldest.value[1].close();
        }
      }
      s = new ClientSession(
        {
          id: undefined,
          principal,
          endpoint: endpoint.path,
          servers: endpoint.servers,
          aggregate: endpoint.aggregate,
          era: 'modern',
          protocolVersion: LATEST_MODERN,
          mrtrTtlMs: 120_000,
          hello: {
            protocolVersion: LATEST_MODERN,
            capabilities: {},
            clientInfo: { name: identity.name, version: identity.version },
          },
        },
        upstreams,
        outbound,
      );
      stateless.set(key, s);
    }
    return s;
  }

  function newExchange(inb: Inbound): Exchange {
    const msg = inb.message;
    const ex = startExchange({
      id: newExchangeId(),
      transport: inb.transport,
      endpoint: inb.endpoint.path,
      endpointServer: inb.endpoint.aggregate ? undefined : inb.endpoint.servers[0],
      http: inb.http,
      message: msg,
      sessionId: inb.session?.id,
      session: inb.session,
      kind: kindOf(msg),
    });
    const record = ex.audit;
    const method = 'method' in msg ? msg.method : undefined;
    if (method !== undefined) record.method = method.slice(0, 128);
    const tool = toolOf(msg);
    if (tool !== undefined) record.tool = tool;
    const digest = argsDigest(msg);
    if (digest !== undefined) record.argsDigest = digest;
    return ex;
  }

  function finish(
    ex: Exchange,
    outcome: AuditRecord['outcome'],
    err?: WardenError,
    upstreamUs?: number,
  ): void {
    // In-flight counts end with the exchange, whatever its outcome.
    limits?.end(ex);
    const r = ex.audit;
    r.outcome = outcome;
    r.era = ex.era;
    if (ex.protocolVersion !== undefined) r.protocolVersion = ex.protocolVersion;
    if (ex.sessionId !== undefined) r.session = ex.sessionId;
    r.principal = ex.principal.key;
    if (err !== undefined) {
      r.code = err.code;
      r.status = err.status;
    }
    if (ex.endpointServer !== undefined) r.server = ex.endpointServer;
    r.us = Number((process.hrtime.bigint() - ex.started) / 1000n);
    if (upstreamUs !== undefined) r.upstreamUs = upstreamUs;
    audit.write(r);
    if (exchangeEnd.hasSubscribers) exchangeEnd.publish({ record: r });
  }

  async function runRequestStages(ex: Exchange): Promise<void> {
    for (const st of requestStages) {
      if (st.request === undefined) continue;
      const t0 = process.hrtime.bigint();
      const before = ex.audit.decisions.length;
      try {
        const r = st.request(ex);
        if (r !== undefined) await r;
      } catch (err) {
        const we = toWardenError(err);
        // A stage that recorded its own denial (with the rule) is not recorded twice.
        if (ex.audit.decisions.length === before)
          decide(ex, {
            stage: st.name,
            decision: 'deny',
            code: we.code,
            us: Number((process.hrtime.bigint() - t0) / 1000n),
          });
        throw we;
      }
      // A stage that said nothing itself let the message through unchanged.
      if (ex.audit.decisions.length === before) {
        decide(ex, { stage: st.name, decision: 'allow', us: Number((process.hrtime.bigint() - t0) / 1000n) });
      }
      // A stage answered the request itself (an input_required round): nothing goes further.
      if (answered.has(ex)) return;
    }
  }

  async function handleRequest(
    ex: Exchange,
    req: JsonRpcRequest,
    channel: ClientChannel,
    sinkFor: (id: string) => ClientSink,
    inb: Inbound,
  ): Promise<void> {
    const reply = answered.get(ex);
    // A request stage answered the request itself (an input_required round): nothing is routed.
    if (reply !== undefined) {
      channel.end(reply);
      return;
    }
    const endpoint = inb.endpoint;
    if (ex.era === 'modern') {
      const session = statelessFor(ex.principal, endpoint);
      session.caller.subjectToken = ex.subjectToken;
      if (req.method === 'server/discover') {
        channel.end(resultResponse(req.id, await discover(session, endpoint, identity)));
        return;
      }
      // 2026-07-28: closing the response stream cancels the request.
      // 2026-07-28: closing the response stream cancels the request; ids are not unique across
      // sessionless clients, so cancellation follows this exchange, never the JSON-RPC id.
      const abort = new Canceller();
      channel.onAbandon(() => abort.abort());
      const res = await dispatch(upstreams, session, req, {
        channel,
        signal: abort.signal,
        decide: (d) => decide(ex, d),
      });
      const filtered = policyFiltered(ex, session, req.method, res);
      const answer = answerOf(ex, session, req, filtered);
      channel.end(modernResult(req.method, answer instanceof Promise ? await answer : answer));
      return;
    }
    if (req.method === 'initialize') {
      if (inb.session !== undefined)
        throw new WardenError('ERR_JSONRPC_INVALID', 'initialize sent twice on one connection');
      sessions.reserve(ex.principal.key);
      const id = newSessionId();
      const { session, result } = await openSession(
        id,
        ex.principal,
        endpoint,
        req,
        upstreams,
        outbound,
        identity,
        log,
        ex.subjectToken,
      );
      session.sink = sinkFor(id);
      if (ex.transport === 'http') sessions.add(session);
      if (sessionEvent.hasSubscribers) sessionEvent.publish({ id, event: 'start' });
      ex.sessionId = id;
      ex.session = session;
      ex.protocolVersion = session.protocolVersion;
      channel.announceSession(id);
      channel.end(resultResponse(req.id, result));
      return;
    }
    const session = ex.session as ClientSession | undefined;
    if (session === undefined) throw new WardenError('ERR_SESSION_NOT_INITIALIZED');
    session.caller.subjectToken = ex.subjectToken;
    const res = policyFiltered(
      ex,
      session,
      req.method,
      await dispatch(upstreams, session, req, { channel, decide: (d) => decide(ex, d) }),
    );
    const answer = answerOf(ex, session, req, res);
    channel.end(answer instanceof Promise ? await answer : answer);
  }

  async function handleNotification(ex: Exchange, n: JsonRpcNotification): Promise<void> {
    if (ex.era === 'modern') return; // 2026-07-28 defines no client notifications over HTTP; accepted and dropped.
    const session = ex.session as ClientSession | undefined;
    if (session === undefined) throw new WardenError('ERR_SESSION_NOT_INITIALIZED');
    switch (n.method) {
      case 'notifications/initialized':
        return; // Warden completed its own handshake with each upstream.
      case 'notifications/cancelled': {
        const rid = n.params?.requestId;
        if (typeof rid === 'string' || typeof rid === 'number') session.cancel(rid);
        return;
      }
      default:
        await session.broadcast(n.method, n.params);
    }
  }

  return {
    upstreams,
    approvals,
    elevations,
    pins: integrity.store,
    get sessionCount() {
      return sessions.size;
    },
    get contextCount() {
      return stateless.size;
    },
    flushAudit: () => audit.flush(),
    endpointOf: (path) => endpoints.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path),
    head: (facts) => guard.head(facts),

    async handle(inb, channel, sinkFor) {
      const ex = newExchange(inb);
      const msg = inb.message;
      channels.set(ex, channel);
      let upstreamStart: bigint | undefined;
      try {
        await runRequestStages(ex);
        upstreamStart = process.hrtime.bigint();
        // A request stage may have rewritten the message (inspection redacts arguments).
        const passed = ex.message;
        if (isRequest(passed)) {
          await handleRequest(ex, passed, channel, sinkFor, inb);
        } else if (isResponse(passed)) {
          const session = ex.session as ClientSession | undefined;
          if (ex.era === 'modern' || session === undefined || !(await session.answer(passed))) {
            throw new WardenError('ERR_JSONRPC_RESPONSE_NOT_ALLOWED');
          }
          channel.accept();
        } else {
          await handleNotification(ex, passed);
          channel.accept();
        }
        finish(
          ex,
          'ok',
          undefined,
          upstreamStart === undefined ? undefined : Number((process.hrtime.bigint() - upstreamStart) / 1000n),
        );
        return ex.session;
      } catch (err) {
        const we = toWardenError(err);
        if (we.code === 'ERR_INTERNAL')
          log.error('internal error', {
            exchange: ex.id,
            error: String(err),
            stack: err instanceof Error ? err.stack : undefined,
          });
        const id = isRequest(msg) ? msg.id : undefined;
        if (upstreamStart !== undefined && isRequest(msg)) {
          // The request passed every stage: a failure from here on is the request's JSON-RPC error,
          // not a transport refusal. A lost upstream session ends the downstream session with it.
          const lost =
            we.code === 'ERR_UPSTREAM_SESSION_LOST' ||
            (we.code === 'ERR_UPSTREAM_CRASHED' && inb.endpoint.aggregate === false && ex.era === 'legacy');
          // A session whose only upstream is gone is ended, so the client starts afresh (404 → initialize).
          if (lost && ex.session !== undefined) sessions.end(ex.session as ClientSession, 'upstream');
          channel.end(toJsonRpcError(we, id));
        } else {
          channel.reject(we, id);
        }
        finish(
          ex,
          we.code === 'ERR_CANCELLED' ? 'cancelled' : upstreamStart === undefined ? 'denied' : 'error',
          we,
        );
        return ex.session;
      }
    },

    async sessionFor(endpoint, facts) {
      guard.head(facts);
      const who =
        authn === undefined
          ? undefined
          : await authn.authenticate(facts, endpoint.path, { method: facts.method });
      const principal = who?.principal ?? ANONYMOUS;
      const sid = facts.headers['mcp-session-id'];
      const id = Array.isArray(sid) ? sid[0] : sid;
      const version = facts.headers['mcp-protocol-version'];
      if (typeof version === 'string' && version.startsWith('2026'))
        throw new WardenError('ERR_TRANSPORT_METHOD_NOT_ALLOWED');
      if (id === undefined) {
        // No session and no 2025 version header: a sessionless client; GET/DELETE do not exist for it.
        if (facts.method === 'GET' && version === undefined)
          throw new WardenError('ERR_TRANSPORT_METHOD_NOT_ALLOWED');
        throw new WardenError('ERR_SESSION_MISSING');
      }
      const s = sessions.get(principal.key, id);
      if (s === undefined || s.endpoint !== endpoint.path) throw new WardenError('ERR_SESSION_UNKNOWN');
      return s;
    },

    wellKnown(path) {
      return authn?.metadataFor(path, endpointPaths);
    },

    endSession(session) {
      // Every SessionRef this pipeline hands out is a ClientSession.
      const s = session as ClientSession;
      if (s.id !== undefined && !sessions.end(s, 'deleted')) void s.close();
    },

    auditHttp(endpoint, facts, outcome, code, status, session) {
      const r: AuditRecord = {
        time: new Date().toISOString(),
        exchange: newExchangeId(),
        transport: 'http',
        endpoint,
        era: 'unknown',
        principal: session?.principal.key ?? ANONYMOUS.key,
        direction: 'client',
        kind: 'http',
        method: `HTTP ${facts.method}`,
        decisions: [],
        outcome,
      };
      const sid = facts.headers['mcp-session-id'];
      if (typeof sid === 'string' && outcome === 'ok') r.session = sid;
      if (code !== undefined) r.code = code;
      if (status !== undefined) r.status = status;
      audit.write(r);
    },

    async close() {
      // Held calls end denied before their sessions close, so none is forwarded during shutdown.
      approvals.close();
      elevations.close();
      await sessions.closeAll();
      await Promise.allSettled([...stateless.values()].map((s) => s.close()));
      await upstreams.closeAll();
      integrity.close();
      audit.flush();
    },
  };
}
