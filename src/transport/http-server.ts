/**
 * The downstream Streamable HTTP server (the side MCP clients connect to). It reads bodies with a
 * hard cap, parses one JSON-RPC message, and hands it to the pipeline with a reply channel that
 * answers with JSON, or switches to SSE as soon as a message other than the final response must
 * go out. GET serves the session's standalone stream (or resumes one), DELETE ends a session.
 */
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ClientChannel } from '../core/channel.js';
import { WardenError, toWardenError } from '../core/errors.js';
import type { HttpFacts } from '../core/exchange.js';
import type { JsonRpcId, JsonRpcMessage, JsonRpcResponse } from '../core/jsonrpc.js';
import { parseMessage } from '../core/jsonrpc.js';
import type { Logger } from '../core/log.js';
import { toHttpError } from '../core/mapper.js';
import type { EndpointSpec, Handler } from '../core/handler.js';
import { SessionStreams, startSse } from './http-streams.js';
import type { StreamWriter } from './http-streams.js';
import { secureContextOptions } from './tls.js';
import type { ListenerTls } from './tls.js';

/** Settings of the HTTP front. */
export interface HttpFrontOptions {
  readonly maxRequestBytes: number;
  readonly replayEvents: number;
  readonly log: Logger;
}

function sendError(res: ServerResponse, err: WardenError, id?: JsonRpcId | null): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const reply = toHttpError(err, id);
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Reads the request body up to `max` bytes, else ERR_TRANSPORT_BODY_TOO_LARGE. */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(new WardenError('ERR_TRANSPORT_BODY_TOO_LARGE', undefined, { data: { limit: max } }));
        // Stop reading; the reply goes out and the connection is closed after it.
        req.pause();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => {
      if (!failed)
        resolve(
          parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8'),
        );
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

/** The reply path of one POST. */
class PostChannel implements ClientChannel {
  private mode: 'pending' | 'sse' | 'done' = 'pending';
  private writer: StreamWriter | undefined;
  private streams: SessionStreams | undefined;
  private stream = 0;
  private readonly abandon: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly streamsOf: (id: string) => SessionStreams | undefined,
    private sessionId: string | undefined,
  ) {
    res.once('close', () => {
      if (this.mode === 'done') return;
      if (this.writer !== undefined) this.streams?.detach(this.writer);
      for (const cb of this.abandon.splice(0)) cb();
    });
  }

  get open(): boolean {
    return this.mode !== 'done' && !this.res.destroyed;
  }

  onAbandon(cb: () => void): void {
    this.abandon.push(cb);
  }

  announceSession(id: string): void {
    this.sessionId = id;
    if (!this.res.headersSent) this.res.setHeader('mcp-session-id', id);
  }

  private toSse(): void {
    this.mode = 'sse';
    this.streams = this.sessionId === undefined ? undefined : this.streamsOf(this.sessionId);
    startSse(this.res);
    if (this.streams !== undefined) {
      this.stream = this.streams.newStream();
      const res = this.res;
      this.writer = {
        stream: this.stream,
        write: (t) => {
          if (!res.writableEnded && !res.destroyed) res.write(t);
        },
        finish: () => {
          if (!res.writableEnded) res.end();
        },
        get alive() {
          return !res.writableEnded && !res.destroyed;
        },
      };
      this.streams.attachPost(this.writer);
    }
  }

  private emit(msg: JsonRpcMessage, final: boolean): void {
    if (this.streams !== undefined) {
      // Recorded for Last-Event-ID resumption even when this connection is gone.
      this.streams.emit(this.stream, msg, final);
      return;
    }
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(`data: ${JSON.stringify(msg)}\n\n`);
    if (final && !this.res.writableEnded) this.res.end();
  }

  send(msg: JsonRpcMessage): void {
    if (this.mode === 'done') return;
    if (this.mode === 'pending') this.toSse();
    this.emit(msg, false);
  }

  end(msg: JsonRpcResponse): void {
    if (this.mode === 'done') return;
    if (this.mode === 'sse') {
      this.mode = 'done';
      this.emit(msg, true);
      return;
    }
    this.mode = 'done';
    if (this.res.destroyed) return;
    // Encode once: measuring the string and then writing it would walk a large result twice.
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    this.res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    this.res.end(body);
  }

  reject(err: WardenError, id?: JsonRpcId | null): void {
    if (this.mode === 'done') return;
    const wasSse = this.mode === 'sse';
    this.mode = 'done';
    if (wasSse) {
      this.emit(toHttpError(err, id).body, true);
      return;
    }
    sendError(this.res, err, id);
  }

  accept(): void {
    if (this.mode === 'done') return;
    this.mode = 'done';
    this.res.writeHead(202, { 'content-length': 0 });
    this.res.end();
  }
}

function factsOf(req: IncomingMessage, path: string, query: string | undefined): HttpFacts {
  return {
    method: req.method ?? 'GET',
    path,
    ...(query !== undefined ? { query } : {}),
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress ?? '',
  };
}

/**
 * Creates the HTTP server (not yet listening), or an HTTPS one when `tls` is given (every response
 * then carries `Strict-Transport-Security` unless its max-age is 0); attach the handler with
 * `serveHttp` once built.
 */
export function createHttpServer(tls: ListenerTls): HttpsServer;
export function createHttpServer(tls?: undefined): Server;
export function createHttpServer(tls?: ListenerTls): Server | HttpsServer {
  const settings = { requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 65_000 };
  const server =
    tls === undefined
      ? createServer(settings)
      : createHttpsServer({ ...settings, ...secureContextOptions(tls.pair, tls.minVersion) });
  const hsts = tls !== undefined && tls.hstsMaxAgeSec > 0 ? `max-age=${tls.hstsMaxAgeSec}` : undefined;
  if (hsts !== undefined) {
    // Registered before serveHttp's listener, so the header is set before any reply is written;
    // writeHead() merges it into every response, refusals included.
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('strict-transport-security', hsts);
    });
  }
  const hstsLine = hsts === undefined ? '' : `strict-transport-security: ${hsts}\r\n`;
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\n${hstsLine}content-length: 0\r\n\r\n`);
    else socket.destroy();
  });
  return server;
}

/** Serves MCP for a handler on a server made by createHttpServer. */
export function serveHttp(server: Server, pipeline: Handler, opts: HttpFrontOptions): void {
  const streams = new Map<string, SessionStreams>();
  const streamsFor = (id: string): SessionStreams => {
    let s = streams.get(id);
    if (s === undefined) {
      s = new SessionStreams(opts.replayEvents, () => streams.delete(id));
      streams.set(id, s);
    }
    return s;
  };

  async function onPost(
    req: IncomingMessage,
    res: ServerResponse,
    facts: HttpFacts,
    endpoint: EndpointSpec,
  ): Promise<void> {
    pipeline.head(facts);
    const text = await readBody(req, opts.maxRequestBytes);
    const message = parseMessage(text);
    const sid = facts.headers['mcp-session-id'];
    const channel = new PostChannel(res, (id) => streams.get(id), typeof sid === 'string' ? sid : undefined);
    await pipeline.handle({ transport: 'http', endpoint, http: facts, message }, channel, streamsFor);
  }

  async function onGet(res: ServerResponse, facts: HttpFacts, endpoint: EndpointSpec): Promise<void> {
    const session = await pipeline.sessionFor(endpoint, facts);
    const id = session.id ?? '';
    const last = facts.headers['last-event-id'];
    streamsFor(id).attachGet(res, typeof last === 'string' ? last : undefined);
    pipeline.auditHttp(endpoint.path, facts, 'ok', undefined, 200, session);
  }

  async function onDelete(res: ServerResponse, facts: HttpFacts, endpoint: EndpointSpec): Promise<void> {
    const session = await pipeline.sessionFor(endpoint, facts);
    pipeline.endSession(session);
    pipeline.auditHttp(endpoint.path, facts, 'ok', undefined, 200, session);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const facts = factsOf(req, path, q === -1 ? undefined : url.slice(q + 1));
    const endpoint = pipeline.endpointOf(path);
    // Refusals before the pipeline took the message (it audits everything after that itself).
    const fail = (err: unknown): void => {
      const we = toWardenError(err);
      if (we.code === 'ERR_INTERNAL') opts.log.error('internal error', { error: String(err) });
      if (we.code === 'ERR_TRANSPORT_BODY_TOO_LARGE') res.setHeader('connection', 'close');
      pipeline.auditHttp(endpoint?.path ?? path.slice(0, 256), facts, 'denied', we.code, we.status);
      sendError(res, we);
    };
    try {
      if (endpoint === undefined) {
        pipeline.head({ ...facts, method: 'HEAD' });
        if (path === '/healthz') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok\n');
          return;
        }
        const doc = facts.method === 'GET' ? pipeline.wellKnown(path) : undefined;
        if (doc !== undefined) {
          const body = JSON.stringify(doc);
          // Public metadata: browser-based clients read it cross-origin (RFC 9728 §3).
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'access-control-allow-origin': '*',
            'cache-control': 'max-age=300',
          });
          res.end(body);
          return;
        }
        throw new WardenError('ERR_TRANSPORT_NOT_FOUND');
      }
      switch (facts.method) {
        case 'POST':
          onPost(req, res, facts, endpoint).catch(fail);
          return;
        case 'GET':
          onGet(res, facts, endpoint).catch(fail);
          return;
        case 'DELETE':
          onDelete(res, facts, endpoint).catch(fail);
          return;
        default:
          res.setHeader('allow', 'GET, POST, DELETE');
          throw new WardenError('ERR_TRANSPORT_METHOD_NOT_ALLOWED');
      }
    } catch (err) {
      fail(err);
    }
  });
}
