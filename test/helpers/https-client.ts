/**
 * HTTPS client conveniences for TLS tests: requests that report which certificate the server
 * showed and whether a kept-alive connection was reused, and bare handshakes with a chosen TLS
 * version range.
 */
import { request } from 'node:https';
import type { Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:tls';
import type { SecureVersion, TLSSocket } from 'node:tls';

/** One HTTPS response with what the TLS layer showed. */
export interface HttpsResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** SHA-256 fingerprint of the server certificate on this connection. */
  readonly fingerprint256: string;
  /** True when the request went over an already open (kept-alive) connection. */
  readonly reused: boolean;
}

/** Sends one request; `agent` keeps connections open between calls when it has keepAlive. */
export function httpsRequest(
  url: string,
  opts: { ca: string; agent?: Agent; method?: string; headers?: Record<string, string>; body?: string },
): Promise<HttpsResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ca: opts.ca,
        agent: opts.agent,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const fingerprint256 = socket.getPeerCertificate().fingerprint256;
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString('utf8'),
            fingerprint256,
            reused: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** The outcome of a bare TLS handshake. */
export type Handshake =
  | { readonly ok: true; readonly protocol: string | null; readonly fingerprint256: string }
  | { readonly ok: false; readonly code: string | undefined };

/** Performs one TLS handshake with 127.0.0.1:`port` and closes the connection. */
export function handshake(
  port: number,
  opts: { ca: string; minVersion?: SecureVersion; maxVersion?: SecureVersion },
): Promise<Handshake> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, ...opts }, () => {
      const result: Handshake = {
        ok: true,
        protocol: s.getProtocol(),
        fingerprint256: s.getPeerCertificate().fingerprint256,
      };
      s.end();
      resolve(result);
    });
    s.on('error', (err: Error & { code?: string }) => resolve({ ok: false, code: err.code }));
  });
}

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves with the last answer. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
