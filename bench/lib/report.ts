/**
 * Turning rounds into figures: medians with min–max per contender × workload, the Warden ratios
 * and targets, and the printed table.
 */
import { CONTENDERS } from './contenders.js';
import type { ContenderId } from './contenders.js';
import type { Cell, ContenderRound } from './measure.js';
import { WORKLOADS } from './mcp.js';
import type { Workload } from './mcp.js';

/** Median, minimum and maximum of one figure across rounds. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** The median (mean of the middle two for an even count), min and max; undefined when empty. */
export function spread(values: readonly number[]): Spread | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? (v[mid] ?? 0) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
  return { median, min: v[0] ?? 0, max: v[v.length - 1] ?? 0, n: v.length };
}

/** One line of the results table. */
export interface Row {
  readonly contender: ContenderId;
  readonly label: string;
  readonly workload: Workload;
  readonly rounds: number;
  readonly rps?: Spread;
  readonly p50Ms?: Spread;
  readonly p99Ms?: Spread;
  readonly proxyCpuUsPerReq?: Spread;
  readonly proxyPeakRssMB?: Spread;
  readonly upstreamCpuUsPerReq?: Spread;
  readonly responses: number;
  readonly errors: number;
  readonly firstProblem?: string;
}

function pick(cells: readonly Cell[], f: (c: Cell) => number | undefined): number[] {
  const out: number[] = [];
  for (const c of cells) {
    const v = f(c);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** One row per contender × workload that produced at least one cell, in `order`. */
export function aggregate(rounds: readonly ContenderRound[], order: readonly ContenderId[]): Row[] {
  const rows: Row[] = [];
  for (const id of order) {
    for (const workload of WORKLOADS) {
      const cells = rounds
        .flatMap((r) => r.cells)
        .filter((c) => c.contender === id && c.workload === workload);
      if (cells.length === 0) continue;
      const problem = cells.find((c) => c.firstProblem !== undefined)?.firstProblem;
      const row: Row = {
        contender: id,
        label: CONTENDERS[id].label,
        workload,
        rounds: cells.length,
        rps: spread(pick(cells, (c) => c.rps)),
        p50Ms: spread(pick(cells, (c) => c.p50Ms)),
        p99Ms: spread(pick(cells, (c) => c.p99Ms)),
        proxyCpuUsPerReq: spread(pick(cells, (c) => c.proxyCpuUsPerReq)),
        proxyPeakRssMB: spread(
          pick(cells, (c) => (c.proxyPeakRss === undefined ? undefined : c.proxyPeakRss / 2 ** 20)),
        ),
        upstreamCpuUsPerReq: spread(pick(cells, (c) => c.upstreamCpuUsPerReq)),
        responses: cells.reduce((s, c) => s + c.responses, 0),
        errors: cells.reduce((s, c) => s + c.errors, 0),
      };
      rows.push(problem === undefined ? row : { ...row, firstProblem: problem });
    }
  }
  return rows;
}

function fmt(s: Spread | undefined, digits: number): string {
  if (s === undefined) return '—';
  const f = (x: number): string => x.toFixed(digits);
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

/** The results table as text lines (medians, min–max across rounds in parentheses). */
export function formatTable(rows: readonly Row[]): string[] {
  const head = [
    'contender',
    'workload',
    'req/s',
    'p50 ms',
    'p99 ms',
    'proxy CPU µs/req',
    'proxy peak RSS MB',
    'errors',
  ];
  const body = rows.map((r) => [
    r.label,
    r.workload,
    fmt(r.rps, 0),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.proxyCpuUsPerReq, 0),
    fmt(r.proxyPeakRssMB, 1),
    `${r.errors}/${r.responses}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cols: readonly string[]): string =>
    cols.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

/** A throughput ratio between two contenders on one workload. */
export interface Ratio {
  readonly name: string;
  /** Ratio of the two medians. */
  readonly ofMedians: number;
  /** The same ratio computed within each round (same conditions), summarized. */
  readonly perRound?: Spread;
  readonly target?: number;
}

/** `a` ÷ `b` throughput on `workload`, or undefined when either has no data. */
export function ratio(
  rows: readonly Row[],
  rounds: readonly ContenderRound[],
  a: ContenderId,
  b: ContenderId,
  workload: Workload,
  target?: number,
): Ratio | undefined {
  const ra = rows.find((r) => r.contender === a && r.workload === workload)?.rps;
  const rb = rows.find((r) => r.contender === b && r.workload === workload)?.rps;
  if (ra === undefined || rb === undefined || rb.median === 0) return undefined;
  const per: number[] = [];
  for (const round of new Set(rounds.map((r) => r.round))) {
    const cell = (id: ContenderId): Cell | undefined =>
      rounds.find((r) => r.round === round && r.contender === id)?.cells.find((c) => c.workload === workload);
    const ca = cell(a);
    const cb = cell(b);
    if (ca !== undefined && cb !== undefined && cb.rps > 0) per.push(ca.rps / cb.rps);
  }
  const base = {
    name: `${CONTENDERS[a].label} ÷ ${CONTENDERS[b].label}, ${workload} req/s`,
    ofMedians: ra.median / rb.median,
    perRound: spread(per),
  };
  return target === undefined ? base : { ...base, target };
}

/** A ratio as one printable line. */
export function formatRatio(r: Ratio): string {
  const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
  const per =
    r.perRound !== undefined && r.perRound.n > 1
      ? `; per round ${pct(r.perRound.median)} (${pct(r.perRound.min)}–${pct(r.perRound.max)})`
      : '';
  const verdict =
    r.target === undefined ? '' : `  target ≥ ${pct(r.target)}: ${r.ofMedians >= r.target ? 'PASS' : 'FAIL'}`;
  return `${r.name}: ${pct(r.ofMedians)}${per}${verdict}`;
}
