/**
 * The 2026-07-28 (sessionless) era in front of a session-era stdio upstream: server/discover,
 * per-request metadata, and Multi Round-Trip Requests bridging the upstream's sampling request
 * into an input_required result and back — with requestState treated as attacker input.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw } from '../helpers/http.js';
import { ROOT, startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';

const SCRIPTED = path.join(ROOT, 'dist/test/fixtures/servers/scripted-server.js');
let w: TestWarden;

beforeAll(async () => {
  w = await startTestWarden({ servers: { s: { command: process.execPath, args: [SCRIPTED] } } });
});
afterAll(async () => {
  await w.close();
});

function meta(caps: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'modern-test', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': caps,
  };
}

async function modern(
  id: number,
  method: string,
  params: Record<string, unknown>,
  name?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  };
  if (name !== undefined) headers['mcp-name'] = name;
  const r = await raw(`${w.url}/mcp/s`, {
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  });
  return { status: r.status, json: JSON.parse(r.body) as Record<string, unknown> };
}

describe('2026-07-28 clients', () => {
  it('server/discover lists the supported versions and the upstream capabilities', async () => {
    const r = await modern(1, 'server/discover', { _meta: meta() });
    expect(r.status).toBe(200);
    const result = r.json.result as Record<string, unknown>;
    expect(result.supportedVersions).toEqual(['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26']);
    expect(result.capabilities).toMatchObject({ tools: {} });
    expect(result.resultType).toBe('complete');
  });

  it('serves tools/list and tools/call without a session; results carry resultType', async () => {
    const list = await modern(2, 'tools/list', { _meta: meta() });
    expect((list.json.result as { tools: unknown[] }).tools.length).toBeGreaterThan(3);
    const call = await modern(
      3,
      'tools/call',
      { name: 'echo', arguments: { text: 'stateless' }, _meta: meta() },
      'echo',
    );
    expect(call.json.result).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: 'stateless' }],
    });
  });

  it('bridges an upstream sampling request into input_required and completes on the retry', async () => {
    const params = { name: 'sample', arguments: {}, _meta: meta({ sampling: {} }) };
    const first = await modern(10, 'tools/call', params, 'sample');
    const res = first.json.result as {
      resultType: string;
      inputRequests: Record<string, { method: string }>;
      requestState: string;
    };
    expect(res.resultType).toBe('input_required');
    expect(Object.values(res.inputRequests)[0]?.method).toBe('sampling/createMessage');
    expect(res.requestState).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const key = Object.keys(res.inputRequests)[0] ?? '';
    const answer = { role: 'assistant', content: { type: 'text', text: 'bridged-hi' }, model: 'm' };
    const retry = await modern(
      11,
      'tools/call',
      { ...params, inputResponses: { [key]: answer }, requestState: res.requestState },
      'sample',
    );
    expect(retry.json.id).toBe(11);
    expect(JSON.stringify(retry.json.result)).toContain('bridged-hi');
    expect((retry.json.result as { resultType: string }).resultType).toBe('complete');

    // requestState is single-use: a replay is refused and reaches nothing.
    const replay = await modern(
      12,
      'tools/call',
      { ...params, inputResponses: { [key]: answer }, requestState: res.requestState },
      'sample',
    );
    expect((replay.json.error as { code: number }).code).toBe(-32602);
  });

  it('refuses a forged requestState and a state replayed on a different request', async () => {
    const forged = await modern(
      20,
      'tools/call',
      {
        name: 'sample',
        arguments: {},
        requestState: 'A'.repeat(32),
        inputResponses: {},
        _meta: meta({ sampling: {} }),
      },
      'sample',
    );
    expect((forged.json.error as { data: { code: string } }).data.code).toBe('ERR_INVALID_PARAMS');
    const params = { name: 'sample', arguments: {}, _meta: meta({ sampling: {} }) };
    const first = await modern(21, 'tools/call', params, 'sample');
    const state = (first.json.result as { requestState: string }).requestState;
    const other = await modern(
      22,
      'tools/call',
      {
        name: 'sample',
        arguments: { sneaky: true },
        requestState: state,
        inputResponses: {},
        _meta: meta({ sampling: {} }),
      },
      'sample',
    );
    expect((other.json.error as { data: { code: string } }).data.code).toBe('ERR_INVALID_PARAMS');
    // The refused attempt did not consume the state: the rightful retry still completes.
    const key =
      Object.keys((first.json.result as { inputRequests: Record<string, unknown> }).inputRequests)[0] ?? '';
    const ok = await modern(
      23,
      'tools/call',
      {
        ...params,
        requestState: state,
        inputResponses: { [key]: { role: 'assistant', content: { type: 'text', text: 'late' }, model: 'm' } },
      },
      'sample',
    );
    expect(JSON.stringify(ok.json.result)).toContain('late');
  });

  it('does not ask a client for what it did not declare: the upstream gets an error instead', async () => {
    const r = await modern(30, 'tools/call', { name: 'sample', arguments: {}, _meta: meta({}) }, 'sample');
    const result = r.json.result as { resultType: string; content: { text: string }[] };
    expect(result.resultType).toBe('complete');
    expect(result.content[0]?.text).toContain('does not support sampling/createMessage');
  });
});
