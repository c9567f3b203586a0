/**
 * A downstream client session: the upstream connections it holds, the ids of server→client
 * requests waiting for the client's answer, in-flight requests (for cancellation), and the name
 * tables of the aggregate endpoint. Sessionless 2026-era clients share one of these per endpoint.
 */
import type { ClientChannel, ClientSink } from '../core/channel.js';
import { Canceller } from '../core/cancel.js';
import { WardenError, toWardenError } from '../core/errors.js';
import { toJsonRpcError } from '../core/mapper.js';
import { newSessionId } from '../core/ids.js';
import { CAPABILITY_FOR } from '../core/protocol.js';
import type { Principal } from '../core/exchange.js';
import type {
  JsonRpcId,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
} from '../core/jsonrpc.js';
import { errorResponse, isRequest } from '../core/jsonrpc.js';
import type { Era } from '../core/protocol.js';
import { idKey } from '../transport/upstream.js';
import type { ClientHello, UpstreamInfo } from '../transport/upstream.js';
import type { CallerCredential } from '../stages/credentials/index.js';
import { verifyServerRequest } from '../stages/server-requests/index.js';
import { SeenToolSchemas } from '../stages/validate/index.js';
import type { ToolSchemas } from '../stages/validate/index.js';
import { CHANGED, recheck } from './integrity.js';
import { MrtrBridge } from './mrtr.js';
import { NameTable } from './naming.js';
import type { TemplateMatcher } from './template.js';
import type { Lease, LeaseListener, Upstreams } from './upstreams.js';

/**
 * Hook through which every server→client message passes before delivery (response stages): the
 * message to deliver, undefined to withhold it, a promise of either (an asynchronous stage), or a
 * thrown WardenError (a server→client request is then answered with it).
 */
export type OutboundHook = (
  session: ClientSession,
  server: string,
  msg: JsonRpcMessage,
) => JsonRpcMessage | undefined | Promise<JsonRpcMessage | undefined>;

/** What a session is created from. */
export interface SessionInit {
  /** Warden's session id; undefined for the sessionless (2026) context. */
  readonly id: string | undefined;
  readonly principal: Principal;
  readonly endpoint: string;
  /** Servers this session reaches: one for /mcp/<name>, all for /mcp. */
  readonly servers: readonly string[];
  readonly aggregate: boolean;
  readonly era: Era;
  readonly protocolVersion: string;
  readonly hello: ClientHello;
  /** How long an input_required round trip waits for the client's retry, in milliseconds. */
  readonly mrtrTtlMs?: number;
  /** The caller's validated token when the session opens (token exchange with upstreams). */
  readonly subjectToken?: string;
}

interface ServerRequest {
  readonly server: string;
  readonly upstreamId: JsonRpcId;
  readonly lease: Lease;
}

/** Upper bound on server→client requests waiting for answers, per session. */
const MAX_SERVER_REQUESTS = 1024;

/** One downstream session. */
export class ClientSession implements LeaseListener {
  readonly id: string | undefined;
  readonly principal: Principal;
  /** Who upstream credentials are obtained for; the pipeline updates its token on every request. */
  readonly caller: CallerCredential;
  readonly endpoint: string;
  readonly servers: readonly string[];
  readonly serverSet: ReadonlySet<string>;
  readonly aggregate: boolean;
  readonly era: Era;
  readonly protocolVersion: string;
  readonly hello: ClientHello;
  readonly created = Date.now();
  lastUsed = Date.now();
  sink: ClientSink | undefined;
  readonly tools = new NameTable();
  readonly prompts = new NameTable();
  readonly templates = new NameTable();
  /** Multi Round-Trip bridge of a sessionless (2026-07-28) context. */
  readonly mrtr: MrtrBridge | undefined;
  /** Resource URI → owning server (aggregate endpoint). */
  readonly resourceOwner = new Map<string, string>();
  /** Tool schemas by server, as this session saw them listed (tools/call validation). */
  readonly toolSchemas: ToolSchemas = new SeenToolSchemas();
  /** Server → compiled URI-template matchers (aggregate endpoint). */
  readonly templateMatchers = new Map<string, TemplateMatcher[]>();
  private readonly leases = new Map<string, Lease>();
  private readonly pendingLeases = new Map<string, Promise<Lease>>();
  private readonly dead = new Map<string, WardenError>();
  private readonly serverRequests = new Map<string, ServerRequest>();
  /** Questions Warden itself asks the client (bridging a 2026 upstream's input_required). */
  private readonly localAsks = new Map<string, (r: JsonRpcResponse) => void>();
  private readonly inflight = new Map<string, Canceller>();
  private nextServerRequest = 1;
  private closedValue = false;
  /** Delivery of messages behind an asynchronous response stage, in arrival order; unset when idle. */
  private queue: Promise<void> | undefined;

  constructor(
    init: SessionInit,
    private readonly upstreams: Upstreams,
    private readonly outbound: OutboundHook,
  ) {
    this.id = init.id;
    this.principal = init.principal;
    this.caller = { principal: init.principal, subjectToken: init.subjectToken };
    this.endpoint = init.endpoint;
    this.servers = init.servers;
    this.serverSet = new Set(init.servers);
    this.aggregate = init.aggregate;
    this.era = init.era;
    this.protocolVersion = init.protocolVersion;
    this.hello = init.hello;
    this.mrtr = init.era === 'modern' ? new MrtrBridge(init.mrtrTtlMs ?? 300_000) : undefined;
  }

  /** True once ended. */
  get closed(): boolean {
    return this.closedValue;
  }

  /** Servers whose connection is up. */
  get connected(): string[] {
    return [...this.leases.keys()];
  }

  /** What a connected server declared at initialize, if connected. */
  capabilities(server: string): Record<string, unknown> | undefined {
    return this.leases.get(server)?.upstream.info?.capabilities;
  }

  /** The initialize facts of a connected server. */
  infoOf(server: string): UpstreamInfo | undefined {
    return this.leases.get(server)?.upstream.info;
  }

  /** Connects to one server (idempotent); sessionless contexts use shared connections. */
  async lease(server: string): Promise<Lease> {
    const have = this.leases.get(server);
    if (have !== undefined && !have.upstream.closed) return have;
    const deadErr = this.dead.get(server);
    if (deadErr !== undefined && this.id !== undefined) throw deadErr;
    let p = this.pendingLeases.get(server);
    if (p === undefined) {
      p = this.upstreams.acquire(server, this.hello, this, this.caller, this.id === undefined);
      this.pendingLeases.set(server, p);
      p.then(
        (l) => {
          this.pendingLeases.delete(server);
          this.dead.delete(server);
          if (this.closedValue) void l.release();
          else this.leases.set(server, l);
        },
        () => this.pendingLeases.delete(server),
      );
    }
    return p;
  }

  /** Registers an in-flight client request so notifications/cancelled can reach it. */
  track(id: JsonRpcId): Canceller {
    const ac = new Canceller();
    this.inflight.set(idKey(id), ac);
    return ac;
  }

  /** Forgets an in-flight request. */
  untrack(id: JsonRpcId, ac: Canceller): void {
    const k = idKey(id);
    if (this.inflight.get(k) === ac) this.inflight.delete(k);
  }

  /** Cancels an in-flight request by the client's id; false if none. */
  cancel(id: JsonRpcId): boolean {
    const ac = this.inflight.get(idKey(id));
    if (ac === undefined) return false;
    ac.abort();
    return true;
  }

  /** LeaseListener: a message from an upstream that belongs to no request (see Upstreams for attribution). */
  onMessage(server: string, msg: JsonRpcNotification | JsonRpcRequest, lease: Lease): void {
    this.fromUpstream(server, msg, lease, undefined);
  }

  /** LeaseListener: a connection ended. */
  onClose(server: string, err: WardenError | undefined): void {
    const shared = this.leases.get(server)?.shared ?? false;
    this.leases.delete(server);
    // A private connection that failed stays failed for this session; a shared one is restarted
    // for whoever leases it next, this session included.
    if (err !== undefined && !shared) this.dead.set(server, err);
    // A restarted server may list different tools.
    this.toolSchemas.forget(server);
    for (const [k, r] of this.serverRequests) if (r.server === server) this.serverRequests.delete(k);
  }

  /**
   * Delivers a server→client message: server requests get a Warden id (mapped back when the client
   * answers), pings are answered here, and everything passes the outbound hook first.
   */
  fromUpstream(
    server: string,
    msg: JsonRpcMessage,
    lease: Lease,
    channel: ClientChannel | undefined,
    rechecked = false,
  ): void {
    if (this.closedValue) return;
    const changedKind = !rechecked && !isRequest(msg) && 'method' in msg ? CHANGED[msg.method] : undefined;
    if (
      changedKind !== undefined &&
      this.upstreams.integrity !== undefined &&
      this.upstreams.integrity.mode !== 'off'
    ) {
      // Pinning: Warden lists again and reviews the new list first; the client hears of the change
      // only when what it may see changed (or when the re-check failed and it cannot tell).
      void recheck(this.upstreams, this, server, lease, changedKind)
        .catch(() => true)
        .then((changed) => {
          if (changed) this.fromUpstream(server, msg, lease, channel, true);
        });
      return;
    }
    let out: JsonRpcMessage = msg;
    if (isRequest(msg)) {
      if (msg.method === 'ping') {
        void lease.upstream.respond({ jsonrpc: '2.0', id: msg.id, result: {} }).catch(() => undefined);
        return;
      }
      if (this.refuseServerRequest(server, msg, lease)) return;
      const need = CAPABILITY_FOR[msg.method];
      if (need !== undefined && this.hello.capabilities[need] === undefined) {
        // A shared upstream was told Warden can relay this; this client said it cannot answer it.
        void lease.upstream
          .respond(errorResponse(msg.id, -32601, `client does not support ${msg.method}`))
          .catch(() => undefined);
        return;
      }
      if (this.era === 'modern' || this.serverRequests.size >= MAX_SERVER_REQUESTS) {
        const why =
          this.era === 'modern'
            ? 'server-initiated requests are not bridged to 2026-07-28 clients'
            : 'too many pending server requests';
        void lease.upstream.respond(errorResponse(msg.id, -32601, why)).catch(() => undefined);
        return;
      }
      const dsId = `w${this.nextServerRequest++}`;
      this.serverRequests.set(dsId, { server, upstreamId: msg.id, lease });
      out = { ...msg, id: dsId };
    } else if ('method' in msg && msg.method === 'notifications/tools/list_changed') {
      this.toolSchemas.forget(server);
    } else if ('method' in msg && msg.method === 'notifications/cancelled') {
      const upId = msg.params?.requestId;
      for (const [dsId, r] of this.serverRequests) {
        if (r.server === server && r.upstreamId === upId) {
          this.serverRequests.delete(dsId);
          out = { ...msg, params: { ...msg.params, requestId: dsId } };
        }
      }
    }
    const upstreamId = isRequest(msg) ? msg.id : undefined;
    const refuse = (err: unknown): void => {
      // A refused server→client request is answered upstream with the error; anything else is dropped.
      if (upstreamId === undefined || !isRequest(out)) return;
      this.serverRequests.delete(String(out.id));
      void lease.upstream.respond(toJsonRpcError(toWardenError(err), upstreamId)).catch(() => undefined);
    };
    let final: JsonRpcMessage | undefined | Promise<JsonRpcMessage | undefined>;
    try {
      final = this.outbound(this, server, out);
    } catch (err) {
      refuse(err);
      return;
    }
    // Synchronous stages and nothing queued: deliver now (the usual path, no promise created).
    if (!(final instanceof Promise) && this.queue === undefined) {
      this.deliver(final, channel);
      return;
    }
    // Behind an asynchronous stage, later messages wait for earlier ones so a stream keeps its order.
    const pending = final;
    const q: Promise<void> = (this.queue ?? Promise.resolve())
      .then(() => pending)
      .then(
        (m) => this.deliver(m, channel),
        (err: unknown) => refuse(err),
      )
      .finally(() => {
        if (this.queue === q) this.queue = undefined;
      });
    this.queue = q;
  }

  private deliver(final: JsonRpcMessage | undefined, channel: ClientChannel | undefined): void {
    if (final === undefined || this.closedValue) return;
    if (channel?.open === true) channel.send(final);
    else this.sink?.push(final);
  }

  /**
   * Resolves once every message held by an asynchronous response stage has been delivered, so a
   * request's final answer goes after its progress notifications; undefined when none is held.
   */
  settled(): Promise<void> | undefined {
    return this.queue;
  }

  /**
   * Answers a server→client request that the server's `allow` settings or the secret-form rule
   * forbid with ERR_SERVER_REQUEST_REFUSED, so it never reaches the client; true when refused.
   */
  refuseServerRequest(server: string, msg: JsonRpcRequest, lease: Lease): boolean {
    try {
      verifyServerRequest(server, this.upstreams.allowOf(server), msg.method, msg.params);
      return false;
    } catch (err) {
      void lease.upstream.respond(toJsonRpcError(toWardenError(err), msg.id)).catch(() => undefined);
      return true;
    }
  }

  /**
   * Asks the client a server→client request on Warden's own behalf (sampling, elicitation, roots
   * that a 2026-07-28 upstream asked for inside an input_required result) and waits for the answer.
   */
  askClient(
    method: string,
    params: Record<string, unknown> | undefined,
    channel: ClientChannel | undefined,
    timeoutMs: number,
  ): Promise<JsonRpcResponse> {
    const id = `w${this.nextServerRequest++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.localAsks.delete(id);
        reject(
          new WardenError('ERR_UPSTREAM_TIMEOUT', `the client did not answer ${method}`, {
            data: { method },
          }),
        );
      }, timeoutMs);
      this.localAsks.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      const msg: JsonRpcRequest =
        params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      if (channel?.open === true) channel.send(msg);
      else this.sink?.push(msg);
    });
  }

  /**
   * Asks the client a question of Warden's own that releases or refuses a held call (user
   * confirmation): the id is `warden-` and 192 random bits, so it can be neither guessed nor
   * confused with the `w<n>` ids of relayed server requests, and only a response POSTed on this
   * session (this principal) can answer it. Resolves undefined when no answer came within
   * `timeoutMs`; the client is then told the request was cancelled.
   */
  askUser(
    method: string,
    params: Record<string, unknown>,
    channel: ClientChannel | undefined,
    timeoutMs: number,
  ): Promise<JsonRpcResponse | undefined> {
    const id = `warden-${newSessionId()}`;
    const send = (m: JsonRpcMessage): void => {
      if (channel?.open === true) channel.send(m);
      else this.sink?.push(m);
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.localAsks.delete(id);
        send({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: 'confirmation timed out' },
        });
        resolve(undefined);
      }, timeoutMs);
      this.localAsks.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      send({ jsonrpc: '2.0', id, method, params });
    });
  }

  /** Relays the client's answer to a server→client request; false when no such request is waiting. */
  async answer(msg: JsonRpcResponse): Promise<boolean> {
    const id = msg.id;
    if (typeof id !== 'string') return false;
    const local = this.localAsks.get(id);
    if (local !== undefined) {
      this.localAsks.delete(id);
      local(msg);
      return true;
    }
    const r = this.serverRequests.get(id);
    if (r === undefined) return false;
    this.serverRequests.delete(id);
    await r.lease.upstream.respond({ ...msg, id: r.upstreamId });
    return true;
  }

  /** Sends a notification to every connected server (or one). */
  async broadcast(method: string, params: Record<string, unknown> | undefined, only?: string): Promise<void> {
    const targets =
      only === undefined
        ? [...this.leases.values()]
        : [this.leases.get(only)].filter((l): l is Lease => l !== undefined);
    await Promise.allSettled(targets.map((l) => l.upstream.notify(method, params)));
  }

  /** Ends the session: cancels in-flight work, releases connections (reaping private children). */
  async close(): Promise<void> {
    if (this.closedValue) return;
    this.closedValue = true;
    for (const ac of this.inflight.values()) ac.abort();
    this.inflight.clear();
    this.serverRequests.clear();
    this.localAsks.clear();
    this.sink?.close();
    this.mrtr?.close();
    const pending = [...this.pendingLeases.values()];
    const leases = [...this.leases.values()];
    this.leases.clear();
    await Promise.allSettled(leases.map((l) => l.release()));
    // A connection still being set up is released as soon as it arrives (see lease()).
    await Promise.allSettled(pending);
  }
}
