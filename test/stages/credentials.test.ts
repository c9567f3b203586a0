/**
 * The credential broker against a real authorization server (the test issuer on a real socket):
 * start-up refusals, static secrets, client-credentials reuse and refresh, token exchange per
 * principal, and failures that end as ERR_UPSTREAM_CREDENTIAL without a secret in the log.
 */
import { createServer } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import type { Principal } from '../../src/core/exchange.js';
import { createLogger } from '../../src/core/log.js';
import type { Logger } from '../../src/core/log.js';
import { createCredentialBroker } from '../../src/stages/credentials/index.js';
import type { CallerCredential, UpstreamAuth, UpstreamAuthSpec } from '../../src/stages/credentials/index.js';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';
import { codeOf } from '../helpers/errors.js';

const UPSTREAM = 'http://127.0.0.1:9/mcp';
const STATIC_SECRET = 'static-S3cret-value-0123456789';
const CLIENT_SECRET = 'warden-secret';

const SECRETS: Record<string, string> = {
  'env:STATIC': STATIC_SECRET,
  'env:CLIENT': CLIENT_SECRET,
  'env:WRONG': 'not-the-secret',
  'env:CRLF': 'abc\r\nx-injected: 1',
};
const secret = (ref: string): string => {
  const v = SECRETS[ref];
  if (v === undefined) throw new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} is not set`);
  return v;
};

/** A logger whose lines a test can read. */
function capture(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  return { log: createLogger('debug', (l) => lines.push(l)), text: () => lines.join('') };
}

function principal(subject: string, expiresAt?: number): Principal {
  return { key: `iss|${subject}`, issuer: 'iss', subject, scopes: [], roles: [], expiresAt };
}

async function rejection(p: unknown): Promise<WardenError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WardenError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

const server = (auth: UpstreamAuth, url = UPSTREAM): UpstreamAuthSpec => ({ url, auth });

let issuer: TestIssuer;
let tokenEndpoint: string;
const tokenRequests = (): number => issuer.requests.filter((r) => r.path === '/token').length;

beforeAll(async () => {
  issuer = await startTestIssuer();
  tokenEndpoint = `${issuer.origin}/token`;
});
afterAll(async () => {
  await issuer.close();
});

describe('start-up checks', () => {
  it('refuses a static credential in a protocol header, a secret unfit for a header, an unresolved secret', () => {
    const c = capture();
    const mk = (auth: UpstreamAuth) => () =>
      createCredentialBroker({ s: server(auth) }, secret, { log: c.log });
    expect(codeOf(mk({ type: 'static', header: 'Mcp-Session-Id', scheme: 'raw', value: 'env:STATIC' }))).toBe(
      'ERR_CONFIG_INVALID',
    );
    expect(codeOf(mk({ type: 'static', header: 'content-type', scheme: 'raw', value: 'env:STATIC' }))).toBe(
      'ERR_CONFIG_INVALID',
    );
    expect(codeOf(mk({ type: 'static', header: 'host', scheme: 'raw', value: 'env:STATIC' }))).toBe(
      'ERR_CONFIG_INVALID',
    );
    let err: unknown;
    try {
      mk({ type: 'static', header: 'x-api-key', scheme: 'raw', value: 'env:CRLF' })();
    } catch (e) {
      err = e;
    }
    expect((err as WardenError).code).toBe('ERR_CONFIG_INVALID');
    expect(JSON.stringify({ m: (err as WardenError).message, d: (err as WardenError).data })).not.toContain(
      'injected',
    );
    expect(
      codeOf(mk({ type: 'static', header: 'authorization', scheme: 'bearer', value: 'env:MISSING' })),
    ).toBe('ERR_SECRET_UNRESOLVED');
  });

  it('refuses a plain-http token endpoint that is not loopback, and one with credentials in the URL', () => {
    const c = capture();
    const cc = (endpoint: string) => () =>
      createCredentialBroker(
        {
          s: server({
            type: 'client_credentials',
            tokenEndpoint: endpoint,
            clientId: 'warden',
            clientSecret: 'env:CLIENT',
            scopes: [],
          }),
        },
        secret,
        { log: c.log },
      );
    expect(codeOf(cc('http://auth.example.com/token'))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(cc('http://10.0.0.1/token'))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(cc('https://u:p@auth.example.com/token'))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(cc('https://auth.example.com/token'))).toBeUndefined();
    expect(codeOf(cc('http://127.0.0.1:1/token'))).toBeUndefined();
    expect(codeOf(cc('http://localhost:1/token'))).toBeUndefined();
  });
});

describe('none and static', () => {
  it('none adds nothing; static gives the exact header synchronously; stdio servers get nothing', () => {
    const b = createCredentialBroker(
      {
        n: server({ type: 'none' }),
        b: server({ type: 'static', header: 'authorization', scheme: 'bearer', value: 'env:STATIC' }),
        r: server({ type: 'static', header: 'X-Api-Key', scheme: 'raw', value: 'env:STATIC' }),
        io: { command: 'node' },
      },
      secret,
      { log: capture().log },
    );
    expect(b.headersFor('n', undefined)).toEqual({});
    expect(b.headersFor('b', undefined)).toEqual({ authorization: `Bearer ${STATIC_SECRET}` });
    expect(b.headersFor('r', undefined)).toEqual({ 'x-api-key': STATIC_SECRET });
    expect(b.headersFor('io', undefined)).toEqual({});
    expect(b.headersFor('b', undefined)).not.toBeInstanceOf(Promise);
    expect(b.perPrincipal('b')).toBe(false);
  });
});

describe('client credentials', () => {
  it('gets one token for the upstream URL as resource, reuses it, and refreshes it before expiry', async () => {
    const short = await startTestIssuer({ tokenTtlSec: 2 });
    try {
      const c = capture();
      const b = createCredentialBroker(
        {
          cc: server({
            type: 'client_credentials',
            tokenEndpoint: `${short.origin}/token`,
            clientId: 'warden',
            clientSecret: 'env:CLIENT',
            scopes: ['mcp:read', 'mcp:write'],
          }),
        },
        secret,
        { log: c.log },
      );
      const count = (): number => short.requests.filter((r) => r.path === '/token').length;
      // Five at once: one request (single flight).
      const first = await Promise.all(
        [1, 2, 3, 4, 5].map(() => Promise.resolve(b.headersFor('cc', undefined))),
      );
      expect(count()).toBe(1);
      const h = first[0]!;
      expect(first.every((x) => x.authorization === h.authorization)).toBe(true);
      const claims = decodeJwt(h.authorization!.replace(/^Bearer /, ''));
      expect(claims.aud).toBe(UPSTREAM);
      expect(claims.sub).toBe('warden');
      expect(claims.scope).toBe('mcp:read mcp:write');
      const req = short.requests.find((r) => r.path === '/token')!;
      expect(req.headers.authorization).toMatch(/^Basic /);
      expect(req.body).not.toContain('client_secret');
      // Reused while fresh, and synchronously.
      const again = b.headersFor('cc', undefined);
      expect(again).not.toBeInstanceOf(Promise);
      expect((again as Record<string, string>).authorization).toBe(h.authorization);
      expect(count()).toBe(1);
      // 2 s lifetime: refreshed once 1 s is left.
      const deadline = Date.now() + 10_000;
      while (count() === 1 && Date.now() < deadline) {
        await b.headersFor('cc', undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(count()).toBe(2);
      expect((await b.headersFor('cc', undefined)).authorization).not.toBe(h.authorization);
      expect(c.text()).not.toContain(CLIENT_SECRET);
      expect(c.text()).not.toContain(h.authorization!.slice(7));
    } finally {
      await short.close();
    }
  });

  it('requests the configured resource or audience instead of the upstream URL', async () => {
    const b = createCredentialBroker(
      {
        r: server({
          type: 'client_credentials',
          tokenEndpoint,
          clientId: 'warden',
          clientSecret: 'env:CLIENT',
          scopes: [],
          resource: 'https://api.example.com/',
        }),
        a: server({
          type: 'client_credentials',
          tokenEndpoint,
          clientId: 'warden',
          clientSecret: 'env:CLIENT',
          scopes: [],
          audience: 'upstream-api',
        }),
      },
      secret,
      { log: capture().log },
    );
    const aud = async (s: string) =>
      decodeJwt((await b.headersFor(s, undefined)).authorization!.replace(/^Bearer /, '')).aud;
    expect(await aud('r')).toBe('https://api.example.com/');
    expect(await aud('a')).toBe('upstream-api');
  });

  it('a refused client secret or an unreachable endpoint is ERR_UPSTREAM_CREDENTIAL, logged without secrets, and not cached', async () => {
    const c = capture();
    const b = createCredentialBroker(
      {
        wrong: server({
          type: 'client_credentials',
          tokenEndpoint,
          clientId: 'warden',
          clientSecret: 'env:WRONG',
          scopes: [],
        }),
        down: server({
          type: 'client_credentials',
          tokenEndpoint: `http://127.0.0.1:${await closedPort()}/token`,
          clientId: 'warden',
          clientSecret: 'env:CLIENT',
          scopes: [],
        }),
      },
      secret,
      { log: c.log },
    );
    const before = tokenRequests();
    const e1 = await rejection(b.headersFor('wrong', undefined));
    expect(e1.code).toBe('ERR_UPSTREAM_CREDENTIAL');
    expect(e1.status).toBe(502);
    expect(await rejection(b.headersFor('wrong', undefined))).toMatchObject({
      code: 'ERR_UPSTREAM_CREDENTIAL',
    });
    expect(tokenRequests() - before).toBe(2);
    expect((await rejection(b.headersFor('down', undefined))).code).toBe('ERR_UPSTREAM_CREDENTIAL');
    const log = c.text();
    expect(log).toContain('"server":"wrong"');
    expect(log).toContain(
      '"server":"wrong","mode":"client_credentials","error":"WWWAuthenticateChallengeError"',
    );
    expect(log).toContain('"status":401');
    expect(log).toContain(
      '"server":"down","mode":"client_credentials","error":"TypeError","cause":"ECONNREFUSED"',
    );
    expect(log).not.toContain('not-the-secret');
    expect(log).not.toContain(CLIENT_SECRET);
  });
});

describe('token exchange', () => {
  const te = (extra: Partial<Extract<UpstreamAuth, { type: 'token_exchange' }>> = {}): UpstreamAuthSpec =>
    server({
      type: 'token_exchange',
      tokenEndpoint,
      clientId: 'warden',
      clientSecret: 'env:CLIENT',
      scopes: [],
      requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
      ...extra,
    });

  it('never exchanges without a subject token', () => {
    const c = capture();
    const b = createCredentialBroker({ x: te() }, secret, { log: c.log });
    expect(b.perPrincipal('x')).toBe(true);
    const before = tokenRequests();
    expect(codeOf(() => b.headersFor('x', undefined))).toBe('ERR_UPSTREAM_CREDENTIAL');
    expect(codeOf(() => b.headersFor('x', { principal: principal('alice'), subjectToken: undefined }))).toBe(
      'ERR_UPSTREAM_CREDENTIAL',
    );
    expect(tokenRequests()).toBe(before);
  });

  it("exchanges once per principal, never hands one principal's token to another, and keeps each until refresh", async () => {
    const c = capture();
    const b = createCredentialBroker({ x: te() }, secret, { log: c.log });
    const alice: CallerCredential = {
      principal: principal('alice'),
      subjectToken: await issuer.sign({ sub: 'alice', aud: 'https://warden.example/mcp' }),
    };
    const bob: CallerCredential = {
      principal: principal('bob'),
      subjectToken: await issuer.sign({ sub: 'bob', aud: 'https://warden.example/mcp' }),
    };
    const before = tokenRequests();
    const [a1, a2, b1] = await Promise.all([
      b.headersFor('x', alice),
      b.headersFor('x', alice),
      b.headersFor('x', bob),
    ]);
    expect(tokenRequests() - before).toBe(2);
    expect(a1).toBe(a2);
    const ca = decodeJwt(a1.authorization!.slice(7));
    const cb = decodeJwt(b1.authorization!.slice(7));
    expect(ca).toMatchObject({ sub: 'alice', act: { sub: 'warden' }, aud: UPSTREAM });
    expect(cb).toMatchObject({ sub: 'bob', act: { sub: 'warden' }, aud: UPSTREAM });
    // Cached per principal: no new exchange, and the same token for the same principal only.
    expect(await b.headersFor('x', alice)).toBe(a1);
    expect(await b.headersFor('x', bob)).toBe(b1);
    expect(tokenRequests() - before).toBe(2);
    const exchange = issuer.requests.filter((r) => r.path === '/token').at(-1)!;
    const form = new URLSearchParams(exchange.body);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(form.get('subject_token_type')).toBe('urn:ietf:params:oauth:token-type:access_token');
    expect(form.get('requested_token_type')).toBe('urn:ietf:params:oauth:token-type:access_token');
    expect(form.get('resource')).toBe(UPSTREAM);
    const log = c.text();
    for (const t of [alice.subjectToken!, bob.subjectToken!, a1.authorization!, b1.authorization!])
      expect(log).not.toContain(t.replace(/^Bearer /, ''));
  });

  it("is not kept past the subject token's expiry, and the cache is bounded", async () => {
    const b = createCredentialBroker({ x: te() }, secret, { log: capture().log, maxExchanged: 2 });
    const sub = await issuer.sign({ sub: 'carol' });
    const expired: CallerCredential = {
      principal: principal('carol', Math.floor(Date.now() / 1000) - 1),
      subjectToken: sub,
    };
    let before = tokenRequests();
    await b.headersFor('x', expired);
    await b.headersFor('x', expired);
    expect(tokenRequests() - before).toBe(2);
    const callers = await Promise.all(
      ['d1', 'd2', 'd3'].map(async (s) => ({
        principal: principal(s),
        subjectToken: await issuer.sign({ sub: s }),
      })),
    );
    before = tokenRequests();
    for (const cl of callers) await b.headersFor('x', cl);
    expect(tokenRequests() - before).toBe(3);
    // d1 was evicted (bound 2): asking again exchanges again; d3 is still cached.
    await b.headersFor('x', callers[2]);
    expect(tokenRequests() - before).toBe(3);
    await b.headersFor('x', callers[0]);
    expect(tokenRequests() - before).toBe(4);
  });

  it('a refused subject token is ERR_UPSTREAM_CREDENTIAL and the token is not logged', async () => {
    const c = capture();
    const b = createCredentialBroker({ x: te() }, secret, { log: c.log });
    const foreign = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJldmUifQ.';
    const err = await rejection(b.headersFor('x', { principal: principal('eve'), subjectToken: foreign }));
    expect(err.code).toBe('ERR_UPSTREAM_CREDENTIAL');
    expect(c.text()).toContain('"oauthError":"invalid_grant"');
    expect(c.text()).not.toContain(foreign);
  });
});
