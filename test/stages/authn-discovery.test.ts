/**
 * Issuer discovery against the real test issuer: OIDC first and RFC 8414 as fallback, exact
 * issuer match, learned URLs refused under the SSRF rules at discovery time, and the Entra
 * issuer rules (unit-tested; real Entra is never reached).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { discoverIssuer, entraTenantOf } from '../../src/stages/authn/discovery.js';
import type { FetchPolicy } from '../../src/stages/authn/ssrf.js';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const names: Record<string, string> = { 'idp.internal': '10.0.0.1', 'idp.example': '127.0.0.1' };
const lookup: FetchPolicy['lookup'] = (host) => {
  const address = names[host];
  return address === undefined
    ? Promise.reject(new Error('ENOTFOUND'))
    : Promise.resolve([{ address, family: 4 }]);
};
const dev: FetchPolicy = { allowInsecure: true, lookup };
const prod: FetchPolicy = { allowInsecure: false, lookup };

async function refusal(p: Promise<unknown>): Promise<{ code: string; data: unknown }> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof WardenError)) throw new Error(`expected a WardenError, got ${String(err)}`);
  return { code: err.code, data: err.data };
}

describe('discoverIssuer against the test issuer', () => {
  const started: TestIssuer[] = [];
  async function issuerWith(opts: Parameters<typeof startTestIssuer>[0] = {}): Promise<TestIssuer> {
    const i = await startTestIssuer(opts);
    started.push(i);
    return i;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((i) => i.close()));
  });

  it('[authn:idp-profiles] OIDC discovery: the document is fetched from <issuer>/.well-known/openid-configuration', async () => {
    const issuer = await issuerWith();
    const meta = await discoverIssuer(issuer.url, 'oidc', dev);
    expect(meta).toMatchObject({
      issuer: issuer.url,
      jwks_uri: `${issuer.url}/jwks`,
      introspection_endpoint: `${issuer.url}/introspect`,
    });
    expect(issuer.requests.map((r) => r.path)).toEqual(['/.well-known/openid-configuration']);
  });

  it('[authn:idp-profiles] entra profile: a tenant-path v2 issuer stand-in is discovered in development', async () => {
    const issuer = await issuerWith({ entraTenant: TENANT });
    const meta = await discoverIssuer(issuer.url, 'entra', dev);
    expect(meta.issuer).toBe(`${issuer.origin}/${TENANT}/v2.0`);
    expect(issuer.requests.map((r) => r.path)).toEqual([`/${TENANT}/v2.0/.well-known/openid-configuration`]);
  });

  it('[oauth:ssrf] production policy refuses the same http loopback issuer before any request', async () => {
    const issuer = await issuerWith();
    expect(await refusal(discoverIssuer(issuer.url, 'oidc', prod))).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
    expect(issuer.requests).toEqual([]);
  });

  it('[oauth:ssrf] a learned jwks_uri at the cloud metadata address is refused at discovery time', async () => {
    const issuer = await issuerWith({
      metadata: { jwks_uri: 'http://169.254.169.254/latest/meta-data/jwks' },
    });
    expect(await refusal(discoverIssuer(issuer.url, 'oidc', dev))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'ssrf', url: 'http://169.254.169.254' },
    });
  });

  it('[oauth:ssrf] a learned introspection_endpoint on 10.x, literal or by name, is refused at discovery time', async () => {
    for (const endpoint of ['https://10.20.30.40/introspect', 'https://idp.internal/introspect']) {
      const issuer = await issuerWith({ metadata: { introspection_endpoint: endpoint } });
      expect(await refusal(discoverIssuer(issuer.url, 'oidc', dev)), endpoint).toEqual({
        code: 'ERR_AUTHN_UNAVAILABLE',
        data: { reason: 'ssrf', url: new URL(endpoint).origin },
      });
    }
  });

  it('[oauth:ssrf] a learned jwks_uri with a scheme other than https is refused', async () => {
    const issuer = await issuerWith({ metadata: { jwks_uri: 'file:///etc/passwd' } });
    expect(await refusal(discoverIssuer(issuer.url, 'oidc', dev))).toMatchObject({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'ssrf' },
    });
  });

  it('the document must name the configured issuer exactly (foreign issuer, trailing slash)', async () => {
    const foreign = await issuerWith({ metadata: { issuer: 'https://evil.example' } });
    expect(await refusal(discoverIssuer(foreign.url, 'oidc', dev))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'issuer-mismatch', url: foreign.origin },
    });
    // oauth4webapi compares normalised URLs; the configured `<url>/` must still not match `<url>`.
    const issuer = await issuerWith();
    expect(await refusal(discoverIssuer(`${issuer.url}/`, 'oidc', dev))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'issuer-mismatch', url: issuer.origin },
    });
  });

  it('an unreachable issuer fails closed with ERR_AUTHN_UNAVAILABLE', async () => {
    const issuer = await issuerWith();
    const url = issuer.url;
    await issuer.close();
    started.splice(0);
    expect(await refusal(discoverIssuer(url, 'oidc', dev))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      data: { reason: 'network', url },
    });
  });
});

describe('discoverIssuer RFC 8414 fallback', () => {
  let server: Server;
  let origin = '';
  const paths: string[] = [];
  beforeAll(async () => {
    // An authorization server that serves only RFC 8414 metadata, under a path issuer.
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      if (req.url === '/.well-known/oauth-authorization-server/tenant-a') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: `${origin}/tenant-a`, jwks_uri: `${origin}/tenant-a/jwks` }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('[authn:idp-profiles] tries OIDC first, then /.well-known/oauth-authorization-server<issuer path>', async () => {
    const meta = await discoverIssuer(`${origin}/tenant-a`, 'oidc', dev);
    expect(meta.jwks_uri).toBe(`${origin}/tenant-a/jwks`);
    expect(paths).toEqual([
      '/tenant-a/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenant-a',
    ]);
  });
});

describe('Entra issuer rules', () => {
  it('[authn:idp-profiles] only the tenant-specific v2 issuer names a tenant', () => {
    expect(entraTenantOf(`https://login.microsoftonline.com/${TENANT}/v2.0`)).toBe(TENANT);
    expect(entraTenantOf(`https://login.microsoftonline.us/${TENANT}/v2.0`)).toBe(TENANT);
    for (const bad of [
      'https://login.microsoftonline.com/common/v2.0',
      'https://login.microsoftonline.com/organizations/v2.0',
      'https://login.microsoftonline.com/consumers/v2.0',
      `https://sts.windows.net/${TENANT}/`,
      `https://login.microsoftonline.com/${TENANT}/`,
      `https://login.microsoftonline.com/${TENANT}/v2.0/`,
      `http://login.microsoftonline.com/${TENANT}/v2.0`,
      `https://login.microsoftonline.com.evil.example/${TENANT}/v2.0`,
      `https://evil.example/${TENANT}/v2.0`,
      `https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0`,
    ])
      expect(entraTenantOf(bad), bad).toBeUndefined();
  });

  it('[authn:idp-profiles] the entra profile refuses common, organizations, consumers and v1 issuers without any request', async () => {
    for (const issuer of [
      'https://login.microsoftonline.com/common/v2.0',
      'https://login.microsoftonline.com/organizations/v2.0',
      'https://login.microsoftonline.com/consumers/v2.0',
      `https://sts.windows.net/${TENANT}/`,
    ]) {
      let called = false;
      const policy: FetchPolicy = {
        allowInsecure: false,
        lookup: () => {
          called = true;
          return Promise.reject(new Error('no network in this test'));
        },
      };
      expect(await refusal(discoverIssuer(issuer, 'entra', policy)), issuer).toMatchObject({
        code: 'ERR_CONFIG_INVALID',
        data: { problems: [{ path: 'auth.issuer' }] },
      });
      expect(called).toBe(false);
    }
  });

  it('[authn:idp-profiles] a development stand-in still needs a tenant GUID', async () => {
    const issuer = await startTestIssuer({ entraTenant: 'contoso' });
    try {
      expect(await refusal(discoverIssuer(issuer.url, 'entra', dev))).toMatchObject({
        code: 'ERR_CONFIG_INVALID',
      });
      expect(issuer.requests).toEqual([]);
    } finally {
      await issuer.close();
    }
  });
});
