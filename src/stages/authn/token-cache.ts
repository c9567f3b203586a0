/**
 * The verified-token cache: a token seen before skips signature verification. Entries are keyed
 * by the SHA-256 digest of the token (never the token itself), live no longer than the token does
 * (`exp`, and the maximum age by `iat`), and can be dropped at once (revocation). Bounded: the
 * oldest entry goes first.
 */
import { hash } from 'node:crypto';
import type { Principal } from '../../core/exchange.js';

/** What a cache hit restores. */
export interface CachedToken {
  readonly principal: Principal;
  /** Audiences the token carries (canonical form for URLs), checked again per endpoint. */
  readonly audiences: readonly string[];
  /** Milliseconds since the epoch after which the entry is dead. */
  readonly until: number;
  /** `jti`, when replay protection must see every use. */
  readonly jti?: string;
}

/** The digest a token is cached under (base64url SHA-256). */
export function tokenDigest(token: string): string {
  // One-shot hash: the same digest as createHash().update().digest() at half the cost per request.
  return hash('sha256', token, 'base64url');
}

/** A bounded map from token digest to its verified result. */
export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();

  /** `max` entries at most; 0 turns caching off. */
  constructor(private readonly max: number) {}

  /** The live entry for a digest, or undefined (an expired entry is dropped on the way). */
  get(digest: string, now: number): CachedToken | undefined {
    const e = this.entries.get(digest);
    if (e === undefined) return undefined;
    if (e.until <= now) {
      this.entries.delete(digest);
      return undefined;
    }
    return e;
  }

  /** Remembers a verified token until `entry.until`. */
  set(digest: string, entry: CachedToken): void {
    if (this.max === 0) return;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(digest, entry);
  }

  /** Drops every entry of a principal (revocation); returns how many went. */
  forgetPrincipal(principalKey: string): number {
    let n = 0;
    for (const [k, e] of this.entries)
      if (e.principal.key === principalKey) {
        this.entries.delete(k);
        n++;
      }
    return n;
  }

  /** Drops everything (key rotation, config reload). */
  clear(): void {
    this.entries.clear();
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * Remembers one-time token ids (`jti`) until their token expires, so a replay is refused
 * (`auth.replay`). Bounded: when full, an id is refused rather than an old one forgotten early,
 * because forgetting early would let that token be replayed.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  /** At most `max` live ids. */
  constructor(private readonly max = 100_000) {}

  /** Records `id` as used until `until` (ms); false when it was used before or the cache is full. */
  use(id: string, until: number, now: number): boolean {
    const prior = this.seen.get(id);
    if (prior !== undefined && prior > now) return false;
    if (this.seen.size >= this.max) {
      for (const [k, t] of this.seen) if (t <= now) this.seen.delete(k);
      if (this.seen.size >= this.max) return false;
    }
    this.seen.set(id, until);
    return true;
  }
}
