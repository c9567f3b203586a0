/**
 * Child processes of the benchmark and what /proc says about them: CPU time, resident memory,
 * children. Linux only.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** Clock ticks per second of /proc/<pid>/stat times. */
export const CLK_TCK = readClockTicks();

function readClockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** A process started by the benchmark, in its own process group. */
export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The port the process reported on stdout (`{"port":N}`), when asked to wait for it. */
  readonly port?: number;
  /** Where its stdout/stderr go. */
  readonly logFile: string;
}

/** How to start a process. */
export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Wait for a `{"port":N}` line on stdout. */
  readonly reportsPort?: boolean;
  /** Wait until this TCP port accepts connections. */
  readonly waitPort?: number;
  readonly timeoutMs?: number;
}

/** Process groups started and not yet stopped, for cleanup on exit. */
const live = new Set<number>();

/** Kills every process group started here and not yet stopped (synchronous, for exit handlers). */
export function killAllStarted(): void {
  for (const pid of live) killGroup(pid, 'SIGKILL');
  live.clear();
}

/** Starts a process (own process group, output to `logFile`) and waits until it is ready. */
export async function startProc(opts: StartOptions): Promise<Proc> {
  const log = openSync(opts.logFile, 'a');
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', opts.reportsPort === true ? 'pipe' : log, log],
  });
  closeSync(log);
  let spawnError: string | undefined;
  child.on('error', (err) => {
    spawnError = err.message;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${opts.name}: spawn failed (${opts.command})`);
  live.add(pid);
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let exited: string | undefined;
  if (spawnError !== undefined) exited = spawnError;
  child.once('exit', (code, signal) => {
    exited = `exited early (code ${String(code)}, signal ${String(signal)}); see ${opts.logFile}`;
  });
  try {
    let port: number | undefined;
    if (opts.reportsPort === true) port = await readPortLine(opts.name, child, timeoutMs, () => exited);
    if (opts.waitPort !== undefined) await waitForPort(opts.waitPort, timeoutMs, () => exited);
    return port === undefined
      ? { name: opts.name, child, pid, logFile: opts.logFile }
      : { name: opts.name, child, pid, port, logFile: opts.logFile };
  } catch (err) {
    await stopProc({ name: opts.name, child, pid, logFile: opts.logFile });
    throw new Error(`${opts.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function readPortLine(
  name: string,
  child: ChildProcess,
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<number> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error('no stdout');
  const lines = createInterface({ input: stdout });
  const timer = setTimeout(() => lines.close(), timeoutMs);
  try {
    for await (const line of lines) {
      const m = /^\{"port":(\d+)\}$/.exec(line.trim());
      if (m?.[1] !== undefined) return Number(m[1]);
    }
  } finally {
    clearTimeout(timer);
    // Keep draining stdout so the child never blocks on a full pipe.
    stdout.resume();
  }
  throw new Error(exited() ?? `${name} did not report its port within ${timeoutMs} ms`);
}

/** Resolves once a TCP connection to 127.0.0.1:`port` succeeds. */
export async function waitForPort(
  port: number,
  timeoutMs: number,
  exited: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = exited();
    if (why !== undefined) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not open after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when the leader exited. */
export async function stopProc(proc: Proc, graceMs = 3000): Promise<void> {
  const { child, pid } = proc;
  live.delete(pid);
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(pid, 'SIGKILL');
    return;
  }
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
  // Anything left in the group (e.g. a stdio child) goes too.
  killGroup(pid, 'SIGKILL');
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = addr !== null && typeof addr !== 'string' ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Promise-based sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The fields of /proc/<pid>/stat after the command name (index 0 is field 3, `state`). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU time of the process itself (not its children), in seconds. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (f === undefined) throw new Error(`process ${pid} is gone`);
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** CPU time of the process's waited-for (reaped) children, in seconds (cutime + cstime). */
export function reapedChildrenCpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (f === undefined) throw new Error(`process ${pid} is gone`);
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** A `Vm*` line of /proc/<pid>/status in bytes (`VmHWM` = peak RSS, `VmRSS` = current). */
export function memBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (m?.[1] === undefined) throw new Error(`no ${field} for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Live (non-zombie) processes whose parent is `pid`; zombies are counted separately. */
export function childrenOf(pid: number): { live: number[]; zombies: number[] } {
  const live: number[] = [];
  const zombies: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (f === undefined || Number(f[1]) !== pid) continue;
    (f[0] === 'Z' ? zombies : live).push(Number(entry));
  }
  return { live, zombies };
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i];
    if (p === undefined) break;
    const { live } = childrenOf(p);
    out.push(...live);
  }
  return out;
}
