/**
 * The upstream connection contract and the JSON-RPC bookkeeping both connectors share: Warden's
 * own request ids on each upstream connection (so downstream ids never collide), timeouts,
 * cancellation, progress-token rewriting, and routing of server→client messages to the request
 * they belong to.
 */
import type { CancelSignal } from '../core/cancel.js';
import { WardenError } from '../core/errors.js';
import type {
  JsonRpcId,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  Params,
} from '../core/jsonrpc.js';
import { isRequest } from '../core/jsonrpc.js';
import { LATEST_LEGACY, LATEST_MODERN, LEGACY_VERSIONS, META } from '../core/protocol.js';
import type { Era } from '../core/protocol.js';

/** What an upstream said about itself at initialize (or server/discover). */
export interface UpstreamInfo {
  readonly protocolVersion: string;
  readonly era: Era;
  readonly capabilities: Record<string, unknown>;
  readonly serverInfo: Record<string, unknown>;
  readonly instructions: string | undefined;
}

/** What Warden tells an upstream about the client at initialize. */
export interface ClientHello {
  readonly protocolVersion: string;
  readonly capabilities: Record<string, unknown>;
  readonly clientInfo: Record<string, unknown>;
}

/** Which era to speak to an upstream: see the `protocol` config key. */
export type EraMode = 'auto' | 'legacy' | 'modern';

/** Options of one upstream request. */
export interface RequestOptions {
  /** Milliseconds before the request fails with ERR_UPSTREAM_TIMEOUT. */
  readonly timeoutMs: number;
  /** Aborting cancels the request upstream and rejects with ERR_CANCELLED. */
  readonly signal?: CancelSignal;
  /** Server→client messages that belong to this request (progress, logging, server requests). */
  readonly onMessage?: (msg: JsonRpcMessage) => void;
}

/** Receives what an upstream sends that belongs to no request of ours. */
export interface UpstreamEvents {
  /** A notification or server→client request not tied to a pending request. */
  onMessage(msg: JsonRpcNotification | JsonRpcRequest): void;
  /** The connection ended (child exited, session lost); pending requests were already failed. */
  onClose(err: WardenError | undefined): void;
}

/** One live connection to one upstream server. */
export interface Upstream {
  readonly server: string;
  /** Set once connect() succeeded. */
  readonly info: UpstreamInfo | undefined;
  /** Handshake: initialize + notifications/initialized, or server/discover in the 2026 era. */
  connect(hello: ClientHello, timeoutMs: number, mode?: EraMode): Promise<UpstreamInfo>;
  /** Sends a request with a fresh upstream id; resolves with the response, id restored by the caller. */
  request(method: string, params: Params | undefined, opts: RequestOptions): Promise<JsonRpcResponse>;
  /** Sends a notification. */
  notify(method: string, params?: Params): Promise<void>;
  /** Answers a server→client request the upstream sent (id is the upstream's own). */
  respond(msg: JsonRpcResponse): Promise<void>;
  /** Ends the connection (kills a child, DELETEs an HTTP session). Idempotent. */
  close(): Promise<void>;
  /** True once closed or failed. */
  readonly closed: boolean;
  /** stdio only: the listener of the only pending request, for attributing server requests. */
  soleListener?(): ((msg: JsonRpcMessage) => void) | undefined;
}

interface Pending {
  readonly method: string;
  readonly resolve: (r: JsonRpcResponse) => void;
  readonly reject: (e: WardenError) => void;
  readonly onMessage: ((msg: JsonRpcMessage) => void) | undefined;
  readonly timer: NodeJS.Timeout;
  readonly progressToken: string | number | undefined;
  readonly cleanup: () => void;
}

/**
 * Request bookkeeping shared by the stdio and HTTP connectors. The connector supplies `transmit`
 * (how a request leaves) and feeds every received message to `receive`.
 */
export class RpcBook {
  private nextId = 1;
  private readonly waiting = new Map<number, Pending>();
  /** Rewritten progress token → upstream request id. */
  private readonly progress = new Map<string, number>();

  constructor(private readonly server: string) {}

  /** True while the request with this upstream id waits for its answer. */
  pending(id: number): boolean {
    return this.waiting.has(id);
  }

  /** Number of requests waiting for an answer. */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * Registers a request and returns it with Warden's upstream id; the promise settles when
   * `receive` sees the answer, the timeout fires, the signal aborts or `failAll` runs.
   */
  open(
    method: string,
    params: Params | undefined,
    opts: RequestOptions,
    onCancel: (id: number) => void,
  ): { msg: JsonRpcRequest; id: number; done: Promise<JsonRpcResponse> } {
    const id = this.nextId++;
    let sendParams = params;
    let originalToken: string | number | undefined;
    const meta = params?._meta;
    if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) {
      const tok = (meta as Record<string, unknown>).progressToken;
      if (typeof tok === 'string' || typeof tok === 'number') {
        // Rewrite the token so tokens of different downstream sessions sharing one upstream cannot collide.
        originalToken = tok;
        const rewritten = `w${id}`;
        this.progress.set(rewritten, id);
        sendParams = { ...params, _meta: { ...(meta as Record<string, unknown>), progressToken: rewritten } };
      }
    }
    const msg: JsonRpcRequest =
      sendParams === undefined
        ? { jsonrpc: '2.0', id, method }
        : { jsonrpc: '2.0', id, method, params: sendParams };
    const done = new Promise<JsonRpcResponse>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.settle(id)) {
          onCancel(id);
          reject(
            new WardenError('ERR_CANCELLED', 'request cancelled by the client', {
              data: { server: this.server },
            }),
          );
        }
      };
      const timer = setTimeout(() => {
        if (this.settle(id)) {
          onCancel(id);
          reject(
            new WardenError(
              'ERR_UPSTREAM_TIMEOUT',
              `upstream ${this.server} did not answer ${method} in ${opts.timeoutMs} ms`,
              {
                data: { server: this.server, method, timeoutMs: opts.timeoutMs },
              },
            ),
          );
        }
      }, opts.timeoutMs);
      const signal = opts.signal;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, {
        method,
        resolve,
        reject,
        onMessage: opts.onMessage,
        timer,
        progressToken: originalToken,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      if (signal?.aborted) onAbort();
    });
    return { msg, id, done };
  }

  /** Removes a pending entry; true if it was still pending. */
  private settle(id: number): boolean {
    const p = this.waiting.get(id);
    if (p === undefined) return false;
    this.waiting.delete(id);
    clearTimeout(p.timer);
    p.cleanup();
    if (p.progressToken !== undefined) this.progress.delete(`w${id}`);
    return true;
  }

  /** Settles a request with an answer received out of band (e.g. an HTTP error status). */
  fail(id: number, err: WardenError): void {
    const p = this.waiting.get(id);
    if (p !== undefined && this.settle(id)) p.reject(err);
  }

  /** Fails every pending request (connection lost). */
  failAll(err: WardenError): void {
    for (const [id, p] of [...this.waiting]) {
      if (this.settle(id)) p.reject(err);
    }
  }

  /**
   * Routes one message from the upstream. `related` names the request whose HTTP response stream
   * carried it (HTTP connector); returns the message when it belongs to no request.
   */
  receive(msg: JsonRpcMessage, related?: number): JsonRpcNotification | JsonRpcRequest | undefined {
    if (!('method' in msg)) {
      const id = msg.id;
      if (typeof id !== 'number') return undefined;
      const p = this.waiting.get(id);
      if (p === undefined || !this.settle(id)) return undefined;
      p.resolve(msg);
      return undefined;
    }
    if (msg.method === 'notifications/progress' && !isRequest(msg)) {
      const tok = msg.params?.progressToken;
      const owner = typeof tok === 'string' ? this.progress.get(tok) : undefined;
      const p = owner === undefined ? undefined : this.waiting.get(owner);
      if (p !== undefined && owner !== undefined) {
        p.onMessage?.({ ...msg, params: { ...msg.params, progressToken: p.progressToken } });
        return undefined;
      }
    }
    if (related !== undefined) {
      const p = this.waiting.get(related);
      if (p?.onMessage !== undefined) {
        p.onMessage(msg);
        return undefined;
      }
    }
    return msg;
  }

  /** The id of the only pending request, if exactly one is pending (attribution on stdio). */
  soleRequest(): number | undefined {
    if (this.waiting.size !== 1) return undefined;
    for (const id of this.waiting.keys()) return id;
    return undefined;
  }

  /** The onMessage callback of a pending request. */
  listenerOf(id: number): ((msg: JsonRpcMessage) => void) | undefined {
    return this.waiting.get(id)?.onMessage;
  }
}

/**
 * A request cancelled before it left is never sent (the upstream would run it for nothing): the
 * rejection to return instead, or undefined when the request may go.
 */
export function cancelledBeforeSend(server: string, opts: RequestOptions): Promise<never> | undefined {
  if (opts.signal?.aborted !== true) return undefined;
  return Promise.reject(
    new WardenError('ERR_CANCELLED', 'request cancelled by the client', { data: { server } }),
  );
}

/** The initialize params Warden sends upstream for a client hello. */
export function initializeParams(hello: ClientHello): Params {
  return {
    protocolVersion: hello.protocolVersion,
    capabilities: hello.capabilities,
    clientInfo: hello.clientInfo,
  };
}

/** Reads an initialize result into UpstreamInfo; a malformed result is ERR_UPSTREAM_PROTOCOL. */
export function infoFromInitialize(server: string, res: JsonRpcResponse): UpstreamInfo {
  if ('error' in res) {
    throw new WardenError(
      'ERR_UPSTREAM_UNAVAILABLE',
      `upstream ${server} refused initialize: ${res.error.message}`,
      {
        data: { server, upstreamCode: res.error.code },
      },
    );
  }
  const r = res.result;
  const v = r.protocolVersion;
  if (typeof v !== 'string' || !(LEGACY_VERSIONS as readonly string[]).includes(v)) {
    throw new WardenError(
      'ERR_UPSTREAM_PROTOCOL',
      `upstream ${server} negotiated an unsupported protocol version`,
      {
        data: { server, version: typeof v === 'string' ? v : null, supported: [...LEGACY_VERSIONS] },
      },
    );
  }
  const caps = r.capabilities;
  const si = r.serverInfo;
  return {
    protocolVersion: v,
    era: 'legacy',
    capabilities: caps !== null && typeof caps === 'object' ? (caps as Record<string, unknown>) : {},
    serverInfo: si !== null && typeof si === 'object' ? (si as Record<string, unknown>) : {},
    instructions: typeof r.instructions === 'string' ? r.instructions : undefined,
  };
}

/** The per-request `_meta` a 2026-07-28 upstream needs, from a client hello. */
export function modernMeta(hello: ClientHello): Record<string, unknown> {
  return {
    [META.protocolVersion]: LATEST_MODERN,
    [META.clientInfo]: hello.clientInfo,
    [META.clientCapabilities]: hello.capabilities,
  };
}

/** Params with the 2026 request metadata added; values the client sent itself win. */
export function withModernMeta(params: Params | undefined, meta: Record<string, unknown>): Params {
  const own = params?._meta;
  const mine =
    own !== null && typeof own === 'object' && !Array.isArray(own) ? (own as Record<string, unknown>) : {};
  return { ...params, _meta: { ...meta, ...mine } };
}

/** Reads a server/discover result into UpstreamInfo; anything else is ERR_UPSTREAM_PROTOCOL. */
export function infoFromDiscover(server: string, res: JsonRpcResponse): UpstreamInfo {
  const r = 'result' in res ? res.result : undefined;
  const versions = r?.supportedVersions;
  if (r === undefined || !Array.isArray(versions) || !versions.includes(LATEST_MODERN)) {
    throw new WardenError(
      'ERR_UPSTREAM_PROTOCOL',
      `upstream ${server} speaks neither initialize nor 2026-07-28 server/discover`,
      {
        data: { server },
      },
    );
  }
  const caps = r.capabilities;
  const meta = r._meta;
  const si =
    (meta !== null && typeof meta === 'object'
      ? (meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo']
      : undefined) ?? r.serverInfo;
  return {
    protocolVersion: LATEST_MODERN,
    era: 'modern',
    capabilities: caps !== null && typeof caps === 'object' ? (caps as Record<string, unknown>) : {},
    serverInfo: si !== null && typeof si === 'object' ? (si as Record<string, unknown>) : {},
    instructions: typeof r.instructions === 'string' ? r.instructions : undefined,
  };
}

/**
 * The era handshake shared by both connectors: initialize first (unless `modern`), and on refusal
 * (unless `legacy`) server/discover with 2026 metadata. `setModern` switches the connector to
 * per-request metadata before the probe.
 */
export async function handshake(
  server: string,
  hello: ClientHello,
  timeoutMs: number,
  mode: EraMode,
  ops: {
    request: (method: string, params: Params | undefined, opts: RequestOptions) => Promise<JsonRpcResponse>;
    notify: (method: string) => Promise<void>;
    setModern: (meta: Record<string, unknown>) => void;
    /** Called with the negotiated session-era facts before notifications/initialized goes out. */
    onLegacy?: (info: UpstreamInfo) => void;
  },
): Promise<UpstreamInfo> {
  let legacyError: unknown;
  if (mode !== 'modern') {
    try {
      const res = await ops.request('initialize', initializeParams(hello), { timeoutMs });
      const info = infoFromInitialize(server, res);
      ops.onLegacy?.(info);
      await ops.notify('notifications/initialized');
      return info;
    } catch (err) {
      if (
        mode === 'legacy' ||
        (err instanceof WardenError &&
          (err.code === 'ERR_UPSTREAM_CRASHED' || err.code === 'ERR_UPSTREAM_TIMEOUT'))
      )
        throw err;
      legacyError = err;
    }
  }
  ops.setModern(modernMeta(hello));
  try {
    return infoFromDiscover(server, await ops.request('server/discover', {}, { timeoutMs }));
  } catch (err) {
    throw legacyError ?? err;
  }
}

/** The default hello Warden uses for connections it owns (shared children). */
export function wardenHello(version: string): ClientHello {
  // Shared connections serve many clients: Warden declares what it can relay (to the one client a
  // request is attributed to, or through Multi Round-Trip Requests), and refuses per request what
  // that client did not declare.
  return {
    protocolVersion: LATEST_LEGACY,
    capabilities: { sampling: {}, elicitation: {}, roots: {} },
    clientInfo: { name: 'mcp-warden', version },
  };
}

/** A JSON-RPC id as a map key. */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}
