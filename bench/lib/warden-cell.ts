/**
 * One end-to-end cell of a Warden step: the raw upstream in the cell's directory, the `servers`
 * entry that points Warden at it, and the measured load (warm-up thrown away, then Warden's CPU
 * read from /proc before and after the measured seconds).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { rawUpstreamScript, startWarden, wardenYaml } from './contenders.js';
import type { BenchEnv } from './contenders.js';
import { runLoad } from './load.js';
import type { LoadOptions, LoadResult } from './load.js';
import { initialize } from './mcp.js';
import type { McpSession } from './mcp.js';
import { cpuSeconds, freePort, startProc, stopProc } from './proc.js';
import type { Proc } from './proc.js';

/** Starts the raw upstream on a free port, logging to `<dir>/upstream.log`. */
export function startRawUpstream(env: BenchEnv, dir: string): Promise<Proc> {
  return startProc({
    name: 'upstream',
    command: env.node,
    args: [rawUpstreamScript(env), '--port', '0'],
    logFile: join(dir, 'upstream.log'),
    reportsPort: true,
  });
}

/** The YAML `servers` entry for the raw upstream. */
export function rawUpstreamServer(upstream: Proc): string {
  return `{ url: ${JSON.stringify(`http://127.0.0.1:${String(upstream.port)}/mcp`)} }`;
}

/**
 * Runs `fn` against a fresh cell in `<env.tmpDir>/<name>`: the raw upstream, and a Warden on a free
 * port configured for it (`extraYaml` appended to the generated config), with an initialized
 * session of `/mcp/bench`. Both processes are stopped afterwards, whatever `fn` does.
 */
export async function withWardenCell<T>(
  env: BenchEnv,
  name: string,
  extraYaml: string,
  fn: (warden: Proc, session: McpSession) => Promise<T>,
): Promise<T> {
  const dir = join(env.tmpDir, name);
  mkdirSync(dir, { recursive: true });
  const upstream = await startRawUpstream(env, dir);
  let warden: Proc | undefined;
  try {
    const port = await freePort();
    const yaml = wardenYaml(port, join(dir, 'data'), rawUpstreamServer(upstream)) + extraYaml;
    warden = await startWarden(env, dir, yaml, port);
    return await fn(warden, await initialize(`http://127.0.0.1:${port}/mcp/bench`));
  } finally {
    if (warden !== undefined) await stopProc(warden);
    await stopProc(upstream);
  }
}

/** A measured load and what it cost Warden. */
export interface MeasuredLoad {
  readonly r: LoadResult;
  /** Non-2xx answers, transport errors and answers that failed their check. */
  readonly errors: number;
  /** Warden CPU (user + system) per response, in µs. */
  readonly cpuUsPerReq: number;
}

/** Runs `warmupSec` of load (thrown away), then `durationSec` measured against Warden process `pid`. */
export async function measureLoad(
  pid: number,
  load: Omit<LoadOptions, 'durationSec'>,
  s: { readonly warmupSec: number; readonly durationSec: number },
): Promise<MeasuredLoad> {
  if (s.warmupSec > 0) await runLoad({ ...load, durationSec: s.warmupSec });
  const cpu0 = cpuSeconds(pid);
  const r = await runLoad({ ...load, durationSec: s.durationSec });
  const cpu1 = cpuSeconds(pid);
  return {
    r,
    errors: r.non2xx + r.transportErrors + r.badAnswers,
    cpuUsPerReq: ((cpu1 - cpu0) * 1e6) / Math.max(1, r.responses),
  };
}
