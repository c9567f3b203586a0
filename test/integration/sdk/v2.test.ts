/**
 * The official 2.x client (`@modelcontextprotocol/client` 2.4.0) driving a real Warden over real
 * loopback sockets. With `versionNegotiation: { mode: 'auto' }` it probes with `server/discover`
 * and, when Warden offers 2026-07-28, talks the sessionless era: every request carries the
 * `_meta` protocol envelope and the `Mcp-Method`/`Mcp-Name` headers, there is no initialize, no
 * session id and no GET stream. With the default `mode: 'legacy'` it runs the 2025 initialize
 * handshake instead.
 *
 * In the 2026-07-28 era servers get client input (sampling, elicitation, roots) through
 * multi-round-trip requests: the server answers `tools/call` with
 * `{ resultType: 'input_required', inputRequests, requestState }`, the client fulfils each
 * embedded request with its registered handlers and retries the call with `inputResponses` and
 * the echoed `requestState`. Warden speaks the 2025 era to its upstreams, which send
 * server→client JSON-RPC requests instead; Warden does not translate those into input_required
 * rounds and answers the upstream itself with an error. The tests below pin that down.
 */
import { Client, SdkError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import { EVERYTHING_SERVER, NOTES_SERVER, rpc, startTestWarden } from '../../helpers/warden.js';
import type { TestWarden } from '../../helpers/warden.js';
import { crashyServerScript, notesDir, recordingFetch, startEverythingHttp, textOf, waitFor } from './helpers.js';
import type { WireRequest } from './helpers.js';

type ServerEntry = NonNullable<ConfigInput['servers']>[string];

const MODERN = '2026-07-28';
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
const SAMPLING_REPLY = 'sampled reply from the v2 test client';

/** A connected 2.x client, what it put on the wire, and how often its input handlers ran. */
interface V2 {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  readonly wire: WireRequest[];
  readonly handled: { sampling: number; elicitation: number };
}

const open: V2[] = [];

/** Connects a 2.x client in the given negotiation mode, with sampling and elicitation handlers. */
async function connectV2(url: string, mode: 'auto' | 'legacy'): Promise<V2> {
  const { fetch, wire } = recordingFetch();
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch });
  const client = new Client(
    { name: 'warden-v2-test', version: '2.0.0' },
    { versionNegotiation: { mode }, capabilities: { sampling: {}, elicitation: {} } },
  );
  const handled = { sampling: 0, elicitation: 0 };
  client.setRequestHandler('sampling/createMessage', () => {
    handled.sampling++;
    return Promise.resolve({ model: 'test-model', role: 'assistant' as const, content: { type: 'text' as const, text: SAMPLING_REPLY } });
  });
  client.setRequestHandler('elicitation/create', () => {
    handled.elicitation++;
    return Promise.resolve({ action: 'accept' as const, content: { name: 'Grace Hopper' } });
  });
  await client.connect(transport);
  const v2 = { client, transport, wire, handled };
  open.push(v2);
  return v2;
}

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.client.close()));
});

function bodyOf(w: WireRequest): { method?: string; params?: Record<string, unknown> } {
  return (w.body ?? {}) as { method?: string; params?: Record<string, unknown> };
}

/** The POST that carried a request with this method (and tool/prompt name or URI). */
function postOf(wire: WireRequest[], method: string, name?: string): WireRequest | undefined {
  return wire.find((w) => {
    const b = bodyOf(w);
    return w.method === 'POST' && b.method === method && (name === undefined || b.params?.name === name || b.params?.uri === name);
  });
}

/** Asserts the 2026-07-28 wire shape of everything the client sent. */
function expectSessionlessWire(wire: WireRequest[]): void {
  expect(wire.length).toBeGreaterThan(1);
  expect(bodyOf(wire[0]!).method).toBe('server/discover');
  for (const w of wire) {
    expect(w.method).toBe('POST');
    expect(w.headers['mcp-session-id']).toBeUndefined();
    const b = bodyOf(w);
    expect(b.method).not.toBe('initialize');
    if (b.method === undefined) continue;
    expect(w.headers['mcp-protocol-version']).toBe(MODERN);
    expect(w.headers['mcp-method']).toBe(b.method);
    expect((b.params?._meta as Record<string, unknown> | undefined)?.[VERSION_KEY]).toBe(MODERN);
    if (b.method === 'tools/call' || b.method === 'prompts/get') expect(w.headers['mcp-name']).toBe(b.params?.name);
    if (b.method === 'resources/read') expect(w.headers['mcp-name']).toBe(b.params?.uri);
    expect(w.status).toBe(200);
  }
}

describe('SDK 2.x client, 2026-07-28 era → Warden → notes (stdio), single and aggregate endpoints', () => {
  let warden: TestWarden;
  let notes: ReturnType<typeof notesDir>;

  beforeAll(async () => {
    notes = notesDir();
    warden = await startTestWarden({
      servers: {
        notes: { command: process.execPath, args: [NOTES_SERVER], env: { NOTES_DIR: notes.dir } },
        everything: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] },
      },
    });
  });
  afterAll(async () => {
    await warden.close();
    notes.remove();
  });

  it('connects sessionless: Warden answers server/discover; no initialize, no session id, no GET', async () => {
    const { client, wire } = await connectV2(`${warden.url}/mcp/notes`, 'auto');
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
    const discover = client.getDiscoverResult();
    expect(discover?.supportedVersions).toEqual(expect.arrayContaining([MODERN, '2025-11-25']));
    expect(discover?.capabilities).toMatchObject({ tools: {}, resources: {}, prompts: {} });
    expect(client.getServerVersion()).toMatchObject({ name: 'warden-demo-notes' });
    expect(client.getInstructions()).toContain('notes');
    expect(wire).toHaveLength(1);
    expect(wire[0]?.headers['mcp-method']).toBe('server/discover');
    expect(wire[0]?.contentType).toMatch(/^application\/json/);
  });

  it('calls tools and gets prompts with the _meta envelope and Mcp-Method/Mcp-Name headers [transport:header-mismatch-400]', async () => {
    const { client, wire } = await connectV2(`${warden.url}/mcp/notes`, 'auto');
    const read = await client.callTool({ name: 'read_note', arguments: { name: 'groceries' } });
    expect(textOf(read)).toContain('eggs');
    const wrote = await client.callTool({ name: 'write_note', arguments: { name: 'v2-note', content: 'written by the 2.x client' } });
    expect(wrote.isError).not.toBe(true);
    expect(textOf(await client.callTool({ name: 'read_note', arguments: { name: 'v2-note' } }))).toContain('2.x client');
    const prompt = await client.getPrompt({ name: 'summarize_note', arguments: { name: 'ideas' } });
    expect(JSON.stringify(prompt.messages)).toContain('gateway');
    expectSessionlessWire(wire);
    expect(postOf(wire, 'tools/call', 'read_note')?.headers['mcp-name']).toBe('read_note');
    expect(postOf(wire, 'tools/call', 'read_note')?.contentType).toMatch(/^application\/json/);
    const rec = warden.audit().find((r) => r.tool === 'read_note' && r.era === 'modern');
    expect(rec).toMatchObject({ outcome: 'ok', protocolVersion: MODERN, server: 'notes' });
    expect(rec?.session).toBeUndefined();
  });

  // BUG (see report): 2026-07-28 makes `ttlMs` and `cacheScope` required on the results of the
  // cacheable methods (tools/list, prompts/list, resources/list, resources/templates/list,
  // resources/read; SEP-2549). Warden relays its 2025-era upstream's result and only adds
  // `resultType: 'complete'` (src/pipeline.ts, modern branch of handleRequest), so the 2.x client
  // rejects each of these with SdkError INVALID_RESULT ("ttlMs: expected number").
  it.fails('lists tools, prompts and resources and reads a resource in the 2026-07-28 era', async () => {
    const { client } = await connectV2(`${warden.url}/mcp/notes`, 'auto');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('read_note');
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['summarize_note']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('note://groceries');
    const read = await client.readResource({ uri: 'note://groceries' });
    expect(JSON.stringify(read.contents)).toContain('milk');
  });

  it('pins the cacheable-result failure: tools/list from a 2025-era upstream lacks ttlMs/cacheScope', async () => {
    const { client, wire } = await connectV2(`${warden.url}/mcp/notes`, 'auto');
    const err: unknown = await client.listTools().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SdkError);
    expect((err as SdkError).code).toBe('INVALID_RESULT');
    expect((err as SdkError).message).toMatch(/ttlMs/);
    // Warden did answer 200 with a tools list; it is the 2026 result shape that is incomplete.
    expect(postOf(wire, 'tools/list')?.status).toBe(200);
  });

  it('routes calls through the aggregate /mcp endpoint in the 2026-07-28 era', async () => {
    const { client, wire } = await connectV2(`${warden.url}/mcp`, 'auto');
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getServerVersion()).toMatchObject({ name: 'mcp-warden' });
    expect(textOf(await client.callTool({ name: 'notes__read_note', arguments: { name: 'ideas' } }))).toContain('gateway');
    expect(textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'agg v2' } }))).toBe('Echo: agg v2');
    expectSessionlessWire(wire);
  });
});

/** The 2026-era battery against server-everything, fronted over stdio or HTTP. */
function everythingModern(title: string, upstream: () => Promise<{ entry: ServerEntry; stop?: () => Promise<void> }>): void {
  describe(title, () => {
    let warden: TestWarden;
    let stop: (() => Promise<void>) | undefined;
    let url: string;

    beforeAll(async () => {
      const up = await upstream();
      stop = up.stop;
      warden = await startTestWarden({ servers: { everything: up.entry } });
      url = `${warden.url}/mcp/everything`;
    });
    afterAll(async () => {
      await warden?.close();
      await stop?.();
    });

    it('calls a tool with a JSON result and one whose progress and result stream over SSE', async () => {
      const { client, wire } = await connectV2(url, 'auto');
      expect(client.getProtocolEra()).toBe('modern');
      expect(client.getServerVersion()).toMatchObject({ name: 'mcp-servers/everything' });
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'sessionless' } }))).toBe('Echo: sessionless');
      const progress: { progress: number; total?: number }[] = [];
      const res = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
        { onprogress: (p) => progress.push(p) },
      );
      expect(textOf(res)).toContain('Long running operation completed');
      expect(progress).toEqual([1, 2, 3].map((i) => ({ progress: i, total: 3 })));
      expect(postOf(wire, 'tools/call', 'echo')?.contentType).toMatch(/^application\/json/);
      expect(postOf(wire, 'tools/call', 'trigger-long-running-operation')?.contentType).toMatch(/^text\/event-stream/);
      const prompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Oslo' } });
      expect(JSON.stringify(prompt.messages)).toContain('Oslo');
      expectSessionlessWire(wire);
    });

    it('cancels when the client aborts (closing the request stream); audited as cancelled', async () => {
      const { client } = await connectV2(url, 'auto');
      const ac = new AbortController();
      const call = client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 200 } },
        { signal: ac.signal, onprogress: () => ac.abort(new Error('v2 cancels')) },
      );
      await expect(call).rejects.toThrow('v2 cancels');
      await waitFor(
        () => warden.audit().some((r) => r.tool === 'trigger-long-running-operation' && r.era === 'modern' && r.outcome === 'cancelled'),
        5000,
        'a modern cancelled audit record',
      );
    });

    it('has no sampling tool in this era: the shared upstream connection was opened with Warden’s empty capabilities', async () => {
      const { client, handled } = await connectV2(url, 'auto');
      const res = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi' } });
      expect(res.isError).toBe(true);
      expect(textOf(res)).toMatch(/trigger-sampling-request not found/);
      expect(handled.sampling).toBe(0);
    });

    // BUG (see report): sessionless contexts share one ClientSession per principal and endpoint,
    // and ClientSession.track() keys in-flight requests by the client's JSON-RPC id
    // (src/route/session.ts, src/route/dispatch.ts forward()). Two 2.x clients both number their
    // first call 0, so when A abandons its call Warden aborts B's call instead (B gets
    // ERR_CANCELLED) and A's upstream work runs on.
    it.fails('one client’s cancellation does not cancel another client’s call with the same JSON-RPC id', async () => {
      const a = await connectV2(url, 'auto');
      const b = await connectV2(url, 'auto');
      const ac = new AbortController();
      let aProgress = 0;
      let bProgress = 0;
      const args = { duration: 1, steps: 10 };
      const callA = a.client.callTool(
        { name: 'trigger-long-running-operation', arguments: args },
        { signal: ac.signal, onprogress: () => aProgress++ },
      );
      const callB = b.client.callTool({ name: 'trigger-long-running-operation', arguments: args }, { onprogress: () => bProgress++ });
      await waitFor(() => aProgress > 0 && bProgress > 0, 5000, 'both calls to be running');
      ac.abort(new Error('A cancels'));
      await expect(callA).rejects.toThrow('A cancels');
      expect(textOf(await callB)).toContain('Long running operation completed');
    });
  });
}

everythingModern('SDK 2.x client, 2026-07-28 era → Warden → server-everything (stdio)', () =>
  Promise.resolve({ entry: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] } }),
);

everythingModern('SDK 2.x client, 2026-07-28 era → Warden → server-everything (Streamable HTTP)', async () => {
  const up = await startEverythingHttp();
  return { entry: { url: up.url }, stop: () => up.stop() };
});

describe('server→client requests from a 2025-era upstream to a 2.x client', () => {
  let warden: TestWarden;

  beforeAll(async () => {
    warden = await startTestWarden({
      servers: {
        crashy: { command: process.execPath, args: [crashyServerScript()] },
        everything: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] },
      },
    });
  });
  afterAll(async () => {
    await warden.close();
  });

  it('2026-07-28 era: Warden answers the upstream’s sampling/createMessage with -32601 itself; the client sees no input_required round [policy:sampling-elicitation]', async () => {
    const { client, handled, wire } = await connectV2(`${warden.url}/mcp/crashy`, 'auto');
    expect(client.getProtocolEra()).toBe('modern');
    const res = await client.callTool({ name: 'sample', arguments: {} });
    // The upstream reports what came back for its sampling request.
    expect(JSON.parse(textOf(res))).toEqual({
      error: { code: -32601, message: 'server-initiated requests are not bridged to 2026-07-28 clients' },
    });
    expect(handled.sampling).toBe(0);
    // One POST for the call and no retry: Warden never answered with resultType input_required.
    expect(wire.filter((w) => bodyOf(w).method === 'tools/call')).toHaveLength(1);
    expect(postOf(wire, 'tools/call', 'sample')?.contentType).toMatch(/^application\/json/);
  });

  // Known gap (see report): bridging needs Warden to turn the upstream's pending server→client
  // request into an InputRequiredResult and resume it when the client retries with inputResponses.
  it.fails('2026-07-28 era: upstream sampling is bridged as a multi-round-trip input_required exchange', async () => {
    const { client, handled } = await connectV2(`${warden.url}/mcp/crashy`, 'auto');
    const res = await client.callTool({ name: 'sample', arguments: {} });
    expect(handled.sampling).toBe(1);
    expect(textOf(res)).toContain(SAMPLING_REPLY);
  });

  it('legacy era: the same upstream request is bridged to the 2.x client and its reply reaches the tool', async () => {
    const { client, handled } = await connectV2(`${warden.url}/mcp/crashy`, 'legacy');
    expect(client.getProtocolEra()).toBe('legacy');
    const res = await client.callTool({ name: 'sample', arguments: {} });
    expect(JSON.parse(textOf(res))).toMatchObject({ result: { role: 'assistant', content: { text: SAMPLING_REPLY } } });
    expect(handled.sampling).toBe(1);
  });
});

describe('SDK 2.x client forced to the legacy era (versionNegotiation mode legacy) → Warden → server-everything (stdio)', () => {
  let warden: TestWarden;
  let url: string;

  beforeAll(async () => {
    warden = await startTestWarden({ servers: { everything: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] } } });
    url = `${warden.url}/mcp/everything`;
  });
  afterAll(async () => {
    await warden.close();
  });

  it('initializes a 2025-11-25 session and lists, calls, reads and gets', async () => {
    const { client, transport, wire } = await connectV2(url, 'legacy');
    expect(client.getProtocolEra()).toBe('legacy');
    expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(bodyOf(wire[0]!).method).toBe('initialize');
    expect(transport.sessionId).toBeDefined();
    expect(wire.some((w) => w.headers['mcp-method'] !== undefined)).toBe(false);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'trigger-sampling-request', 'trigger-elicitation-request']));
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'legacy v2' } }))).toBe('Echo: legacy v2');
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: 'demo://resource/dynamic/text/3' });
    expect(read.contents[0]?.uri).toBe('demo://resource/dynamic/text/3');
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('simple-prompt');
    expect(JSON.stringify((await client.getPrompt({ name: 'simple-prompt' })).messages)).toContain('simple prompt');
  });

  it('bridges sampling and elicitation round trips', async () => {
    const { client, handled } = await connectV2(url, 'legacy');
    const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
    expect(textOf(sampled)).toContain(SAMPLING_REPLY);
    const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(textOf(elicited)).toContain('Name: Grace Hopper');
    expect(handled).toEqual({ sampling: 1, elicitation: 1 });
  });

  it('terminateSession() ends the session; the old id then gets 404 [session:delete] [session:unknown-404]', async () => {
    const { client, transport } = await connectV2(url, 'legacy');
    await client.ping();
    const sid = transport.sessionId!;
    await transport.terminateSession();
    const res = await rpc(warden.url, '/mcp/everything', sid, { jsonrpc: '2.0', id: 9, method: 'tools/list' });
    expect(res.status).toBe(404);
  });
});
