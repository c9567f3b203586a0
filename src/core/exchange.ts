/**
 * The request context that flows through the pipeline (one "exchange" = one client message and
 * what came of it), the stage interface, and the shape of the audit record written per exchange.
 */
import type { JsonRpcMessage, JsonRpcRequest } from './jsonrpc.js';
import type { Era } from './protocol.js';

/**
 * Who is calling, derived only from a validated token (DESIGN §3). On an unauthenticated loopback
 * deployment and on the stdio front every caller is the anonymous local principal.
 */
export interface Principal {
  /** Stable key used as the session-key prefix: `<issuer>|<subject>`. */
  readonly key: string;
  readonly issuer: string;
  readonly subject: string;
  /** The OAuth client the token was issued to (`azp` or `client_id`). */
  readonly clientId?: string;
  /** Tenant (`tid`, Entra ID profile). */
  readonly tenant?: string;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly groups?: readonly string[];
  /** Claims the operator chose to carry (`auth.claims`), for policy and audit. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Seconds since the epoch when the token that named this principal expires. */
  readonly expiresAt?: number;
}

/** The anonymous principal of an unauthenticated loopback deployment. */
export const ANONYMOUS: Principal = Object.freeze({
  key: 'local|anonymous',
  issuer: 'local',
  subject: 'anonymous',
  scopes: [],
  roles: [],
});

/** HTTP facts about the request that carried the message (absent on stdio). */
export interface HttpFacts {
  readonly method: string;
  readonly path: string;
  /** The raw query string after `?`, when there was one. */
  readonly query?: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string;
}

/** What one stage decided, for the audit record. */
export interface StageDecision {
  readonly stage: string;
  /** `hold`: the call waits for a decision made elsewhere (a user asked to confirm it). */
  readonly decision: 'allow' | 'deny' | 'modify' | 'skip' | 'error' | 'hold';
  /** The rule or check that made the decision. */
  readonly rule?: string;
  /** Error code on deny/error. */
  readonly code?: string;
  /** Microseconds the stage took. */
  readonly us?: number;
}

/** One audit record per exchange (JSON line). Never holds tokens, secrets or raw arguments. */
export interface AuditRecord {
  /** ISO time the exchange started. */
  time: string;
  /** Exchange id (random). */
  exchange: string;
  transport: 'http' | 'stdio';
  endpoint: string;
  era: Era | 'unknown';
  protocolVersion?: string;
  principal: string;
  client?: string;
  session?: string;
  server?: string;
  direction: 'client' | 'server';
  /** `startup`: an event of Warden's start, not of a client (e.g. a sandbox fail-open). */
  kind: 'request' | 'notification' | 'response' | 'http' | 'startup' | 'integrity';
  method?: string;
  tool?: string;
  /** SHA-256 (hex, first 32 chars) of the canonical arguments; never the arguments themselves. */
  argsDigest?: string;
  decisions: StageDecision[];
  outcome: 'ok' | 'denied' | 'error' | 'cancelled';
  code?: string;
  status?: number;
  /** Total latency in microseconds. */
  us?: number;
  /** Microseconds spent waiting for the upstream. */
  upstreamUs?: number;
  /**
   * Content-inspection findings (rule ids, kinds, masked evidence; never the matched text of a
   * secret or personal datum), with where they were found and what was done.
   */
  findings?: AuditFinding[];
  /** Integrity records: a definition pinned on first use or changed (with the diff of its canonical JSON). */
  integrity?: {
    readonly event: 'pinned' | 'change' | 'scan' | 'full';
    /** `tool`, `prompt`, `resourceTemplate` or `server` (the server's identity). */
    readonly kind: string;
    readonly names?: readonly string[];
    readonly name?: string;
    readonly change?: string;
    readonly id?: string;
    readonly oldHash?: string;
    readonly newHash?: string;
    readonly diff?: string;
    /** Definition scanner findings as `severity rule path`. */
    readonly findings?: readonly string[];
  };
  /** Admin API records: the approval, elevation or pin change acted on (id, and for elevations the role and owner). */
  target?: {
    readonly kind: 'approval' | 'elevation' | 'pin';
    readonly id: string;
    readonly role?: string;
    readonly owner?: string;
  };
}

/** One content-inspection finding as the audit record keeps it. */
export interface AuditFinding {
  readonly rule: string;
  readonly kind: string;
  readonly severity: string;
  /** `arguments` (client→server) or `results` (server→client). */
  readonly direction: 'arguments' | 'results';
  /** What Warden did about it. */
  readonly action: 'block' | 'redact' | 'mark' | 'log';
  /** Masked evidence, at most 120 characters. */
  readonly evidence: string;
  readonly score?: number;
  /** Where in the message the text was, e.g. `content[0].text`. */
  readonly path?: string;
}

/** The context of one exchange as it moves through the stages. */
export interface Exchange {
  readonly id: string;
  /** process.hrtime.bigint() at start. */
  readonly started: bigint;
  readonly transport: 'http' | 'stdio';
  /** The endpoint path (`/mcp` or `/mcp/<server>`; `stdio` for the stdio front). */
  readonly endpoint: string;
  /** The configured server this endpoint fronts, or undefined for the aggregate endpoint. */
  readonly endpointServer: string | undefined;
  readonly http: HttpFacts | undefined;
  message: JsonRpcMessage;
  era: Era;
  protocolVersion: string | undefined;
  principal: Principal;
  /**
   * The caller's validated access token, kept only for RFC 8693 token exchange with an upstream's
   * authorization server. Never logged, audited or forwarded.
   */
  subjectToken: string | undefined;
  /** Warden session id (legacy era), once the session stage resolved it. */
  sessionId: string | undefined;
  /** The session the session stage resolved (the pipeline knows its concrete type). */
  session: SessionRef | undefined;
  readonly audit: AuditRecord;
}

/** The facts an exchange starts from; everything not given starts empty (see {@link startExchange}). */
export interface ExchangeStart {
  readonly id: string;
  readonly transport: 'http' | 'stdio';
  readonly endpoint: string;
  readonly endpointServer?: string | undefined;
  readonly http?: HttpFacts | undefined;
  readonly message: JsonRpcMessage;
  /** Default: anonymous. */
  readonly principal?: Principal;
  /** Default: `legacy`. */
  readonly era?: Era;
  readonly protocolVersion?: string | undefined;
  readonly sessionId?: string | undefined;
  readonly session?: SessionRef | undefined;
  /** Default: now. */
  readonly started?: bigint;
  /** The audit record's time; default now. */
  readonly time?: string;
  /** The audit record's kind; default `request`. */
  readonly kind?: AuditRecord['kind'];
}

/**
 * A new exchange and its audit record: no subject token, no decisions, outcome `ok`; the record's
 * era stays `unknown` and its principal is the exchange's until the pipeline finishes it.
 */
export function startExchange(s: ExchangeStart): Exchange {
  const principal = s.principal ?? ANONYMOUS;
  return {
    id: s.id,
    started: s.started ?? process.hrtime.bigint(),
    transport: s.transport,
    endpoint: s.endpoint,
    endpointServer: s.endpointServer,
    http: s.http,
    message: s.message,
    era: s.era ?? 'legacy',
    protocolVersion: s.protocolVersion,
    principal,
    subjectToken: undefined,
    sessionId: s.sessionId,
    session: s.session,
    audit: {
      time: s.time ?? new Date().toISOString(),
      exchange: s.id,
      transport: s.transport,
      endpoint: s.endpoint,
      era: 'unknown',
      principal: principal.key,
      direction: 'client',
      kind: s.kind ?? 'request',
      decisions: [],
      outcome: 'ok',
    },
  };
}

/** What the core knows of a session: its id and owner. */
export interface SessionRef {
  readonly id: string | undefined;
  readonly principal: { readonly key: string };
  readonly endpoint: string;
}

/** A stage's request phase: returns nothing to continue, or throws a WardenError to deny. */
export type RequestPhase = (ex: Exchange) => void | Promise<void>;

/** Where a server→client message comes from, for response stages. */
export interface ResponseContext {
  readonly session: SessionRef | undefined;
  /** The server that sent it; '' for a final answer merged from several servers (aggregate lists). */
  readonly server: string;
  /**
   * Set for the final answer to a client request: the request it answers (with the client's own
   * names) and that request's exchange, so a stage can record its decisions on the audit record.
   * Unset for messages on the way (notifications, server→client requests).
   */
  readonly request?: JsonRpcRequest;
  readonly exchange?: Exchange;
}

/**
 * A stage's response phase: may rewrite a server→client message before delivery, return undefined
 * to withhold it, or throw a WardenError to answer the request with that error instead. It may
 * return a promise (an external detector); the pipeline keeps the order of a stream's messages
 * and stays synchronous while every stage answers synchronously.
 */
export type ResponsePhase = (
  ctx: ResponseContext,
  msg: JsonRpcMessage,
) => JsonRpcMessage | undefined | Promise<JsonRpcMessage | undefined>;

/** A pipeline stage, built once from compiled config by its factory. */
export interface Stage {
  readonly name: string;
  readonly request?: RequestPhase;
  readonly response?: ResponsePhase;
}

/** Records a stage decision on the exchange's audit record. */
export function decide(ex: Exchange, d: StageDecision): void {
  ex.audit.decisions.push(d);
}
