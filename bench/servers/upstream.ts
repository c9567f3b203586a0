/**
 * The benchmark's upstream MCP server: two tools, `echo` (returns its `text` argument) and
 * `blob64k` (returns 64 KiB of text). Built on `@modelcontextprotocol/sdk` 1.32.2.
 *
 *   node dist/bench/servers/upstream.js --stdio
 *   node dist/bench/servers/upstream.js --http [--port 0] [--host 127.0.0.1]
 *
 * Over HTTP it runs the SDK's Streamable HTTP transport in stateless mode with JSON responses: a
 * fresh server and transport per request (the sessionful JSON mode leaks ~9 KB per request,
 * typescript-sdk issue 2559). Once listening it prints one line `{"port":N}` on stdout.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import { BLOB_TEXT } from '../lib/payload.js';

// One JSON Schema validator for every per-request server: the SDK otherwise builds a fresh Ajv
// instance per server, the largest single item in the upstream's CPU profile (it is only used
// for elicitation, which these tools never do).
const validator = new AjvJsonSchemaValidator();

/** A new MCP server exposing `echo` and `blob64k`. */
function createBenchServer(): McpServer {
  const server = new McpServer(
    { name: 'warden-bench-upstream', version: '1.0.0' },
    { jsonSchemaValidator: validator },
  );
  server.registerTool(
    'echo',
    { description: 'Returns its text argument.', inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool('blob64k', { description: 'Returns 64 KiB of text.' }, () => ({
    content: [{ type: 'text', text: BLOB_TEXT }],
  }));
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? undefined : (JSON.parse(text) as unknown);
}

async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/mcp') {
    res.writeHead(404).end();
    return;
  }
  if (req.method !== 'POST') {
    // Stateless: no standalone SSE stream, no session to delete.
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
    return;
  }
  const server = createBenchServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: readonly string[]): Promise<void> {
  if (args.includes('--stdio')) {
    await createBenchServer().connect(new StdioServerTransport());
    return;
  }
  if (!args.includes('--http')) throw new Error('usage: upstream.js --stdio | --http [--port N] [--host H]');
  const host = argValue(args, '--host') ?? '127.0.0.1';
  const port = Number(argValue(args, '--port') ?? '0');
  const httpServer = createServer((req, res) => {
    handleHttp(req, res).catch((err: unknown) => {
      process.stderr.write(`upstream: ${String(err)}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  httpServer.keepAliveTimeout = 60_000;
  httpServer.listen(port, host, () => {
    const addr = httpServer.address();
    if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
    process.stdout.write(JSON.stringify({ port: addr.port }) + '\n');
  });
  const stop = (): void => {
    httpServer.close();
    httpServer.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`upstream: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
