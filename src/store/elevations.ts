/**
 * Just-in-time elevation: a principal asks for a role for a while, an approver grants or refuses
 * it, and a granted role lapses by itself. In memory (one process); the {@link ElevationStore}
 * interface is what a shared store will implement for scale-out.
 */
import { randomBytes } from 'node:crypto';
import { WardenError } from '../core/errors.js';

/** Where an elevation stands. */
export type ElevationStatus = 'pending' | 'active' | 'denied' | 'expired';

/** One elevation request or grant. */
export interface Elevation {
  readonly id: string;
  readonly principalKey: string;
  readonly role: string;
  /** Requested duration, in seconds. */
  readonly durationSec: number;
  readonly reason: string;
  readonly status: ElevationStatus;
  /** ISO time of the request. */
  readonly requested: string;
  /** Epoch milliseconds: when an active grant lapses, or when an undecided request lapses. */
  readonly until: number;
  /** Who decided, once decided. */
  readonly approver?: string;
}

/** The store as the policy stage and the admin API use it. */
export interface ElevationStore {
  /** Records a pending request; throws ERR_APPROVAL_QUEUE_FULL when too many are pending. */
  request(principalKey: string, role: string, durationSec: number, reason: string): Elevation;
  /**
   * Grants (active until now + duration) or refuses a pending request. Throws ERR_ADMIN_NOT_FOUND
   * for an unknown or no longer pending id, ERR_ADMIN_FORBIDDEN when approving one's own request.
   */
  decide(id: string, action: 'approve' | 'deny', approverKey: string): Elevation;
  /** Every request and grant still remembered, newest first (statuses as of now). */
  list(now?: number): Elevation[];
  /** Roles granted to a principal and not yet lapsed at `now` (epoch ms). */
  activeRoles(principalKey: string, now?: number): string[];
  close(): void;
}

/** Options of the in-memory store. */
export interface MemoryElevationOptions {
  /** Most pending requests at once (default 100). */
  readonly maxPending?: number;
  /** How long an undecided request waits, in milliseconds (default 1 hour). */
  readonly pendingTtlMs?: number;
  /** How long a finished (denied, expired) entry stays listed, in milliseconds (default 24 hours). */
  readonly keepMs?: number;
  /** Called when a grant or request lapses by itself (for the audit trail). */
  readonly onExpire?: (e: Elevation) => void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Builds the in-memory elevation store. */
export function memoryElevationStore(opts: MemoryElevationOptions = {}): ElevationStore {
  const maxPending = opts.maxPending ?? 100;
  const pendingTtl = opts.pendingTtlMs ?? 3_600_000;
  const keep = opts.keepMs ?? 86_400_000;
  const all = new Map<string, Elevation>();
  const timers = new Map<string, NodeJS.Timeout>();

  function set(e: Elevation): Elevation {
    all.set(e.id, e);
    return e;
  }

  /** Arms the lapse of an entry at `until`, so expiry needs no caller. */
  function arm(e: Elevation): void {
    clearTimeout(timers.get(e.id));
    const t = setTimeout(
      () => {
        timers.delete(e.id);
        expire(e.id, Date.now());
        // Timers cap at about 24.8 days; a longer grant is re-armed until it is due.
        const cur = all.get(e.id);
        if (cur !== undefined && (cur.status === 'active' || cur.status === 'pending')) arm(cur);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, e.until - Date.now())),
    );
    t.unref();
    timers.set(e.id, t);
  }

  function expire(id: string, now: number): void {
    const e = all.get(id);
    if (e === undefined || (e.status !== 'active' && e.status !== 'pending') || e.until > now) return;
    const done = set({ ...e, status: 'expired' });
    opts.onExpire?.(done);
  }

  /** Lapses what is due and forgets finished entries older than `keep`. */
  function sweep(now: number): void {
    for (const e of [...all.values()]) {
      expire(e.id, now);
      const cur = all.get(e.id);
      if (
        cur !== undefined &&
        (cur.status === 'denied' || cur.status === 'expired') &&
        cur.until + keep < now
      ) {
        all.delete(e.id);
        clearTimeout(timers.get(e.id));
        timers.delete(e.id);
      }
    }
  }

  return {
    request(principalKey, role, durationSec, reason) {
      const now = Date.now();
      sweep(now);
      const pending = [...all.values()].filter((e) => e.status === 'pending').length;
      if (pending >= maxPending)
        throw new WardenError('ERR_APPROVAL_QUEUE_FULL', 'too many elevation requests are pending', {
          data: { maxPending },
        });
      const e = set({
        // A prefix, so an id never starts with '-' (the CLI would read it as an option).
        id: `elv_${randomBytes(16).toString('base64url')}`,
        principalKey,
        role,
        durationSec,
        reason,
        status: 'pending',
        requested: new Date(now).toISOString(),
        until: now + pendingTtl,
      });
      arm(e);
      return e;
    },
    decide(id, action, approverKey) {
      const now = Date.now();
      expire(id, now);
      const e = all.get(id);
      if (e === undefined || e.status !== 'pending')
        throw new WardenError('ERR_ADMIN_NOT_FOUND', 'no such pending elevation');
      // Four eyes: nobody grants a role to themselves.
      if (e.principalKey === approverKey)
        throw new WardenError('ERR_ADMIN_FORBIDDEN', 'an approver cannot decide their own elevation');
      if (action === 'deny') {
        clearTimeout(timers.get(id));
        timers.delete(id);
        return set({ ...e, status: 'denied', approver: approverKey, until: now });
      }
      const granted = set({
        ...e,
        status: 'active',
        approver: approverKey,
        until: now + e.durationSec * 1000,
      });
      arm(granted);
      return granted;
    },
    list(now = Date.now()) {
      sweep(now);
      return [...all.values()].reverse();
    },
    activeRoles(principalKey, now = Date.now()) {
      const roles = new Set<string>();
      // Checked against the clock, not only the timer: a late timer must never extend a grant.
      for (const e of all.values())
        if (e.principalKey === principalKey && e.status === 'active' && e.until > now) roles.add(e.role);
      return [...roles];
    },
    close() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
