/**
 * Warden in front of a 2026-07-28-only upstream (the `modern-server` fixture, over stdio and over
 * Streamable HTTP): era negotiation (`protocol: auto | legacy | modern`), the 2026 request metadata
 * and headers Warden sends upstream, what never leaves Warden (session ids, the client's
 * credentials), the input_required reverse bridge for 2025-era clients, and pass-through of
 * input_required for 2026-era clients — driven by raw HTTP and by the official 1.x and 2.x SDK
 * clients. The fixture records every message it receives, so each test proves what reached it.
 */
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import { raw } from '../../helpers/http.js';
import { startTestWarden } from '../../helpers/warden.js';
import type { TestWarden } from '../../helpers/warden.js';
import {
  KEY_CAPS,
  KEY_CLIENT,
  KEY_VERSION,
  MODERN,
  MODERN_SERVER,
  Recording,
  fixtureState,
  legacyHeaders,
  legacyPost,
  legacySession,
  modernMeta,
  modernPost,
  openStream,
  startModernHttp,
  textOf,
} from './helpers.js';
import type { Seen } from './helpers.js';

type ServerEntry = NonNullable<ConfigInput['servers']>[string];

/** How one kind of upstream is started. */
interface UpstreamKind {
  readonly name: 'stdio' | 'http';
  start(rec: Recording): Promise<{ entry: ServerEntry; stop?: () => Promise<void> }>;
}

const KINDS: readonly UpstreamKind[] = [
  {
    name: 'stdio',
    start: (rec) =>
      Promise.resolve({
        entry: { command: process.execPath, args: [MODERN_SERVER], env: { RECORD_FILE: rec.file } },
      }),
  },
  {
    name: 'http',
    start: async (rec) => {
      const s = await startModernHttp(rec);
      return { entry: { url: s.url }, stop: s.stop };
    },
  },
];

/** The answer a test client gives to the fixture's `2+2?` sampling request. */
const ANSWER = {
  role: 'assistant',
  content: { type: 'text', text: 'four, said the client' },
  model: 'test-model',
} as const;
const V1_REPLY = 'sampled by the 1.x client';
const V2_REPLY = 'sampled by the 2.x client';
const THE_QUESTION = [{ role: 'user', content: { type: 'text', text: '2+2?' } }];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function call(id: number, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {}, ...extra } };
}

function metaOf(s: Seen): Record<string, unknown> | undefined {
  return s.msg?.params?._meta as Record<string, unknown> | undefined;
}

function toolCalls(seen: Seen[]): Seen[] {
  return seen.filter((s) => s.msg?.method === 'tools/call');
}

for (const kind of KINDS) {
  const http = kind.name === 'http';

  describe(`Warden → a 2026-07-28-only upstream over ${kind.name}`, () => {
    const rec = new Recording();
    let w: TestWarden;
    let stop: (() => Promise<void>) | undefined;
    let base: string;
    let modern: string;

    beforeAll(async () => {
      const up = await kind.start(rec);
      stop = up.stop;
      w = await startTestWarden({
        // About protocol bridging, including calls to tools the upstream does not list (which schema
        // validation refuses) and the exact upstream message sequence (which its listing changes);
        // validation has its own tests in test/integration/schema-validation.test.ts.
        validation: { input: false, output: false },
        // Pinning also lists tools on demand and refuses unknown ones; it has its own tests in
        // test/integration/integrity*.test.ts.
        integrity: { pinning: 'off' },
        servers: {
          modern: up.entry,
          quick: { ...up.entry, timeouts: { requestMs: 600 } },
          pinned: { ...up.entry, protocol: 'legacy' },
          forced: { ...up.entry, protocol: 'modern' },
        },
      });
      base = w.url;
      modern = `${base}/mcp/modern`;
    });
    afterAll(async () => {
      await w?.close();
      await stop?.();
    });

    describe('2025-era clients', () => {
      it('[session:delete] [session:unknown-404] auto: initialize succeeds at Warden although the upstream refused it; Warden used server/discover and every later request carries the 2026 _meta', async () => {
        const mark = rec.mark();
        const clientInfo = { name: `legacy-raw-${kind.name}`, version: '1' };
        const caps = { sampling: {} };
        const live = w.pipeline.upstreams.liveCount;
        const { sid, result } = await legacySession(modern, clientInfo, caps);
        expect(result).toEqual({
          protocolVersion: '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'modern', version: '1' },
        });
        expect(w.pipeline.upstreams.liveCount).toBe(live + 1);

        const list = await legacyPost(modern, sid, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
        const tools = list.msg?.result?.tools as { name: string }[];
        expect(tools.map((t) => t.name)).toEqual(['echo', 'whoami', 'ask']);
        // resultType is a 2026-07-28 field: a 2025-era client never sees it.
        expect(list.msg?.result?.resultType).toBeUndefined();

        const echo = await legacyPost(modern, sid, call(2, 'echo', { arguments: { text: 'across eras' } }));
        expect(echo.msg).toEqual({
          jsonrpc: '2.0',
          id: 2,
          result: { content: [{ type: 'text', text: 'across eras' }] },
        });

        const who = await legacyPost(modern, sid, call(3, 'whoami'));
        const seen = JSON.parse(textOf(who.msg?.result));
        expect(seen.clientInfo).toEqual(clientInfo);
        expect(seen.clientCapabilities).toEqual(caps);
        if (http)
          expect(seen.headers).toEqual({
            'mcp-method': 'tools/call',
            'mcp-name': 'whoami',
            'mcp-protocol-version': MODERN,
            'mcp-session-id': null,
            authorization: null,
            cookie: null,
          });

        const got = rec.since(mark);
        // initialize was tried first and refused; no notifications/initialized ever followed.
        expect(got.map((s) => s.msg?.method)).toEqual([
          'initialize',
          'server/discover',
          'tools/list',
          'tools/call',
          'tools/call',
        ]);
        expect(got[0]?.msg?.params?.protocolVersion).toBe('2025-11-25');
        for (const s of got.slice(1)) {
          expect(metaOf(s)).toEqual({ [KEY_VERSION]: MODERN, [KEY_CLIENT]: clientInfo, [KEY_CAPS]: caps });
        }
        if (http) {
          expect(got[0]?.headers?.['mcp-protocol-version']).toBeUndefined();
          for (const s of got.slice(1)) {
            const m = s.msg;
            expect(s.headers?.['mcp-protocol-version']).toBe(MODERN);
            expect(s.headers?.['mcp-method']).toBe(m?.method);
            expect(s.headers?.['mcp-name']).toBe(m?.method === 'tools/call' ? m.params?.name : undefined);
          }
        }

        // DELETE ends the session and its upstream connection; there is no upstream session to delete.
        const d = await raw(modern, { method: 'DELETE', headers: legacyHeaders(sid) });
        expect(d.status).toBe(200);
        expect((await legacyPost(modern, sid, call(4, 'echo'))).status).toBe(404);
        await sleep(200);
        expect(w.pipeline.upstreams.liveCount).toBe(live);
        expect(rec.since(mark)).toHaveLength(got.length);
      });

      it('a tool name that is not header-safe travels in the sentinel Mcp-Name form; the upstream’s own refusals come back as the request’s error', async () => {
        const { sid } = await legacySession(modern, { name: 'names', version: '1' });
        const mark = rec.mark();
        const odd = 'naïve ☃';
        const r = await legacyPost(modern, sid, call(1, odd));
        // -32602 from the tool lookup, not -32020: the upstream decoded the header to the body's name.
        expect(r.msg?.error).toEqual({ code: -32602, message: `Unknown tool: ${odd}` });
        if (http)
          expect(rec.since(mark)[0]?.headers?.['mcp-name']).toBe(
            `=?base64?${Buffer.from(odd, 'utf8').toString('base64')}?=`,
          );

        // A name that is no string cannot be mirrored: a 2026 HTTP server answers 400 with -32020,
        // which Warden delivers as this request's JSON-RPC error (not a dead upstream).
        const bad = await legacyPost(modern, sid, call(2, 42 as unknown as string));
        expect(bad.msg?.id).toBe(2);
        expect(bad.msg?.error?.code).toBe(http ? -32020 : -32602);
        const after = await legacyPost(modern, sid, call(3, 'echo', { arguments: { text: 'still here' } }));
        expect(textOf(after.msg?.result)).toBe('still here');
      });

      it('protocol: modern skips initialize and goes straight to server/discover', async () => {
        const mark = rec.mark();
        const { sid, result } = await legacySession(`${base}/mcp/forced`, { name: 'forced', version: '1' });
        expect(result.serverInfo).toEqual({ name: 'modern', version: '1' });
        const echo = await legacyPost(
          `${base}/mcp/forced`,
          sid,
          call(1, 'echo', { arguments: { text: 'forced' } }),
        );
        expect(textOf(echo.msg?.result)).toBe('forced');
        expect(rec.since(mark).map((s) => s.msg?.method)).toEqual(['server/discover', 'tools/call']);
      });

      it('protocol: legacy against the 2026-only upstream fails to connect with a coded error; Warden keeps serving the other servers', async () => {
        const mark = rec.mark();
        const r = await legacyPost(`${base}/mcp/pinned`, undefined, {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'pinned-probe', version: '1' },
          },
        });
        expect(r.headers.get('mcp-session-id')).toBeNull();
        expect(r.msg?.id).toBe(1);
        expect(r.msg?.error?.data).toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', server: 'pinned' });
        expect(r.msg?.error?.data).toMatchObject(http ? { status: 400 } : { upstreamCode: -32601 });
        // Pinned to the session era: no server/discover fallback.
        expect(rec.since(mark).map((s) => s.msg?.method)).toEqual(['initialize']);

        const { sid } = await legacySession(modern, { name: 'after-pinned', version: '1' });
        const echo = await legacyPost(modern, sid, call(1, 'echo', { arguments: { text: 'served' } }));
        expect(textOf(echo.msg?.result)).toBe('served');

        // The aggregate endpoint leaves the server that cannot connect out and serves the rest.
        const agg = await legacySession(`${base}/mcp`, { name: 'aggregate', version: '1' });
        const list = await legacyPost(`${base}/mcp`, agg.sid, {
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/list',
        });
        const names = (list.msg?.result?.tools as { name: string }[]).map((t) => t.name);
        expect(names).toEqual(expect.arrayContaining(['modern__echo', 'quick__ask', 'forced__whoami']));
        expect(names.filter((n) => n.startsWith('pinned__'))).toEqual([]);
        const aggEcho = await legacyPost(
          `${base}/mcp`,
          agg.sid,
          call(3, 'modern__echo', { arguments: { text: 'aggregate' } }),
        );
        expect(textOf(aggEcho.msg?.result)).toBe('aggregate');
      });

      it('bridges input_required: the sampling request arrives on the call’s SSE stream, the POSTed answer goes upstream with the upstream’s requestState, and the result follows on the same stream', async () => {
        const { sid } = await legacySession(modern, { name: 'bridge', version: '1' }, { sampling: {} });
        const mark = rec.mark();
        const stream = await openStream(modern, legacyHeaders(sid), call(5, 'ask'));
        try {
          expect(stream.contentType).toMatch(/^text\/event-stream/);
          const ask = await stream.next();
          expect(ask.method).toBe('sampling/createMessage');
          expect(String(ask.id)).toMatch(/^w\d+$/);
          expect(ask.params).toEqual({ messages: THE_QUESTION, maxTokens: 5 });

          const posted = await legacyPost(modern, sid, { jsonrpc: '2.0', id: ask.id, result: ANSWER });
          expect(posted.status).toBe(202);
          const final = await stream.next();
          await stream.ended;
          expect(final.id).toBe(5);
          expect(final.result).toEqual({
            content: [{ type: 'text', text: `q1 answered: ${JSON.stringify(ANSWER)}` }],
          });
          // The 2025-era client saw an ordinary server request and its result: no 2026 round-trip fields.
          expect(stream.seen).toHaveLength(2);
          expect(JSON.stringify(stream.seen)).not.toMatch(/requestState|inputRe|input_required/);

          const legs = toolCalls(rec.since(mark));
          expect(legs).toHaveLength(2);
          expect(legs[0]?.msg?.params?.inputResponses).toBeUndefined();
          const retry = legs[1]?.msg?.params ?? {};
          expect(retry.inputResponses).toEqual({ q1: ANSWER });
          expect(fixtureState(retry.requestState)).toMatchObject({ tool: 'ask' });
          expect((retry._meta as Record<string, unknown>)[KEY_VERSION]).toBe(MODERN);
          if (http) expect(legs[1]?.headers?.['mcp-name']).toBe('ask');

          // The answered request is gone: answering it again is refused.
          const again = await legacyPost(modern, sid, { jsonrpc: '2.0', id: ask.id, result: ANSWER });
          expect(again.status).toBe(400);
          expect(again.msg?.error?.data?.code).toBe('ERR_JSONRPC_RESPONSE_NOT_ALLOWED');
        } finally {
          stream.close();
        }
      });

      it('[audit:every-decision] without the client’s answer the bridged call ends with a coded timeout on its stream, audited', async () => {
        const quick = `${base}/mcp/quick`;
        const { sid } = await legacySession(quick, { name: 'silent', version: '1' }, { sampling: {} });
        const mark = rec.mark();
        const started = Date.now();
        const stream = await openStream(quick, legacyHeaders(sid), call(6, 'ask'));
        try {
          const ask = await stream.next();
          expect(ask.method).toBe('sampling/createMessage');
          const final = await stream.next(5000);
          const took = Date.now() - started;
          expect(final.id).toBe(6);
          expect(final.error?.data?.code).toBe('ERR_UPSTREAM_TIMEOUT');
          expect(took).toBeGreaterThanOrEqual(550);
          expect(took).toBeLessThan(5000);
          const late = await legacyPost(quick, sid, { jsonrpc: '2.0', id: ask.id, result: ANSWER });
          expect(late.msg?.error?.data?.code).toBe('ERR_JSONRPC_RESPONSE_NOT_ALLOWED');
          expect(toolCalls(rec.since(mark))).toHaveLength(1);
          const audited = w.audit().find((r) => r.session === sid && r.tool === 'ask');
          expect(audited).toMatchObject({ outcome: 'error', code: 'ERR_UPSTREAM_TIMEOUT', era: 'legacy' });
        } finally {
          stream.close();
        }
      });

      // A refusal made before the upstream read the id (413 with id null) ends the call at once.
      it('a call the upstream refuses before reading its id (HTTP 413 with id null) is answered at once, not held until the timeout', async () => {
        const { sid } = await legacySession(modern, { name: 'big', version: '1' });
        const text = 'x'.repeat(1_020_000);
        const r = await Promise.race([
          legacyPost(modern, sid, call(1, 'echo', { arguments: { text } })),
          sleep(3000).then(() => undefined),
        ]);
        expect(r, 'no answer within 3 s').toBeDefined();
        expect(r?.msg?.id).toBe(1);
        if (http) {
          expect(r?.msg?.error?.data?.code).toEqual(expect.any(String));
          expect(r?.msg?.error?.data?.code).not.toBe('ERR_UPSTREAM_TIMEOUT');
        } else {
          expect(textOf(r?.msg?.result)).toHaveLength(text.length);
        }
      });

      // A session-era client is never asked what it did not declare.
      it('does not send a 2025-era client an input request for a capability it did not declare', async () => {
        const quick = `${base}/mcp/quick`;
        const { sid } = await legacySession(quick, { name: 'no-sampling', version: '1' }, {});
        const stream = await openStream(quick, legacyHeaders(sid), call(7, 'ask'));
        try {
          const first = await stream.next(3000);
          expect(first.method).toBeUndefined();
          expect(first.id).toBe(7);
        } finally {
          stream.close();
        }
      });

      // A session-era client's stray `_meta` keys never reach a 2026 upstream.
      it('a 2025-era client cannot override the 2026 request metadata Warden sends for its session', async () => {
        const clientInfo = { name: 'honest', version: '1' };
        const { sid } = await legacySession(modern, clientInfo, {});
        const spoof = { [KEY_CLIENT]: { name: 'spoofed', version: '9' }, [KEY_CAPS]: { sampling: {} } };
        const who = await legacyPost(modern, sid, call(1, 'whoami', { _meta: spoof }));
        const seen = JSON.parse(textOf(who.msg?.result));
        expect(seen.clientInfo).toEqual(clientInfo);
        expect(seen.clientCapabilities).toEqual({});
      });

      it('SDK 1.x client (2025-11-25 session) end to end, the ask round trip bridged to its sampling handler', async () => {
        const client = new ClientV1(
          { name: 'warden-modern-v1', version: '1.0.0' },
          { capabilities: { sampling: {} } },
        );
        const asked: unknown[] = [];
        client.setRequestHandler(CreateMessageRequestSchema, (req) => {
          asked.push(req.params.messages);
          return { model: 'test-model', role: 'assistant', content: { type: 'text', text: V1_REPLY } };
        });
        await client.connect(
          new TransportV1(new URL(modern), {
            requestInit: { headers: { authorization: 'Bearer client-token', cookie: 'sid=client-cookie' } },
          }),
        );
        try {
          expect(client.getServerVersion()).toEqual({ name: 'modern', version: '1' });
          const { tools } = await client.listTools();
          expect(tools.map((t) => t.name)).toEqual(['echo', 'whoami', 'ask']);
          expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'v1' } }))).toBe('v1');
          const res = await client.callTool({ name: 'ask', arguments: {} });
          expect(textOf(res)).toContain(V1_REPLY);
          expect(asked).toEqual([THE_QUESTION]);
          const who = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })));
          expect(who.clientInfo).toMatchObject({ name: 'warden-modern-v1', version: '1.0.0' });
          expect(who.clientCapabilities).toMatchObject({ sampling: {} });
        } finally {
          await client.close();
        }
      });
    });

    describe('2026-07-28 clients', () => {
      const clientInfo = { name: `modern-raw-${kind.name}`, version: '3' };
      const caps = { sampling: {} };
      const creds = { authorization: 'Bearer client-token', cookie: 'sid=client-cookie' };

      it('input_required passes through untouched: the upstream’s own requestState goes out and comes back, and the retry completes upstream', async () => {
        const m = modernMeta(clientInfo, caps);
        const mark = rec.mark();
        const first = await modernPost(
          modern,
          1,
          'tools/call',
          { name: 'ask', arguments: {}, _meta: m },
          creds,
        );
        expect(first.status).toBe(200);
        const r = first.msg.result ?? {};
        expect(r).toEqual({
          resultType: 'input_required',
          inputRequests: {
            q1: { method: 'sampling/createMessage', params: { messages: THE_QUESTION, maxTokens: 5 } },
          },
          requestState: expect.any(String),
        });
        // The upstream's signed state, not a Warden MRTR token.
        expect(fixtureState(r.requestState)).toMatchObject({ tool: 'ask' });

        const retry = await modernPost(
          modern,
          2,
          'tools/call',
          {
            name: 'ask',
            arguments: {},
            inputResponses: { q1: ANSWER },
            requestState: r.requestState,
            _meta: m,
          },
          creds,
        );
        expect(retry.msg).toEqual({
          jsonrpc: '2.0',
          id: 2,
          result: {
            resultType: 'complete',
            content: [{ type: 'text', text: `q1 answered: ${JSON.stringify(ANSWER)}` }],
          },
        });
        const legs = toolCalls(rec.since(mark));
        expect(legs).toHaveLength(2);
        expect(legs[1]?.msg?.params?.requestState).toBe(r.requestState);
        expect(legs[1]?.msg?.params?.inputResponses).toEqual({ q1: ANSWER });

        // Warden does not judge a 2026 upstream's state: a forged one reaches the upstream, which refuses it.
        const forged = Buffer.from(JSON.stringify({ iss: 'modern-server', tool: 'ask' })).toString('base64');
        const bad = await modernPost(modern, 3, 'tools/call', {
          name: 'ask',
          arguments: {},
          inputResponses: { q1: ANSWER },
          requestState: forged,
          _meta: m,
        });
        expect(bad.msg.error).toEqual({ code: -32602, message: 'invalid requestState' });
        expect(toolCalls(rec.since(mark))).toHaveLength(3);
      });

      it('the client’s own clientInfo and clientCapabilities reach the upstream, its credentials do not; cacheable results carry ttlMs and cacheScope', async () => {
        const m = modernMeta(clientInfo, caps);
        const who = await modernPost(
          modern,
          4,
          'tools/call',
          { name: 'whoami', arguments: {}, _meta: m },
          creds,
        );
        const seen = JSON.parse(textOf(who.msg.result));
        expect(seen.clientInfo).toEqual(clientInfo);
        expect(seen.clientCapabilities).toEqual(caps);
        if (http)
          expect(seen.headers).toEqual({
            'mcp-method': 'tools/call',
            'mcp-name': 'whoami',
            'mcp-protocol-version': MODERN,
            'mcp-session-id': null,
            authorization: null,
            cookie: null,
          });

        const list = await modernPost(modern, 5, 'tools/list', { _meta: m });
        // The upstream's tools/list carries neither field; Warden adds the uncached, private defaults.
        expect(list.msg.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
        expect((list.msg.result?.tools as { name: string }[]).map((t) => t.name)).toEqual([
          'echo',
          'whoami',
          'ask',
        ]);

        const disc = await modernPost(modern, 6, 'server/discover', { _meta: m });
        expect(disc.msg.result).toMatchObject({
          resultType: 'complete',
          ttlMs: 0,
          cacheScope: 'private',
          capabilities: { tools: {} },
          _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'modern', version: '1' } },
        });
        expect(disc.msg.result?.supportedVersions).toEqual(expect.arrayContaining([MODERN, '2025-11-25']));
      });

      it('SDK 2.x client (2026-07-28 era) end to end, the ask round trip fulfilled by its sampling handler', async () => {
        const client = new ClientV2(
          { name: 'warden-modern-v2', version: '2.0.0' },
          { versionNegotiation: { mode: 'auto' }, capabilities: { sampling: {} } },
        );
        const asked: unknown[] = [];
        client.setRequestHandler('sampling/createMessage', (req) => {
          asked.push(req.params.messages);
          return Promise.resolve({
            model: 'test-model',
            role: 'assistant' as const,
            content: { type: 'text' as const, text: V2_REPLY },
          });
        });
        await client.connect(new TransportV2(new URL(modern)));
        try {
          expect(client.getProtocolEra()).toBe('modern');
          expect(client.getServerVersion()).toMatchObject({ name: 'modern', version: '1' });
          const { tools } = await client.listTools();
          expect(tools.map((t) => t.name)).toEqual(['echo', 'whoami', 'ask']);
          expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'v2' } }))).toBe('v2');
          const mark = rec.mark();
          const res = await client.callTool({ name: 'ask', arguments: {} });
          expect(textOf(res)).toContain(V2_REPLY);
          expect(asked).toEqual([THE_QUESTION]);
          const legs = toolCalls(rec.since(mark));
          expect(legs).toHaveLength(2);
          expect(fixtureState(legs[1]?.msg?.params?.requestState)).toMatchObject({ tool: 'ask' });
          const who = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })));
          expect(who.clientInfo).toMatchObject({ name: 'warden-modern-v2', version: '2.0.0' });
          expect(who.clientCapabilities).toMatchObject({ sampling: {} });
        } finally {
          await client.close();
        }
      });
    });

    it('across every test above, nothing reached the upstream with a session id, the client’s Authorization or cookies, and nothing but POST', () => {
      const all = rec.all();
      expect(all.length).toBeGreaterThan(20);
      for (const s of all) {
        expect(s.body).not.toMatch(/client-token|client-cookie/);
        if (!http) continue;
        expect(s.method).toBe('POST');
        expect(s.headers?.['mcp-session-id']).toBeUndefined();
        expect(s.headers?.authorization).toBeUndefined();
        expect(s.headers?.cookie).toBeUndefined();
      }
      // And never a handshake notification: a 2026 upstream has no session to initialize.
      expect(all.filter((s) => s.msg?.method === 'notifications/initialized')).toEqual([]);
    });
  });
}
