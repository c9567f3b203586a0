/**
 * Upstream TLS at the connector level, over real sockets: SPKI pins checked after the normal
 * certificate checks, no TLS session resumption on pinned pools (Node skips the identity check on
 * a resumed session), extra CAs, and the start-up checks of the settings.
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import {
  loadUpstreamTls,
  seenSpkiOf,
  spkiSha256,
  tlsConnectOptions,
} from '../../src/transport/upstream-tls.js';
import type { UpstreamTls } from '../../src/transport/upstream-tls.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../fixtures/servers/recording-http.js';
import { makeTestPki } from '../helpers/certs.js';
import type { TestPki } from '../helpers/certs.js';
import { startTlsFront } from '../helpers/tls-front.js';
import type { TlsFront } from '../helpers/tls-front.js';

let pki: TestPki;
let recorder: RecordingUpstream;
let front: TlsFront;
let origin: string;
const pools: Pool[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  recorder = await startRecordingUpstream();
  front = await startTlsFront(Number(new URL(recorder.url).port), pki.server);
  origin = `https://127.0.0.1:${front.port}`;
});

afterAll(async () => {
  await Promise.allSettled(pools.map((p) => p.close()));
  await front.close();
  await recorder.close();
  pki.remove();
});

function settings(pins: string[], withCa = true): UpstreamTls {
  const ca = withCa ? pki.ca.certPath : undefined;
  const tls = loadUpstreamTls('up', new URL(`${origin}/mcp`), { pinSha256: pins, ca });
  if (tls === undefined) throw new Error('expected TLS settings');
  return tls;
}

function poolWith(tls: UpstreamTls | undefined, extra: Record<string, unknown> = {}): Pool {
  const p = new Pool(origin, { connect: { ...tlsConnectOptions(tls, new URL(origin).host), ...extra } });
  pools.push(p);
  return p;
}

/** A ping over a fresh connection (`reset` closes it after the response). */
async function ping(pool: Pool): Promise<number> {
  const res = await pool.request({
    path: '/mcp',
    method: 'POST',
    reset: true,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25' },
    }),
  });
  await res.body.text();
  return res.statusCode;
}

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe('SPKI pins', () => {
  it('the pin is the base64 SHA-256 of the DER SubjectPublicKeyInfo, as the documented openssl pipeline computes it', () => {
    const der = new X509Certificate(pki.server.cert).raw;
    expect(spkiSha256(der)).toBe(pki.server.pin);
    expect(spkiSha256(new X509Certificate(pki.rotated.cert).raw)).toBe(pki.rotated.pin);
    expect(pki.server.pin).not.toBe(pki.rotated.pin);
  });

  it('[transport:upstream-tls-pin] the right pin connects; a wrong pin is refused with ERR_UPSTREAM_TLS_PIN after the handshake and before any HTTP request', async () => {
    expect(await ping(poolWith(settings([pki.rotated.pin, pki.server.pin])))).toBe(200);
    const before = recorder.requests.length;
    const err = await refusal(ping(poolWith(settings([pki.rotated.pin]))));
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_UPSTREAM_TLS_PIN');
    // The refusal names the key the server presented: the handshake got that far, and no further.
    expect((err as WardenError).data).toMatchObject({ host: '127.0.0.1', presented: pki.server.pin });
    expect(recorder.requests.length).toBe(before);
  });

  it("[transport:upstream-tls-pin] a pin of the issuing CA does not stand for the server's own key", async () => {
    const before = recorder.requests.length;
    const err = await refusal(ping(poolWith(settings([pki.ca.pin]))));
    expect((err as WardenError).code).toBe('ERR_UPSTREAM_TLS_PIN');
    expect(recorder.requests.length).toBe(before);
  });

  it('a matching pin does not excuse a certificate issued for another name: the normal checks run first', async () => {
    const before = recorder.requests.length;
    const err = await refusal(ping(poolWith(settings([pki.server.pin]), { servername: 'other.example' })));
    expect(err).not.toBeInstanceOf(WardenError);
    expect((err as { code?: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(recorder.requests.length).toBe(before);
  });

  it('[transport:upstream-tls-pin] a pinned pool never resumes a TLS session, so every connection is checked (an unpinned one does resume)', async () => {
    const unpinned = poolWith(settings([]));
    let resumed = front.resumed;
    for (let i = 0; i < 3; i++) expect(await ping(unpinned)).toBe(200);
    // The control: without pins, undici's session cache resumes, and Node then skips checkServerIdentity.
    expect(front.resumed).toBeGreaterThan(resumed);

    let checks = 0;
    const tls = settings([pki.server.pin]);
    const opts = tlsConnectOptions(tls, new URL(origin).host);
    const check = opts.checkServerIdentity;
    if (check === undefined) throw new Error('expected a pin check');
    const pinned = new Pool(origin, {
      connect: {
        ...opts,
        checkServerIdentity: (host, cert) => {
          checks++;
          return check(host, cert);
        },
      },
    });
    pools.push(pinned);
    resumed = front.resumed;
    for (let i = 0; i < 3; i++) expect(await ping(pinned)).toBe(200);
    expect(front.resumed).toBe(resumed);
    expect(checks).toBe(3);
  });
});

describe('extra CAs', () => {
  it('[integrity:upstream-identity] the leaf key seen is recorded per host and port: two upstreams on one host name with different certificates keep their own', async () => {
    const other = await startTlsFront(Number(new URL(recorder.url).port), pki.rotated);
    try {
      const first = poolWith(settings([]));
      const secondOrigin = `https://127.0.0.1:${other.port}`;
      const tls = loadUpstreamTls('other', new URL(`${secondOrigin}/mcp`), {
        pinSha256: [],
        ca: pki.ca.certPath,
      });
      const second = new Pool(secondOrigin, { connect: tlsConnectOptions(tls, new URL(secondOrigin).host) });
      pools.push(second);
      expect(await ping(first)).toBe(200);
      expect(await ping(second)).toBe(200);
      expect(await ping(first)).toBe(200);
      expect(seenSpkiOf(new URL(origin).host)).toBe(pki.server.pin);
      expect(seenSpkiOf(`127.0.0.1:${other.port}`)).toBe(pki.rotated.pin);
      expect(seenSpkiOf('127.0.0.1')).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('a private CA is trusted only when named in `ca`', async () => {
    expect(await ping(poolWith(settings([])))).toBe(200);
    const before = recorder.requests.length;
    const err = await refusal(ping(poolWith(undefined)));
    expect((err as { code?: string }).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(recorder.requests.length).toBe(before);
  });

  it('`ca` adds to the bundled roots rather than replacing them', () => {
    expect(tlsConnectOptions(settings([]), 'up.example').ca).toEqual([
      ...rootCertificates,
      pki.ca.cert.trim(),
    ]);
  });
});

describe('start-up checks of upstream TLS settings', () => {
  const url = new URL('https://up.example/mcp');

  it('nothing configured → no settings', () => {
    expect(loadUpstreamTls('up', url, { pinSha256: [] })).toBeUndefined();
  });

  it('pins on an http:// upstream are a configuration error', () => {
    expect(() =>
      loadUpstreamTls('up', new URL('http://up.example/mcp'), { pinSha256: [pki.server.pin] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('an unreadable CA file or one without a valid certificate is a configuration error', () => {
    const bad = (ca: string): unknown => {
      try {
        loadUpstreamTls('up', url, { pinSha256: [], ca });
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const missing = bad(path.join(pki.dir, 'missing.pem'));
    expect(missing).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      data: { problems: [{ path: 'servers.up.tls.ca' }] },
    });
    const empty = path.join(pki.dir, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    expect(bad(empty)).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    const broken = path.join(pki.dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(bad(broken)).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });

  it('different TLS settings for one origin never share a pool key; the same settings do', () => {
    const a = settings([pki.server.pin]);
    const b = settings([pki.rotated.pin]);
    const c = settings([pki.server.pin], false);
    expect(new Set([a.key, b.key, c.key]).size).toBe(3);
    expect(settings([pki.server.pin]).key).toBe(a.key);
  });
});
