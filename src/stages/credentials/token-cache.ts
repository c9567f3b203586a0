/**
 * A bounded cache of upstream credentials with single-flight refresh: while one fetch for a key is
 * running, every other caller asking for that key waits for the same fetch instead of starting its
 * own, and a value is handed out only until its refresh time.
 */

/** A fetched value and the time it must be fetched again, in milliseconds since the epoch. */
export interface Expiring<V> {
  readonly value: V;
  readonly refreshAt: number;
}

/** Key → value until its refresh time; at most `max` entries, the oldest insertion evicted first. */
export class SingleFlightCache<V> {
  private readonly entries = new Map<string, Expiring<V>>();
  private readonly pending = new Map<string, Promise<V>>();

  constructor(
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Entries held (fresh or stale). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The fresh value for `key` (synchronously, on a hit), or the one fetch in flight for it. A failed
   * fetch is not remembered: the next caller tries again.
   */
  get(key: string, fetch: () => Promise<Expiring<V>>): V | Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      if (hit.refreshAt > this.now()) return hit.value;
      this.entries.delete(key);
    }
    let p = this.pending.get(key);
    if (p === undefined) {
      // One promise, awaited by every caller: a derived promise (then/finally) nobody awaits would
      // turn a failed fetch into an unhandled rejection.
      p = (async () => {
        try {
          const e = await fetch();
          this.store(key, e);
          return e.value;
        } finally {
          this.pending.delete(key);
        }
      })();
      this.pending.set(key, p);
    }
    return p;
  }

  /** Forgets every entry (fetches in flight still complete for their callers). */
  clear(): void {
    this.entries.clear();
  }

  private store(key: string, e: Expiring<V>): void {
    if (e.refreshAt <= this.now()) return;
    this.entries.delete(key);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, e);
  }
}
