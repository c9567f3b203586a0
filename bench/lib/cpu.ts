/**
 * CPU per call measured inside the bench process, for the in-process figures of the auth and
 * least-privilege steps: no sockets and no other process, so single microseconds resolve where the
 * end-to-end cells (tens of µs of noise on a shared 2-core VM) cannot.
 */

/** Median CPU microseconds per operation, and the spread over repetitions. */
export interface CpuFigure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median, min and max of some samples. */
export function cpuFigure(samples: readonly number[]): CpuFigure {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? NaN, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/** A figure as `median (min–max)` with `digits` decimals. */
export function formatFigure(x: CpuFigure, digits = 0): string {
  return `${x.median.toFixed(digits)} (${x.min.toFixed(digits)}–${x.max.toFixed(digits)})`;
}

/** CPU µs per call of `op` over `items`, 10 calls in flight (as the end-to-end load), minus the loop. */
export async function cpuPerCall<T>(items: readonly T[], op: (item: T) => unknown): Promise<number> {
  const run = async (f: (item: T) => unknown): Promise<number> => {
    let next = 0;
    const c0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < items.length) await f(items[next++] as T);
      }),
    );
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / items.length;
  };
  const loop = await run(() => undefined);
  return (await run(op)) - loop;
}

/**
 * A reference loop (one multiply-add per character), timed beside text detectors to show how fast
 * the core is at the time: compare shares of it across machines, not MB/s.
 */
export function referenceLoop(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
