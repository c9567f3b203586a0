/**
 * What content inspection costs (Warden issue 5 "Speed"): (a) in process, the inspect stage's CPU
 * on a 64 KB tool result and on a small echo result (response phase, default settings: every
 * local detector, classification, boundary marking), median of many calls over repetitions,
 * against the 1,000 µs target for 64 KB; (b) end to end, echo `tools/call` throughput through fresh
 * Warden processes with inspection off and on in the same run, against the 85 % target: rotated
 * rounds of fresh cells, then an interleaved measurement (an off and an on cell up at once, the
 * load switched between them every few seconds) whose pairs give the verdict. Writes
 * bench/results/inspect.json.
 *
 * Run from `bench/run.ts` (skip with BENCH_SKIP_INSPECT=1), or alone:
 * `npm run build && node dist/bench/inspect.js`. Environment: BENCH_QUICK, BENCH_INSPECT_ROUNDS,
 * BENCH_INSPECT_SLICES (interleaved pairs, default 10, 0 = none), BENCH_INSPECT_SLICE (seconds per
 * slice, default 2), BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_KEEP_TMP.
 */
import { loadavg } from 'node:os';
import { inspectionSchema } from '../src/config/inspection-schema.js';
import type { Exchange, ResponseContext } from '../src/core/exchange.js';
import type { JsonRpcMessage, JsonRpcRequest } from '../src/core/jsonrpc.js';
import { forgetPrescan } from '../src/detect/prescan.js';
import { inspectStage } from '../src/stages/inspect/index.js';
import type { BenchEnv } from './lib/contenders.js';
import { cpuFigure, cpuPerCall, formatFigure as f } from './lib/cpu.js';
import type { CpuFigure } from './lib/cpu.js';
import { envLoad, envNumber } from './lib/env.js';
import { callOnce, parseRpcBody } from './lib/mcp.js';
import type { McpSession } from './lib/mcp.js';
import { BLOB_TEXT, ECHO_TEXT } from './lib/payload.js';
import { measureLoad, withWardenCell } from './lib/warden-cell.js';
import { addedCpu, measureRounds, onOffRows, roundPairs, throughputRatio } from './lib/on-off.js';
import type { OnOffRow } from './lib/on-off.js';
import {
  closingLines,
  loadSettings,
  runStandalone,
  stepCommand,
  stepMachine,
  writeStepResult,
} from './lib/step.js';
import type { LoadSettings, StepMachine } from './lib/step.js';

/** Targets of issue 5: added CPU for a 64 KB result (µs) and echo throughput on/off. */
export const INSPECT_TARGETS = { blobCpuUs: 1000, throughput: 0.85 } as const;

/** Settings of the inspection step: the rounds of fresh cells, and the interleaved slices. */
export type InspectSettings = LoadSettings & {
  /** Off/on slice pairs of the interleaved measurement (0: none). */
  readonly slices: number;
  /** Seconds of load per slice. */
  readonly sliceSec: number;
};

type CellId = 'off' | 'on';

interface Cell {
  readonly round: number;
  readonly cell: CellId;
  readonly rps: number;
  readonly cpuUsPerReq: number;
  readonly errors: number;
  readonly firstProblem?: string;
}

/** What the step measured. */
export interface InspectBenchResult {
  readonly generatedAt: string;
  readonly command: string;
  readonly settings: InspectSettings;
  readonly machine: StepMachine;
  /** In-process CPU µs per response phase call. */
  readonly inProcess: { readonly blob64k: CpuFigure; readonly echo: CpuFigure; readonly calls: number };
  readonly rows: Readonly<Partial<Record<CellId, OnOffRow>>>;
  /** on / off req/s per round. */
  readonly throughput: CpuFigure;
  /**
   * The interleaved measurement: one off and one on cell up at once, the load switched between
   * them slice by slice (off-on, on-off, …), on / off req/s and added CPU per adjacent pair.
   */
  readonly interleaved?: {
    readonly pairs: number;
    readonly sliceSec: number;
    readonly throughput: CpuFigure;
    readonly addedCpuUs: CpuFigure;
  };
  /** on − off Warden CPU µs per echo request per round. */
  readonly addedCpuUs: CpuFigure;
  readonly blobMet: boolean;
  readonly throughputMet: boolean;
  readonly cells: readonly Cell[];
  readonly failures: readonly { round: number; cell: CellId; failure: string }[];
}

/** Settings from the environment. */
export function inspectSettingsFromEnv(): InspectSettings {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    quick,
    rounds: Math.max(1, Math.round(envNumber('BENCH_INSPECT_ROUNDS', quick ? 2 : 4))),
    slices: Math.max(0, Math.round(envNumber('BENCH_INSPECT_SLICES', quick ? 3 : 10))),
    sliceSec: Math.max(1, Math.round(envNumber('BENCH_INSPECT_SLICE', 2))),
    ...envLoad(quick),
  };
}

/** (a) The stage alone: response phase on a tools/call result, default settings. */
export async function measureInspectInProcess(
  calls: number,
  repetitions: number,
): Promise<InspectBenchResult['inProcess']> {
  const stage = inspectStage(inspectionSchema.parse({}), {
    secret: () => '',
    resolve: () => undefined,
    auditStream: () => undefined,
  });
  const req: JsonRpcRequest = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } };
  const msgOf = (text: string): JsonRpcMessage => ({
    jsonrpc: '2.0',
    id: 1,
    result: { content: [{ type: 'text', text }] },
  });
  const exchange = () => ({ audit: { decisions: [] } }) as unknown as Exchange;
  const run = async (text: string, n: number): Promise<CpuFigure> => {
    const msg = msgOf(text);
    const items = Array.from({ length: n }, () => 0);
    const once = (): unknown => {
      forgetPrescan(); // each call pays for its own pass over the text, as each message does
      const ctx: ResponseContext = {
        session: undefined,
        server: 'bench',
        request: req,
        exchange: exchange(),
      };
      return stage.response(ctx, msg);
    };
    for (let i = 0; i < Math.min(200, n); i++) once();
    const samples: number[] = [];
    for (let r = 0; r < repetitions; r++) samples.push(await cpuPerCall(items, once));
    return cpuFigure(samples);
  };
  return {
    blob64k: await run(BLOB_TEXT, Math.max(50, Math.floor(calls / 20))),
    echo: await run(ECHO_TEXT, calls),
    calls,
  };
}

/** Echo check with inspection on: the text arrives inside boundary markers, unchanged. */
function wrappedEcho(body: string): string | undefined {
  let msg: Record<string, unknown>;
  try {
    msg = parseRpcBody(body);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const result = msg.result as { content?: { text?: unknown }[] } | undefined;
  const text = result?.content?.[0]?.text;
  if (typeof text !== 'string') return 'no text content';
  const m =
    /^<<warden:data token=[A-Za-z0-9_-]{22} source=bench>>\n([\s\S]*)\n<<warden:end token=[A-Za-z0-9_-]{22}>>$/.exec(
      text,
    );
  return m?.[1] === ECHO_TEXT ? undefined : `unexpected text (${text.length} chars)`;
}

/** The extra configuration of a cell: inspection on or off, schema validation off in both. */
function cellYaml(cell: CellId): string {
  return 'validation: { input: false, output: false }\n' + (cell === 'on' ? 'inspection: {}\n' : '');
}

/** One measured load of `cell` (label `round`, logged as `tag`), after the echo answers were checked. */
async function loadCell(
  cell: CellId,
  round: number,
  tag: string,
  warden: { readonly pid: number },
  session: McpSession,
  s: { readonly connections: number; readonly warmupSec: number; readonly durationSec: number },
  log: (m: string) => void,
): Promise<Cell> {
  // The same share of answers is checked in full in both cells (the load client shares the CPU).
  const check = cell === 'on' ? wrappedEcho : undefined;
  const load = {
    session,
    workload: 'echo' as const,
    connections: s.connections,
    ...(check ? { check } : {}),
  };
  const { r, errors, cpuUsPerReq } = await measureLoad(warden.pid, load, s);
  const c: Cell = {
    round,
    cell,
    rps: r.rps,
    cpuUsPerReq,
    errors,
    ...(r.firstProblem !== undefined ? { firstProblem: r.firstProblem } : {}),
  };
  log(
    `  ${tag} ${cell.padEnd(4)} ${r.rps.toFixed(0).padStart(6)} req/s  cpu ${c.cpuUsPerReq.toFixed(0)} µs/req${errors > 0 ? `  ERRORS ${errors} (${r.firstProblem ?? '?'})` : ''}`,
  );
  return c;
}

function measureCell(
  cell: CellId,
  round: number,
  env: BenchEnv,
  s: InspectSettings,
  log: (m: string) => void,
): Promise<Cell> {
  return withWardenCell(env, `inspect-${round + 1}-${cell}`, cellYaml(cell), async (warden, session) => {
    if (cell === 'off') for (let i = 0; i < 3; i++) await callOnce(session, 'echo', `check-${i}`);
    return loadCell(cell, round, `round ${round + 1}`, warden, session, s, log);
  });
}

/**
 * The interleaved measurement: an off and an on cell started together, each warmed up, then the
 * load switched between them every `sliceSec` seconds for `slices` pairs, the order flipped each
 * pair (off-on, on-off, …) so a steady drift of the machine's speed falls on both alike. Pairs whose
 * two slices ran without errors give the ratios.
 */
async function measureInterleaved(
  env: BenchEnv,
  s: InspectSettings,
  log: (m: string) => void,
): Promise<{ off: Cell; on: Cell }[]> {
  return withWardenCell(env, 'inspect-interleaved-off', cellYaml('off'), (offWarden, offSession) =>
    withWardenCell(env, 'inspect-interleaved-on', cellYaml('on'), async (onWarden, onSession) => {
      const cells = {
        off: { warden: offWarden, session: offSession },
        on: { warden: onWarden, session: onSession },
      };
      const slice = { connections: s.connections, warmupSec: 0, durationSec: s.sliceSec };
      const warm = { ...slice, durationSec: Math.max(3, s.warmupSec) };
      for (const id of ['off', 'on'] as const)
        await loadCell(id, -1, 'warm-up', cells[id].warden, cells[id].session, warm, () => undefined);
      const pairs: { off: Cell; on: Cell }[] = [];
      for (let i = 0; i < s.slices; i++) {
        const order: CellId[] = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        const got: Partial<Record<CellId, Cell>> = {};
        for (const id of order)
          got[id] = await loadCell(id, i, `slice ${i + 1}`, cells[id].warden, cells[id].session, slice, log);
        if (got.off !== undefined && got.on !== undefined && got.off.errors === 0 && got.on.errors === 0)
          pairs.push({ off: got.off, on: got.on });
      }
      return pairs;
    }),
  );
}

/** Runs the inspection step. */
export async function runInspectBench(
  opts: InspectSettings & { env: BenchEnv; log: (m: string) => void },
): Promise<InspectBenchResult> {
  const loadAvgAtStart = loadavg()[0] ?? 0;
  const { env, log } = opts;
  const inProcess = await measureInspectInProcess(opts.quick ? 2000 : 10_000, 5);
  log(
    `inspect in process: 64 KB result ${inProcess.blob64k.median.toFixed(0)} µs, echo ${inProcess.echo.median.toFixed(1)} µs (median CPU per call)`,
  );
  const ids: CellId[] = ['off', 'on'];
  // Two cells: rotating by one each round alternates off-first and on-first.
  const { cells, failures } = await measureRounds(ids, opts.rounds, (id, r) =>
    measureCell(id, r, env, opts, log),
  );
  const pairs = roundPairs(cells, opts.rounds, 'off', 'on');
  const ratios = throughputRatio(pairs);
  const throughput = cpuFigure(ratios);
  let interleaved: InspectBenchResult['interleaved'];
  if (opts.slices > 0) {
    log(`interleaved: ${opts.slices} off/on slice pairs of ${opts.sliceSec} s, both cells up at once`);
    try {
      const slicePairs = await measureInterleaved(env, opts, log);
      if (slicePairs.length > 0)
        interleaved = {
          pairs: slicePairs.length,
          sliceSec: opts.sliceSec,
          throughput: cpuFigure(throughputRatio(slicePairs)),
          addedCpuUs: cpuFigure(addedCpu(slicePairs)),
        };
    } catch (err) {
      failures.push({
        round: -1,
        cell: 'on',
        failure: `interleaved: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  // The verdict comes from the interleaved pairs when there are any (drift between slices seconds
  // apart is far smaller than between cells a minute apart), else from the rounds.
  const verdictOf = interleaved?.throughput ?? (ratios.length > 0 ? throughput : undefined);
  return {
    generatedAt: new Date().toISOString(),
    command: stepCommand('inspect'),
    settings: { ...loadSettings(opts), slices: opts.slices, sliceSec: opts.sliceSec },
    machine: stepMachine(loadAvgAtStart),
    inProcess,
    rows: onOffRows(cells, ids),
    throughput,
    addedCpuUs: cpuFigure(addedCpu(pairs)),
    blobMet: inProcess.blob64k.median <= INSPECT_TARGETS.blobCpuUs,
    ...(interleaved !== undefined ? { interleaved } : {}),
    throughputMet: verdictOf !== undefined && verdictOf.median >= INSPECT_TARGETS.throughput,
    cells,
    failures,
  };
}

/** The lines printed for the step. */
export function formatInspectLines(r: InspectBenchResult): string[] {
  return [
    `inspect stage in process (response phase, defaults, median of ${r.inProcess.calls} calls × 5):`,
    `  64 KB result: ${f(r.inProcess.blob64k)} µs CPU  target ≤ ${INSPECT_TARGETS.blobCpuUs} µs  ${r.blobMet ? 'met' : 'MISSED'}`,
    `  echo result:  ${f(r.inProcess.echo, 1)} µs CPU`,
    `echo through Warden, inspection off vs on (${r.settings.rounds} rounds, rotated, fresh processes):`,
    `  off ${r.rows.off ? f(r.rows.off.rps) : '-'} req/s, on ${r.rows.on ? f(r.rows.on.rps) : '-'} req/s`,
    `  on/off throughput ${f(r.throughput, 3)}; added Warden CPU ${f(r.addedCpuUs)} µs/req`,
    ...(r.interleaved !== undefined
      ? [
          `echo, interleaved (${r.interleaved.pairs} off/on pairs of ${r.interleaved.sliceSec} s slices, both cells up at once):`,
          `  on/off throughput ${f(r.interleaved.throughput, 3)}; added Warden CPU ${f(r.interleaved.addedCpuUs)} µs/req`,
        ]
      : []),
    `  target on/off ≥ ${INSPECT_TARGETS.throughput} (${r.interleaved !== undefined ? 'interleaved pairs' : 'rounds'}, median): ${r.throughputMet ? 'met' : 'MISSED'}`,
    ...closingLines(r.failures, r.command),
  ];
}

/** Writes bench/results/inspect.json. */
export function writeInspectResult(root: string, r: InspectBenchResult): string {
  return writeStepResult(root, 'inspect', r);
}

runStandalone(
  import.meta.url,
  'inspect',
  'Warden content-inspection benchmark',
  (env, log) => runInspectBench({ ...inspectSettingsFromEnv(), env, log }),
  formatInspectLines,
);
