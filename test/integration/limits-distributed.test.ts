/**
 * Limits across replicas: two running Wardens (A and B) on one real Redis (REDIS_URL) with one key
 * prefix, in front of one recording upstream. A rate, a concurrency cap and a daily budget spent
 * through A are spent through B, and the refusal never reaches the upstream. With Redis unreachable
 * a request is refused with 503 ERR_LIMIT_UNAVAILABLE (fail closed) unless `limits.failOpen`, whose
 * every pass is in the audit record.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import type { AuditRecord } from '../../src/core/exchange.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordingUpstream, RecordingUpstreamOptions } from '../fixtures/servers/recording-http.js';
import { freePort, startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';
import { modernMeta, modernPost } from '../helpers/modern.js';

const REDIS_URL = process.env.REDIS_URL ?? '';
const EP = '/mcp/rec';
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A fresh key prefix for one test; its keys are deleted afterwards. */
function freshPrefix(): string {
  const p = `warden-test:${randomUUID()}:`;
  cleanup.push(async () => {
    const r = new Redis(REDIS_URL);
    const keys = await r.keys(`${p}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  });
  return p;
}

async function upstream(opts: RecordingUpstreamOptions = {}): Promise<RecordingUpstream> {
  const up = await startRecordingUpstream(opts);
  cleanup.push(() => up.close());
  return up;
}

/** A Warden on the shared store in front of `up`. */
async function replica(
  up: RecordingUpstream,
  limits: NonNullable<ConfigInput['limits']>,
  redis: NonNullable<ConfigInput['redis']>,
): Promise<TestWarden> {
  const w = await startTestWarden({
    limits: { store: 'redis', ...limits },
    redis,
    servers: { rec: { url: up.url } },
  });
  cleanup.push(() => w.close());
  return w;
}

/** Two replicas of one deployment: same Redis, same prefix. */
async function pair(
  up: RecordingUpstream,
  limits: NonNullable<ConfigInput['limits']>,
): Promise<[TestWarden, TestWarden]> {
  const redis = { url: REDIS_URL, keyPrefix: freshPrefix() };
  return [await replica(up, limits, redis), await replica(up, limits, redis)];
}

function calls(up: RecordingUpstream): number {
  return up.requests.filter((r) => r.body.includes('"tools/call"')).length;
}

interface Answer {
  status: number;
  headers: Headers;
  body: {
    error?: {
      code: number;
      message: string;
      data?: { code?: string; limit?: string; retryAfterMs?: number };
    };
    result?: unknown;
  };
}

/** One 2026-07-28 sessionless `tools/call echo` (one request: no initialize to count). */
async function call(w: TestWarden, id: number, args: Record<string, unknown> = {}): Promise<Answer> {
  const res = await modernPost<Answer['body']>(w.url + EP, id, 'tools/call', {
    name: 'echo',
    arguments: { text: 'hi', ...args },
    _meta: modernMeta({ name: 't', version: '1' }),
  });
  return { status: res.status, headers: res.headers, body: res.msg };
}

/** The call was forwarded and answered (a JSON-RPC error inside a 200 is not a pass). */
function passes(a: Answer): void {
  expect(a.status).toBe(200);
  expect(a.body.error).toBeUndefined();
  expect(a.body.result).toMatchObject({ content: [{ type: 'text' }] });
}

function lastCall(w: TestWarden): AuditRecord | undefined {
  return w
    .audit()
    .filter((r) => r.method === 'tools/call')
    .at(-1);
}

describe.skipIf(REDIS_URL === '')('limits shared by two Warden replicas (real Redis)', () => {
  it('[limits:distributed] per-principal rate 3/60 s: two calls via A and one via B pass, the fourth via B → 429 ERR_LIMIT_RATE with Retry-After; the upstream saw 3', async () => {
    const up = await upstream();
    const [a, b] = await pair(up, { rate: { perPrincipal: { points: 3, durationSec: 60 } } });
    passes(await call(a, 1));
    passes(await call(a, 2));
    passes(await call(b, 3));
    const refused = await call(b, 4);
    expect(refused.status).toBe(429);
    const ra = Number(refused.headers.get('retry-after'));
    expect(ra).toBeGreaterThanOrEqual(1);
    expect(ra).toBeLessThanOrEqual(60);
    expect(refused.body.error?.code).toBe(-31003);
    expect(refused.body.error?.data).toMatchObject({ code: 'ERR_LIMIT_RATE', limit: 'rate.perPrincipal' });
    expect((await call(a, 5)).status).toBe(429);
    expect(calls(up)).toBe(3);
    expect(lastCall(b)).toMatchObject({ outcome: 'denied', code: 'ERR_LIMIT_RATE' });
  });

  it('[limits:distributed] per-server concurrency 1: a call held open on A makes a call on B fail with ERR_LIMIT_CONCURRENCY; after A’s call ends B’s next call passes', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const up = await upstream({
      delay: (m) => (JSON.stringify(m.params ?? {}).includes('"hold":true') ? gate : undefined),
    });
    const [a, b] = await pair(up, { concurrency: { perServer: 1 } });
    const held = call(a, 1, { hold: true });
    while (calls(up) < 1) await new Promise((r) => setTimeout(r, 10));
    const refused = await call(b, 2);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.error?.data).toMatchObject({
      code: 'ERR_LIMIT_CONCURRENCY',
      limit: 'concurrency.perServer',
    });
    expect(calls(up)).toBe(1);
    open();
    passes(await held);
    // A releases when its exchange ends; the release is one command behind the answer.
    let next = await call(b, 3);
    for (let i = 0; i < 20 && next.status === 429; i++) {
      await new Promise((r) => setTimeout(r, 25));
      next = await call(b, 4 + i);
    }
    passes(next);
    expect(calls(up)).toBe(2);
  });

  it('[limits:distributed] the daily budget spent on A is spent on B', async () => {
    const up = await upstream();
    const [a, b] = await pair(up, { dailyBudget: { perPrincipal: 2 } });
    passes(await call(a, 1));
    passes(await call(a, 2));
    const refused = await call(b, 3);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body.error?.data).toMatchObject({
      code: 'ERR_LIMIT_BUDGET',
      limit: 'dailyBudget.perPrincipal',
    });
    expect(calls(up)).toBe(2);
  });

  it('[limits:distributed] Redis unreachable: Warden starts, and a call is refused with 503 ERR_LIMIT_UNAVAILABLE and never forwarded', async () => {
    const up = await upstream();
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const w = await replica(
      up,
      { rate: { perPrincipal: { points: 100, durationSec: 60 } }, concurrency: { perServer: 5 } },
      { url: dead, keyPrefix: freshPrefix(), connectTimeoutMs: 500 },
    );
    const t0 = Date.now();
    const refused = await call(w, 1);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(refused.status).toBe(503);
    expect(refused.body.error?.message).toMatch(/limit store \(Redis\) did not answer/);
    expect(refused.body.error?.data).toMatchObject({ code: 'ERR_LIMIT_UNAVAILABLE' });
    expect(calls(up)).toBe(0);
    const rec = lastCall(w);
    expect(rec).toMatchObject({ outcome: 'denied', code: 'ERR_LIMIT_UNAVAILABLE', status: 503 });
    expect(rec?.decisions).toContainEqual(expect.objectContaining({ stage: 'limits', decision: 'deny' }));
  });

  it('[limits:distributed] Redis unreachable with limits.failOpen: the call passes and its audit record carries the fail-open decision', async () => {
    const up = await upstream();
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const w = await replica(
      up,
      {
        failOpen: true,
        rate: { perPrincipal: { points: 1, durationSec: 60 } },
        concurrency: { perServer: 1 },
      },
      { url: dead, keyPrefix: freshPrefix(), connectTimeoutMs: 500 },
    );
    passes(await call(w, 1));
    // Unchecked, so a limit of 1 does not refuse the second call either: that is what fail-open means.
    passes(await call(w, 2));
    expect(calls(up)).toBe(2);
    const rec = lastCall(w);
    expect(rec).toMatchObject({ outcome: 'ok' });
    const limits = rec?.decisions.filter((d) => d.stage === 'limits');
    expect(limits).toEqual([
      { stage: 'limits', decision: 'skip', rule: 'limits.failOpen', code: 'ERR_LIMIT_UNAVAILABLE' },
    ]);
  });
});
