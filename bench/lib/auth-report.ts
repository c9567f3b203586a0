/**
 * Turning the authentication step's cells into figures: per-cell medians with min–max, the added
 * CPU per request and the throughput ratio (medians of per-round differences, each round's cells
 * run under the same conditions) against the targets of issue 3, and the printed lines.
 */
import type { BenchAlg } from './issuer.js';
import { spread } from './report.js';
import type { Spread } from './report.js';

/** A cell: auth off, auth on with one token seen before, or auth on with a fresh token per request. */
export type AuthCellId = 'off' | 'seen' | `first-${BenchAlg}`;

/** Targets of issue 3: added CPU per request in µs, and echo throughput with auth on ÷ off. */
export const AUTH_TARGETS = { seenUs: 15, firstUs: 90, seenThroughput: 0.9 } as const;

/** Printed name of each cell. */
export function cellLabel(id: AuthCellId): string {
  if (id === 'off') return 'auth off';
  if (id === 'seen') return 'auth on, token seen (ES256)';
  return `auth on, first sight ${id.slice('first-'.length)}`;
}

/** The figures of one cell in one round. */
export interface AuthCell {
  readonly round: number;
  readonly cell: AuthCellId;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly responses: number;
  readonly errors: number;
  readonly firstProblem?: string;
  /** Warden's CPU (user + system) during the measured load ÷ responses, in microseconds. */
  readonly cpuUsPerReq: number;
  /** Warden's peak RSS (VmHWM) after the load, in MB. */
  readonly peakRssMB: number;
  /** Tokens sent by a first-sight cell (warm-up included). */
  readonly tokensUsed?: number;
  /** How often a first-sight cell ran through its whole token pool and started over. */
  readonly poolWraps?: number;
}

/** One cell across rounds: medians with min–max. */
export interface AuthRow {
  readonly cell: AuthCellId;
  readonly label: string;
  readonly rounds: number;
  readonly rps?: Spread;
  readonly p50Ms?: Spread;
  readonly p99Ms?: Spread;
  readonly cpuUsPerReq?: Spread;
  readonly peakRssMB?: Spread;
  readonly responses: number;
  readonly errors: number;
  readonly poolWraps: number;
  readonly firstProblem?: string;
}

/** One compared figure: median of per-round values with min–max, against its target. */
export interface AuthVerdict {
  readonly name: string;
  readonly unit: 'µs' | '%';
  /** Per-round values (rounds where both cells ran without errors). */
  readonly perRound?: Spread;
  /** The same figure computed from the medians of the two cells, for reference. */
  readonly ofMedians?: number;
  readonly target: number;
  readonly comparison: '≤' | '≥';
  /** Judged on the median of the per-round values. */
  readonly met: boolean;
}

/** One row per cell id that produced data, in `ids` order. */
export function authRows(cells: readonly AuthCell[], ids: readonly AuthCellId[]): AuthRow[] {
  return ids.map((id) => {
    const mine = cells.filter((c) => c.cell === id);
    const problem = mine.find((c) => c.firstProblem !== undefined)?.firstProblem;
    const row: AuthRow = {
      cell: id,
      label: cellLabel(id),
      rounds: mine.length,
      rps: spread(mine.map((c) => c.rps)),
      p50Ms: spread(mine.map((c) => c.p50Ms)),
      p99Ms: spread(mine.map((c) => c.p99Ms)),
      cpuUsPerReq: spread(mine.map((c) => c.cpuUsPerReq)),
      peakRssMB: spread(mine.map((c) => c.peakRssMB)),
      responses: mine.reduce((s, c) => s + c.responses, 0),
      errors: mine.reduce((s, c) => s + c.errors, 0),
      poolWraps: mine.reduce((s, c) => s + (c.poolWraps ?? 0), 0),
    };
    return problem === undefined ? row : { ...row, firstProblem: problem };
  });
}

function perRound(
  cells: readonly AuthCell[],
  a: AuthCellId,
  b: AuthCellId,
  f: (x: AuthCell, y: AuthCell) => number,
): Spread | undefined {
  const out: number[] = [];
  for (const round of new Set(cells.map((c) => c.round))) {
    const x = cells.find((c) => c.round === round && c.cell === a);
    const y = cells.find((c) => c.round === round && c.cell === b);
    if (x !== undefined && y !== undefined && x.errors === 0 && y.errors === 0) out.push(f(x, y));
  }
  return spread(out);
}

function medianOf(
  cells: readonly AuthCell[],
  id: AuthCellId,
  f: (c: AuthCell) => number,
): number | undefined {
  return spread(cells.filter((c) => c.cell === id && c.errors === 0).map(f))?.median;
}

function verdict(
  base: Omit<AuthVerdict, 'met' | 'perRound' | 'ofMedians'>,
  per: Spread | undefined,
  ofMedians: number | undefined,
): AuthVerdict {
  const met =
    per !== undefined && (base.comparison === '≤' ? per.median <= base.target : per.median >= base.target);
  return {
    ...base,
    ...(per !== undefined ? { perRound: per } : {}),
    ...(ofMedians !== undefined ? { ofMedians } : {}),
    met,
  };
}

/** The figures of issue 3: added CPU B − A and C − A per algorithm, and throughput B ÷ A. */
export function authVerdicts(cells: readonly AuthCell[], algs: readonly BenchAlg[]): AuthVerdict[] {
  const cpu = (c: AuthCell): number => c.cpuUsPerReq;
  const added = (id: AuthCellId, name: string, target: number): AuthVerdict => {
    const m1 = medianOf(cells, id, cpu);
    const m0 = medianOf(cells, 'off', cpu);
    return verdict(
      { name, unit: 'µs', target, comparison: '≤' },
      perRound(cells, id, 'off', (x, y) => x.cpuUsPerReq - y.cpuUsPerReq),
      m1 !== undefined && m0 !== undefined ? m1 - m0 : undefined,
    );
  };
  const out = [added('seen', 'added CPU per request, token seen (B − A)', AUTH_TARGETS.seenUs)];
  for (const alg of algs)
    out.push(
      added(`first-${alg}`, `added CPU per request, first sight ${alg} (C − A)`, AUTH_TARGETS.firstUs),
    );
  const r1 = medianOf(cells, 'seen', (c) => c.rps);
  const r0 = medianOf(cells, 'off', (c) => c.rps);
  out.push(
    verdict(
      {
        name: 'echo throughput, token seen ÷ auth off (B / A)',
        unit: '%',
        target: 100 * AUTH_TARGETS.seenThroughput,
        comparison: '≥',
      },
      perRound(cells, 'seen', 'off', (x, y) => (100 * x.rps) / y.rps),
      r1 !== undefined && r0 !== undefined && r0 > 0 ? (100 * r1) / r0 : undefined,
    ),
  );
  return out;
}

function fmt(s: Spread | undefined, digits: number): string {
  if (s === undefined) return '—';
  const f = (x: number): string => x.toFixed(digits);
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

/** The cells as a table, then each figure against its target (met / MISSED). */
export function formatAuth(rows: readonly AuthRow[], verdicts: readonly AuthVerdict[]): string[] {
  const head = ['cell', 'req/s', 'p50 ms', 'p99 ms', 'Warden CPU µs/req', 'peak RSS MB', 'errors'];
  const body = rows.map((r) => [
    r.label,
    fmt(r.rps, 0),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.cpuUsPerReq, 1),
    fmt(r.peakRssMB, 1),
    `${r.errors}/${r.responses}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cols: readonly string[]): string =>
    cols.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ''];
  for (const v of verdicts) {
    const f = (x: number): string => `${x.toFixed(v.unit === '%' ? 0 : 1)} ${v.unit}`;
    const per =
      v.perRound === undefined
        ? 'no data'
        : `median of per-round values ${f(v.perRound.median)} (${f(v.perRound.min)} to ${f(v.perRound.max)}, ${v.perRound.n} rounds)`;
    const med = v.ofMedians === undefined ? '' : `; from the cell medians ${f(v.ofMedians)}`;
    out.push(`${v.name}: ${per}${med}  target ${v.comparison} ${f(v.target)}: ${v.met ? 'met' : 'MISSED'}`);
  }
  for (const r of rows) {
    if (r.errors > 0)
      out.push(`errors: ${r.label}: ${r.errors} of ${r.responses} (first: ${r.firstProblem ?? '?'})`);
    if (r.poolWraps > 0)
      out.push(
        `note: ${r.label} ran through its token pool ${r.poolWraps} time(s); the pool is larger than the 10,000-entry cache, so repeats were cache misses too`,
      );
  }
  return out;
}
