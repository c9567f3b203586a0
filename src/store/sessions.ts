/**
 * The in-memory session store: sessions keyed `<principal-key>:<id>` (a session presented by
 * another principal is simply not found), idle and absolute lifetimes, caps in total and per
 * principal, and a reaper that ends abandoned sessions (and so their upstream children).
 */
import { WardenError } from '../core/errors.js';

/** What the store needs of a session. */
export interface StoredSession {
  readonly id: string | undefined;
  readonly principal: { readonly key: string };
  readonly created: number;
  lastUsed: number;
  close(): Promise<void>;
}

/** Lifetimes and caps, in milliseconds and counts. */
export interface SessionLimits {
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  readonly maxSessions: number;
  readonly maxPerPrincipal: number;
  readonly reapIntervalMs: number;
}

/** Why a session ended. */
export type EndReason = 'deleted' | 'idle' | 'expired' | 'upstream' | 'shutdown';

/** In-memory session store with reaping. */
export class SessionStore<S extends StoredSession> {
  private readonly byKey = new Map<string, S>();
  private readonly perPrincipal = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly onEnd: (s: S, reason: EndReason) => void = () => undefined,
  ) {
    this.timer = setInterval(() => this.reap(), limits.reapIntervalMs);
    this.timer.unref();
  }

  /** Live sessions. */
  get size(): number {
    return this.byKey.size;
  }

  /** The store key: length-prefixed so no principal key and id can forge another pair's key. */
  private static key(principalKey: string, id: string): string {
    return `${principalKey.length}:${principalKey}:${id}`;
  }

  /** Throws ERR_SESSION_LIMIT when one more session for this principal would pass a cap. */
  reserve(principalKey: string): void {
    if (this.byKey.size >= this.limits.maxSessions) {
      throw new WardenError('ERR_SESSION_LIMIT', 'too many live sessions', {
        data: { limit: this.limits.maxSessions },
      });
    }
    if ((this.perPrincipal.get(principalKey) ?? 0) >= this.limits.maxPerPrincipal) {
      throw new WardenError('ERR_SESSION_LIMIT', 'too many live sessions for this principal', {
        data: { limit: this.limits.maxPerPrincipal },
      });
    }
  }

  /** Adds a session (after reserve()). */
  add(s: S): void {
    if (s.id === undefined) throw new WardenError('ERR_INTERNAL', 'a stored session needs an id');
    this.byKey.set(SessionStore.key(s.principal.key, s.id), s);
    this.perPrincipal.set(s.principal.key, (this.perPrincipal.get(s.principal.key) ?? 0) + 1);
  }

  private alive(s: S, now: number): EndReason | undefined {
    if (now - s.created >= this.limits.absoluteTimeoutMs) return 'expired';
    if (now - s.lastUsed >= this.limits.idleTimeoutMs) return 'idle';
    return undefined;
  }

  /** Finds a live session of this principal and touches it; expired ones are ended and not found. */
  get(principalKey: string, id: string): S | undefined {
    const s = this.byKey.get(SessionStore.key(principalKey, id));
    if (s === undefined) return undefined;
    const now = Date.now();
    const dead = this.alive(s, now);
    if (dead !== undefined) {
      this.end(s, dead);
      return undefined;
    }
    s.lastUsed = now;
    return s;
  }

  /** Ends and removes a session; false when it was not there. */
  end(s: S, reason: EndReason): boolean {
    if (s.id === undefined) return false;
    const k = SessionStore.key(s.principal.key, s.id);
    if (this.byKey.get(k) !== s) return false;
    this.byKey.delete(k);
    const n = (this.perPrincipal.get(s.principal.key) ?? 1) - 1;
    if (n <= 0) this.perPrincipal.delete(s.principal.key);
    else this.perPrincipal.set(s.principal.key, n);
    this.onEnd(s, reason);
    const p = s.close().catch(() => undefined);
    this.closing.add(p);
    void p.then(() => this.closing.delete(p));
    return true;
  }

  /** Ends every expired session now; returns how many. */
  reap(): number {
    const now = Date.now();
    let n = 0;
    for (const s of [...this.byKey.values()]) {
      const dead = this.alive(s, now);
      if (dead !== undefined && this.end(s, dead)) n++;
    }
    return n;
  }

  /** Ends every session and stops the reaper. */
  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    for (const s of [...this.byKey.values()]) this.end(s, 'shutdown');
    await Promise.allSettled([...this.closing]);
  }
}
