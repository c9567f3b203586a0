/**
 * Remote key sets over real sockets against the test issuer: key rotation picked up through an
 * unknown `kid` (after the cooldown), a key set that cannot be fetched or read fails closed with
 * 503, an unknown key stays the token's fault (401), and a learned JWKS URL on a forbidden address
 * is refused without a request.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, createRemoteJWKSet, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { verifyAccessToken } from '../../src/stages/authn/jwt.js';
import type { JwtPolicy } from '../../src/stages/authn/jwt.js';
import { localKeys, remoteKeys } from '../../src/stages/authn/keys.js';
import type { RemoteKeysOptions } from '../../src/stages/authn/keys.js';
import type { FetchPolicy } from '../../src/stages/authn/ssrf.js';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';

const RESOURCE = 'https://warden.example/mcp';
const names: Record<string, string> = { 'idp.example': '127.0.0.1', 'metadata.example': '169.254.169.254' };
const lookup: FetchPolicy['lookup'] = (host) => {
  const address = names[host];
  return address === undefined
    ? Promise.reject(new Error('ENOTFOUND'))
    : Promise.resolve([{ address, family: 4 }]);
};
const dev: FetchPolicy = { allowInsecure: true, lookup };

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
beforeEach(() => {
  issuer.requests.length = 0;
});

function policyFor(jwksUri: string, opts: Partial<RemoteKeysOptions> = {}): JwtPolicy {
  return {
    issuers: [issuer.url],
    algorithms: ['ES256', 'RS256'],
    typ: 'at+jwt',
    keys: remoteKeys(jwksUri, { trusted: false, policy: dev, ...opts }),
  };
}

async function outcome(
  token: string,
  policy: JwtPolicy,
): Promise<{ code: string; status: number; data: unknown }> {
  try {
    await verifyAccessToken(token, RESOURCE, policy);
    return { code: 'OK', status: 200, data: undefined };
  } catch (err) {
    if (!(err instanceof WardenError)) throw err;
    return { code: err.code, status: err.status, data: err.data };
  }
}
const jwksFetches = (): number => issuer.requests.filter((r) => r.path === '/jwks').length;

describe('remoteKeys', () => {
  it('picks up rotated keys: a token with a new kid makes jose refetch the JWKS', async () => {
    const policy = policyFor(`${issuer.url}/jwks`, { cooldownMs: 0 });
    expect((await outcome(await issuer.sign({ sub: 'a', aud: RESOURCE }), policy)).code).toBe('OK');
    await issuer.rotate();
    expect((await outcome(await issuer.sign({ sub: 'a', aud: RESOURCE }), policy)).code).toBe('OK');
    expect(
      (await outcome(await issuer.sign({ sub: 'a', aud: RESOURCE }, { alg: 'RS256' }), policy)).code,
    ).toBe('OK');
    expect(jwksFetches()).toBe(2);
  });

  it('[authn:jwt-strict] within the cooldown an unknown kid is refused 401 (signature) without refetching', async () => {
    const policy = policyFor(`${issuer.url}/jwks`, { cooldownMs: 60_000 });
    expect((await outcome(await issuer.sign({ sub: 'a', aud: RESOURCE }), policy)).code).toBe('OK');
    await issuer.rotate();
    const r = await outcome(await issuer.sign({ sub: 'a', aud: RESOURCE }), policy);
    expect(r).toEqual({ code: 'ERR_AUTHN_TOKEN_INVALID', status: 401, data: { reason: 'signature' } });
    expect(jwksFetches()).toBe(1);
  });

  it("[authn:jwt-strict] a token signed by a key outside the issuer's set is 401 signature, not 503", async () => {
    const policy = policyFor(`${issuer.url}/jwks`, { cooldownMs: 0 });
    const attacker = await generateKeyPair('ES256');
    const kid = issuer.jwks().keys[0]?.kid ?? '';
    const forged = await new SignJWT({
      sub: 'a',
      aud: RESOURCE,
      iss: issuer.url,
      exp: Math.floor(Date.now() / 1000) + 60,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .sign(attacker.privateKey);
    expect(await outcome(forged, policy)).toEqual({
      code: 'ERR_AUTHN_TOKEN_INVALID',
      status: 401,
      data: { reason: 'signature' },
    });
  });

  it('[oauth:ssrf] a learned JWKS URL on a forbidden address is refused without a request', async () => {
    const token = await issuer.sign({ sub: 'a', aud: RESOURCE });
    for (const [uri, origin] of [
      ['http://10.0.0.1/jwks', 'http://10.0.0.1'],
      ['http://metadata.example/jwks', 'http://metadata.example'],
    ] as const) {
      expect(await outcome(token, policyFor(uri)), uri).toEqual({
        code: 'ERR_AUTHN_UNAVAILABLE',
        status: 503,
        data: { reason: 'ssrf', url: origin },
      });
    }
    // The issuer itself, learned, on loopback under the production policy.
    const prod = policyFor(`${issuer.url}/jwks`, { policy: { allowInsecure: false, lookup } });
    expect(await outcome(token, prod)).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      status: 503,
      data: { reason: 'ssrf', url: issuer.origin },
    });
    expect(jwksFetches()).toBe(0);
  });

  it('a JWKS URL the operator wrote is fetched as written, even on loopback under the production policy', async () => {
    const policy = policyFor(`${issuer.url}/jwks`, { trusted: true, policy: { allowInsecure: false } });
    expect((await outcome(await issuer.sign({ sub: 'a', aud: RESOURCE }), policy)).code).toBe('OK');
    expect(jwksFetches()).toBe(1);
  });
});

describe('remoteKeys when the key set cannot be had', () => {
  let server: Server;
  let base = '';
  let closedPort = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/500') res.writeHead(500).end();
      else if (req.url === '/not-json')
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>');
      else if (req.url === '/not-jwks')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":"none"}');
      else if (req.url === '/slow')
        res.writeHead(200).write('{'); // never ends
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    closedPort = (spare.address() as AddressInfo).port;
    await new Promise<void>((r) => spare.close(() => r()));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('unreachable, 500, not JSON, not a JWKS, too slow: each is 503 ERR_AUTHN_UNAVAILABLE (fail closed)', async () => {
    const token = await issuer.sign({ sub: 'a', aud: RESOURCE });
    for (const [uri, trusted] of [
      [`http://127.0.0.1:${closedPort}/jwks`, true],
      [`http://127.0.0.1:${closedPort}/jwks`, false],
      [`${base}/500`, true],
      [`${base}/not-json`, false],
      [`${base}/not-jwks`, true],
      [`${base}/slow`, false],
    ] as const) {
      const policy = policyFor(uri, { trusted, policy: { ...dev, timeoutMs: 500 } });
      const r = await outcome(token, policy);
      expect({ code: r.code, status: r.status }, uri).toEqual({ code: 'ERR_AUTHN_UNAVAILABLE', status: 503 });
    }
  });
});

describe('verifyAccessToken with a bare jose remote key set', () => {
  it("maps jose's own key-set failures to 503, an unknown kid to 401", async () => {
    const token = await issuer.sign({ sub: 'a', aud: RESOURCE });
    const bare = (uri: string): JwtPolicy => ({
      issuers: [issuer.url],
      algorithms: ['ES256'],
      keys: createRemoteJWKSet(new URL(uri), { timeoutDuration: 2000 }),
    });
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    const port = (spare.address() as AddressInfo).port;
    await new Promise<void>((r) => spare.close(() => r()));
    expect(await outcome(token, bare(`http://127.0.0.1:${port}/jwks`))).toMatchObject({
      code: 'ERR_AUTHN_UNAVAILABLE',
      status: 503,
    });
    expect(await outcome(token, bare(`${issuer.url}/nowhere`))).toMatchObject({
      code: 'ERR_AUTHN_UNAVAILABLE',
      status: 503,
    });
    const other = await startTestIssuer();
    try {
      expect(await outcome(token, bare(`${other.url}/jwks`))).toEqual({
        code: 'ERR_AUTHN_TOKEN_INVALID',
        status: 401,
        data: { reason: 'signature' },
      });
    } finally {
      await other.close();
    }
  });
});

describe('localKeys', () => {
  it('verifies with a fixed key set', async () => {
    const policy: JwtPolicy = {
      issuers: [issuer.url],
      algorithms: ['ES256'],
      keys: localKeys(issuer.jwks()),
    };
    expect((await outcome(await issuer.sign({ sub: 'a', aud: RESOURCE }), policy)).code).toBe('OK');
  });
});
