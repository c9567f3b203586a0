/**
 * The one Redis connection of a Warden process (the `redis` config block), for every store that
 * shares state across replicas (limits now). Commands fail fast instead of hanging: no offline
 * queue (a command while disconnected is refused at once), a short command timeout, no resend after
 * a lost connection. Start-up never waits longer than the connect timeout and never fails on Redis:
 * an unreachable Redis is logged and the client keeps reconnecting in the background.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../core/log.js';

/** The connection settings (the `redis` config block with the URL already resolved). */
export interface RedisSettings {
  /** `redis://` or `rediss://` URL, resolved from its secret reference; never logged. */
  readonly url: string;
  /** Put before every key, so deployments sharing one Redis never meet (default `warden:`). */
  readonly keyPrefix: string;
  /** Time allowed to connect, in milliseconds. */
  readonly connectTimeoutMs: number;
  /** Longest wait for one answer, in milliseconds. */
  readonly commandTimeoutMs: number;
}

/** An open (or reconnecting) Redis connection. */
export interface RedisConnection {
  readonly client: Redis;
  /** The deployment's key prefix. */
  readonly keyPrefix: string;
  /** Ends the connection (pending commands fail); idempotent. */
  close(): Promise<void>;
}

/** Reconnect delay after the n-th failed attempt, in milliseconds: 100, 200, … up to 2 s. */
const backoff = (n: number): number => Math.min(n * 100, 2000);

/** Opens the connection; resolves once connected or once connecting failed (logged), never rejects. */
export async function connectRedis(settings: RedisSettings, log: Logger): Promise<RedisConnection> {
  const client = new Redis(settings.url, {
    lazyConnect: true,
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    // A command while disconnected fails at once rather than waiting for a reconnect that may not come.
    enableOfflineQueue: false,
    // A command cut off by a lost connection fails; resending it later could count a request twice.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: backoff,
    connectionName: 'warden',
  });
  // One warning per outage: ioredis emits an error on every failed reconnect attempt.
  let down = false;
  const warn = (err: unknown): void => {
    if (down) return;
    down = true;
    log.warn('redis unavailable; shared limits follow limits.failOpen until it answers', {
      error: err instanceof Error ? err.message : String(err),
    });
  };
  client.on('error', warn);
  client.on('ready', () => {
    if (down) log.info('redis connected again');
    down = false;
  });
  try {
    await client.connect();
  } catch (err) {
    // Start anyway (Redis may come back): ioredis keeps reconnecting with `backoff`.
    warn(err);
  }
  let closing: Promise<void> | undefined;
  return {
    client,
    keyPrefix: settings.keyPrefix,
    close() {
      closing ??= (async () => {
        if (client.status === 'ready') {
          try {
            await client.quit();
            return;
          } catch {
            // Fall through to the hard disconnect.
          }
        }
        client.disconnect();
      })();
      return closing;
    },
  };
}
