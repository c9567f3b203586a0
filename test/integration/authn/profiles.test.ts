/**
 * Identity-provider profiles through a running Warden: keys discovered from the issuer's metadata
 * (generic OIDC), the Entra ID profile with its tenant allowlist, the SSRF rule on a discovered
 * `jwks_uri`, and the bound on sessionless (2026-07-28) contexts that every principal creates.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../../fixtures/servers/recording-http.js';
import { INIT, rpc, startTestWarden } from '../../helpers/warden.js';
import { modernMeta, modernPost } from '../modern-upstream/helpers.js';

const EP = '/mcp/rec';
let upstream: RecordingUpstream;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

function codeOf(json: unknown): string | undefined {
  return (json as { error?: { data?: { code?: string } } }).error?.data?.code;
}

describe('generic OIDC', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(async () => {
    await issuer?.close();
  });

  it('[authn:idp-profiles] discovers the key set from the issuer metadata and maps Keycloak-style roles', async () => {
    const w = await startTestWarden({
      auth: { mode: 'jwt', issuer: issuer.url, allowInsecureDiscovery: true, claims: ['email'] },
      servers: { rec: { url: upstream.url } },
    });
    try {
      expect(issuer.requests.some((r) => r.path.includes('/.well-known/'))).toBe(true);
      const token = await issuer.sign({
        sub: 'kc-user',
        aud: `${w.url}${EP}`,
        azp: 'portal',
        scope: 'openid mcp:read',
        realm_access: { roles: ['analyst'] },
        email: 'kc@example.test',
      });
      const res = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      const rec = w.audit().find((r) => r.method === 'initialize' && r.outcome === 'ok');
      expect(rec?.principal).toBe(`${issuer.url}|kc-user`);
    } finally {
      await w.close();
    }
  });

  it('[authn:jwt-strict] verifies against a local JWKS file and refuses one holding a private key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-jwks-'));
    const file = path.join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify(issuer.jwks()));
    const w = await startTestWarden({
      auth: { mode: 'jwt', issuer: issuer.url, jwksFile: file },
      servers: { rec: { url: upstream.url } },
    });
    try {
      const before = issuer.requests.length;
      const token = await issuer.sign({ sub: 'file-user', aud: `${w.url}${EP}` });
      expect((await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${token}` })).status).toBe(200);
      expect(issuer.requests.length).toBe(before);
    } finally {
      await w.close();
    }
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    await expect(
      startTestWarden({ auth: { mode: 'jwt', issuer: issuer.url, jwksFile: file }, servers: {} }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });

  it('[oauth:ssrf] a discovered jwks_uri on a link-local or private address stops start-up', async () => {
    for (const hostile of ['https://169.254.169.254/keys', 'https://10.0.0.7/keys']) {
      const evil = await startTestIssuer({ metadata: { jwks_uri: hostile } });
      try {
        await expect(
          startTestWarden({
            auth: { mode: 'jwt', issuer: evil.url, allowInsecureDiscovery: true },
            servers: { rec: { url: upstream.url } },
          }),
        ).rejects.toMatchObject({ code: 'ERR_AUTHN_UNAVAILABLE', data: { reason: 'ssrf' } });
      } finally {
        await evil.close();
      }
    }
  });

  it('[oauth:ssrf] a loopback http issuer is refused for discovery unless development mode allows it', async () => {
    await expect(
      startTestWarden({ auth: { mode: 'jwt', issuer: issuer.url }, servers: { rec: { url: upstream.url } } }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_(CONFIG_INVALID|AUTHN_UNAVAILABLE)$/) });
  });
});

describe('Microsoft Entra ID profile', () => {
  const tenant = randomUUID();
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer({ entraTenant: tenant });
  });
  afterAll(async () => {
    await issuer?.close();
  });

  it('[authn:idp-profiles] accepts a v2 token of an allowed tenant (scp, roles, azp) and refuses another tenant', async () => {
    const w = await startTestWarden({
      auth: {
        mode: 'jwt',
        profile: 'entra',
        issuer: issuer.url,
        tenants: [tenant],
        allowInsecureDiscovery: true,
        stepUp: [{ method: 'tools/list', scopes: ['Tools.Read'] }],
      },
      servers: { rec: { url: upstream.url } },
    });
    try {
      const aud = `${w.url}${EP}`;
      const good = await issuer.sign({
        sub: 'entra-sub',
        aud,
        tid: tenant,
        azp: randomUUID(),
        scp: 'Tools.Read User.Read',
        roles: ['Gateway.Admin'],
        ver: '2.0',
      });
      const init = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${good}` });
      expect(init.status).toBe(200);
      const sid = init.headers.get('mcp-session-id') ?? '';
      const list = await rpc(
        w.url,
        EP,
        sid,
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        {
          authorization: `Bearer ${good}`,
        },
      );
      expect(list.status).toBe(200);

      const foreign = await issuer.sign({
        sub: 'x',
        aud,
        tid: randomUUID(),
        azp: randomUUID(),
        scp: 'Tools.Read',
      });
      const refused = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${foreign}` });
      expect(refused.status).toBe(401);
      expect(codeOf(refused.json)).toBe('ERR_AUTHN_TOKEN_INVALID');
      expect((refused.json as { error: { data: { reason: string } } }).error.data.reason).toBe('tenant');

      const noScope = await issuer.sign({ sub: 'y', aud, tid: tenant, azp: randomUUID(), scp: 'User.Read' });
      const init2 = await rpc(w.url, EP, undefined, INIT, { authorization: `Bearer ${noScope}` });
      const sid2 = init2.headers.get('mcp-session-id') ?? '';
      const stepUp = await rpc(
        w.url,
        EP,
        sid2,
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        {
          authorization: `Bearer ${noScope}`,
        },
      );
      expect(stepUp.status).toBe(403);
      expect(codeOf(stepUp.json)).toBe('ERR_AUTHN_INSUFFICIENT_SCOPE');
    } finally {
      await w.close();
    }
  });

  it('[authn:idp-profiles] refuses to start without a tenant allowlist or with a multi-tenant issuer', async () => {
    await expect(
      startTestWarden({
        auth: { mode: 'jwt', profile: 'entra', issuer: issuer.url, allowInsecureDiscovery: true },
        servers: { rec: { url: upstream.url } },
      }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    await expect(
      startTestWarden({
        auth: {
          mode: 'jwt',
          profile: 'entra',
          issuer: 'https://login.microsoftonline.com/common/v2.0',
          tenants: [tenant],
        },
        servers: { rec: { url: upstream.url } },
      }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });
});

describe('sessionless contexts', () => {
  it('[authn:every-request] many principals on the 2026-07-28 era stay within the configured bound and are all served', async () => {
    const issuer = await startTestIssuer();
    const w = await startTestWarden({
      auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
      sessions: { maxSessions: 2 },
      servers: { rec: { url: upstream.url } },
    });
    try {
      const call = async (sub: string): Promise<number> => {
        const token = await issuer.sign({ sub, aud: `${w.url}${EP}` });
        const res = await modernPost(
          `${w.url}${EP}`,
          1,
          'tools/list',
          { _meta: modernMeta({ name: 't', version: '1' }) },
          {
            authorization: `Bearer ${token}`,
          },
        );
        return res.status;
      };
      for (const sub of ['p1', 'p2', 'p3', 'p1', 'p4', 'p2']) {
        expect(await call(sub)).toBe(200);
        expect(w.pipeline.contextCount).toBeLessThanOrEqual(2);
      }
      const principals = new Set(
        w
          .audit()
          .filter((r) => r.outcome === 'ok')
          .map((r) => r.principal),
      );
      expect(principals.size).toBe(4);
    } finally {
      await w.close();
      await issuer.close();
    }
  });
});
