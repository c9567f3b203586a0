/**
 * Figures of a step that measures Warden end to end with a feature off and on in the same rounds
 * (fresh processes per cell): per-cell rows, and the off/on cells of each round paired so ratios
 * and added CPU are taken within a round, never across rounds run under different load.
 */
import { cpuFigure } from './cpu.js';
import type { CpuFigure } from './cpu.js';

/** What a measured end-to-end cell carries for these figures. */
export interface OnOffCell<Id extends string> {
  readonly round: number;
  readonly cell: Id;
  readonly rps: number;
  /** Warden CPU per response, in µs. */
  readonly cpuUsPerReq: number;
  readonly errors: number;
}

/** One row: req/s and Warden CPU µs per request over the rounds. */
export interface OnOffRow {
  readonly rps: CpuFigure;
  readonly cpuUs: CpuFigure;
}

/** The cells of `id` that ran without errors. */
export function cleanCells<Id extends string, C extends OnOffCell<Id>>(cells: readonly C[], id: Id): C[] {
  return cells.filter((c) => c.cell === id && c.errors === 0);
}

/** A row per cell id, over its error-free cells. */
export function onOffRows<Id extends string>(
  cells: readonly OnOffCell<Id>[],
  ids: readonly Id[],
): Partial<Record<Id, OnOffRow>> {
  const rows: Partial<Record<Id, OnOffRow>> = {};
  for (const id of ids) {
    const ok = cleanCells(cells, id);
    rows[id] = { rps: cpuFigure(ok.map((c) => c.rps)), cpuUs: cpuFigure(ok.map((c) => c.cpuUsPerReq)) };
  }
  return rows;
}

/** The `off` and `on` cells of each round in which both ran without errors. */
export function roundPairs<Id extends string, C extends OnOffCell<Id>>(
  cells: readonly C[],
  rounds: number,
  off: Id,
  on: Id,
): { off: C; on: C }[] {
  const out: { off: C; on: C }[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = cleanCells(cells, off).find((c) => c.round === r);
    const b = cleanCells(cells, on).find((c) => c.round === r);
    if (a !== undefined && b !== undefined) out.push({ off: a, on: b });
  }
  return out;
}

/** Added Warden CPU µs per request (on − off) of each pair. */
export const addedCpu = (pairs: readonly { off: OnOffCell<string>; on: OnOffCell<string> }[]): number[] =>
  pairs.map((p) => p.on.cpuUsPerReq - p.off.cpuUsPerReq);

/** Throughput ratio (on / off req/s) of each pair. */
export const throughputRatio = (
  pairs: readonly { off: OnOffCell<string>; on: OnOffCell<string> }[],
): number[] => pairs.map((p) => p.on.rps / p.off.rps);

/** A cell that threw instead of producing a figure. */
export interface CellFailure<Id extends string> {
  readonly round: number;
  readonly cell: Id;
  readonly failure: string;
}

/** How `measureRounds` reports and what it does after each measured cell. */
export interface RoundOptions<Id extends string, C> {
  /** When given with `log`, each round's order (`<label> round N/M: …`) and each failure are logged. */
  readonly label?: string;
  readonly log?: (m: string) => void;
  /** Called after a cell is measured; what it throws counts as that cell's failure. */
  readonly after?: (cell: C, id: Id) => Promise<void>;
}

/**
 * Measures every cell in every round with the order rotated by one each round (no cell always
 * runs first or last); a cell that throws is recorded as a failure and the round goes on.
 */
export async function measureRounds<Id extends string, C>(
  ids: readonly Id[],
  rounds: number,
  measure: (id: Id, round: number) => Promise<C>,
  opts: RoundOptions<Id, C> = {},
): Promise<{ cells: C[]; failures: CellFailure<Id>[] }> {
  const cells: C[] = [];
  const failures: CellFailure<Id>[] = [];
  const log = opts.label === undefined ? undefined : opts.log;
  for (let r = 0; r < rounds; r++) {
    const k = r % ids.length;
    const order = [...ids.slice(k), ...ids.slice(0, k)];
    log?.(`${opts.label ?? ''} round ${r + 1}/${rounds}: ${order.join(', ')}`);
    for (const id of order) {
      try {
        const c = await measure(id, r);
        cells.push(c);
        await opts.after?.(c, id);
      } catch (err) {
        const failure = err instanceof Error ? err.message : String(err);
        log?.(`  round ${r + 1} ${id}: FAILED: ${failure}`);
        failures.push({ round: r, cell: id, failure });
      }
    }
  }
  return { cells, failures };
}
