/**
 * Warden's credential headers at the HTTP connector, against the recording upstream on a real
 * socket: added to every request the connection makes (POST, the GET stream, DELETE), unable to
 * replace a protocol or framing header, and a credential failure ends the request before anything
 * is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { HttpUpstream } from '../../src/transport/upstream-http.js';
import type { HttpTarget } from '../../src/transport/upstream-http.js';
import { wardenHello } from '../../src/transport/upstream.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordedRequest, RecordingUpstream } from '../fixtures/servers/recording-http.js';

let up: RecordingUpstream;

beforeAll(async () => {
  up = await startRecordingUpstream();
});
afterAll(async () => {
  await up.close();
});

function target(credentials: HttpTarget['credentials']): HttpTarget {
  return {
    url: new URL(up.url),
    connectTimeoutMs: 5000,
    maxResponseBytes: 1_000_000,
    maxEventBytes: 1_000_000,
    credentials,
  };
}

const events = { onMessage: () => undefined, onClose: () => undefined };
const methodOf = (r: RecordedRequest): string | undefined =>
  r.body === '' ? undefined : (JSON.parse(r.body) as { method?: string }).method;

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof WardenError ? err.code : 'not a WardenError';
  }
  return undefined;
}

describe('credential headers on the HTTP connector', () => {
  it('are sent on POST, GET and DELETE, and cannot replace protocol or framing headers', async () => {
    const from = up.requests.length;
    const conn = new HttpUpstream(
      'up',
      target(async () => {
        await Promise.resolve();
        return {
          Authorization: 'Bearer warden-own',
          'x-extra': '1',
          'content-type': 'text/plain',
          accept: 'text/html',
          'mcp-session-id': 'forged',
          'mcp-protocol-version': '1999-01-01',
          host: 'evil.example',
        };
      }),
      events,
      silentLogger,
    );
    await conn.connect(wardenHello('1'), 5000, 'legacy');
    const res = await conn.request('tools/call', { name: 'echo', arguments: { a: 1 } }, { timeoutMs: 5000 });
    expect(res).toMatchObject({ result: { content: [{ text: '{"a":1}' }] } });
    await until(() => up.requests.slice(from).some((r) => r.method === 'GET'));
    await conn.close();
    await until(() => up.requests.slice(from).some((r) => r.method === 'DELETE'));
    const seen = up.requests.slice(from);
    const sid = seen.find((r) => methodOf(r) === 'tools/call')?.headers['mcp-session-id'];
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.map((r) => methodOf(r) ?? r.method)).toEqual(
      expect.arrayContaining(['initialize', 'notifications/initialized', 'tools/call', 'GET', 'DELETE']),
    );
    for (const r of seen) {
      expect(r.headers.authorization).toBe('Bearer warden-own');
      expect(r.headers['x-extra']).toBe('1');
      expect(r.headers.host).toBe(new URL(up.url).host);
      if (methodOf(r) !== 'initialize') {
        expect(r.headers['mcp-session-id']).toBe(sid);
        expect(r.headers['mcp-protocol-version']).toBe('2025-11-25');
      } else expect(r.headers['mcp-session-id']).toBeUndefined();
      if (r.method === 'POST') {
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers.accept).toBe('application/json, text/event-stream');
      }
      if (r.method === 'GET') expect(r.headers.accept).toBe('text/event-stream');
    }
  });

  it('a credential failure rejects the request with its own code before anything is sent', async () => {
    let fail: 'no' | 'coded' | 'plain' = 'no';
    const conn = new HttpUpstream(
      'up',
      target(() => {
        if (fail === 'coded')
          throw new WardenError('ERR_UPSTREAM_CREDENTIAL', 'no token', { data: { server: 'up' } });
        if (fail === 'plain') return Promise.reject(new Error('boom'));
        return { authorization: 'Bearer ok' };
      }),
      events,
      silentLogger,
    );
    await conn.connect(wardenHello('1'), 5000, 'legacy');
    const from = up.requests.length;
    fail = 'coded';
    expect(await codeOf(conn.request('tools/call', { name: 'echo' }, { timeoutMs: 5000 }))).toBe(
      'ERR_UPSTREAM_CREDENTIAL',
    );
    fail = 'plain';
    expect(await codeOf(conn.request('tools/list', undefined, { timeoutMs: 5000 }))).toBe(
      'ERR_UPSTREAM_CREDENTIAL',
    );
    expect(await codeOf(conn.notify('notifications/roots/list_changed'))).toBe('ERR_UPSTREAM_CREDENTIAL');
    expect(up.requests.slice(from).filter((r) => r.method === 'POST')).toEqual([]);
    fail = 'no';
    await conn.request('tools/list', undefined, { timeoutMs: 5000 });
    expect(
      up.requests
        .slice(from)
        .filter((r) => r.method === 'POST')
        .map(methodOf),
    ).toEqual(['tools/list']);
    await conn.close();
  });

  it('a credential failure at connect sends nothing at all', async () => {
    const from = up.requests.length;
    const conn = new HttpUpstream(
      'up',
      target(() => {
        throw new WardenError('ERR_UPSTREAM_CREDENTIAL');
      }),
      events,
      silentLogger,
    );
    expect(await codeOf(conn.connect(wardenHello('1'), 5000, 'legacy'))).toBe('ERR_UPSTREAM_CREDENTIAL');
    await conn.close();
    expect(up.requests.slice(from)).toEqual([]);
  });
});
