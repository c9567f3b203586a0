/**
 * The MCP protocol layer of the notes server. It serves both eras from one process: a legacy
 * session opened with `initialize`, and stateless 2026-07-28 requests that carry their version in
 * `_meta`. Requests run one at a time in arrival order so a write is always visible to the next
 * read; cancellations are handled the moment they arrive.
 */
import { PROMPTS, RESOURCE_TEMPLATES, TOOLS, callTool, getPrompt } from './catalog.js';
import { complete, listResources, readResource } from './resources.js';
import {
  CODE,
  RpcError,
  classify,
  errorMessage,
  isObject,
  notificationMessage,
  resultMessage,
  type JsonObject,
  type RequestId,
} from './rpc.js';
import type { NoteStore } from './store.js';
import {
  CACHE_BY_METHOD,
  INSTRUCTIONS,
  LEGACY_CAPABILITIES,
  LEGACY_VERSIONS,
  MODERN_VERSIONS,
  SERVER_INFO,
  SERVER_INFO_KEY,
  SUPPORTED_VERSIONS,
  VERSION_KEY,
  discoverResult,
  type Era,
} from './versions.js';

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

interface Reply {
  result: JsonObject;
  /** Notifications to send after the response. */
  after?: string[];
}

function keyOf(id: RequestId): string {
  return `${typeof id}:${id}`;
}

function noCursor(params: JsonObject): void {
  // Every list fits in one page, so no cursor this server could have issued exists.
  if (params.cursor !== undefined) throw new RpcError(CODE.invalidParams, 'Invalid cursor');
}

/** Serves MCP messages read from one stdio connection. */
export class NotesServer {
  private session: { version: string } | undefined;
  private logLevel: number | undefined;
  private readonly inflight = new Map<string, AbortController>();
  private queue: Promise<void> = Promise.resolve();

  /** Creates a server over `store` that writes serialised messages with `send` and diagnostics with `log`. */
  constructor(
    private readonly store: NoteStore,
    private readonly send: (line: string) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Handles one line of input. */
  receive(line: string): void {
    const msg = classify(line);
    if (msg.kind === 'invalid') {
      this.refuse(msg.id, msg.error);
    } else if (msg.kind === 'notification' && msg.method === 'notifications/cancelled') {
      this.cancel(msg.params);
    } else if (msg.kind === 'notification') {
      this.enqueue(() => this.onNotification(msg.method));
    } else if (msg.kind === 'request') {
      const key = keyOf(msg.id);
      if (this.inflight.has(key)) {
        this.refuse(msg.id, new RpcError(CODE.invalidRequest, 'Duplicate request id in flight'));
        return;
      }
      const controller = new AbortController();
      this.inflight.set(key, controller);
      this.enqueue(() => this.run(msg.id, msg.method, msg.params, controller));
    }
    // Responses need no handling: this server never sends requests.
  }

  /** Answers a message that could not be accepted, in order with the answers already queued. */
  refuse(id: RequestId | null, error: RpcError): void {
    this.enqueue(() => this.send(errorMessage(id, error)));
  }

  /** Resolves once every queued message has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(task: () => Promise<void> | void): void {
    this.queue = this.queue
      .then(task)
      .catch((err: unknown) => this.log(`unexpected failure: ${String(err)}`));
  }

  private cancel(params: JsonObject): void {
    const id = params.requestId;
    if (typeof id !== 'string' && typeof id !== 'number') return;
    const controller = this.inflight.get(keyOf(id));
    if (!controller) return;
    const reason = typeof params.reason === 'string' ? params.reason : 'cancelled by client';
    this.log(`request ${id} cancelled: ${reason}`);
    controller.abort(reason);
  }

  private onNotification(method: string): void {
    if (method === 'notifications/initialized') {
      this.log(`client ready (protocol ${this.session?.version ?? 'none'})`);
    }
  }

  private async run(
    id: RequestId,
    method: string,
    params: JsonObject,
    controller: AbortController,
  ): Promise<void> {
    try {
      if (controller.signal.aborted) return;
      const reply = await this.dispatch(method, params, controller.signal);
      // A cancelled request gets no response, but a change it already made is still announced.
      if (!controller.signal.aborted) this.send(resultMessage(id, reply.result));
      for (const line of reply.after ?? []) this.send(line);
    } catch (err) {
      if (controller.signal.aborted) return;
      if (err instanceof RpcError) {
        this.send(errorMessage(id, err));
      } else {
        this.log(`${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        this.send(errorMessage(id, new RpcError(CODE.internalError, 'Internal error')));
      }
    } finally {
      this.inflight.delete(keyOf(id));
    }
  }

  private async dispatch(method: string, params: JsonObject, signal: AbortSignal): Promise<Reply> {
    const meta = isObject(params._meta) ? params._meta : undefined;
    const requested = meta?.[VERSION_KEY];
    if (requested !== undefined && typeof requested !== 'string') {
      throw new RpcError(CODE.invalidParams, `${VERSION_KEY} must be a string`);
    }
    // A legacy version in _meta is not a modern request; it falls through to the session rules.
    if (requested === undefined || LEGACY_VERSIONS.includes(requested)) {
      return this.legacy(method, params, signal);
    }
    if (!MODERN_VERSIONS.includes(requested)) {
      throw new RpcError(CODE.unsupportedProtocolVersion, 'Unsupported protocol version', {
        supported: SUPPORTED_VERSIONS,
        requested,
      });
    }
    return this.modern(method, params, signal);
  }

  private async modern(method: string, params: JsonObject, signal: AbortSignal): Promise<Reply> {
    if (method === 'server/discover') return { result: discoverResult() };
    const reply = await this.feature(method, params, signal, 'modern');
    if (!reply) {
      const removed = ['initialize', 'ping', 'logging/setLevel'].includes(method);
      throw new RpcError(
        CODE.methodNotFound,
        removed
          ? `Method not found: ${method} is not part of protocol 2026-07-28`
          : `Method not found: ${method}`,
      );
    }
    const result = {
      ...reply.result,
      ...CACHE_BY_METHOD[method],
      resultType: 'complete',
      _meta: { [SERVER_INFO_KEY]: SERVER_INFO },
    };
    // Change notifications belong to legacy sessions; modern clients would use subscriptions/listen.
    return { result, after: this.session ? reply.after : [] };
  }

  private async legacy(method: string, params: JsonObject, signal: AbortSignal): Promise<Reply> {
    if (method === 'initialize') return { result: this.initialize(params) };
    if (method === 'ping') return { result: {} };
    if (method === 'server/discover') return { result: discoverResult() };
    if (!this.session) {
      throw new RpcError(CODE.invalidRequest, 'Server not initialized: send initialize first');
    }
    if (method === 'logging/setLevel') {
      const level = LOG_LEVELS.indexOf(typeof params.level === 'string' ? params.level : '');
      if (level === -1) {
        throw new RpcError(CODE.invalidParams, `level must be one of: ${LOG_LEVELS.join(', ')}`);
      }
      this.logLevel = level;
      return { result: {} };
    }
    const reply = await this.feature(method, params, signal, 'legacy');
    if (!reply) throw new RpcError(CODE.methodNotFound, `Method not found: ${method}`);
    return reply;
  }

  private initialize(params: JsonObject): JsonObject {
    if (this.session) throw new RpcError(CODE.invalidRequest, 'Already initialized');
    const asked = params.protocolVersion;
    if (typeof asked !== 'string') throw new RpcError(CODE.invalidParams, 'protocolVersion must be a string');
    const version = LEGACY_VERSIONS.includes(asked) ? asked : (LEGACY_VERSIONS[0] ?? asked);
    this.session = { version };
    const client = isObject(params.clientInfo) ? String(params.clientInfo.name) : 'unknown client';
    this.log(`initialized by ${client}: asked ${asked}, using ${version}`);
    return {
      protocolVersion: version,
      capabilities: LEGACY_CAPABILITIES,
      serverInfo: SERVER_INFO,
      instructions: INSTRUCTIONS,
    };
  }

  /** Methods both eras share; undefined when the method is unknown. */
  private async feature(
    method: string,
    params: JsonObject,
    signal: AbortSignal,
    era: Era,
  ): Promise<Reply | undefined> {
    switch (method) {
      case 'tools/list':
        noCursor(params);
        return { result: { tools: TOOLS } };
      case 'tools/call': {
        const outcome = await callTool(this.store, params.name, params.arguments, signal);
        if (!outcome.listChanged) return { result: outcome.result };
        const after = [
          notificationMessage('notifications/resources/list_changed'),
          ...this.logMessage('info', `note list changed by ${String(params.name)}`),
        ];
        return { result: outcome.result, after };
      }
      case 'resources/list':
        noCursor(params);
        return { result: await listResources(this.store) };
      case 'resources/read':
        return { result: await readResource(this.store, params.uri, era) };
      case 'resources/templates/list':
        noCursor(params);
        return { result: { resourceTemplates: RESOURCE_TEMPLATES } };
      case 'prompts/list':
        noCursor(params);
        return { result: { prompts: PROMPTS } };
      case 'prompts/get':
        return { result: await getPrompt(this.store, params.name, params.arguments) };
      case 'completion/complete':
        return { result: await complete(this.store, params) };
      default:
        return undefined;
    }
  }

  private logMessage(level: string, data: string): string[] {
    const rank = LOG_LEVELS.indexOf(level);
    // Only a client that asked for log messages with logging/setLevel gets them.
    if (!this.session || this.logLevel === undefined || rank < this.logLevel) return [];
    return [notificationMessage('notifications/message', { level, logger: 'notes', data })];
  }
}
