/**
 * One contender in one round: start it (with a fresh upstream), handshake, then for each workload
 * check a few answers, warm up, and measure throughput, latency, and the proxy's CPU and memory.
 */
import { measuredPids, startContender } from './contenders.js';
import type { BenchEnv, ContenderId } from './contenders.js';
import { runLoad } from './load.js';
import { callOnce, initialize, WORKLOADS } from './mcp.js';
import type { Workload } from './mcp.js';
import { cpuSeconds, memBytes } from './proc.js';

/** Load parameters shared by every cell. */
export interface LoadPlan {
  readonly connections: number;
  readonly durationSec: number;
  readonly warmupSec: number;
}

/** The figures of one contender × workload in one round. */
export interface Cell {
  readonly round: number;
  readonly contender: ContenderId;
  readonly workload: Workload;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly responses: number;
  readonly errors: number;
  readonly checked: number;
  readonly firstProblem?: string;
  /** Proxy CPU (user + system) during the load ÷ responses, in microseconds. */
  readonly proxyCpuUsPerReq?: number;
  /** Proxy peak RSS (VmHWM) since it started, read right after this workload, in bytes. */
  readonly proxyPeakRss?: number;
  /** Upstream CPU per response (HTTP upstream only), in microseconds; for reference. */
  readonly upstreamCpuUsPerReq?: number;
}

/** What one contender produced in one round. */
export interface ContenderRound {
  readonly round: number;
  readonly contender: ContenderId;
  readonly cells: Cell[];
  /** Proxy RSS (VmRSS) after all workloads, in bytes. */
  readonly proxyRssAfter?: number;
  /** Set when the contender could not be started or checked; no cells then. */
  readonly failure?: string;
}

function sumCpu(pids: readonly number[]): number {
  let s = 0;
  for (const pid of pids) s += cpuSeconds(pid);
  return s;
}

function sumMem(pids: readonly number[], field: 'VmHWM' | 'VmRSS'): number {
  let s = 0;
  for (const pid of pids) s += memBytes(pid, field);
  return s;
}

/** Runs every workload against a fresh `id` and stops it again. */
export async function measureContender(
  id: ContenderId,
  round: number,
  env: BenchEnv,
  plan: LoadPlan,
  log: (msg: string) => void,
): Promise<ContenderRound> {
  let running;
  try {
    running = await startContender(id, env);
  } catch (err) {
    return {
      round,
      contender: id,
      cells: [],
      failure: `start: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const cells: Cell[] = [];
  try {
    const session = await initialize(running.url);
    const pids = measuredPids(running);
    for (const workload of WORKLOADS) {
      for (let i = 0; i < 3; i++) await callOnce(session, workload, `check-${i}`);
      if (plan.warmupSec > 0) {
        await runLoad({ session, workload, connections: plan.connections, durationSec: plan.warmupSec });
      }
      const cpu0 = sumCpu(pids);
      const up0 = running.upstream !== undefined ? cpuSeconds(running.upstream.pid) : 0;
      const load = await runLoad({
        session,
        workload,
        connections: plan.connections,
        durationSec: plan.durationSec,
      });
      const cpu1 = sumCpu(pids);
      const up1 = running.upstream !== undefined ? cpuSeconds(running.upstream.pid) : 0;
      const n = Math.max(1, load.responses);
      const errors = load.non2xx + load.transportErrors + load.badAnswers;
      const cell: Cell = {
        round,
        contender: id,
        workload,
        rps: load.rps,
        p50Ms: load.p50Ms,
        p99Ms: load.p99Ms,
        responses: load.responses,
        errors,
        checked: load.checked,
        ...(load.firstProblem !== undefined ? { firstProblem: load.firstProblem } : {}),
        ...(pids.length > 0
          ? { proxyCpuUsPerReq: ((cpu1 - cpu0) * 1e6) / n, proxyPeakRss: sumMem(pids, 'VmHWM') }
          : {}),
        ...(running.upstream !== undefined ? { upstreamCpuUsPerReq: ((up1 - up0) * 1e6) / n } : {}),
      };
      cells.push(cell);
      log(
        `  round ${round + 1} ${id.padEnd(12)} ${workload.padEnd(7)} ${load.rps.toFixed(0).padStart(6)} req/s  p50 ${load.p50Ms.toFixed(2)} ms  p99 ${load.p99Ms.toFixed(2)} ms` +
          (cell.proxyCpuUsPerReq !== undefined ? `  cpu ${cell.proxyCpuUsPerReq.toFixed(0)} µs/req` : '') +
          (errors > 0 ? `  ERRORS ${errors} (${load.firstProblem ?? '?'})` : ''),
      );
    }
    const proxyRssAfter = pids.length > 0 ? sumMem(pids, 'VmRSS') : undefined;
    return proxyRssAfter === undefined
      ? { round, contender: id, cells }
      : { round, contender: id, cells, proxyRssAfter };
  } catch (err) {
    const failure = err instanceof Error ? err.message : String(err);
    log(`  round ${round + 1} ${id}: FAILED: ${failure}`);
    return { round, contender: id, cells, failure };
  } finally {
    await running.stop();
  }
}
