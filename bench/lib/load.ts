/**
 * One load run: autocannon POSTing `tools/call` bodies over a fixed number of keep-alive
 * connections for a fixed time, with exact latency percentiles and sampled answer checks.
 */
import autocannon from 'autocannon';
import { checkToolResult, looksLikeRpcError, toolCallBody } from './mcp.js';
import type { McpSession, Workload } from './mcp.js';

/** Parameters of a load run. */
export interface LoadOptions {
  readonly session: McpSession;
  readonly workload: Workload;
  readonly connections: number;
  readonly durationSec: number;
  /** Every n-th response is parsed and compared in full; the rest get a cheap check. */
  readonly checkEvery?: number;
  /** The full check (default `checkToolResult` of the workload): why a body is wrong, or undefined. */
  readonly check?: (body: string) => string | undefined;
  /** When set, called once per request for its `Authorization` header value (e.g. a fresh token each time). */
  readonly authorization?: () => string;
}

/** What a load run measured. */
export interface LoadResult {
  /** 2xx responses that passed the checks applied to them. */
  readonly ok: number;
  /** Every response received (ok or not). */
  readonly responses: number;
  readonly seconds: number;
  readonly rps: number;
  /** Latency percentiles over all responses, in milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** Socket errors and timeouts reported by autocannon. */
  readonly transportErrors: number;
  /** JSON-RPC errors or wrong answers found by the checks. */
  readonly badAnswers: number;
  /** How many responses were checked in full. */
  readonly checked: number;
  readonly firstProblem?: string;
}

/** Percentile `q` (0..1) of an ascending sorted array, nearest-rank. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Runs one load against `opts.session` and resolves with its figures. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const checkEvery = Math.max(1, opts.checkEvery ?? 10);
  const check = opts.check ?? ((body: string) => checkToolResult(opts.workload, body));
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let seen = 0;
  let bad = 0;
  let checked = 0;
  let non2xx = 0;
  let firstProblem: string | undefined;
  const problem = (why: string): void => {
    bad++;
    firstProblem ??= why;
  };

  const authorization = opts.authorization;
  const instance = autocannon({
    url: opts.session.url,
    connections: opts.connections,
    duration: opts.durationSec,
    timeout: 10,
    method: 'POST',
    headers: opts.session.headers,
    body: toolCallBody(opts.workload, '[<id>]'),
    idReplacement: true,
    requests: [
      {
        ...(authorization !== undefined
          ? {
              setupRequest: (req) => {
                // autocannon hands over a fresh headers object for every request it builds.
                (req.headers ??= {}).authorization = authorization();
                return req;
              },
            }
          : {}),
        onResponse: (status, body) => {
          seen++;
          if (status < 200 || status > 299) {
            non2xx++;
            firstProblem ??= `HTTP ${status}: ${body.slice(0, 160)}`;
            return;
          }
          if (seen % checkEvery === 0) {
            checked++;
            const why = check(body);
            if (why !== undefined) problem(why);
          } else if (body.length === 0) {
            problem('empty body');
          } else if (looksLikeRpcError(body)) {
            problem(check(body) ?? 'JSON-RPC error');
          }
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    if (count === latencies.length) {
      const next = new Float64Array(latencies.length * 2);
      next.set(latencies);
      latencies = next;
    }
    latencies[count++] = ms;
  });
  const result = await instance;
  const sorted = latencies.slice(0, count).sort();
  const seconds = result.duration > 0 ? result.duration : opts.durationSec;
  const transportErrors = result.errors + result.timeouts;
  if (transportErrors > 0) firstProblem ??= `${result.errors} socket errors, ${result.timeouts} timeouts`;
  const ok = Math.max(0, count - non2xx - bad);
  const base = {
    ok,
    responses: count,
    seconds,
    rps: ok / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    non2xx,
    transportErrors,
    badAnswers: bad,
    checked,
  };
  return firstProblem === undefined ? base : { ...base, firstProblem };
}
