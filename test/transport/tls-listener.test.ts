/**
 * The TLS listener at the transport level, over real sockets: the start-up pair check, HSTS on
 * HTTPS only, the minimum TLS version, and the certificate reloader (swap, keep on a bad pair,
 * interval, SIGHUP, clean stop).
 */
import { once } from 'node:events';
import { Agent } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/log.js';
import { createHttpServer } from '../../src/transport/http-server.js';
import { listenerTls, startCertReloader } from '../../src/transport/tls.js';
import type { CertReloader, TlsMinVersion, TlsPair } from '../../src/transport/tls.js';
import { makeTestPki } from '../helpers/certs.js';
import type { TestPki } from '../helpers/certs.js';
import { eventually, handshake, httpsRequest } from '../helpers/https-client.js';
import { raw } from '../helpers/http.js';

let pki: TestPki;
const cleanup: (() => void | Promise<void>)[] = [];

beforeAll(() => {
  pki = makeTestPki();
});

afterAll(() => {
  pki.remove();
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A logger that keeps what it was told. */
function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (msg: string): void => {
      lines.push({ level, msg });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function listen(server: Server): Promise<number> {
  server.on('request', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function httpsServer(
  pair: TlsPair,
  minVersion: TlsMinVersion = 'TLSv1.2',
  hstsMaxAgeSec = 31_536_000,
): Promise<{ port: number; server: HttpsServer }> {
  const server = createHttpServer(listenerTls(pair, { minVersion, hstsMaxAgeSec }));
  return { port: await listen(server), server };
}

describe('start-up', () => {
  it('a certificate and key that do not belong together are a configuration error', () => {
    let err: unknown;
    try {
      listenerTls(
        { cert: pki.server.cert, key: pki.rotated.key },
        { minVersion: 'TLSv1.2', hstsMaxAgeSec: 0 },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID', data: { problems: [{ path: 'listen.tls' }] } });
  });
});

describe('HSTS', () => {
  it('[transport:tls] every HTTPS response carries Strict-Transport-Security with the configured max-age, a refused request too', async () => {
    const { port } = await httpsServer(pki.server, 'TLSv1.2', 600);
    const ok = await httpsRequest(`https://127.0.0.1:${port}/`, { ca: pki.ca.cert });
    expect(ok.status).toBe(200);
    expect(ok.headers['strict-transport-security']).toBe('max-age=600');
    // A malformed request is answered by the clientError handler, outside any request listener.
    const s = connect({ host: '127.0.0.1', port, ca: pki.ca.cert });
    await once(s, 'secureConnect');
    s.write('NOT HTTP\r\n\r\n');
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    await once(s, 'end');
    expect(text.startsWith('HTTP/1.1 400')).toBe(true);
    expect(text.toLowerCase()).toContain('strict-transport-security: max-age=600\r\n');
  });

  it('[transport:tls] no Strict-Transport-Security on plain HTTP, nor when max-age is 0', async () => {
    const plain = await listen(createHttpServer());
    const r = await raw(`http://127.0.0.1:${plain}/`, { method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.headers['strict-transport-security']).toBeUndefined();
    const { port } = await httpsServer(pki.server, 'TLSv1.2', 0);
    const s = await httpsRequest(`https://127.0.0.1:${port}/`, { ca: pki.ca.cert });
    expect(s.status).toBe(200);
    expect(s.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('minimum TLS version', () => {
  it('[transport:tls] TLSv1.3 refuses a TLS 1.2-only client and accepts TLS 1.3; TLSv1.2 accepts both', async () => {
    const strict = await httpsServer(pki.server, 'TLSv1.3');
    expect(await handshake(strict.port, { ca: pki.ca.cert, maxVersion: 'TLSv1.2' })).toMatchObject({
      ok: false,
      code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    });
    expect(await handshake(strict.port, { ca: pki.ca.cert, minVersion: 'TLSv1.3' })).toMatchObject({
      ok: true,
      protocol: 'TLSv1.3',
    });
    const lenient = await httpsServer(pki.server, 'TLSv1.2');
    expect(await handshake(lenient.port, { ca: pki.ca.cert, maxVersion: 'TLSv1.2' })).toMatchObject({
      ok: true,
      protocol: 'TLSv1.2',
    });
  });
});

describe('certificate reloader', () => {
  async function reloading(
    minVersion: TlsMinVersion,
    intervalMs: number,
  ): Promise<{
    port: number;
    reloader: CertReloader;
    log: ReturnType<typeof recordingLogger>;
    serve: (pair: TlsPair | Error) => void;
  }> {
    const { port, server } = await httpsServer(pki.server, minVersion);
    let next: TlsPair | Error = pki.server;
    const log = recordingLogger();
    const reloader = startCertReloader(server, listenerTls(pki.server, { minVersion, hstsMaxAgeSec: 0 }), {
      load: () => {
        if (next instanceof Error) throw next;
        return next;
      },
      intervalMs,
      log,
    });
    cleanup.push(() => reloader.stop());
    return { port, reloader, log, serve: (p) => (next = p) };
  }

  it('[transport:tls] a changed pair is used for new connections while a kept-alive connection keeps working; the minimum version survives the swap', async () => {
    const { port, reloader, serve } = await reloading('TLSv1.3', 3_600_000);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanup.push(() => agent.destroy());
    const url = `https://127.0.0.1:${port}/`;
    const first = await httpsRequest(url, { ca: pki.ca.cert, agent });
    expect(first.fingerprint256).toBe(pki.server.fingerprint256);
    expect(await reloader.reload()).toBe('unchanged');

    serve(pki.rotated);
    expect(await reloader.reload()).toBe('reloaded');
    const fresh = await handshake(port, { ca: pki.ca.cert });
    expect(fresh).toMatchObject({ ok: true, fingerprint256: pki.rotated.fingerprint256 });
    const kept = await httpsRequest(url, { ca: pki.ca.cert, agent });
    expect(kept).toMatchObject({ status: 200, reused: true, fingerprint256: pki.server.fingerprint256 });
    // setSecureContext() without minVersion would fall back to TLS 1.2.
    expect(await handshake(port, { ca: pki.ca.cert, maxVersion: 'TLSv1.2' })).toMatchObject({ ok: false });
  });

  it('[transport:tls] a bad new pair (mismatched, garbage or unreadable) is logged once and the old certificate stays', async () => {
    const { port, reloader, log, serve } = await reloading('TLSv1.2', 3_600_000);
    serve({ cert: pki.rotated.cert, key: pki.server.key });
    expect(await reloader.reload()).toBe('rejected');
    expect(await reloader.reload()).toBe('rejected');
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    serve({ cert: 'not a certificate', key: pki.rotated.key });
    expect(await reloader.reload()).toBe('rejected');
    serve(new Error('ENOENT'));
    expect(await reloader.reload()).toBe('rejected');
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(3);
    expect(await handshake(port, { ca: pki.ca.cert })).toMatchObject({
      ok: true,
      fingerprint256: pki.server.fingerprint256,
    });
    // A good pair afterwards is taken as usual.
    serve(pki.rotated);
    expect(await reloader.reload()).toBe('reloaded');
    expect(await handshake(port, { ca: pki.ca.cert })).toMatchObject({
      fingerprint256: pki.rotated.fingerprint256,
    });
  });

  it('[transport:tls] the interval picks up a rotated pair by itself', async () => {
    const { port, serve } = await reloading('TLSv1.2', 200);
    serve(pki.rotated);
    const seen = await eventually(async () => {
      const h = await handshake(port, { ca: pki.ca.cert });
      return h.ok && h.fingerprint256 === pki.rotated.fingerprint256;
    });
    expect(seen).toBe(true);
  });

  it('[transport:tls] SIGHUP reloads at once; stop() removes the signal listener', async () => {
    const before = process.listenerCount('SIGHUP');
    const { port, reloader, serve } = await reloading('TLSv1.2', 3_600_000);
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    serve(pki.rotated);
    process.kill(process.pid, 'SIGHUP');
    const seen = await eventually(async () => {
      const h = await handshake(port, { ca: pki.ca.cert });
      return h.ok && h.fingerprint256 === pki.rotated.fingerprint256;
    });
    expect(seen).toBe(true);
    reloader.stop();
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });
});
