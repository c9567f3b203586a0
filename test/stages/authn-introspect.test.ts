/**
 * Opaque-token introspection over real HTTP: against the test authorization server for the
 * protocol (client_secret_basic, active and inactive answers, audience, issuer, time window, cache
 * bounded by `exp`, single flight), and against a small misbehaving server for the fail-closed
 * cases (5xx, garbage, oversized, silence, nothing listening).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { Introspector } from '../../src/stages/authn/introspect.js';
import { safeFetch } from '../../src/stages/authn/ssrf.js';
import type { IntrospectionPolicy } from '../../src/stages/authn/introspect.js';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';

const RESOURCE = 'https://warden.example/mcp/notes';
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const NOW_S = NOW / 1000;

let issuer: TestIssuer;
let n = 0;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});

function policy(extra: Partial<IntrospectionPolicy> = {}): IntrospectionPolicy {
  return {
    endpoint: `${issuer.url}/introspect`,
    issuer: issuer.url,
    clientId: 'warden',
    clientSecret: 'warden-secret',
    cacheMaxSec: 60,
    ...extra,
  };
}

/** A fresh opaque token whose introspection answer is `answer`. */
function token(answer: Record<string, unknown>): string {
  n += 1;
  const t = `opaque-${n}-${Math.random().toString(36).slice(2)}`;
  issuer.setIntrospection(t, answer);
  return t;
}

function asked(t: string): number {
  return issuer.requests.filter(
    (r) => r.path === '/introspect' && new URLSearchParams(r.body).get('token') === t,
  ).length;
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; status: number; reason: unknown }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    const we = err as WardenError;
    return { code: we.code, status: we.status, reason: we.data?.reason };
  }
  throw new Error('token was accepted');
}

const active = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  active: true,
  sub: 'alice',
  client_id: 'mcp-desktop',
  scope: 'notes:read',
  aud: RESOURCE,
  exp: NOW_S + 600,
  ...extra,
});

describe('introspection against the test authorization server', () => {
  it('[authn:introspection] an active token resolves with its claims; Warden authenticates with client_secret_basic', async () => {
    const t = token(active({ iss: issuer.url }));
    const claims = await new Introspector(policy()).check(t, RESOURCE, NOW);
    expect(claims).toMatchObject({ active: true, sub: 'alice', client_id: 'mcp-desktop', iss: issuer.url });
    const req = issuer.requests.filter((r) => r.path === '/introspect').at(-1)!;
    expect(req.method).toBe('POST');
    // RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined and base64-encoded.
    const basic = /^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent);
    expect([id, secret]).toEqual(['warden', 'warden-secret']);
    const form = new URLSearchParams(req.body);
    expect(form.get('token')).toBe(t);
    expect(form.has('client_secret')).toBe(false);
  });

  it('an answer without `iss` is given the configured issuer, so the principal key names it', async () => {
    const claims = await new Introspector(policy()).check(token(active()), RESOURCE, NOW);
    expect(claims.iss).toBe(issuer.url);
  });

  it('[authn:introspection] active:false → 401 ERR_AUTHN_INACTIVE, asked again every time (inactive answers are not cached)', async () => {
    const intro = new Introspector(policy());
    const t = token({ active: false });
    for (let i = 0; i < 2; i++)
      expect(await refusal(intro.check(t, RESOURCE, NOW))).toMatchObject({
        code: 'ERR_AUTHN_INACTIVE',
        status: 401,
      });
    expect(asked(t)).toBe(2);
    // A token the server does not know is inactive too.
    expect((await refusal(intro.check('never-issued', RESOURCE, NOW))).code).toBe('ERR_AUTHN_INACTIVE');
  });

  it('an audience that does not name this endpoint → 401 ERR_AUTHN_AUDIENCE; the canonical form matches', async () => {
    const intro = new Introspector(policy());
    for (const aud of ['https://warden.example/mcp/other', ['https://evil.example/mcp/notes'], []])
      expect(await refusal(intro.check(token(active({ aud })), RESOURCE, NOW))).toEqual({
        code: 'ERR_AUTHN_AUDIENCE',
        status: 401,
        reason: 'audience',
      });
    const ok = token(active({ aud: ['other', 'HTTPS://Warden.Example:443/mcp/notes/'] }));
    await expect(intro.check(ok, RESOURCE, NOW)).resolves.toMatchObject({ sub: 'alice' });
    // No `aud` at all: the authorization server vouches for the token alone.
    await expect(intro.check(token(active({ aud: undefined })), RESOURCE, NOW)).resolves.toBeDefined();
  });

  it('a foreign `iss` → 401 ERR_AUTHN_TOKEN_INVALID reason issuer', async () => {
    const t = token(active({ iss: 'https://other-issuer.example' }));
    expect(await refusal(new Introspector(policy()).check(t, RESOURCE, NOW))).toEqual({
      code: 'ERR_AUTHN_TOKEN_INVALID',
      status: 401,
      reason: 'issuer',
    });
  });

  it('`exp` past the skew → 401 ERR_AUTHN_TOKEN_EXPIRED; `nbf` in the future → 401 not-yet-valid', async () => {
    const intro = new Introspector(policy({ clockSkewSec: 30 }));
    expect(await refusal(intro.check(token(active({ exp: NOW_S - 31 })), RESOURCE, NOW))).toEqual({
      code: 'ERR_AUTHN_TOKEN_EXPIRED',
      status: 401,
      reason: 'expired',
    });
    await expect(intro.check(token(active({ exp: NOW_S - 29 })), RESOURCE, NOW)).resolves.toBeDefined();
    expect(await refusal(intro.check(token(active({ nbf: NOW_S + 31 })), RESOURCE, NOW))).toEqual({
      code: 'ERR_AUTHN_TOKEN_INVALID',
      status: 401,
      reason: 'not-yet-valid',
    });
  });

  it('wrong client credentials at the endpoint → 503 ERR_AUTHN_UNAVAILABLE (fail closed)', async () => {
    const t = token(active());
    expect(
      await refusal(new Introspector(policy({ clientSecret: 'wrong' })).check(t, RESOURCE, NOW)),
    ).toMatchObject({ code: 'ERR_AUTHN_UNAVAILABLE', status: 503 });
  });
});

describe('the cache of active answers', () => {
  it('[authn:introspection] a second check within the cache window makes no request, yet the audience is checked again', async () => {
    const intro = new Introspector(policy());
    const t = token(active());
    await intro.check(t, RESOURCE, NOW);
    await intro.check(t, RESOURCE, NOW + 30_000);
    expect(asked(t)).toBe(1);
    expect((await refusal(intro.check(t, 'https://warden.example/mcp/other', NOW + 31_000))).code).toBe(
      'ERR_AUTHN_AUDIENCE',
    );
    expect(asked(t)).toBe(1);
  });

  it('[authn:introspection] a cached answer never outlives the token `exp`, even inside cacheMaxSec', async () => {
    const intro = new Introspector(policy({ cacheMaxSec: 3600, clockSkewSec: 0 }));
    const t = token(active({ exp: NOW_S + 10 }));
    await intro.check(t, RESOURCE, NOW);
    await intro.check(t, RESOURCE, NOW + 9_999);
    expect(asked(t)).toBe(1);
    // Past exp the answer is gone: the server is asked again and the token is refused as expired.
    expect((await refusal(intro.check(t, RESOURCE, NOW + 10_000))).code).toBe('ERR_AUTHN_TOKEN_EXPIRED');
    expect(asked(t)).toBe(2);
  });

  it('[authn:introspection] an active answer without `exp` is reused for cacheMaxSec at most; revocation is then seen', async () => {
    const intro = new Introspector(policy({ cacheMaxSec: 60 }));
    const t = token(active({ exp: undefined }));
    await intro.check(t, RESOURCE, NOW);
    await intro.check(t, RESOURCE, NOW + 59_999);
    expect(asked(t)).toBe(1);
    issuer.setIntrospection(t, { active: false });
    expect((await refusal(intro.check(t, RESOURCE, NOW + 60_000))).code).toBe('ERR_AUTHN_INACTIVE');
    expect(asked(t)).toBe(2);
  });

  it('cacheMaxSec 0 turns the cache off', async () => {
    const intro = new Introspector(policy({ cacheMaxSec: 0 }));
    const t = token(active());
    await intro.check(t, RESOURCE, NOW);
    await intro.check(t, RESOURCE, NOW);
    expect(asked(t)).toBe(2);
  });

  it('the cache is bounded: past maxEntries the oldest answer is evicted', async () => {
    const intro = new Introspector(policy({ maxEntries: 2 }));
    const [a, b, c] = [token(active()), token(active()), token(active())];
    for (const t of [a, b, c]) await intro.check(t, RESOURCE, NOW);
    await intro.check(c, RESOURCE, NOW);
    await intro.check(b, RESOURCE, NOW);
    expect([asked(a), asked(b), asked(c)]).toEqual([1, 1, 1]);
    await intro.check(a, RESOURCE, NOW);
    expect(asked(a)).toBe(2);
  });

  it('concurrent checks of one token share a single request', async () => {
    const intro = new Introspector(policy());
    const t = token(active());
    const all = await Promise.all(Array.from({ length: 8 }, () => intro.check(t, RESOURCE, NOW)));
    expect(all.every((c) => c.sub === 'alice')).toBe(true);
    expect(asked(t)).toBe(1);
  });

  it('a discovered endpoint goes through the SSRF-safe fetch: loopback refused with nothing sent, allowed in insecure mode', async () => {
    const t = token(active());
    const guarded = new Introspector(policy({ fetch: safeFetch({ allowInsecure: false }) }));
    expect(await refusal(guarded.check(t, RESOURCE, NOW))).toEqual({
      code: 'ERR_AUTHN_UNAVAILABLE',
      status: 503,
      reason: 'ssrf',
    });
    expect(asked(t)).toBe(0);
    const dev = new Introspector(policy({ fetch: safeFetch({ allowInsecure: true }) }));
    await expect(dev.check(t, RESOURCE, NOW)).resolves.toMatchObject({ sub: 'alice' });
    expect(asked(t)).toBe(1);
  });

  it('uses the fetch it is given', async () => {
    const seen: string[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      return fetch(input, init);
    };
    await new Introspector(policy({ fetch: recording })).check(token(active()), RESOURCE, NOW);
    expect(seen).toEqual([`${issuer.url}/introspect`]);
  });
});

describe('fail closed when the endpoint misbehaves', () => {
  let server: Server;
  let url: string;
  let hits = 0;
  let reply: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits += 1;
      req.resume();
      req.on('end', () => reply(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    hits = 0;
  });

  const send =
    (status: number, body: string, type = 'application/json') =>
    (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    };

  const bad = policy;
  it.each<[string, (req: IncomingMessage, res: ServerResponse) => void]>([
    ['a 500', send(500, '{"error":"server_error"}')],
    ['a 503 with no body', send(503, '')],
    ['a redirect', send(302, '')],
    ['HTML', send(200, '<html>oops</html>', 'text/html')],
    ['truncated JSON', send(200, '{"active":tr')],
    ['a JSON array', send(200, '[{"active":true}]')],
    ['`active` as a string', send(200, '{"active":"true","sub":"alice"}')],
    ['`exp` as a string', send(200, '{"active":true,"sub":"alice","exp":"never"}')],
    ['`aud` as an object', send(200, '{"active":true,"sub":"alice","aud":{"x":1}}')],
    ['an oversized body', send(200, JSON.stringify({ active: true, pad: 'x'.repeat(70_000) }))],
    [
      'an oversized chunked body',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"active":true,"pad":"');
        res.end(`${'x'.repeat(70_000)}"}`);
      },
    ],
  ])('%s → 503 ERR_AUTHN_UNAVAILABLE', async (_name, r) => {
    reply = r;
    const intro = new Introspector(bad({ endpoint: url }));
    expect(await refusal(intro.check('opaque', RESOURCE, NOW))).toMatchObject({
      code: 'ERR_AUTHN_UNAVAILABLE',
      status: 503,
    });
    expect(hits).toBe(1);
  });

  it('an endpoint that never answers → 503 after the timeout', async () => {
    reply = () => undefined;
    const intro = new Introspector(bad({ endpoint: url, timeoutMs: 300 }));
    expect((await refusal(intro.check('opaque', RESOURCE, NOW))).status).toBe(503);
  });

  it('nothing listening → 503 ERR_AUTHN_UNAVAILABLE', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const intro = new Introspector(bad({ endpoint: `http://127.0.0.1:${port}/introspect` }));
    expect(await refusal(intro.check('opaque', RESOURCE, NOW))).toMatchObject({
      code: 'ERR_AUTHN_UNAVAILABLE',
      status: 503,
    });
  });

  it('concurrent callers share one failed request, and each gets the refusal', async () => {
    reply = send(500, '');
    const intro = new Introspector(bad({ endpoint: url }));
    const all = await Promise.all(
      Array.from({ length: 4 }, () => refusal(intro.check('opaque', RESOURCE, NOW))),
    );
    expect(all.map((r) => r.code)).toEqual(Array(4).fill('ERR_AUTHN_UNAVAILABLE'));
    expect(hits).toBe(1);
  });

  it('a failed request is asked again on the next check', async () => {
    const intro = new Introspector(bad({ endpoint: url }));
    reply = send(500, '');
    expect((await refusal(intro.check('opaque', RESOURCE, NOW))).code).toBe('ERR_AUTHN_UNAVAILABLE');
    reply = send(200, JSON.stringify({ active: true, sub: 'alice' }));
    await expect(intro.check('opaque', RESOURCE, NOW)).resolves.toMatchObject({ sub: 'alice' });
    expect(hits).toBe(2);
  });
});

describe('endpoint rules at start-up', () => {
  it('plain http is refused unless the host is loopback', () => {
    for (const endpoint of [
      'http://idp.example/introspect',
      'http://10.0.0.5/introspect',
      'ftp://x/y',
      'nope',
    ]) {
      try {
        new Introspector(policy({ endpoint }));
        throw new Error(`accepted ${endpoint}`);
      } catch (err) {
        expect((err as WardenError).code).toBe('ERR_CONFIG_INVALID');
        expect((err as WardenError).data?.problems).toEqual([
          { path: 'auth.introspection.endpoint', message: expect.any(String) as string },
        ]);
      }
    }
    for (const endpoint of [
      'https://idp.example/introspect',
      'http://127.0.0.1:9/introspect',
      'http://localhost:9/i',
      'http://[::1]:9/i',
    ])
      expect(new Introspector(policy({ endpoint }))).toBeInstanceOf(Introspector);
  });
});
