/**
 * Memory under session churn: Warden fronting the stdio bench server with `share: session` (one
 * child per session), driven through many initialize → DELETE cycles. Reports Warden's RSS before
 * and after, and the child processes it left behind.
 *
 * Run from `bench/run.ts`, or alone: `npm run build && node dist/bench/churn.js [cycles]`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { miniStdioScript, startWarden, upstreamScript, wardenYaml } from './lib/contenders.js';
import type { BenchEnv } from './lib/contenders.js';
import { closeSession, initialize } from './lib/mcp.js';
import {
  childrenOf,
  cpuSeconds,
  freePort,
  killAllStarted,
  memBytes,
  reapedChildrenCpuSeconds,
  sleep,
  stopProc,
} from './lib/proc.js';

/** Which stdio server the churn step puts behind Warden. */
export type ChurnServer = 'sh' | 'node';

/** The churn server named by BENCH_CHURN_SERVER (default `sh`). */
export function churnServerFromEnv(): ChurnServer {
  const v = process.env.BENCH_CHURN_SERVER ?? 'sh';
  if (v !== 'sh' && v !== 'node') throw new Error(`BENCH_CHURN_SERVER must be sh or node, got ${v}`);
  return v;
}

/** The Warden `servers.bench` entry (YAML flow mapping) for a churn server, one child per session. */
export function churnServerEntry(env: BenchEnv, server: ChurnServer): string {
  const [command, script] =
    server === 'sh' ? ['/bin/sh', miniStdioScript(env)] : [env.node, upstreamScript(env)];
  const args = server === 'sh' ? [script] : [script, '--stdio'];
  return `{ command: ${JSON.stringify(command)}, args: ${JSON.stringify(args)}, share: session }`;
}

/** Parameters of the churn step. */
export interface ChurnOptions {
  readonly env: BenchEnv;
  readonly cycles: number;
  /** Cycles in flight at once. */
  readonly concurrency: number;
  /** Cycles run before the "before" reading, so it is taken on a warm process. */
  readonly warmupCycles: number;
  /** The child Warden spawns per session: the minimal sh server or the SDK (node) bench server. */
  readonly server: ChurnServer;
  readonly log: (msg: string) => void;
}

/** What the churn step measured. */
export interface ChurnResult {
  readonly server: ChurnServer;
  readonly cycles: number;
  readonly failures: number;
  readonly firstFailure?: string;
  readonly seconds: number;
  readonly cyclesPerSec: number;
  /** Warden RSS right after start, after the warm-up ("before") and after the cycles, in bytes. */
  readonly rssStart: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly peakRss: number;
  /** Most live children seen at once while cycling (sampled). */
  readonly maxChildrenSeen: number;
  /** Live children of Warden once the cycles ended and it had time to reap. */
  readonly childrenLeft: number;
  readonly zombiesLeft: number;
  /** CPU per cycle, in milliseconds: Warden itself, its (reaped) children, and this load client. */
  readonly wardenCpuMsPerCycle: number;
  readonly childCpuMsPerCycle: number;
  readonly clientCpuMsPerCycle: number;
}

async function oneCycle(url: string): Promise<void> {
  const session = await initialize(url, false);
  if (session.sessionId === undefined) throw new Error('initialize returned no Mcp-Session-Id');
  const status = await closeSession(session);
  if (status < 200 || status > 299) throw new Error(`DELETE: HTTP ${status}`);
}

async function cycles(
  url: string,
  n: number,
  concurrency: number,
  onFailure: (why: string) => void,
  progress?: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      try {
        await oneCycle(url);
      } catch (err) {
        onFailure(err instanceof Error ? err.message : String(err));
      }
      done++;
      progress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
}

async function waitForNoChildren(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (childrenOf(pid).live.length > 0 && Date.now() < deadline) await sleep(100);
}

/** Runs the churn step against a fresh Warden and stops it again. */
export async function runChurn(opts: ChurnOptions): Promise<ChurnResult> {
  const { env, log } = opts;
  const dir = join(env.tmpDir, 'churn');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const warden = await startWarden(
    env,
    dir,
    wardenYaml(port, join(dir, 'data'), churnServerEntry(env, opts.server)),
    port,
  );
  const url = `http://127.0.0.1:${port}/mcp/bench`;
  let failures = 0;
  let firstFailure: string | undefined;
  const onFailure = (why: string): void => {
    failures++;
    firstFailure ??= why;
  };
  try {
    const rssStart = memBytes(warden.pid, 'VmRSS');
    await cycles(url, opts.warmupCycles, opts.concurrency, onFailure);
    await waitForNoChildren(warden.pid, 10_000);
    await sleep(500);
    const rssBefore = memBytes(warden.pid, 'VmRSS');
    let maxChildrenSeen = 0;
    const sampler = setInterval(() => {
      maxChildrenSeen = Math.max(maxChildrenSeen, childrenOf(warden.pid).live.length);
    }, 200);
    const step = Math.max(1, Math.round(opts.cycles / 10));
    const t0 = performance.now();
    const cpu0 = {
      warden: cpuSeconds(warden.pid),
      children: reapedChildrenCpuSeconds(warden.pid),
      client: process.cpuUsage(),
    };
    await cycles(url, opts.cycles, opts.concurrency, onFailure, (done) => {
      if (done % step === 0) {
        const rss = (memBytes(warden.pid, 'VmRSS') / 2 ** 20).toFixed(1);
        log(
          `  churn ${done}/${opts.cycles}  ${((done * 1000) / (performance.now() - t0)).toFixed(0)} cycles/s  RSS ${rss} MB  failures ${failures}`,
        );
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const client = process.cpuUsage(cpu0.client);
    const perCycle = (sec: number): number => (sec * 1000) / Math.max(1, opts.cycles);
    const cpu = {
      wardenCpuMsPerCycle: perCycle(cpuSeconds(warden.pid) - cpu0.warden),
      childCpuMsPerCycle: perCycle(reapedChildrenCpuSeconds(warden.pid) - cpu0.children),
      clientCpuMsPerCycle: perCycle((client.user + client.system) / 1e6),
    };
    await waitForNoChildren(warden.pid, 15_000);
    await sleep(1000);
    const left = childrenOf(warden.pid);
    const base = {
      server: opts.server,
      cycles: opts.cycles,
      failures,
      seconds,
      cyclesPerSec: opts.cycles / seconds,
      rssStart,
      rssBefore,
      rssAfter: memBytes(warden.pid, 'VmRSS'),
      peakRss: memBytes(warden.pid, 'VmHWM'),
      maxChildrenSeen,
      childrenLeft: left.live.length,
      zombiesLeft: left.zombies.length,
      ...cpu,
    };
    return firstFailure === undefined ? base : { ...base, firstFailure };
  } finally {
    await stopProc(warden);
  }
}

/** Human-readable lines for a churn result. */
export function formatChurn(r: ChurnResult): string[] {
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
  const delta = r.rssAfter - r.rssBefore;
  return [
    `child per session: ${r.server === 'sh' ? 'minimal sh server (bench/servers/mini-stdio.sh)' : 'SDK bench server (node)'}`,
    `cycles: ${r.cycles} initialize/DELETE in ${r.seconds.toFixed(1)} s (${r.cyclesPerSec.toFixed(0)}/s), failures: ${r.failures}${r.firstFailure !== undefined ? ` (first: ${r.firstFailure})` : ''}`,
    `Warden RSS: start ${mb(r.rssStart)}, before ${mb(r.rssBefore)}, after ${mb(r.rssAfter)}, growth ${mb(delta)} (target ≤ 30 MB: ${delta <= 30 * 2 ** 20 ? 'PASS' : 'FAIL'}), peak ${mb(r.peakRss)}`,
    `CPU per cycle: Warden ${r.wardenCpuMsPerCycle.toFixed(2)} ms, its children ${r.childCpuMsPerCycle.toFixed(2)} ms, load client ${r.clientCpuMsPerCycle.toFixed(2)} ms`,
    `children: at most ${r.maxChildrenSeen} live at once; left behind: ${r.childrenLeft} live, ${r.zombiesLeft} zombie (target 0: ${r.childrenLeft + r.zombiesLeft === 0 ? 'PASS' : 'FAIL'})`,
  ];
}

async function main(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const tmpDir = mkdtempSync(join(tmpdir(), 'warden-churn-'));
  const n = Number(process.argv[2] ?? (process.env.BENCH_QUICK === '1' ? '500' : '20000'));
  try {
    const result = await runChurn({
      env: { root, tmpDir, node: process.execPath },
      cycles: n,
      concurrency: Number(process.env.BENCH_CHURN_CONCURRENCY ?? '4'),
      warmupCycles: Math.min(200, Math.ceil(n / 10)),
      server: churnServerFromEnv(),
      log: (m) => process.stderr.write(m + '\n'),
    });
    for (const line of formatChurn(result)) process.stdout.write(line + '\n');
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.on('exit', killAllStarted);
  main().catch((err: unknown) => {
    process.stderr.write(`churn: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
