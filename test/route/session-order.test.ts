/**
 * A response stage may answer asynchronously (an external detector): the messages of a stream
 * still reach the client in the order the upstream sent them, and a request's final answer waits
 * for them (`settled()`); with synchronous stages nothing is queued at all.
 */
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/core/jsonrpc.js';
import { ClientSession } from '../../src/route/session.js';
import type { OutboundHook } from '../../src/route/session.js';
import type { Lease, Upstreams } from '../../src/route/upstreams.js';
import { ANONYMOUS } from '../../src/core/exchange.js';
import { WardenError } from '../../src/core/errors.js';

function sessionWith(hook: OutboundHook): { session: ClientSession; got: JsonRpcMessage[] } {
  const got: JsonRpcMessage[] = [];
  const session = new ClientSession(
    {
      id: 's1',
      principal: ANONYMOUS,
      endpoint: '/mcp/x',
      servers: ['x'],
      aggregate: false,
      era: 'legacy',
      protocolVersion: '2025-11-25',
      hello: {
        protocolVersion: '2025-11-25',
        capabilities: { sampling: {} },
        clientInfo: { name: 't', version: '1' },
      },
    },
    { allowOf: () => ({ sampling: true, elicitation: true }) } as unknown as Upstreams,
    hook,
  );
  session.sink = {
    push: (m: JsonRpcMessage) => void got.push(m),
    close: () => undefined,
  };
  return { session, got };
}

const progress = (n: number): JsonRpcMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 't', progress: n },
});
const lease = {} as Lease;

describe('response stages that answer asynchronously', () => {
  it('keep the order of a stream: a slow first message holds the later ones, and settled() resolves after all', async () => {
    let release: (() => void) | undefined;
    const hook: OutboundHook = (_s, _server, msg) => {
      const n = (msg as { params?: { progress?: number } }).params?.progress;
      if (n === 1) return new Promise((r) => (release = () => r(msg)));
      return n === 3 ? Promise.resolve(msg) : msg;
    };
    const { session, got } = sessionWith(hook);
    for (const n of [1, 2, 3, 4]) session.fromUpstream('x', progress(n), lease, undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([]);
    const done = session.settled();
    expect(done).toBeInstanceOf(Promise);
    release?.();
    await done;
    expect(got.map((m) => (m as unknown as { params: { progress: number } }).params.progress)).toEqual([
      1, 2, 3, 4,
    ]);
    expect(session.settled()).toBeUndefined();
  });

  it('deliver at once when every stage is synchronous (no queue)', () => {
    const { session, got } = sessionWith((_s, _server, msg) => msg);
    session.fromUpstream('x', progress(1), lease, undefined);
    expect(got).toHaveLength(1);
    expect(session.settled()).toBeUndefined();
  });

  it('answer a server request the stage refuses with the coded error, upstream, and never deliver it', async () => {
    const answers: unknown[] = [];
    const refusing: Lease = {
      upstream: { respond: (m: unknown) => (answers.push(m), Promise.resolve()) },
    } as unknown as Lease;
    const { session, got } = sessionWith(() =>
      Promise.reject(new WardenError('ERR_INSPECT_BLOCKED', 'refused', { data: { rules: ['r'] } })),
    );
    session.fromUpstream(
      'x',
      { jsonrpc: '2.0', id: 7, method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } },
      refusing,
      undefined,
    );
    await session.settled();
    expect(got).toEqual([]);
    expect(answers).toEqual([
      {
        jsonrpc: '2.0',
        id: 7,
        error: expect.objectContaining({ data: { rules: ['r'], code: 'ERR_INSPECT_BLOCKED' } }),
      },
    ]);
  });
});
