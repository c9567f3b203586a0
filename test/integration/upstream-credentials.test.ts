/**
 * Warden's own upstream credentials, through a running Warden in front of recording HTTP upstreams
 * and a real authorization server: whatever the client sends (its bearer token, its cookies), every
 * request an upstream receives carries Warden's credential for that upstream and nothing of the
 * client's; a credential Warden cannot obtain ends the request before anything is sent. The audit
 * file and the operational log never hold a secret or a token.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/log.js';
import { startWarden } from '../../src/server.js';
import type { RunningWarden } from '../../src/server.js';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordedRequest, RecordingUpstream } from '../fixtures/servers/recording-http.js';
import { modernMeta, modernPost } from '../helpers/modern.js';
import { INIT, mcpHeaders, rpc } from '../helpers/warden.js';

const STATIC_SECRET = 'st4tic-upstream-secret-7f3a9c';
const API_KEY = 'api-key-0d1e2f3a4b5c';
const CLIENT_SECRET = 'warden-secret';
const CLIENT_BEARER = 'client-own-token-never-forwarded-5b8e';
const COOKIE = 'session=client-cookie-6c2d; theme=dark';
const ENV = {
  WARDEN_TEST_STATIC: STATIC_SECRET,
  WARDEN_TEST_API_KEY: API_KEY,
  WARDEN_TEST_CLIENT_SECRET: CLIENT_SECRET,
};

/** A Warden whose log lines and audit file a test can read. */
interface LoggedWarden {
  readonly w: RunningWarden;
  readonly log: () => string;
  readonly audit: () => string;
}

async function startLoggedWarden(config: ConfigInput): Promise<LoggedWarden> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warden-cred-'));
  const parsed = configSchema.parse({
    ...config,
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    log: { level: 'debug' },
  });
  const lines: string[] = [];
  const w = await startWarden(parsed, { log: createLogger('debug', (l) => lines.push(l)) });
  return {
    w,
    log: () => lines.join(''),
    audit: () => {
      w.pipeline.flushAudit();
      try {
        return readFileSync(path.join(dataDir, parsed.audit.file), 'utf8');
      } catch {
        return '';
      }
    },
  };
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

/** Waits until `ok()` holds, polling; fails after `ms`. */
async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const methodOf = (r: RecordedRequest): string | undefined => {
  if (r.body === '') return undefined;
  const m = (JSON.parse(r.body) as { method?: unknown }).method;
  return typeof m === 'string' ? m : undefined;
};

/**
 * One whole client session on `endpoint` with the client's own Authorization and Cookie on every
 * request: initialize, initialized, tools/list, tools/call, DELETE. Returns the upstream requests
 * it caused (waiting for the upstream DELETE).
 */
async function session(
  base: string,
  endpoint: string,
  up: RecordingUpstream,
  authorization: string,
): Promise<RecordedRequest[]> {
  const from = up.requests.length;
  const client = { authorization, cookie: COOKIE };
  const init = await rpc(base, endpoint, undefined, INIT, client);
  expect(init.status, init.text).toBe(200);
  const sid = init.headers.get('mcp-session-id');
  expect(sid).not.toBeNull();
  const s = sid ?? '';
  expect(
    (await rpc(base, endpoint, s, { jsonrpc: '2.0', method: 'notifications/initialized' }, client)).status,
  ).toBe(202);
  const list = await rpc(base, endpoint, s, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, client);
  expect(list.json).toMatchObject({ result: { tools: [{ name: 'echo' }] } });
  const call = await rpc(
    base,
    endpoint,
    s,
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } },
    client,
  );
  expect(call.json).toMatchObject({ result: { content: [{ type: 'text', text: '{"text":"hi"}' }] } });
  const del = await fetch(base + endpoint, { method: 'DELETE', headers: mcpHeaders(s, client) });
  await del.text();
  expect(del.status).toBe(200);
  await until(() => up.requests.slice(from).some((r) => r.method === 'DELETE'));
  return up.requests.slice(from);
}

/** Every request carries `expected` and nothing of the client's; the whole session reached the upstream. */
function assertOwnCredentialOnly(
  seen: RecordedRequest[],
  expected: (h: RecordedRequest['headers']) => void,
  clientToken: string,
): void {
  const methods = seen.map((r) => methodOf(r) ?? r.method);
  for (const m of ['initialize', 'notifications/initialized', 'tools/list', 'tools/call', 'DELETE'])
    expect(methods).toContain(m);
  for (const r of seen) {
    expect(r.headers.cookie, `${r.method} ${methodOf(r)}`).toBeUndefined();
    expect(JSON.stringify(r.headers)).not.toContain(clientToken);
    expect(JSON.stringify(r.headers)).not.toContain('client-cookie');
    expect(r.body).not.toContain(clientToken);
    expected(r.headers);
  }
}

const bearerClaims = (h: RecordedRequest['headers']): Record<string, unknown> => {
  expect(h.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  return decodeJwt((h.authorization ?? '').slice(7));
};

let issuer: TestIssuer;
const tokenRequests = (): number => issuer.requests.filter((r) => r.path === '/token').length;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  issuer = await startTestIssuer();
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  await issuer.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('client authentication off: the client sends any bearer and cookies', () => {
  const ups: Record<string, RecordingUpstream> = {};
  let lw: LoggedWarden;
  let ccIssuer: TestIssuer;

  beforeAll(async () => {
    for (const n of ['none', 'bearer', 'apikey', 'cc', 'ccdown']) ups[n] = await startRecordingUpstream();
    ccIssuer = await startTestIssuer({ tokenTtlSec: 2 });
    const cc = (tokenEndpoint: string) => ({
      type: 'client_credentials' as const,
      tokenEndpoint,
      clientId: 'warden',
      clientSecret: 'env:WARDEN_TEST_CLIENT_SECRET',
      scopes: ['mcp:read'],
    });
    lw = await startLoggedWarden({
      auth: { mode: 'none' },
      servers: {
        none: { url: ups.none!.url, auth: { type: 'none' } },
        bearer: { url: ups.bearer!.url, auth: { type: 'static', value: 'env:WARDEN_TEST_STATIC' } },
        apikey: {
          url: ups.apikey!.url,
          auth: { type: 'static', header: 'X-Api-Key', scheme: 'raw', value: 'env:WARDEN_TEST_API_KEY' },
        },
        cc: { url: ups.cc!.url, auth: cc(`${issuer.origin}/token`) },
        ccdown: { url: ups.ccdown!.url, auth: cc(`${ccIssuer.origin}/token`) },
      },
    });
  });
  afterAll(async () => {
    await lw.w.close();
    await ccIssuer.close();
    for (const u of Object.values(ups)) await u.close();
  });

  it('[authn:no-passthrough] auth none: no Authorization and no Cookie reach the upstream', async () => {
    const seen = await session(lw.w.url, '/mcp/none', ups.none!, `Bearer ${CLIENT_BEARER}`);
    assertOwnCredentialOnly(seen, (h) => expect(h.authorization).toBeUndefined(), CLIENT_BEARER);
  });

  it('[authn:no-passthrough] static bearer: exactly Warden’s secret, never the client’s token or cookies', async () => {
    const seen = await session(lw.w.url, '/mcp/bearer', ups.bearer!, `Bearer ${CLIENT_BEARER}`);
    assertOwnCredentialOnly(
      seen,
      (h) => expect(h.authorization).toBe(`Bearer ${STATIC_SECRET}`),
      CLIENT_BEARER,
    );
  });

  it('[authn:no-passthrough] static raw header: the API key in its header, and no Authorization at all', async () => {
    const seen = await session(lw.w.url, '/mcp/apikey', ups.apikey!, `Bearer ${CLIENT_BEARER}`);
    assertOwnCredentialOnly(
      seen,
      (h) => {
        expect(h['x-api-key']).toBe(API_KEY);
        expect(h.authorization).toBeUndefined();
      },
      CLIENT_BEARER,
    );
  });

  it('[authn:no-passthrough] client credentials: an issuer JWT for the upstream URL, reused across sessions and calls', async () => {
    const before = tokenRequests();
    const seen = await session(lw.w.url, '/mcp/cc', ups.cc!, `Bearer ${CLIENT_BEARER}`);
    const again = await session(lw.w.url, '/mcp/cc', ups.cc!, `Bearer ${CLIENT_BEARER}`);
    const tokens = new Set<string>();
    assertOwnCredentialOnly(
      [...seen, ...again],
      (h) => {
        const c = bearerClaims(h);
        expect(c).toMatchObject({ iss: issuer.url, sub: 'warden', aud: ups.cc!.url, scope: 'mcp:read' });
        tokens.add(h.authorization ?? '');
      },
      CLIENT_BEARER,
    );
    expect(tokens.size).toBe(1);
    expect(tokenRequests() - before).toBe(1);
  });

  it('[authn:no-passthrough] token endpoint down: tools/call ends with ERR_UPSTREAM_CREDENTIAL and never reaches the upstream', async () => {
    const up = ups.ccdown!;
    const client = { authorization: `Bearer ${CLIENT_BEARER}`, cookie: COOKIE };
    const init = await rpc(lw.w.url, '/mcp/ccdown', undefined, INIT, client);
    expect(init.status).toBe(200);
    const sid = init.headers.get('mcp-session-id') ?? '';
    const gotAt = Date.now();
    await ccIssuer.close();
    // The 2 s token is refreshed once 1 s is left; by then the token endpoint is gone.
    await until(() => Date.now() - gotAt > 1500);
    const from = up.requests.length;
    const call = await rpc(
      lw.w.url,
      '/mcp/ccdown',
      sid,
      { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } },
      client,
    );
    expect(call.status).toBe(200);
    expect(call.json).toMatchObject({
      jsonrpc: '2.0',
      id: 9,
      error: { code: -31002, data: { code: 'ERR_UPSTREAM_CREDENTIAL', server: 'ccdown' } },
    });
    expect(up.requests.slice(from).filter((r) => methodOf(r) === 'tools/call')).toEqual([]);
    expect(up.requests.filter((r) => methodOf(r) === 'tools/call')).toEqual([]);
  });

  it('[authn:no-passthrough] neither the audit file nor the log holds a secret or the client’s token', () => {
    const log = lw.log();
    const audit = lw.audit();
    expect(audit).not.toBe('');
    expect(log).toContain('upstream credential failed');
    for (const s of [STATIC_SECRET, API_KEY, CLIENT_SECRET, CLIENT_BEARER, 'client-cookie']) {
      expect(log).not.toContain(s);
      expect(audit).not.toContain(s);
    }
  });
});

describe('client authentication by JWT: token exchange per principal', () => {
  let up: RecordingUpstream;
  let ccUp: RecordingUpstream;
  let downUp: RecordingUpstream;
  let lw: LoggedWarden;
  const subjects: string[] = [];

  const tokenFor = async (sub: string, endpoint: string): Promise<string> => {
    const t = await issuer.sign({ sub, aud: `${lw.w.url}${endpoint}`, scope: 'mcp:read' });
    subjects.push(t);
    return t;
  };

  beforeAll(async () => {
    up = await startRecordingUpstream();
    ccUp = await startRecordingUpstream();
    downUp = await startRecordingUpstream();
    const exchange = (tokenEndpoint: string) => ({
      type: 'token_exchange' as const,
      tokenEndpoint,
      clientId: 'warden',
      clientSecret: 'env:WARDEN_TEST_CLIENT_SECRET',
      scopes: [],
    });
    lw = await startLoggedWarden({
      auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.url}/jwks` },
      servers: {
        te: { url: up.url, auth: exchange(`${issuer.origin}/token`) },
        cc: {
          url: ccUp.url,
          auth: {
            type: 'client_credentials',
            tokenEndpoint: `${issuer.origin}/token`,
            clientId: 'warden',
            clientSecret: 'env:WARDEN_TEST_CLIENT_SECRET',
            audience: 'cc-upstream',
          },
        },
        down: { url: downUp.url, auth: exchange(`http://127.0.0.1:${await closedPort()}/token`) },
      },
    });
  });
  afterAll(async () => {
    await lw.w.close();
    for (const u of [up, ccUp, downUp]) await u.close();
  });

  it('[authn:no-passthrough] token exchange: each upstream request carries a token for the caller with Warden as actor', async () => {
    const alice = await tokenFor('alice', '/mcp/te');
    const bob = await tokenFor('bob', '/mcp/te');
    const before = tokenRequests();
    const seenA = await session(lw.w.url, '/mcp/te', up, `Bearer ${alice}`);
    const seenB = await session(lw.w.url, '/mcp/te', up, `Bearer ${bob}`);
    const check = (sub: string, clientToken: string, seen: RecordedRequest[]): Set<string> => {
      const tokens = new Set<string>();
      assertOwnCredentialOnly(
        seen,
        (h) => {
          expect(bearerClaims(h)).toMatchObject({
            iss: issuer.url,
            sub,
            act: { sub: 'warden' },
            aud: up.url,
          });
          tokens.add(h.authorization ?? '');
        },
        clientToken,
      );
      return tokens;
    };
    const ta = check('alice', alice, seenA);
    const tb = check('bob', bob, seenB);
    expect(ta.size).toBe(1);
    expect(tb.size).toBe(1);
    expect([...ta][0]).not.toBe([...tb][0]);
    // Two principals, two exchanges: each principal's token was exchanged once and reused.
    const exchanges = issuer.requests
      .filter((r) => r.path === '/token')
      .slice(before)
      .map((r) => new URLSearchParams(r.body));
    expect(exchanges.map((f) => f.get('grant_type'))).toEqual([
      'urn:ietf:params:oauth:grant-type:token-exchange',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    expect(exchanges.map((f) => f.get('subject_token'))).toEqual([alice, bob]);
    expect(exchanges.every((f) => f.get('resource') === up.url)).toBe(true);
  });

  it('[authn:no-passthrough] token exchange, sessionless clients: two principals on one endpoint never share a connection or a token', async () => {
    const carol = await tokenFor('carol', '/mcp/te');
    const dave = await tokenFor('dave', '/mcp/te');
    const modern = async (token: string, id: number): Promise<Record<string, unknown>> => {
      const res = await modernPost<Record<string, unknown>>(
        `${lw.w.url}/mcp/te`,
        id,
        'tools/call',
        { name: 'echo', arguments: { who: id }, _meta: modernMeta({ name: 'modern', version: '1' }) },
        { authorization: `Bearer ${token}`, cookie: COOKIE },
      );
      expect(res.status).toBe(200);
      return res.msg;
    };
    const from = up.requests.length;
    const [rc, rd] = await Promise.all([modern(carol, 101), modern(dave, 102)]);
    expect(rc).toMatchObject({ result: { content: [{ text: '{"who":101}' }] } });
    expect(rd).toMatchObject({ result: { content: [{ text: '{"who":102}' }] } });
    const calls = up.requests.slice(from).filter((r) => methodOf(r) === 'tools/call');
    expect(calls).toHaveLength(2);
    for (const r of calls) {
      const who = (JSON.parse(r.body) as { params: { arguments: { who: number } } }).params.arguments.who;
      expect(bearerClaims(r.headers)).toMatchObject({
        sub: who === 101 ? 'carol' : 'dave',
        act: { sub: 'warden' },
      });
      expect(r.headers.cookie).toBeUndefined();
    }
    // Each principal's connection has its own upstream session.
    expect(calls[0]!.headers['mcp-session-id']).not.toBe(calls[1]!.headers['mcp-session-id']);
  });

  it('[authn:no-passthrough] client credentials behind JWT client auth: the configured audience, not the caller’s token', async () => {
    const erin = await tokenFor('erin', '/mcp/cc');
    const seen = await session(lw.w.url, '/mcp/cc', ccUp, `Bearer ${erin}`);
    assertOwnCredentialOnly(
      seen,
      (h) => expect(bearerClaims(h)).toMatchObject({ sub: 'warden', aud: 'cc-upstream' }),
      erin,
    );
  });

  it('[authn:no-passthrough] token endpoint unreachable: initialize ends with ERR_UPSTREAM_CREDENTIAL and the upstream receives nothing', async () => {
    const frank = await tokenFor('frank', '/mcp/down');
    const init = await rpc(lw.w.url, '/mcp/down', undefined, INIT, {
      authorization: `Bearer ${frank}`,
      cookie: COOKIE,
    });
    expect(init.status).toBe(200);
    expect(init.json).toMatchObject({
      id: 1,
      error: { code: -31002, data: { code: 'ERR_UPSTREAM_CREDENTIAL', server: 'down' } },
    });
    expect(downUp.requests).toEqual([]);
  });

  it('[authn:no-passthrough] neither the audit file nor the log holds the client secret or any caller token', () => {
    const log = lw.log();
    const audit = lw.audit();
    expect(audit).not.toBe('');
    for (const s of [CLIENT_SECRET, ...subjects]) {
      expect(log).not.toContain(s);
      expect(audit).not.toContain(s);
    }
  });
});
