/**
 * Held calls confirmed by the user through MCP elicitation, through a running Warden: an `approve`
 * rule with `userConfirmation: true` asks the calling client (official SDK client in the 2025 era,
 * raw 2026-07-28 requests with input_required rounds) instead of queueing the call for an approver.
 * Only an accepted, ticked confirmation lets the call reach the recording upstream; forged answers
 * from other sessions or principals and tampered, replayed or foreign requestStates reach nothing.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';
import { startRecordingUpstream } from '../fixtures/servers/recording-http.js';
import type { RecordingUpstream } from '../fixtures/servers/recording-http.js';
import { modernMeta, modernPost } from '../helpers/modern.js';
import { ROOT, openSession, rpc, startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';

/** The endpoint whose rule lets the user confirm, and one whose approve rule does not. */
const EP = '/mcp/files';
const PLAIN = '/mcp/plain';
const RULE = 'files-confirm-by-user';

let issuer: TestIssuer;
let files: RecordingUpstream;
let plain: RecordingUpstream;
/** Admin API on: calls that cannot be confirmed by the user wait in the approval queue. */
let w: TestWarden;
/** Admin API off: such calls are refused. */
let bare: TestWarden;

function config(admin: boolean): ConfigInput {
  return {
    auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
    admin: admin ? { enabled: true, port: 0, approvalTimeoutSec: 2 } : { approvalTimeoutSec: 2 },
    servers: { files: { url: files.url }, plain: { url: plain.url } },
    policy: {
      rules: [
        { id: RULE, effect: 'approve', servers: ['files'], tools: ['echo'], userConfirmation: true },
        { id: 'plain-needs-approver', effect: 'approve', servers: ['plain'] },
      ],
    },
  };
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  files = await startRecordingUpstream({ name: 'files' });
  plain = await startRecordingUpstream({ name: 'plain' });
  w = await startTestWarden(config(true));
  bare = await startTestWarden(config(false));
});

afterAll(async () => {
  await w?.close();
  await bare?.close();
  await files?.close();
  await plain?.close();
  await issuer?.close();
});

const calls = (up: RecordingUpstream = files): number =>
  up.requests.filter((r) => r.body.includes('"tools/call"')).length;

async function bearer(sub: string, warden: TestWarden, endpoint = EP): Promise<string> {
  return `Bearer ${await issuer.sign({ sub, aud: `${warden.url}${endpoint}` })}`;
}

type Handler = (
  req: ElicitRequest,
  extra: { requestId: string | number; signal: AbortSignal },
) => Promise<ElicitResult>;

/** An official SDK client, with the elicitation capability and handler when `onElicit` is given. */
async function sdkClient(
  sub: string,
  onElicit?: Handler,
  warden: TestWarden = w,
  endpoint = EP,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${warden.url}${endpoint}`), {
    requestInit: { headers: { authorization: await bearer(sub, warden, endpoint) } },
  });
  const client = new Client(
    { name: 'h2-elicitation-test', version: '1.0.0' },
    { capabilities: onElicit === undefined ? {} : { elicitation: {} } },
  );
  if (onElicit !== undefined)
    client.setRequestHandler(ElicitRequestSchema, (req, extra) =>
      onElicit(req, { requestId: extra.requestId, signal: extra.signal }),
    );
  await client.connect(transport);
  opened.push(client);
  return { client, transport };
}

const opened: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((c) => c.close()));
});

/**
 * The Warden code of a refused SDK call: from the JSON-RPC error on the call's stream (after a
 * question went out on it), or from the 403 body of a call refused before any stream started.
 */
async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McpError) return (err.data as { code?: string } | undefined)?.code;
    if (err instanceof StreamableHTTPError && err.code === 403)
      return /"code":"(ERR_[A-Z_]+)"/.exec(err.message)?.[1];
    throw err;
  }
  throw new Error('the call was not refused');
}

/** Resolves once `check` holds (polling every 10 ms, at most 5 s). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('condition never held');
}

function policyDecision(warden: TestWarden, tool = 'echo'): string | undefined {
  const rec = warden.audit().findLast((r) => r.method === 'tools/call' && r.tool === tool);
  return rec?.decisions.find((d) => d.stage === 'policy')?.rule;
}

describe('user confirmation through elicitation, 2025 era (official SDK client)', () => {
  it('[policy:approval] accept with the box ticked: the client is asked with the redacted call, then the call is forwarded', async () => {
    const asked: ElicitRequest[] = [];
    let askedId: string | number | undefined;
    const before = calls();
    const { client } = await sdkClient('uma', (req, extra) => {
      asked.push(req);
      askedId = extra.requestId;
      // Nothing reached the upstream while the user is being asked.
      expect(calls()).toBe(before);
      return Promise.resolve({ action: 'accept', content: { approve: true } });
    });
    const res = await client.callTool({
      name: 'echo',
      arguments: { text: 'go ahead', apiToken: 'sk-hunter2' },
    });
    expect(JSON.stringify(res.content)).toContain('go ahead');
    expect(calls()).toBe(before + 1);
    expect(asked).toHaveLength(1);
    const params = asked[0]?.params as { message: string; requestedSchema: Record<string, unknown> };
    expect(params.message).toContain(`"${RULE}"`);
    expect(params.message).toContain('Server: files');
    expect(params.message).toContain('Tool: echo');
    expect(params.message).toContain('"text": "go ahead"');
    expect(params.message).toContain('"apiToken": "[redacted]"');
    expect(params.message).not.toContain('hunter2');
    expect(params.requestedSchema).toMatchObject({
      type: 'object',
      properties: { approve: { type: 'boolean' } },
      required: ['approve'],
    });
    // Warden's own id: unguessable, and not of the w<n> form used for relayed server requests.
    expect(String(askedId)).toMatch(/^warden-[A-Za-z0-9_-]{32}$/);
    expect(policyDecision(w)).toBe(`${RULE} (confirmed by user)`);
  });

  it('[policy:approval] decline, cancel, an unticked box and a malformed answer: ERR_APPROVAL_DENIED and nothing forwarded', async () => {
    const answers: ElicitResult[] = [
      { action: 'decline' },
      { action: 'cancel' },
      { action: 'accept', content: { approve: false } },
      { action: 'accept', content: { approve: 'yes' } },
      { action: 'accept' },
    ];
    for (const answer of answers) {
      const { client } = await sdkClient('uma', () => Promise.resolve(answer));
      const before = calls();
      expect(await refusal(client.callTool({ name: 'echo', arguments: { text: 'no' } }))).toBe(
        'ERR_APPROVAL_DENIED',
      );
      expect(calls()).toBe(before);
      expect(policyDecision(w)).toBe(`${RULE} (denied by user)`);
    }
  });

  it('[policy:approval] a client that never answers: ERR_APPROVAL_EXPIRED after the timeout, the question is cancelled, nothing forwarded', async () => {
    let cancelled = false;
    const { client } = await sdkClient(
      'uma',
      (_req, extra) =>
        new Promise((_resolve, reject) => {
          extra.signal.addEventListener('abort', () => {
            cancelled = true;
            reject(new Error('cancelled by Warden'));
          });
        }),
    );
    const before = calls();
    const t0 = Date.now();
    expect(await refusal(client.callTool({ name: 'echo', arguments: { text: 'late' } }))).toBe(
      'ERR_APPROVAL_EXPIRED',
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(cancelled).toBe(true);
    expect(calls()).toBe(before);
    expect(policyDecision(w)).toBe(`${RULE} (user confirmation expired)`);
  });

  it('[policy:approval] a client without the elicitation capability is not asked: the call waits in the approval queue', async () => {
    const { client } = await sdkClient('uma');
    const before = calls();
    const pending = refusal(client.callTool({ name: 'echo', arguments: { text: 'queue me' } }));
    await until(() => w.pipeline.approvals.size === 1);
    const held = w.pipeline.approvals.list()[0];
    expect(held).toMatchObject({ server: 'files', tool: 'echo', rule: RULE });
    const approver = `Bearer ${await issuer.sign({ sub: 'ann', aud: `${w.url}/admin`, roles: ['approver'] })}`;
    const deny = await fetch(`${w.admin?.url ?? ''}/approvals/${held?.id ?? ''}/deny`, {
      method: 'POST',
      headers: { authorization: approver },
    });
    expect(deny.status).toBe(200);
    expect(await pending).toBe('ERR_APPROVAL_DENIED');
    expect(calls()).toBe(before);
  });

  it('[policy:approval] without the admin API, a client without the capability gets ERR_POLICY_APPROVAL_REQUIRED; one with it is asked', async () => {
    const before = calls();
    const { client } = await sdkClient('uma', undefined, bare);
    expect(await refusal(client.callTool({ name: 'echo', arguments: { text: 'x' } }))).toBe(
      'ERR_POLICY_APPROVAL_REQUIRED',
    );
    expect(calls()).toBe(before);
    const yes = await sdkClient(
      'uma',
      () => Promise.resolve({ action: 'accept', content: { approve: true } }),
      bare,
    );
    const res = await yes.client.callTool({ name: 'echo', arguments: { text: 'confirmed without admin' } });
    expect(JSON.stringify(res.content)).toContain('confirmed without admin');
    expect(calls()).toBe(before + 1);
  });

  it('[policy:approval] an approve rule without userConfirmation never asks the user, even a client that could answer', async () => {
    let asked = 0;
    const { client } = await sdkClient(
      'uma',
      () => {
        asked++;
        return Promise.resolve({ action: 'accept', content: { approve: true } });
      },
      w,
      PLAIN,
    );
    const before = calls(plain);
    const pending = refusal(client.callTool({ name: 'echo', arguments: { text: 'needs a person' } }));
    await until(() => w.pipeline.approvals.size === 1);
    expect(w.pipeline.approvals.list()[0]?.rule).toBe('plain-needs-approver');
    w.pipeline.approvals.close();
    expect(await pending).toBe('ERR_APPROVAL_DENIED');
    expect(asked).toBe(0);
    expect(calls(plain)).toBe(before);
  });

  it('[policy:approval] a forged answer with the observed id, from another principal, another session or with a wrong id, does not release the call', async () => {
    let id: string | number | undefined;
    let answer: ((r: ElicitResult) => void) | undefined;
    const victim = await sdkClient('uma', (_req, extra) => {
      id = extra.requestId;
      return new Promise((resolve) => {
        answer = resolve;
      });
    });
    const before = calls();
    const pending = refusal(victim.client.callTool({ name: 'echo', arguments: { text: 'victim' } }));
    await until(() => id !== undefined);
    const forged = { jsonrpc: '2.0', id, result: { action: 'accept', content: { approve: true } } };
    const victimSid = victim.transport.sessionId ?? '';

    // Another principal: its own session does not know the id; the victim's session is unknown to it.
    const mallory = { authorization: await bearer('mallory', w) };
    const mallorySid = await openSession(w.url, EP, mallory);
    const own = await rpc(w.url, EP, mallorySid, forged, mallory);
    expect(own.status).toBe(400);
    expect((own.json as { error: { data: { code: string } } }).error.data.code).toBe(
      'ERR_JSONRPC_RESPONSE_NOT_ALLOWED',
    );
    const theirs = await rpc(w.url, EP, victimSid, forged, mallory);
    expect(theirs.status).toBe(404);
    expect((theirs.json as { error: { data: { code: string } } }).error.data.code).toBe(
      'ERR_SESSION_UNKNOWN',
    );

    // The same principal on another session, and the right session with a guessed id.
    const uma = { authorization: await bearer('uma', w) };
    const otherSid = await openSession(w.url, EP, uma);
    expect((await rpc(w.url, EP, otherSid, forged, uma)).status).toBe(400);
    const guessed = await rpc(
      w.url,
      EP,
      victimSid,
      { ...forged, id: 'warden-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      uma,
    );
    expect(guessed.status).toBe(400);
    expect(guessed.headers.get('content-type')).toContain('application/json');
    const relayedForm = await rpc(w.url, EP, victimSid, { ...forged, id: 'w1' }, uma);
    expect(relayedForm.status).toBe(400);

    // None of that released the call; the victim's own decline ends it, and nothing was forwarded.
    await new Promise((r) => setTimeout(r, 100));
    expect(calls()).toBe(before);
    answer?.({ action: 'decline' });
    expect(await pending).toBe('ERR_APPROVAL_DENIED');
    expect(calls()).toBe(before);
  });
});

/** The 2026-07-28 request metadata, with the client's capabilities. */
function meta(caps: Record<string, unknown>): Record<string, unknown> {
  return modernMeta({ name: 'h2-modern', version: '1' }, caps);
}

interface Reply {
  readonly status: number;
  readonly json: {
    readonly id?: unknown;
    readonly result?: Record<string, unknown>;
    readonly error?: { code: number; data?: { code?: string } };
  };
}

/** A 2026-07-28 tools/call of `echo` by `sub`. */
async function modernCall(
  sub: string,
  id: number,
  params: Record<string, unknown>,
  warden: TestWarden = w,
): Promise<Reply> {
  const r = await modernPost<Reply['json']>(`${warden.url}${EP}`, id, 'tools/call', params, {
    authorization: await bearer(sub, warden),
  });
  return { status: r.status, json: r.msg };
}

const ELICIT = { elicitation: { form: {} } };

/** First round: the call is answered with Warden's input_required question. */
async function ask(
  sub: string,
  args: Record<string, unknown>,
): Promise<{
  params: Record<string, unknown>;
  state: string;
  key: string;
  question: Record<string, unknown>;
}> {
  const params = { name: 'echo', arguments: args, _meta: meta(ELICIT) };
  const first = await modernCall(sub, 1, params);
  expect(first.status).toBe(200);
  const result = first.json.result as {
    resultType: string;
    inputRequests: Record<string, { method: string; params: Record<string, unknown> }>;
    requestState: string;
  };
  expect(result.resultType).toBe('input_required');
  const [key, question] = Object.entries(result.inputRequests)[0] ?? [];
  expect(question?.method).toBe('elicitation/create');
  return { params, state: result.requestState, key: key ?? '', question: question?.params ?? {} };
}

const YES = { action: 'accept', content: { approve: true } };

describe('user confirmation through elicitation, 2026-07-28 era (input_required)', () => {
  it('[policy:approval] the call is answered with an elicitation round; the accepted retry is forwarded once', async () => {
    const before = calls();
    const q = await ask('uma', { text: 'modern yes', password: 'pw-123' });
    expect(calls()).toBe(before);
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(String(q.question.message)).toContain('Tool: echo');
    expect(String(q.question.message)).toContain('"password": "[redacted]"');
    expect(String(q.question.message)).not.toContain('pw-123');
    const asked = w.audit().findLast((r) => r.method === 'tools/call' && r.era === 'modern');
    expect(asked?.decisions).toContainEqual(
      expect.objectContaining({ stage: 'policy', decision: 'hold', rule: `${RULE} (asking user)` }),
    );

    const retry = await modernCall('uma', 2, {
      ...q.params,
      inputResponses: { [q.key]: YES },
      requestState: q.state,
    });
    expect(retry.status).toBe(200);
    expect(retry.json.id).toBe(2);
    expect(retry.json.result?.resultType).toBe('complete');
    expect(JSON.stringify(retry.json.result)).toContain('modern yes');
    expect(calls()).toBe(before + 1);
    // Warden's requestState and the answers never reach the upstream.
    const sent = files.requests.findLast((r) => r.body.includes('"tools/call"'))?.body ?? '';
    expect(sent).not.toContain(q.state);
    expect(sent).not.toContain('inputResponses');
    expect(policyDecision(w)).toBe(`${RULE} (confirmed by user)`);

    // Single use: the same state again is refused and reaches nothing.
    const replay = await modernCall('uma', 3, {
      ...q.params,
      inputResponses: { [q.key]: YES },
      requestState: q.state,
    });
    expect(replay.status).toBe(400);
    expect(replay.json.error?.data?.code).toBe('ERR_INVALID_PARAMS');
    expect(calls()).toBe(before + 1);
  });

  it('[policy:approval] a declined or unticked answer is ERR_APPROVAL_DENIED and nothing is forwarded', async () => {
    const before = calls();
    for (const answer of [{ action: 'decline' }, { action: 'accept', content: { approve: false } }, 'yes']) {
      const q = await ask('uma', { text: 'modern no' });
      const retry = await modernCall('uma', 4, {
        ...q.params,
        inputResponses: { [q.key]: answer },
        requestState: q.state,
      });
      expect(retry.status).toBe(403);
      expect(retry.json.error?.data?.code).toBe('ERR_APPROVAL_DENIED');
    }
    // A retry that answers nothing is a refusal too.
    const q = await ask('uma', { text: 'modern silent' });
    const empty = await modernCall('uma', 5, { ...q.params, inputResponses: {}, requestState: q.state });
    expect(empty.json.error?.data?.code).toBe('ERR_APPROVAL_DENIED');
    expect(calls()).toBe(before);
  });

  it('[policy:approval] a forged, tampered or other-principal requestState is refused with ERR_INVALID_PARAMS and reaches nothing', async () => {
    const before = calls();
    const q = await ask('uma', { text: 'mine' });
    const yes = { inputResponses: { [q.key]: YES } };
    const forged = await modernCall('uma', 6, { ...q.params, ...yes, requestState: 'A'.repeat(32) });
    expect(forged.status).toBe(400);
    expect(forged.json.error?.data?.code).toBe('ERR_INVALID_PARAMS');
    const flipped = `${q.state.slice(0, -1)}${q.state.endsWith('A') ? 'B' : 'A'}`;
    expect(
      (await modernCall('uma', 7, { ...q.params, ...yes, requestState: flipped })).json.error?.data?.code,
    ).toBe('ERR_INVALID_PARAMS');
    // The same state on different arguments (a call the user was never shown).
    const swapped = await modernCall('uma', 8, {
      ...q.params,
      arguments: { text: 'rm -rf /' },
      ...yes,
      requestState: q.state,
    });
    expect(swapped.json.error?.data?.code).toBe('ERR_INVALID_PARAMS');
    // Another principal presenting the state it observed.
    const stolen = await modernCall('mallory', 9, { ...q.params, ...yes, requestState: q.state });
    expect(stolen.status).toBe(400);
    expect(stolen.json.error?.data?.code).toBe('ERR_INVALID_PARAMS');
    expect(calls()).toBe(before);
    // None of those used the state up; its owner's decline still ends the call, unforwarded.
    const own = await modernCall('uma', 10, {
      ...q.params,
      inputResponses: { [q.key]: { action: 'decline' } },
      requestState: q.state,
    });
    expect(own.json.error?.data?.code).toBe('ERR_APPROVAL_DENIED');
    expect(calls()).toBe(before);
  });

  it('[policy:approval] a retry after the approval timeout is ERR_APPROVAL_EXPIRED, audited, and reaches nothing', async () => {
    const before = calls();
    const q = await ask('uma', { text: 'too late' });
    await new Promise((r) => setTimeout(r, 2200));
    const lapse = w
      .audit()
      .findLast(
        (r) =>
          r.era === 'modern' && r.decisions.some((d) => d.rule === `${RULE} (user confirmation expired)`),
      );
    expect(lapse?.code).toBe('ERR_APPROVAL_EXPIRED');
    const late = await modernCall('uma', 11, {
      ...q.params,
      inputResponses: { [q.key]: YES },
      requestState: q.state,
    });
    expect(late.status).toBe(403);
    expect(late.json.error?.data?.code).toBe('ERR_APPROVAL_EXPIRED');
    expect(calls()).toBe(before);
  });

  it('[policy:approval] a 2026 client that declares no form-mode elicitation is not asked (no admin API: ERR_POLICY_APPROVAL_REQUIRED)', async () => {
    const before = calls();
    for (const caps of [{}, { elicitation: { url: {} } }]) {
      const r = await modernCall(
        'uma',
        12,
        { name: 'echo', arguments: { text: 'x' }, _meta: meta(caps) },
        bare,
      );
      expect(r.status).toBe(403);
      expect(r.json.error?.data?.code).toBe('ERR_POLICY_APPROVAL_REQUIRED');
    }
    expect(calls()).toBe(before);
  });
});

describe('user confirmation followed by the upstream’s own question, 2026-07-28 era', () => {
  const SCRIPTED = path.join(ROOT, 'dist/test/fixtures/servers/scripted-server.js');
  let s: TestWarden;
  beforeAll(async () => {
    s = await startTestWarden({
      servers: { s: { command: process.execPath, args: [SCRIPTED] } },
      admin: { approvalTimeoutSec: 5 },
      policy: {
        rules: [
          {
            id: 'sample-confirm',
            effect: 'approve',
            servers: ['s'],
            tools: ['sample'],
            userConfirmation: true,
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  async function call(id: number, params: Record<string, unknown>): Promise<Reply> {
    const r = await modernPost<Reply['json']>(`${s.url}/mcp/s`, id, 'tools/call', params);
    return { status: r.status, json: r.msg };
  }

  it('[policy:approval] after the user confirmed, the upstream’s sampling round is relayed and its retry is not asked again', async () => {
    const params = { name: 'sample', arguments: {}, _meta: meta({ ...ELICIT, sampling: {} }) };
    const first = await call(1, params);
    const r1 = first.json.result as {
      inputRequests: Record<string, { method: string }>;
      requestState: string;
    };
    expect(Object.keys(r1.inputRequests)).toEqual(['warden-confirm']);
    // Confirmed: the call runs upstream, which asks the client to sample — a second round.
    const second = await call(2, {
      ...params,
      inputResponses: { 'warden-confirm': YES },
      requestState: r1.requestState,
    });
    const r2 = second.json.result as {
      resultType: string;
      inputRequests: Record<string, { method: string }>;
      requestState: string;
    };
    expect(r2.resultType).toBe('input_required');
    const [key, ask] = Object.entries(r2.inputRequests)[0] ?? [];
    expect(ask?.method).toBe('sampling/createMessage');
    expect(r2.requestState).not.toBe(r1.requestState);
    const answer = { role: 'assistant', content: { type: 'text', text: 'hi-after-confirm' }, model: 'm' };
    const third = await call(3, {
      ...params,
      inputResponses: { [key ?? '']: answer },
      requestState: r2.requestState,
    });
    expect(third.json.result?.resultType).toBe('complete');
    expect(JSON.stringify(third.json.result)).toContain('hi-after-confirm');
    const rules = s
      .audit()
      .filter((r) => r.method === 'tools/call')
      .map((r) => r.decisions.find((d) => d.stage === 'policy')?.rule);
    expect(rules).toEqual([
      'sample-confirm (asking user)',
      'sample-confirm (confirmed by user)',
      'sample-confirm (continuing confirmed call)',
    ]);
  });
});
