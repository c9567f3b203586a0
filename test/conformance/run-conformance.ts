/**
 * Helpers for running the official MCP conformance suite (`@modelcontextprotocol/conformance`) against
 * a server URL, and for building/starting the conformance fixture server
 * (test/fixtures/servers/conformance-server.ts).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

/** Repository root: the nearest ancestor of this module holding a package.json. */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** Expected-failures file passed to the CLI as `--expected-failures`. */
export const BASELINE_PATH = join(REPO_ROOT, 'test/conformance/baseline.yml');

/** Compiled entry point of the conformance fixture server (built by `tsc -p tsconfig.json`). */
export const CONFORMANCE_FIXTURE_PATH = join(REPO_ROOT, 'dist/test/fixtures/servers/conformance-server.js');

const FIXTURE_SOURCES = [
  join(REPO_ROOT, 'test/fixtures/servers/conformance-server.ts'),
  join(REPO_ROOT, 'test/fixtures/servers/conformance'),
];
const LISTENING_PREFIX = 'conformance-server listening on ';
const ANSI = /\u001b\[[0-9;]*m/g;

/** Pass/fail counts of one scenario, from the CLI's summary. */
export interface ScenarioOutcome {
  readonly scenario: string;
  readonly passed: number;
  readonly failed: number;
}

/** Result of one conformance CLI run. */
export interface ConformanceRun {
  /** CLI exit code: 0 when every failure is in the baseline and no baseline entry is stale. */
  readonly exitCode: number;
  /** Combined stdout+stderr, ANSI colours stripped. */
  readonly output: string;
  /** Checks that passed (SUCCESS), over all scenarios. */
  readonly passed: number;
  /** Checks that failed (FAILURE) in scenarios not listed as expected failures in the baseline. */
  readonly failed: number;
  /** Per-scenario counts (one entry for a single-scenario run). WARNING checks are not counted here. */
  readonly scenarios: readonly ScenarioOutcome[];
  /** Scenarios that failed (FAILURE or WARNING) and are in the baseline. */
  readonly expectedFailures: readonly string[];
  /** Scenarios that failed (FAILURE or WARNING) and are not in the baseline. */
  readonly unexpectedFailures: readonly string[];
  /** Baseline entries whose scenario now passes (the CLI exits 1 for these too). */
  readonly staleEntries: readonly string[];
  /** Wall-clock duration of the CLI run. */
  readonly durationMs: number;
}

/** Options for {@link runConformance}. */
export interface RunConformanceOptions {
  /** Run only this scenario (default: the CLI's "active" server suite). */
  readonly scenario?: string;
  /** Kill the CLI after this long (default 5 minutes). */
  readonly timeoutMs?: number;
}

/** Absolute path of the installed conformance CLI (the package's `bin` entry). */
export function conformanceCliPath(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@modelcontextprotocol/conformance/package.json');
  const manifest: unknown = JSON.parse(readFileSync(packageJson, 'utf8'));
  let bin: unknown;
  if (typeof manifest === 'object' && manifest !== null && 'bin' in manifest) {
    bin = manifest.bin;
    if (typeof bin === 'object' && bin !== null && 'conformance' in bin) bin = bin.conformance;
  }
  if (typeof bin !== 'string') throw new Error(`No "conformance" bin entry in ${packageJson}`);
  return join(dirname(packageJson), bin);
}

/**
 * Parses the conformance CLI's output: the `=== SUMMARY ===` lines of a suite run
 * (`✓ <scenario>: N passed, M failed`), or the `Passed: X/Y, Z failed, W warnings` line of a
 * single-scenario run, plus the baseline report (`~` expected, `✗` unexpected, `✓` stale).
 */
export function parseConformanceOutput(
  output: string,
  scenario?: string,
): Omit<ConformanceRun, 'exitCode' | 'output' | 'durationMs'> {
  const lines = output.replace(ANSI, '').split(/\r?\n/);
  const scenarios: ScenarioOutcome[] = [];
  const sections: Record<'expected' | 'unexpected' | 'stale', string[]> = {
    expected: [],
    unexpected: [],
    stale: [],
  };
  let section: keyof typeof sections | undefined;
  for (const line of lines) {
    const summary = /^[✓✗] (\S+): (\d+) passed, (\d+) failed/.exec(line);
    const single = /^Passed: (\d+)\/\d+, (\d+) failed, \d+ warnings?/.exec(line);
    const entry = /^ {2}[~✗✓] (\S+)$/.exec(line);
    if (summary !== null) {
      scenarios.push({ scenario: summary[1]!, passed: Number(summary[2]), failed: Number(summary[3]) });
    } else if (single !== null && scenario !== undefined) {
      scenarios.push({ scenario, passed: Number(single[1]), failed: Number(single[2]) });
    } else if (line.startsWith('Expected failures (in baseline)')) {
      section = 'expected';
    } else if (line.startsWith('Unexpected failures (not in baseline)')) {
      section = 'unexpected';
    } else if (line.startsWith('Stale baseline entries')) {
      section = 'stale';
    } else if (entry !== null && section !== undefined) {
      sections[section].push(entry[1]!);
    } else if (line.trim() !== '') {
      section = undefined;
    }
  }
  const expected = new Set(sections.expected);
  return {
    passed: scenarios.reduce((sum, outcome) => sum + outcome.passed, 0),
    failed: scenarios
      .filter((outcome) => !expected.has(outcome.scenario))
      .reduce((sum, outcome) => sum + outcome.failed, 0),
    scenarios,
    expectedFailures: sections.expected,
    unexpectedFailures: sections.unexpected,
    staleEntries: sections.stale,
  };
}

/**
 * Runs the installed conformance CLI (`server --url <url> --expected-failures test/conformance/baseline.yml`)
 * in a child Node process and returns its exit code, output and parsed counts. If the output cannot be
 * parsed (e.g. the CLI crashed), `passed` and `failed` are 0 and `exitCode` is non-zero.
 */
export async function runConformance(url: string, opts: RunConformanceOptions = {}): Promise<ConformanceRun> {
  const args = [conformanceCliPath(), 'server', '--url', url, '--expected-failures', BASELINE_PATH];
  if (opts.scenario !== undefined) args.push('--scenario', opts.scenario);
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const timeoutMs = opts.timeoutMs ?? 300_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exitCode = await new Promise<number>((resolveExit) => {
    child.once('error', (error) => {
      chunks.push(`\nfailed to start conformance CLI: ${error.message}\n`);
      resolveExit(-1);
    });
    child.once('close', (code) => resolveExit(code ?? -1));
  }).finally(() => clearTimeout(timer));
  if (timedOut) chunks.push(`\nconformance CLI killed after ${timeoutMs} ms\n`);
  const output = chunks.join('').replace(ANSI, '');
  return {
    exitCode: timedOut ? -1 : exitCode,
    output,
    durationMs: Date.now() - started,
    ...parseConformanceOutput(output, opts.scenario),
  };
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.ts') ? stat.mtimeMs : 0;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/**
 * Makes sure dist/ holds an up-to-date build of the conformance fixture. When it is missing or older
 * than its sources, compiles just the fixture (through a tsconfig that extends the project's and
 * lists only the fixture entry), so a half-edited src/ elsewhere cannot block it. Returns
 * {@link CONFORMANCE_FIXTURE_PATH}.
 */
export async function ensureConformanceFixtureBuilt(): Promise<string> {
  const sourceMtime = Math.max(...FIXTURE_SOURCES.map(newestMtime));
  if (existsSync(CONFORMANCE_FIXTURE_PATH) && statSync(CONFORMANCE_FIXTURE_PATH).mtimeMs >= sourceMtime) {
    return CONFORMANCE_FIXTURE_PATH;
  }
  const config = join(REPO_ROOT, 'dist', 'tsconfig.conformance-fixture.json');
  const entry = '../test/fixtures/servers/conformance-server.ts';
  mkdirSync(dirname(config), { recursive: true });
  writeFileSync(config, JSON.stringify({ extends: '../tsconfig.json', include: [], files: [entry] }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-p', config], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const code = await new Promise<number | null>((resolveExit) => child.once('close', resolveExit));
  if (code !== 0 || !existsSync(CONFORMANCE_FIXTURE_PATH)) {
    throw new Error(`building the conformance fixture failed (tsc exit ${String(code)}):\n${log}`);
  }
  return CONFORMANCE_FIXTURE_PATH;
}

/** A conformance fixture running in HTTP mode as a child process. */
export interface RunningFixture {
  /** MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Sends SIGTERM (SIGKILL after 5 s) and waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * Builds the fixture if needed and starts it with `--http 0` (the OS picks a free port); resolves
 * once the fixture announces its URL on stdout.
 */
export async function startConformanceFixtureHttp(startTimeoutMs = 15_000): Promise<RunningFixture> {
  const script = await ensureConformanceFixtureBuilt();
  const child = spawn(process.execPath, [script, '--http', '0'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  };
  const url = await new Promise<string>((resolveUrl, reject) => {
    let stdout = '';
    const fail = (reason: string): void => {
      clearTimeout(timer);
      reject(new Error(`conformance fixture did not start: ${reason}\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`no URL after ${startTimeoutMs} ms`), startTimeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(LISTENING_PREFIX));
      if (line === undefined) return;
      clearTimeout(timer);
      resolveUrl(line.slice(LISTENING_PREFIX.length).trim());
    });
    child.once('exit', (code, signal) => fail(`exited (code ${String(code)}, signal ${String(signal)})`));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, child, stop };
}
