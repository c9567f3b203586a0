/**
 * Sandboxed stdio servers through a real Warden: the demo notes server runs under the strict
 * profile (its own network namespace, writes only to its notes directory) and answers MCP; the
 * spawn log shows the exact prlimit/bwrap command line; a sandbox that cannot be set up stops
 * start-up unless it is optional, and then the fail-open is logged and audited.
 */
import diagnostics from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { AuditRecord } from '../../src/core/exchange.js';
import { WardenError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/log.js';
import { startWarden } from '../../src/server.js';
import type { RunningWarden } from '../../src/server.js';
import { findTools, probeSandbox } from '../../src/transport/sandbox.js';
import { NOTES_SERVER, openSession, rpc } from '../helpers/warden.js';

const probe = probeSandbox(findTools());
const why = probe.ok ? undefined : probe.reason;

interface Line {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line. */
function recordingLogger(lines: Line[]): Logger {
  const keep =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}): void => {
      lines.push({ level, msg, fields });
    };
  return { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

const running: RunningWarden[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.close()));
});

async function start(
  servers: ConfigInput['servers'],
  lines: Line[],
): Promise<{ w: RunningWarden; base: string; audit: () => AuditRecord[] }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-sandbox-it-'));
  const config = configSchema.parse({
    auth: { mode: 'none' },
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    servers,
  });
  const w = await startWarden(config, { log: recordingLogger(lines) });
  running.push(w);
  const audit = (): AuditRecord[] => {
    w.pipeline.flushAudit();
    const f = path.join(dataDir, config.audit.file);
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditRecord);
  };
  return { w, base: w.url.replace(/\/$/, ''), audit };
}

/** Every descendant pid of `pid` (from /proc/<pid>/task/<tid>/children). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number): void => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(' ').filter((s) => s.trim() !== '')) {
        out.push(Number(k));
        walk(Number(k));
      }
    }
  };
  walk(pid);
  return out;
}

const listNotes = {
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'list_notes', arguments: {} },
};

describe('sandboxed stdio servers through Warden', () => {
  it.skipIf(why !== undefined)(
    `[stdio:sandbox] [stdio:logged] the notes server works under the strict profile, in its own network namespace, and the spawn log shows the bwrap command${why === undefined ? '' : ` (skipped: ${why})`}`,
    async () => {
      const notesDir = mkdtempSync(path.join(tmpdir(), 'warden-sandbox-notes-'));
      const lines: Line[] = [];
      const pids: number[] = [];
      const onProcess = (m: unknown): void => {
        const e = m as { event: string; pid?: number };
        if (e.event === 'spawn' && e.pid !== undefined) pids.push(e.pid);
      };
      diagnostics.subscribe('warden:upstream:process', onProcess);
      try {
        const { base } = await start(
          {
            notes: {
              command: process.execPath,
              args: [NOTES_SERVER],
              // The server creates its notes directory at start: a write inside the writable path.
              env: { NOTES_DIR: path.join(notesDir, 'store') },
              sandbox: { writablePaths: [notesDir], limits: { memoryMB: 512, openFiles: 256 } },
            },
          },
          lines,
        );
        const sid = await openSession(base, '/mcp/notes');
        const res = await rpc(base, '/mcp/notes', sid, listNotes);
        expect(res.status).toBe(200);
        expect(res.json).toMatchObject({ id: 2, result: { structuredContent: { notes: [] } } });
        expect(readdirSync(notesDir)).toEqual(['store']);

        const spawn = lines.find((l) => l.msg === 'spawn' && l.fields.server === 'notes');
        expect(spawn?.fields.sandbox).toBe('strict');
        expect(spawn?.fields.command).toBe(findTools()?.prlimit);
        const args = spawn?.fields.args as string[];
        expect(args.slice(0, 5)).toEqual([
          '--data=536870912',
          '--nofile=256',
          '--',
          findTools()?.bwrap,
          '--unshare-all',
        ]);
        expect(args.join(' ')).toContain(`--bind ${notesDir} ${notesDir}`);
        expect(args.slice(-2)).toEqual([process.execPath, NOTES_SERVER]);

        // The server process itself (below prlimit→bwrap) is in another network namespace than Warden.
        const root = pids[0];
        expect(root).toBeDefined();
        const server = descendants(root ?? 0).find((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0] === process.execPath;
          } catch {
            return false;
          }
        });
        expect(server).toBeDefined();
        expect(readlinkSync(`/proc/${server}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
        expect(readlinkSync(`/proc/${server}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
      } finally {
        diagnostics.unsubscribe('warden:upstream:process', onProcess);
      }
    },
  );

  describe('bwrap not installed (PATH without it)', () => {
    const savedPath = process.env.PATH;
    afterEach(() => {
      process.env.PATH = savedPath;
    });
    const emptyPath = (): void => {
      process.env.PATH = mkdtempSync(path.join(tmpdir(), 'warden-empty-path-'));
    };

    it('sandbox required (default) → start-up fails with ERR_UPSTREAM_SANDBOX naming the server', async () => {
      emptyPath();
      const err = await start(
        { notes: { command: process.execPath, args: [NOTES_SERVER], sandbox: {} } },
        [],
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WardenError);
      expect((err as WardenError).code).toBe('ERR_UPSTREAM_SANDBOX');
      expect((err as WardenError).message).toContain('server notes');
    });

    it('sandbox optional → the server runs unsandboxed, warned in the log and audited as a fail-open', async () => {
      emptyPath();
      const notesDir = mkdtempSync(path.join(tmpdir(), 'warden-sandbox-notes-'));
      const lines: Line[] = [];
      const { base, audit } = await start(
        {
          notes: {
            command: process.execPath,
            args: [NOTES_SERVER],
            env: { NOTES_DIR: notesDir },
            sandbox: { optional: true },
          },
        },
        lines,
      );
      process.env.PATH = savedPath;
      const warn = lines.find((l) => l.level === 'warn' && l.fields.server === 'notes');
      expect(warn?.msg).toContain('UNSANDBOXED');
      expect(String(warn?.fields.reason)).toContain('not installed');
      const record = audit().find((r) => r.kind === 'startup');
      expect(record).toMatchObject({
        server: 'notes',
        outcome: 'error',
        code: 'ERR_UPSTREAM_SANDBOX',
        decisions: [{ stage: 'sandbox', decision: 'skip', rule: 'sandbox.optional' }],
      });
      const sid = await openSession(base, '/mcp/notes');
      expect((await rpc(base, '/mcp/notes', sid, listNotes)).json).toMatchObject({ id: 2, result: {} });
      const spawn = lines.find((l) => l.msg === 'spawn' && l.fields.server === 'notes');
      expect(spawn?.fields).toMatchObject({
        command: process.execPath,
        args: [NOTES_SERVER],
        sandbox: 'fail-open',
      });
    });
  });

  it('no sandbox key: the spawn is unchanged (command as configured, no sandbox field)', async () => {
    const notesDir = mkdtempSync(path.join(tmpdir(), 'warden-sandbox-notes-'));
    const lines: Line[] = [];
    const { base } = await start(
      { notes: { command: process.execPath, args: [NOTES_SERVER], env: { NOTES_DIR: notesDir } } },
      lines,
    );
    await openSession(base, '/mcp/notes');
    const spawn = lines.find((l) => l.msg === 'spawn' && l.fields.server === 'notes');
    expect(spawn?.fields).toEqual({ server: 'notes', command: process.execPath, args: [NOTES_SERVER] });
  });
});
