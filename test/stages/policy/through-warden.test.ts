/**
 * The policy stage through a running Warden with real JWT principals (test issuer): list filtering
 * on the aggregate and single-server endpoints, denials by rule and by default, argument refusals,
 * and proof that nothing denied reaches the recording upstreams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../../fixtures/servers/recording-http.js';
import { INIT, rpc, startTestWarden } from '../../helpers/warden.js';
import type { TestWarden } from '../../helpers/warden.js';

let issuer: TestIssuer;
let alpha: RecordingUpstream;
let beta: RecordingUpstream;
let warden: TestWarden;

beforeAll(async () => {
  issuer = await startTestIssuer();
  alpha = await startRecordingUpstream({ name: 'alpha' });
  beta = await startRecordingUpstream({ name: 'beta' });
  warden = await startTestWarden({
    auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks`, maxTokenAgeSec: 600 },
    servers: { alpha: { url: alpha.url }, beta: { url: beta.url } },
    policy: {
      roles: { reader: { roles: ['reader'] }, ops: { groups: ['ops'] } },
      rules: [
        {
          id: 'reader-echo',
          effect: 'allow',
          who: { roles: ['reader'] },
          servers: ['alpha'],
          tools: ['echo'],
          arguments: { path: { pathPrefix: ['/srv/data'] }, text: { maxLength: 16, optional: true } },
        },
        { id: 'ops-beta', effect: 'allow', who: { roles: ['ops'] }, servers: ['beta'] },
        {
          id: 'ops-alpha-approve',
          effect: 'approve',
          who: { roles: ['ops'] },
          servers: ['alpha'],
          tools: ['echo'],
        },
      ],
    },
  });
});

afterAll(async () => {
  await warden?.close();
  await alpha?.close();
  await beta?.close();
  await issuer?.close();
});

async function client(sub: string, claims: Record<string, unknown>, endpoint: string) {
  const token = await issuer.sign({ sub, aud: `${warden.url}${endpoint}`, ...claims });
  const auth = { authorization: `Bearer ${token}` };
  const init = await rpc(warden.url, endpoint, undefined, INIT, auth);
  expect(init.status).toBe(200);
  const sid = init.headers.get('mcp-session-id') ?? undefined;
  await rpc(warden.url, endpoint, sid, { jsonrpc: '2.0', method: 'notifications/initialized' }, auth);
  let id = 10;
  return (method: string, params?: Record<string, unknown>) =>
    rpc(warden.url, endpoint, sid, { jsonrpc: '2.0', id: id++, method, ...(params ? { params } : {}) }, auth);
}

const calls = (u: RecordingUpstream): string[] =>
  u.requests.filter((r) => r.body.includes('"tools/call"')).map((r) => r.body);

function toolNames(json: unknown): string[] {
  const r = json as { result?: { tools?: { name: string }[] } };
  return (r.result?.tools ?? []).map((t) => t.name);
}

describe('policy through a running Warden', () => {
  it('[policy:list-filter] tools/list on /mcp shows each principal only what it may use', async () => {
    const alice = await client('alice', { roles: ['reader'] }, '/mcp');
    const bob = await client('bob', { groups: ['ops'] }, '/mcp');
    const eve = await client('eve', {}, '/mcp');
    expect(toolNames((await alice('tools/list')).json)).toEqual(['alpha__echo']);
    // approve counts as visible: the call can go through once approved.
    expect(toolNames((await bob('tools/list')).json).sort()).toEqual(['alpha__echo', 'beta__echo']);
    expect(toolNames((await eve('tools/list')).json)).toEqual([]);
  });

  it('[policy:list-filter] tools/list on a single-server endpoint is filtered too', async () => {
    const alice = await client('alice', { roles: ['reader'] }, '/mcp/beta');
    const list = await alice('tools/list');
    expect(list.status).toBe(200);
    expect(toolNames(list.json)).toEqual([]);
  });

  it('[policy:default-deny] a call no rule allows is refused with 403 ERR_POLICY_DENIED naming default-deny; the upstream sees nothing', async () => {
    const before = calls(beta).length;
    const alice = await client('alice', { roles: ['reader'] }, '/mcp');
    const res = await alice('tools/call', { name: 'beta__echo', arguments: { text: 'hi' } });
    expect(res.status).toBe(403);
    const err = (res.json as { error: { code: number; message: string; data: Record<string, unknown> } })
      .error;
    expect(err.code).toBe(-31001);
    expect(err.data).toMatchObject({ code: 'ERR_POLICY_DENIED', rule: 'default-deny' });
    expect(calls(beta).length).toBe(before);
    const rec = warden.audit().findLast((r) => r.method === 'tools/call' && r.code === 'ERR_POLICY_DENIED');
    expect(rec?.decisions).toContainEqual(
      expect.objectContaining({ stage: 'policy', decision: 'deny', rule: 'default-deny' }),
    );
  });

  const bad: [string, Record<string, unknown>][] = [
    ['dot-dot traversal', { path: '/srv/data/../../etc/passwd' }],
    ['percent-encoded traversal', { path: '/srv/data/%2e%2e/etc' }],
    ['backslashes', { path: '/srv/data\\..\\etc' }],
    ['NUL byte', { path: '/srv/data/a\u0000b' }],
    ['sibling prefix', { path: '/srv/database' }],
    ['string too long', { path: '/srv/data/a', text: 'x'.repeat(17) }],
    ['required argument missing', { text: 'hi' }],
  ];
  it.each(bad)('[policy:arguments] argument refusal: %s → 403, never forwarded', async (_t, args) => {
    const before = calls(alpha).length;
    const alice = await client('alice', { roles: ['reader'] }, '/mcp/alpha');
    const res = await alice('tools/call', { name: 'echo', arguments: args });
    expect(res.status).toBe(403);
    const err = (res.json as { error: { message: string; data: Record<string, unknown> } }).error;
    expect(err.data).toMatchObject({ code: 'ERR_POLICY_DENIED', rule: 'default-deny' });
    expect(err.message).toMatch(/rule reader-echo would allow it but argument (path|text)/);
    expect(calls(alpha).length).toBe(before);
  });

  it('a call within the constraints is forwarded and answered', async () => {
    const before = calls(alpha).length;
    const alice = await client('alice', { roles: ['reader'] }, '/mcp');
    const res = await alice('tools/call', {
      name: 'alpha__echo',
      arguments: { path: '/srv/data/notes.txt', text: 'ok' },
    });
    expect(res.status).toBe(200);
    expect((res.json as { result?: unknown }).result).toBeDefined();
    expect(calls(alpha).length).toBe(before + 1);
    const rec = warden.audit().findLast((r) => r.method === 'tools/call' && r.outcome === 'ok');
    expect(rec?.decisions).toContainEqual(
      expect.objectContaining({ stage: 'policy', decision: 'allow', rule: 'reader-echo' }),
    );
  });

  it('without the admin API (nobody could approve) an approve rule refuses with ERR_POLICY_APPROVAL_REQUIRED; nothing is forwarded', async () => {
    const before = calls(alpha).length;
    const bob = await client('bob', { groups: ['ops'] }, '/mcp');
    const res = await bob('tools/call', { name: 'alpha__echo', arguments: { path: '/srv/data/x' } });
    expect(res.status).toBe(403);
    const err = (res.json as { error: { data: Record<string, unknown> } }).error;
    expect(err.data).toMatchObject({ code: 'ERR_POLICY_APPROVAL_REQUIRED', rule: 'ops-alpha-approve' });
    expect(calls(alpha).length).toBe(before);
  });

  it('2026-07-28 (sessionless) clients: lists filtered and calls refused the same way', async () => {
    const tokenFor = (ep: string) =>
      issuer.sign({ sub: 'alice', aud: `${warden.url}${ep}`, roles: ['reader'] });
    const modern = async (
      ep: string,
      id: number,
      method: string,
      params: Record<string, unknown>,
      name?: string,
    ) => {
      const res = await fetch(`${warden.url}${ep}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': method,
          authorization: `Bearer ${await tokenFor(ep)}`,
          ...(name !== undefined ? { 'mcp-name': name } : {}),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method,
          params: {
            ...params,
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientInfo': { name: 'policy-test', version: '1' },
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const list = await modern('/mcp/alpha', 1, 'tools/list', {});
    expect(list.status).toBe(200);
    expect(toolNames(list.json)).toEqual(['echo']);
    const hidden = await modern('/mcp/beta', 2, 'tools/list', {});
    expect(hidden.status).toBe(200);
    expect(toolNames(hidden.json)).toEqual([]);
    const before = calls(beta).length;
    const denied = await modern('/mcp', 3, 'tools/call', { name: 'beta__echo', arguments: {} }, 'beta__echo');
    expect(denied.status).toBe(403);
    expect((denied.json.error as { data: Record<string, unknown> }).data).toMatchObject({
      code: 'ERR_POLICY_DENIED',
      rule: 'default-deny',
    });
    expect(calls(beta).length).toBe(before);
  });

  it('[policy:jit-elevation] a just-in-time role (elevation) grants while active and is gone once it lapses', async () => {
    const carl = await client('carl', {}, '/mcp');
    const key = `${issuer.url}|carl`;
    expect(toolNames((await carl('tools/list')).json)).toEqual([]);
    const e = warden.pipeline.elevations.request(key, 'ops', 2, 'incident 42');
    warden.pipeline.elevations.decide(e.id, 'approve', `${issuer.url}|approver`);
    expect(warden.pipeline.elevations.activeRoles(key)).toEqual(['ops']);
    const before = calls(beta).length;
    expect(toolNames((await carl('tools/list')).json).sort()).toEqual(['alpha__echo', 'beta__echo']);
    const ok = await carl('tools/call', { name: 'beta__echo', arguments: { text: 'hi' } });
    expect(ok.status).toBe(200);
    expect(calls(beta).length).toBe(before + 1);
    // The grant lapses by itself (2 s): the same principal and session are back to default deny.
    await expect
      .poll(() => warden.pipeline.elevations.activeRoles(key), { timeout: 10_000, interval: 100 })
      .toEqual([]);
    const after = await carl('tools/call', { name: 'beta__echo', arguments: { text: 'hi' } });
    expect(after.status).toBe(403);
    expect((after.json as { error: { data: Record<string, unknown> } }).error.data).toMatchObject({
      code: 'ERR_POLICY_DENIED',
      rule: 'default-deny',
    });
    expect(calls(beta).length).toBe(before + 1);
  });

  it('a bad policy block stops start-up with ERR_CONFIG_INVALID naming the path', async () => {
    await expect(
      startTestWarden({
        servers: { alpha: { url: alpha.url } },
        policy: {
          rules: [{ id: 'r', effect: 'allow', tools: ['echo'], arguments: { q: { pattern: '(a+)+$' } } }],
        },
      }),
    ).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      data: { problems: [{ path: 'policy.rules.0.arguments.q.pattern' }] },
    });
  });
});
