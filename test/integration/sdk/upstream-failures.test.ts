/**
 * Upstream failures seen through the official 1.x SDK client: a stdio child that crashes mid-call,
 * and one that never answers. Warden must fail only the waiting request, with a coded JSON-RPC
 * error, and keep serving everything else.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NOTES_SERVER, startTestWarden } from '../../helpers/warden.js';
import type { TestWarden } from '../../helpers/warden.js';
import { alive, crashyServerScript, notesDir, textOf, waitFor } from './helpers.js';

interface Conn {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
}

const open: Conn[] = [];

async function connect(url: string): Promise<Conn> {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client(
    { name: 'warden-failure-test', version: '1.0.0' },
    { capabilities: { sampling: {} } },
  );
  await client.connect(transport);
  const c = { client, transport };
  open.push(c);
  return c;
}

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.client.close()));
});

/** The McpError a call rejected with. */
async function rejection(p: Promise<unknown>): Promise<McpError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McpError);
  return err as McpError;
}

async function pidOf(c: Conn): Promise<number> {
  return Number(textOf(await c.client.callTool({ name: 'pid', arguments: {} })));
}

describe('an upstream child that crashes mid-call', () => {
  let warden: TestWarden;
  let notes: ReturnType<typeof notesDir>;
  let script: string;
  const pids: number[] = [];

  beforeAll(async () => {
    notes = notesDir();
    script = crashyServerScript();
    warden = await startTestWarden({
      servers: {
        crashy: { command: process.execPath, args: [script] },
        'crashy-shared': { command: process.execPath, args: [script], share: 'shared' },
        notes: { command: process.execPath, args: [NOTES_SERVER], env: { NOTES_DIR: notes.dir } },
      },
    });
  });
  afterAll(async () => {
    await warden.close();
    notes.remove();
    // stdio:lifecycle: no child outlives Warden.
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('fails the waiting call with ERR_UPSTREAM_CRASHED; other sessions keep working; a new session gets a fresh child [stdio:lifecycle]', async () => {
    const a = await connect(`${warden.url}/mcp/crashy`);
    const b = await connect(`${warden.url}/mcp/notes`);
    const first = await pidOf(a);
    pids.push(first);
    expect(alive(first)).toBe(true);

    const err = await rejection(a.client.callTool({ name: 'crash', arguments: {} }));
    expect(err.data).toMatchObject({ code: 'ERR_UPSTREAM_CRASHED', server: 'crashy', exitCode: 3 });
    expect(err.message).toMatch(/crashy exited/);
    await waitFor(() => !alive(first), 2000, 'the crashed child to be gone');

    // A session on another server is untouched.
    expect(
      textOf(await b.client.callTool({ name: 'read_note', arguments: { name: 'groceries' } })),
    ).toContain('milk');

    // The crashed session is ended with its only upstream: the next call is 404, so the client
    // starts afresh instead of hitting a dead child.
    const again: unknown = await a.client.callTool({ name: 'echo', arguments: { text: 'x' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(again)).toContain('ERR_SESSION_UNKNOWN');

    // A new session gets its own fresh child.
    const c = await connect(`${warden.url}/mcp/crashy`);
    const fresh = await pidOf(c);
    pids.push(fresh);
    expect(fresh).not.toBe(first);
    expect(alive(fresh)).toBe(true);
    expect(textOf(await c.client.callTool({ name: 'echo', arguments: { text: 'fresh child' } }))).toBe(
      'fresh child',
    );

    // Ending that session reaps its child.
    await c.transport.terminateSession();
    await waitFor(() => !alive(fresh), 5000, 'the session child to be reaped');

    const audit = warden.audit().find((r) => r.tool === 'crash');
    expect(audit).toMatchObject({ outcome: 'error', code: 'ERR_UPSTREAM_CRASHED', server: 'crashy' });
  });

  // A shared child that dies is restarted for every session that was attached to it.
  it('a shared child that crashes is restarted for the sessions that were attached to it', async () => {
    const a = await connect(`${warden.url}/mcp/crashy-shared`);
    const b = await connect(`${warden.url}/mcp/crashy-shared`);
    const shared = await pidOf(a);
    pids.push(shared);
    expect(await pidOf(b)).toBe(shared);

    const err = await rejection(a.client.callTool({ name: 'crash', arguments: {} }));
    expect(err.data).toMatchObject({ code: 'ERR_UPSTREAM_CRASHED', server: 'crashy-shared' });

    // A new session gets a restarted shared child...
    const c = await connect(`${warden.url}/mcp/crashy-shared`);
    const restarted = await pidOf(c);
    pids.push(restarted);
    expect(restarted).not.toBe(shared);
    // ...and so should B, which did nothing wrong and was not waiting when the child died.
    expect(await pidOf(b)).toBe(restarted);
  });
});

describe('an upstream that never answers', () => {
  let warden: TestWarden;
  let notes: ReturnType<typeof notesDir>;

  beforeAll(async () => {
    notes = notesDir();
    warden = await startTestWarden({
      servers: {
        crashy: { command: process.execPath, args: [crashyServerScript()], timeouts: { requestMs: 500 } },
        notes: { command: process.execPath, args: [NOTES_SERVER], env: { NOTES_DIR: notes.dir } },
      },
    });
  });
  afterAll(async () => {
    await warden.close();
    notes.remove();
  });

  it('gets ERR_UPSTREAM_TIMEOUT after requestMs, the upstream is told to cancel, and Warden keeps serving', async () => {
    const a = await connect(`${warden.url}/mcp/crashy`);
    const b = await connect(`${warden.url}/mcp/notes`);
    const started = Date.now();
    const err = await rejection(a.client.callTool({ name: 'hang', arguments: {} }));
    const took = Date.now() - started;
    expect(err.data).toMatchObject({
      code: 'ERR_UPSTREAM_TIMEOUT',
      server: 'crashy',
      method: 'tools/call',
      timeoutMs: 500,
    });
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3000);

    // The same session and child keep working, and the child was sent notifications/cancelled.
    expect(textOf(await a.client.callTool({ name: 'echo', arguments: { text: 'after timeout' } }))).toBe(
      'after timeout',
    );
    const cancelled = JSON.parse(
      textOf(await a.client.callTool({ name: 'cancelled', arguments: {} })),
    ) as unknown[];
    expect(cancelled).toHaveLength(1);
    // Other servers are unaffected.
    expect(textOf(await b.client.callTool({ name: 'read_note', arguments: { name: 'ideas' } }))).toContain(
      'gateway',
    );

    const rec = warden.audit().find((r) => r.tool === 'hang');
    expect(rec).toMatchObject({ outcome: 'error', code: 'ERR_UPSTREAM_TIMEOUT', server: 'crashy' });
  });

  it('a call the client aborts reaches the upstream as notifications/cancelled and is audited as cancelled', async () => {
    const a = await connect(`${warden.url}/mcp/crashy`);
    const ac = new AbortController();
    const call = a.client.callTool({ name: 'hang', arguments: {} }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('client gives up')), 100);
    await expect(call).rejects.toThrow('client gives up');
    await waitFor(
      () => warden.audit().some((r) => r.tool === 'hang' && r.outcome === 'cancelled'),
      2000,
      'the cancelled audit record',
    );
    const cancelled = JSON.parse(
      textOf(await a.client.callTool({ name: 'cancelled', arguments: {} })),
    ) as unknown[];
    expect(cancelled).toHaveLength(1);
  });
});
