/**
 * Local stdio upstreams: spawned with an argument vector (never a shell) and only the allowed
 * environment, logged with the exact command, one child per session (or one shared), and reaped
 * with the session so no process is left behind.
 */
import path from 'node:path';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/log.js';
import { startWarden } from '../../src/server.js';
import type { RunningWarden } from '../../src/server.js';
import { ROOT, openSession, rpc, alive } from '../helpers/warden.js';

const SCRIPTED = path.join(ROOT, 'dist/test/fixtures/servers/scripted-server.js');

let running: RunningWarden | undefined;
const lines: string[] = [];

afterEach(async () => {
  await running?.close();
  running = undefined;
  lines.length = 0;
});

async function start(server: Record<string, unknown>): Promise<RunningWarden> {
  const cfg = configSchema.parse({
    listen: { port: 0 },
    auth: { mode: 'none' },
    dataDir: mkdtempSync(path.join(tmpdir(), 'warden-stdio-')),
    servers: { s: server },
  });
  running = await startWarden(cfg, { log: createLogger('info', (l) => lines.push(l)) });
  return running;
}

async function envOf(
  base: string,
  sid: string,
): Promise<{ env: Record<string, string>; argv: string[]; pid: number }> {
  const r = await rpc(base, '/mcp/s', sid, {
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name: 'env', arguments: {} },
  });
  const text = (r.json as { result: { content: { text: string }[] } }).result.content[0]?.text ?? '{}';
  return JSON.parse(text) as { env: Record<string, string>; argv: string[]; pid: number };
}

describe('stdio upstreams', () => {
  it('[stdio:no-shell] passes shell metacharacters as literal arguments and gives the child only the allowlisted environment', async () => {
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'warden-shell-')), 'pwned');
    process.env.WARDEN_TEST_SECRET = 'do-not-leak';
    process.env.WARDEN_TEST_ALLOWED = 'visible';
    try {
      const w = await start({
        command: process.execPath,
        args: [SCRIPTED, `; touch ${marker}`, `$(touch ${marker})`, `| touch ${marker}`],
        inheritEnv: ['PATH', 'WARDEN_TEST_ALLOWED'],
        env: { LITERAL: 'plain', FROM_REF: 'env:WARDEN_TEST_ALLOWED' },
      });
      const sid = await openSession(w.url, '/mcp/s');
      const { env, argv } = await envOf(w.url, sid);
      expect(argv).toEqual([`; touch ${marker}`, `$(touch ${marker})`, `| touch ${marker}`]);
      expect(existsSync(marker)).toBe(false);
      expect(env.WARDEN_TEST_SECRET).toBeUndefined();
      expect(env.WARDEN_TEST_ALLOWED).toBe('visible');
      expect(env.LITERAL).toBe('plain');
      expect(env.FROM_REF).toBe('visible');
      expect(
        Object.keys(env).filter(
          (k) =>
            !['PATH', 'WARDEN_TEST_ALLOWED', 'LITERAL', 'FROM_REF'].includes(k) && !k.startsWith('NODE_'),
        ),
      ).toEqual([]);
    } finally {
      delete process.env.WARDEN_TEST_SECRET;
      delete process.env.WARDEN_TEST_ALLOWED;
    }
  });

  it('[stdio:logged] logs every spawn with the exact command and arguments', async () => {
    const w = await start({ command: process.execPath, args: [SCRIPTED, 'arg with space'] });
    await openSession(w.url, '/mcp/s');
    const spawn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'spawn');
    expect(spawn).toMatchObject({
      server: 's',
      command: process.execPath,
      args: [SCRIPTED, 'arg with space'],
    });
  });

  it('[stdio:lifecycle] [session:delete] one child per session, killed when the session is deleted; none left at shutdown', async () => {
    const w = await start({ command: process.execPath, args: [SCRIPTED] });
    const a = await openSession(w.url, '/mcp/s');
    const b = await openSession(w.url, '/mcp/s');
    const pa = (await envOf(w.url, a)).pid;
    const pb = (await envOf(w.url, b)).pid;
    expect(pa).not.toBe(pb);
    await fetch(`${w.url}/mcp/s`, { method: 'DELETE', headers: { 'mcp-session-id': a } });
    for (let i = 0; i < 50 && alive(pa); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pa)).toBe(false);
    expect(alive(pb)).toBe(true);
    await w.close();
    running = undefined;
    for (let i = 0; i < 50 && alive(pb); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pb)).toBe(false);
  });

  it('[session:lifecycle] an idle session is reaped with its child', async () => {
    const cfg = configSchema.parse({
      listen: { port: 0 },
      auth: { mode: 'none' },
      dataDir: mkdtempSync(path.join(tmpdir(), 'warden-idle-')),
      sessions: { idleTimeoutMs: 1000, reapIntervalMs: 200 },
      servers: { s: { command: process.execPath, args: [SCRIPTED] } },
    });
    running = await startWarden(cfg, { log: createLogger('error', () => undefined) });
    const w = running;
    const sid = await openSession(w.url, '/mcp/s');
    const pid = (await envOf(w.url, sid)).pid;
    for (let i = 0; i < 60 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
    expect(w.pipeline.sessionCount).toBe(0);
    const r = await rpc(w.url, '/mcp/s', sid, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(r.status).toBe(404);
  });

  it('share: shared serves every session from one child', async () => {
    const w = await start({ command: process.execPath, args: [SCRIPTED], share: 'shared' });
    const a = await openSession(w.url, '/mcp/s');
    const b = await openSession(w.url, '/mcp/s');
    expect((await envOf(w.url, a)).pid).toBe((await envOf(w.url, b)).pid);
    await fetch(`${w.url}/mcp/s`, { method: 'DELETE', headers: { 'mcp-session-id': a } });
    const after = await rpc(w.url, '/mcp/s', b, {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'still here' } },
    });
    expect((after.json as { result: { content: { text: string }[] } }).result.content[0]?.text).toBe(
      'still here',
    );
  });
});
