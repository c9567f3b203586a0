/**
 * Detector speed (issue 5 Speed: the local text detectors together ≥ 100 MB/s per core on mixed
 * text). Standalone: `npm run build && node dist/bench/detect.js`. One process, one thread: each
 * detector runs over the same generated mixed-text corpus (bench/lib/sensitive-text.ts) for several
 * rounds; the figure is MB/s (MiB of text per second of this process's CPU time, so other load on
 * a shared machine counts less) at the median round, with the wall-clock figure beside it. Rows: each
 * detector alone, every local text detector in sequence (injection, secrets, personal data,
 * invisible and ANSI in one scan), and `inspectText` as the facade wires it today.
 *
 * The last row, a loop doing one multiply-add per character, shows how fast the core is at the time:
 * the same code has run 2.6 times slower on one VM than on another, so compare ratios across machines.
 *
 * Environment: BENCH_DETECT_MB (corpus size, default 8), BENCH_DETECT_ROUNDS (default 7),
 * BENCH_DETECT_WARMUP (untimed passes before each row, default 3).
 */
import { detectAnsi, detectControls, detectInvisible, sanitizeText } from '../src/detect/unicode.js';
import { detectInjection } from '../src/detect/injection.js';
import { inspectText } from '../src/detect/index.js';
import { detectPii } from '../src/detect/pii.js';
import { detectSecrets } from '../src/detect/secrets.js';
import { forgetPrescan, setPrescanEnabled } from '../src/detect/prescan.js';
import { referenceLoop } from './lib/cpu.js';
import { envNumber } from './lib/env.js';
import { sensitiveText } from './lib/sensitive-text.js';

const TARGET = 100;
const MB = envNumber('BENCH_DETECT_MB', 8);
const ROUNDS = Math.max(3, Math.round(envNumber('BENCH_DETECT_ROUNDS', 7)));
/**
 * Untimed passes over the whole corpus before a row is timed. V8 optimises a detector in tiers
 * while it runs; on an 8 MiB corpus the first three passes of the personal-data detector ran at
 * 37, 48 and 44 MB/s and later ones at 53–77 (one run, 2026-11-30), so one warm-up pass measured
 * the detector half-optimised. A gateway calls the detectors on every message and runs them optimised.
 */
const WARMUP = Math.max(1, Math.round(envNumber('BENCH_DETECT_WARMUP', 3)));

/** One benchmark row: MB/s at the median round, and how many findings one pass makes. */
export interface DetectRow {
  readonly name: string;
  /** MiB per CPU second (user + system) at the median round. */
  readonly mbPerSec: number;
  /** MiB per wall-clock second at the median round. */
  readonly wallMbPerSec: number;
  readonly findings: number;
}

function measure(name: string, text: string, detect: (t: string) => number): DetectRow {
  // Every pass starts without the kept single-pass result (src/detect/prescan.ts), so each round
  // pays for its own pass over the text, as each new message does in the gateway.
  const run = (t: string): number => {
    forgetPrescan();
    return detect(t);
  };
  const findings = run(text); // the finding count, and the first warm-up pass
  for (let w = 1; w < WARMUP; w++) run(text);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    run(text);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const mib = text.length / 1048576;
  return { name, mbPerSec: mib / median(cpu), wallMbPerSec: mib / median(wall), findings };
}

/** Runs every row over a corpus of `mb` MiB. */
export function runDetectBench(mb = MB): DetectRow[] {
  const text = sensitiveText(Math.round(mb * 1048576));
  // Invisible characters and ANSI escapes come from one scan (detectControls), as inspectText and
  // the inspect stage run them.
  const controls = (t: string): number => {
    const c = detectControls(t);
    return c.invisible.length + c.ansi.length;
  };
  const all = (t: string): number =>
    detectInjection(t).findings.length + detectSecrets(t).length + detectPii(t).length + controls(t);
  const h4 = (t: string): number => detectSecrets(t).length + detectPii(t).length + controls(t);
  const rows = [
    measure('secrets', text, (t) => detectSecrets(t).length),
    measure('personal data', text, (t) => detectPii(t).length),
    measure('invisible', text, (t) => detectInvisible(t).length),
    measure('ansi', text, (t) => detectAnsi(t).length),
    measure('invisible + ansi (one scan)', text, controls),
    measure('sanitizeText', text, (t) => (sanitizeText(t).length === t.length ? 0 : 1)),
    measure('injection', text, (t) => detectInjection(t).findings.length),
    measure('all local detectors in sequence', text, all),
    measure('secrets, personal data, invisible, ansi', text, h4),
    measure('inspectText (as wired)', text, (t) => inspectText(t).findings.length),
    measure('reference loop (multiply-add per char)', text, (t) => referenceLoop(t) & 1),
  ];
  // The same detectors without the single pass: each scans the whole text with its own expressions.
  setPrescanEnabled(false);
  rows.push(measure('all in sequence, no single pass', text, all));
  setPrescanEnabled(true);
  return rows;
}

/** The rows as printable lines, with the command and the target verdict. */
export function formatDetectLines(rows: readonly DetectRow[], mb = MB): string[] {
  const lines = [
    `detectors on ${mb} MiB of mixed text, median of ${ROUNDS} rounds, one core (target: all together ≥ ${TARGET} MB/s)`,
    `command: BENCH_DETECT_MB=${mb} BENCH_DETECT_ROUNDS=${ROUNDS} node dist/bench/detect.js`,
  ];
  for (const r of rows)
    lines.push(
      `  ${r.name.padEnd(34)} ${r.mbPerSec.toFixed(1).padStart(8)} MB/s CPU ${r.wallMbPerSec.toFixed(1).padStart(8)} MB/s wall  (${r.findings} findings)`,
    );
  const together = rows.find((r) => r.name.startsWith('all local'));
  const reference = rows.find((r) => r.name.startsWith('reference loop'));
  if (together !== undefined)
    lines.push(
      `  target ${together.mbPerSec >= TARGET ? 'met' : 'missed'}: ${together.mbPerSec.toFixed(1)} MB/s together` +
        (reference === undefined
          ? ''
          : ` (${((together.mbPerSec / reference.mbPerSec) * 100).toFixed(1)} % of the reference loop on this core now)`),
    );
  return lines;
}

if (process.argv[1]?.endsWith('detect.js')) {
  for (const line of formatDetectLines(runDetectBench())) process.stdout.write(line + '\n');
}
