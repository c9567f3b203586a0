/**
 * A TLS terminator for tests: accepts TLS on a free loopback port with a given certificate and
 * pipes the plaintext to a local TCP port (for example the recording HTTP upstream), so an https
 * upstream can be tested while the plain server behind it records what really arrived.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';

/** A running TLS front. */
export interface TlsFront {
  readonly port: number;
  /** Handshakes that resumed an earlier TLS session. */
  readonly resumed: number;
  close(): Promise<void>;
}

/** Starts a TLS front for `targetPort` on 127.0.0.1. */
export async function startTlsFront(
  targetPort: number,
  pair: { cert: string; key: string },
): Promise<TlsFront> {
  const sockets = new Set<TLSSocket>();
  let resumed = 0;
  const server = createServer({ cert: pair.cert, key: pair.key }, (tlsSocket) => {
    if (tlsSocket.isSessionReused()) resumed++;
    sockets.add(tlsSocket);
    const plain = connect(targetPort, '127.0.0.1');
    tlsSocket.pipe(plain).pipe(tlsSocket);
    const end = (): void => {
      sockets.delete(tlsSocket);
      tlsSocket.destroy();
      plain.destroy();
    };
    tlsSocket.on('error', end).on('close', end);
    plain.on('error', end).on('close', end);
  });
  // Handshakes a client aborts (a refused pin) are expected here.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    get resumed() {
      return resumed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
