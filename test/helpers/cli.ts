/**
 * The built `warden` CLI as a real child process. It runs without blocking this process, so the
 * servers a test started here (issuers, upstreams, Wardens) keep answering the CLI's calls.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { ROOT } from './warden.js';

/** The compiled CLI entry point (`npm run build` first). */
export const CLI = path.join(ROOT, 'dist/src/cli/main.js');

/** What a CLI run printed and how it exited. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `warden <args>` and resolves when it has exited. `env` is laid over this process's
 * environment; `input`, when given, is written to its stdin (otherwise stdin is closed); `cwd`
 * is where it runs (default: this process's).
 */
export async function runCli(
  args: readonly string[],
  opts: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...opts.env },
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  // Without input stdin is closed at once: a command that read it would see end of input.
  child.stdin.end(opts.input);
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, stdout, stderr };
}
