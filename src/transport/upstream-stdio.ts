/**
 * Upstream connector for local stdio MCP servers: the child is spawned with an argument vector
 * (never a shell) and an explicit environment; newline-delimited JSON-RPC on stdin/stdout; stderr
 * goes to Warden's log. A child that exits fails every waiting request with ERR_UPSTREAM_CRASHED.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { upstreamProcess } from '../core/diagnostics.js';
import { WardenError } from '../core/errors.js';
import type { JsonRpcMessage, JsonRpcResponse, Params } from '../core/jsonrpc.js';
import { parseMessage } from '../core/jsonrpc.js';
import type { Logger } from '../core/log.js';
import { RpcBook, cancelledBeforeSend, handshake, withModernMeta } from './upstream.js';
import type {
  ClientHello,
  EraMode,
  RequestOptions,
  Upstream,
  UpstreamEvents,
  UpstreamInfo,
} from './upstream.js';

/** How to launch one stdio server. */
export interface StdioLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  /** The complete environment of the child (already filtered and resolved). */
  readonly env: Readonly<Record<string, string>>;
  /** Longest stdout line accepted, in bytes. */
  readonly maxLineBytes: number;
  /** How the child is confined, for the spawn log: `strict` (command is the prlimit/bwrap wrapper), `fail-open` (sandbox configured but unavailable) or absent. */
  readonly sandbox?: 'strict' | 'fail-open' | undefined;
}

/** Splits a byte stream into lines with a hard cap; an over-long line is reported and skipped. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    private readonly maxBytes: number,
  ) {}

  /** Feeds a chunk. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        this.parts = [];
        this.size = 0;
        continue;
      }
      if (this.size + piece.length > this.maxBytes) {
        this.parts = [];
        this.size = 0;
        this.onOverflow();
        continue;
      }
      const line =
        this.size === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8');
      this.parts = [];
      this.size = 0;
      this.onLine(line);
    }
    if (start < chunk.length && !this.skipping) {
      const rest = chunk.subarray(start);
      if (this.size + rest.length > this.maxBytes) {
        this.parts = [];
        this.size = 0;
        this.skipping = true;
        this.onOverflow();
      } else {
        this.parts.push(Buffer.from(rest));
        this.size += rest.length;
      }
    }
  }
}

/** A connection to one stdio child. */
export class StdioUpstream implements Upstream {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly book: RpcBook;
  private infoValue: UpstreamInfo | undefined;
  private closedValue = false;
  private exitPromise: Promise<void> | undefined;
  /** 2026-07-28 request metadata, once the upstream turned out to be a 2026-era server. */
  private modern: Record<string, unknown> | undefined;

  constructor(
    readonly server: string,
    private readonly launch: StdioLaunch,
    private readonly events: UpstreamEvents,
    private readonly log: Logger,
  ) {
    this.book = new RpcBook(server);
  }

  get info(): UpstreamInfo | undefined {
    return this.infoValue;
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /** The child's pid, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): void {
    const { command, args, cwd, env } = this.launch;
    // stdio:no-shell: an argument vector and shell: false; stdio:logged: the exact command is logged.
    this.log.info('spawn', {
      server: this.server,
      command,
      args: [...args],
      ...(this.launch.sandbox !== undefined ? { sandbox: this.launch.sandbox } : {}),
    });
    const child = spawn(command, [...args], {
      cwd,
      env: { ...env },
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    const splitter = new LineSplitter(
      (line) => this.onLine(line),
      () =>
        this.log.warn('upstream line too long; skipped', {
          server: this.server,
          limit: this.launch.maxLineBytes,
        }),
      this.launch.maxLineBytes,
    );
    child.stdout.on('data', (c: Buffer) => splitter.push(c));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      for (const line of s.split('\n'))
        if (line.trim() !== '')
          this.log.info('upstream stderr', { server: this.server, line: line.slice(0, 2000) });
    });
    // EPIPE after the child died must not crash Warden; the exit handler reports the failure.
    child.stdin.on('error', () => undefined);
    this.exitPromise = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (upstreamProcess.hasSubscribers)
          upstreamProcess.publish({ server: this.server, pid: child.pid, event: 'exit', code, signal });
        this.onExit(code, signal);
        resolve();
      });
    });
    child.once('error', (err) => {
      this.log.error('spawn failed', { server: this.server, command, error: err.message });
      this.onExit(null, null, err);
    });
    if (upstreamProcess.hasSubscribers)
      upstreamProcess.publish({ server: this.server, pid: child.pid, event: 'spawn' });
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let msg: JsonRpcMessage;
    try {
      msg = parseMessage(line);
    } catch {
      this.log.warn('upstream wrote a non-JSON-RPC line to stdout; ignored', {
        server: this.server,
        line: line.slice(0, 200),
      });
      return;
    }
    const rest = this.book.receive(msg);
    if (rest !== undefined) this.events.onMessage(rest);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (this.closedValue) return;
    this.closedValue = true;
    const failure = new WardenError(
      'ERR_UPSTREAM_CRASHED',
      `upstream ${this.server} exited (${err?.message ?? signal ?? `code ${code}`})`,
      {
        data: { server: this.server, exitCode: code, signal },
      },
    );
    this.book.failAll(failure);
    this.events.onClose(failure);
  }

  private write(msg: JsonRpcMessage): void {
    const child = this.child;
    if (child === undefined || this.closedValue) {
      throw new WardenError('ERR_UPSTREAM_UNAVAILABLE', `upstream ${this.server} is not running`, {
        data: { server: this.server },
      });
    }
    child.stdin.write(JSON.stringify(msg) + '\n');
  }

  async connect(hello: ClientHello, timeoutMs: number, mode: EraMode = 'auto'): Promise<UpstreamInfo> {
    this.start();
    this.infoValue = await handshake(this.server, hello, timeoutMs, mode, {
      request: (m, p, o) => this.request(m, p, o),
      notify: (m) => this.notify(m),
      setModern: (meta) => {
        this.modern = meta;
      },
    });
    return this.infoValue;
  }

  request(method: string, params: Params | undefined, opts: RequestOptions): Promise<JsonRpcResponse> {
    const sendParams = this.modern === undefined ? params : withModernMeta(params, this.modern);
    const early = cancelledBeforeSend(this.server, opts);
    if (early !== undefined) return early;
    const { msg, done } = this.book.open(method, sendParams, opts, (id) => {
      if (!this.closedValue)
        this.writeQuiet({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: 'cancelled' },
        });
    });
    try {
      this.write(msg);
    } catch (err) {
      this.book.fail(
        msg.id as number,
        err instanceof WardenError
          ? err
          : new WardenError('ERR_UPSTREAM_UNAVAILABLE', undefined, { cause: err }),
      );
    }
    return done;
  }

  private writeQuiet(msg: JsonRpcMessage): void {
    try {
      this.write(msg);
    } catch {
      // The child is gone; the exit handler has reported it.
    }
  }

  // async: a write to a child that is gone must become a rejected promise, never a synchronous
  // throw that a caller's .catch() would miss.
  async notify(method: string, params?: Params): Promise<void> {
    this.write(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
    return Promise.resolve();
  }

  async respond(msg: JsonRpcResponse): Promise<void> {
    this.write(msg);
    return Promise.resolve();
  }

  /** The pending request a stdio server→client message most likely belongs to (exactly one pending). */
  soleListener(): ((msg: JsonRpcMessage) => void) | undefined {
    const id = this.book.soleRequest();
    return id === undefined ? undefined : this.book.listenerOf(id);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined) {
      this.closedValue = true;
      return;
    }
    if (!this.closedValue) {
      this.closedValue = true;
      this.book.failAll(
        new WardenError('ERR_UPSTREAM_UNAVAILABLE', `upstream ${this.server} connection closed`, {
          data: { server: this.server },
        }),
      );
      this.events.onClose(undefined);
    }
    if (child.exitCode === null && child.signalCode === null) {
      // Polite first (stdin EOF, as the MCP stdio transport says), then SIGTERM, then SIGKILL.
      child.stdin.end();
      const exited = this.exitPromise ?? Promise.resolve();
      const t1 = setTimeout(() => child.kill('SIGTERM'), 2000);
      const t2 = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t1);
      clearTimeout(t2);
    }
  }
}
