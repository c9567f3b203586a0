/**
 * Calls held for a human through a running Warden: an `approve` rule holds a tools/call in the
 * approval queue; an approver (another principal with the approver role) releases it through the
 * admin API and only then does it reach the upstream; a denied or expired call never does.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../fixtures/servers/recording-http.js';
import { adminApi } from '../helpers/admin.js';
import { modernMeta, modernPost } from '../helpers/modern.js';
import type { Msg } from '../helpers/modern.js';
import { ROOT, openSession, rpc, startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';

const EP = '/mcp/files';
let issuer: TestIssuer;
let up: RecordingUpstream;
let w: TestWarden;

beforeAll(async () => {
  issuer = await startTestIssuer();
  up = await startRecordingUpstream({ name: 'files' });
  w = await startTestWarden({
    auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
    admin: { enabled: true, port: 0, approvalTimeoutSec: 2 },
    servers: { files: { url: up.url } },
    policy: {
      roles: { ops: { groups: ['ops'] } },
      rules: [
        { id: 'ops-echo-needs-approval', effect: 'approve', who: { roles: ['ops'] }, servers: ['files'] },
      ],
    },
  });
});

afterAll(async () => {
  await w?.close();
  await up?.close();
  await issuer?.close();
});

const calls = (): number => up.requests.filter((r) => r.body.includes('"tools/call"')).length;

async function opsCaller(): Promise<(text: string) => ReturnType<typeof rpc>> {
  const auth = {
    authorization: `Bearer ${await issuer.sign({ sub: 'olga', aud: `${w.url}${EP}`, groups: ['ops'] })}`,
  };
  const sid = await openSession(w.url, EP, auth);
  let id = 100;
  return (text) =>
    rpc(
      w.url,
      EP,
      sid,
      { jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: 'echo', arguments: { text } } },
      auth,
    );
}

function admin(
  method: 'GET' | 'POST',
  route: string,
  warden: TestWarden = w,
): Promise<{ status: number; json: unknown }> {
  return adminApi<unknown>(issuer, warden, method, route, 'ann');
}

/** The id of the one held call, once it shows up in the queue. */
async function heldId(warden: TestWarden = w): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const list = await admin('GET', '/approvals', warden);
    const items =
      (list.json as { approvals?: { id: string }[] }).approvals ?? (list.json as { id: string }[]);
    const first = Array.isArray(items) ? items[0] : undefined;
    if (first !== undefined) return first.id;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no held call appeared');
}

describe('approvals through a running Warden', () => {
  it('[policy:approval] a held call is released by an approver and only then reaches the upstream', async () => {
    const call = await opsCaller();
    const before = calls();
    const pending = call('approve me');
    const id = await heldId();
    expect(calls()).toBe(before);
    expect((await admin('POST', `/approvals/${id}/approve`)).status).toBe(200);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json)).toContain('approve me');
    expect(calls()).toBe(before + 1);
    const rec = w.audit().findLast((r) => r.method === 'tools/call' && r.outcome === 'ok');
    expect(rec?.decisions).toContainEqual(
      expect.objectContaining({
        stage: 'policy',
        decision: 'allow',
        rule: 'ops-echo-needs-approval (approved)',
      }),
    );
  });

  it('[policy:approval] a denied call gets ERR_APPROVAL_DENIED and is never forwarded', async () => {
    const call = await opsCaller();
    const before = calls();
    const pending = call('deny me');
    const id = await heldId();
    expect((await admin('POST', `/approvals/${id}/deny`)).status).toBe(200);
    const res = await pending;
    expect(res.status).toBe(403);
    expect((res.json as { error: { data: { code: string } } }).error.data.code).toBe('ERR_APPROVAL_DENIED');
    expect(calls()).toBe(before);
  });

  it('[policy:approval] a call nobody decides expires with ERR_APPROVAL_EXPIRED and is never forwarded', async () => {
    const call = await opsCaller();
    const before = calls();
    const t0 = Date.now();
    const res = await call('forget me');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(res.status).toBe(403);
    expect((res.json as { error: { data: { code: string } } }).error.data.code).toBe('ERR_APPROVAL_EXPIRED');
    expect(calls()).toBe(before);
  });
});

describe('an approved 2026-07-28 call whose upstream asks the client something', () => {
  const SCRIPTED = path.join(ROOT, 'dist/test/fixtures/servers/scripted-server.js');
  let s: TestWarden;
  beforeAll(async () => {
    s = await startTestWarden({
      auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
      admin: { enabled: true, port: 0, approvalTimeoutSec: 5 },
      servers: { s: { command: process.execPath, args: [SCRIPTED] } },
      policy: { rules: [{ id: 'sample-needs-approval', effect: 'approve', servers: ['s'] }] },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** A 2026-07-28 tools/call by olga. */
  async function post(
    id: number,
    params: Record<string, unknown>,
  ): Promise<{ status: number; headers: Headers; msg: Msg }> {
    const token = await issuer.sign({ sub: 'olga', aud: `${s.url}/mcp/s` });
    return modernPost(`${s.url}/mcp/s`, id, 'tools/call', params, { authorization: `Bearer ${token}` });
  }

  async function call(id: number, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await post(id, params);
    expect(r.status).toBe(200);
    return r.msg.result ?? {};
  }

  it('[policy:approval] the retry that answers the upstream is the approved call going on: not held a second time', async () => {
    const params = {
      name: 'sample',
      arguments: {},
      _meta: modernMeta({ name: 'approvals-test', version: '1' }, { sampling: {} }),
    };
    const first = call(1, params);
    expect((await admin('POST', `/approvals/${await heldId(s)}/approve`, s)).status).toBe(200);
    const round = (await first) as {
      resultType: string;
      inputRequests: Record<string, { method: string }>;
      requestState: string;
    };
    expect(round.resultType).toBe('input_required');
    const [key, ask] = Object.entries(round.inputRequests)[0] ?? [];
    expect(ask?.method).toBe('sampling/createMessage');
    const answer = { role: 'assistant', content: { type: 'text', text: 'after-approval' }, model: 'm' };
    const done = await call(2, {
      ...params,
      inputResponses: { [key ?? '']: answer },
      requestState: round.requestState,
    });
    expect(done.resultType).toBe('complete');
    expect(JSON.stringify(done)).toContain('after-approval');
    expect(((await admin('GET', '/approvals', s)).json as { approvals: unknown[] }).approvals).toEqual([]);
    const rules = s
      .audit()
      .filter((r) => r.method === 'tools/call')
      .map((r) => r.decisions.find((d) => d.stage === 'policy')?.rule);
    expect(rules).toEqual([
      'sample-needs-approval (approved)',
      'sample-needs-approval (continuing approved call)',
    ]);
  });

  it('[policy:approval] a made-up requestState is no continuation: the call is held like any other, and even approved its state is refused with ERR_INVALID_PARAMS', async () => {
    const pending = post(9, {
      name: 'sample',
      arguments: {},
      requestState: 'made-up',
      inputResponses: {},
      _meta: modernMeta({ name: 'approvals-test', version: '1' }),
    });
    expect((await admin('POST', `/approvals/${await heldId(s)}/approve`, s)).status).toBe(200);
    const r = await pending;
    // Routing checks the state after the hold, and answers with a JSON-RPC error.
    const body = r.msg;
    expect(body.error?.code).toBe(-32602);
    expect(body.error?.data?.code).toBe('ERR_INVALID_PARAMS');
  });
});
