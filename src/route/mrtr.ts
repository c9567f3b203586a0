/**
 * Multi Round-Trip Requests for 2026-07-28 clients in front of session-era upstreams. When a
 * session-era upstream, while answering a client's tools/call, prompts/get or resources/read,
 * sends Warden a server request (sampling, elicitation, roots), Warden keeps the upstream request
 * waiting and answers the client with an `input_required` result carrying that request and an
 * opaque `requestState`. The client's retry carries `inputResponses` and the same `requestState`;
 * Warden hands the answer to the waiting upstream request and goes on waiting for its result (or
 * the next server request).
 *
 * `requestState` is attacker-controlled input: here it is only a 192-bit random handle into
 * Warden's own table, bound to the principal, the endpoint, the method and a digest of the request
 * parameters, single-use, and expiring after `ttlMs`. A state that fails any check is refused and
 * nothing reaches the upstream.
 *
 * The same table carries Warden's own questions (user confirmation of a call a policy rule holds):
 * {@link MrtrBridge.ask} answers the request with an `input_required` round and
 * {@link MrtrBridge.claim} takes the retry's answer, under the same binding rules.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Canceller } from '../core/cancel.js';
import type { CancelSignal } from '../core/cancel.js';
import { WardenError } from '../core/errors.js';
import { CAPABILITY_FOR } from '../core/protocol.js';
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest, JsonRpcResponse, Params } from '../core/jsonrpc.js';
import { errorResponse, isRequest, resultResponse } from '../core/jsonrpc.js';
import type { Lease } from './upstreams.js';

/** Methods on which a 2026-07-28 server may answer `input_required`. */
export const MRTR_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

interface Asked {
  readonly key: string;
  readonly upstreamId: JsonRpcId;
  readonly method: string;
  readonly params: Params | undefined;
}

/** One upstream request kept waiting across client round trips. */
class Pending {
  readonly asked: Asked[] = [];
  private wake: (() => void) | undefined;
  private n = 0;
  timer: NodeJS.Timeout | undefined;
  /** The upstream request's answer; set right after the request is sent. */
  final: Promise<JsonRpcResponse> = Promise.resolve({ jsonrpc: '2.0', id: 0, result: {} });

  constructor(
    readonly owner: string,
    readonly bind: string,
    readonly lease: Lease,
    readonly abort: Canceller,
    private readonly capabilities: Record<string, unknown>,
  ) {}

  /** Where progress and logging of the request go: the reply path of the current round. */
  relay: ((msg: JsonRpcMessage) => void) | undefined;
  /** The progress token of the current round's client request, if it asked for progress. */
  progressToken: unknown;

  /** Receives a server→client message of the waiting request. */
  onMessage(msg: JsonRpcMessage): void {
    if (!isRequest(msg)) {
      if ('method' in msg && msg.method === 'notifications/progress') {
        // Each round is a new client request with its own token; progress follows the latest.
        if (this.progressToken === undefined) return;
        this.relay?.({ ...msg, params: { ...msg.params, progressToken: this.progressToken } });
        return;
      }
      this.relay?.(msg);
      return;
    }
    const need = CAPABILITY_FOR[msg.method];
    if (need === undefined || this.capabilities[need] === undefined) {
      void this.lease.upstream
        .respond(errorResponse(msg.id, -32601, `client does not support ${msg.method}`))
        .catch(() => undefined);
      return;
    }
    this.asked.push({ key: `r${++this.n}`, upstreamId: msg.id, method: msg.method, params: msg.params });
    this.wake?.();
  }

  /** Resolves when the upstream asked something new. */
  waitForAsk(): Promise<void> {
    if (this.asked.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }
}

/** A question Warden itself asked a client in an input_required round. */
class Question {
  timer: NodeJS.Timeout | undefined;
  /** Set when the round's time ran out; the state is then kept a while to say so. */
  lapsed = false;

  constructor(
    readonly owner: string,
    readonly bind: string,
    readonly key: string,
  ) {}
}

/** The input request key of Warden's own question in an input_required round. */
export const WARDEN_ASK_KEY = 'warden-confirm';

/** What a client retry's `requestState` names (see {@link MrtrBridge.claim}). */
export type Claim =
  | { readonly kind: 'answer'; readonly answer: unknown }
  | { readonly kind: 'expired' }
  | { readonly kind: 'continuation' };

function invalidState(): WardenError {
  return new WardenError(
    'ERR_INVALID_PARAMS',
    'requestState is unknown, expired, already used, or belongs to another request',
    { data: { field: 'requestState' } },
  );
}

function digest(method: string, params: Params | undefined): string {
  const rest: Params = { ...params };
  delete rest.inputResponses;
  delete rest.requestState;
  delete rest._meta;
  return createHash('sha256').update(method).update('\0').update(JSON.stringify(rest)).digest('base64url');
}

/** The bridge table of one Warden process. */
export class MrtrBridge {
  private readonly table = new Map<string, Pending | Question>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxPending = 10_000,
  ) {}

  /** Pending round trips (tests, metrics). */
  get size(): number {
    return this.table.size;
  }

  /**
   * Runs a fresh request: forwards it with `send` and returns its final response, or an
   * `input_required` result when the upstream asks the client something first.
   */
  async start(
    owner: string,
    req: JsonRpcRequest,
    params: Params | undefined,
    lease: Lease,
    capabilities: Record<string, unknown>,
    relay: (m: JsonRpcMessage) => void,
    signal: CancelSignal | undefined,
    send: (onMessage: (m: JsonRpcMessage) => void, signal: CancelSignal) => Promise<JsonRpcResponse>,
  ): Promise<JsonRpcResponse> {
    const abort = new Canceller();
    const pending = new Pending(owner, digest(req.method, params), lease, abort, capabilities);
    this.round(pending, req, relay);
    pending.final = send((m) => pending.onMessage(m), abort.signal);
    return this.settle(pending, req, signal);
  }

  /** Continues a request from a client retry carrying `requestState` and `inputResponses`. */
  async resume(
    owner: string,
    req: JsonRpcRequest,
    params: Params | undefined,
    relay: (m: JsonRpcMessage) => void,
    signal: CancelSignal | undefined,
  ): Promise<JsonRpcResponse> {
    const [state, p] = this.bound(owner, req, params);
    if (!(p instanceof Pending)) throw invalidState();
    this.table.delete(state);
    clearTimeout(p.timer);
    this.round(p, req, relay);
    const responses = params?.inputResponses;
    const answers =
      responses !== null && typeof responses === 'object' ? (responses as Record<string, unknown>) : {};
    const still: Asked[] = [];
    for (const a of p.asked.splice(0)) {
      const ans = answers[a.key];
      if (ans !== null && typeof ans === 'object' && !Array.isArray(ans)) {
        await p.lease.upstream.respond(resultResponse(a.upstreamId, ans as Record<string, unknown>));
      } else {
        still.push(a);
      }
    }
    // What the client did not answer is asked again, as the specification suggests.
    p.asked.push(...still);
    return this.settle(p, req, signal);
  }

  /**
   * The entry a client's `requestState` names, if it is bound to this owner (principal and
   * endpoint), this method and these parameters; anything else is refused.
   */
  private bound(
    owner: string,
    req: JsonRpcRequest,
    params: Params | undefined,
  ): [string, Pending | Question] {
    const state = params?.requestState;
    const e = typeof state === 'string' ? this.table.get(state) : undefined;
    if (e === undefined || e.owner !== owner || e.bind !== digest(req.method, params)) throw invalidState();
    return [state as string, e];
  }

  /**
   * Answers a request with Warden's own input_required round: one question (under
   * {@link WARDEN_ASK_KEY}) and a `requestState` bound like any other. When no retry came within
   * `ttlMs`, `onLapse` runs and the state is kept another `ttlMs` so a late retry learns it expired.
   */
  ask(
    owner: string,
    req: JsonRpcRequest,
    params: Params | undefined,
    question: { readonly method: string; readonly params: Readonly<Record<string, unknown>> },
    ttlMs: number,
    onLapse?: () => void,
  ): JsonRpcResponse {
    if (this.table.size >= this.maxPending)
      throw new WardenError('ERR_SESSION_LIMIT', 'too many requests waiting for client input');
    const q = new Question(owner, digest(req.method, params), WARDEN_ASK_KEY);
    const token = randomBytes(24).toString('base64url');
    this.table.set(token, q);
    q.timer = setTimeout(() => {
      if (this.table.get(token) !== q) return;
      q.lapsed = true;
      onLapse?.();
      q.timer = setTimeout(() => {
        if (this.table.get(token) === q) this.table.delete(token);
      }, ttlMs);
      q.timer.unref();
    }, ttlMs);
    q.timer.unref();
    return resultResponse(req.id, {
      resultType: 'input_required',
      inputRequests: { [q.key]: { method: question.method, params: question.params } },
      requestState: token,
    });
  }

  /**
   * Reads a retry's `requestState`: the client's answer to Warden's own question, or that question
   * having expired (either way the state is used up), or the continuation of an upstream request
   * (left in place for {@link resume}). Anything else throws ERR_INVALID_PARAMS.
   */
  claim(owner: string, req: JsonRpcRequest, params: Params | undefined): Claim {
    const [state, e] = this.bound(owner, req, params);
    if (e instanceof Pending) return { kind: 'continuation' };
    this.table.delete(state);
    clearTimeout(e.timer);
    if (e.lapsed) return { kind: 'expired' };
    const responses = params?.inputResponses;
    const answer =
      responses !== null && typeof responses === 'object' && !Array.isArray(responses)
        ? (responses as Record<string, unknown>)[e.key]
        : undefined;
    return { kind: 'answer', answer };
  }

  /**
   * True when the request's `requestState` names an upstream request of this owner still waiting
   * for the client's input (a continuation); reads the table only, never uses a state up.
   */
  continues(owner: string, req: JsonRpcRequest, params: Params | undefined): boolean {
    const state = params?.requestState;
    const e = typeof state === 'string' ? this.table.get(state) : undefined;
    return e instanceof Pending && e.owner === owner && e.bind === digest(req.method, params);
  }

  /** Points the pending request's progress and logging at this round's client request. */
  private round(p: Pending, req: JsonRpcRequest, relay: (m: JsonRpcMessage) => void): void {
    p.relay = relay;
    const meta = req.params?._meta;
    p.progressToken =
      meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>).progressToken : undefined;
  }

  private async settle(
    p: Pending,
    req: JsonRpcRequest,
    signal: CancelSignal | undefined,
  ): Promise<JsonRpcResponse> {
    // The client closing this round's stream cancels the whole upstream request (2026-07-28).
    const onAbort = (): void => p.abort.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) p.abort.abort();
    let outcome: { done: JsonRpcResponse | undefined };
    try {
      outcome = await Promise.race([
        p.final.then((r) => ({ done: r })),
        p.waitForAsk().then(() => ({ done: undefined })),
      ]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    p.relay = undefined;
    if (outcome.done !== undefined) return { ...outcome.done, id: req.id };
    if (this.table.size >= this.maxPending) {
      p.abort.abort();
      throw new WardenError('ERR_SESSION_LIMIT', 'too many requests waiting for client input');
    }
    const token = randomBytes(24).toString('base64url');
    this.table.set(token, p);
    p.timer = setTimeout(() => {
      if (this.table.get(token) === p) {
        this.table.delete(token);
        p.abort.abort();
      }
    }, this.ttlMs);
    p.timer.unref();
    p.final.catch(() => undefined);
    const inputRequests: Record<string, unknown> = {};
    for (const a of p.asked)
      inputRequests[a.key] =
        a.params === undefined ? { method: a.method } : { method: a.method, params: a.params };
    return resultResponse(req.id, { resultType: 'input_required', inputRequests, requestState: token });
  }

  /** Cancels every waiting request (shutdown). */
  close(): void {
    for (const p of this.table.values()) {
      clearTimeout(p.timer);
      if (p instanceof Pending) p.abort.abort();
    }
    this.table.clear();
  }
}
