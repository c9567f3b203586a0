/**
 * Helpers for the modern-upstream tests: the 2026-07-28-only fixture server (as a stdio command or
 * a spawned HTTP process), what it recorded, raw 2025- and 2026-era POSTs to Warden, and an SSE
 * reader that lets a test act between events of one response stream.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SseDecoder } from '../../../src/transport/sse.js';
import type { Msg } from '../../helpers/modern.js';
import { ROOT, mcpHeaders } from '../../helpers/warden.js';

/** The compiled 2026-07-28-only fixture server. */
export const MODERN_SERVER = path.join(ROOT, 'dist/test/fixtures/servers/modern-server.js');
export { KEY_CAPS, KEY_CLIENT, KEY_VERSION, MODERN, modernMeta, modernPost } from '../../helpers/modern.js';
export type { Msg } from '../../helpers/modern.js';

/** One message the fixture server received. */
export interface Seen {
  readonly transport: 'stdio' | 'http';
  /** HTTP method (http only). */
  readonly method?: string;
  readonly headers?: Record<string, string | string[] | undefined>;
  /** The raw line or body. */
  readonly body: string;
  /** The body parsed, when it is JSON. */
  readonly msg: Msg | undefined;
}

/** The fixture's RECORD_FILE, read on demand. */
export class Recording {
  readonly file: string;

  constructor() {
    this.file = path.join(mkdtempSync(path.join(tmpdir(), 'warden-modern-rec-')), 'upstream.log');
  }

  /** Everything recorded so far. */
  all(): Seen[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const e = JSON.parse(l) as Omit<Seen, 'msg'>;
        let msg: Msg | undefined;
        try {
          msg = JSON.parse(e.body) as Msg;
        } catch {
          msg = undefined;
        }
        return { ...e, msg };
      });
  }

  /** A position to read from later. */
  mark(): number {
    return this.all().length;
  }

  /** What arrived after a mark. */
  since(mark: number): Seen[] {
    return this.all().slice(mark);
  }
}

/** The fixture in HTTP mode on a free loopback port. */
export async function startModernHttp(
  recording: Recording,
): Promise<{ readonly url: string; readonly stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [MODERN_SERVER, '--http', '0'], {
    env: { PATH: process.env.PATH ?? '', RECORD_FILE: recording.file },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`modern-server did not start: ${out}`)), 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      out += s;
      const m = /modern-server listening on (\S+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`modern-server exited with ${code}: ${out}`));
    });
  });
  const stop = (): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => {
          const t = setTimeout(() => child.kill('SIGKILL'), 2000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          child.kill('SIGTERM');
        });
  return { url, stop };
}

/** Headers a 2025-era client sends, plus a bearer token and a cookie that must never travel on. */
export function legacyHeaders(sid?: string): Record<string, string> {
  return mcpHeaders(sid, { authorization: 'Bearer client-token', cookie: 'sid=client-cookie' });
}

/** POSTs one message as a 2025-era client and parses the JSON (or the last SSE event) answer. */
export async function legacyPost(
  url: string,
  sid: string | undefined,
  body: unknown,
): Promise<{ status: number; headers: Headers; msg: Msg | undefined }> {
  const res = await fetch(url, { method: 'POST', headers: legacyHeaders(sid), body: JSON.stringify(body) });
  const text = await res.text();
  const ct = res.headers.get('content-type') ?? '';
  let msg: Msg | undefined;
  if (ct.startsWith('application/json') && text !== '') msg = JSON.parse(text) as Msg;
  else if (ct.startsWith('text/event-stream')) {
    const all: Msg[] = [];
    const d = new SseDecoder((e) => {
      if (e.data !== '') all.push(JSON.parse(e.data) as Msg);
    }, 1_000_000);
    d.push(text);
    msg = all.at(-1);
  }
  return { status: res.status, headers: res.headers, msg };
}

/** Opens a 2025-era session (initialize + initialized) and returns the session id and the result. */
export async function legacySession(
  url: string,
  clientInfo: Record<string, unknown>,
  capabilities: Record<string, unknown> = { sampling: {} },
): Promise<{ sid: string; result: Record<string, unknown> }> {
  const init = await legacyPost(url, undefined, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities, clientInfo },
  });
  const sid = init.headers.get('mcp-session-id');
  if (sid === null || init.msg?.result === undefined)
    throw new Error(`initialize failed: ${init.status} ${JSON.stringify(init.msg)}`);
  const n = await legacyPost(url, sid, { jsonrpc: '2.0', method: 'notifications/initialized' });
  if (n.status !== 202) throw new Error(`notifications/initialized got ${n.status}`);
  return { sid, result: init.msg.result };
}

/** A POST response read message by message (JSON answers count as one message). */
export interface MessageStream {
  readonly status: number;
  readonly contentType: string;
  /** The next message, in order; rejects after `timeoutMs` (default 5 s). */
  next(timeoutMs?: number): Promise<Msg>;
  /** Every message received so far. */
  readonly seen: readonly Msg[];
  /** Resolves once the response ended. */
  readonly ended: Promise<void>;
  close(): void;
}

/** POSTs a request and hands back its response stream to read as it arrives. */
export async function openStream(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<MessageStream> {
  const ac = new AbortController();
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: ac.signal });
  const queue: Msg[] = [];
  const seen: Msg[] = [];
  const waiters: ((m: Msg) => void)[] = [];
  const put = (m: Msg): void => {
    seen.push(m);
    const w = waiters.shift();
    if (w !== undefined) w(m);
    else queue.push(m);
  };
  const contentType = res.headers.get('content-type') ?? '';
  const ended = (async (): Promise<void> => {
    if (!contentType.startsWith('text/event-stream')) {
      const text = await res.text();
      if (text !== '') put(JSON.parse(text) as Msg);
      return;
    }
    const d = new SseDecoder((e) => {
      if (e.data !== '') put(JSON.parse(e.data) as Msg);
    }, 1_000_000);
    const td = new TextDecoder();
    try {
      for await (const chunk of res.body ?? []) d.push(td.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // Aborted by close().
    }
  })();
  return {
    status: res.status,
    contentType,
    seen,
    ended,
    close: () => ac.abort(),
    next(timeoutMs = 5000) {
      const m = queue.shift();
      if (m !== undefined) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`no message within ${timeoutMs} ms (saw ${JSON.stringify(seen)})`));
        }, timeoutMs);
        const w = (x: Msg): void => {
          clearTimeout(timer);
          resolve(x);
        };
        waiters.push(w);
      });
    },
  };
}

/** The text of every text content block of a tool result, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((c): c is { type: 'text'; text: string } => (c as { type?: unknown }).type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** The requestState the fixture issued, decoded; undefined when it is anyone else's. */
export function fixtureState(state: unknown): Record<string, unknown> | undefined {
  if (typeof state !== 'string') return undefined;
  try {
    const s = JSON.parse(Buffer.from(state, 'base64').toString('utf8')) as Record<string, unknown>;
    return s.iss === 'modern-server' ? s : undefined;
  } catch {
    return undefined;
  }
}
