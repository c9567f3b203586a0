/**
 * The in-memory session store: caps in total and per principal, idle and absolute lifetimes,
 * reaping (which ends sessions and so their upstream connections), sessions keyed by principal so
 * another principal never finds one, and flat bookkeeping under churn. [session:lifecycle]
 * [session:bound-to-principal]
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { newSessionId } from '../../src/core/ids.js';
import { SessionStore } from '../../src/store/sessions.js';
import type { EndReason, SessionLimits, StoredSession } from '../../src/store/sessions.js';

interface FakeSession extends StoredSession {
  readonly close: ReturnType<typeof vi.fn<() => Promise<void>>>;
}

function session(principal: string, id: string | undefined = newSessionId()): FakeSession {
  const now = Date.now();
  return {
    id,
    principal: { key: principal },
    created: now,
    lastUsed: now,
    close: vi.fn(() => Promise.resolve()),
  };
}

const LIMITS: SessionLimits = {
  idleTimeoutMs: 1000,
  absoluteTimeoutMs: 10_000,
  maxSessions: 3,
  maxPerPrincipal: 2,
  reapIntervalMs: 500,
};

let ended: [FakeSession, EndReason][];
let store: SessionStore<FakeSession>;

function make(limits: Partial<SessionLimits> = {}): SessionStore<FakeSession> {
  return new SessionStore<FakeSession>({ ...LIMITS, ...limits }, (s, r) => ended.push([s, r]));
}

/** reserve() then add(), as the server does. */
function open(st: SessionStore<FakeSession>, principal: string): FakeSession {
  st.reserve(principal);
  const s = session(principal);
  st.add(s);
  return s;
}

function limitError(fn: () => void): WardenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    const e = err as WardenError;
    expect(e.code).toBe('ERR_SESSION_LIMIT');
    expect(e.status).toBe(429);
    expect(e.rpcCode).toBe(-31003);
    return e;
  }
  throw new Error('expected ERR_SESSION_LIMIT');
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
  ended = [];
  store = make();
});
afterEach(async () => {
  await store.closeAll();
  vi.useRealTimers();
});

describe('[session:lifecycle] caps', () => {
  it('[session:lifecycle] refuses a third session for one principal (cap 2) with ERR_SESSION_LIMIT', () => {
    open(store, 'alice');
    open(store, 'alice');
    expect(limitError(() => store.reserve('alice')).data).toEqual({ limit: 2 });
    // Another principal is not affected by Alice's cap.
    expect(() => store.reserve('bob')).not.toThrow();
  });

  it('[session:lifecycle] refuses any session past the total cap (3), whoever asks', () => {
    open(store, 'alice');
    open(store, 'alice');
    open(store, 'bob');
    expect(store.size).toBe(3);
    expect(limitError(() => store.reserve('carol')).data).toEqual({ limit: 3 });
    expect(limitError(() => store.reserve('bob')).data).toEqual({ limit: 3 });
  });

  it('[session:lifecycle] ending a session frees its slot', () => {
    const a = open(store, 'alice');
    open(store, 'alice');
    limitError(() => store.reserve('alice'));
    expect(store.end(a, 'deleted')).toBe(true);
    expect(() => store.reserve('alice')).not.toThrow();
  });

  it('refuses to store a session without id', () => {
    const noId: FakeSession = { ...session('alice'), id: undefined };
    expect(() => store.add(noId)).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }));
    expect(store.size).toBe(0);
  });
});

describe('[session:bound-to-principal] lookup', () => {
  it('[session:bound-to-principal] get() under another principal key returns undefined', () => {
    const a = open(store, 'alice');
    expect(store.get('bob', a.id!)).toBeUndefined();
    expect(store.get('alice', a.id!)).toBe(a);
  });

  // BUG: the store key is `${principalKey}:${id}`, which is ambiguous because both parts may
  // contain ':' — principal keys are `<issuer>|<subject>` and subjects such as `svc:alice`,
  // `system:serviceaccount:ns:name` or SPIFFE ids carry colons, and verifySession lets any visible
  // ASCII id through. Principal `…|svc` presenting id `alice:<victim id>` builds the same key as
  // principal `…|svc:alice` with `<victim id>`, and verifySession does not re-check the owner, so
  // [session:bound-to-principal] is defeated for anyone who learns a session id. Fix in
  // sessions.ts: an unambiguous key, e.g. `JSON.stringify([principalKey, id])` or a Map per
  // principal; and, as defence in depth, verifySession should 404 when `s.principal.key !==
  // ex.principal.key` (see test/stages/session.test.ts).
  it('[session:bound-to-principal] principal keys and ids containing ":" cannot combine into another principal’s key', () => {
    const victim = open(store, 'https://idp.example|svc:alice');
    expect(store.get('https://idp.example|svc', `alice:${victim.id!}`)).toBeUndefined();
  });

  it('[session:bound-to-principal] another principal probing does not keep the session alive', () => {
    const a = open(store, 'alice');
    for (let t = 0; t < 4; t++) {
      vi.advanceTimersByTime(300);
      expect(store.get('bob', a.id!)).toBeUndefined();
    }
    expect(store.get('alice', a.id!)).toBeUndefined();
    expect(ended).toEqual([[a, 'idle']]);
  });

  it('an unknown id is undefined', () => {
    expect(store.get('alice', 'nope')).toBeUndefined();
  });
});

describe('[session:lifecycle] lifetimes', () => {
  it('[session:lifecycle] idle: use within the idle timeout keeps a session alive; 1000 ms unused ends it', () => {
    const a = open(store, 'alice');
    vi.advanceTimersByTime(999);
    expect(store.get('alice', a.id!)).toBe(a); // touches
    vi.advanceTimersByTime(999);
    expect(store.get('alice', a.id!)).toBe(a);
    vi.setSystemTime(Date.now() + 1000); // clock only: the reaper does not run
    expect(store.get('alice', a.id!)).toBeUndefined();
    expect(ended).toEqual([[a, 'idle']]);
    expect(a.close).toHaveBeenCalledTimes(1);
    expect(store.size).toBe(0);
  });

  it('[session:lifecycle] absolute: a session in constant use still ends at 10 000 ms', () => {
    const a = open(store, 'alice');
    for (let t = 500; t < 10_000; t += 500) {
      vi.setSystemTime(1_000_000 + t);
      expect(store.get('alice', a.id!)).toBe(a);
    }
    vi.setSystemTime(1_000_000 + 10_000);
    expect(store.get('alice', a.id!)).toBeUndefined();
    expect(ended).toEqual([[a, 'expired']]);
    expect(a.close).toHaveBeenCalledTimes(1);
  });

  it('[session:lifecycle] reap() ends idle and expired sessions, calls close(), and returns the count', () => {
    const a = open(store, 'alice');
    const b = open(store, 'bob');
    vi.setSystemTime(Date.now() + 600);
    expect(store.get('bob', b.id!)).toBe(b);
    vi.setSystemTime(Date.now() + 500); // a: 1100 ms idle; b: 500 ms
    expect(store.reap()).toBe(1);
    expect(ended).toEqual([[a, 'idle']]);
    expect(a.close).toHaveBeenCalledTimes(1);
    expect(b.close).not.toHaveBeenCalled();
    expect(store.reap()).toBe(0);
    expect(store.size).toBe(1);
  });

  it('[session:lifecycle] the reaper runs by itself every reapIntervalMs', () => {
    const a = open(store, 'alice');
    vi.advanceTimersByTime(1000); // reaper at 500 (alive) and 1000 (idle ≥ 1000)
    expect(ended).toEqual([[a, 'idle']]);
    expect(a.close).toHaveBeenCalledTimes(1);
    expect(store.size).toBe(0);
    expect(() => store.reserve('alice')).not.toThrow();
  });
});

describe('[session:lifecycle] ending', () => {
  it('[session:delete] end() runs once: onEnd and close() on the first call only', () => {
    const a = open(store, 'alice');
    expect(store.end(a, 'deleted')).toBe(true);
    expect(store.end(a, 'deleted')).toBe(false);
    expect(ended).toEqual([[a, 'deleted']]);
    expect(a.close).toHaveBeenCalledTimes(1);
    expect(store.get('alice', a.id!)).toBeUndefined();
  });

  it('end() of a different object under the same key leaves the stored one alone', () => {
    const a = open(store, 'alice');
    const impostor = session('alice', a.id);
    expect(store.end(impostor, 'deleted')).toBe(false);
    expect(store.get('alice', a.id!)).toBe(a);
    expect(impostor.close).not.toHaveBeenCalled();
  });

  it('closeAll() ends every session with reason shutdown and stops the reaper', async () => {
    const a = open(store, 'alice');
    const b = open(store, 'bob');
    await store.closeAll();
    expect(ended.map(([s, r]) => [s.id, r])).toEqual([
      [a.id, 'shutdown'],
      [b.id, 'shutdown'],
    ]);
    expect(store.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  // BUG: closeAll() ends each session (end() fires `void s.close()` and drops the promise) and then
  // awaits a SECOND s.close(). ClientSession.close() is idempotent — the second call returns at once
  // — so closeAll() resolves before any upstream connection is released or child reaped, and a
  // shutdown that exits after `await closeAll()` can leave orphan children (stdio:lifecycle). The
  // dropped promise is also an unhandled rejection if close() ever rejects. Fix in sessions.ts:
  // let end() keep the promise — `const closing = s.close().catch(() => undefined);` stored or
  // returned by a private endInner() — and have closeAll() await exactly those promises instead of
  // calling close() again.
  it('[stdio:lifecycle] closeAll() waits for every session’s close() to finish', async () => {
    vi.useRealTimers();
    const st = make();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const s = session('alice');
    let calls = 0;
    let finished = false;
    s.close.mockImplementation(() => {
      // Like ClientSession.close(): the first call does the work, later calls return at once.
      if (calls++ > 0) return Promise.resolve();
      return slow.then(() => {
        finished = true;
      });
    });
    st.add(s);
    let done = false;
    const all = st.closeAll().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    const doneEarly = done;
    release();
    await all;
    expect(finished).toBe(true);
    expect(doneEarly).toBe(false);
  });
});

describe('[session:lifecycle] memory stays flat under churn', () => {
  it('[session:lifecycle] thousands of principals opening and ending sessions leave no bookkeeping behind', () => {
    const st = make({ maxSessions: 10, maxPerPrincipal: 1 });
    for (let i = 0; i < 5000; i++) {
      const s = open(st, `p${i}`);
      if (i % 2 === 0) st.end(s, 'deleted');
      else {
        vi.setSystemTime(Date.now() + 2000);
        expect(st.get(`p${i}`, s.id!)).toBeUndefined();
      }
    }
    expect(st.size).toBe(0);
    const internals = st as unknown as { byKey: Map<string, unknown>; perPrincipal: Map<string, number> };
    expect(internals.byKey.size).toBe(0);
    expect(internals.perPrincipal.size).toBe(0);
    // And the caps count from zero again.
    for (let i = 0; i < 10; i++) open(st, `q${i}`);
    limitError(() => st.reserve('q-extra'));
  });
});
