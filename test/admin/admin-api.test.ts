/**
 * The admin API over real sockets, against a running Warden with JWT authentication: no token →
 * 401, a data-plane token → 401 (wrong audience), no approver role → 403, approvers list, release
 * and deny held calls and grant elevations, nobody decides their own request, every request is
 * audited. Also the start-up rules: off by default, never without authentication, loopback only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';
import { startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';

let issuer: TestIssuer;
let w: TestWarden;
let admin: string;

const keyOf = (sub: string): string => `${issuer.url}|${sub}`;

async function token(sub: string, roles: string[] = [], aud = `${w.url}/admin`): Promise<string> {
  return issuer.sign({ sub, aud, roles });
}

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  bearer?: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${admin}${path}`, {
    method,
    headers: {
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

const errorCode = (json: Record<string, unknown>): unknown =>
  (json.error as { code?: unknown } | undefined)?.code;

function holdOne(subject = 'carol', args: unknown = { path: '/srv/a', token: 'sekrit' }) {
  return w.pipeline.approvals.hold({
    principal: { key: keyOf(subject), subject },
    server: 'files',
    tool: 'delete_file',
    args,
    rule: 'approve-deletes',
    timeoutMs: 60_000,
  });
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  w = await startTestWarden({
    auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
    admin: { enabled: true, port: 0 },
  });
  admin = w.admin?.url ?? '';
});

afterAll(async () => {
  await w.close();
  await issuer.close();
});

describe('admin API authentication', () => {
  it('no token → 401 ERR_AUTHN_TOKEN_MISSING with a Bearer challenge, audited as denied', async () => {
    const r = await call('GET', '/approvals');
    expect(r.status).toBe(401);
    expect(errorCode(r.json)).toBe('ERR_AUTHN_TOKEN_MISSING');
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const rec = w.audit().filter((a) => a.endpoint === '/admin' && a.code === 'ERR_AUTHN_TOKEN_MISSING');
    expect(rec.at(-1)).toMatchObject({
      kind: 'http',
      method: 'GET /approvals',
      outcome: 'denied',
      status: 401,
    });
  });

  it('a data-plane token (audience /mcp) is refused even with the approver role', async () => {
    const r = await call('GET', '/approvals', await token('bob', ['approver'], `${w.url}/mcp`));
    expect(r.status).toBe(401);
    expect(errorCode(r.json)).toBe('ERR_AUTHN_AUDIENCE');
  });

  it('a token without the approver role → 403 ERR_ADMIN_FORBIDDEN, and the held call stays held', async () => {
    const held = holdOne();
    const id = w.pipeline.approvals.list().at(-1)?.id ?? '';
    const mallory = await token('mallory', ['reader']);
    for (const [m, p] of [
      ['GET', '/approvals'],
      ['POST', `/approvals/${id}/approve`],
      ['GET', '/elevations'],
    ] as const) {
      const r = await call(m, p, mallory);
      expect(r.status, p).toBe(403);
      expect(errorCode(r.json)).toBe('ERR_ADMIN_FORBIDDEN');
    }
    expect(w.pipeline.approvals.list().map((a) => a.id)).toContain(id);
    const rec = w.audit().filter((a) => a.endpoint === '/admin' && a.principal === keyOf('mallory'));
    expect(rec.map((a) => [a.method, a.outcome, a.code])).toEqual([
      ['GET /approvals', 'denied', 'ERR_ADMIN_FORBIDDEN'],
      ['POST /approvals/:id/approve', 'denied', 'ERR_ADMIN_FORBIDDEN'],
      ['GET /elevations', 'denied', 'ERR_ADMIN_FORBIDDEN'],
    ]);
    w.pipeline.approvals.decide(id, 'deny', keyOf('test'));
    await expect(held).resolves.toBe('denied');
  });
});

describe('approvals', () => {
  it('an approver lists a held call with redacted arguments and releases it; the decision is audited', async () => {
    const held = holdOne();
    const bob = await token('bob', ['approver']);
    const list = await call('GET', '/approvals', bob);
    expect(list.status).toBe(200);
    const items = list.json.approvals as { id: string; argsRedacted: unknown; principal: string }[];
    const item = items.at(-1);
    expect(item).toMatchObject({
      principal: keyOf('carol'),
      tool: 'delete_file',
      argsRedacted: { path: '/srv/a', token: '[redacted]' },
    });
    expect(JSON.stringify(list.json)).not.toContain('sekrit');
    const r = await call('POST', `/approvals/${item?.id ?? ''}/approve`, bob);
    expect(r.status).toBe(200);
    expect(r.json.outcome).toBe('approved');
    await expect(held).resolves.toBe('approved');
    const rec = w
      .audit()
      .find((a) => a.method === 'POST /approvals/:id/approve' && a.principal === keyOf('bob'));
    expect(rec).toMatchObject({
      outcome: 'ok',
      tool: 'delete_file',
      server: 'files',
      target: { kind: 'approval', id: item?.id, owner: keyOf('carol') },
    });
    // Decided once.
    const again = await call('POST', `/approvals/${item?.id ?? ''}/deny`, bob);
    expect(again.status).toBe(404);
    expect(errorCode(again.json)).toBe('ERR_ADMIN_NOT_FOUND');
  });

  it('an approver denies a held call', async () => {
    const held = holdOne();
    const id = w.pipeline.approvals.list().at(-1)?.id ?? '';
    const r = await call('POST', `/approvals/${id}/deny`, await token('bob', ['approver']));
    expect(r.status).toBe(200);
    expect(r.json.outcome).toBe('denied');
    await expect(held).resolves.toBe('denied');
  });

  it('an approver cannot release their own call (403), unknown ids 404, wrong method 405', async () => {
    const held = holdOne('bob');
    const id = w.pipeline.approvals.list().at(-1)?.id ?? '';
    const bob = await token('bob', ['approver']);
    const own = await call('POST', `/approvals/${id}/approve`, bob);
    expect(own.status).toBe(403);
    expect(errorCode(own.json)).toBe('ERR_ADMIN_FORBIDDEN');
    expect((await call('POST', '/approvals/AAAAAAAAAAAAAAAAAAAAAA/approve', bob)).status).toBe(404);
    expect((await call('GET', '/nothing', bob)).status).toBe(404);
    const wrong = await call('GET', `/approvals/${id}/approve`, bob);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    w.pipeline.approvals.decide(id, 'deny', keyOf('dave'));
    await expect(held).resolves.toBe('denied');
  });
});

describe('elevations', () => {
  it('a user requests a role, cannot grant it to themselves, an approver grants it; it becomes active', async () => {
    const alice = await token('alice');
    const req = await call('POST', '/elevations', alice, {
      role: 'db-admin',
      durationSec: 1800,
      reason: 'incident 42',
    });
    expect(req.status).toBe(201);
    const e = req.json.elevation as { id: string; status: string; principalKey: string };
    expect(e).toMatchObject({ status: 'pending', principalKey: keyOf('alice') });
    expect(w.pipeline.elevations.activeRoles(keyOf('alice'))).toEqual([]);
    const self = await call('POST', `/elevations/${e.id}/approve`, await token('alice', ['approver']));
    expect(self.status).toBe(403);
    const bob = await token('bob', ['approver']);
    const list = await call('GET', '/elevations', bob);
    expect((list.json.elevations as { id: string }[]).map((x) => x.id)).toContain(e.id);
    const t0 = Date.now();
    const ok = await call('POST', `/elevations/${e.id}/approve`, bob);
    expect(ok.status).toBe(200);
    const granted = ok.json.elevation as { status: string; until: number; approver: string };
    expect(granted.status).toBe('active');
    expect(granted.approver).toBe(keyOf('bob'));
    expect(granted.until).toBeGreaterThanOrEqual(t0 + 1_800_000);
    expect(w.pipeline.elevations.activeRoles(keyOf('alice'))).toEqual(['db-admin']);
    const rec = w
      .audit()
      .filter((a) => a.target?.kind === 'elevation' && a.target.id === e.id && a.outcome === 'ok');
    expect(rec.map((a) => [a.method, a.principal])).toEqual([
      ['POST /elevations', keyOf('alice')],
      ['POST /elevations/:id/approve', keyOf('bob')],
    ]);
  });

  it('bad bodies → 400 ERR_ADMIN_INVALID naming the field; nothing recorded', async () => {
    const alice = await token('alice');
    const before = w.pipeline.elevations.list().length;
    for (const [body, field] of [
      ['not json', 'body'],
      [{ role: 'x y', durationSec: 60, reason: 'r' }, 'role'],
      [{ role: 'ops', durationSec: 28_801, reason: 'r' }, 'durationSec'],
      [{ role: 'ops', durationSec: 1.5, reason: 'r' }, 'durationSec'],
      [{ role: 'ops', durationSec: 60, reason: ' ' }, 'reason'],
    ] as const) {
      const r = await call('POST', '/elevations', alice, body);
      expect(r.status, field).toBe(400);
      expect(r.json.error).toMatchObject({
        code: 'ERR_ADMIN_INVALID',
        message: expect.stringContaining(field),
      });
    }
    expect(w.pipeline.elevations.list()).toHaveLength(before);
  });
});

describe('admin listener settings', () => {
  it('is off by default', async () => {
    const plain = await startTestWarden({
      auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
    });
    try {
      expect(plain.admin).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it('refuses to start without authentication or on a non-loopback address', async () => {
    await expect(startTestWarden({ admin: { enabled: true, port: 0 } })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      data: { problems: [expect.objectContaining({ path: 'admin.enabled' })] },
    });
    await expect(
      startTestWarden({
        auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
        admin: { enabled: true, port: 0, host: '0.0.0.0' },
      }),
    ).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      data: { problems: [expect.objectContaining({ path: 'admin.host' })] },
    });
  });
});
