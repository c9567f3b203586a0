/**
 * SessionStreams over a real socket: resumption replays only the named stream, and the replay
 * buffer is bounded by size as well as by count.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStreams } from '../../src/transport/http-streams.js';
import { sse } from '../helpers/http.js';

let server: Server | undefined;

afterEach(() => {
  server?.close();
  server = undefined;
});

/** Serves GET with Last-Event-ID from the given streams on a real socket. */
async function serve(streams: SessionStreams): Promise<string> {
  server = createServer((req, res) => {
    const last = req.headers['last-event-id'];
    try {
      streams.attachGet(res, typeof last === 'string' ? last : undefined);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('SessionStreams', () => {
  it('[transport:resume-same-stream] replays only the named stream after the given event', async () => {
    const s = new SessionStreams(100, () => undefined);
    const a = s.newStream();
    const b = s.newStream();
    for (let i = 1; i <= 3; i++) {
      s.emit(a, {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'a', progress: i },
      });
      s.emit(b, {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'b', progress: i },
      });
    }
    s.emit(a, { jsonrpc: '2.0', id: 1, result: {} }, true);
    const url = await serve(s);
    const got = await sse(url, { 'last-event-id': `${a}-1` }, { timeoutMs: 1000 });
    expect(got.events.map((e) => e.id)).toEqual([`${a}-2`, `${a}-3`, `${a}-4`]);
    expect(got.events.every((e) => !e.data.includes('"b"'))).toBe(true);
  });

  it('keeps at most about 4 MiB of events for replay, dropping the oldest', async () => {
    const s = new SessionStreams(1000, () => undefined);
    const st = s.newStream();
    const big = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 40; i++)
      s.emit(st, { jsonrpc: '2.0', method: 'notifications/message', params: { data: big } });
    const url = await serve(s);
    // The first events are gone: resuming from the first id is still known (ids are), but only the
    // newest events (≤ 4 MiB, so at most 16 of 256 KiB) come back.
    const got = await sse(url, { 'last-event-id': `${st}-1` }, { timeoutMs: 1500 });
    expect(got.events.length).toBeGreaterThan(0);
    expect(got.events.length).toBeLessThanOrEqual(16);
    expect(got.events.at(-1)?.id).toBe(`${st}-40`);
    got.abort();
  });
});
