/**
 * Tool schema validation and server→client request policy through a running Warden: refused
 * arguments never reach the upstream (stdio and HTTP), mismatching structured output is withheld,
 * hostile schemas are refused, and forbidden sampling or secret-asking elicitation never reaches
 * the client.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw } from '../helpers/http.js';
import { ROOT, mcpHeaders, openSession, rpc, startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../fixtures/servers/recording-http.js';

type StdioServerInput = Extract<NonNullable<ConfigInput['servers']>[string], { command: string }>;

const SCHEMA_SERVER = path.join(ROOT, 'dist/test/fixtures/servers/schema-server.js');

let w: TestWarden;
let base: string;
let rec: RecordingUpstream;
let dir: string;

/** The JSON-RPC messages one stdio upstream has read so far. */
function upstreamSaw(name: string): { method?: string; params?: { name?: string } }[] {
  const f = path.join(dir, `${name}.log`);
  return existsSync(f)
    ? readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { method?: string; params?: { name?: string } })
    : [];
}

function calls(name: string, tool: string): number {
  return upstreamSaw(name).filter((m) => m.method === 'tools/call' && m.params?.name === tool).length;
}

function stdio(name: string, allow?: { sampling: boolean; elicitation: boolean }): StdioServerInput {
  return {
    command: process.execPath,
    args: [SCHEMA_SERVER],
    env: { RECORD_FILE: path.join(dir, `${name}.log`) },
    ...(allow !== undefined ? { allow } : {}),
  };
}

interface ToolResult {
  content: { type: string; text: string }[];
  structuredContent?: unknown;
  isError?: boolean;
}

async function callTool(
  endpoint: string,
  sid: string,
  id: number,
  name: string,
  args: unknown,
): Promise<ToolResult> {
  const r = await rpc(base, endpoint, sid, {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: args },
  });
  expect(r.status).toBe(200);
  const j = r.json as { id: number; result?: ToolResult; error?: unknown };
  expect(j.id).toBe(id);
  if (j.result === undefined) throw new Error(`expected a result, got ${r.text}`);
  return j.result;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'warden-schema-'));
  rec = await startRecordingUpstream();
  w = await startTestWarden({
    servers: {
      sch: stdio('sch'),
      nos: stdio('nos', { sampling: false, elicitation: false }),
      rec: { url: rec.url },
    },
  });
  base = w.url;
});

afterAll(async () => {
  await w.close();
  await rec.close();
});

describe('input schema', () => {
  it('[policy:input-schema] invalid arguments → isError result with the reason; the upstream receives no tools/call; valid ones pass', async () => {
    const sid = await openSession(base, '/mcp/sch');
    // No tools/list first: Warden lists the server's tools itself to learn the schema.
    const bad = await callTool('/mcp/sch', sid, 2, 'count', { count: 0 });
    expect(bad.isError).toBe(true);
    expect(bad.content[0]?.text).toBe(
      "Invalid arguments for tool 'count': '/count' must be >= 1. The call was not forwarded.",
    );
    const extra = await callTool('/mcp/sch', sid, 3, 'count', { count: 2, sneaky: true });
    expect(extra.isError).toBe(true);
    expect(extra.content[0]?.text).toMatch(/must NOT have additional properties/);
    expect(calls('sch', 'count')).toBe(0);
    expect(upstreamSaw('sch').filter((m) => m.method === 'tools/list')).toHaveLength(1);
    // The refusal is not a protocol error, but the audit record says who refused and why.
    const refusals = w
      .audit()
      .filter((r) => r.method === 'tools/call' && r.tool === 'count' && r.session === sid)
      .map((r) => r.decisions.find((d) => d.stage === 'validate'));
    expect(refusals).toEqual([
      { stage: 'validate', decision: 'deny', rule: 'inputSchema' },
      { stage: 'validate', decision: 'deny', rule: 'inputSchema' },
    ]);

    const good = await callTool('/mcp/sch', sid, 4, 'count', { count: 3 });
    expect(good.isError).toBeUndefined();
    expect(good.structuredContent).toEqual({ total: 3 });
    expect(calls('sch', 'count')).toBe(1);
  });

  it('an HTTP upstream behind the aggregate endpoint: the recording upstream sees no refused call', async () => {
    const sid = await openSession(base, '/mcp');
    const bad = await callTool('/mcp', sid, 2, 'rec__echo', { text: 42 });
    expect(bad.isError).toBe(true);
    expect(bad.content[0]?.text).toBe(
      "Invalid arguments for tool 'echo': '/text' must be string. The call was not forwarded.",
    );
    const sent = (): string[] =>
      rec.requests.filter((r) => r.body.includes('"tools/call"')).map((r) => r.body);
    expect(sent()).toEqual([]);
    const good = await callTool('/mcp', sid, 3, 'rec__echo', { text: 'hi' });
    expect(good.isError).toBeUndefined();
    expect(sent()).toHaveLength(1);
  });

  it('a tool the server does not list is refused, not forwarded', async () => {
    const sid = await openSession(base, '/mcp/sch');
    const r = await callTool('/mcp/sch', sid, 2, 'hidden', {});
    expect(r.isError).toBe(true);
    expect(r.content[0]?.text).toBe(
      "Warden refused the call: server 'sch' does not list a tool named 'hidden'.",
    );
    expect(calls('sch', 'hidden')).toBe(0);
  });

  it('a schema Warden cannot run in linear time is refused with a clear reason (fail closed)', async () => {
    const sid = await openSession(base, '/mcp/sch');
    const r = await callTool('/mcp/sch', sid, 2, 'evil', { s: 'aa' });
    expect(r.isError).toBe(true);
    expect(r.content[0]?.text).toMatch(
      /^Warden refused the call: the inputSchema of tool 'evil' is unusable \(schema cannot be compiled: /,
    );
    expect(calls('sch', 'evil')).toBe(0);
  });
});

describe('output schema', () => {
  it('[policy:output-schema] structuredContent that does not match the outputSchema is withheld as an isError result', async () => {
    const sid = await openSession(base, '/mcp/sch');
    const before = calls('sch', 'count');
    const r = await callTool('/mcp/sch', sid, 2, 'count', { count: 5, mode: 'bad-output' });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    expect(r.content[0]?.text).toBe(
      "Warden withheld the result of tool 'count': its structuredContent does not match the tool's outputSchema ('/total' must be integer).",
    );
    const none = await callTool('/mcp/sch', sid, 3, 'count', { count: 5, mode: 'no-structured' });
    expect(none.isError).toBe(true);
    expect(none.content[0]?.text).toMatch(/declares an outputSchema but returned no structuredContent/);
    // The upstream did run both calls: output validation is about what reaches the client.
    expect(calls('sch', 'count')).toBe(before + 2);
    const withheld = w
      .audit()
      .filter((a) => a.method === 'tools/call' && a.session === sid)
      .map((a) => a.decisions.find((d) => d.stage === 'validate'));
    expect(withheld).toEqual([
      { stage: 'validate', decision: 'deny', rule: 'outputSchema' },
      { stage: 'validate', decision: 'deny', rule: 'outputSchema' },
    ]);
  });
});

describe('validation off', () => {
  it('validation.input/output false forwards as before', async () => {
    const off = await startTestWarden({
      validation: { input: false, output: false },
      // Pinning lists tools on demand too; off here, so only validation's own listing is measured.
      integrity: { pinning: 'off' },
      servers: { sch: stdio('off') },
    });
    try {
      const sid = await openSession(off.url, '/mcp/sch');
      const r = await rpc(off.url, '/mcp/sch', sid, {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'count', arguments: { count: 0, mode: 'bad-output' } },
      });
      expect((r.json as { result: ToolResult }).result.structuredContent).toEqual({ total: 'many' });
      expect(calls('off', 'count')).toBe(1);
      expect(upstreamSaw('off').filter((m) => m.method === 'tools/list')).toHaveLength(0);
    } finally {
      await off.close();
    }
  });
});

describe('server→client requests', () => {
  /** Calls the fixture's `ask` tool and collects the POST stream until the call's result. */
  async function ask(
    endpoint: string,
    sid: string,
    id: number,
    method: string,
    params: Record<string, unknown>,
  ): Promise<{ method?: string; id?: unknown; result?: ToolResult }[]> {
    const r = await raw(`${base}${endpoint}`, {
      headers: mcpHeaders(sid),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'ask', arguments: { method, params } },
      }),
    });
    expect(r.status).toBe(200);
    type Msg = { method?: string; id?: unknown; result?: ToolResult };
    // Without a server request to relay, Warden may answer with plain JSON instead of a stream.
    if (!(r.headers['content-type'] ?? '').startsWith('text/event-stream'))
      return [JSON.parse(r.body) as Msg];
    return r.body
      .split('\n\n')
      .filter((e) => e.includes('data: '))
      .map(
        (e) =>
          JSON.parse(
            e
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n'),
          ) as Msg,
      );
  }

  const SAMPLE = { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 };
  const FORM = (properties: Record<string, unknown>): Record<string, unknown> => ({
    mode: 'form',
    message: 'Please fill in',
    requestedSchema: { type: 'object', properties },
  });

  it('[policy:sampling-elicitation] sampling from a server with allow.sampling false is answered with an error and never reaches the client', async () => {
    const sid = await openSession(base, '/mcp/nos');
    const msgs = await ask('/mcp/nos', sid, 2, 'sampling/createMessage', SAMPLE);
    expect(msgs.filter((m) => m.method !== undefined)).toEqual([]);
    const upstreamGot = JSON.parse(msgs.at(-1)?.result?.content[0]?.text ?? '{}') as {
      code: number;
      message: string;
      data: { code: string };
    };
    expect(upstreamGot.code).toBe(-31001);
    expect(upstreamGot.data.code).toBe('ERR_SERVER_REQUEST_REFUSED');
    expect(upstreamGot.message).toBe("server 'nos' may not request sampling");
    const elicit = await ask('/mcp/nos', sid, 3, 'elicitation/create', FORM({ name: { type: 'string' } }));
    expect(elicit.filter((m) => m.method !== undefined)).toEqual([]);
    expect(elicit.at(-1)?.result?.content[0]?.text).toContain("server 'nos' may not request elicitation");
  });

  it('[policy:sampling-elicitation] a form elicitation asking for a password or API key is refused even where elicitation is allowed', async () => {
    const sid = await openSession(base, '/mcp/sch');
    for (const [i, props] of [
      { user: { type: 'string' }, pw: { type: 'string', format: 'password' } },
      { apiKey: { type: 'string' } },
      { answer: { type: 'string', title: 'Your GitHub token' } },
    ].entries()) {
      const msgs = await ask('/mcp/sch', sid, 10 + i, 'elicitation/create', FORM(props));
      expect(msgs.filter((m) => m.method !== undefined)).toEqual([]);
      expect(msgs.at(-1)?.result?.content[0]?.text).toContain('ERR_SERVER_REQUEST_REFUSED');
      expect(msgs.at(-1)?.result?.content[0]?.text).toContain('use URL mode');
    }
  });

  it('an ordinary form elicitation from an allowed server still reaches the client and its answer goes back', async () => {
    const sid = await openSession(base, '/mcp/sch');
    const pending = ask('/mcp/sch', sid, 2, 'elicitation/create', FORM({ colour: { type: 'string' } }));
    // Answer Warden's id for the relayed request once the upstream has sent it.
    let answered = 0;
    for (let i = 0; i < 200 && answered !== 202; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const a = await raw(`${base}/mcp/sch`, {
        headers: mcpHeaders(sid),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 'w1',
          result: { action: 'accept', content: { colour: 'red' } },
        }),
      });
      answered = a.status;
    }
    const msgs = await pending;
    expect(msgs[0]?.method).toBe('elicitation/create');
    expect(msgs.at(-1)?.result?.content[0]?.text).toBe('{"action":"accept","content":{"colour":"red"}}');
  });
});

describe('2026-07-28 clients', () => {
  const META = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'modern-test', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': { sampling: {}, elicitation: {} },
  };

  async function modern(
    endpoint: string,
    id: number,
    name: string,
    args: unknown,
  ): Promise<Record<string, unknown>> {
    const r = await raw(`${base}${endpoint}`, {
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': name,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name, arguments: args, _meta: META },
      }),
    });
    expect(r.status).toBe(200);
    return (JSON.parse(r.body) as { result: Record<string, unknown> }).result;
  }

  it('invalid arguments → isError result (resultType complete), nothing forwarded', async () => {
    const before = calls('sch', 'count');
    const r = await modern('/mcp/sch', 1, 'count', { count: 500 });
    expect(r).toMatchObject({ resultType: 'complete', isError: true });
    expect(JSON.stringify(r.content)).toContain("'/count' must be <= 100");
    expect(calls('sch', 'count')).toBe(before);
  });

  it('forbidden sampling never becomes an input request; allowed sampling does', async () => {
    const refused = await modern('/mcp/nos', 2, 'ask', { method: 'sampling/createMessage', params: {} });
    expect(refused.resultType).toBe('complete');
    expect(refused.inputRequests).toBeUndefined();
    expect(JSON.stringify(refused.content)).toContain('ERR_SERVER_REQUEST_REFUSED');
    const secret = await modern('/mcp/sch', 3, 'ask', {
      method: 'elicitation/create',
      params: {
        message: 'Log in',
        requestedSchema: { type: 'object', properties: { password: { type: 'string' } } },
      },
    });
    expect(secret.inputRequests).toBeUndefined();
    expect(JSON.stringify(secret.content)).toContain('use URL mode');
    const allowed = await modern('/mcp/sch', 4, 'ask', { method: 'sampling/createMessage', params: {} });
    expect(allowed.resultType).toBe('input_required');
  });
});

describe('a 2026-07-28 upstream behind a 2025 session', () => {
  it("forbidden sampling inside the upstream's input_required ends the call; the client is never asked", async () => {
    const MODERN = path.join(ROOT, 'dist/test/fixtures/servers/modern-server.js');
    const mw = await startTestWarden({
      servers: {
        mod: {
          command: process.execPath,
          args: [MODERN],
          protocol: 'modern',
          allow: { sampling: false, elicitation: true },
        },
      },
    });
    try {
      const sid = await openSession(mw.url, '/mcp/mod');
      const r = await raw(`${mw.url}/mcp/mod`, {
        headers: mcpHeaders(sid),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 5,
          method: 'tools/call',
          params: { name: 'ask', arguments: {} },
        }),
      });
      expect(r.status).toBe(200);
      // Every message of the reply: a relayed request would carry a method.
      const msgs = (
        (r.headers['content-type'] ?? '').startsWith('text/event-stream')
          ? r.body
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
          : [r.body]
      ).map(
        (t) =>
          JSON.parse(t) as { id: number; method?: string; error?: { code: number; data: { code: string } } },
      );
      expect(msgs.filter((m) => m.method !== undefined)).toEqual([]);
      const j = msgs.at(-1);
      if (j === undefined) throw new Error('no reply');
      expect(j.id).toBe(5);
      expect(j.error?.code).toBe(-31001);
      expect(j.error?.data.code).toBe('ERR_SERVER_REQUEST_REFUSED');
    } finally {
      await mw.close();
    }
  });
});
