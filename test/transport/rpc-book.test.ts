/**
 * RpcBook, the request bookkeeping both upstream connectors share: Warden's own upstream ids,
 * answers matched to the right pending request, timeouts and cancellation (each calling onCancel
 * so the upstream hears notifications/cancelled), failAll, progress-token rewriting so tokens of
 * different clients sharing one upstream cannot collide, and routing of related messages.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import type { JsonRpcMessage, JsonRpcResponse } from '../../src/core/jsonrpc.js';
import { RpcBook, idKey, infoFromInitialize } from '../../src/transport/upstream.js';

type Settled = { ok: true; value: JsonRpcResponse } | { ok: false; error: unknown };

/** Observes a promise without leaving a rejection unhandled. */
function watch(p: Promise<JsonRpcResponse>): { readonly state: Settled | undefined } {
  const box: { state: Settled | undefined } = { state: undefined };
  p.then(
    (value) => (box.state = { ok: true, value }),
    (error: unknown) => (box.state = { ok: false, error }),
  );
  return box;
}

/** Lets queued promise callbacks run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function errorOf(s: Settled | undefined): WardenError {
  expect(s?.ok).toBe(false);
  const e = (s as { error: unknown }).error;
  expect(e).toBeInstanceOf(WardenError);
  return e as WardenError;
}

let book: RpcBook;
beforeEach(() => {
  vi.useFakeTimers();
  book = new RpcBook('srv');
});
afterEach(() => {
  book.failAll(new WardenError('ERR_SHUTTING_DOWN'));
  vi.useRealTimers();
});

describe('ids', () => {
  it('gives each request its own increasing integer id and builds the message', () => {
    const a = book.open('tools/list', undefined, { timeoutMs: 1000 }, () => undefined);
    const b = book.open('tools/call', { name: 'x' }, { timeoutMs: 1000 }, () => undefined);
    const c = book.open('ping', {}, { timeoutMs: 1000 }, () => undefined);
    for (const r of [a, b, c]) watch(r.done);
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    expect(a.msg).toEqual({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect('params' in a.msg).toBe(false);
    expect(b.msg).toEqual({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x' } });
    expect(c.msg.params).toEqual({});
    expect(book.size).toBe(3);
  });

  it('never reuses an id, even after earlier requests settle', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const r = book.open('ping', undefined, { timeoutMs: 1000 }, () => undefined);
      watch(r.done);
      expect(seen.has(r.id)).toBe(false);
      seen.add(r.id);
      book.receive({ jsonrpc: '2.0', id: r.id, result: {} });
    }
    expect(book.size).toBe(0);
  });

  it('idKey keeps numeric and string ids apart', () => {
    expect(idKey(1)).not.toBe(idKey('1'));
    expect(idKey(1)).toBe('n1');
    expect(idKey('1')).toBe('s1');
  });
});

describe('answers', () => {
  it('resolves the request the response names, and only that one', async () => {
    const a = book.open('a', undefined, { timeoutMs: 1000 }, () => undefined);
    const b = book.open('b', undefined, { timeoutMs: 1000 }, () => undefined);
    const wa = watch(a.done);
    const wb = watch(b.done);
    const res = { jsonrpc: '2.0' as const, id: b.id, result: { which: 'b' } };
    expect(book.receive(res)).toBeUndefined();
    await flush();
    expect(wb.state).toEqual({ ok: true, value: res });
    expect(wa.state).toBeUndefined();
    expect(book.size).toBe(1);
  });

  it('resolves (does not reject) with an error response', async () => {
    const a = book.open('a', undefined, { timeoutMs: 1000 }, () => undefined);
    const w = watch(a.done);
    const res = { jsonrpc: '2.0' as const, id: a.id, error: { code: -32601, message: 'nope' } };
    book.receive(res);
    await flush();
    expect(w.state).toEqual({ ok: true, value: res });
  });

  it('ignores responses with unknown, string or null ids, and duplicates', async () => {
    const a = book.open('a', undefined, { timeoutMs: 1000 }, () => undefined);
    const w = watch(a.done);
    expect(book.receive({ jsonrpc: '2.0', id: 999, result: {} })).toBeUndefined();
    // The string "1" is not Warden's id 1: an upstream cannot answer by a look-alike id.
    expect(book.receive({ jsonrpc: '2.0', id: String(a.id), result: {} })).toBeUndefined();
    expect(book.receive({ jsonrpc: '2.0', id: null, error: { code: 1, message: 'm' } })).toBeUndefined();
    expect(book.receive({ jsonrpc: '2.0', error: { code: 1, message: 'm' } })).toBeUndefined();
    await flush();
    expect(w.state).toBeUndefined();
    expect(book.size).toBe(1);
    const first = { jsonrpc: '2.0' as const, id: a.id, result: { n: 1 } };
    book.receive(first);
    book.receive({ jsonrpc: '2.0', id: a.id, result: { n: 2 } });
    await flush();
    expect(w.state).toEqual({ ok: true, value: first });
  });
});

describe('timeouts and cancellation', () => {
  it('times out with ERR_UPSTREAM_TIMEOUT (504) and calls onCancel once', async () => {
    const onCancel = vi.fn();
    const a = book.open('tools/call', undefined, { timeoutMs: 1000 }, onCancel);
    const w = watch(a.done);
    await vi.advanceTimersByTimeAsync(999);
    expect(w.state).toBeUndefined();
    expect(onCancel).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    const e = errorOf(w.state);
    expect(e.code).toBe('ERR_UPSTREAM_TIMEOUT');
    expect(e.status).toBe(504);
    expect(e.data).toEqual({ server: 'srv', method: 'tools/call', timeoutMs: 1000 });
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(onCancel).toHaveBeenCalledWith(a.id);
    expect(book.size).toBe(0);
    // A late answer changes nothing.
    book.receive({ jsonrpc: '2.0', id: a.id, result: {} });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('an answer before the deadline clears the timer', async () => {
    const onCancel = vi.fn();
    const a = book.open('x', undefined, { timeoutMs: 1000 }, onCancel);
    const w = watch(a.done);
    book.receive({ jsonrpc: '2.0', id: a.id, result: {} });
    await vi.advanceTimersByTimeAsync(5000);
    expect(w.state?.ok).toBe(true);
    expect(onCancel).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an abort rejects with ERR_CANCELLED, calls onCancel and clears the timer', async () => {
    const onCancel = vi.fn();
    const ac = new AbortController();
    const a = book.open('x', undefined, { timeoutMs: 1000, signal: ac.signal }, onCancel);
    const w = watch(a.done);
    ac.abort();
    await flush();
    const e = errorOf(w.state);
    expect(e.code).toBe('ERR_CANCELLED');
    expect(e.status).toBe(499);
    expect(onCancel).toHaveBeenCalledExactlyOnceWith(a.id);
    expect(book.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('an already-aborted signal rejects at once with ERR_CANCELLED', async () => {
    const onCancel = vi.fn();
    const a = book.open('x', undefined, { timeoutMs: 1000, signal: AbortSignal.abort() }, onCancel);
    const w = watch(a.done);
    await flush();
    expect(errorOf(w.state).code).toBe('ERR_CANCELLED');
    expect(onCancel).toHaveBeenCalledExactlyOnceWith(a.id);
    expect(book.size).toBe(0);
  });

  it('an abort after the answer does nothing', async () => {
    const onCancel = vi.fn();
    const ac = new AbortController();
    const a = book.open('x', undefined, { timeoutMs: 1000, signal: ac.signal }, onCancel);
    const w = watch(a.done);
    book.receive({ jsonrpc: '2.0', id: a.id, result: {} });
    ac.abort();
    await flush();
    expect(w.state?.ok).toBe(true);
    expect(onCancel).not.toHaveBeenCalled();
  });

  it('fail(id) rejects only that request, with the given error', async () => {
    const a = book.open('a', undefined, { timeoutMs: 1000 }, () => undefined);
    const b = book.open('b', undefined, { timeoutMs: 1000 }, () => undefined);
    const wa = watch(a.done);
    const wb = watch(b.done);
    const err = new WardenError('ERR_UPSTREAM_UNAVAILABLE');
    book.fail(a.id, err);
    book.fail(12345, err);
    await flush();
    expect(errorOf(wa.state)).toBe(err);
    expect(wb.state).toBeUndefined();
    expect(book.size).toBe(1);
  });

  it('failAll rejects every pending request with the error, without onCancel', async () => {
    const onCancel = vi.fn();
    const ws = Array.from({ length: 5 }, (_, i) =>
      watch(book.open(`m${i}`, undefined, { timeoutMs: 1000 }, onCancel).done),
    );
    const err = new WardenError('ERR_UPSTREAM_CRASHED');
    book.failAll(err);
    await flush();
    for (const w of ws) expect(errorOf(w.state)).toBe(err);
    expect(book.size).toBe(0);
    expect(onCancel).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('progress tokens', () => {
  it('rewrites the token on the way out without touching the caller’s params', () => {
    const params = { name: 't', _meta: { progressToken: 'tok', other: 1 } };
    const a = book.open('tools/call', params, { timeoutMs: 1000 }, () => undefined);
    watch(a.done);
    expect(a.msg.params).toEqual({ name: 't', _meta: { progressToken: `w${a.id}`, other: 1 } });
    expect(params).toEqual({ name: 't', _meta: { progressToken: 'tok', other: 1 } });
  });

  it('keeps two requests with the same original token apart and restores each token', () => {
    const m1: JsonRpcMessage[] = [];
    const m2: JsonRpcMessage[] = [];
    const a = book.open(
      'tools/call',
      { _meta: { progressToken: 'same' } },
      { timeoutMs: 1000, onMessage: (m) => m1.push(m) },
      () => undefined,
    );
    const b = book.open(
      'tools/call',
      { _meta: { progressToken: 'same' } },
      { timeoutMs: 1000, onMessage: (m) => m2.push(m) },
      () => undefined,
    );
    watch(a.done);
    watch(b.done);
    const ta = (a.msg.params?._meta as Record<string, unknown>).progressToken;
    const tb = (b.msg.params?._meta as Record<string, unknown>).progressToken;
    expect(ta).not.toBe(tb);
    expect(
      book.receive({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: tb, progress: 2 },
      }),
    ).toBeUndefined();
    expect(
      book.receive({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: ta, progress: 1 },
      }),
    ).toBeUndefined();
    expect(m1).toEqual([
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'same', progress: 1 } },
    ]);
    expect(m2).toEqual([
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'same', progress: 2 } },
    ]);
  });

  it('restores a numeric token as a number', () => {
    const got: JsonRpcMessage[] = [];
    const a = book.open(
      'x',
      { _meta: { progressToken: 5 } },
      { timeoutMs: 1000, onMessage: (m) => got.push(m) },
      () => undefined,
    );
    watch(a.done);
    book.receive({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: `w${a.id}`, progress: 1, total: 2 },
    });
    expect(got).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 5, progress: 1, total: 2 },
      },
    ]);
  });

  it('does not rewrite a token that is neither string nor number, or a _meta that is not an object', () => {
    const a = book.open('x', { _meta: { progressToken: { o: 1 } } }, { timeoutMs: 1000 }, () => undefined);
    const b = book.open('x', { _meta: ['progressToken'] }, { timeoutMs: 1000 }, () => undefined);
    watch(a.done);
    watch(b.done);
    expect(a.msg.params).toEqual({ _meta: { progressToken: { o: 1 } } });
    expect(b.msg.params).toEqual({ _meta: ['progressToken'] });
  });

  it('returns progress for unknown or settled tokens to the caller instead of a request listener', () => {
    const got: JsonRpcMessage[] = [];
    const a = book.open(
      'x',
      { _meta: { progressToken: 'p' } },
      { timeoutMs: 1000, onMessage: (m) => got.push(m) },
      () => undefined,
    );
    watch(a.done);
    const unknown = {
      jsonrpc: '2.0' as const,
      method: 'notifications/progress',
      params: { progressToken: 'w999', progress: 1 },
    };
    expect(book.receive(unknown)).toBe(unknown);
    // A client-chosen token that was rewritten is not routable by its original value.
    const original = {
      jsonrpc: '2.0' as const,
      method: 'notifications/progress',
      params: { progressToken: 'p', progress: 1 },
    };
    expect(book.receive(original)).toBe(original);
    book.receive({ jsonrpc: '2.0', id: a.id, result: {} });
    const late = {
      jsonrpc: '2.0' as const,
      method: 'notifications/progress',
      params: { progressToken: `w${a.id}`, progress: 1 },
    };
    expect(book.receive(late)).toBe(late);
    expect(got).toEqual([]);
  });
});

describe('related messages', () => {
  it('routes messages carried on a request’s stream to that request’s onMessage', () => {
    const got: JsonRpcMessage[] = [];
    const a = book.open(
      'tools/call',
      undefined,
      { timeoutMs: 1000, onMessage: (m) => got.push(m) },
      () => undefined,
    );
    watch(a.done);
    const log = {
      jsonrpc: '2.0' as const,
      method: 'notifications/message',
      params: { level: 'info', data: 'x' },
    };
    const elicit = { jsonrpc: '2.0' as const, id: 'srv-1', method: 'elicitation/create', params: {} };
    expect(book.receive(log, a.id)).toBeUndefined();
    expect(book.receive(elicit, a.id)).toBeUndefined();
    expect(got).toEqual([log, elicit]);
  });

  it('returns messages that belong to no listening request', () => {
    const a = book.open('x', undefined, { timeoutMs: 1000 }, () => undefined);
    watch(a.done);
    const n = { jsonrpc: '2.0' as const, method: 'notifications/tools/list_changed' };
    expect(book.receive(n)).toBe(n);
    expect(book.receive(n, a.id)).toBe(n); // a related request without onMessage
    expect(book.receive(n, 4242)).toBe(n); // an unknown related request
  });

  it('a request named notifications/progress (with an id) is not treated as progress', () => {
    const got: JsonRpcMessage[] = [];
    const a = book.open(
      'x',
      { _meta: { progressToken: 'p' } },
      { timeoutMs: 1000, onMessage: (m) => got.push(m) },
      () => undefined,
    );
    watch(a.done);
    const req = {
      jsonrpc: '2.0' as const,
      id: 1,
      method: 'notifications/progress',
      params: { progressToken: `w${a.id}` },
    };
    expect(book.receive(req)).toBe(req);
    expect(got).toEqual([]);
  });

  it('soleRequest and listenerOf attribute stdio server requests only when one request is pending', () => {
    const l = vi.fn();
    expect(book.soleRequest()).toBeUndefined();
    const a = book.open('x', undefined, { timeoutMs: 1000, onMessage: l }, () => undefined);
    watch(a.done);
    expect(book.soleRequest()).toBe(a.id);
    expect(book.listenerOf(a.id)).toBe(l);
    const b = book.open('y', undefined, { timeoutMs: 1000 }, () => undefined);
    watch(b.done);
    expect(book.soleRequest()).toBeUndefined();
    expect(book.listenerOf(b.id)).toBeUndefined();
  });
});

describe('infoFromInitialize', () => {
  it('reads a legacy initialize result', () => {
    const info = infoFromInitialize('s', {
      jsonrpc: '2.0',
      id: 1,
      result: {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'n' },
        instructions: 'hi',
      },
    });
    expect(info).toEqual({
      protocolVersion: '2025-06-18',
      era: 'legacy',
      capabilities: { tools: {} },
      serverInfo: { name: 'n' },
      instructions: 'hi',
    });
  });

  it('refuses an unsupported version (ERR_UPSTREAM_PROTOCOL) and an error answer (ERR_UPSTREAM_UNAVAILABLE)', () => {
    expect(() =>
      infoFromInitialize('s', { jsonrpc: '2.0', id: 1, result: { protocolVersion: '2024-11-05' } }),
    ).toThrow(expect.objectContaining({ code: 'ERR_UPSTREAM_PROTOCOL' }));
    expect(() => infoFromInitialize('s', { jsonrpc: '2.0', id: 1, result: {} })).toThrow(
      expect.objectContaining({ code: 'ERR_UPSTREAM_PROTOCOL' }),
    );
    expect(() =>
      infoFromInitialize('s', { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'no' } }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_UPSTREAM_UNAVAILABLE',
        data: { server: 's', upstreamCode: -32600 },
      }),
    );
  });
});
