/**
 * Test helpers: start a real Warden (in this process, on a real loopback socket, with real
 * upstream child processes) and small HTTP/MCP conveniences.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../src/config/schema.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/core/log.js';
import type { AuditRecord } from '../../src/core/exchange.js';
import { startWarden } from '../../src/server.js';
import type { RunningWarden } from '../../src/server.js';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The compiled demo notes server. */
export const NOTES_SERVER = path.join(ROOT, 'dist/examples/servers/notes/server.js');
/** The compiled conformance fixture server. */
export const FIXTURE_SERVER = path.join(ROOT, 'dist/test/fixtures/servers/conformance-server.js');
/** @modelcontextprotocol/server-everything from node_modules (never fetched at test time). */
export const EVERYTHING_SERVER = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

/** A Warden started for a test. */
export interface TestWarden extends RunningWarden {
  readonly dataDir: string;
  /** The audit records written so far (flushes first). */
  audit(): AuditRecord[];
}

/** Starts Warden on a free loopback port with a temp data dir; `config` overrides the rest. */
export async function startTestWarden(config: ConfigInput): Promise<TestWarden> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-test-'));
  const parsed = configSchema.parse({
    // Most tests are about other things; authentication is on only where a test asks for it.
    auth: { mode: 'none' },
    ...config,
    listen: { host: '127.0.0.1', port: 0, ...config.listen },
    dataDir,
  });
  const w = await startWarden(parsed, { log: silentLogger });
  return Object.assign(Object.create(w) as RunningWarden, w, {
    dataDir,
    audit(): AuditRecord[] {
      w.pipeline.flushAudit();
      const f = path.join(dataDir, parsed.audit.file);
      if (!existsSync(f)) return [];
      return readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as AuditRecord);
    },
  });
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Headers of a well-formed 2025-era POST. */
export function mcpHeaders(sessionId?: string, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-11-25',
    ...extra,
  };
  if (sessionId !== undefined) h['mcp-session-id'] = sessionId;
  return h;
}

/** The initialize request body. */
export const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: { sampling: {}, elicitation: {}, roots: {} },
    clientInfo: { name: 'test', version: '1' },
  },
} as const;

/** Opens a 2025-era session on an endpoint and returns its id. */
export async function openSession(
  base: string,
  endpoint: string,
  extra: Record<string, string> = {},
): Promise<string> {
  const res = await fetch(base + endpoint, {
    method: 'POST',
    headers: mcpHeaders(undefined, { 'mcp-protocol-version': '2025-11-25', ...extra }),
    body: JSON.stringify(INIT),
  });
  if (res.status !== 200) throw new Error(`initialize failed: ${res.status} ${await res.text()}`);
  const sid = res.headers.get('mcp-session-id');
  await res.text();
  if (sid === null) throw new Error('no session id');
  await fetch(base + endpoint, {
    method: 'POST',
    headers: mcpHeaders(sid, extra),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  return sid;
}

/** POSTs a JSON-RPC message in a session and returns status, headers and parsed JSON (or SSE text). */
export async function rpc(
  base: string,
  endpoint: string,
  sid: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const res = await fetch(base + endpoint, {
    method: 'POST',
    headers: { ...mcpHeaders(sid), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json') && text !== '')
    json = JSON.parse(text);
  else if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const events = text
      .split('\n\n')
      .filter((e) => e.includes('data:'))
      .map((e) =>
        JSON.parse(
          e
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('\n'),
        ),
      );
    json = events[events.length - 1];
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
