/**
 * Throughput of the prompt-injection detector alone (issue 5 "Speed": ≥ 250 MB/s per core on
 * mixed, mostly benign text, so that all local detectors together reach 100 MB/s). The text is
 * generated (deterministic): English and German prose with the ordinary frequency of words the
 * detector anchors on ("system", "instructions", "tell", "code", questions opening sentences), a
 * markdown table, source code, JSON, and a little non-ASCII; 1 % of the paragraphs carry an
 * injection cue. Reports the median MB/s (MB = 10^6 UTF-16 code units) over rounds, per kind.
 *
 * Run: `npm run build && node dist/bench/detect-injection.js` (BENCH_ROUNDS, default 15).
 */
import { detectInjection } from '../src/detect/injection.js';
import type { InjectionContext } from '../src/detect/injection.js';
import { injectionBenchText } from './lib/injection-text.js';
import { referenceLoop } from './lib/cpu.js';

const TARGET_MBPS = 250;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
}

/** CPU seconds of this process (user + system): the per-core figure, unaffected by waiting for a core. */
function cpuSec(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function main(): void {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
  const text = injectionBenchText(4_000_000);
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 65_536) chunks.push(text.slice(i, i + 65_536));
  process.stdout.write(
    `detect-injection: ${(text.length / 1e6).toFixed(1)} M chars of mixed text in 64 KB calls, ${rounds} rounds, ` +
      `MB/s of CPU time (median)\n`,
  );
  const base: number[] = [];
  let sink = 0;
  for (const kind of ['result', 'argument'] as InjectionContext[]) {
    const mbps: number[] = [];
    for (let r = 0; r < rounds + 2; r++) {
      const t0 = cpuSec();
      for (const t of chunks) sink += detectInjection(t, { kind }).score;
      const s = cpuSec() - t0;
      if (r >= 2) mbps.push(text.length / 1e6 / s);
      const b0 = cpuSec();
      sink += referenceLoop(text);
      base.push(text.length / 1e6 / (cpuSec() - b0));
    }
    const m = median(mbps);
    process.stdout.write(
      `  kind ${kind}: ${m.toFixed(0)} MB/s (min ${Math.min(...mbps).toFixed(0)}, max ${Math.max(...mbps).toFixed(0)}); ` +
        `target ≥ ${TARGET_MBPS}: ${m >= TARGET_MBPS ? 'met' : 'MISSED'}\n`,
    );
  }
  process.stdout.write(
    `  reference loop (one multiply-add per char): ${median(base).toFixed(0)} MB/s on this core now${sink === 0.5 ? '' : ''}\n`,
  );
}

main();
