/**
 * The in-memory approval queue: a held call ends approved, denied or expired exactly once; a
 * full queue refuses at once; nobody releases their own call; approvers see redacted arguments.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryApprovalQueue } from '../../src/store/approvals.js';
import type { ApprovalOutcome, HoldRequest, PendingApproval } from '../../src/store/approvals.js';
import { MAX_SHOWN_CHARS, redactArgs } from '../../src/store/redact.js';
import { codeOf } from '../helpers/errors.js';

const ALICE = { key: 'iss|alice', subject: 'alice' };
const BOB = 'iss|bob';

function req(over: Partial<HoldRequest> = {}): HoldRequest {
  return {
    principal: ALICE,
    server: 'files',
    tool: 'delete_file',
    args: { path: '/srv/data/report.txt' },
    rule: 'approve-deletes',
    timeoutMs: 60_000,
    ...over,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('approval queue', () => {
  it('an approved call resolves approved and leaves the queue; the end hook sees the approver', async () => {
    const ends: [string, ApprovalOutcome, string | undefined][] = [];
    const q = memoryApprovalQueue({ onEnd: (i, o, a) => ends.push([i.id, o, a]) });
    const held = q.hold(req());
    const [item] = q.list();
    expect(item).toMatchObject({
      principal: 'iss|alice',
      subject: 'alice',
      server: 'files',
      tool: 'delete_file',
    });
    // Prefixed, so the CLI never reads an id as an option (base64url may start with '-').
    expect(item?.id).toMatch(/^apr_[A-Za-z0-9_-]{22}$/);
    const d = q.decide(item?.id ?? '', 'approve', BOB);
    expect(d).toMatchObject({ outcome: 'approved', approver: BOB });
    await expect(held).resolves.toBe('approved');
    expect(q.size).toBe(0);
    expect(ends).toEqual([[item?.id, 'approved', BOB]]);
    // Decided once: a second decision finds nothing.
    expect(codeOf(() => q.decide(item?.id ?? '', 'deny', BOB))).toBe('ERR_ADMIN_NOT_FOUND');
  });

  it('a denied call resolves denied', async () => {
    const q = memoryApprovalQueue();
    const held = q.hold(req());
    q.decide(q.list()[0]?.id ?? '', 'deny', BOB);
    await expect(held).resolves.toBe('denied');
  });

  it('a call nobody decides expires at its timeout, and cannot be approved after', async () => {
    vi.useFakeTimers();
    const ends: ApprovalOutcome[] = [];
    const q = memoryApprovalQueue({ onEnd: (_i, o) => ends.push(o) });
    const held = q.hold(req({ timeoutMs: 5_000 }));
    const id = q.list()[0]?.id ?? '';
    expect(q.list()[0]?.expires).toBe(new Date(Date.now() + 5_000).toISOString());
    vi.advanceTimersByTime(4_999);
    expect(q.size).toBe(1);
    vi.advanceTimersByTime(1);
    await expect(held).resolves.toBe('expired');
    expect(ends).toEqual(['expired']);
    expect(codeOf(() => q.decide(id, 'approve', BOB))).toBe('ERR_ADMIN_NOT_FOUND');
  });

  it('a full queue refuses the next call at once with ERR_APPROVAL_QUEUE_FULL', async () => {
    const q = memoryApprovalQueue({ maxPending: 2 });
    const a = q.hold(req());
    const b = q.hold(req());
    await expect(q.hold(req())).rejects.toMatchObject({ code: 'ERR_APPROVAL_QUEUE_FULL', status: 429 });
    expect(q.size).toBe(2);
    q.close();
    await expect(Promise.all([a, b])).resolves.toEqual(['denied', 'denied']);
  });

  it('the caller cannot release their own call (four eyes)', () => {
    const q = memoryApprovalQueue();
    void q.hold(req());
    expect(codeOf(() => q.decide(q.list()[0]?.id ?? '', 'approve', ALICE.key))).toBe('ERR_ADMIN_FORBIDDEN');
    expect(q.size).toBe(1);
    q.close();
  });

  it('unknown ids are refused', () => {
    const q = memoryApprovalQueue();
    expect(codeOf(() => q.decide('nope', 'approve', BOB))).toBe('ERR_ADMIN_NOT_FOUND');
  });

  it('approvers see arguments with secret-looking keys replaced and long strings cut', () => {
    const q = memoryApprovalQueue();
    void q.hold(
      req({
        args: {
          path: '/srv/x',
          password: 'hunter2',
          nested: {
            apiKey: 'sk-123',
            Authorization: 'Bearer abc',
            'access-token': 't',
            note: 'x'.repeat(500),
          },
        },
      }),
    );
    const item = q.list()[0] as PendingApproval;
    expect(item.argsRedacted).toEqual({
      path: '/srv/x',
      password: '[redacted]',
      nested: {
        apiKey: '[redacted]',
        Authorization: '[redacted]',
        'access-token': '[redacted]',
        note: `${'x'.repeat(MAX_SHOWN_CHARS)}…[300 more chars]`,
      },
    });
    expect(JSON.stringify(q.list())).not.toContain('hunter2');
    q.close();
  });
});

describe('redactArgs', () => {
  it('keeps a __proto__ key as data and bounds depth and width', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": [1,[2,[3,[4,[5]]]]]}') as unknown;
    const out = redactArgs(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(out.a).toEqual([1, [2, [3, '[nested]']]]);
    const wide = redactArgs(Array.from({ length: 60 }, (_, i) => i)) as unknown[];
    expect(wide).toHaveLength(51);
    expect(wide[50]).toBe('[10 more items]');
  });
});
