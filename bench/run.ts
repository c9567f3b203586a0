/**
 * `npm run bench`: Warden's speed and memory against baselines, all in one run. Several rounds,
 * contender order rotated each round, fresh processes for every contender in every round; then the
 * session-churn memory step. Prints a table and writes bench/results/latest.json.
 *
 * Environment: BENCH_QUICK=1 (short run), BENCH_ROUNDS, BENCH_DURATION (s per cell),
 * BENCH_WARMUP (s), BENCH_CONNECTIONS, BENCH_CONTENDERS (comma list), BENCH_CHURN_CYCLES,
 * BENCH_CHURN_CONCURRENCY, BENCH_CHURN_SERVER (sh | node), BENCH_SKIP_CHURN=1, BENCH_KEEP_TMP=1 (keep logs and configs),
 * BENCH_SKIP_AUTH=1 (skip the authentication step; its own variables are in bench/auth.ts),
 * BENCH_SKIP_LP=1 (skip the least-privilege step; its own variables are in bench/least-privilege.ts),
 * BENCH_SKIP_INSPECT=1 (skip the content-inspection step; its own variables are in bench/inspect.ts),
 * BENCH_SKIP_DETECT=1 (skip the in-process detector-speed step; its own variables are in bench/detect.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authSettingsFromEnv, formatAuthLines, runAuthBench, writeAuthResult } from './auth.js';
import type { AuthBenchResult } from './auth.js';
import { formatLpLines, lpSettingsFromEnv, runLpBench, writeLpResult } from './least-privilege.js';
import type { LpBenchResult } from './least-privilege.js';
import {
  formatInspectLines,
  inspectSettingsFromEnv,
  runInspectBench,
  writeInspectResult,
} from './inspect.js';
import type { InspectBenchResult } from './inspect.js';
import { formatDetectLines, runDetectBench } from './detect.js';
import type { DetectRow } from './detect.js';
import { churnServerFromEnv, formatChurn, runChurn } from './churn.js';
import type { ChurnResult } from './churn.js';
import {
  CONTENDER_IDS,
  CONTENDERS,
  ensureMcpProxy,
  findNginx,
  startContender,
  wardenCli,
} from './lib/contenders.js';
import type { BenchEnv, ContenderId } from './lib/contenders.js';
import { envList, envLoad, envNumber } from './lib/env.js';
import { measureContender } from './lib/measure.js';
import type { ContenderRound, LoadPlan } from './lib/measure.js';
import { callOnce, initialize } from './lib/mcp.js';
import { killAllStarted } from './lib/proc.js';
import { aggregate, formatRatio, formatTable, ratio, spread } from './lib/report.js';
import type { Ratio } from './lib/report.js';

const log = (msg: string): void => void process.stderr.write(msg + '\n');
const out = (msg = ''): void => void process.stdout.write(msg + '\n');

/** The run's settings, from the environment. */
interface Settings extends LoadPlan {
  readonly quick: boolean;
  readonly rounds: number;
  readonly contenders: readonly ContenderId[];
  readonly churnCycles: number;
  readonly churnConcurrency: number;
  readonly skipChurn: boolean;
  readonly skipAuth: boolean;
  readonly skipLp: boolean;
  readonly skipInspect: boolean;
  readonly skipDetect: boolean;
}

function settings(): Settings {
  const quick = process.env.BENCH_QUICK === '1';
  const contenders = envList('BENCH_CONTENDERS', CONTENDER_IDS);
  return {
    quick,
    rounds: Math.max(1, Math.round(envNumber('BENCH_ROUNDS', quick ? 2 : 3))),
    ...envLoad(quick),
    contenders,
    churnCycles: Math.round(envNumber('BENCH_CHURN_CYCLES', quick ? 500 : 20_000)),
    churnConcurrency: Math.max(1, Math.round(envNumber('BENCH_CHURN_CONCURRENCY', 4))),
    skipChurn: process.env.BENCH_SKIP_CHURN === '1',
    skipAuth: process.env.BENCH_SKIP_AUTH === '1',
    skipLp: process.env.BENCH_SKIP_LP === '1',
    skipInspect: process.env.BENCH_SKIP_INSPECT === '1',
    skipDetect: process.env.BENCH_SKIP_DETECT === '1',
  };
}

function reproduceCommand(): string {
  const vars = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort();
  return [...vars, 'npm run bench'].join(' ');
}

function machine(): Record<string, string | number> {
  const c = cpus();
  return {
    node: process.version,
    cores: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    kernel: `${process.platform} ${release()}`,
    memoryGB: Number((totalmem() / 2 ** 30).toFixed(1)),
    loadAvgAtStart: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}

/** Starts Warden once (HTTP upstream), checks one answer; returns why it cannot be benchmarked, if so. */
async function wardenProblem(env: BenchEnv): Promise<string | undefined> {
  if (!existsSync(wardenCli(env))) return `${wardenCli(env)} not found (Warden CLI not built yet)`;
  try {
    const running = await startContender('warden-http', env);
    try {
      const session = await initialize(running.url);
      await callOnce(session, 'echo', 'preflight');
    } finally {
      await running.stop();
    }
    return undefined;
  } catch (err) {
    return `Warden did not start or answer: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const s = settings();
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const tmpDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  const skipped: Partial<Record<ContenderId | 'auth' | 'lp' | 'inspect' | 'detect' | 'churn', string>> = {};
  let mcpProxyBin: string | undefined;
  if (s.contenders.includes('mcp-proxy')) {
    try {
      mcpProxyBin = ensureMcpProxy(
        root,
        process.env.BENCH_CACHE_DIR ?? join(tmpdir(), 'warden-bench-cache'),
        log,
      );
    } catch (err) {
      skipped['mcp-proxy'] = `mcp-proxy unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const nginx = findNginx();
  if (nginx === undefined) skipped.nginx = 'nginx not installed (apt-get install -y nginx)';
  const env: BenchEnv = {
    root,
    tmpDir,
    node: process.execPath,
    ...(nginx !== undefined ? { nginx } : {}),
    ...(mcpProxyBin !== undefined ? { mcpProxyBin } : {}),
  };

  const wantsWarden =
    s.contenders.some((c) => c.startsWith('warden')) ||
    !s.skipChurn ||
    !s.skipAuth ||
    !s.skipLp ||
    !s.skipInspect;
  const wardenWhy = wantsWarden ? await wardenProblem(env) : undefined;
  if (wardenWhy !== undefined) {
    log(`SKIPPING Warden rows and churn: ${wardenWhy}`);
    skipped['warden-http'] = wardenWhy;
    skipped['warden-stdio'] = wardenWhy;
    skipped.churn = wardenWhy;
    skipped.auth = wardenWhy;
    skipped.lp = wardenWhy;
    skipped.inspect = wardenWhy;
  }
  for (const [id, why] of Object.entries(skipped))
    if (id !== 'churn' && id !== 'auth' && id !== 'lp' && id !== 'inspect' && !id.startsWith('warden'))
      log(`SKIPPING ${id}: ${why}`);
  const active = s.contenders.filter((c) => skipped[c] === undefined);

  log(
    `bench: ${s.rounds} rounds × ${active.length} contenders × 2 workloads, ${s.durationSec} s per cell (+${s.warmupSec} s warm-up), ${s.connections} connections`,
  );
  const rounds: ContenderRound[] = [];
  for (let r = 0; r < s.rounds; r++) {
    const k = active.length === 0 ? 0 : r % active.length;
    const order = [...active.slice(k), ...active.slice(0, k)];
    log(`round ${r + 1}/${s.rounds}: ${order.join(', ')}`);
    for (const id of order) rounds.push(await measureContender(id, r, env, s, log));
  }

  let auth: AuthBenchResult | undefined;
  if (s.skipAuth) skipped.auth ??= 'BENCH_SKIP_AUTH=1';
  if (skipped.auth === undefined) {
    try {
      auth = await runAuthBench({ ...authSettingsFromEnv(), env, log });
      writeAuthResult(root, auth);
    } catch (err) {
      skipped.auth = `auth step failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  let lp: LpBenchResult | undefined;
  if (s.skipLp) skipped.lp ??= 'BENCH_SKIP_LP=1';
  if (skipped.lp === undefined) {
    try {
      lp = await runLpBench({ ...lpSettingsFromEnv(), env, log });
      writeLpResult(root, lp);
    } catch (err) {
      skipped.lp = `least-privilege step failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  let inspect: InspectBenchResult | undefined;
  if (s.skipInspect) skipped.inspect ??= 'BENCH_SKIP_INSPECT=1';
  if (skipped.inspect === undefined) {
    try {
      inspect = await runInspectBench({ ...inspectSettingsFromEnv(), env, log });
      writeInspectResult(root, inspect);
    } catch (err) {
      skipped.inspect = `inspection step failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  // In process, no Warden needed: the local text detectors' MB/s on generated mixed text.
  let detect: DetectRow[] | undefined;
  const detectMb = s.quick && process.env.BENCH_DETECT_MB === undefined ? 2 : undefined;
  if (s.skipDetect) skipped.detect = 'BENCH_SKIP_DETECT=1';
  else {
    log('detectors: MB/s of each local text detector on generated mixed text');
    detect = runDetectBench(detectMb);
  }

  let churn: ChurnResult | undefined;
  if (s.skipChurn) skipped.churn ??= 'BENCH_SKIP_CHURN=1';
  if (skipped.churn === undefined) {
    log(
      `churn: ${s.churnCycles} initialize/DELETE cycles against Warden (stdio, share: session), concurrency ${s.churnConcurrency}`,
    );
    try {
      churn = await runChurn({
        env,
        cycles: s.churnCycles,
        concurrency: s.churnConcurrency,
        warmupCycles: Math.min(200, Math.ceil(s.churnCycles / 10)),
        server: churnServerFromEnv(),
        log,
      });
    } catch (err) {
      skipped.churn = `churn failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  const rows = aggregate(rounds, CONTENDER_IDS);
  const ratios = [
    ratio(rows, rounds, 'warden-http', 'thin-proxy', 'echo', 0.7),
    ratio(rows, rounds, 'warden-http', 'thin-proxy', 'blob64k'),
    ratio(rows, rounds, 'warden-stdio', 'mcp-proxy', 'echo'),
    ratio(rows, rounds, 'warden-stdio', 'mcp-proxy', 'blob64k'),
  ].filter((x): x is Ratio => x !== undefined);
  const wardenRss = (['warden-http', 'warden-stdio'] as const).map((id) => ({
    contender: id,
    rssAfterMB: spread(
      rounds
        .filter((r) => r.contender === id && r.proxyRssAfter !== undefined)
        .map((r) => (r.proxyRssAfter ?? 0) / 2 ** 20),
    ),
  }));
  const failures = rounds
    .filter((r) => r.failure !== undefined)
    .map((r) => ({ round: r.round + 1, contender: r.contender, failure: r.failure }));
  const totalSeconds = (performance.now() - t0) / 1000;
  const facts = machine();

  out();
  out(`Warden benchmark — ${new Date().toISOString()}`);
  out(`reproduce: ${reproduceCommand()}`);
  out(
    `machine: node ${facts.node}, ${facts.cores} cores (${facts.cpuModel}), ${facts.kernel}, ${facts.memoryGB} GB, load avg at start ${facts.loadAvgAtStart}, now ${loadavg()[0]?.toFixed(2) ?? '?'}`,
  );
  out(
    `method: ${s.rounds} rounds, rotated order, ${s.durationSec} s per cell after ${s.warmupSec} s warm-up, ${s.connections} connections; medians (min–max across rounds)`,
  );
  out();
  for (const line of formatTable(rows)) out(line);
  out();
  for (const r of ratios) out(formatRatio(r));
  for (const w of wardenRss) {
    if (w.rssAfterMB === undefined) continue;
    out(
      `${CONTENDERS[w.contender].label} RSS after the load runs: median ${w.rssAfterMB.median.toFixed(1)} MB, max ${w.rssAfterMB.max.toFixed(1)} MB (target ≤ 250 MB: ${w.rssAfterMB.max <= 250 ? 'PASS' : 'FAIL'})`,
    );
  }
  if (auth !== undefined) {
    out();
    out(
      `authentication (Warden → raw HTTP upstream, echo; ${auth.settings.rounds} rounds, rotated order, fresh processes per cell):`,
    );
    for (const line of formatAuthLines(auth)) out(`  ${line}`);
  }
  if (lp !== undefined) {
    out();
    out(
      `least privilege (Warden → raw HTTP upstream, echo, auth none; ${lp.settings.rounds} rounds, rotated order, fresh processes per cell):`,
    );
    for (const line of formatLpLines(lp)) out(`  ${line}`);
  }
  if (inspect !== undefined) {
    out();
    out('content inspection (Warden → raw HTTP upstream, echo, auth none):');
    for (const line of formatInspectLines(inspect)) out(`  ${line}`);
  }
  if (detect !== undefined) {
    out();
    for (const line of formatDetectLines(detect, detectMb)) out(line);
  }
  if (churn !== undefined) {
    out();
    out('churn (Warden → stdio, share: session):');
    for (const line of formatChurn(churn)) out(`  ${line}`);
  }
  const problems = rows.filter((r) => r.errors > 0);
  if (problems.length > 0 || failures.length > 0 || Object.keys(skipped).length > 0) out();
  for (const r of problems)
    out(`errors: ${r.label} ${r.workload}: ${r.errors} of ${r.responses} (first: ${r.firstProblem ?? '?'})`);
  for (const f of failures) out(`failed: round ${f.round} ${f.contender}: ${f.failure ?? ''}`);
  for (const [id, why] of Object.entries(skipped)) out(`skipped: ${id}: ${why}`);

  const resultsDir = join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const json = {
    generatedAt: new Date().toISOString(),
    command: reproduceCommand(),
    machine: { ...facts, loadAvgAtEnd: loadavg()[0] },
    settings: s,
    rows,
    ratios,
    wardenRssAfterLoads: wardenRss,
    auth: auth ?? null,
    leastPrivilege: lp ?? null,
    inspection: inspect ?? null,
    detectors: detect ?? null,
    churn: churn ?? null,
    skipped,
    failures,
    rounds,
    totalSeconds,
  };
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
  out();
  out(`total time ${totalSeconds.toFixed(0)} s; results written to bench/results/latest.json`);
  if (process.env.BENCH_KEEP_TMP === '1' || failures.length > 0) out(`logs and configs kept in ${tmpDir}`);
  else rmSync(tmpDir, { recursive: true, force: true });
}

process.on('exit', killAllStarted);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllStarted();
    process.exit(130);
  });
}

main().catch((err: unknown) => {
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
