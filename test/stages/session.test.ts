/**
 * The session stage (2025 era): a missing Mcp-Session-Id is 400, and an id that is malformed,
 * unknown, another principal's or another endpoint's is 404 — the same 404, so a caller learns
 * nothing about sessions that are not theirs. [session:missing-400] [session:unknown-404]
 */
import { describe, expect, it, vi } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { ANONYMOUS, startExchange } from '../../src/core/exchange.js';
import type { Exchange, Principal, SessionRef } from '../../src/core/exchange.js';
import type { JsonRpcMessage } from '../../src/core/jsonrpc.js';
import { toHttpError } from '../../src/core/mapper.js';
import { newSessionId } from '../../src/core/ids.js';
import { sessionHeader, sessionStage, verifySession } from '../../src/stages/session/index.js';
import { SessionStore } from '../../src/store/sessions.js';
import type { SessionLookup } from '../../src/stages/session/index.js';

const ALICE: Principal = {
  key: 'https://idp.example|alice',
  issuer: 'https://idp.example',
  subject: 'alice',
  scopes: [],
  roles: [],
};
const BOB: Principal = {
  key: 'https://idp.example|bob',
  issuer: 'https://idp.example',
  subject: 'bob',
  scopes: [],
  roles: [],
};

const toolsList: JsonRpcMessage = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

function exchange(opts: {
  principal?: Principal;
  endpoint?: string;
  sessionId?: string | string[];
  message?: JsonRpcMessage;
  era?: 'legacy' | 'modern';
  transport?: 'http' | 'stdio';
}): Exchange {
  const transport = opts.transport ?? 'http';
  const headers: Record<string, string | string[] | undefined> = { host: 'localhost' };
  if (opts.sessionId !== undefined) headers['mcp-session-id'] = opts.sessionId;
  const principal = opts.principal ?? ALICE;
  return startExchange({
    id: 'ex',
    started: 0n,
    transport,
    endpoint: opts.endpoint ?? '/mcp',
    http:
      transport === 'http'
        ? { method: 'POST', path: opts.endpoint ?? '/mcp', headers, remoteAddress: '127.0.0.1' }
        : undefined,
    message: opts.message ?? toolsList,
    era: opts.era ?? 'legacy',
    protocolVersion: '2025-11-25',
    principal,
    time: '',
  });
}

/** A lookup over a `<principal-key>:<id>` map, like the store; spied on. */
function store(refs: SessionRef[]): ReturnType<typeof vi.fn<SessionLookup>> {
  const m = new Map<string, SessionRef>();
  for (const r of refs) m.set(`${r.principal.key}:${r.id}`, r);
  return vi.fn<SessionLookup>((principalKey, id) => m.get(`${principalKey}:${id}`));
}

function refusal(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    return err as WardenError;
  }
  throw new Error('expected a refusal');
}

function expectCode(fn: () => unknown, code: ErrorCode, status: number): WardenError {
  const e = refusal(fn);
  expect(e.code).toBe(code);
  expect(e.status).toBe(status);
  expect(toHttpError(e).status).toBe(status);
  return e;
}

const aliceId = newSessionId();
const aliceSession: SessionRef = { id: aliceId, principal: { key: ALICE.key }, endpoint: '/mcp' };
const aliceServerSession: SessionRef = {
  id: newSessionId(),
  principal: { key: ALICE.key },
  endpoint: '/mcp/notes',
};

describe('verifySession', () => {
  it('[session:missing-400] a missing or empty id is 400 ERR_SESSION_MISSING', () => {
    const lookup = store([aliceSession]);
    expectCode(() => verifySession(exchange({}), lookup, undefined), 'ERR_SESSION_MISSING', 400);
    expectCode(() => verifySession(exchange({}), lookup, ''), 'ERR_SESSION_MISSING', 400);
    expect(toHttpError(new WardenError('ERR_SESSION_MISSING')).body.error.code).toBe(-32600);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('[session:unknown-404] a malformed id is 404 and never reaches the store', () => {
    const lookup = store([aliceSession]);
    for (const id of ['has space', 'tab\there', 'x'.repeat(129), 'é', 'a\u0000b', `${aliceId}\n`, ' ']) {
      expectCode(() => verifySession(exchange({}), lookup, id), 'ERR_SESSION_UNKNOWN', 404);
    }
    expect(lookup).not.toHaveBeenCalled();
  });

  it('[session:unknown-404] an id of 128 visible characters is looked up (the limit)', () => {
    const lookup = store([]);
    expectCode(() => verifySession(exchange({}), lookup, 'x'.repeat(128)), 'ERR_SESSION_UNKNOWN', 404);
    expect(lookup).toHaveBeenCalledWith(ALICE.key, 'x'.repeat(128));
  });

  it('[session:unknown-404] an unknown id is 404 ERR_SESSION_UNKNOWN', () => {
    expectCode(
      () => verifySession(exchange({}), store([aliceSession]), newSessionId()),
      'ERR_SESSION_UNKNOWN',
      404,
    );
  });

  it('[session:unknown-404] [session:bound-to-principal] another principal presenting the id gets the same 404, looked up under their own key', () => {
    const lookup = store([aliceSession]);
    const asBob = refusal(() => verifySession(exchange({ principal: BOB }), lookup, aliceId));
    expect(lookup).toHaveBeenCalledWith(BOB.key, aliceId);
    expect(lookup).not.toHaveBeenCalledWith(ALICE.key, expect.anything());
    const unknown = refusal(() => verifySession(exchange({ principal: BOB }), lookup, newSessionId()));
    // Indistinguishable from an unknown id: same code, message, data and HTTP reply.
    expect(asBob.code).toBe('ERR_SESSION_UNKNOWN');
    expect(toHttpError(asBob)).toEqual(toHttpError(unknown));
  });

  it('[session:unknown-404] a session of another endpoint is 404 on this one', () => {
    const lookup = store([aliceSession, aliceServerSession]);
    expectCode(
      () => verifySession(exchange({ endpoint: '/mcp/notes' }), lookup, aliceId),
      'ERR_SESSION_UNKNOWN',
      404,
    );
    expectCode(
      () => verifySession(exchange({ endpoint: '/mcp' }), lookup, aliceServerSession.id),
      'ERR_SESSION_UNKNOWN',
      404,
    );
  });

  // BUG (defence in depth): verifySession trusts the lookup to have keyed by principal and never
  // checks the owner of what it returns. With the store's ambiguous `${principal}:${id}` key (see
  // test/store/sessions.test.ts) that lets a principal whose key is a ':'-prefix of the victim's
  // use the victim's session. Fix in stages/session/index.ts:
  //   if (s === undefined || s.endpoint !== ex.endpoint || s.principal.key !== ex.principal.key) throw …UNKNOWN
  it('[session:bound-to-principal] a session the lookup returns for another principal is still 404', () => {
    const careless: SessionLookup = () => aliceSession;
    expectCode(
      () => verifySession(exchange({ principal: BOB }), careless, aliceId),
      'ERR_SESSION_UNKNOWN',
      404,
    );
  });

  it('[session:bound-to-principal] with the real store, a ":"-prefix principal cannot take a session by padding the id', () => {
    interface S extends SessionRef {
      readonly created: number;
      lastUsed: number;
      close(): Promise<void>;
    }
    const st = new SessionStore<S>({
      idleTimeoutMs: 60_000,
      absoluteTimeoutMs: 60_000,
      maxSessions: 10,
      maxPerPrincipal: 10,
      reapIntervalMs: 60_000,
    });
    const victim: Principal = { ...ALICE, key: 'https://idp.example|svc:alice', subject: 'svc:alice' };
    const attacker: Principal = { ...ALICE, key: 'https://idp.example|svc', subject: 'svc' };
    const id = newSessionId();
    st.add({
      id,
      principal: { key: victim.key },
      endpoint: '/mcp',
      created: Date.now(),
      lastUsed: Date.now(),
      close: () => Promise.resolve(),
    });
    try {
      expectCode(
        () => verifySession(exchange({ principal: attacker }), (p, i) => st.get(p, i), `alice:${id}`),
        'ERR_SESSION_UNKNOWN',
        404,
      );
    } finally {
      void st.closeAll();
    }
  });

  it('returns the session of the right principal on the right endpoint', () => {
    const lookup = store([aliceSession, aliceServerSession]);
    expect(verifySession(exchange({}), lookup, aliceId)).toBe(aliceSession);
    expect(verifySession(exchange({ endpoint: '/mcp/notes' }), lookup, aliceServerSession.id)).toBe(
      aliceServerSession,
    );
  });
});

describe('sessionStage', () => {
  const stage = sessionStage(store([aliceSession]));
  const run = async (ex: Exchange): Promise<void> => {
    await stage.request!(ex);
  };

  it('resolves the session of a legacy HTTP request and records it on the exchange', async () => {
    const ex = exchange({ sessionId: aliceId });
    await run(ex);
    expect(ex.session).toBe(aliceSession);
    expect(ex.sessionId).toBe(aliceId);
    expect(stage.name).toBe('session');
  });

  it('[session:missing-400] refuses a legacy HTTP request without the header', async () => {
    await expect(run(exchange({}))).rejects.toMatchObject({ code: 'ERR_SESSION_MISSING', status: 400 });
  });

  it('[session:unknown-404] refuses another principal’s id and an unknown one', async () => {
    await expect(run(exchange({ principal: BOB, sessionId: aliceId }))).rejects.toMatchObject({
      code: 'ERR_SESSION_UNKNOWN',
      status: 404,
    });
    await expect(run(exchange({ sessionId: 'nope' }))).rejects.toMatchObject({
      code: 'ERR_SESSION_UNKNOWN',
      status: 404,
    });
  });

  it('[session:bound-to-principal] a session id alone never stands in for the principal', async () => {
    // The anonymous principal presenting Alice's id gets nothing.
    await expect(run(exchange({ principal: ANONYMOUS, sessionId: aliceId }))).rejects.toMatchObject({
      code: 'ERR_SESSION_UNKNOWN',
    });
  });

  it('lets initialize through without a session', async () => {
    const ex = exchange({ message: { jsonrpc: '2.0', id: 0, method: 'initialize', params: {} } });
    await run(ex);
    expect(ex.session).toBeUndefined();
  });

  it('a notification called initialize is not exempt', async () => {
    await expect(run(exchange({ message: { jsonrpc: '2.0', method: 'initialize' } }))).rejects.toMatchObject({
      code: 'ERR_SESSION_MISSING',
    });
  });

  it('skips modern (sessionless) exchanges and stdio', async () => {
    const modern = exchange({ era: 'modern' });
    await run(modern);
    expect(modern.session).toBeUndefined();
    const stdio = exchange({ transport: 'stdio' });
    await run(stdio);
    expect(stdio.session).toBeUndefined();
  });

  it('uses the first of repeated Mcp-Session-Id headers', async () => {
    const ex = exchange({ sessionId: [aliceId, 'other'] });
    expect(sessionHeader(ex)).toBe(aliceId);
    await run(ex);
    expect(ex.session).toBe(aliceSession);
    expect(sessionHeader(exchange({ transport: 'stdio' }))).toBeUndefined();
  });
});
