/**
 * The authentication attack table, through a running Warden in front of a recording upstream:
 * every hostile or broken token gets the exact refusal (status, code, RFC 6750 challenge) and
 * nothing reaches the upstream. Tokens come from a real test authorization server.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../../fixtures/servers/recording-http.js';
import { modernMeta, modernPost } from '../modern-upstream/helpers.js';
import { INIT, mcpHeaders, openSession, rpc, startTestWarden } from '../../helpers/warden.js';
import type { TestWarden } from '../../helpers/warden.js';
import type { ConfigInput } from '../../../src/config/schema.js';

let issuer: TestIssuer;
let upstream: RecordingUpstream;
let warden: TestWarden;
let resource: string;
const EP = '/mcp/rec';

const now = (): number => Math.floor(Date.now() / 1000);
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

beforeAll(async () => {
  issuer = await startTestIssuer();
  upstream = await startRecordingUpstream();
  warden = await startTestWarden({
    auth: {
      mode: 'jwt',
      issuer: issuer.url,
      jwksUri: `${issuer.origin}/jwks`,
      maxTokenAgeSec: 600,
      typ: 'at+jwt',
      scopesSupported: ['mcp:read', 'mcp:tools'],
    },
    servers: { rec: { url: upstream.url } },
  });
  resource = `${warden.url}${EP}`;
});

afterAll(async () => {
  await warden?.close();
  await upstream?.close();
  await issuer?.close();
});

/** A token good for the endpoint, with overrides. */
function good(claims: Record<string, unknown> = {}, header?: Record<string, unknown>): Promise<string> {
  return issuer.sign({ sub: 'alice', aud: resource, scope: 'mcp:read', ...claims }, header ? { header } : {});
}

/** Runs `fn` against a fresh Warden (with `auth`) in front of a fresh recording upstream. */
async function withWarden(
  auth: NonNullable<ConfigInput['auth']>,
  fn: (w: TestWarden, up: RecordingUpstream) => Promise<void>,
): Promise<void> {
  const up = await startRecordingUpstream();
  const w = await startTestWarden({ auth, servers: { rec: { url: up.url } } });
  try {
    await fn(w, up);
  } finally {
    await w.close();
    await up.close();
  }
}

/** Introspection mode against the test issuer (client `warden`; secret from the environment). */
function introspectionAuth(cacheMaxSec?: number): NonNullable<ConfigInput['auth']> {
  process.env.WARDEN_TEST_INTROSPECTION_SECRET = 'warden-secret';
  return {
    mode: 'introspection',
    issuer: issuer.url,
    introspection: {
      endpoint: `${issuer.origin}/introspect`,
      clientId: 'warden',
      clientSecret: 'env:WARDEN_TEST_INTROSPECTION_SECRET',
      ...(cacheMaxSec !== undefined ? { cacheMaxSec } : {}),
    },
  };
}

/** The upstream's request count once Warden's own follow-ups (notifications/initialized) arrived. */
async function settled(up: RecordingUpstream): Promise<number> {
  let n = -1;
  while (n !== up.requests.length) {
    n = up.requests.length;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

async function attackerSigned(header: Record<string, unknown>): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const h: Record<string, unknown> = { alg: 'ES256', typ: 'at+jwt', ...header };
  if ('jwk' in header) h.jwk = jwk;
  return (
    new SignJWT({ sub: 'mallory', aud: resource, iss: issuer.url })
      .setProtectedHeader(h as { alg: string })
      .setIssuedAt()
      .setExpirationTime('5m')
      // Declares the extension to jose so it will sign; Warden must still refuse any `crit`.
      .sign(privateKey, 'x-attack' in header ? { crit: { 'x-attack': true } } : undefined)
  );
}

interface Row {
  readonly name: string;
  readonly auth: () => Promise<string | undefined>;
  readonly status: number;
  readonly code: string;
  /** The `error` of the challenge; undefined when none is expected. */
  readonly error?: string;
  readonly reason?: string;
  readonly query?: () => Promise<string>;
}

const ROWS: Row[] = [
  { name: 'no token', auth: () => Promise.resolve(undefined), status: 401, code: 'ERR_AUTHN_TOKEN_MISSING' },
  {
    name: 'Basic credentials',
    auth: () => Promise.resolve(`Basic ${Buffer.from('alice:pw').toString('base64')}`),
    status: 401,
    code: 'ERR_AUTHN_TOKEN_MISSING',
  },
  {
    name: 'empty bearer',
    auth: () => Promise.resolve('Bearer '),
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'malformed',
  },
  {
    name: 'token in the query string',
    auth: () => Promise.resolve(undefined),
    query: () => good(),
    status: 400,
    code: 'ERR_AUTHN_QUERY_TOKEN',
    error: 'invalid_request',
  },
  {
    name: 'token in the query string beside a valid header',
    auth: async () => `Bearer ${await good()}`,
    query: () => good(),
    status: 400,
    code: 'ERR_AUTHN_QUERY_TOKEN',
    error: 'invalid_request',
  },
  {
    name: 'alg none',
    auth: () =>
      Promise.resolve(
        `Bearer ${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ sub: 'alice', aud: resource, iss: issuer.url, iat: now(), exp: now() + 300 })}.`,
      ),
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'algorithm',
  },
  {
    name: 'HS256 signed with the RSA public key',
    auth: async () =>
      `Bearer ${await new SignJWT({ sub: 'alice', aud: resource, iss: issuer.url })
        .setProtectedHeader({
          alg: 'HS256',
          typ: 'at+jwt',
          kid: issuer.jwks().keys.find((k) => k.kty === 'RSA')?.kid,
        })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(issuer.rsaPublicPem))}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'algorithm',
  },
  {
    name: 'jku pointing at an attacker key set',
    auth: async () =>
      `Bearer ${await attackerSigned({ jku: 'https://attacker.example/jwks.json', kid: 'evil' })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'header-key',
  },
  {
    name: 'x5u pointing at an attacker certificate',
    auth: async () => `Bearer ${await attackerSigned({ x5u: 'https://attacker.example/cert.pem' })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'header-key',
  },
  {
    name: 'embedded jwk of the attacker',
    auth: async () => `Bearer ${await attackerSigned({ jwk: true })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'header-key',
  },
  {
    name: 'kid naming a file path, signed by the attacker',
    auth: async () => `Bearer ${await attackerSigned({ kid: '../../../../etc/passwd' })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'signature',
  },
  {
    name: 'kid of a real key, signed by the attacker',
    auth: async () => `Bearer ${await attackerSigned({ kid: issuer.jwks().keys[0]?.kid })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'signature',
  },
  {
    name: 'expired',
    auth: async () => `Bearer ${await good({ iat: now() - 400, exp: now() - 120 })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_EXPIRED',
    error: 'invalid_token',
    reason: 'expired',
  },
  {
    name: 'nbf in the future',
    auth: async () => `Bearer ${await good({ nbf: now() + 600 })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'not-yet-valid',
  },
  {
    name: 'iat in the future',
    auth: async () => `Bearer ${await good({ iat: now() + 600, exp: now() + 900 })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'issued-in-future',
  },
  {
    name: 'older than the maximum age',
    auth: async () => `Bearer ${await good({ iat: now() - 3600, exp: now() + 300 })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_EXPIRED',
    error: 'invalid_token',
    reason: 'too-old',
  },
  {
    name: 'wrong issuer',
    auth: async () => `Bearer ${await good({ iss: 'https://attacker.example' })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'issuer',
  },
  {
    name: 'wrong audience',
    auth: async () => `Bearer ${await good({ aud: 'https://other.example/mcp' })}`,
    status: 401,
    code: 'ERR_AUTHN_AUDIENCE',
    error: 'invalid_token',
    reason: 'audience',
  },
  {
    name: 'missing audience',
    auth: async () => `Bearer ${await good({ aud: undefined })}`,
    status: 401,
    code: 'ERR_AUTHN_AUDIENCE',
    error: 'invalid_token',
    reason: 'audience',
  },
  {
    name: 'audience list without Warden',
    auth: async () => `Bearer ${await good({ aud: ['https://a.example/mcp', 'https://b.example/mcp'] })}`,
    status: 401,
    code: 'ERR_AUTHN_AUDIENCE',
    error: 'invalid_token',
    reason: 'audience',
  },
  {
    name: 'token for another Warden endpoint',
    auth: async () => `Bearer ${await good({ aud: `${warden.url}/mcp` })}`,
    status: 401,
    code: 'ERR_AUTHN_AUDIENCE',
    error: 'invalid_token',
    reason: 'audience',
  },
  {
    name: 'wrong typ',
    auth: async () => `Bearer ${await good({}, { typ: 'JWT' })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'typ',
  },
  {
    name: 'unknown crit',
    auth: async () => `Bearer ${await attackerSigned({ crit: ['x-attack'], 'x-attack': true })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'crit',
  },
  {
    name: 'oversized token',
    auth: async () => `Bearer ${await good({ pad: 'x'.repeat(9000) })}`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'size',
  },
  {
    name: 'malformed: two segments',
    auth: () => Promise.resolve('Bearer abc.def'),
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'malformed',
  },
  {
    name: 'malformed: four segments',
    auth: async () => `Bearer ${await good()}.extra`,
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'malformed',
  },
  {
    name: 'malformed: header not JSON',
    auth: () =>
      Promise.resolve(`Bearer ${Buffer.from('not json').toString('base64url')}.${b64({ sub: 'x' })}.c2ln`),
    status: 401,
    code: 'ERR_AUTHN_TOKEN_INVALID',
    error: 'invalid_token',
    reason: 'malformed',
  },
];

function challengeOf(h: Headers): Record<string, string> {
  const v = h.get('www-authenticate') ?? '';
  expect(v.startsWith('Bearer ')).toBe(true);
  const out: Record<string, string> = {};
  for (const m of v.slice(7).matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}

describe('authentication attack table through a running Warden', () => {
  it.each(ROWS)(
    '[authn:challenge-401] [authn:jwt-strict] [authn:audience] [authn:no-query-token] $name → $status $code, nothing upstream',
    async (row) => {
      const before = await settled(upstream);
      const auth = await row.auth();
      const q = row.query === undefined ? '' : `?access_token=${await row.query()}`;
      const res = await fetch(`${warden.url}${EP}${q}`, {
        method: 'POST',
        headers: mcpHeaders(undefined, auth === undefined ? {} : { authorization: auth }),
        body: JSON.stringify(INIT),
      });
      const body = (await res.json()) as { error: { data: { code: string; reason?: string } } };
      expect(res.status).toBe(row.status);
      expect(body.error.data.code).toBe(row.code);
      if (row.reason !== undefined) expect(body.error.data.reason).toBe(row.reason);
      const ch = challengeOf(res.headers);
      expect(ch.resource_metadata).toBe(`${warden.url}/.well-known/oauth-protected-resource${EP}`);
      expect(ch.scope).toBe('mcp:read mcp:tools');
      expect(ch.error).toBe(row.error);
      expect(upstream.requests.length).toBe(before);
    },
  );

  it('[authn:challenge-401] a valid token is accepted and reaches the upstream', async () => {
    const before = upstream.requests.length;
    const sid = await openSession(warden.url, EP, { authorization: `Bearer ${await good()}` });
    expect(sid).toMatch(/^[\x21-\x7e]{32,}$/);
    expect(upstream.requests.length).toBeGreaterThan(before);
    const rec = warden.audit().find((r) => r.session === sid && r.method === 'initialize');
    expect(rec?.principal).toBe(`${issuer.url}|alice`);
  });

  it('[authn:audience] a token cached for one endpoint is still refused at another', async () => {
    const token = await good({ aud: `${warden.url}/mcp` });
    const ok = await rpc(warden.url, '/mcp', undefined, INIT, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    const before = await settled(upstream);
    const res = await rpc(warden.url, EP, undefined, INIT, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect((res.json as { error: { data: { code: string } } }).error.data.code).toBe('ERR_AUTHN_AUDIENCE');
    expect(upstream.requests.length).toBe(before);
  });

  it('[authn:every-request] a session id without a token authenticates nothing (POST, GET, DELETE)', async () => {
    const sid = await openSession(warden.url, EP, { authorization: `Bearer ${await good()}` });
    const before = await settled(upstream);
    const post = await rpc(warden.url, EP, sid, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(post.status).toBe(401);
    const get = await fetch(`${warden.url}${EP}`, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(get.status).toBe(401);
    expect(get.headers.get('www-authenticate')).toContain('resource_metadata=');
    await get.body?.cancel();
    const del = await fetch(`${warden.url}${EP}`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(del.status).toBe(401);
    await del.body?.cancel();
    expect(upstream.requests.length).toBe(before);
    // The session survived the unauthenticated DELETE.
    const list = await rpc(
      warden.url,
      EP,
      sid,
      { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      {
        authorization: `Bearer ${await good()}`,
      },
    );
    expect(list.status).toBe(200);
  });

  it('[authn:every-request] an expired token is refused inside a live session', async () => {
    const short = await good({ exp: now() + 2, iat: now() });
    const sid = await openSession(warden.url, EP, { authorization: `Bearer ${short}` });
    const expired = await good({ iat: now() - 300, exp: now() - 100 });
    const before = await settled(upstream);
    const res = await rpc(
      warden.url,
      EP,
      sid,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      {
        authorization: `Bearer ${expired}`,
      },
    );
    expect(res.status).toBe(401);
    expect((res.json as { error: { data: { code: string } } }).error.data.code).toBe(
      'ERR_AUTHN_TOKEN_EXPIRED',
    );
    expect(upstream.requests.length).toBe(before);
  });

  it('[authn:every-request] a 2026-07-28 sessionless request without a token gets 401', async () => {
    const before = upstream.requests.length;
    const res = await modernPost(`${warden.url}${EP}`, 1, 'tools/list', {
      _meta: modernMeta({ name: 't', version: '1' }),
    });
    expect(res.status).toBe(401);
    expect(upstream.requests.length).toBe(before);
  });
});

describe('sessions are bound to the principal', () => {
  it("[session:bound-to-principal] another principal's valid token on a session → 404, and it cannot end it", async () => {
    const alice = `Bearer ${await good({ sub: 'alice' })}`;
    const bob = `Bearer ${await good({ sub: 'bob' })}`;
    const sid = await openSession(warden.url, EP, { authorization: alice });
    const before = await settled(upstream);
    const post = await rpc(
      warden.url,
      EP,
      sid,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { authorization: bob },
    );
    expect(post.status).toBe(404);
    expect((post.json as { error: { data: { code: string } } }).error.data.code).toBe('ERR_SESSION_UNKNOWN');
    const get = await fetch(`${warden.url}${EP}`, {
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': sid,
        authorization: bob,
        'mcp-protocol-version': '2025-11-25',
      },
    });
    expect(get.status).toBe(404);
    await get.body?.cancel();
    const del = await fetch(`${warden.url}${EP}`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': sid, authorization: bob, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(del.status).toBe(404);
    await del.body?.cancel();
    expect(upstream.requests.length).toBe(before);
    const mine = await rpc(
      warden.url,
      EP,
      sid,
      { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      { authorization: alice },
    );
    expect(mine.status).toBe(200);
  });
});

describe('protected-resource metadata', () => {
  it('[authn:prm] serves RFC 9728 metadata per endpoint and at the root', async () => {
    const res = await fetch(`${warden.url}/.well-known/oauth-protected-resource${EP}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      resource: resource,
      authorization_servers: [issuer.url],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp:read', 'mcp:tools'],
      resource_name: 'Warden MCP gateway',
    });
    const agg = (await (await fetch(`${warden.url}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      resource: string;
    };
    expect(agg.resource).toBe(`${warden.url}/mcp`);
    const root = (await (await fetch(`${warden.url}/.well-known/oauth-protected-resource`)).json()) as {
      resource: string;
    };
    expect(root.resource).toBe(warden.url);
    const none = await fetch(`${warden.url}/.well-known/oauth-protected-resource/mcp/nope`);
    expect(none.status).toBe(404);
    await none.body?.cancel();
  });
});

describe('step-up, replay and introspection', () => {
  it('[authn:step-up-403] a valid token without the needed scope gets 403 insufficient_scope with the scopes to ask for', async () => {
    await withWarden(
      {
        mode: 'jwt',
        issuer: issuer.url,
        jwksUri: `${issuer.origin}/jwks`,
        scopesSupported: ['mcp:read', 'mcp:tools'],
        stepUp: [{ method: 'tools/call', scopes: ['mcp:tools'] }],
      },
      async (w, up) => {
        const token = await issuer.sign({ sub: 'carol', aud: `${w.url}${EP}`, scope: 'mcp:read' });
        const auth = { authorization: `Bearer ${token}` };
        const sid = await openSession(w.url, EP, auth);
        const list = await rpc(w.url, EP, sid, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, auth);
        expect(list.status).toBe(200);
        const res = await rpc(
          w.url,
          EP,
          sid,
          {
            jsonrpc: '2.0',
            id: 3,
            method: 'tools/call',
            params: { name: 'echo', arguments: { text: 'hi' } },
          },
          auth,
        );
        expect(res.status).toBe(403);
        expect((res.json as { error: { data: { code: string } } }).error.data.code).toBe(
          'ERR_AUTHN_INSUFFICIENT_SCOPE',
        );
        const ch = challengeOf(res.headers);
        expect(ch.error).toBe('insufficient_scope');
        expect(ch.scope).toBe('mcp:read mcp:tools');
        expect(ch.resource_metadata).toBe(`${w.url}/.well-known/oauth-protected-resource${EP}`);
        expect(up.requests.some((r) => r.body.includes('tools/call'))).toBe(false);
        const upgraded = await issuer.sign({
          sub: 'carol',
          aud: `${w.url}${EP}`,
          scope: 'mcp:read mcp:tools',
        });
        const ok = await rpc(
          w.url,
          EP,
          sid,
          {
            jsonrpc: '2.0',
            id: 4,
            method: 'tools/call',
            params: { name: 'echo', arguments: { text: 'hi' } },
          },
          { authorization: `Bearer ${upgraded}` },
        );
        expect(ok.status).toBe(200);
      },
    );
  });

  it('[authn:replay] a valid token replayed with its jti is refused when replay protection is on', async () => {
    await withWarden(
      { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks`, replay: true },
      async (w, up) => {
        const token = await issuer.sign({
          sub: 'dave',
          aud: `${w.url}${EP}`,
          jti: randomBytes(8).toString('hex'),
        });
        const first = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${token}` });
        expect(first.status).toBe(200);
        const before = await settled(up);
        const again = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${token}` });
        expect(again.status).toBe(401);
        expect((again.json as { error: { data: { code: string } } }).error.data.code).toBe(
          'ERR_AUTHN_TOKEN_REPLAYED',
        );
        expect(challengeOf(again.headers).error).toBe('invalid_token');
        expect(up.requests.length).toBe(before);
        const noJti = await issuer.sign({ sub: 'dave', aud: `${w.url}${EP}`, jti: undefined });
        const refused = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${noJti}` });
        expect(refused.status).toBe(401);
      },
    );
  });

  it('[authn:introspection] an opaque token reported active:false gets 401, an active one passes', async () => {
    await withWarden(introspectionAuth(), async (w, up) => {
      const dead = randomBytes(24).toString('base64url');
      issuer.setIntrospection(dead, { active: false });
      const res = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${dead}` });
      expect(res.status).toBe(401);
      expect((res.json as { error: { data: { code: string } } }).error.data.code).toBe('ERR_AUTHN_INACTIVE');
      expect(challengeOf(res.headers).error).toBe('invalid_token');
      expect(up.requests.length).toBe(0);
      const live = randomBytes(24).toString('base64url');
      issuer.setIntrospection(live, {
        active: true,
        sub: 'erin',
        iss: issuer.url,
        aud: `${w.url}${EP}`,
        exp: now() + 300,
        scope: 'mcp:read',
      });
      const ok = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${live}` });
      expect(ok.status).toBe(200);
    });
  });

  it('[authn:introspection] a token the authorization server revokes stops working within cacheMaxSec', async () => {
    await withWarden(introspectionAuth(1), async (w) => {
      const token = randomBytes(24).toString('base64url');
      issuer.setIntrospection(token, {
        active: true,
        sub: 'frank',
        aud: `${w.url}${EP}`,
        exp: now() + 600,
      });
      const auth = { authorization: `Bearer ${token}` };
      expect((await rpc(w.url, EP, undefined, INIT, auth)).status).toBe(200);
      const asked = (): number => issuer.requests.filter((r) => r.path === '/introspect').length;
      const before = asked();
      expect((await rpc(w.url, EP, undefined, INIT, auth)).status).toBe(200);
      expect(asked()).toBe(before); // served from the cache
      issuer.setIntrospection(token, { active: false });
      await new Promise((r) => setTimeout(r, 1100));
      const res = await rpc(w.url, EP, undefined, INIT, auth);
      expect(res.status).toBe(401);
      expect((res.json as { error: { data: { code: string } } }).error.data.code).toBe('ERR_AUTHN_INACTIVE');
    });
  });
});
