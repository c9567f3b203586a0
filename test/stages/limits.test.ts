/**
 * Unit tables for the limits stage: which messages count, the keys of each limit, the exact
 * refusal (code, data, Retry-After), give-back when a later check refuses, in-flight release, and
 * the daily budget's reset hour. Windows run on vitest's fake clock; the budget on an injected one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { startExchange } from '../../src/core/exchange.js';
import type { Exchange, Principal } from '../../src/core/exchange.js';
import type { JsonRpcMessage } from '../../src/core/jsonrpc.js';
import { limitsStage } from '../../src/stages/limits/index.js';
import type { LimitsSettings, LimitsStage } from '../../src/stages/limits/index.js';
import { memoryLimitStore } from '../../src/store/limits.js';
import type { LimitStore } from '../../src/store/limits.js';

function principal(subject: string): Principal {
  return { key: `https://issuer|${subject}`, issuer: 'https://issuer', subject, scopes: [], roles: [] };
}

let nextId = 1;
/** `server` null means the aggregate endpoint `/mcp`. */
function exchange(who: string, message: JsonRpcMessage, server: string | null = 'rec'): Exchange {
  const id = `ex${nextId++}`;
  const endpointServer = server ?? undefined;
  return startExchange({
    id,
    transport: 'http',
    endpoint: endpointServer === undefined ? '/mcp' : `/mcp/${endpointServer}`,
    endpointServer,
    message,
    principal: principal(who),
    time: '',
  });
}

const call = (name: string): JsonRpcMessage => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name },
});
const ping: JsonRpcMessage = { jsonrpc: '2.0', id: 1, method: 'ping' };

function build(settings: LimitsSettings, now?: () => number, store?: LimitStore): LimitsStage {
  const st = limitsStage(settings, {
    ...(now === undefined ? {} : { now }),
    ...(store === undefined ? {} : { store }),
  });
  if (st === undefined) throw new Error('stage expected');
  return st;
}

/**
 * A memory store whose counters named in `down` fail as a shared store does when Redis cannot
 * answer; `calls` logs every operation so a test sees what was given back, released or skipped.
 */
function failingStore(down: ReadonlySet<string>): { store: LimitStore; calls: string[] } {
  const mem = memoryLimitStore();
  const calls: string[] = [];
  const fail = (): never => {
    throw new WardenError('ERR_LIMIT_UNAVAILABLE');
  };
  return {
    calls,
    store: {
      window(name, points, durationSec) {
        const w = mem.window(name, points, durationSec);
        return {
          async take(key, windowSec) {
            calls.push(`take ${name}`);
            if (down.has(name)) fail();
            return w.take(key, windowSec);
          },
          async giveBack(key) {
            calls.push(`giveBack ${name}`);
            if (down.has(name)) fail();
            return w.giveBack(key);
          },
        };
      },
      inflight(name) {
        const c = mem.inflight(name);
        return {
          async acquire(key, max) {
            calls.push(`acquire ${name}`);
            if (down.has(name)) fail();
            return c.acquire(key, max);
          },
          release(key) {
            calls.push(`release ${name}`);
            c.release(key);
          },
        };
      },
    },
  };
}

/** Runs the request phase and returns the refusal, or undefined when allowed. */
async function run(st: LimitsStage, ex: Exchange): Promise<WardenError | undefined> {
  try {
    await st.request?.(ex);
    return undefined;
  } catch (e) {
    if (e instanceof WardenError) return e;
    throw e;
  }
}

describe('limits stage', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 30, 12, 0, 0) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('no limit set → no stage at all (nothing runs per request)', () => {
    expect(limitsStage({})).toBeUndefined();
    expect(limitsStage({ rate: {}, concurrency: {} })).toBeUndefined();
  });

  it('perPrincipal: request N+1 → ERR_LIMIT_RATE with limit, retryAfterMs and Retry-After; another principal has its own counter; the window ends', async () => {
    const st = build({ rate: { perPrincipal: { points: 2, durationSec: 60 } } });
    expect(await run(st, exchange('alice', ping))).toBeUndefined();
    vi.advanceTimersByTime(10_000);
    expect(await run(st, exchange('alice', call('echo')))).toBeUndefined();
    const err = await run(st, exchange('alice', ping));
    expect(err?.code).toBe('ERR_LIMIT_RATE');
    expect(err?.status).toBe(429);
    expect(err?.rpcCode).toBe(-31003);
    expect(err?.data).toEqual({ limit: 'rate.perPrincipal', retryAfterMs: 50_000 });
    expect(err?.headers).toEqual({ 'retry-after': '50' });
    expect(err?.message).toMatch(/rate\.perPrincipal: 2 requests per 60 s/);
    expect(await run(st, exchange('bob', ping))).toBeUndefined();
    vi.advanceTimersByTime(50_000);
    expect(await run(st, exchange('alice', ping))).toBeUndefined();
  });

  it('notifications and responses are never counted or refused', async () => {
    const st = build({ rate: { global: { points: 1, durationSec: 60 } }, concurrency: { perPrincipal: 1 } });
    expect(await run(st, exchange('alice', ping))).toBeUndefined();
    const note: JsonRpcMessage = {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1 },
    };
    const resp: JsonRpcMessage = { jsonrpc: '2.0', id: 7, result: {} };
    for (let i = 0; i < 5; i++) {
      expect(await run(st, exchange('alice', note))).toBeUndefined();
      expect(await run(st, exchange('alice', resp))).toBeUndefined();
    }
  });

  it('perTool counts only tools/call, per tool of each server, all principals together', async () => {
    const st = build({ rate: { perTool: { points: 1, durationSec: 60 } } });
    expect(await run(st, exchange('alice', call('echo')))).toBeUndefined();
    expect((await run(st, exchange('bob', call('echo'))))?.data).toMatchObject({ limit: 'rate.perTool' });
    expect(await run(st, exchange('bob', call('other')))).toBeUndefined();
    expect(await run(st, exchange('bob', call('echo'), 'rec2'))).toBeUndefined();
    // The aggregate endpoint names the same tool `rec__echo`.
    expect((await run(st, exchange('carol', call('rec__echo'), null)))?.code).toBe('ERR_LIMIT_RATE');
    expect(await run(st, exchange('carol', ping))).toBeUndefined();
  });

  it('perServer on the aggregate endpoint reads the server from the exposed name; lists are not per-server', async () => {
    const st = build({ rate: { perServer: { points: 1, durationSec: 60 } } });
    expect(await run(st, exchange('alice', call('a__echo'), null))).toBeUndefined();
    expect((await run(st, exchange('bob', call('a__x'), null)))?.data).toMatchObject({
      limit: 'rate.perServer',
    });
    expect(await run(st, exchange('bob', call('b__echo'), null))).toBeUndefined();
    expect(
      await run(st, exchange('bob', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, null)),
    ).toBeUndefined();
  });

  it('a request refused by a later limit gives back what the earlier limits took', async () => {
    const st = build({
      rate: { global: { points: 3, durationSec: 60 }, perPrincipal: { points: 1, durationSec: 60 } },
    });
    expect(await run(st, exchange('alice', ping))).toBeUndefined();
    expect((await run(st, exchange('alice', ping)))?.data).toMatchObject({ limit: 'rate.perPrincipal' });
    // Without the give-back alice's refused request would have spent the third global point.
    expect(await run(st, exchange('bob', ping))).toBeUndefined();
    expect(await run(st, exchange('carol', ping))).toBeUndefined();
    const err = await run(st, exchange('dave', ping));
    expect(err?.data).toEqual({ limit: 'rate.global', retryAfterMs: 60_000 });
  });

  it('concurrency: the call over the cap is refused with Retry-After 1; end() releases; a refusal holds nothing', async () => {
    const st = build({ concurrency: { perPrincipal: 1, perServer: 2 } });
    const first = exchange('alice', call('echo'));
    expect(await run(st, first)).toBeUndefined();
    const err = await run(st, exchange('alice', call('echo')));
    expect(err?.code).toBe('ERR_LIMIT_CONCURRENCY');
    expect(err?.status).toBe(429);
    expect(err?.data).toEqual({ limit: 'concurrency.perPrincipal', retryAfterMs: 1000 });
    expect(err?.headers).toEqual({ 'retry-after': '1' });
    const bob = exchange('bob', call('echo'));
    expect(await run(st, bob)).toBeUndefined();
    // carol's own cap is free, but the server's (2) is full: she must not keep her principal slot.
    const carol = exchange('carol', call('echo'));
    expect((await run(st, carol))?.data).toMatchObject({ limit: 'concurrency.perServer' });
    st.end(carol);
    st.end(first);
    st.end(first); // a second end changes nothing
    expect(await run(st, exchange('carol', call('echo')))).toBeUndefined();
    expect((await run(st, exchange('alice', call('echo'))))?.code).toBe('ERR_LIMIT_CONCURRENCY');
    st.end(bob);
  });

  it('a rate refusal releases the in-flight slot it had taken', async () => {
    const st = build({
      concurrency: { perPrincipal: 1 },
      rate: { perPrincipal: { points: 1, durationSec: 60 } },
    });
    const a = exchange('alice', ping);
    expect(await run(st, a)).toBeUndefined();
    st.end(a);
    expect((await run(st, exchange('alice', ping)))?.code).toBe('ERR_LIMIT_RATE');
    vi.advanceTimersByTime(60_000);
    // Had the refused request kept its slot, this one would be refused for concurrency.
    expect(await run(st, exchange('alice', ping))).toBeUndefined();
  });

  it('daily budget: tools/call only, per principal, resets at resetHourUtc with Retry-After to the reset', async () => {
    let t = Date.UTC(2026, 10, 30, 5, 0, 0);
    const st = build({ dailyBudget: { perPrincipal: 2, resetHourUtc: 6 } }, () => t);
    expect(await run(st, exchange('alice', call('echo')))).toBeUndefined();
    expect(await run(st, exchange('alice', ping))).toBeUndefined();
    expect(await run(st, exchange('alice', call('echo')))).toBeUndefined();
    const err = await run(st, exchange('alice', call('other')));
    expect(err?.code).toBe('ERR_LIMIT_BUDGET');
    expect(err?.status).toBe(429);
    expect(err?.data).toEqual({ limit: 'dailyBudget.perPrincipal', retryAfterMs: 3_600_000 });
    expect(err?.headers).toEqual({ 'retry-after': '3600' });
    expect(err?.message).toMatch(/resets at 06:00 UTC/);
    expect(await run(st, exchange('bob', call('echo')))).toBeUndefined();
    t = Date.UTC(2026, 10, 30, 6, 0, 0);
    expect(await run(st, exchange('alice', call('echo')))).toBeUndefined();
  });

  it('store unavailable, fail closed: 503 ERR_LIMIT_UNAVAILABLE, the slot and the points already taken are given back', async () => {
    const { store, calls } = failingStore(new Set(['rate.perPrincipal']));
    const settings: LimitsSettings = {
      concurrency: { perPrincipal: 1 },
      rate: { global: { points: 5, durationSec: 60 }, perPrincipal: { points: 5, durationSec: 60 } },
    };
    const st = build(settings, undefined, store);
    const err = await run(st, exchange('alice', ping));
    expect(err?.code).toBe('ERR_LIMIT_UNAVAILABLE');
    expect(err?.status).toBe(503);
    expect(calls).toEqual([
      'acquire concurrency.perPrincipal',
      'take rate.global',
      'take rate.perPrincipal',
      'release concurrency.perPrincipal',
      'giveBack rate.global',
    ]);
  });

  it('store unavailable, failOpen: the request passes unchecked, one skip decision names the rule, later checks are not tried', async () => {
    const { store, calls } = failingStore(new Set(['concurrency.perServer']));
    const st = build(
      {
        failOpen: true,
        concurrency: { perPrincipal: 1, perServer: 1 },
        rate: { perPrincipal: { points: 1, durationSec: 60 } },
      },
      undefined,
      store,
    );
    const ex = exchange('alice', call('echo'));
    expect(await run(st, ex)).toBeUndefined();
    expect(ex.audit.decisions).toEqual([
      { stage: 'limits', decision: 'skip', rule: 'limits.failOpen', code: 'ERR_LIMIT_UNAVAILABLE' },
    ]);
    expect(calls).toEqual(['acquire concurrency.perPrincipal', 'acquire concurrency.perServer']);
    // The slot it did get is held and released with the exchange.
    expect((await run(st, exchange('alice', ping)))?.code).toBe('ERR_LIMIT_CONCURRENCY');
    st.end(ex);
    expect(calls.at(-1)).toBe('release concurrency.perPrincipal');
  });

  it('a fault that is not the store being unavailable is not failed open', async () => {
    const st = build({ failOpen: true, rate: { global: { points: 1, durationSec: 60 } } }, undefined, {
      window: () => ({
        take: () => Promise.reject(new Error('bug')),
        giveBack: () => Promise.resolve(),
      }),
      inflight: () => ({ acquire: () => true, release: () => undefined }),
    });
    await expect(st.request?.(exchange('alice', ping))).rejects.toThrow('bug');
  });
});
