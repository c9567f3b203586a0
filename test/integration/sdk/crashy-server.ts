/**
 * A tiny stdio MCP server (2025 session era, newline-delimited JSON-RPC) for failure tests. It uses
 * only node: built-ins so `helpers.ts` can transpile it to a runnable .mjs. Tools:
 * - `echo {text}`: answers with the text.
 * - `pid`: answers with this process's pid.
 * - `crash`: exits with code 3 without answering.
 * - `hang`: never answers.
 * - `sample`: sends `sampling/createMessage` to the client and answers with the JSON of whatever
 *   comes back (result or error), so a test can see what Warden answered on the client's behalf.
 * - `elicit`: the same with `elicitation/create` (a form asking for a `name`).
 * - `cancelled`: answers with the JSON list of request ids named by notifications/cancelled so far.
 */
import { createInterface } from 'node:readline';

type Id = string | number;
interface Msg {
  jsonrpc: '2.0';
  id?: Id;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: unknown;
}

const VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'];
const TOOLS = ['echo', 'pid', 'crash', 'hang', 'sample', 'elicit', 'cancelled'].map((name) => ({
  name,
  description: `crashy ${name}`,
  inputSchema: { type: 'object', properties: name === 'echo' ? { text: { type: 'string' } } : {} },
}));

const cancelled: Id[] = [];
/** Server→client requests in flight: our id → the tools/call id waiting on it. */
const waiting = new Map<Id, Id>();
let nextOwnId = 1;

function send(msg: Msg): void {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

function text(id: Id, t: string): void {
  send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: t }] } });
}

/** Sends a server→client request for the tools/call `call`; the answer completes that call. */
function ask(call: Id, method: string, params: Record<string, unknown>): void {
  const own = `crashy-${nextOwnId++}`;
  waiting.set(own, call);
  send({ jsonrpc: '2.0', id: own, method, params });
}

function onRequest(id: Id, method: string, params: Record<string, unknown>): void {
  switch (method) {
    case 'initialize': {
      const asked = params.protocolVersion;
      const version = typeof asked === 'string' && VERSIONS.includes(asked) ? asked : VERSIONS[0];
      send({
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: version,
          capabilities: { tools: {} },
          serverInfo: { name: 'crashy', version: '1.0.0' },
        },
      });
      return;
    }
    case 'ping':
      send({ jsonrpc: '2.0', id, result: {} });
      return;
    case 'tools/list':
      send({ jsonrpc: '2.0', id, result: { tools: TOOLS } });
      return;
    case 'tools/call': {
      const args = (params.arguments ?? {}) as Record<string, unknown>;
      switch (params.name) {
        case 'echo':
          text(id, String(args.text));
          return;
        case 'pid':
          text(id, String(process.pid));
          return;
        case 'crash':
          process.exit(3);
          return;
        case 'hang':
          return;
        case 'cancelled':
          text(id, JSON.stringify(cancelled));
          return;
        case 'sample':
          ask(id, 'sampling/createMessage', {
            messages: [{ role: 'user', content: { type: 'text', text: 'say hi' } }],
            maxTokens: 10,
          });
          return;
        case 'elicit':
          ask(id, 'elicitation/create', {
            mode: 'form',
            message: 'Who are you?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
          });
          return;
        default:
          send({
            jsonrpc: '2.0',
            id,
            error: { code: -32602, message: `Unknown tool: ${String(params.name)}` },
          });
          return;
      }
    }
    default:
      send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const msg = JSON.parse(line) as Msg;
  if (msg.method !== undefined && msg.id !== undefined) {
    onRequest(msg.id, msg.method, msg.params ?? {});
  } else if (msg.method === 'notifications/cancelled') {
    const rid = msg.params?.requestId;
    if (typeof rid === 'string' || typeof rid === 'number') cancelled.push(rid);
  } else if (msg.method === undefined && msg.id !== undefined) {
    const call = waiting.get(msg.id);
    if (call !== undefined) {
      waiting.delete(msg.id);
      text(call, JSON.stringify(msg.error !== undefined ? { error: msg.error } : { result: msg.result }));
    }
  }
});
process.stdin.on('end', () => process.exit(0));
