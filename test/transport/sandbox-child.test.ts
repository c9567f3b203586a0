/**
 * A real child under the strict sandbox (bubblewrap + prlimit on this machine): it cannot reach a
 * listener of the host, cannot write outside its writable paths or read the host's files, can
 * write inside them, and runs with the configured resource limits. The same probe run unsandboxed
 * does all of it, so each refusal is the sandbox's doing.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTools, planSandbox, probeSandbox, sandboxEnv } from '../../src/transport/sandbox.js';
import { WardenError } from '../../src/core/errors.js';
import { ROOT } from '../helpers/warden.js';
import { STRICT } from '../fixtures/sandbox/profiles.js';

const PROBE = path.join(ROOT, 'dist/test/fixtures/sandbox/escape-probe.js');
const tools = findTools();
const probe = probeSandbox(tools);
// Only when bwrap is missing or the kernel refuses user namespaces (the probe says which).
const why = probe.ok ? undefined : probe.reason;

interface Report {
  connect?: string;
  writeOutside?: string;
  writeInside?: string;
  read?: string;
  alloc?: string;
  limits: string;
  env: string[];
}

/** Runs argv with env; resolves with the probe's report line. */
function run(argv: readonly string[], env: Record<string, string>): Promise<Report> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error('empty argv');
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) reject(new Error(`no report (exit ${code}): ${err}`));
      else resolve(JSON.parse(line) as Report);
    });
  });
}

const base = STRICT;

let listener: Server;
let port = 0;
let accepted = 0;
const work = mkdtempSync(path.join(tmpdir(), 'warden-sandbox-'));
const writable = path.join(work, 'writable');
const outside = path.join(work, 'outside.txt');
const secret = path.join(work, 'secret.txt');

beforeAll(async () => {
  mkdirSync(writable);
  writeFileSync(secret, 'host secret\n');
  listener = createServer((s) => {
    accepted += 1;
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const a = listener.address();
  port = typeof a === 'object' && a !== null ? a.port : 0;
});
afterAll(() => new Promise<void>((r) => listener.close(() => r())));

function probeEnv(name: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PROBE_PORT: String(port),
    PROBE_OUTSIDE: outside,
    PROBE_INSIDE: path.join(writable, `${name}.txt`),
    PROBE_READ: secret,
  };
}

describe('strict sandbox, real child', () => {
  it('unsandboxed control: the same probe connects, writes anywhere and reads the host file', async () => {
    const before = accepted;
    const r = await run([process.execPath, PROBE], probeEnv('control'));
    expect(r).toMatchObject({ connect: 'ok', writeOutside: 'ok', writeInside: 'ok', read: 'ok' });
    expect(existsSync(outside)).toBe(true);
    expect(accepted).toBe(before + 1);
  });

  it.skipIf(why !== undefined)(
    `[stdio:sandbox] network refused, writes outside refused, host file invisible, write inside works${why === undefined ? '' : ` (skipped: ${why})`}`,
    async () => {
      const plan = planSandbox(
        'probe',
        { ...base, writablePaths: [writable] },
        { command: process.execPath, args: [PROBE], cwd: undefined, pathEnv: process.env.PATH },
        tools,
      );
      expect(plan.mode).toBe('strict');
      if (plan.mode !== 'strict') return;
      const before = accepted;
      // The probe's own directory is visible (read-only); nothing may be written beside it.
      const outsideFile = path.join(path.dirname(PROBE), 'escape-attempt.txt');
      const env = { ...probeEnv('strict'), PROBE_OUTSIDE: outsideFile, TMPDIR: work };
      const r = await run(plan.argv, sandboxEnv(plan, env));
      // A private network namespace: 127.0.0.1 is the sandbox's own loopback, nobody listens there.
      expect(r.connect).toBe('ECONNREFUSED');
      expect(accepted).toBe(before);
      expect(r.writeOutside).toBe('EROFS');
      expect(existsSync(outsideFile)).toBe(false);
      expect(r.read).toBe('ENOENT');
      expect(r.writeInside).toBe('ok');
      expect(existsSync(path.join(writable, 'strict.txt'))).toBe(true);
      // Only the given environment arrives (bwrap adds PWD for --chdir); TMPDIR names the private /tmp.
      expect(r.env).toEqual([...Object.keys(env), 'PWD'].sort());
      expect(sandboxEnv(plan, env).TMPDIR).toBe('/tmp');
    },
  );

  it.skipIf(why !== undefined)('[stdio:sandbox] a read-only path cannot be written (EROFS)', async () => {
    const plan = planSandbox(
      'probe',
      { ...base, readablePaths: [work] },
      { command: process.execPath, args: [PROBE], cwd: undefined, pathEnv: process.env.PATH },
      tools,
    );
    if (plan.mode !== 'strict') throw new Error('expected a strict plan');
    const target = path.join(work, 'ro-attempt.txt');
    const r = await run(plan.argv, { ...probeEnv('ro'), PROBE_OUTSIDE: target, PROBE_INSIDE: '' });
    expect(r.read).toBe('ok');
    expect(r.writeOutside).toBe('EROFS');
    expect(existsSync(target)).toBe(false);
  });

  it.skipIf(why !== undefined)(
    '[stdio:sandbox] limits are applied inside (/proc/self/limits) and the memory limit refuses a larger allocation',
    async () => {
      const plan = planSandbox(
        'probe',
        { ...base, limits: { cpuSeconds: 20, memoryMB: 192, processes: 64, openFiles: 96 } },
        { command: process.execPath, args: [PROBE], cwd: undefined, pathEnv: process.env.PATH },
        tools,
      );
      if (plan.mode !== 'strict') throw new Error('expected a strict plan');
      const r = await run(plan.argv, { PATH: '/usr/bin:/bin', PROBE_ALLOC_MB: '512' });
      expect(r.limits).toMatch(/Max cpu time\s+20\s+20\s+seconds/);
      expect(r.limits).toMatch(
        new RegExp(`Max data size\\s+${192 * 1024 * 1024}\\s+${192 * 1024 * 1024}\\s+bytes`),
      );
      expect(r.limits).toMatch(/Max processes\s+64\s+64\s+processes/);
      expect(r.limits).toMatch(/Max open files\s+96\s+96\s+files/);
      expect(r.alloc).not.toBe('ok');
      expect(r.alloc).toMatch(/allocation failed/i);
    },
  );

  it('bwrap missing and not optional → ERR_UPSTREAM_SANDBOX naming the server; optional → fail-open plan', () => {
    const launch = { command: process.execPath, args: [PROBE], cwd: undefined, pathEnv: process.env.PATH };
    let caught: unknown;
    try {
      planSandbox('notes', base, launch, undefined);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WardenError);
    expect((caught as WardenError).code).toBe('ERR_UPSTREAM_SANDBOX');
    expect((caught as WardenError).message).toContain('server notes');
    expect(planSandbox('notes', { ...base, optional: true }, launch, undefined)).toEqual({
      mode: 'fail-open',
      reason: 'bwrap or prlimit is not installed (not found on PATH)',
    });
  });

  it.skipIf(why !== undefined)(
    'a sandbox path that does not exist stops start-up with ERR_UPSTREAM_SANDBOX',
    () => {
      expect(() =>
        planSandbox(
          'notes',
          { ...base, writablePaths: [path.join(work, 'missing')] },
          { command: process.execPath, args: [], cwd: undefined, pathEnv: process.env.PATH },
          tools,
        ),
      ).toThrow(/sandbox path .* does not exist/);
    },
  );
});
