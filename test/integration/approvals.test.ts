/**
 * Calls held for a human through a running Warden: an `approve` rule holds a tools/call in the
 * approval queue; an approver (another principal with the approver role) releases it through the
 * admin API and only then does it reach the upstream; a denied or expired call never does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../fixtures/servers/recording-http.js';
import { openSession, rpc, startTestWarden } from '../helpers/warden.js';
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

async function admin(method: 'GET' | 'POST', path: string): Promise<{ status: number; json: unknown }> {
  const token = await issuer.sign({ sub: 'ann', aud: `${w.url}/admin`, roles: ['approver'] });
  const res = await fetch(`${w.admin?.url ?? ''}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, json: await res.json() };
}

/** The id of the one held call, once it shows up in the queue. */
async function heldId(): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const list = await admin('GET', '/approvals');
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
