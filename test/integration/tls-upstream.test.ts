/**
 * Remote https upstreams through Warden, over real sockets: an SPKI-pinned upstream works with
 * the right pin; a wrong pin is refused with ERR_UPSTREAM_TLS_PIN, logged as a warning, and the
 * upstream receives no HTTP request; a private CA is trusted only when configured. Each upstream
 * is the recording HTTP server behind a TLS terminator, so what really arrived is on record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { RPC } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/log.js';
import { startWarden } from '../../src/server.js';
import type { RunningWarden } from '../../src/server.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../fixtures/servers/recording-http.js';
import { makeTestPki } from '../helpers/certs.js';
import type { TestPki } from '../helpers/certs.js';
import { startTlsFront } from '../helpers/tls-front.js';
import type { TlsFront } from '../helpers/tls-front.js';
import { INIT, openSession, rpc } from '../helpers/warden.js';

/** A recording upstream reached over TLS. */
interface HttpsUpstream {
  readonly url: string;
  readonly recorder: RecordingUpstream;
  readonly front: TlsFront;
}

let pki: TestPki;
const upstreams: HttpsUpstream[] = [];
let good: HttpsUpstream;
let wrongPin: HttpsUpstream;
let untrusted: HttpsUpstream;
let w: RunningWarden;
let dataDir: string;
const warnings: { msg: string; fields: Record<string, unknown> | undefined }[] = [];

async function httpsUpstream(): Promise<HttpsUpstream> {
  const recorder = await startRecordingUpstream();
  const front = await startTlsFront(Number(new URL(recorder.url).port), pki.server);
  const u = { url: `https://127.0.0.1:${front.port}/mcp`, recorder, front };
  upstreams.push(u);
  return u;
}

beforeAll(async () => {
  pki = makeTestPki();
  good = await httpsUpstream();
  wrongPin = await httpsUpstream();
  untrusted = await httpsUpstream();
  const silent = (): void => undefined;
  const log: Logger = {
    debug: silent,
    info: silent,
    error: silent,
    warn: (msg, fields) => {
      warnings.push({ msg, fields });
    },
  };
  dataDir = mkdtempSync(path.join(tmpdir(), 'warden-test-'));
  const config = configSchema.parse({
    auth: { mode: 'none' },
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    servers: {
      pinned: { url: good.url, tls: { pinSha256: [pki.rotated.pin, pki.server.pin], ca: pki.ca.certPath } },
      privateca: { url: good.url, tls: { ca: pki.ca.certPath } },
      wrongpin: { url: wrongPin.url, tls: { pinSha256: [pki.rotated.pin], ca: pki.ca.certPath } },
      noca: { url: untrusted.url },
    },
  });
  w = await startWarden(config, { log });
});

afterAll(async () => {
  await w.close();
  for (const u of upstreams) {
    await u.front.close();
    await u.recorder.close();
  }
  pki.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SPKI-pinned https upstream', () => {
  it('[transport:upstream-tls-pin] with the right pin (one of two), initialize, tools/list and tools/call reach the upstream', async () => {
    const sid = await openSession(w.url, '/mcp/pinned');
    const list = await rpc(w.url, '/mcp/pinned', sid, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(list.status).toBe(200);
    expect((list.json as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name)).toEqual([
      'echo',
    ]);
    const call = await rpc(w.url, '/mcp/pinned', sid, {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'over pinned TLS' } },
    });
    expect(call.status).toBe(200);
    expect(JSON.stringify(call.json)).toContain('over pinned TLS');
    const methods = good.recorder.requests.map(
      (r) => (JSON.parse(r.body || '{}') as { method?: string }).method,
    );
    expect(methods).toEqual(expect.arrayContaining(['initialize', 'tools/list', 'tools/call']));
  });

  it('[transport:upstream-tls-pin] a wrong pin refuses the connection: ERR_UPSTREAM_TLS_PIN (-31002) for the initialize, a warning in the log, and no HTTP request at the upstream', async () => {
    // The HTTP exchange itself is sound, so the refusal is the JSON-RPC error of the initialize.
    const r = await rpc(w.url, '/mcp/wrongpin', undefined, INIT);
    expect(r.status).toBe(200);
    const body = r.json as { id: number; error: { code: number; data: Record<string, unknown> } };
    expect(body.id).toBe(1);
    expect(body.error.code).toBe(RPC.wardenUpstream);
    expect(body.error.data).toEqual({ code: 'ERR_UPSTREAM_TLS_PIN', server: 'wrongpin' });
    // The client is not told the upstream's address or key (toEqual above); the operator's log is.
    expect(wrongPin.recorder.requests).toHaveLength(0);
    expect(warnings).toContainEqual({
      msg: 'upstream TLS pin mismatch; connection refused',
      fields: expect.objectContaining({ server: 'wrongpin', host: '127.0.0.1', presented: pki.server.pin }),
    });
  });
});

describe('private CA', () => {
  it('`ca` lets a certificate from a private CA through; without it the connection is refused before any HTTP request', async () => {
    const sid = await openSession(w.url, '/mcp/privateca');
    const list = await rpc(w.url, '/mcp/privateca', sid, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(list.status).toBe(200);

    const r = await rpc(w.url, '/mcp/noca', undefined, INIT);
    expect(r.status).toBe(200);
    expect((r.json as { error: { data: unknown } }).error.data).toEqual({
      code: 'ERR_UPSTREAM_UNAVAILABLE',
      server: 'noca',
    });
    expect(untrusted.recorder.requests).toHaveLength(0);
  });
});
