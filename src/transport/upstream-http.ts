/**
 * Upstream connector for remote Streamable HTTP MCP servers (2025 session era). One undici pool
 * per origin is shared by every connection; each connection keeps the upstream's own
 * Mcp-Session-Id, which never leaves Warden. JSON and SSE responses are read with hard caps; SSE
 * is decoded event by event. Only Warden's own headers are sent: nothing from the client.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { WardenError } from '../core/errors.js';
import type { JsonRpcMessage, JsonRpcResponse, Params } from '../core/jsonrpc.js';
import { parseMessage } from '../core/jsonrpc.js';
import { LATEST_MODERN, NAME_SOURCE, encodeHeaderValue } from '../core/protocol.js';
import type { Logger } from '../core/log.js';
import { SseDecoder } from './sse.js';
import { tlsConnectOptions } from './upstream-tls.js';
import type { UpstreamTls } from './upstream-tls.js';
import { RpcBook, cancelledBeforeSend, handshake, withModernMeta } from './upstream.js';
import type {
  ClientHello,
  EraMode,
  RequestOptions,
  Upstream,
  UpstreamEvents,
  UpstreamInfo,
} from './upstream.js';

/** Settings of one remote upstream. */
export interface HttpTarget {
  readonly url: URL;
  readonly connectTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxEventBytes: number;
  /** Extra CAs and SPKI pins for an https upstream; undefined for Node's defaults. */
  readonly tls?: UpstreamTls | undefined;
  /**
   * Warden's own credential headers for this upstream, asked for before every HTTP request the
   * connection makes (POST, the GET stream, DELETE); absent when the upstream gets none. A throw or
   * rejection fails that request before anything is sent. It can never replace Warden's protocol
   * headers (`content-type`, `accept`, `mcp-*`) or the framing headers.
   */
  readonly credentials?: () => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>;
}

const pools = new Map<string, Pool>();

/** The shared connection pool for an origin and its TLS settings. */
function poolFor(url: URL, connectTimeoutMs: number, tls: UpstreamTls | undefined): Pool {
  const key = tls === undefined ? url.origin : `${url.origin} ${tls.key}`;
  let p = pools.get(key);
  if (p === undefined) {
    p = new Pool(url.origin, {
      connections: 128,
      pipelining: 1,
      connectTimeout: connectTimeoutMs,
      keepAliveTimeout: 30_000,
      connect: tlsConnectOptions(tls, url.host),
    });
    pools.set(key, p);
  }
  return p;
}

/** Closes every shared pool (shutdown). */
export async function closeHttpPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.allSettled(all.map((p) => p.close()));
}

type Body = Dispatcher.ResponseData['body'];

/** One request in flight: whether it was cancelled, and its response body once it arrived. */
interface Flight {
  cancelled: boolean;
  body: Body | undefined;
}

/** Reads a whole body up to `max` bytes, else ERR_UPSTREAM_RESPONSE_TOO_LARGE. */
async function readCapped(body: Body, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) {
      body.destroy();
      throw new WardenError('ERR_UPSTREAM_RESPONSE_TOO_LARGE', `upstream response larger than ${max} bytes`, {
        data: { limit: max },
      });
    }
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Headers that frame the HTTP message; only the connector and undici set them. */
const FRAMING: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

/** True for a header Warden's connector sets itself, which a credential may not replace. */
function isProtocolHeader(name: string): boolean {
  return name === 'content-type' || name === 'accept' || name.startsWith('mcp-') || FRAMING.has(name);
}

function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A connection (an upstream session) to one remote server. */
export class HttpUpstream implements Upstream {
  private readonly book: RpcBook;
  private readonly pool: Pool;
  private infoValue: UpstreamInfo | undefined;
  private closedValue = false;
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private readonly inflight = new Map<number, Flight>();
  private getStream: AbortController | undefined;
  /** 2026-07-28 request metadata, once the upstream turned out to be a 2026-era server. */
  private modern: Record<string, unknown> | undefined;

  constructor(
    readonly server: string,
    private readonly target: HttpTarget,
    private readonly events: UpstreamEvents,
    private readonly log: Logger,
  ) {
    this.book = new RpcBook(server);
    this.pool = poolFor(target.url, target.connectTimeoutMs, target.tls);
  }

  get info(): UpstreamInfo | undefined {
    return this.infoValue;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  private headers(msg?: JsonRpcMessage): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (this.sessionId !== undefined) h['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion !== undefined) h['mcp-protocol-version'] = this.protocolVersion;
    if (this.modern !== undefined && msg !== undefined && 'method' in msg) {
      // 2026-07-28: the body's method and name are mirrored into headers for intermediaries.
      h['mcp-protocol-version'] = LATEST_MODERN;
      h['mcp-method'] = msg.method;
      const field = NAME_SOURCE[msg.method];
      const v = field === undefined ? undefined : msg.params?.[field];
      if (typeof v === 'string') h['mcp-name'] = encodeHeaderValue(v);
    }
    return h;
  }

  /** Adds Warden's credential for this upstream to `h`; throws the credential's coded error. */
  private async withCredentials(h: Record<string, string>): Promise<Record<string, string>> {
    const get = this.target.credentials;
    if (get === undefined) return h;
    let extra: Readonly<Record<string, string>>;
    try {
      const c = get();
      extra = c instanceof Promise ? await c : c;
    } catch (err) {
      throw err instanceof WardenError
        ? err
        : new WardenError('ERR_UPSTREAM_CREDENTIAL', `no credential for upstream ${this.server}`, {
            data: { server: this.server },
          });
    }
    for (const [k, v] of Object.entries(extra)) {
      const name = k.toLowerCase();
      if (!isProtocolHeader(name)) h[name] = v;
    }
    return h;
  }

  private path(): string {
    return this.target.url.pathname + this.target.url.search;
  }

  private async post(msg: JsonRpcMessage): Promise<Dispatcher.ResponseData> {
    // Outside the try: a credential failure keeps its own code and nothing is sent. Without a
    // credential nothing is awaited here (no extra promise per request on the hot path).
    const own = this.headers(msg);
    const headers = this.target.credentials === undefined ? own : await this.withCredentials(own);
    try {
      return await this.pool.request({
        path: this.path(),
        method: 'POST',
        headers,
        body: JSON.stringify(msg),
      });
    } catch (err) {
      if (err instanceof WardenError && err.code === 'ERR_UPSTREAM_TLS_PIN') {
        // The handshake was torn down before the request was written: nothing reached the server.
        // The operator's log gets the host and the presented pin; the client only the server name.
        this.log.warn('upstream TLS pin mismatch; connection refused', { server: this.server, ...err.data });
        throw new WardenError('ERR_UPSTREAM_TLS_PIN', `upstream ${this.server}: unpinned TLS key`, {
          data: { server: this.server },
          cause: err,
        });
      }
      throw new WardenError('ERR_UPSTREAM_UNAVAILABLE', `upstream ${this.server} unreachable`, {
        data: { server: this.server },
        cause: err,
      });
    }
  }

  /** Consumes one POST response: JSON or SSE, feeding each message to the book. */
  private async consume(res: Dispatcher.ResponseData, related: number | undefined): Promise<void> {
    const ct = headerOf(res.headers, 'content-type') ?? '';
    if (ct.startsWith('text/event-stream')) {
      const decoder = new SseDecoder((e) => {
        if (e.data === '') return;
        this.deliver(e.data, related);
      }, this.target.maxEventBytes);
      const td = new TextDecoder();
      try {
        for await (const chunk of res.body) decoder.push(td.decode(chunk as Buffer, { stream: true }));
      } catch (err) {
        res.body.destroy();
        throw err;
      }
      return;
    }
    // A declared length within the cap is read in one go; anything else is counted as it streams.
    const declared = Number(headerOf(res.headers, 'content-length') ?? NaN);
    const text =
      Number.isSafeInteger(declared) && declared <= this.target.maxResponseBytes
        ? await res.body.text()
        : await readCapped(res.body, this.target.maxResponseBytes);
    if (text.length === 0 || text.trim() === '') return;
    if (!ct.startsWith('application/json')) {
      throw new WardenError(
        'ERR_UPSTREAM_PROTOCOL',
        `upstream ${this.server} answered with content type ${ct || 'none'}`,
        { data: { server: this.server } },
      );
    }
    this.deliver(text, related);
  }

  private deliver(text: string, related: number | undefined): void {
    let msg: JsonRpcMessage;
    try {
      msg = parseMessage(text);
    } catch {
      throw new WardenError('ERR_UPSTREAM_PROTOCOL', `upstream ${this.server} sent a malformed message`, {
        data: { server: this.server },
      });
    }
    const rest = this.book.receive(msg, related);
    if (rest !== undefined) this.events.onMessage(rest);
  }

  private statusError(status: number): WardenError {
    if (status === 404 && this.sessionId !== undefined) {
      return new WardenError('ERR_UPSTREAM_SESSION_LOST', `upstream ${this.server} lost its session`, {
        data: { server: this.server },
      });
    }
    return new WardenError('ERR_UPSTREAM_UNAVAILABLE', `upstream ${this.server} answered HTTP ${status}`, {
      data: { server: this.server, status },
    });
  }

  async connect(hello: ClientHello, timeoutMs: number, mode: EraMode = 'auto'): Promise<UpstreamInfo> {
    const info = await handshake(this.server, hello, timeoutMs, mode, {
      request: (m, p, o) => this.request(m, p, o),
      notify: (m) => this.notify(m),
      onLegacy: (i) => {
        this.protocolVersion = i.protocolVersion;
      },
      setModern: (meta) => {
        this.modern = meta;
        this.sessionId = undefined;
        this.protocolVersion = undefined;
      },
    });
    this.infoValue = info;
    if (info.era === 'legacy') this.openGetStream();
    return info;
  }

  request(method: string, rawParams: Params | undefined, opts: RequestOptions): Promise<JsonRpcResponse> {
    const params = this.modern === undefined ? rawParams : withModernMeta(rawParams, this.modern);
    const early = cancelledBeforeSend(this.server, opts);
    if (early !== undefined) return early;
    if (this.closedValue) {
      return Promise.reject(
        new WardenError('ERR_UPSTREAM_UNAVAILABLE', `upstream ${this.server} connection closed`, {
          data: { server: this.server },
        }),
      );
    }
    // No AbortController per request (they cost more than the whole rest of the bookkeeping): a
    // cancelled request's response is discarded, and a stream already flowing is destroyed.
    const flight: Flight = { cancelled: false, body: undefined };
    const { msg, id, done } = this.book.open(method, params, opts, (cancelled) => {
      const f = this.inflight.get(cancelled);
      if (f !== undefined) {
        f.cancelled = true;
        f.body?.destroy();
      }
      if (this.sessionId !== undefined && !this.closedValue) {
        this.notify('notifications/cancelled', { requestId: cancelled, reason: 'cancelled' }).catch(
          () => undefined,
        );
      }
    });
    this.inflight.set(id, flight);
    void (async () => {
      try {
        const res = await this.post(msg);
        if (flight.cancelled) {
          res.body.destroy();
          return;
        }
        flight.body = res.body;
        if (method === 'initialize') {
          const sid = headerOf(res.headers, 'mcp-session-id');
          if (sid !== undefined) this.sessionId = sid;
        }
        const ct = headerOf(res.headers, 'content-type') ?? '';
        if (res.statusCode >= 400 && this.modern !== undefined && ct.startsWith('application/json')) {
          // A 2026-07-28 server answers protocol errors with 4xx and a JSON-RPC error body.
          await this.consume(res, id);
          // A refusal whose body names no id (413, 406, a parse error) still ends this request.
          if (this.book.pending(id)) this.book.fail(id, this.statusError(res.statusCode));
          return;
        }
        if (res.statusCode >= 400) {
          await res.body.dump().catch(() => undefined);
          const err = this.statusError(res.statusCode);
          this.book.fail(id, err);
          if (err.code === 'ERR_UPSTREAM_SESSION_LOST') this.lost(err);
          return;
        }
        await this.consume(res, id);
        // Normally the answer came on the stream; build the error only when it did not.
        if (this.book.pending(id))
          this.book.fail(
            id,
            new WardenError(
              'ERR_UPSTREAM_PROTOCOL',
              `upstream ${this.server} ended the stream without answering`,
              { data: { server: this.server, method } },
            ),
          );
      } catch (err) {
        this.book.fail(
          id,
          err instanceof WardenError
            ? err
            : new WardenError('ERR_UPSTREAM_UNAVAILABLE', undefined, { cause: err }),
        );
      } finally {
        this.inflight.delete(id);
      }
    })();
    return done;
  }

  private async sendOneWay(msg: JsonRpcMessage): Promise<void> {
    const res = await this.post(msg);
    await res.body.dump().catch(() => undefined);
    if (res.statusCode >= 400) {
      const err = this.statusError(res.statusCode);
      if (err.code === 'ERR_UPSTREAM_SESSION_LOST') this.lost(err);
      throw err;
    }
  }

  notify(method: string, params?: Params): Promise<void> {
    return this.sendOneWay(
      params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params },
    );
  }

  respond(msg: JsonRpcResponse): Promise<void> {
    return this.sendOneWay(msg);
  }

  /** Opens the standalone GET stream for server-initiated messages; 405 means the server has none. */
  private openGetStream(attempt = 0): void {
    if (this.closedValue || this.sessionId === undefined) return;
    const ac = new AbortController();
    this.getStream = ac;
    void (async () => {
      try {
        const res = await this.pool.request({
          path: this.path(),
          method: 'GET',
          headers: await this.withCredentials({
            accept: 'text/event-stream',
            'mcp-session-id': this.sessionId ?? '',
            'mcp-protocol-version': this.protocolVersion ?? '',
          }),
          signal: ac.signal,
          bodyTimeout: 0,
        });
        if (res.statusCode !== 200) {
          await res.body.dump().catch(() => undefined);
          return;
        }
        await this.consume(res, undefined);
      } catch (err) {
        if (!ac.signal.aborted)
          this.log.debug('upstream GET stream ended', { server: this.server, error: String(err) });
      }
      // Reconnect a dropped stream a few times with backoff; the server may have closed it on purpose.
      if (!this.closedValue && !ac.signal.aborted && attempt < 5) {
        setTimeout(() => this.openGetStream(attempt + 1), 500 * 2 ** attempt).unref();
      }
    })();
  }

  private lost(err: WardenError): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.getStream?.abort();
    this.book.failAll(err);
    this.events.onClose(err);
  }

  async close(): Promise<void> {
    if (this.closedValue) return;
    this.closedValue = true;
    this.getStream?.abort();
    for (const f of this.inflight.values()) {
      f.cancelled = true;
      f.body?.destroy();
    }
    this.book.failAll(
      new WardenError('ERR_UPSTREAM_UNAVAILABLE', `upstream ${this.server} connection closed`, {
        data: { server: this.server },
      }),
    );
    this.events.onClose(undefined);
    if (this.sessionId !== undefined) {
      try {
        const res = await this.pool.request({
          path: this.path(),
          method: 'DELETE',
          headers: await this.withCredentials(this.headers()),
          headersTimeout: 5000,
        });
        await res.body.dump();
      } catch {
        // The upstream may already be gone; its session then expires on its side.
      }
    }
  }
}
