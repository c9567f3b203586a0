/**
 * What least privilege costs Warden per request (Warden issue 4 "Speed"): the same `tools/call`
 * echo load against fresh Warden processes with policy, schema validation and limits off, and with
 * all three on (calls allowed, limits never reached). Auth is off in both cells (identity is
 * measured by bench/auth.ts). Several rounds with the order rotated; medians of per-round
 * differences, after the same three parts measured in process (bench/lib/lp-inprocess.ts), which
 * resolves single µs where the end-to-end cells cannot. Prints the added CPU per request and the throughput ratio against the targets and
 * writes bench/results/least-privilege.json.
 *
 * Run from `bench/run.ts` (skip with BENCH_SKIP_LP=1), or alone:
 * `npm run build && node dist/bench/least-privilege.js`. Environment: BENCH_QUICK, BENCH_LP_ROUNDS,
 * BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_KEEP_TMP.
 */
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
import { cpuFigure as figure, formatFigure as f } from './lib/cpu.js';
import type { CpuFigure } from './lib/cpu.js';
import { addedCpu, measureRounds, onOffRows, roundPairs, throughputRatio } from './lib/on-off.js';
import type { OnOffRow } from './lib/on-off.js';
import type { BenchEnv } from './lib/contenders.js';
import { envLoad, envNumber } from './lib/env.js';
import { formatLpInProcess, LP_LIMITS_YAML, LP_POLICY_YAML, measureLpInProcess } from './lib/lp-inprocess.js';
import type { LpInProcessResult } from './lib/lp-inprocess.js';
import { callOnce, toolCallBody } from './lib/mcp.js';
import type { McpSession } from './lib/mcp.js';
import { measureLoad, withWardenCell } from './lib/warden-cell.js';

/** The cells: everything off, all three on, and (BENCH_LP_PARTS=1) each one alone. */
export type LpCellId = 'off' | 'on' | LpPart;

/** The parts measured alone with BENCH_LP_PARTS=1. */
export type LpPart = 'policy' | 'validation' | 'limits';

/** Every part, in the order they are printed. */
export const LP_PARTS: readonly LpPart[] = ['policy', 'validation', 'limits'];

/** Targets of issue 4: added Warden CPU per echo request (µs) and throughput on/off. */
export const LP_TARGETS = { addedCpuUs: 30, throughput: 0.9 } as const;

/** Settings of the least-privilege step. */
export interface LpSettings {
  readonly quick: boolean;
  /** Rounds (default 5, quick 2). */
  readonly rounds: number;
  /** Measured seconds per cell (default 5, quick 2). */
  readonly durationSec: number;
  /** Warm-up seconds per cell, thrown away (default 1). */
  readonly warmupSec: number;
  /** Concurrent keep-alive connections (default 10). */
  readonly connections: number;
  /** Also measure each part alone (BENCH_LP_PARTS=1; default off). */
  readonly parts: boolean;
}

/** One cell of one round. */
export interface LpCell {
  readonly round: number;
  readonly cell: LpCellId;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly responses: number;
  readonly errors: number;
  readonly firstProblem?: string;
  /** Warden CPU (user + system, from /proc) per response, in µs. */
  readonly cpuUsPerReq: number;
}

/** A figure over rounds: median with min–max. */
export type LpFigure = CpuFigure;

/** What the least-privilege step measured. */
export interface LpBenchResult {
  readonly generatedAt: string;
  readonly command: string;
  readonly settings: LpSettings;
  readonly machine: StepMachine;
  /** Per cell: req/s and Warden CPU µs per request over rounds. */
  readonly rows: Readonly<Partial<Record<LpCellId, OnOffRow>>>;
  /** Each part alone minus off, Warden CPU µs per request per round (BENCH_LP_PARTS=1). */
  readonly partsAddedCpuUs: Readonly<Partial<Record<LpPart, LpFigure>>>;
  /** The three parts measured in the bench process (resolves single µs; the verdict on added CPU). */
  readonly inProcess: LpInProcessResult;
  /** on − off Warden CPU per request, per round. */
  readonly addedCpuUs: LpFigure;
  /** on / off req/s, per round. */
  readonly throughput: LpFigure;
  readonly addedCpuMet: boolean;
  readonly throughputMet: boolean;
  readonly cells: readonly LpCell[];
  readonly failures: readonly { readonly round: number; readonly cell: LpCellId; readonly failure: string }[];
  readonly seconds: number;
}

/** The step's settings from the environment (same variable names as `bench/run.ts`). */
export function lpSettingsFromEnv(): LpSettings {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    quick,
    rounds: Math.max(1, Math.round(envNumber('BENCH_LP_ROUNDS', quick ? 2 : 5))),
    ...envLoad(quick),
    parts: process.env.BENCH_LP_PARTS === '1',
  };
}

const VALIDATION_OFF = `validation: { input: false, output: false }
`;

const VALIDATION_ON = `validation: { input: true, output: true }
`;

function cellYaml(cell: LpCellId): string {
  switch (cell) {
    case 'off':
      return VALIDATION_OFF;
    case 'on':
      return VALIDATION_ON + LP_LIMITS_YAML + LP_POLICY_YAML;
    case 'policy':
      return VALIDATION_OFF + LP_POLICY_YAML;
    case 'validation':
      return VALIDATION_ON;
    case 'limits':
      return VALIDATION_OFF + LP_LIMITS_YAML;
  }
}

/** Policy on must mean policy enforced: the denied tool has to get 403 ERR_POLICY_DENIED. */
async function checkPolicyRefuses(session: McpSession): Promise<void> {
  const res = await fetch(session.url, {
    method: 'POST',
    headers: session.headers,
    body: toolCallBody('blob64k', 'denied'),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 403 || !text.includes('ERR_POLICY_DENIED'))
    throw new Error(`policy on, but a denied tool got HTTP ${res.status}: ${text.slice(0, 200)}`);
}

function measureCell(
  cell: LpCellId,
  round: number,
  env: BenchEnv,
  s: LpSettings,
  log: (m: string) => void,
): Promise<LpCell> {
  return withWardenCell(env, `lp-${round + 1}-${cell}`, cellYaml(cell), async (warden, session) => {
    // The calls must be allowed (checked in full) before anything is measured.
    for (let i = 0; i < 3; i++) await callOnce(session, 'echo', `check-${i}`);
    if (cell === 'on' || cell === 'policy') await checkPolicyRefuses(session);
    const load = { session, workload: 'echo' as const, connections: s.connections };
    const { r, errors, cpuUsPerReq } = await measureLoad(warden.pid, load, s);
    const result: LpCell = {
      round,
      cell,
      rps: r.rps,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      responses: r.responses,
      errors,
      ...(r.firstProblem !== undefined ? { firstProblem: r.firstProblem } : {}),
      cpuUsPerReq,
    };
    log(
      `  round ${round + 1} ${cell.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  cpu ${result.cpuUsPerReq.toFixed(0)} µs/req` +
        (errors > 0 ? `  ERRORS ${errors} (${r.firstProblem ?? '?'})` : ''),
    );
    return result;
  });
}

/** Options of one least-privilege step. */
export interface LpBenchOptions extends LpSettings {
  readonly env: BenchEnv;
  readonly log: (msg: string) => void;
}

/** Runs the least-privilege step: both cells in every round, fresh processes per cell. */
export async function runLpBench(opts: LpBenchOptions): Promise<LpBenchResult> {
  const t0 = performance.now();
  const loadAvgAtStart = loadavg()[0] ?? 0;
  const { env, log } = opts;
  const ids: LpCellId[] = ['off', 'on', ...(opts.parts ? LP_PARTS : [])];
  log(
    `least privilege: ${opts.rounds} rounds × ${ids.length} cells (echo), ${opts.durationSec} s per cell (+${opts.warmupSec} s warm-up), ${opts.connections} connections`,
  );
  const inProcess = await measureLpInProcess({ calls: opts.quick ? 2000 : 5000, repetitions: 5 });
  for (const line of formatLpInProcess(inProcess, LP_TARGETS.addedCpuUs)) log(line);
  const { cells, failures } = await measureRounds(
    ids,
    opts.rounds,
    (id, r) => measureCell(id, r, env, opts, log),
    { label: 'least-privilege', log },
  );
  const pairs = (id: LpCellId): { off: LpCell; on: LpCell }[] => roundPairs(cells, opts.rounds, 'off', id);
  const added = addedCpu(pairs('on'));
  const ratio = throughputRatio(pairs('on'));
  const partsAddedCpuUs: Partial<Record<LpPart, LpFigure>> = {};
  for (const part of opts.parts ? LP_PARTS : []) partsAddedCpuUs[part] = figure(addedCpu(pairs(part)));
  const addedCpuUs = figure(added);
  const throughput = figure(ratio);
  return {
    generatedAt: new Date().toISOString(),
    command: stepCommand('least-privilege'),
    settings: { ...loadSettings(opts), parts: opts.parts },
    machine: stepMachine(loadAvgAtStart),
    rows: onOffRows(cells, ids),
    partsAddedCpuUs,
    inProcess,
    addedCpuUs,
    throughput,
    addedCpuMet: added.length > 0 && addedCpuUs.median <= LP_TARGETS.addedCpuUs,
    throughputMet: ratio.length > 0 && throughput.median >= LP_TARGETS.throughput,
    cells,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The step's results as printable lines, ending with the command that reproduces them. */
export function formatLpLines(r: LpBenchResult): string[] {
  const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');
  const label: Record<LpCellId, string> = {
    off: 'off (no policy, validation off, no limits)',
    on: 'on (policy, validation, limits)',
    policy: 'policy alone',
    validation: 'validation alone',
    limits: 'limits alone',
  };
  const out: string[] = [...formatLpInProcess(r.inProcess, LP_TARGETS.addedCpuUs), 'end to end:'];
  for (const [id, x] of Object.entries(r.rows) as [LpCellId, OnOffRow][])
    out.push(`${label[id].padEnd(44)} ${f(x.rps)} req/s, Warden CPU ${f(x.cpuUs)} µs/req`);
  out.push(
    `added CPU per request (on − off, per round): ${f(r.addedCpuUs, 1)} µs — target ≤ ${LP_TARGETS.addedCpuUs} µs: ${verdict(r.addedCpuMet)}`,
    `throughput on/off (per round): ${(r.throughput.median * 100).toFixed(1)} % (${(r.throughput.min * 100).toFixed(1)}–${(r.throughput.max * 100).toFixed(1)}) — target ≥ ${LP_TARGETS.throughput * 100} %: ${verdict(r.throughputMet)}`,
    'policy evaluation with 1,000 rules (target ≤ 20 µs median): npm run build && node dist/bench/policy.js',
  );
  for (const [part, x] of Object.entries(r.partsAddedCpuUs) as [LpPart, LpFigure][])
    out.push(`  of which ${part} alone (minus off, per round): ${f(x, 1)} µs`);
  out.push(...closingLines(r.failures, r.command));
  return out;
}

/** Writes the result to bench/results/least-privilege.json under `root`. */
export function writeLpResult(root: string, r: LpBenchResult): string {
  return writeStepResult(root, 'least-privilege', r);
}

runStandalone(
  import.meta.url,
  'least-privilege',
  'Warden least-privilege benchmark',
  (env, log) => runLpBench({ ...lpSettingsFromEnv(), env, log }),
  formatLpLines,
);
