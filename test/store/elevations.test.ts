/**
 * Just-in-time elevation: a granted role is active until now + duration and lapses by itself
 * (audited through the expiry hook); refused, undecided and self-approved requests grant nothing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryElevationStore } from '../../src/store/elevations.js';
import type { Elevation } from '../../src/store/elevations.js';
import { codeOf } from '../helpers/errors.js';

const ALICE = 'iss|alice';
const BOB = 'iss|bob';

afterEach(() => {
  vi.useRealTimers();
});

describe('elevation store', () => {
  it('an approved role is active for its duration, then expires by itself and is reported', () => {
    vi.useFakeTimers();
    const expired: Elevation[] = [];
    const s = memoryElevationStore({ onExpire: (e) => expired.push(e) });
    const e = s.request(ALICE, 'db-admin', 2, 'fix the index');
    // Prefixed, so the CLI never reads an id as an option (base64url may start with '-').
    expect(e.id).toMatch(/^elv_[A-Za-z0-9_-]{22}$/);
    expect(e.status).toBe('pending');
    expect(s.activeRoles(ALICE)).toEqual([]);
    const granted = s.decide(e.id, 'approve', BOB);
    expect(granted).toMatchObject({ status: 'active', approver: BOB, until: Date.now() + 2_000 });
    expect(s.activeRoles(ALICE)).toEqual(['db-admin']);
    expect(s.activeRoles(BOB)).toEqual([]);
    vi.advanceTimersByTime(1_999);
    expect(s.activeRoles(ALICE)).toEqual(['db-admin']);
    vi.advanceTimersByTime(1);
    expect(s.activeRoles(ALICE)).toEqual([]);
    expect(expired.map((x) => [x.id, x.status])).toEqual([[e.id, 'expired']]);
    expect(s.list()[0]?.status).toBe('expired');
    s.close();
  });

  it('the clock decides even when the timer has not run: a grant never outlives its until', () => {
    const s = memoryElevationStore();
    const e = s.decide(s.request(ALICE, 'ops', 60, 'r').id, 'approve', BOB);
    expect(s.activeRoles(ALICE, e.until - 1)).toEqual(['ops']);
    expect(s.activeRoles(ALICE, e.until)).toEqual([]);
    s.close();
  });

  it('a denied request grants nothing and cannot be approved later', () => {
    const s = memoryElevationStore();
    const e = s.request(ALICE, 'ops', 60, 'r');
    expect(s.decide(e.id, 'deny', BOB).status).toBe('denied');
    expect(codeOf(() => s.decide(e.id, 'approve', BOB))).toBe('ERR_ADMIN_NOT_FOUND');
    expect(s.activeRoles(ALICE)).toEqual([]);
    s.close();
  });

  it('nobody approves their own elevation', () => {
    const s = memoryElevationStore();
    const e = s.request(ALICE, 'ops', 60, 'r');
    expect(codeOf(() => s.decide(e.id, 'approve', ALICE))).toBe('ERR_ADMIN_FORBIDDEN');
    expect(s.activeRoles(ALICE)).toEqual([]);
    s.close();
  });

  it('an undecided request lapses after the pending window', () => {
    vi.useFakeTimers();
    const s = memoryElevationStore({ pendingTtlMs: 1_000 });
    const e = s.request(ALICE, 'ops', 60, 'r');
    vi.advanceTimersByTime(1_000);
    expect(s.list()[0]?.status).toBe('expired');
    expect(codeOf(() => s.decide(e.id, 'approve', BOB))).toBe('ERR_ADMIN_NOT_FOUND');
    s.close();
  });

  it('too many pending requests are refused with ERR_APPROVAL_QUEUE_FULL', () => {
    const s = memoryElevationStore({ maxPending: 1 });
    s.request(ALICE, 'ops', 60, 'r');
    expect(codeOf(() => s.request(ALICE, 'ops', 60, 'again'))).toBe('ERR_APPROVAL_QUEUE_FULL');
    s.close();
  });
});
