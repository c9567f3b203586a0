/**
 * The thinnest reasonable Node.js reverse proxy, as a baseline for Warden's own overhead: a
 * `node:http` server forwarding every request to one upstream origin through an undici `Pool`
 * (keep-alive connections), streaming request and response bodies without buffering or parsing.
 *
 *   node dist/bench/thin-proxy.js --upstream http://127.0.0.1:8080 [--port 0] [--host 127.0.0.1]
 *
 * Once listening it prints one line `{"port":N}` on stdout.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Pool } from 'undici';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus those undici sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
]);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function responseHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function proxy(pool: Pool, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET';
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool
    .stream(
      {
        path: req.url ?? '/',
        method,
        headers: forwardable(req.headers),
        body: hasBody ? req : null,
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, responseHeaders(headers));
        return res;
      },
    )
    .catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`bad gateway: ${err instanceof Error ? err.message : String(err)}\n`);
      } else {
        res.destroy();
      }
    });
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function main(args: readonly string[]): void {
  const upstream = argValue(args, '--upstream');
  if (upstream === undefined)
    throw new Error('usage: thin-proxy.js --upstream <origin> [--port N] [--host H]');
  const host = argValue(args, '--host') ?? '127.0.0.1';
  const port = Number(argValue(args, '--port') ?? '0');
  const pool = new Pool(new URL(upstream).origin, {
    connections: 64,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  const server = createServer((req, res) => proxy(pool, req, res));
  server.keepAliveTimeout = 60_000;
  server.listen(port, host, () => {
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
    process.stdout.write(JSON.stringify({ port: addr.port }) + '\n');
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    void pool.close();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2));
