/**
 * The shared limit store: counters in Redis, so every replica of one deployment counts against the
 * same limits. Windows are rate-limiter-flexible's Redis limiter (one key per window, created with
 * its expiry by the first request: a fixed window, exact across replicas). Calls in flight are
 * leases: one sorted set per key whose members are lease ids scored by their expiry time, so
 * acquire is one atomic script (drop expired leases, refuse at the cap, add one), release removes
 * this replica's own lease (the count can never drop below zero), and the leases of a replica that
 * died drain by themselves when they expire, even while other replicas keep the key busy.
 *
 * Every Redis fault (down, disconnected, timed out) surfaces as `ERR_LIMIT_UNAVAILABLE`; the stage
 * decides between failing closed and failing open.
 */
import { randomUUID } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { WardenError } from '../core/errors.js';
import { limiterWindow } from './limits.js';
import type { InflightCounter, LimitStore, WindowCounter } from './limits.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Takes a lease on KEYS[1] unless ARGV[1] live leases exist (1 taken, 0 at the cap). */
    wardenLeaseAcquire(key: string, max: number, lease: string, ttlMs: number): Result<number, Context>;
  }
}

/**
 * KEYS[1] the key's sorted set; ARGV[1] the cap, ARGV[2] the lease id, ARGV[3] its lifetime (ms).
 * Redis's own clock scores the leases, so replicas with skewed clocks agree on what has expired.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

/** Options of the shared store. */
export interface RedisLimitStoreOptions {
  /** The deployment's key prefix (`redis.keyPrefix`, default `warden:`); keys are `<prefix>limits:…`. */
  readonly prefix: string;
  /** Lifetime of one in-flight lease, in milliseconds: longer than any call can be in flight (`leaseTtlMs`). */
  readonly leaseTtlMs: number;
  /** Told when a release could not reach Redis (the lease then lapses at its expiry). */
  readonly onReleaseError?: (err: unknown) => void;
}

/** What the lease lifetime is computed from: the upstream timeouts and the approval hold. */
export interface LeaseTimes {
  readonly servers: Readonly<Record<string, { readonly timeouts: { connectMs: number; requestMs: number } }>>;
  readonly admin: { readonly enabled: boolean; readonly approvalTimeoutSec: number };
}

/** Slack added to the longest possible call, in milliseconds. */
const LEASE_MARGIN_MS = 60_000;

/**
 * The in-flight lease lifetime, in milliseconds: the longest connect plus request timeout of any
 * server, plus the approval hold when the admin API can hold calls, plus one minute. A live call
 * has ended (answered or timed out) before its lease can lapse.
 */
export function leaseTtlMs(t: LeaseTimes): number {
  let longest = 0;
  for (const s of Object.values(t.servers))
    longest = Math.max(longest, s.timeouts.connectMs + s.timeouts.requestMs);
  return longest + (t.admin.enabled ? t.admin.approvalTimeoutSec * 1000 : 0) + LEASE_MARGIN_MS;
}

function unavailable(err: unknown): WardenError {
  return new WardenError(
    'ERR_LIMIT_UNAVAILABLE',
    'The limit store (Redis) did not answer, so limits cannot be checked; the request was not forwarded.',
    { cause: err },
  );
}

function redisWindow(
  client: Redis,
  prefix: string,
  name: string,
  points: number,
  durationSec: number,
): WindowCounter {
  const rl = new RateLimiterRedis({
    storeClient: client,
    keyPrefix: `${prefix}limits:w:${name}`,
    points,
    duration: durationSec,
    // Not connected: refuse at once rather than wait for a command timeout.
    rejectIfRedisNotReady: true,
  });
  return limiterWindow(rl, unavailable);
}

function redisInflight(
  client: Redis,
  prefix: string,
  name: string,
  replica: string,
  opts: RedisLimitStoreOptions,
): InflightCounter {
  // This replica's own leases per key: release removes one of them, never another replica's.
  const leases = new Map<string, string[]>();
  let seq = 0;
  const keyOf = (key: string): string => `${prefix}limits:c:${name}:${key}`;
  return {
    async acquire(key, max) {
      const lease = `${replica}:${++seq}`;
      let taken: number;
      try {
        taken = await client.wardenLeaseAcquire(keyOf(key), max, lease, opts.leaseTtlMs);
      } catch (e) {
        throw unavailable(e);
      }
      if (taken !== 1) return false;
      const own = leases.get(key);
      if (own === undefined) leases.set(key, [lease]);
      else own.push(lease);
      return true;
    },
    release(key) {
      const own = leases.get(key);
      const lease = own?.pop();
      if (own === undefined || lease === undefined) return;
      if (own.length === 0) leases.delete(key);
      client.zrem(keyOf(key), lease).catch((e: unknown) => opts.onReleaseError?.(e));
    },
  };
}

/** The Redis store over an ioredis client; one per Warden process, all replicas on one prefix. */
export function redisLimitStore(client: Redis, opts: RedisLimitStoreOptions): LimitStore {
  client.defineCommand('wardenLeaseAcquire', { numberOfKeys: 1, lua: ACQUIRE });
  // Lease ids carry a per-process id, so two replicas never hold the same member.
  const replica = randomUUID();
  return {
    window: (name, points, durationSec) => redisWindow(client, opts.prefix, name, points, durationSec),
    inflight: (name) => redisInflight(client, opts.prefix, name, replica, opts),
  };
}
