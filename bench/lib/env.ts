/**
 * Benchmark settings from the environment, shared by `bench/run.ts` and `bench/auth.ts`.
 */

/** A non-negative number from `name`, or `fallback` when unset or empty; throws on anything else. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return n;
}

/** A comma list from `name` whose items must be in `known`; all of `known` when unset or empty. */
export function envList<T extends string>(name: string, known: readonly T[]): readonly T[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return known;
  return raw.split(',').map((s) => {
    const item = s.trim() as T;
    if (!known.includes(item)) throw new Error(`${name}: unknown ${s}; known: ${known.join(', ')}`);
    return item;
  });
}

/** The load settings every measured step shares (seconds, connections). */
export function envLoad(quick: boolean): { durationSec: number; warmupSec: number; connections: number } {
  return {
    durationSec: Math.max(1, Math.round(envNumber('BENCH_DURATION', quick ? 2 : 5))),
    warmupSec: Math.round(envNumber('BENCH_WARMUP', 1)),
    connections: Math.max(1, Math.round(envNumber('BENCH_CONNECTIONS', 10))),
  };
}
