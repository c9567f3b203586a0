/**
 * The part of autocannon 9's programmatic API the benchmark uses (the package ships no types).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    /** One entry of `requests`; inherits method, headers and body from the options. */
    interface RequestSpec {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called before each request is built (with idReplacement or a setupRequest, every request is rebuilt); returns the request to send. */
      setupRequest?: (req: RequestSpec, context: Record<string, unknown>) => RequestSpec;
      /** Called with every response of this request (the body is collected either way). */
      onResponse?: (
        status: number,
        body: string,
        context: Record<string, unknown>,
        headers: Record<string, string>,
      ) => void;
    }

    /** Options of one run. */
    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Seconds before a request counts as a timeout. */
      timeout?: number;
      pipelining?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Replace `[<id>]` in the body with a fresh unique id on every request. */
      idReplacement?: boolean;
      requests?: RequestSpec[];
    }

    /** Percentile summary of one histogram. */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
      sent?: number;
    }

    /** The aggregated result of one run. */
    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      latency: Histogram;
      requests: Histogram;
      throughput: Histogram;
      statusCodeStats: Record<string, { count: number }>;
    }

    /** A running load: an event emitter that is also a promise of the result. */
    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
    }
  }

  function autocannon(opts: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
