/**
 * End-to-end tests for the bundled notes demo server: each test spawns the compiled server as a
 * child process, as an MCP client would, and talks to it over real stdio pipes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('../../dist/examples/servers/notes/server.js', import.meta.url));
const MODERN = '2026-07-28';
const SUPPORTED = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26'];
const WAIT_MS = 5_000;

interface Msg {
  jsonrpc: string;
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

interface Waiter {
  match: (m: Msg) => boolean;
  resolve: (m: Msg) => void;
}

/** A spawned server plus a newline-delimited JSON reader over its stdout. */
class Peer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  /** Every message received, in order, including ones already consumed by `next`. */
  readonly seen: Msg[] = [];
  stderr = '';
  private pending: Msg[] = [];
  private waiters: Waiter[] = [];
  private partial = '';
  private nextId = 1;

  constructor(notesDir: string) {
    this.child = spawn(process.execPath, [SERVER], {
      env: { ...process.env, NOTES_DIR: notesDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  private onData(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const msg = JSON.parse(line) as Msg;
      this.seen.push(msg);
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i === -1) this.pending.push(msg);
      else this.waiters.splice(i, 1)[0]!.resolve(msg);
    }
  }

  /** Writes raw text to the server's stdin. */
  raw(text: string): void {
    this.child.stdin.write(text);
  }

  /** Sends one JSON-RPC message. */
  send(msg: Record<string, unknown>): void {
    this.raw(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
  }

  /** Resolves with the first received message that satisfies `match`. */
  next(match: (m: Msg) => boolean, what = 'message'): Promise<Msg> {
    const i = this.pending.findIndex(match);
    if (i !== -1) return Promise.resolve(this.pending.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}; stderr:\n${this.stderr}`));
      }, WAIT_MS);
      this.waiters.push(waiter);
    });
  }

  /** Sends a request and resolves with its response. */
  request(method: string, params?: Record<string, unknown>): Promise<Msg> {
    const id = this.nextId++;
    this.send(params === undefined ? { id, method } : { id, method, params });
    return this.next((m) => m.id === id && m.method === undefined, `response to ${method} #${id}`);
  }

  /** Sends a 2026-07-28 request, which needs no session. */
  modern(method: string, params: Record<string, unknown> = {}, version = MODERN): Promise<Msg> {
    const _meta = {
      'io.modelcontextprotocol/protocolVersion': version,
      'io.modelcontextprotocol/clientInfo': { name: 'notes-test', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    return this.request(method, { ...params, _meta });
  }

  /** Runs the legacy handshake and returns the initialize result. */
  async initialize(protocolVersion = '2025-11-25'): Promise<Record<string, unknown>> {
    const res = await this.request('initialize', {
      protocolVersion,
      capabilities: {},
      clientInfo: { name: 'notes-test', version: '1.0.0' },
    });
    this.send({ method: 'notifications/initialized' });
    return res.result!;
  }

  /** Calls a tool and returns its result. */
  async call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await this.request('tools/call', { name, arguments: args });
    expect(res.error).toBeUndefined();
    return res.result!;
  }

  /** Notifications received so far with the given method. */
  notifications(method: string): Msg[] {
    return this.seen.filter((m) => m.method === method && m.id === undefined);
  }
}

function textOf(result: Record<string, unknown>): string {
  const content = result.content as Array<{ type: string; text: string }>;
  expect(content[0]?.type).toBe('text');
  return content[0]!.text;
}

const peers: Peer[] = [];
const dirs: string[] = [];

async function start(): Promise<{ peer: Peer; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-notes-'));
  dirs.push(dir);
  const notesDir = join(dir, 'notes');
  const peer = new Peer(notesDir);
  peers.push(peer);
  return { peer, dir: notesDir };
}

beforeAll(() => {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing; run \`npx tsc -p tsconfig.json\` first`);
});

afterEach(async () => {
  for (const peer of peers.splice(0)) {
    if (peer.child.exitCode === null && peer.child.signalCode === null) {
      peer.child.kill();
      await peer.exited;
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('notes demo server: legacy session', () => {
  it('negotiates the protocol version in initialize and refuses work before it', async () => {
    const { peer } = await start();
    const early = await peer.request('tools/list');
    expect(early.error?.code).toBe(-32600);
    expect((await peer.request('ping')).result).toEqual({});

    const init = await peer.initialize('2025-06-18');
    expect(init.protocolVersion).toBe('2025-06-18');
    expect(init.serverInfo).toEqual({ name: 'warden-demo-notes', version: '0.1.0' });
    expect(init.capabilities).toEqual({
      tools: { listChanged: true },
      resources: { listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
    });
    expect(typeof init.instructions).toBe('string');

    const tools = await peer.request('tools/list');
    const list = tools.result!.tools as Array<Record<string, unknown>>;
    expect(list.map((t) => t.name)).toEqual([
      'list_notes',
      'read_note',
      'search_notes',
      'write_note',
      'delete_note',
    ]);
    const search = list.find((t) => t.name === 'search_notes')!;
    expect(search.outputSchema).toMatchObject({ type: 'object' });
    expect(search.annotations).toMatchObject({ readOnlyHint: true });
    expect(list.find((t) => t.name === 'delete_note')!.annotations).toMatchObject({ destructiveHint: true });
  });

  it('answers an unknown version with the newest one it supports', async () => {
    const { peer } = await start();
    expect((await peer.initialize('1999-01-01')).protocolVersion).toBe('2025-11-25');
  });

  it('writes, reads, searches and deletes a note, announcing list changes', async () => {
    const { peer, dir } = await start();
    await peer.initialize();

    const written = await peer.call('write_note', { name: 'groceries', content: 'Milk\nBread\nOat MILK' });
    expect(written.isError).toBeUndefined();
    await peer.next((m) => m.method === 'notifications/resources/list_changed', 'list_changed after write');
    expect(await readdir(dir)).toEqual(['groceries.txt']);

    expect(textOf(await peer.call('read_note', { name: 'groceries' }))).toBe('Milk\nBread\nOat MILK');
    const listed = await peer.call('list_notes', {});
    expect(listed.structuredContent).toMatchObject({ notes: [{ name: 'groceries', bytes: 19 }] });

    const found = await peer.call('search_notes', { query: 'milk' });
    expect(found.structuredContent).toEqual({
      query: 'milk',
      matches: [
        { name: 'groceries', line: 1, snippet: 'Milk' },
        { name: 'groceries', line: 3, snippet: 'Oat MILK' },
      ],
      truncated: false,
    });
    expect(JSON.parse(textOf(found))).toEqual(found.structuredContent);
    const none = await peer.call('search_notes', { query: 'cheese' });
    expect(none.structuredContent).toMatchObject({ matches: [] });

    expect(textOf(await peer.call('delete_note', { name: 'groceries' }))).toContain('Deleted');
    await peer.next((m) => m.method === 'notifications/resources/list_changed', 'list_changed after delete');
    const gone = await peer.call('read_note', { name: 'groceries' });
    expect(gone.isError).toBe(true);
    expect(textOf(gone)).toContain('No note named');
    expect((await peer.call('delete_note', { name: 'groceries' })).isError).toBe(true);
  });

  it('refuses path traversal and other bad names as tool errors', async () => {
    const { peer, dir } = await start();
    await peer.initialize();
    await writeFile(join(dir, '..', 'secret.txt'), 'top secret');
    await symlink(join(dir, '..', 'secret.txt'), join(dir, 'link.txt'));

    for (const name of [
      '../secret',
      '..',
      'a/b',
      'a\\b',
      '',
      'x'.repeat(65),
      'nul\0byte',
      'dot.txt',
      '%2e%2e',
    ]) {
      for (const [tool, args] of [
        ['read_note', { name }],
        ['write_note', { name, content: 'pwned' }],
        ['delete_note', { name }],
      ] as const) {
        const result = await peer.call(tool, args);
        expect(result.isError, `${tool} ${JSON.stringify(name)}`).toBe(true);
        expect(textOf(result)).toMatch(/Invalid note name/);
      }
    }
    // A symlink planted in the directory is not followed.
    const viaLink = await peer.call('read_note', { name: 'link' });
    expect(viaLink.isError).toBe(true);
    expect(textOf(viaLink)).not.toContain('top secret');
    expect((await peer.call('list_notes', {})).structuredContent).toEqual({ notes: [] });

    const tooBig = await peer.call('write_note', { name: 'big', content: 'x'.repeat(64 * 1024 + 1) });
    expect(tooBig.isError).toBe(true);
    expect(peer.notifications('notifications/resources/list_changed')).toHaveLength(0);
  });

  it('reports an unknown tool as a protocol error', async () => {
    const { peer } = await start();
    await peer.initialize();
    const res = await peer.request('tools/call', { name: 'format_disk', arguments: {} });
    expect(res.error?.code).toBe(-32602);
  });

  it('serves notes as resources, a prompt, completions and log levels', async () => {
    const { peer } = await start();
    await peer.initialize();
    await peer.call('write_note', { name: 'plan-a', content: 'Ship it.' });
    await peer.call('write_note', { name: 'plan-b', content: 'Ship it later.' });
    await peer.call('write_note', { name: 'diary', content: 'Dear diary' });

    const resources = (await peer.request('resources/list')).result!.resources as Array<
      Record<string, unknown>
    >;
    expect(resources.map((r) => r.uri)).toEqual(['note://diary', 'note://plan-a', 'note://plan-b']);
    expect(resources[0]).toMatchObject({ name: 'diary', mimeType: 'text/plain' });
    const read = await peer.request('resources/read', { uri: 'note://plan-a' });
    expect(read.result!.contents).toEqual([
      { uri: 'note://plan-a', mimeType: 'text/plain', text: 'Ship it.' },
    ]);
    expect((await peer.request('resources/read', { uri: 'note://missing' })).error?.code).toBe(-32002);
    expect((await peer.request('resources/read', { uri: 'note://../etc/passwd' })).error?.code).toBe(-32002);
    const templates = await peer.request('resources/templates/list');
    expect(templates.result!.resourceTemplates).toMatchObject([{ uriTemplate: 'note://{name}' }]);

    const prompts = await peer.request('prompts/list');
    expect(prompts.result!.prompts).toMatchObject([{ name: 'summarize_note' }]);
    const prompt = await peer.request('prompts/get', {
      name: 'summarize_note',
      arguments: { name: 'diary' },
    });
    expect(prompt.result!.messages).toMatchObject([{ role: 'user', content: { type: 'text' } }]);
    expect(JSON.stringify(prompt.result)).toContain('Dear diary');

    const completion = await peer.request('completion/complete', {
      ref: { type: 'ref/prompt', name: 'summarize_note' },
      argument: { name: 'name', value: 'PLAN' },
    });
    expect(completion.result!.completion).toEqual({ values: ['plan-a', 'plan-b'], total: 2, hasMore: false });

    expect((await peer.request('logging/setLevel', { level: 'info' })).result).toEqual({});
    expect((await peer.request('logging/setLevel', { level: 'loud' })).error?.code).toBe(-32602);
  });
});

describe('notes demo server: 2026-07-28 requests', () => {
  it('answers server/discover', async () => {
    const { peer } = await start();
    const res = await peer.modern('server/discover');
    expect(res.result).toMatchObject({
      resultType: 'complete',
      supportedVersions: SUPPORTED,
      serverInfo: { name: 'warden-demo-notes', version: '0.1.0' },
    });
    expect(res.result!.capabilities).toMatchObject({ tools: {}, resources: {}, prompts: {} });
    expect(typeof res.result!.instructions).toBe('string');
  });

  it('serves tools/call statelessly without initialize and without list_changed', async () => {
    const { peer } = await start();
    const written = await peer.modern('tools/call', {
      name: 'write_note',
      arguments: { name: 'm1', content: 'hello' },
    });
    expect(written.result).toMatchObject({ resultType: 'complete' });
    expect(written.result!.isError).toBeUndefined();

    const found = await peer.modern('tools/call', { name: 'search_notes', arguments: { query: 'HELLO' } });
    expect(found.result).toMatchObject({
      resultType: 'complete',
      structuredContent: { matches: [{ name: 'm1', line: 1, snippet: 'hello' }] },
    });
    const missing = await peer.modern('resources/read', { uri: 'note://nope' });
    expect(missing.error?.code).toBe(-32602);
    // Requests are answered in order, so any notification from the write would have arrived by now.
    await peer.modern('tools/list');
    expect(peer.notifications('notifications/resources/list_changed')).toHaveLength(0);
    expect((await peer.modern('ping')).error?.code).toBe(-32601);
  });

  it('refuses an unsupported version with -32022 and the supported list', async () => {
    const { peer } = await start();
    const res = await peer.modern('tools/list', {}, '2099-01-01');
    expect(res.error).toMatchObject({
      code: -32022,
      data: { supported: SUPPORTED, requested: '2099-01-01' },
    });
  });
});

describe('notes demo server: framing and lifecycle', () => {
  it('answers bad JSON with -32700 and keeps serving', async () => {
    const { peer } = await start();
    peer.raw('{"jsonrpc":"2.0","id":1,"method":\n');
    const err = await peer.next((m) => m.error !== undefined, 'parse error');
    expect(err).toMatchObject({ id: null, error: { code: -32700 } });
    expect((await peer.request('ping')).result).toEqual({});
  });

  it('refuses a line over 4 MiB with -32700 and keeps serving', async () => {
    const { peer } = await start();
    peer.raw(
      `{"jsonrpc":"2.0","id":"big","method":"ping","params":{"pad":"${'x'.repeat(4 * 1024 * 1024)}"}}\n`,
    );
    const err = await peer.next((m) => m.error !== undefined, 'oversize error');
    expect(err).toMatchObject({ id: null, error: { code: -32700 } });
    expect((await peer.request('ping')).result).toEqual({});
    expect(peer.seen.filter((m) => m.id === 'big')).toHaveLength(0);
  });

  it('drops the response to a cancelled request and ignores unknown ids', async () => {
    const { peer } = await start();
    await peer.initialize();
    // Both lines go out in one write, so the cancellation lands before the search can finish.
    peer.raw(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'slow',
        method: 'tools/call',
        params: { name: 'search_notes', arguments: { query: 'a' } },
      }) +
        '\n' +
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: 'slow', reason: 'test' },
        }) +
        '\n',
    );
    peer.send({ method: 'notifications/cancelled', params: { requestId: 'never-sent' } });
    expect((await peer.request('ping')).result).toEqual({});
    expect(peer.seen.filter((m) => m.id === 'slow')).toHaveLength(0);
  });

  it('exits cleanly when stdin closes', async () => {
    const { peer } = await start();
    await peer.initialize();
    peer.child.stdin.end();
    expect(await peer.exited).toBe(0);
  });
});
