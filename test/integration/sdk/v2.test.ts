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
 * server→client JSON-RPC requests instead; its bridge (src/route/mrtr.ts) turns those into
 * input_required rounds. The crash-test server (`crashy-server.ts`) asks for sampling and
 * elicitation whatever the client declared, so it exercises the bridge end to end.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { AuditRecord } from '../../../src/core/exchange.js';
import { EVERYTHING_SERVER, NOTES_SERVER, rpc, startTestWarden } from '../../helpers/warden.js';
import type { TestWarden } from '../../helpers/warden.js';
import {
  crashyServerScript,
  notesDir,
  recordingFetch,
  startEverythingHttp,
  textOf,
  waitFor,
} from './helpers.js';
import type { WireRequest } from './helpers.js';

type ServerEntry = NonNullable<ConfigInput['servers']>[string];

const MODERN = '2026-07-28';
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
const SAMPLING_REPLY = 'sampled reply from the v2 test client';
const ELICITED_NAME = 'Grace Hopper';

/** A connected 2.x client, what it put on the wire, and how often its input handlers ran. */
interface V2 {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  readonly wire: WireRequest[];
  readonly handled: { sampling: number; elicitation: number };
}

const open: V2[] = [];

/**
 * Connects a 2.x client in the given negotiation mode. With `input` (the default) it declares
 * sampling and elicitation and answers both; without, it declares neither (the 2.x client refuses
 * a handler for an undeclared capability).
 */
async function connectV2(url: string, mode: 'auto' | 'legacy', input = true): Promise<V2> {
  const { fetch, wire } = recordingFetch();
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch });
  const client = new Client(
    { name: 'warden-v2-test', version: '2.0.0' },
    { versionNegotiation: { mode }, capabilities: input ? { sampling: {}, elicitation: {} } : {} },
  );
  const handled = { sampling: 0, elicitation: 0 };
  if (input) {
    client.setRequestHandler('sampling/createMessage', () => {
      handled.sampling++;
      return Promise.resolve({
        model: 'test-model',
        role: 'assistant' as const,
        content: { type: 'text' as const, text: SAMPLING_REPLY },
      });
    });
    client.setRequestHandler('elicitation/create', () => {
      handled.elicitation++;
      return Promise.resolve({ action: 'accept' as const, content: { name: ELICITED_NAME } });
    });
  }
  await client.connect(transport);
  const v2 = { client, transport, wire, handled };
  open.push(v2);
  return v2;
}

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.client.close()));
});

interface RpcBody {
  method?: string;
  params?: Record<string, unknown>;
}

function bodyOf(w: WireRequest): RpcBody {
  const body = w.body as RpcBody | undefined;
  return body ?? {};
}

/** The POST that carried a request with this method (and tool/prompt name or URI). */
function postOf(wire: WireRequest[], method: string, name?: string): WireRequest | undefined {
  return wire.find((w) => {
    const b = bodyOf(w);
    return (
      w.method === 'POST' &&
      b.method === method &&
      (name === undefined || b.params?.name === name || b.params?.uri === name)
    );
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
    if (b.method === 'tools/call' || b.method === 'prompts/get')
      expect(w.headers['mcp-name']).toBe(b.params?.name);
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

  it('calls tools and gets prompts with the _meta envelope and Mcp-Method/Mcp-Name headers', async () => {
    const { client, wire } = await connectV2(`${warden.url}/mcp/notes`, 'auto');
    const read = await client.callTool({ name: 'read_note', arguments: { name: 'groceries' } });
    expect(textOf(read)).toContain('eggs');
    const wrote = await client.callTool({
      name: 'write_note',
      arguments: { name: 'v2-note', content: 'written by the 2.x client' },
    });
    expect(wrote.isError).not.toBe(true);
    expect(textOf(await client.callTool({ name: 'read_note', arguments: { name: 'v2-note' } }))).toContain(
      '2.x client',
    );
    const prompt = await client.getPrompt({ name: 'summarize_note', arguments: { name: 'ideas' } });
    expect(JSON.stringify(prompt.messages)).toContain('gateway');
    expectSessionlessWire(wire);
    expect(postOf(wire, 'tools/call', 'read_note')?.headers['mcp-name']).toBe('read_note');
    expect(postOf(wire, 'tools/call', 'read_note')?.contentType).toMatch(/^application\/json/);
    const rec = warden.audit().find((r) => r.tool === 'read_note' && r.era === 'modern');
    expect(rec).toMatchObject({ outcome: 'ok', protocolVersion: MODERN, server: 'notes' });
    expect(rec?.session).toBeUndefined();
  });

  // 2026-07-28 requires `ttlMs` and `cacheScope` on cacheable results (SEP-2549); Warden adds them
  // (uncached, private) to what its 2025-era upstream returns.
  it('lists tools, prompts and resources and reads a resource in the 2026-07-28 era', async () => {
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

  it('routes calls through the aggregate /mcp endpoint in the 2026-07-28 era', async () => {
    const { client, wire } = await connectV2(`${warden.url}/mcp`, 'auto');
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getServerVersion()).toMatchObject({ name: 'mcp-warden' });
    expect(
      textOf(await client.callTool({ name: 'notes__read_note', arguments: { name: 'ideas' } })),
    ).toContain('gateway');
    expect(
      textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'agg v2' } })),
    ).toBe('Echo: agg v2');
    expectSessionlessWire(wire);
  });
});

/** The 2026-era battery against server-everything, fronted over stdio or HTTP. */
function everythingModern(
  title: string,
  upstream: () => Promise<{ entry: ServerEntry; stop?: () => Promise<void> }>,
): void {
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

    it('calls tools (JSON results) and gets prompts', async () => {
      const { client, wire } = await connectV2(url, 'auto');
      expect(client.getProtocolEra()).toBe('modern');
      expect(client.getServerVersion()).toMatchObject({ name: 'mcp-servers/everything' });
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'sessionless' } }))).toBe(
        'Echo: sessionless',
      );
      expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))).toContain('3');
      expect(postOf(wire, 'tools/call', 'echo')?.contentType).toMatch(/^application\/json/);
      const prompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Oslo' } });
      expect(JSON.stringify(prompt.messages)).toContain('Oslo');
      expectSessionlessWire(wire);
    });

    // Progress of a bridged call rides on the current round's response stream.
    it('streams progress notifications and the result over SSE', async () => {
      const { client, wire } = await connectV2(url, 'auto');
      const progress: { progress: number; total?: number }[] = [];
      const res = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
        { onprogress: (p) => progress.push(p) },
      );
      expect(textOf(res)).toContain('Long running operation completed');
      expect(progress).toEqual([1, 2, 3].map((i) => ({ progress: i, total: 3 })));
      expect(postOf(wire, 'tools/call', 'trigger-long-running-operation')?.contentType).toMatch(
        /^text\/event-stream/,
      );
    });

    // Closing the response stream cancels the call upstream (2026-07-28), per exchange, not by id.
    it('cancels when the client aborts (closes the request stream); audited as cancelled', async () => {
      const { client } = await connectV2(url, 'auto');
      const seen = warden.audit().length;
      const ac = new AbortController();
      const call = client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 10 } },
        { signal: ac.signal },
      );
      setTimeout(() => ac.abort(new Error('v2 cancels')), 300);
      await expect(call).rejects.toThrow('v2 cancels');
      const record = (): AuditRecord | undefined =>
        warden
          .audit()
          .slice(seen)
          .find((r) => r.tool === 'trigger-long-running-operation');
      await waitFor(() => record() !== undefined, 4000, 'the audit record of the aborted call');
      expect(record()).toMatchObject({ era: 'modern', outcome: 'cancelled', code: 'ERR_CANCELLED' });
    });

    it('bridges the upstream sampling tool through Multi Round-Trip Requests in this era', async () => {
      const { client, handled } = await connectV2(url, 'auto');
      const res = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi' } });
      expect(res.isError).not.toBe(true);
      expect(handled.sampling).toBe(1);
    });

    // Sessionless contexts share one ClientSession per principal and endpoint, and two 2.x clients
    // both number their first call 0. Before the MRTR bridge, ClientSession.track() keyed in-flight
    // calls by that id, so A abandoning its call cancelled B's (B got ERR_CANCELLED). Any fix of the
    // cancellation bug above must not bring that back.
    it('one client’s abandoned call does not cancel another client’s call with the same JSON-RPC id', async () => {
      const a = await connectV2(url, 'auto');
      const b = await connectV2(url, 'auto');
      const ac = new AbortController();
      const args = { duration: 0.8, steps: 8 };
      const callA = a.client.callTool(
        { name: 'trigger-long-running-operation', arguments: args },
        { signal: ac.signal },
      );
      const callB = b.client.callTool({ name: 'trigger-long-running-operation', arguments: args });
      await new Promise((r) => setTimeout(r, 300));
      ac.abort(new Error('A cancels'));
      await expect(callA).rejects.toThrow('A cancels');
      expect(textOf(await callB)).toContain('Long running operation completed');
      expect(bodyOf(a.wire.at(-1)!).method).toBe('tools/call');
      expect((a.wire.at(-1)!.body as { id?: unknown }).id).toBe((b.wire.at(-1)!.body as { id?: unknown }).id);
    });
  });
}

everythingModern('SDK 2.x client, 2026-07-28 era → Warden → server-everything (stdio)', () =>
  Promise.resolve({ entry: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] } }),
);

everythingModern(
  'SDK 2.x client, 2026-07-28 era → Warden → server-everything (Streamable HTTP)',
  async () => {
    const up = await startEverythingHttp();
    return { entry: { url: up.url }, stop: () => up.stop() };
  },
);

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

  it('2026-07-28 era: upstream sampling becomes an input_required round trip the client fulfils and retries', async () => {
    const { client, handled, wire } = await connectV2(`${warden.url}/mcp/crashy`, 'auto');
    expect(client.getProtocolEra()).toBe('modern');
    const res = await client.callTool({ name: 'sample', arguments: {} });
    expect(handled.sampling).toBe(1);
    expect(JSON.parse(textOf(res))).toMatchObject({
      result: { role: 'assistant', content: { text: SAMPLING_REPLY } },
    });
    // Leg 1 is answered with input_required; leg 2 echoes requestState and carries the answer.
    const legs = wire.filter((w) => bodyOf(w).method === 'tools/call');
    expect(legs).toHaveLength(2);
    const first = (legs[0]!.response as { result: Record<string, unknown> }).result;
    expect(first).toMatchObject({ resultType: 'input_required' });
    const asked = Object.entries(first.inputRequests as Record<string, { method: string }>);
    expect(asked).toHaveLength(1);
    expect(asked[0]![1].method).toBe('sampling/createMessage');
    expect(typeof first.requestState).toBe('string');
    const retry = bodyOf(legs[1]!).params!;
    expect(retry.requestState).toBe(first.requestState);
    expect(Object.keys(retry.inputResponses as object)).toEqual([asked[0]![0]]);
    expect(legs[1]!.headers['mcp-name']).toBe('sample');
    expect((legs[1]!.response as { result: Record<string, unknown> }).result.resultType).toBe('complete');
    expectSessionlessWire(wire);
  });

  it('2026-07-28 era: upstream elicitation is bridged the same way', async () => {
    const { client, handled } = await connectV2(`${warden.url}/mcp/crashy`, 'auto');
    const res = await client.callTool({ name: 'elicit', arguments: {} });
    expect(handled.elicitation).toBe(1);
    expect(JSON.parse(textOf(res))).toEqual({
      result: { action: 'accept', content: { name: ELICITED_NAME } },
    });
  });

  it('2026-07-28 era: a client that declared no sampling is not asked; the upstream gets -32601', async () => {
    const { client, wire } = await connectV2(`${warden.url}/mcp/crashy`, 'auto', false);
    const res = await client.callTool({ name: 'sample', arguments: {} });
    expect(JSON.parse(textOf(res))).toEqual({
      error: { code: -32601, message: 'client does not support sampling/createMessage' },
    });
    expect(wire.filter((w) => bodyOf(w).method === 'tools/call')).toHaveLength(1);
  });

  it('legacy era: the same upstream request is bridged to the 2.x client and its reply reaches the tool', async () => {
    const { client, handled } = await connectV2(`${warden.url}/mcp/crashy`, 'legacy');
    expect(client.getProtocolEra()).toBe('legacy');
    const res = await client.callTool({ name: 'sample', arguments: {} });
    expect(JSON.parse(textOf(res))).toMatchObject({
      result: { role: 'assistant', content: { text: SAMPLING_REPLY } },
    });
    expect(handled.sampling).toBe(1);
  });
});

describe('SDK 2.x client forced to the legacy era (versionNegotiation mode legacy) → Warden → server-everything (stdio)', () => {
  let warden: TestWarden;
  let url: string;

  beforeAll(async () => {
    warden = await startTestWarden({
      servers: { everything: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] } },
    });
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
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['echo', 'trigger-sampling-request', 'trigger-elicitation-request']),
    );
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'legacy v2' } }))).toBe(
      'Echo: legacy v2',
    );
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: 'demo://resource/dynamic/text/3' });
    expect(read.contents[0]?.uri).toBe('demo://resource/dynamic/text/3');
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('simple-prompt');
    expect(JSON.stringify((await client.getPrompt({ name: 'simple-prompt' })).messages)).toContain(
      'simple prompt',
    );
  });

  it('bridges sampling and elicitation round trips', async () => {
    const { client, handled } = await connectV2(url, 'legacy');
    const sampled = await client.callTool({
      name: 'trigger-sampling-request',
      arguments: { prompt: 'hi', maxTokens: 5 },
    });
    expect(textOf(sampled)).toContain(SAMPLING_REPLY);
    const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(textOf(elicited)).toContain(`Name: ${ELICITED_NAME}`);
    expect(handled).toEqual({ sampling: 1, elicitation: 1 });
  });

  it('terminateSession() ends the session; the old id then gets 404 [session:delete] [session:unknown-404]', async () => {
    const { client, transport } = await connectV2(url, 'legacy');
    await client.ping();
    const sid = transport.sessionId!;
    await transport.terminateSession();
    const res = await rpc(warden.url, '/mcp/everything', sid, {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/list',
    });
    expect(res.status).toBe(404);
  });
});
