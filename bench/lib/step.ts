/**
 * What every benchmark step run on its own shares: a scratch directory, the machine line, the
 * result file under bench/results/, the command that reproduces it, and killing started processes
 * on exit or a signal.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchEnv } from './contenders.js';
import { killAllStarted } from './proc.js';

/** The machine a step ran on: cores and the 1-minute load average at its start and end. */
export interface StepMachine {
  readonly cores: number;
  readonly loadAvgAtStart: number;
  readonly loadAvgAtEnd: number;
}

/** What a step's result must carry for the shared printing. */
export interface StepResult {
  readonly generatedAt: string;
  readonly machine: StepMachine;
  readonly settings: { readonly rounds: number };
  readonly failures: readonly unknown[];
}

/** The end-to-end load settings every measured step records (seconds, connections, rounds). */
export interface LoadSettings {
  readonly quick: boolean;
  readonly rounds: number;
  readonly durationSec: number;
  readonly warmupSec: number;
  readonly connections: number;
}

/** Just the load settings of `o`, in the order a result file lists them. */
export function loadSettings(o: LoadSettings): LoadSettings {
  return {
    quick: o.quick,
    rounds: o.rounds,
    durationSec: o.durationSec,
    warmupSec: o.warmupSec,
    connections: o.connections,
  };
}

/** The machine line at the end of a step that started with load average `loadAvgAtStart`. */
export function stepMachine(loadAvgAtStart: number): StepMachine {
  return { cores: cpus().length, loadAvgAtStart, loadAvgAtEnd: loadavg()[0] ?? 0 };
}

/** The command that reproduces step `name` alone (`node dist/bench/<name>.js`) with this run's BENCH_ variables. */
export function stepCommand(name: string): string {
  const vars = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort();
  return `npm run build && ${[...vars, `node dist/bench/${name}.js`].join(' ')}`;
}

/** The last lines every step prints: each failed cell, then the command that reproduces the run. */
export function closingLines(
  failures: readonly { readonly round: number; readonly cell: string; readonly failure: string }[],
  command: string,
): string[] {
  return [
    ...failures.map((f) => `failed: round ${f.round + 1} ${f.cell}: ${f.failure}`),
    `reproduce: ${command}`,
  ];
}

/** Writes a step's result to bench/results/<name>.json under `root`; returns the file. */
export function writeStepResult(root: string, name: string, r: unknown): string {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

/** Runs a step as its own program when `moduleUrl` is the entry point (`node dist/bench/<name>.js`). */
export function runStandalone<R extends StepResult>(
  moduleUrl: string,
  name: string,
  title: string,
  run: (env: BenchEnv, log: (m: string) => void) => Promise<R>,
  format: (r: R) => string[],
): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  process.on('exit', killAllStarted);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      killAllStarted();
      process.exit(130);
    });
  const main = async (): Promise<void> => {
    const root = resolve(dirname(fileURLToPath(moduleUrl)), '..', '..');
    const tmpDir = mkdtempSync(join(tmpdir(), `warden-${name}-bench-`));
    const log = (m: string): void => void process.stderr.write(m + '\n');
    let keep = process.env.BENCH_KEEP_TMP === '1';
    try {
      const result = await run({ root, tmpDir, node: process.execPath }, log);
      keep ||= result.failures.length > 0;
      const m = result.machine;
      process.stdout.write(`\n${title} — ${result.generatedAt}\n`);
      process.stdout.write(
        `machine: ${m.cores} cores, load avg ${m.loadAvgAtStart.toFixed(2)} at start, ${m.loadAvgAtEnd.toFixed(2)} at end; ${result.settings.rounds} rounds, rotated order, fresh processes per cell\n\n`,
      );
      for (const line of format(result)) process.stdout.write(line + '\n');
      writeStepResult(root, name, result);
      process.stdout.write(`results written to bench/results/${name}.json\n`);
    } finally {
      if (keep) process.stdout.write(`logs and configs kept in ${tmpDir}\n`);
      else rmSync(tmpDir, { recursive: true, force: true });
    }
  };
  main().catch((err: unknown) => {
    process.stderr.write(
      `${name} bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
