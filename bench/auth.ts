/**
 * What authentication costs Warden per request (Warden issue 3): the same `tools/call` echo load
 * against fresh Warden processes with auth off, with auth on and one token seen before (a cache
 * hit), and with auth on and a token never seen before on every request (a JWT verification per
 * request, per algorithm). Several rounds with the order rotated; medians of per-round
 * differences. Tokens come from a tiny issuer in this process and are all minted before the cells
 * run. Prints a table against the targets and writes bench/results/auth.json.
 *
 * Run from `bench/run.ts` (skip with BENCH_SKIP_AUTH=1), or alone:
 * `npm run build && node dist/bench/auth.js`. Environment: BENCH_QUICK, BENCH_AUTH_ROUNDS,
 * BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_AUTH_ALGS (comma list of ES256, RS256).
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import {
  closingLines,
  loadSettings,
  runStandalone,
  stepCommand,
  stepMachine,
  writeStepResult,
} from './lib/step.js';
import type { StepMachine } from './lib/step.js';
import { join } from 'node:path';
import { startWarden, wardenYaml } from './lib/contenders.js';
import type { BenchEnv } from './lib/contenders.js';
import { authRows, authVerdicts, formatAuth } from './lib/auth-report.js';
import { formatInProcess, measureInProcess } from './lib/auth-inprocess.js';
import type { InProcessResult } from './lib/auth-inprocess.js';
import type { AuthCell, AuthCellId, AuthRow, AuthVerdict } from './lib/auth-report.js';
import { BENCH_ALGS, mintMany, startIssuer } from './lib/issuer.js';
import type { BenchAlg, BenchIssuer } from './lib/issuer.js';
import { envList, envLoad, envNumber } from './lib/env.js';
import { callOnce, initialize, mcpHeaders } from './lib/mcp.js';
import { freePort, memBytes, stopProc } from './lib/proc.js';
import type { Proc } from './lib/proc.js';
import { measureRounds } from './lib/on-off.js';
import { measureLoad, rawUpstreamServer, startRawUpstream } from './lib/warden-cell.js';

/** Settings of the authentication step. */
export interface AuthSettings {
  readonly quick: boolean;
  /** Rounds (default 5, quick 2). */
  readonly rounds: number;
  /** Measured seconds per cell (default 5, quick 2). */
  readonly durationSec: number;
  /** Warm-up seconds per cell, thrown away (default 1). */
  readonly warmupSec: number;
  /** Concurrent keep-alive connections (default 10). */
  readonly connections: number;
  /** Algorithms of the first-sight cells (default ES256 and RS256). */
  readonly algs: readonly BenchAlg[];
}

/** What the authentication step measured. */
export interface AuthBenchResult {
  readonly generatedAt: string;
  readonly command: string;
  readonly settings: AuthSettings;
  readonly machine: StepMachine;
  readonly rows: readonly AuthRow[];
  readonly verdicts: readonly AuthVerdict[];
  /** The stage alone, measured in the bench process (resolves what the end-to-end cells cannot). */
  readonly inProcess: InProcessResult;
  readonly cells: readonly AuthCell[];
  readonly failures: readonly {
    readonly round: number;
    readonly cell: AuthCellId;
    readonly failure: string;
  }[];
  /** JWKS requests the issuer served, and Warden processes started with auth on (one fetch each expected). */
  readonly jwksRequests: number;
  readonly authProcesses: number;
  readonly seconds: number;
}

/** The step's settings from the environment (same variable names as `bench/run.ts`). */
export function authSettingsFromEnv(): AuthSettings {
  const quick = process.env.BENCH_QUICK === '1';
  const algs = envList('BENCH_AUTH_ALGS', BENCH_ALGS);
  return {
    quick,
    rounds: Math.max(1, Math.round(envNumber('BENCH_AUTH_ROUNDS', quick ? 2 : 5))),
    ...envLoad(quick),
    algs,
  };
}

/** Tokens minted before the cells; a first-sight cell walks them from the start (its Warden is fresh). */
class TokenPool {
  tokens: string[] = [];
  constructor(
    readonly alg: BenchAlg,
    private readonly issuer: BenchIssuer,
    private readonly audience: string,
  ) {}

  async grow(to: number): Promise<void> {
    if (this.tokens.length >= to) return;
    const more = await mintMany(
      this.issuer,
      this.alg,
      this.audience,
      `p${this.tokens.length}`,
      to - this.tokens.length,
    );
    this.tokens.push(...more);
  }

  /** A cursor from the first token; wraps (and counts it) when the pool runs out. */
  cursor(): { next: () => string; used: () => number; wraps: () => number } {
    let i = 0;
    const tokens = this.tokens;
    return {
      next: () => `Bearer ${tokens[i++ % tokens.length] ?? ''}`,
      used: () => i,
      wraps: () => Math.floor(Math.max(0, i - 1) / tokens.length),
    };
  }
}

/** Options of one authentication step. */
export interface AuthBenchOptions extends AuthSettings {
  readonly env: BenchEnv;
  readonly log: (msg: string) => void;
}

interface CellContext {
  readonly env: BenchEnv;
  readonly port: number;
  readonly issuer: BenchIssuer;
  readonly sessionToken: string;
  readonly pools: ReadonlyMap<BenchAlg, TokenPool>;
  readonly settings: AuthSettings;
  readonly log: (msg: string) => void;
}

function authYaml(cell: AuthCellId, issuer: BenchIssuer): string {
  if (cell === 'off') return '{ mode: none }';
  // auth.cacheEntries stays at its default (10,000): the first-sight cells pay a cache insert
  // (and, once full, an eviction) per request, as a real deployment would.
  return `{ mode: jwt, issuer: ${JSON.stringify(issuer.issuer)}, jwksUri: ${JSON.stringify(issuer.jwksUri)} }`;
}

/** Auth on must mean auth enforced: a request without a token has to get 401. */
async function checkRefusesAnonymous(url: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: mcpHeaders(),
    body: JSON.stringify({ jsonrpc: '2.0', id: 'anon', method: 'tools/list' }),
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  if (res.status !== 401) throw new Error(`auth on, but a request without a token got HTTP ${res.status}`);
}

async function measureCell(cell: AuthCellId, round: number, ctx: CellContext): Promise<AuthCell> {
  const dir = join(ctx.env.tmpDir, `auth-${round + 1}-${cell}`);
  mkdirSync(dir, { recursive: true });
  const upstream = await startRawUpstream(ctx.env, dir);
  let warden: Proc | undefined;
  try {
    const yaml = wardenYaml(
      ctx.port,
      join(dir, 'data'),
      rawUpstreamServer(upstream),
      authYaml(cell, ctx.issuer),
    );
    warden = await startWarden(ctx.env, dir, yaml, ctx.port);
    const url = `http://127.0.0.1:${ctx.port}/mcp/bench`;
    if (cell !== 'off') await checkRefusesAnonymous(url);
    const session = await initialize(
      url,
      true,
      cell === 'off' ? {} : { authorization: `Bearer ${ctx.sessionToken}` },
    );
    for (let i = 0; i < 3; i++) await callOnce(session, 'echo', `check-${i}`);
    const pool = cell.startsWith('first-')
      ? ctx.pools.get(cell.slice('first-'.length) as BenchAlg)
      : undefined;
    const cursor = pool?.cursor();
    const load = {
      session,
      workload: 'echo' as const,
      connections: ctx.settings.connections,
      ...(cursor !== undefined ? { authorization: cursor.next } : {}),
    };
    const { r, errors, cpuUsPerReq } = await measureLoad(warden.pid, load, ctx.settings);
    const result: AuthCell = {
      round,
      cell,
      rps: r.rps,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      responses: r.responses,
      errors,
      ...(r.firstProblem !== undefined ? { firstProblem: r.firstProblem } : {}),
      cpuUsPerReq,
      peakRssMB: memBytes(warden.pid, 'VmHWM') / 2 ** 20,
      ...(cursor !== undefined ? { tokensUsed: cursor.used(), poolWraps: cursor.wraps() } : {}),
    };
    ctx.log(
      `  round ${round + 1} ${cell.padEnd(11)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  cpu ${result.cpuUsPerReq.toFixed(0)} µs/req` +
        (cursor !== undefined ? `  tokens ${cursor.used()} (pool ${pool?.tokens.length ?? 0})` : '') +
        (errors > 0 ? `  ERRORS ${errors} (${r.firstProblem ?? '?'})` : ''),
    );
    return result;
  } finally {
    if (warden !== undefined) await stopProc(warden);
    await stopProc(upstream);
  }
}

/** Runs the authentication step: every cell in every round, fresh processes per cell. */
export async function runAuthBench(opts: AuthBenchOptions): Promise<AuthBenchResult> {
  const t0 = performance.now();
  const loadAvgAtStart = loadavg()[0] ?? 0;
  const { env, log } = opts;
  // One port for every Warden of the run: the tokens' audience names it, so they can be minted once.
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}/mcp/bench`;
  const issuer = await startIssuer(['ES256', ...opts.algs.filter((a) => a !== 'ES256')]);
  try {
    const sessionToken = await issuer.mint('ES256', audience, 'session');
    const pools = new Map(opts.algs.map((alg) => [alg, new TokenPool(alg, issuer, audience)] as const));
    // More than the cache holds (10,000), so even a wrapped pool never hits the cache; grown later
    // when a cell used more than a fraction of it.
    const initial = Math.max(12_000, 4000 * (opts.durationSec + opts.warmupSec));
    for (const pool of pools.values()) {
      const tm = performance.now();
      await pool.grow(initial);
      log(
        `auth: minted ${pool.tokens.length} ${pool.alg} tokens in ${((performance.now() - tm) / 1000).toFixed(1)} s`,
      );
    }
    log('auth: in-process measurement of the stage');
    const inProcess = await measureInProcess(issuer, opts.algs, `http://127.0.0.1:${port}`, {
      calls: opts.quick ? 1000 : 3000,
      repetitions: opts.quick ? 3 : 5,
    });
    const ids: AuthCellId[] = ['off', 'seen', ...opts.algs.map((a) => `first-${a}` as const)];
    const ctx: CellContext = { env, port, issuer, sessionToken, pools, settings: opts, log };
    log(
      `auth: ${opts.rounds} rounds × ${ids.length} cells (echo), ${opts.durationSec} s per cell (+${opts.warmupSec} s warm-up), ${opts.connections} connections`,
    );
    const { cells, failures } = await measureRounds(ids, opts.rounds, (id, r) => measureCell(id, r, ctx), {
      label: 'auth',
      log,
      after: async (c, id) => {
        const pool = id.startsWith('first-') ? pools.get(id.slice('first-'.length) as BenchAlg) : undefined;
        // Keep a margin: the next cell of this algorithm may run faster than this one.
        if (pool !== undefined && c.tokensUsed !== undefined && c.tokensUsed * 1.5 > pool.tokens.length)
          await pool.grow(Math.ceil(c.tokensUsed * 2));
      },
    });
    return {
      generatedAt: new Date().toISOString(),
      command: stepCommand('auth'),
      settings: { ...loadSettings(opts), algs: opts.algs },
      machine: stepMachine(loadAvgAtStart),
      rows: authRows(cells, ids),
      verdicts: authVerdicts(cells, opts.algs),
      cells,
      failures,
      inProcess,
      jwksRequests: issuer.jwksRequests,
      authProcesses: cells.filter((c) => c.cell !== 'off').length,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await issuer.close();
  }
}

/** The step's results as printable lines, ending with the command that reproduces them. */
export function formatAuthLines(r: AuthBenchResult): string[] {
  const out = formatAuth(r.rows, r.verdicts);
  out.push('', ...formatInProcess(r.inProcess), '');
  out.push(`JWKS served ${r.jwksRequests} times to ${r.authProcesses} Warden processes with auth on`);
  out.push(...closingLines(r.failures, r.command));
  return out;
}

/** Writes the result to bench/results/auth.json under `root`. */
export function writeAuthResult(root: string, r: AuthBenchResult): string {
  return writeStepResult(root, 'auth', r);
}

runStandalone(
  import.meta.url,
  'auth',
  'Warden authentication benchmark',
  (env, log) => runAuthBench({ ...authSettingsFromEnv(), env, log }),
  formatAuthLines,
);
