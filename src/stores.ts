/**
 * The stores replicas share, opened from the configuration: today the Redis connection and the
 * limit counters on it when `limits.store` is `redis`; nothing (in-process stores) otherwise.
 */
import { isSecretRef } from './config/load.js';
import type { Config } from './config/schema.js';
import type { Logger } from './core/log.js';
import type { SecretValues } from './secrets/index.js';
import { leaseTtlMs, redisLimitStore } from './store/limits-redis.js';
import type { LimitStore } from './store/limits.js';
import { connectRedis } from './store/redis.js';
import type { RedisConnection } from './store/redis.js';

/** The shared stores of one Warden process; `close()` ends their connections. */
export interface SharedStores {
  /** The limit counters, when they are shared (undefined: the stage's in-process store). */
  readonly limits: LimitStore | undefined;
  /** Ends every connection; idempotent. */
  close(): Promise<void>;
}

/** Release failures are logged at most this often, in milliseconds (the outage itself is logged once). */
const RELEASE_WARN_MS = 60_000;

/** Opens what the config asks for; an unreachable Redis is logged, never fatal (see store/redis.ts). */
export async function openSharedStores(
  config: Config,
  secrets: SecretValues,
  log: Logger,
): Promise<SharedStores> {
  const r = config.redis;
  if (config.limits.store !== 'redis' || r === undefined) return { limits: undefined, close: async () => {} };
  const redis: RedisConnection = await connectRedis(
    {
      url: isSecretRef(r.url) ? secrets.get(r.url) : r.url,
      keyPrefix: r.keyPrefix,
      connectTimeoutMs: r.connectTimeoutMs,
      commandTimeoutMs: r.commandTimeoutMs,
    },
    log,
  );
  let warned = 0;
  const limits = redisLimitStore(redis.client, {
    prefix: r.keyPrefix,
    leaseTtlMs: leaseTtlMs(config),
    onReleaseError: (err) => {
      if (Date.now() - warned < RELEASE_WARN_MS) return;
      warned = Date.now();
      log.warn('redis: an in-flight release failed; its lease lapses at its expiry', {
        error: err instanceof Error ? err.message : String(err),
      });
    },
  });
  log.info('limits: counters shared in redis', { keyPrefix: r.keyPrefix, status: redis.client.status });
  return { limits, close: () => redis.close() };
}
