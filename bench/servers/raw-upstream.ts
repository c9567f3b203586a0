/**
 * A minimal HTTP MCP upstream for measuring proxies alone: stateless, JSON responses, the same
 * `echo` and `blob64k` tools as `upstream.ts`, written on `node:http` with no SDK, so it costs the
 * shared CPU almost nothing and the proxies' own CPU per request is not blurred by an upstream
 * competing for the two cores. Selected with `BENCH_UPSTREAM=raw`.
 *
 *   node dist/bench/servers/raw-upstream.js [--port 0]   → prints {"port":N}
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BLOB_TEXT } from '../lib/payload.js';

interface Rpc {
  id?: string | number;
  method?: string;
  params?: { name?: string; arguments?: { text?: unknown } };
}

function resultFor(m: Rpc): Record<string, unknown> {
  if (m.method === 'initialize') {
    return {
      protocolVersion: '2025-11-25',
      capabilities: { tools: {} },
      serverInfo: { name: 'raw-upstream', version: '1.0.0' },
    };
  }
  if (m.method === 'tools/list')
    return {
      tools: [
        { name: 'echo', inputSchema: { type: 'object' } },
        { name: 'blob64k', inputSchema: { type: 'object' } },
      ],
    };
  if (m.method === 'tools/call' && m.params?.name === 'blob64k')
    return { content: [{ type: 'text', text: BLOB_TEXT }] };
  if (m.method === 'tools/call') {
    const t = m.params?.arguments?.text;
    return { content: [{ type: 'text', text: typeof t === 'string' ? t : '' }] };
  }
  return {};
}

const portArg = process.argv.indexOf('--port');
const port = portArg === -1 ? 0 : Number(process.argv[portArg + 1] ?? 0);
const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const m = JSON.parse(Buffer.concat(parts).toString('utf8')) as Rpc;
    if (m.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: resultFor(m) }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
