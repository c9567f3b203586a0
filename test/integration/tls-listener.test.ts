/**
 * Warden's HTTPS listener over real sockets with a real stdio upstream: MCP over TLS, HSTS, the
 * TLS 1.3 minimum, and certificate rotation by replacing the files (reload(), the interval and
 * SIGHUP) while open connections keep working.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/certs.js';
import type { TestCert, TestPki } from '../helpers/certs.js';
import { eventually, handshake, httpsRequest } from '../helpers/https-client.js';
import type { HttpsResponse } from '../helpers/https-client.js';
import { INIT, NOTES_SERVER, mcpHeaders, startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';

let pki: TestPki;
const notesDir = mkdtempSync(path.join(tmpdir(), 'warden-tls-notes-'));
/** Temp directories removed after the file. */
const dirs: string[] = [notesDir];

/** Cert and key files Warden reads; tests rotate them in place. */
function tlsFiles(): { dir: string; cert: string; key: string; put: (c: TestCert) => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-tls-'));
  dirs.push(dir);
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const put = (c: TestCert): void => {
    copyFileSync(c.certPath, cert);
    copyFileSync(c.keyPath, key);
  };
  put(pki.server);
  return { dir, cert, key, put };
}

async function startTls(
  files: { cert: string; key: string },
  tls: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; reloadIntervalMs?: number },
): Promise<TestWarden> {
  return startTestWarden({
    auth: { mode: 'none' },
    listen: { tls: { cert: `file:${files.cert}`, key: `file:${files.key}`, ...tls } },
    servers: {
      notes: { command: process.execPath, args: [NOTES_SERVER], env: { NOTES_DIR: notesDir } },
    },
  });
}

/** The JSON-RPC message of a JSON or SSE response body. */
function messageOf(r: HttpsResponse): { result?: Record<string, unknown>; error?: unknown } {
  if ((r.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const data = r.body
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim());
    return JSON.parse(data[data.length - 1] ?? 'null');
  }
  return JSON.parse(r.body);
}

/** Opens an MCP session over HTTPS and returns its id. */
async function openSession(base: string, agent?: Agent): Promise<string> {
  const init = await httpsRequest(`${base}/mcp/notes`, {
    ca: pki.ca.cert,
    agent,
    method: 'POST',
    headers: mcpHeaders(),
    body: JSON.stringify(INIT),
  });
  expect(init.status).toBe(200);
  const sid = init.headers['mcp-session-id'];
  if (typeof sid !== 'string') throw new Error('no session id');
  const note = await httpsRequest(`${base}/mcp/notes`, {
    ca: pki.ca.cert,
    agent,
    method: 'POST',
    headers: mcpHeaders(sid),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  expect(note.status).toBe(202);
  return sid;
}

function toolsList(base: string, sid: string, agent?: Agent): Promise<HttpsResponse> {
  return httpsRequest(`${base}/mcp/notes`, {
    ca: pki.ca.cert,
    agent,
    method: 'POST',
    headers: mcpHeaders(sid),
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
  });
}

function toolNames(r: HttpsResponse): string[] {
  const tools = (messageOf(r).result?.tools ?? []) as { name: string }[];
  return tools.map((t) => t.name);
}

beforeAll(() => {
  pki = makeTestPki();
});

afterAll(() => {
  pki.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('HTTPS listener (TLS 1.3 minimum)', () => {
  let w: TestWarden;
  let files: ReturnType<typeof tlsFiles>;

  beforeAll(async () => {
    files = tlsFiles();
    w = await startTls(files, { minVersion: 'TLSv1.3', reloadIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await w.close();
  });

  it('[transport:tls] serves MCP over HTTPS (initialize, tools/list through a stdio upstream) with HSTS on every response', async () => {
    expect(w.url.startsWith('https://127.0.0.1:')).toBe(true);
    const init = await httpsRequest(`${w.url}/mcp/notes`, {
      ca: pki.ca.cert,
      method: 'POST',
      headers: mcpHeaders(),
      body: JSON.stringify(INIT),
    });
    expect(init.status).toBe(200);
    expect(init.fingerprint256).toBe(pki.server.fingerprint256);
    expect(init.headers['strict-transport-security']).toBe('max-age=31536000');
    const sid = await openSession(w.url);
    const list = await toolsList(w.url, sid);
    expect(list.status).toBe(200);
    expect(list.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(toolNames(list)).toContain('list_notes');
    const missing = await httpsRequest(`${w.url}/nothing-here`, { ca: pki.ca.cert });
    expect(missing.status).toBe(404);
    expect(missing.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('[transport:tls] minVersion TLSv1.3 refuses a TLS 1.2-only client and accepts TLS 1.3', async () => {
    expect(await handshake(w.port, { ca: pki.ca.cert, maxVersion: 'TLSv1.2' })).toMatchObject({
      ok: false,
      code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    });
    expect(await handshake(w.port, { ca: pki.ca.cert, minVersion: 'TLSv1.3' })).toMatchObject({
      ok: true,
      protocol: 'TLSv1.3',
    });
  });

  it('[transport:tls] replaced certificate files are served to new connections after reload, without a restart, while an open keep-alive connection keeps working', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const sid = await openSession(w.url, agent);
      const before = await toolsList(w.url, sid, agent);
      expect(before.fingerprint256).toBe(pki.server.fingerprint256);

      files.put(pki.rotated);
      expect(await w.tls?.reload()).toBe('reloaded');

      const fresh = await handshake(w.port, { ca: pki.ca.cert });
      expect(fresh).toMatchObject({ ok: true, fingerprint256: pki.rotated.fingerprint256 });
      const kept = await toolsList(w.url, sid, agent);
      expect(kept).toMatchObject({ status: 200, reused: true, fingerprint256: pki.server.fingerprint256 });
      expect(toolNames(kept)).toContain('list_notes');
      // The TLS 1.3 minimum holds for the new context too.
      expect(await handshake(w.port, { ca: pki.ca.cert, maxVersion: 'TLSv1.2' })).toMatchObject({
        ok: false,
      });
    } finally {
      agent.destroy();
    }
  });

  it('[transport:tls] a bad new pair keeps the old certificate; SIGHUP reloads a good one at once', async () => {
    const served = (await handshake(w.port, { ca: pki.ca.cert })) as { fingerprint256: string };
    const other = served.fingerprint256 === pki.server.fingerprint256 ? pki.rotated : pki.server;
    // The certificate of one pair with the key of another, as when only one file was replaced.
    copyFileSync(other.certPath, files.cert);
    expect(await w.tls?.reload()).toBe('rejected');
    writeFileSync(files.cert, 'garbage');
    expect(await w.tls?.reload()).toBe('rejected');
    expect(await handshake(w.port, { ca: pki.ca.cert })).toMatchObject({
      ok: true,
      fingerprint256: served.fingerprint256,
    });

    files.put(other);
    process.kill(process.pid, 'SIGHUP');
    const seen = await eventually(async () => {
      const h = await handshake(w.port, { ca: pki.ca.cert });
      return h.ok && h.fingerprint256 === other.fingerprint256;
    });
    expect(seen).toBe(true);
  });
});

describe('HTTPS listener reload interval', () => {
  it('[transport:tls] rotated files are picked up by the interval alone', async () => {
    const files = tlsFiles();
    const w = await startTls(files, { reloadIntervalMs: 1000 });
    try {
      expect(await handshake(w.port, { ca: pki.ca.cert })).toMatchObject({
        fingerprint256: pki.server.fingerprint256,
      });
      files.put(pki.rotated);
      const seen = await eventually(async () => {
        const h = await handshake(w.port, { ca: pki.ca.cert });
        return h.ok && h.fingerprint256 === pki.rotated.fingerprint256;
      });
      expect(seen).toBe(true);
    } finally {
      await w.close();
    }
  });
});
