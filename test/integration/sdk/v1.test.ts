/**
 * The official 1.x SDK client (`@modelcontextprotocol/sdk` 1.32.2, protocol 2025-11-25) driving a
 * real Warden over real loopback sockets, in front of real upstream processes: the demo notes
 * server (stdio), server-everything (stdio) and server-everything (Streamable HTTP).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import { EVERYTHING_SERVER, NOTES_SERVER, startTestWarden } from '../../helpers/warden.js';
import type { TestWarden } from '../../helpers/warden.js';
import { notesDir, recordingFetch, startEverythingHttp, textOf, waitFor } from './helpers.js';
import type { Child, WireRequest } from './helpers.js';

type ServerEntry = NonNullable<ConfigInput['servers']>[string];

/** What the client answers to sampling requests; a tool result containing it proves the round trip. */
const SAMPLING_REPLY = 'sampled reply from the v1 test client';
const ELICITED_NAME = 'Ada Lovelace';

/** A connected 1.x client plus what it put on the wire. */
interface V1 {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  readonly wire: WireRequest[];
  readonly logs: LoggingMessageNotification['params'][];
  readonly listChanged: string[];
}

const open: V1[] = [];

/** Connects a 1.x client with sampling and elicitation capabilities and answering handlers. */
async function connectV1(url: string, closeAfterEach = true): Promise<V1> {
  const { fetch, wire } = recordingFetch();
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch });
  const client = new Client(
    { name: 'warden-v1-test', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {} } },
  );
  const logs: LoggingMessageNotification['params'][] = [];
  const listChanged: string[] = [];
  client.setRequestHandler(CreateMessageRequestSchema, () => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: SAMPLING_REPLY },
  }));
  client.setRequestHandler(ElicitRequestSchema, () => ({
    action: 'accept',
    content: { name: ELICITED_NAME, check: true },
  }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, (n) => {
    listChanged.push(n.method);
  });
  await client.connect(transport);
  const v1 = { client, transport, wire, logs, listChanged };
  if (closeAfterEach) open.push(v1);
  return v1;
}

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.client.close()));
});

/** The wire entry of the POST that carried the JSON-RPC request with this method (and tool name). */
function postOf(wire: WireRequest[], method: string, name?: string): WireRequest | undefined {
  return wire.find((w) => {
    const b = w.body as { method?: string; params?: { name?: string } } | undefined;
    return w.method === 'POST' && b?.method === method && (name === undefined || b.params?.name === name);
  });
}

/** Asserts that a request with a stale session id gets HTTP 404 from Warden. */
async function expect404(url: string, sessionId: string): Promise<void> {
  const stale = new Client({ name: 'warden-v1-stale', version: '1.0.0' });
  // A transport that already holds a session id makes Client.connect skip initialize (reconnect path).
  const transport = new StreamableHTTPClientTransport(new URL(url), { sessionId });
  await stale.connect(transport);
  try {
    const err: unknown = await stale.listTools().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(404);
  } finally {
    await stale.close();
  }
}

describe('SDK 1.x client → Warden → notes server (stdio)', () => {
  let warden: TestWarden;
  let notes: ReturnType<typeof notesDir>;
  let url: string;
  /** One session for the tests that only read; tests that change session state open their own. */
  let shared: V1;

  beforeAll(async () => {
    notes = notesDir();
    warden = await startTestWarden({
      servers: { notes: { command: process.execPath, args: [NOTES_SERVER], env: { NOTES_DIR: notes.dir } } },
    });
    url = `${warden.url}/mcp/notes`;
    shared = await connectV1(url, false);
  });
  afterAll(async () => {
    await shared?.client.close();
    await warden.close();
    notes.remove();
  });

  it('initializes at 2025-11-25 and the notification gets 202 [transport:notification-202]', () => {
    const { client, transport, wire } = shared;
    expect(transport.protocolVersion).toBe('2025-11-25');
    expect(transport.sessionId).toMatch(/^[\x21-\x7e]{22,}$/);
    expect(client.getServerVersion()).toMatchObject({ name: 'warden-demo-notes' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {}, prompts: {} });
    expect(client.getInstructions()).toContain('notes');
    const initialized = wire.find(
      (w) => (w.body as { method?: string } | undefined)?.method === 'notifications/initialized',
    );
    expect(initialized?.status).toBe(202);
  });

  it('lists and calls tools; a plain result comes back as JSON', async () => {
    const { client, wire } = shared;
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'delete_note',
      'list_notes',
      'read_note',
      'search_notes',
      'write_note',
    ]);
    const read = await client.callTool({ name: 'read_note', arguments: { name: 'groceries' } });
    expect(read.isError).not.toBe(true);
    expect(textOf(read)).toContain('eggs');
    const listed = await client.callTool({ name: 'list_notes', arguments: {} });
    expect((listed.structuredContent as { notes: { name: string }[] }).notes.map((n) => n.name)).toContain(
      'ideas',
    );
    expect(postOf(wire, 'tools/call', 'read_note')?.contentType).toMatch(/^application\/json/);
  });

  it('delivers log messages and resources/list_changed the upstream sends after a write', async () => {
    const v1 = await connectV1(url);
    await v1.client.setLoggingLevel('debug');
    const res = await v1.client.callTool({
      name: 'write_note',
      arguments: { name: 'fresh', content: 'hello from v1' },
    });
    expect(res.isError).not.toBe(true);
    await waitFor(
      () => v1.listChanged.length > 0 && v1.logs.length > 0,
      5000,
      'list_changed and a log message',
    );
    expect(v1.listChanged).toContain('notifications/resources/list_changed');
    expect(v1.logs[0]).toMatchObject({ level: 'info', logger: 'notes' });
    expect(String(v1.logs[0]?.data)).toContain('write_note');
  });

  it('lists and reads resources, lists and gets prompts', async () => {
    const { client } = shared;
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['note://groceries', 'note://ideas']));
    const read = await client.readResource({ uri: 'note://ideas' });
    expect(read.contents[0]).toMatchObject({ uri: 'note://ideas' });
    expect((read.contents[0] as { text?: string }).text).toContain('gateway');
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['summarize_note']);
    const prompt = await client.getPrompt({ name: 'summarize_note', arguments: { name: 'groceries' } });
    expect(JSON.stringify(prompt.messages)).toContain('milk');
  });

  it('terminateSession() ends the session and reaps its child; the old id then gets 404 [session:delete] [session:unknown-404] [stdio:lifecycle]', async () => {
    const { transport, client } = await connectV1(url);
    await client.listTools();
    const sid = transport.sessionId!;
    const before = warden.pipeline.sessionCount;
    const liveBefore = warden.pipeline.upstreams.liveCount;
    await transport.terminateSession();
    expect(warden.pipeline.sessionCount).toBe(before - 1);
    await waitFor(
      () => warden.pipeline.upstreams.liveCount === liveBefore - 1,
      5000,
      'the session child to be reaped',
    );
    await expect404(url, sid);
  });
});

/** The same battery against server-everything, fronted over stdio or over HTTP. */
function everythingSuite(
  title: string,
  upstream: () => Promise<{ entry: ServerEntry; stop?: () => Promise<void> }>,
): void {
  describe(title, () => {
    let warden: TestWarden;
    let stop: (() => Promise<void>) | undefined;
    let url: string;
    /** One session (one upstream child or HTTP session) for the tests that need no fresh one. */
    let shared: V1;

    beforeAll(async () => {
      const up = await upstream();
      stop = up.stop;
      warden = await startTestWarden({ servers: { everything: up.entry } });
      url = `${warden.url}/mcp/everything`;
      shared = await connectV1(url, false);
    });
    afterAll(async () => {
      await shared?.client.close();
      await warden?.close();
      await stop?.();
    });

    it('initializes, lists tools (conditional ones included) and calls echo with a JSON result', async () => {
      const { client, transport, wire } = shared;
      expect(transport.protocolVersion).toBe('2025-11-25');
      expect(client.getServerVersion()).toMatchObject({ name: 'mcp-servers/everything' });
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      // The sampling and elicitation tools exist only when the upstream saw the client's capabilities.
      expect(names).toEqual(
        expect.arrayContaining([
          'echo',
          'get-sum',
          'trigger-long-running-operation',
          'trigger-sampling-request',
          'trigger-elicitation-request',
        ]),
      );
      const echo = await client.callTool({ name: 'echo', arguments: { message: 'through warden' } });
      expect(textOf(echo)).toBe('Echo: through warden');
      const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
      expect(textOf(sum)).toContain('42');
      expect(postOf(wire, 'tools/call', 'echo')?.contentType).toMatch(/^application\/json/);
    });

    it('streams progress notifications over SSE to onprogress before the result', async () => {
      const { client, wire } = shared;
      const progress: { progress: number; total?: number }[] = [];
      const res = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.4, steps: 4 } },
        undefined,
        {
          onprogress: (p) => progress.push(p),
        },
      );
      expect(textOf(res)).toContain('Long running operation completed');
      expect(progress).toEqual([1, 2, 3, 4].map((i) => ({ progress: i, total: 4 })));
      expect(postOf(wire, 'tools/call', 'trigger-long-running-operation')?.contentType).toMatch(
        /^text\/event-stream/,
      );
    });

    it('relays the upstream log messages to the client', async () => {
      const v1 = shared;
      await v1.client.setLoggingLevel('debug');
      const on = await v1.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
      expect(textOf(on)).toContain('Started simulated');
      try {
        // The first message is sent at once, the next after 5 s.
        await waitFor(() => v1.logs.length > 0, 7000, 'a logging message');
        expect(String(v1.logs[0]?.data)).toMatch(/-level message|level-message/);
      } finally {
        await v1.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
      }
    });

    it('bridges sampling: the upstream request reaches the client and its reply reaches the tool', async () => {
      const { client } = shared;
      const res = await client.callTool({
        name: 'trigger-sampling-request',
        arguments: { prompt: 'hello?', maxTokens: 5 },
      });
      expect(textOf(res)).toContain('LLM sampling result');
      expect(textOf(res)).toContain(SAMPLING_REPLY);
    });

    it('bridges elicitation: the client answers the form and the tool sees the answer', async () => {
      const { client } = shared;
      const res = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      expect(textOf(res)).toContain('User provided the requested information');
      expect(textOf(res)).toContain(`Name: ${ELICITED_NAME}`);
    });

    it('cancels a long-running call when the client aborts; the exchange is audited as cancelled', async () => {
      const { client } = await connectV1(url);
      const ac = new AbortController();
      const call = client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 200 } },
        undefined,
        {
          signal: ac.signal,
          onprogress: () => ac.abort(new Error('the test cancels')),
        },
      );
      await expect(call).rejects.toThrow('the test cancels');
      await waitFor(
        () =>
          warden
            .audit()
            .some(
              (r) =>
                r.method === 'tools/call' &&
                r.tool === 'trigger-long-running-operation' &&
                r.outcome === 'cancelled',
            ),
        5000,
        'an audit record with outcome cancelled',
      );
      const rec = warden
        .audit()
        .find((r) => r.tool === 'trigger-long-running-operation' && r.outcome === 'cancelled');
      expect(rec).toMatchObject({ code: 'ERR_CANCELLED', server: 'everything', era: 'legacy' });
      // The session keeps working after the cancellation.
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe(
        'Echo: still here',
      );
    });

    it('lists and reads resources, lists and gets prompts', async () => {
      const { client } = shared;
      const { resources } = await client.listResources();
      expect(resources.length).toBeGreaterThan(0);
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toContain(
        'demo://resource/dynamic/text/{resourceId}',
      );
      const text = await client.readResource({ uri: 'demo://resource/dynamic/text/7' });
      expect(text.contents[0]).toMatchObject({
        uri: 'demo://resource/dynamic/text/7',
        mimeType: 'text/plain',
      });
      const listed = resources[0]!;
      const again = await client.readResource({ uri: listed.uri });
      expect(again.contents[0]?.uri).toBe(listed.uri);
      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['simple-prompt', 'args-prompt']));
      const prompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon' } });
      expect(JSON.stringify(prompt.messages)).toContain("What's weather in Lisbon?");
    });

    it('terminateSession() ends the session; the old id then gets 404 [session:delete] [session:unknown-404]', async () => {
      const { transport, client } = await connectV1(url);
      await client.ping();
      const sid = transport.sessionId!;
      const liveBefore = warden.pipeline.upstreams.liveCount;
      await transport.terminateSession();
      await waitFor(
        () => warden.pipeline.upstreams.liveCount === liveBefore - 1,
        5000,
        'the upstream connection to close',
      );
      await expect404(url, sid);
    });
  });
}

everythingSuite('SDK 1.x client → Warden → server-everything (stdio)', () =>
  Promise.resolve({ entry: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] } }),
);

everythingSuite('SDK 1.x client → Warden → server-everything (Streamable HTTP)', async () => {
  const up: Child & { url: string } = await startEverythingHttp();
  return { entry: { url: up.url }, stop: () => up.stop() };
});

describe('SDK 1.x client → Warden aggregate /mcp (notes over stdio + everything over stdio) [integrity:shadowing]', () => {
  let warden: TestWarden;
  let notes: ReturnType<typeof notesDir>;
  let shared: V1;

  beforeAll(async () => {
    notes = notesDir();
    warden = await startTestWarden({
      servers: {
        notes: { command: process.execPath, args: [NOTES_SERVER], env: { NOTES_DIR: notes.dir } },
        everything: { command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] },
      },
    });
    shared = await connectV1(`${warden.url}/mcp`, false);
  });
  afterAll(async () => {
    await shared?.client.close();
    await warden.close();
    notes.remove();
  });

  it('lists both servers’ tools as <server>__<tool> and routes each call to its server', async () => {
    const { client } = shared;
    expect(client.getServerVersion()).toMatchObject({ name: 'mcp-warden' });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'notes__read_note',
        'notes__write_note',
        'everything__echo',
        'everything__get-sum',
      ]),
    );
    expect(names.every((n) => n.startsWith('notes__') || n.startsWith('everything__'))).toBe(true);
    expect(textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'agg' } }))).toBe(
      'Echo: agg',
    );
    expect(
      textOf(await client.callTool({ name: 'notes__read_note', arguments: { name: 'ideas' } })),
    ).toContain('gateway');
    const audit = warden.audit().filter((r) => r.endpoint === '/mcp' && r.method === 'tools/call');
    expect(audit.map((r) => r.tool)).toEqual(
      expect.arrayContaining(['everything__echo', 'notes__read_note']),
    );
    // An unprefixed or unknown name is not guessed.
    await expect(client.callTool({ name: 'echo', arguments: { message: 'x' } })).rejects.toThrow(
      /Unknown tool/,
    );
  });

  it('routes resources and prompts of the aggregate to their owners', async () => {
    const { client } = shared;
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['note://groceries']));
    const read = await client.readResource({ uri: 'note://groceries' });
    expect((read.contents[0] as { text?: string }).text).toContain('bread');
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(
      expect.arrayContaining(['notes__summarize_note', 'everything__simple-prompt']),
    );
    const simple = await client.getPrompt({ name: 'everything__simple-prompt' });
    expect(JSON.stringify(simple.messages)).toContain('simple prompt without arguments');
  });

  it('each aggregate session owns one child per server; DELETE reaps both [session:delete] [stdio:lifecycle]', async () => {
    const { client, transport } = await connectV1(`${warden.url}/mcp`);
    await client.ping();
    const live = warden.pipeline.upstreams.liveCount;
    expect(live).toBeGreaterThanOrEqual(2);
    await transport.terminateSession();
    await waitFor(() => warden.pipeline.upstreams.liveCount === live - 2, 5000, 'both children to be reaped');
  });
});
