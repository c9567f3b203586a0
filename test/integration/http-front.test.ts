/**
 * The downstream HTTP front attacked over a real socket: each refusal is checked for its exact
 * status and code, and the recording upstream proves nothing reached it.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, sse } from '../helpers/http.js';
import { INIT, ROOT, mcpHeaders, openSession, rpc, startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';

const SCRIPTED = path.join(ROOT, 'dist/test/fixtures/servers/scripted-server.js');

let w: TestWarden;
let base: string;
let recordFile: string;

/** Lines the upstream has read so far. */
function upstreamSaw(): string[] {
  return existsSync(recordFile)
    ? readFileSync(recordFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

beforeAll(async () => {
  recordFile = path.join(mkdtempSync(path.join(tmpdir(), 'warden-rec-')), 'upstream.log');
  w = await startTestWarden({
    limits: { maxRequestBytes: 4096 },
    http: { allowedOrigins: ['https://trusted.example'] },
    sessions: { replayEvents: 64 },
    servers: {
      s: { command: process.execPath, args: [SCRIPTED], env: { RECORD_FILE: recordFile } },
    },
  });
  base = w.url;
});

afterAll(async () => {
  await w.close();
});

const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' });

describe('transport guard over a real socket', () => {
  it('[transport:origin-403] refuses a foreign Origin with 403 and a JSON-RPC error without id; allows absent and listed origins', async () => {
    const marked = {
      ...INIT,
      params: { ...INIT.params, clientInfo: { name: 'origin-attack', version: '1' } },
    };
    const r = await raw(`${base}/mcp/s`, {
      headers: { ...mcpHeaders(), origin: 'https://evil.example' },
      body: JSON.stringify(marked),
    });
    expect(r.status).toBe(403);
    const j = JSON.parse(r.body);
    expect(j.error.data.code).toBe('ERR_TRANSPORT_ORIGIN');
    expect(j.id).toBeNull();
    const ok = await raw(`${base}/mcp/s`, {
      headers: { ...mcpHeaders(), origin: 'https://trusted.example' },
      body: JSON.stringify(INIT),
    });
    expect(ok.status).toBe(200);
    const none = await raw(`${base}/mcp/s`, { headers: mcpHeaders(), body: JSON.stringify(INIT) });
    expect(none.status).toBe(200);
    await new Promise((res) => setTimeout(res, 200));
    expect(upstreamSaw().filter((l) => l.includes('origin-attack'))).toEqual([]);
  });

  it('[transport:host-allowlist] refuses a rebinding Host with 403 before anything is read', async () => {
    const marked = { ...INIT, params: { ...INIT.params, clientInfo: { name: 'host-attack', version: '1' } } };
    const r = await raw(`${base}/mcp/s`, {
      headers: { ...mcpHeaders(), host: 'attacker.example:8787' },
      body: JSON.stringify(marked),
    });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.data.code).toBe('ERR_TRANSPORT_HOST');
    const r2 = await raw(`${base}/healthz`, { method: 'GET', headers: { host: 'attacker.example' } });
    expect(r2.status).toBe(403);
    await new Promise((res) => setTimeout(res, 200));
    expect(upstreamSaw().filter((l) => l.includes('host-attack'))).toEqual([]);
  });

  it('[transport:loopback-default] the embedded default binds 127.0.0.1', async () => {
    const { embeddedDefault } = await import('../../src/config/compile.js');
    expect(embeddedDefault().listen.host).toBe('127.0.0.1');
    expect(w.server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('[transport:body-cap] refuses an oversized body with 413, declared or streamed, and keeps serving', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: { pad: 'x'.repeat(10_000) },
    });
    const r = await raw(`${base}/mcp/s`, { headers: mcpHeaders(), body: big });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.data.code).toBe('ERR_TRANSPORT_BODY_TOO_LARGE');
    // Chunked: no Content-Length, so the cap applies while reading.
    const r2 = await raw(`${base}/mcp/s`, {
      headers: { ...mcpHeaders(), 'transfer-encoding': 'chunked' },
      body: big,
    });
    expect(r2.status).toBe(413);
    const sid = await openSession(base, '/mcp/s');
    const after = await rpc(base, '/mcp/s', sid, body);
    expect(after.status).toBe(200);
  });

  it('[transport:accept-406] [transport:content-type-415] negotiate strictly', async () => {
    const r = await raw(`${base}/mcp/s`, {
      headers: { ...mcpHeaders(), accept: 'application/json' },
      body: JSON.stringify(INIT),
    });
    expect(r.status).toBe(406);
    expect(JSON.parse(r.body).error.data.code).toBe('ERR_TRANSPORT_ACCEPT');
    const r2 = await raw(`${base}/mcp/s`, {
      headers: { ...mcpHeaders(), 'content-type': 'text/plain' },
      body: JSON.stringify(INIT),
    });
    expect(r2.status).toBe(415);
    const r3 = await raw(`${base}/mcp/s`, { method: 'GET', headers: { accept: 'application/json' } });
    expect(r3.status).toBe(406);
  });

  it('[transport:single-message] refuses a JSON-RPC batch with 400/-32600', async () => {
    const sid = await openSession(base, '/mcp/s');
    const r = await raw(`${base}/mcp/s`, {
      headers: mcpHeaders(sid),
      body: JSON.stringify([{ jsonrpc: '2.0', id: 'batch-attack', method: 'tools/list' }]),
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.code).toBe(-32600);
    expect(JSON.parse(r.body).error.data.code).toBe('ERR_TRANSPORT_BATCH');
    await new Promise((res) => setTimeout(res, 100));
    expect(upstreamSaw().filter((l) => l.includes('batch-attack'))).toEqual([]);
  });

  it('malformed JSON gets 400 -32700 and the next request is served', async () => {
    const sid = await openSession(base, '/mcp/s');
    const r = await raw(`${base}/mcp/s`, { headers: mcpHeaders(sid), body: '{"jsonrpc":"2.0",' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.code).toBe(-32700);
    expect((await rpc(base, '/mcp/s', sid, body)).status).toBe(200);
  });

  it('[transport:notification-202] answers notifications and client responses with 202 and no body', async () => {
    const sid = await openSession(base, '/mcp/s');
    const r = await raw(`${base}/mcp/s`, {
      headers: mcpHeaders(sid),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }),
    });
    expect(r.status).toBe(202);
    expect(r.body).toBe('');
  });

  it('[transport:protocol-version-400] refuses a malformed or unsupported MCP-Protocol-Version', async () => {
    const sid = await openSession(base, '/mcp/s');
    for (const v of ['banana', '1999-01-01', '2024-11-05']) {
      const r = await raw(`${base}/mcp/s`, { headers: mcpHeaders(sid, { 'mcp-protocol-version': v }), body });
      expect(r.status).toBe(400);
      const j = JSON.parse(r.body);
      expect(j.error.data.code).toBe('ERR_TRANSPORT_PROTOCOL_VERSION');
      expect(j.error.data.supported).toContain('2025-11-25');
    }
  });

  it('[transport:header-mismatch-400] a 2026-07-28 request whose Mcp-Method or Mcp-Name disagrees with the body gets 400 -32020 and reaches nobody', async () => {
    const before = upstreamSaw().length;
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const call = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'x' }, _meta: meta },
    };
    const h = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
    };
    const cases: Record<string, string>[] = [
      { 'mcp-method': 'tools/list', 'mcp-name': 'echo' },
      { 'mcp-method': 'tools/call', 'mcp-name': 'crash' },
      { 'mcp-method': 'tools/call' },
      { 'mcp-name': 'echo' },
      { 'mcp-method': 'tools/call', 'mcp-name': 'echo', 'mcp-protocol-version': '2025-11-25' },
    ];
    for (const extra of cases) {
      const r = await raw(`${base}/mcp/s`, { headers: { ...h, ...extra }, body: JSON.stringify(call) });
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(JSON.parse(r.body).error.code).toBe(-32020);
    }
    expect(
      upstreamSaw()
        .slice(before)
        .filter((l) => l.includes('"echo"')),
    ).toEqual([]);
    const good = await raw(`${base}/mcp/s`, {
      headers: { ...h, 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
      body: JSON.stringify(call),
    });
    expect(good.status).toBe(200);
    expect(JSON.parse(good.body).result.resultType).toBe('complete');
  });

  it('unknown paths get 404 and other methods 405', async () => {
    expect((await raw(`${base}/nope`, { method: 'GET', headers: {} })).status).toBe(404);
    expect((await raw(`${base}/mcp/s`, { method: 'PUT', headers: {} })).status).toBe(405);
  });
});

describe('sessions over a real socket', () => {
  it('[session:missing-400] [session:unknown-404] a request without a session is 400, with an unknown one 404, and neither reaches the upstream', async () => {
    const marked = JSON.stringify({ jsonrpc: '2.0', id: 'no-session-attack', method: 'tools/list' });
    const r = await raw(`${base}/mcp/s`, { headers: mcpHeaders(), body: marked });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.data.code).toBe('ERR_SESSION_MISSING');
    const r2 = await raw(`${base}/mcp/s`, { headers: mcpHeaders('forged-session-id'), body: marked });
    expect(r2.status).toBe(404);
    expect(JSON.parse(r2.body).error.data.code).toBe('ERR_SESSION_UNKNOWN');
    await new Promise((res) => setTimeout(res, 100));
    expect(upstreamSaw().filter((l) => l.includes('no-session-attack'))).toEqual([]);
  });

  it('[session:secure-id] initialize returns a 192-bit visible-ASCII session id', async () => {
    const sid = await openSession(base, '/mcp/s');
    expect(sid).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(sid, 'base64url').length).toBe(24);
  });

  it('a session is bound to its endpoint: presenting it on another endpoint is 404', async () => {
    const sid = await openSession(base, '/mcp/s');
    const r = await raw(`${base}/mcp`, { headers: mcpHeaders(sid), body });
    expect(r.status).toBe(404);
  });

  it('[session:delete] DELETE ends the session and its child; the id is then unknown', async () => {
    const live = w.pipeline.upstreams.liveCount;
    const sid = await openSession(base, '/mcp/s');
    expect(w.pipeline.upstreams.liveCount).toBe(live + 1);
    const d = await raw(`${base}/mcp/s`, { method: 'DELETE', headers: mcpHeaders(sid) });
    expect(d.status).toBe(200);
    const r = await raw(`${base}/mcp/s`, { headers: mcpHeaders(sid), body });
    expect(r.status).toBe(404);
    await new Promise((res) => setTimeout(res, 300));
    expect(w.pipeline.upstreams.liveCount).toBe(live);
  });
});

describe('SSE streams', () => {
  it('[transport:get-405-or-sse] GET opens the session stream; unsolicited upstream messages arrive on it, never responses', async () => {
    const sid = await openSession(base, '/mcp/s');
    const stream = sse(
      `${base}/mcp/s`,
      { ...mcpHeaders(sid), accept: 'text/event-stream' },
      { until: (ev) => ev.length >= 1, timeoutMs: 3000 },
    );
    await new Promise((r) => setTimeout(r, 100));
    const call = await rpc(base, '/mcp/s', sid, {
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'notify', arguments: {} },
    });
    expect((call.json as { result: unknown }).result).toBeDefined();
    const got = await stream;
    got.abort();
    expect(got.status).toBe(200);
    const first = JSON.parse(got.events[0]?.data ?? '{}');
    expect(first.method).toBe('notifications/tools/list_changed');
    expect(first.id).toBeUndefined();
  });

  it('[transport:get-405-or-sse] a sessionless (2026-era) GET gets 405', async () => {
    const r = await raw(`${base}/mcp/s`, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' },
    });
    expect(r.status).toBe(405);
  });

  it('[transport:resume-same-stream] progress goes over SSE; after a drop, Last-Event-ID replays only that stream, then the response', async () => {
    const sid = await openSession(base, '/mcp/s');
    const callBody = JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 4, ms: 120 }, _meta: { progressToken: 'p1' } },
    });
    // Read the first progress event, then drop the connection.
    const first = await sse(`${base}/mcp/s`, mcpHeaders(sid), {
      method: 'POST',
      body: callBody,
      until: (ev) => ev.length >= 1,
      timeoutMs: 3000,
    });
    first.abort();
    expect(first.events.length).toBe(1);
    const lastId = first.events[0]?.id ?? '';
    expect(lastId).toMatch(/^\d+-1$/);
    expect(JSON.parse(first.events[0]?.data ?? '{}').params.progressToken).toBe('p1');
    const resumed = await sse(
      `${base}/mcp/s`,
      { ...mcpHeaders(sid), accept: 'text/event-stream', 'last-event-id': lastId },
      { timeoutMs: 3000 },
    );
    const msgs = resumed.events.map((e) => JSON.parse(e.data));
    const ids = resumed.events.map((e) => e.id ?? '');
    const stream = lastId.split('-')[0];
    expect(ids.every((i) => i.startsWith(`${stream}-`))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(msgs.at(-1).id).toBe(9);
    expect(msgs.at(-1).result.content[0].text).toBe('done after 4 steps');
    expect(msgs.slice(0, -1).every((m: { method: string }) => m.method === 'notifications/progress')).toBe(
      true,
    );
  });

  it('[transport:resume-same-stream] an unknown Last-Event-ID is refused', async () => {
    const sid = await openSession(base, '/mcp/s');
    const r = await raw(`${base}/mcp/s`, {
      method: 'GET',
      headers: { ...mcpHeaders(sid), accept: 'text/event-stream', 'last-event-id': '99-5' },
    });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).error.data.code).toBe('ERR_TRANSPORT_RESUME_UNKNOWN');
  });

  it('sampling from a stdio upstream travels on the POST stream and the answer goes back', async () => {
    const sid = await openSession(base, '/mcp/s');
    const post = sse(`${base}/mcp/s`, mcpHeaders(sid), {
      method: 'POST',
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 11,
        method: 'tools/call',
        params: { name: 'sample', arguments: {} },
      }),
      until: (ev) => ev.some((e) => JSON.parse(e.data).id === 11),
      timeoutMs: 4000,
    });
    // Wait for the sampling request, answer it.
    let answered = false;
    for (let i = 0; i < 40 && !answered; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const saw = upstreamSaw().some((l) => l.includes('"sample"'));
      if (saw) answered = true;
    }
    await new Promise((r) => setTimeout(r, 100));
    // The server request id is Warden's own (w1…); answer it.
    const ans = await raw(`${base}/mcp/s`, {
      headers: mcpHeaders(sid),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'w1',
        result: { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' },
      }),
    });
    expect(ans.status).toBe(202);
    const got = await post;
    const msgs = got.events.map((e) => JSON.parse(e.data));
    expect(msgs[0].method).toBe('sampling/createMessage');
    expect(msgs[0].id).toBe('w1');
    expect(msgs.at(-1).result.content[0].text).toContain('"hi"');
    // A forged response to a request nobody sent is refused.
    const forged = await raw(`${base}/mcp/s`, {
      headers: mcpHeaders(sid),
      body: JSON.stringify({ jsonrpc: '2.0', id: 'w99', result: {} }),
    });
    expect(forged.status).toBe(400);
    expect(JSON.parse(forged.body).error.data.code).toBe('ERR_JSONRPC_RESPONSE_NOT_ALLOWED');
  });
});

describe('audit', () => {
  it('[audit:every-decision] writes one record per exchange with principal, session, server, method, tool, decisions and timing', async () => {
    const sid = await openSession(base, '/mcp/s');
    await rpc(base, '/mcp/s', sid, {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'secret-ish' } },
    });
    await raw(`${base}/mcp/s`, { headers: mcpHeaders('nope'), body });
    const recs = w.audit();
    const call = recs.find((r) => r.session === sid && r.tool === 'echo');
    expect(call).toMatchObject({
      principal: 'local|anonymous',
      server: 's',
      method: 'tools/call',
      outcome: 'ok',
      era: 'legacy',
      kind: 'request',
    });
    expect(call?.argsDigest).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof call?.us).toBe('number');
    expect(JSON.stringify(recs)).not.toContain('secret-ish');
    const denied = recs.find((r) => r.code === 'ERR_SESSION_UNKNOWN');
    expect(denied).toMatchObject({ outcome: 'denied', status: 404 });
    expect(denied?.decisions.map((d) => [d.stage, d.decision, d.code])).toEqual([
      ['transport-guard', 'allow', undefined],
      ['session', 'deny', 'ERR_SESSION_UNKNOWN'],
    ]);
    expect(call?.decisions.map((d) => [d.stage, d.decision])).toEqual([
      ['transport-guard', 'allow'],
      ['session', 'allow'],
    ]);
    expect(call?.decisions.every((d) => typeof d.us === 'number')).toBe(true);
  });
});
