/**
 * The shared limit store against a real Redis (REDIS_URL): two store instances on two clients play
 * two replicas. Windows are shared and exact, give-back and custom durations hold, the in-flight
 * cap holds under concurrent acquires from both replicas, a release never takes the count below
 * zero or removes another replica's call, a dead replica's calls drain by themselves, and a Redis
 * that is gone or stops answering fails fast with ERR_LIMIT_UNAVAILABLE.
 */
import { randomUUID } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { leaseTtlMs, redisLimitStore } from '../../src/store/limits-redis.js';
import type { LimitStore } from '../../src/store/limits.js';
import { connectRedis } from '../../src/store/redis.js';
import type { RedisConnection } from '../../src/store/redis.js';
import { freePort } from '../helpers/warden.js';

const URL_ = process.env.REDIS_URL ?? '';
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function connect(
  url = URL_,
  commandTimeoutMs = 500,
  connectTimeoutMs = 2000,
): Promise<RedisConnection> {
  const c = await connectRedis(
    { url, keyPrefix: 'unused:', connectTimeoutMs, commandTimeoutMs },
    silentLogger,
  );
  cleanup.push(() => c.close());
  return c;
}

/** A fresh prefix (so runs never meet) whose keys are deleted after the test. */
function prefix(): string {
  const p = `warden-test:${randomUUID()}:`;
  cleanup.push(async () => {
    const r = new Redis(URL_);
    const keys = await r.keys(`${p}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  });
  return p;
}

/** Two replicas: two clients, two stores, one prefix. */
async function replicas(
  ttlA = 60_000,
  ttlB = 60_000,
): Promise<{ a: LimitStore; b: LimitStore; ca: RedisConnection; p: string }> {
  const p = prefix();
  const ca = await connect();
  const cb = await connect();
  return {
    a: redisLimitStore(ca.client, { prefix: p, leaseTtlMs: ttlA }),
    b: redisLimitStore(cb.client, { prefix: p, leaseTtlMs: ttlB }),
    ca,
    p,
  };
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e instanceof WardenError ? e.code : String(e);
  }
}

describe.skipIf(URL_ === '')('redis limit store (real Redis)', () => {
  it('[limits:distributed] a window is one count for both replicas: point N+1 on the other replica is refused with the time left', async () => {
    const { a, b } = await replicas();
    const wa = a.window('rate.perPrincipal', 3, 60);
    const wb = b.window('rate.perPrincipal', 3, 60);
    expect((await wa.take('alice')).ok).toBe(true);
    expect((await wa.take('alice')).ok).toBe(true);
    expect((await wb.take('alice')).ok).toBe(true);
    const refused = await wb.take('alice');
    expect(refused.ok).toBe(false);
    expect(refused.msBeforeNext).toBeGreaterThan(55_000);
    expect(refused.msBeforeNext).toBeLessThanOrEqual(60_000);
    expect((await wa.take('alice')).ok).toBe(false);
    // Another key, and the same key under another window name, count apart.
    expect((await wb.take('bob')).ok).toBe(true);
    expect((await b.window('rate.perTool', 3, 60).take('alice')).ok).toBe(true);
  });

  it('[limits:distributed] give-back on one replica returns the point to the other', async () => {
    const { a, b } = await replicas();
    const wa = a.window('rate.global', 2, 60);
    const wb = b.window('rate.global', 2, 60);
    expect((await wa.take('*')).ok).toBe(true);
    expect((await wa.take('*')).ok).toBe(true);
    // A later check refused A's second request: its point goes back, and B may use it.
    await wa.giveBack('*');
    expect((await wb.take('*')).ok).toBe(true);
    expect((await wb.take('*')).ok).toBe(false);
    expect((await wa.take('*')).ok).toBe(false);
  });

  it('[limits:distributed] a custom duration sets the window of a new key (the daily budget), and the window ends on time', async () => {
    const { a, b } = await replicas();
    const wa = a.window('dailyBudget.perPrincipal', 1, 86_400);
    const wb = b.window('dailyBudget.perPrincipal', 1, 86_400);
    const t = await wa.take('alice|1', 1);
    expect(t.ok).toBe(true);
    expect(t.msBeforeNext).toBeLessThanOrEqual(1000);
    const refused = await wb.take('alice|1', 1);
    expect(refused.ok).toBe(false);
    expect(refused.msBeforeNext).toBeLessThanOrEqual(1000);
    await sleep(1100);
    expect((await wb.take('alice|1', 1)).ok).toBe(true);
  });

  it('[limits:distributed] the in-flight cap holds under concurrent acquires from two replicas; releases bring it back', async () => {
    const { a, b } = await replicas();
    const ia = a.inflight('concurrency.perServer');
    const ib = b.inflight('concurrency.perServer');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => Promise.resolve((i % 2 === 0 ? ia : ib).acquire('rec', 3))),
    );
    const wonA = results.filter((r, i) => r && i % 2 === 0).length;
    const wonB = results.filter((r, i) => r && i % 2 === 1).length;
    expect(wonA + wonB).toBe(3);
    expect(await ia.acquire('rec', 3)).toBe(false);
    for (let i = 0; i < wonA; i++) ia.release('rec');
    for (let i = 0; i < wonB; i++) ib.release('rec');
    // Releases are sent without waiting; a round trip on each client orders them before the checks.
    const back = await Promise.all([ia.acquire('rec', 3), ib.acquire('rec', 3), ia.acquire('rec', 3)]);
    expect(back).toEqual([true, true, true]);
    expect(await ib.acquire('rec', 3)).toBe(false);
  });

  it('[limits:distributed] a release never goes below zero and never frees another replica’s call', async () => {
    const { a, b } = await replicas();
    const ia = a.inflight('concurrency.perPrincipal');
    const ib = b.inflight('concurrency.perPrincipal');
    // Releases with nothing held change nothing.
    ia.release('alice');
    ia.release('alice');
    ib.release('alice');
    expect(await ib.acquire('alice', 2)).toBe(true);
    // A holds nothing: its releases must not free B's call.
    ia.release('alice');
    ia.release('alice');
    expect(await ia.acquire('alice', 2)).toBe(true);
    expect(await ia.acquire('alice', 2)).toBe(false);
    expect(await ib.acquire('alice', 2)).toBe(false);
    ib.release('alice');
    ib.release('alice'); // one more than B holds
    expect(await ib.acquire('alice', 2)).toBe(true);
    expect(await ia.acquire('alice', 2)).toBe(false);
  });

  it('[limits:distributed] the calls of a replica that died drain when their leases expire, even while the key stays busy', async () => {
    const { a, b, ca } = await replicas(400, 60_000);
    const ia = a.inflight('concurrency.perServer');
    const ib = b.inflight('concurrency.perServer');
    expect(await ia.acquire('rec', 2)).toBe(true);
    expect(await ia.acquire('rec', 2)).toBe(true);
    // Replica A dies holding both slots: no release will ever come.
    ca.client.disconnect();
    expect(await ib.acquire('rec', 2)).toBe(false);
    // B keeps trying (each try refreshes the key's expiry); A's leases still lapse on time.
    const until = Date.now() + 2000;
    let got = false;
    while (!got && Date.now() < until) {
      got = await ib.acquire('rec', 2);
      if (!got) await sleep(50);
    }
    expect(got).toBe(true);
    expect(await ib.acquire('rec', 2)).toBe(true);
    expect(await ib.acquire('rec', 2)).toBe(false);
  });

  it('the lease lifetime outlasts the longest upstream timeout and the approval hold', () => {
    const t = (connectMs: number, requestMs: number) => ({ timeouts: { connectMs, requestMs } });
    expect(
      leaseTtlMs({
        servers: { a: t(10_000, 60_000), b: t(1000, 300_000) },
        admin: { enabled: false, approvalTimeoutSec: 300 },
      }),
    ).toBe(361_000);
    expect(
      leaseTtlMs({ servers: { a: t(10_000, 60_000) }, admin: { enabled: true, approvalTimeoutSec: 300 } }),
    ).toBe(430_000);
  });

  it('Redis gone (closed port): connecting does not block start-up and every operation fails fast with ERR_LIMIT_UNAVAILABLE', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const c = await connect(`redis://127.0.0.1:${port}`);
    expect(Date.now() - t0).toBeLessThan(2000);
    const s = redisLimitStore(c.client, { prefix: prefix(), leaseTtlMs: 60_000 });
    const t1 = Date.now();
    expect(await code(s.window('rate.global', 5, 60).take('*'))).toBe('ERR_LIMIT_UNAVAILABLE');
    expect(await code(s.window('rate.global', 5, 60).giveBack('*'))).toBe('ERR_LIMIT_UNAVAILABLE');
    expect(await code(Promise.resolve(s.inflight('concurrency.perServer').acquire('rec', 1)))).toBe(
      'ERR_LIMIT_UNAVAILABLE',
    );
    expect(Date.now() - t1).toBeLessThan(200);
  });

  it('start-up with Redis unreachable: one warning per outage, never the URL (it may hold a password); close() stops reconnecting', async () => {
    const lines: string[] = [];
    const log = {
      ...silentLogger,
      warn: (msg: string, fields?: Record<string, unknown>) => lines.push(JSON.stringify({ msg, ...fields })),
    };
    const port = await freePort();
    const c = await connectRedis(
      {
        url: `redis://:s3cret@127.0.0.1:${port}`,
        keyPrefix: 'x:',
        connectTimeoutMs: 500,
        commandTimeoutMs: 200,
      },
      log,
    );
    // Several reconnect attempts fail meanwhile (100 ms, 200 ms, …): still one warning.
    await sleep(800);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/redis unavailable/);
    expect(lines.join('\n')).not.toContain('s3cret');
    await c.close();
    // Closed means closed: no reconnect timer left to keep the process alive or to dial again.
    let attempts = 0;
    c.client.on('connecting', () => attempts++);
    c.client.on('reconnecting', () => attempts++);
    await sleep(600);
    expect(attempts).toBe(0);
  });

  it('Redis stops answering mid-connection: each operation fails with ERR_LIMIT_UNAVAILABLE after the command timeout, not later', async () => {
    // A TCP relay to the real Redis that can go silent (a frozen server or a black-holed network).
    const target = new URL(URL_);
    let silent = false;
    const sockets: Socket[] = [];
    const relay: Server = createServer((down) => {
      const up = new Socket();
      sockets.push(down, up);
      up.connect(Number(target.port || 6379), target.hostname);
      down.on('data', (d: Buffer) => up.write(d));
      up.on('data', (d: Buffer) => {
        if (!silent) down.write(d);
      });
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          relay.close(() => r());
        }),
    );
    const c = await connect(`redis://127.0.0.1:${(relay.address() as AddressInfo).port}`, 200);
    expect(c.client.status).toBe('ready');
    const s = redisLimitStore(c.client, { prefix: prefix(), leaseTtlMs: 60_000 });
    const w = s.window('rate.global', 5, 60);
    expect((await w.take('*')).ok).toBe(true);
    silent = true;
    const t0 = Date.now();
    expect(await code(w.take('*'))).toBe('ERR_LIMIT_UNAVAILABLE');
    expect(await code(Promise.resolve(s.inflight('concurrency.perServer').acquire('rec', 1)))).toBe(
      'ERR_LIMIT_UNAVAILABLE',
    );
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(1500);
  });
});
