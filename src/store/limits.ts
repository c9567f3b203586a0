/**
 * Where the limits stage keeps its counters. The stage talks only to the small `LimitStore`
 * interface; `memoryLimitStore` is the one-process store (rate-limiter-flexible's memory limiter for
 * windows, plain counters for in-flight calls). The shared store for replicas is
 * `redisLimitStore` in `limits-redis.ts`, behind the same interface.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/** The outcome of taking one point from a window counter. */
export interface Take {
  /** True when the point was within the window's allowance. */
  readonly ok: boolean;
  /** Milliseconds until the key's window ends (0 when unknown). */
  readonly msBeforeNext: number;
}

/**
 * A fixed-window counter: `points` per window, one key per subject (principal, server, tool…). A
 * shared store rejects with `ERR_LIMIT_UNAVAILABLE` when it cannot answer.
 */
export interface WindowCounter {
  /** Takes one point for `key`; `windowSec` overrides the window length when the key's window starts. */
  take(key: string, windowSec?: number): Promise<Take>;
  /** Gives back one point taken for `key` (a later check refused the request). */
  giveBack(key: string): Promise<void>;
}

/**
 * An in-flight counter with a cap per key. `acquire` answers synchronously when the counts are in
 * this process (no promise per request) and with a promise when they are shared; a shared store
 * rejects with `ERR_LIMIT_UNAVAILABLE` when it cannot answer.
 */
export interface InflightCounter {
  /** Counts one more in flight for `key` and yields true, or yields false (nothing counted) at `max`. */
  acquire(key: string, max: number): boolean | Promise<boolean>;
  /** Counts one fewer in flight for `key`; never below zero, never throws (a shared store logs). */
  release(key: string): void;
}

/** The counters a limits stage needs; one store per Warden process (or one shared store). */
export interface LimitStore {
  /** A window counter named `name` allowing `points` per `durationSec` seconds. */
  window(name: string, points: number, durationSec: number): WindowCounter;
  /** An in-flight counter named `name`. */
  inflight(name: string): InflightCounter;
}

/**
 * A window counter over a rate-limiter-flexible limiter (memory or Redis). `fault` turns a
 * limiter failure into what `take` and `giveBack` reject with (default: the failure itself).
 */
export function limiterWindow(
  rl: RateLimiterAbstract,
  fault: (err: unknown) => unknown = (e) => e,
): WindowCounter {
  return {
    async take(key, windowSec) {
      try {
        const r = await rl.consume(key, 1, windowSec === undefined ? {} : { customDuration: windowSec });
        return { ok: true, msBeforeNext: Math.max(r.msBeforeNext, 0) };
      } catch (e) {
        // The library rejects with its result object when the window is spent; anything else is a fault.
        if (e instanceof RateLimiterRes) return { ok: false, msBeforeNext: Math.max(e.msBeforeNext, 0) };
        throw fault(e);
      }
    },
    async giveBack(key) {
      try {
        await rl.reward(key, 1);
      } catch (e) {
        throw fault(e);
      }
    },
  };
}

function memoryWindow(name: string, points: number, durationSec: number): WindowCounter {
  return limiterWindow(new RateLimiterMemory({ keyPrefix: name, points, duration: durationSec }));
}

function memoryInflight(): InflightCounter {
  const counts = new Map<string, number>();
  return {
    acquire(key, max) {
      const n = counts.get(key) ?? 0;
      if (n >= max) return false;
      counts.set(key, n + 1);
      return true;
    },
    release(key) {
      const n = counts.get(key) ?? 0;
      // Deleting at zero keeps the map as small as the set of callers with calls in flight.
      if (n <= 1) counts.delete(key);
      else counts.set(key, n - 1);
    },
  };
}

/** The in-process store: counters live in this process and are lost on restart. */
export function memoryLimitStore(): LimitStore {
  return { window: memoryWindow, inflight: () => memoryInflight() };
}
