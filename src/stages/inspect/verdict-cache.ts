/**
 * A bounded verdict cache for external detectors, keyed by a SHA-256 digest of the detector,
 * direction and text (the text itself is never kept), with a time to live; least recently used
 * entries leave first.
 */
import { createHash } from 'node:crypto';

/** Digest of what a verdict depends on. */
export function cacheKey(detector: string, direction: string, text: string): string {
  return createHash('sha256')
    .update(detector)
    .update('\0')
    .update(direction)
    .update('\0')
    .update(text)
    .digest('base64url');
}

/** An LRU map with expiry; `entries` 0 keeps nothing. */
export class VerdictCache<V> {
  private readonly map = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly entries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached value, or undefined (missing or expired). */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key);
    if (e.until <= this.now()) return undefined;
    this.map.set(key, e);
    return e.value;
  }

  /** Stores a value, evicting the least recently used entry when full. */
  set(key: string, value: V): void {
    if (this.entries === 0) return;
    this.map.delete(key);
    if (this.map.size >= this.entries) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    this.map.set(key, { value, until: this.now() + this.ttlMs });
  }

  /** Entries held. */
  get size(): number {
    return this.map.size;
  }
}
