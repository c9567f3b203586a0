/**
 * Least privilege measured in the bench process (issue 4 "Speed"): the CPU that the limits stage,
 * the policy stage and schema validation add to one echo `tools/call`, built from the same config
 * blocks as the end-to-end cell `on` of bench/least-privilege.ts. Each call builds a fresh
 * exchange, runs limits → policy → input validation → output validation → limits release, exactly
 * the work the pipeline does per call; the baseline builds the exchange and nothing else.
 */
import { parseConfigText } from '../../src/config/load.js';
import type { Exchange } from '../../src/core/exchange.js';
import { startExchange } from '../../src/core/exchange.js';
import type { JsonRpcRequest } from '../../src/core/jsonrpc.js';
import { silentLogger } from '../../src/core/log.js';
import { limitsStage } from '../../src/stages/limits/index.js';
import { policyStage } from '../../src/stages/policy/index.js';
import { createToolValidation } from '../../src/stages/validate/index.js';
import { cpuFigure, cpuPerCall } from './cpu.js';
import type { CpuFigure } from './cpu.js';

/** The limits of cell `on`: far above what any load reaches, so every request counts and none is refused. */
export const LP_LIMITS_YAML = `limits:
  rate: { perPrincipal: { points: 100000000, durationSec: 60 } }
  concurrency: { perPrincipal: 10000 }
`;

/**
 * The policy of cell `on`. The allow rule names the anonymous principal of `auth: none`
 * (`local|anonymous`) and constrains the echo argument, so the evaluator does the work of a real
 * allow; a deny rule and a second allow rule make it more than a single-rule scan.
 */
export const LP_POLICY_YAML = `policy:
  roles:
    readers: { roles: [bench.reader] }
  rules:
    - id: bench-echo
      effect: allow
      who: { principals: ['local|anonymous'] }
      servers: [bench]
      tools: [echo]
      arguments:
        text: { maxLength: 1024 }
    - id: bench-readers
      effect: allow
      who: { roles: [readers] }
      servers: [bench]
      tools: ['read_*']
    - id: no-delete
      effect: deny
      tools: ['delete_*', blob64k]
`;

/** A realistic echo tool: one required string argument, nothing else accepted, a structured result. */
const ECHO_TOOL = {
  name: 'echo',
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string', maxLength: 4096 } },
    required: ['text'],
    additionalProperties: false,
  },
  outputSchema: {
    type: 'object',
    properties: { text: { type: 'string' } },
    required: ['text'],
  },
};

/** What the in-process step measured, CPU µs per echo call. */
export interface LpInProcessResult {
  readonly calls: number;
  readonly repetitions: number;
  /** Limits, policy and validation together (the issue's ≤ 30 µs). */
  readonly together: CpuFigure;
  readonly limits: CpuFigure;
  readonly policy: CpuFigure;
  readonly validation: CpuFigure;
}

function exchangeFor(i: number): Exchange {
  const message: JsonRpcRequest = {
    jsonrpc: '2.0',
    id: i,
    method: 'tools/call',
    params: { name: 'echo', arguments: { text: `hello ${i}` } },
  };
  return startExchange({
    id: `bench-${i}`,
    transport: 'http',
    endpoint: '/mcp/bench',
    endpointServer: 'bench',
    http: { method: 'POST', path: '/mcp/bench', headers: {}, remoteAddress: '127.0.0.1' },
    message,
    protocolVersion: '2025-11-25',
    time: '',
  });
}

/** Measures the three parts alone and together. */
export async function measureLpInProcess(opts: {
  calls: number;
  repetitions: number;
}): Promise<LpInProcessResult> {
  const yaml = `auth: { mode: none }
servers:
  bench: { url: 'http://127.0.0.1:9/mcp' }
validation: { input: true, output: true }
${LP_LIMITS_YAML}${LP_POLICY_YAML}`;
  const parsed = parseConfigText(yaml);
  if (parsed.config === undefined) throw new Error(`bench config: ${JSON.stringify(parsed.problems)}`);
  const cfg = parsed.config;
  const limits = limitsStage(cfg.limits);
  if (limits === undefined || cfg.policy === undefined)
    throw new Error('bench config sets no limits or policy');
  const policy = policyStage(cfg.policy, cfg.servers, {
    resolve: (_ex, _kind, name) => ({ server: 'bench', name }),
  });
  const validation = createToolValidation(cfg.validation, silentLogger);
  const result = { content: [{ type: 'text', text: 'hello' }], structuredContent: { text: 'hello' } };

  const runLimits = async (ex: Exchange): Promise<void> => {
    await limits.request?.(ex);
    limits.end(ex);
  };
  const runPolicy = async (ex: Exchange): Promise<void> => {
    await policy.request?.(ex);
    if (ex.audit.decisions[0]?.decision !== 'allow') throw new Error('bench call not allowed by policy');
  };
  const runValidation = (ex: Exchange): void => {
    const args = (ex.message as JsonRpcRequest).params?.arguments;
    const bad =
      validation.checkInput('bench', 'echo', ECHO_TOOL, args) ??
      validation.checkOutput('bench', 'echo', ECHO_TOOL, result);
    if (bad !== undefined) throw new Error(`bench call refused by validation: ${bad}`);
  };
  const together = async (ex: Exchange): Promise<void> => {
    await limits.request?.(ex);
    await policy.request?.(ex);
    runValidation(ex);
    limits.end(ex);
  };
  const parts = { together, limits: runLimits, policy: runPolicy, validation: runValidation };
  const samples: Record<keyof typeof parts, number[]> = {
    together: [],
    limits: [],
    policy: [],
    validation: [],
  };
  // Warm every path (schema compiled, rules and limiter keys created) before measuring.
  for (const op of Object.values(parts)) for (let i = 0; i < 200; i++) await op(exchangeFor(i));
  for (let rep = 0; rep < opts.repetitions; rep++) {
    for (const [name, op] of Object.entries(parts) as [keyof typeof parts, (ex: Exchange) => unknown][]) {
      const base = Array.from({ length: opts.calls }, (_, i) => i);
      // The exchange is built inside both runs, so the difference is the stages' work alone.
      const withStage = await cpuPerCall(base, (i) => op(exchangeFor(i)));
      const bare = await cpuPerCall(base, (i) => exchangeFor(i));
      samples[name].push(withStage - bare);
    }
  }
  return {
    calls: opts.calls,
    repetitions: opts.repetitions,
    together: cpuFigure(samples.together),
    limits: cpuFigure(samples.limits),
    policy: cpuFigure(samples.policy),
    validation: cpuFigure(samples.validation),
  };
}

/** Printable lines, judged against the ≤ 30 µs target. */
export function formatLpInProcess(r: LpInProcessResult, targetUs: number): string[] {
  const f = (x: CpuFigure): string => `${x.median.toFixed(1)} µs (${x.min.toFixed(1)}–${x.max.toFixed(1)})`;
  return [
    `in-process CPU per echo call (${r.repetitions} repetitions × ${r.calls} calls, 10 in flight):`,
    `  limits + policy + validation .. ${f(r.together)}  ${r.together.median <= targetUs ? 'met' : 'MISSED'} (≤ ${targetUs} µs)`,
    `    limits alone ............... ${f(r.limits)}`,
    `    policy alone ............... ${f(r.policy)}`,
    `    validation alone ........... ${f(r.validation)}`,
  ];
}
