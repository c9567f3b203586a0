/**
 * Limits through a running Warden in front of the recording upstream: the request over a rate
 * limit, a concurrency cap or a daily budget gets 429 with `Retry-After` and the exact code in
 * both protocol eras, and never reaches the upstream; two principals (real JWTs from the test
 * issuer) have separate counters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordingUpstream, RecordingUpstreamOptions } from '../fixtures/servers/recording-http.js';
import { modernMeta, modernPost } from '../helpers/modern.js';
import { openSession, rpc, startTestWarden } from '../helpers/warden.js';
import type { ConfigInput } from '../../src/config/schema.js';

const EP = '/mcp/rec';
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(
  limits: NonNullable<ConfigInput['limits']>,
  extra: Partial<ConfigInput> = {},
  upstreamOpts: RecordingUpstreamOptions = {},
): Promise<{ url: string; up: RecordingUpstream; audit: () => { code?: string; outcome: string }[] }> {
  const up = await startRecordingUpstream(upstreamOpts);
  cleanup.push(() => up.close());
  const w = await startTestWarden({ ...extra, limits, servers: { rec: { url: up.url } } });
  cleanup.push(() => w.close());
  return { url: w.url, up, audit: () => w.audit() };
}

/** How many `tools/call` requests the upstream received. */
function calls(up: RecordingUpstream): number {
  return up.requests.filter((r) => r.body.includes('"tools/call"')).length;
}

const echo = (id: number, extra: Record<string, unknown> = {}): unknown => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hi', ...extra } },
});

interface ErrorBody {
  error?: { code: number; message: string; data?: { code?: string; limit?: string; retryAfterMs?: number } };
  result?: unknown;
}

/** POSTs a 2026-07-28 sessionless tools/call echo and returns status, headers and body. */
async function modernCall(
  url: string,
  id: number,
  extra: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: ErrorBody }> {
  const res = await modernPost<ErrorBody>(
    url + EP,
    id,
    'tools/call',
    { name: 'echo', arguments: { text: 'hi' }, _meta: modernMeta({ name: 't', version: '1' }) },
    extra,
  );
  return { status: res.status, headers: res.headers, body: res.msg };
}

function retryAfter(h: Headers): number {
  return Number(h.get('retry-after'));
}

describe('limits through a running Warden', () => {
  it('[limits:rate] rate: call N+1 → 429, Retry-After, ERR_LIMIT_RATE (-31003, data.limit) in both eras; the upstream saw only N', async () => {
    const { url, up, audit } = await setup({ rate: { perTool: { points: 2, durationSec: 60 } } });
    const sid = await openSession(url, EP);
    expect((await rpc(url, EP, sid, echo(2))).status).toBe(200);
    expect((await rpc(url, EP, sid, echo(3))).status).toBe(200);
    const refused = await rpc(url, EP, sid, echo(4));
    expect(refused.status).toBe(429);
    const ra = retryAfter(refused.headers);
    expect(ra).toBeGreaterThanOrEqual(1);
    expect(ra).toBeLessThanOrEqual(60);
    const body = refused.json as ErrorBody;
    expect(body.error?.code).toBe(-31003);
    expect(body.error?.message).toMatch(/Rate limit reached \(rate\.perTool: 2 requests per 60 s\)/);
    expect(body.error?.data).toMatchObject({ code: 'ERR_LIMIT_RATE', limit: 'rate.perTool' });
    expect(body.error?.data?.retryAfterMs).toBeGreaterThan(0);
    // The tool's limit is shared by every caller: a 2026-07-28 client is refused the same way.
    const modern = await modernCall(url, 5);
    expect(modern.status).toBe(429);
    expect(retryAfter(modern.headers)).toBeGreaterThanOrEqual(1);
    expect(modern.body.error?.data).toMatchObject({ code: 'ERR_LIMIT_RATE', limit: 'rate.perTool' });
    expect(calls(up)).toBe(2);
    // Lists do not count against a tool's limit.
    expect((await rpc(url, EP, sid, { jsonrpc: '2.0', id: 6, method: 'tools/list' })).status).toBe(200);
    const denied = audit().filter((r) => r.code === 'ERR_LIMIT_RATE');
    expect(denied.map((r) => r.outcome)).toEqual(['denied', 'denied']);
  });

  it('[limits:concurrency] concurrency: a second call while the first is in flight → 429 ERR_LIMIT_CONCURRENCY; released when the first ends', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { url, up } = await setup(
      { concurrency: { perPrincipal: 1 } },
      {},
      { delay: (m) => (JSON.stringify(m.params ?? {}).includes('"hold":true') ? gate : undefined) },
    );
    const sid = await openSession(url, EP);
    const first = rpc(url, EP, sid, echo(2, { hold: true }));
    while (calls(up) < 1) await new Promise((r) => setTimeout(r, 10));
    const second = await rpc(url, EP, sid, echo(3));
    expect(second.status).toBe(429);
    expect(retryAfter(second.headers)).toBe(1);
    expect((second.json as ErrorBody).error?.data).toMatchObject({
      code: 'ERR_LIMIT_CONCURRENCY',
      limit: 'concurrency.perPrincipal',
    });
    expect(calls(up)).toBe(1);
    open();
    expect((await first).status).toBe(200);
    expect((await rpc(url, EP, sid, echo(4))).status).toBe(200);
    expect(calls(up)).toBe(2);
  });

  it('[limits:concurrency] daily budget: tools/call over the budget → 429 ERR_LIMIT_BUDGET with Retry-After up to the reset; the upstream saw only the budget', async () => {
    const { url, up } = await setup({ dailyBudget: { perPrincipal: 2 } });
    const sid = await openSession(url, EP);
    expect((await rpc(url, EP, sid, echo(2))).status).toBe(200);
    expect((await rpc(url, EP, sid, { jsonrpc: '2.0', id: 3, method: 'ping' })).status).toBe(200);
    expect((await rpc(url, EP, sid, echo(4))).status).toBe(200);
    const refused = await rpc(url, EP, sid, echo(5));
    expect(refused.status).toBe(429);
    const ra = retryAfter(refused.headers);
    expect(ra).toBeGreaterThanOrEqual(1);
    expect(ra).toBeLessThanOrEqual(86_400);
    const err = (refused.json as ErrorBody).error;
    expect(err?.data).toMatchObject({ code: 'ERR_LIMIT_BUDGET', limit: 'dailyBudget.perPrincipal' });
    expect(err?.message).toMatch(/resets at 00:00 UTC/);
    expect(calls(up)).toBe(2);
  });

  it('[limits:rate] two principals with real tokens have separate counters', async () => {
    const issuer = await startTestIssuer();
    cleanup.push(() => issuer.close());
    const { url, up } = await setup(
      { rate: { perPrincipal: { points: 2, durationSec: 60 } } },
      { auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` } },
    );
    const bearer = async (sub: string): Promise<Record<string, string>> => ({
      authorization: `Bearer ${await issuer.sign({ sub, aud: url + EP, scope: 'mcp:tools' })}`,
    });
    const alice = await bearer('alice');
    const bob = await bearer('bob');
    expect((await modernCall(url, 1, alice)).status).toBe(200);
    expect((await modernCall(url, 2, alice)).status).toBe(200);
    const refused = await modernCall(url, 3, alice);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.data).toMatchObject({ code: 'ERR_LIMIT_RATE', limit: 'rate.perPrincipal' });
    expect((await modernCall(url, 4, bob)).status).toBe(200);
    expect((await modernCall(url, 5, bob)).status).toBe(200);
    expect((await modernCall(url, 6, bob)).status).toBe(429);
    expect(calls(up)).toBe(4);
  });
});
