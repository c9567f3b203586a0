/**
 * Limit store cost: what the memory store and the Redis store (`limits.store: redis`) cost per
 * operation and per request, timed in-process against a real Redis (REDIS_URL, default
 * redis://127.0.0.1:6379). Standalone, a few seconds:
 * `npm run build && REDIS_URL=redis://127.0.0.1:6379 node dist/bench/limits-store.js`.
 *
 * Rows: one window `take`, one in-flight `acquire` + `release`, and the limits stage's whole
 * request phase plus `end` with a per-principal rate and a per-principal cap (one take, one
 * acquire, one release per request). Every sample is one operation awaited alone (a round trip).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import { startExchange } from '../src/core/exchange.js';
import type { Exchange } from '../src/core/exchange.js';
import { silentLogger } from '../src/core/log.js';
import { limitsStage } from '../src/stages/limits/index.js';
import { redisLimitStore } from '../src/store/limits-redis.js';
import { memoryLimitStore } from '../src/store/limits.js';
import type { LimitStore } from '../src/store/limits.js';
import { connectRedis } from '../src/store/redis.js';

const N = Number(process.env.BENCH_LIMITS_N ?? 3000);
const URL_ = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function stats(samples: number[]): { median: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? 0, p99: s[Math.floor(s.length * 0.99)] ?? 0 };
}

async function time(fn: () => unknown): Promise<number[]> {
  for (let i = 0; i < Math.min(N, 300); i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}

function exchange(i: number): Exchange {
  const id = `b${i}`;
  return startExchange({
    id,
    started: 0n,
    transport: 'http',
    endpoint: '/mcp/rec',
    endpointServer: 'rec',
    message: { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo' } },
    principal: { key: 'https://idp|alice', issuer: 'https://idp', subject: 'alice', scopes: [], roles: [] },
    time: '',
  });
}

async function rows(store: LimitStore, round: () => Promise<void>): Promise<Record<string, number[]>> {
  const w = store.window('rate.perPrincipal', 1e9, 3600);
  const c = store.inflight('concurrency.perPrincipal');
  const stage = limitsStage(
    { rate: { perPrincipal: { points: 1e9, durationSec: 3600 } }, concurrency: { perPrincipal: 1e6 } },
    { store },
  );
  if (stage === undefined) throw new Error('stage expected');
  let i = 0;
  return {
    'window take': await time(() => w.take('alice')),
    'in-flight acquire + release': await time(async () => {
      const r = c.acquire('alice', 1e6);
      if (!(typeof r === 'boolean' ? r : await r)) throw new Error('refused');
      c.release('alice');
      // The release is sent without waiting; one round trip keeps it inside the sample.
      await round();
    }),
    'stage request + end': await time(async () => {
      const ex = exchange(i++);
      await stage.request?.(ex);
      stage.end(ex);
      await round();
    }),
  };
}

const prefix = `warden-bench:${randomUUID()}:`;
const conn = await connectRedis(
  { url: URL_, keyPrefix: prefix, connectTimeoutMs: 2000, commandTimeoutMs: 500 },
  silentLogger,
);
if (conn.client.status !== 'ready') throw new Error(`redis not reachable at ${URL_}`);
const ping = async (): Promise<void> => {
  await conn.client.ping();
};
const rtt = stats(await time(ping));
const mem = await rows(memoryLimitStore(), async () => {});
const red = await rows(redisLimitStore(conn.client, { prefix, leaseTtlMs: 60_000 }), ping);

process.stdout.write(
  `limit store cost, ${N} samples each, Node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}\n` +
    `command: REDIS_URL=${URL_} node dist/bench/limits-store.js\n` +
    `redis PING round trip: median ${rtt.median.toFixed(1)} µs, p99 ${rtt.p99.toFixed(1)} µs (the in-flight and stage rows wait for one PING after the release, which is sent without waiting)\n`,
);
const fmt = (x: number): string => x.toFixed(1).padStart(8);
process.stdout.write(
  `${'operation'.padEnd(30)} ${'memory med'.padStart(10)} ${'p99'.padStart(8)} ${'redis med'.padStart(10)} ${'p99'.padStart(8)}  (µs)\n`,
);
for (const name of Object.keys(mem)) {
  const m = stats(mem[name] ?? []);
  const r = stats(red[name] ?? []);
  process.stdout.write(
    `${name.padEnd(30)} ${fmt(m.median).padStart(10)} ${fmt(m.p99)} ${fmt(r.median).padStart(10)} ${fmt(r.p99)}\n`,
  );
}

const cleaner = new Redis(URL_);
const keys = await cleaner.keys(`${prefix}*`);
if (keys.length > 0) await cleaner.del(...keys);
await cleaner.quit();
await conn.close();
