/**
 * Warden's closed set of coded errors. Every refusal Warden makes carries one of these codes; the
 * table below is the single source for its HTTP status, JSON-RPC error code, meaning and operator
 * fix, and `docs/errors.md` is generated from it (a test fails when the two drift).
 */

/** JSON-RPC and MCP error codes Warden emits. */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** MCP 2026-07-28: headers disagree with the body. */
  headerMismatch: -32020,
  /** MCP 2026-07-28: unsupported protocol version. */
  unsupportedProtocolVersion: -32022,
  /** Implementation-defined server errors (JSON-RPC reserves -32000..-32099; MCP keeps -32000..-32019 legacy). */
  serverError: -32000,
  /** Warden's own application codes, outside the JSON-RPC reserved range as the 2026-07-28 spec asks. */
  wardenDenied: -31001,
  wardenUpstream: -31002,
  wardenLimit: -31003,
} as const;

/** One row of the error table. */
export interface ErrorSpec {
  /** HTTP status when the error ends an HTTP exchange. */
  readonly status: number;
  /** JSON-RPC error code placed in the error response. */
  readonly rpc: number;
  /** What happened, for the docs. */
  readonly meaning: string;
  /** What an operator (or client author) can do about it. */
  readonly fix: string;
}

/** Every error code Warden can produce. */
export const ERRORS = {
  ERR_TRANSPORT_ORIGIN: {
    status: 403,
    rpc: RPC.invalidRequest,
    meaning: 'The request carried an Origin header that is not in the allowlist (DNS-rebinding defence).',
    fix: 'Add the origin to `http.allowedOrigins` if the browser page is trusted.',
  },
  ERR_TRANSPORT_HOST: {
    status: 403,
    rpc: RPC.invalidRequest,
    meaning: 'The Host header names a host outside the allowlist (DNS-rebinding defence).',
    fix: 'Add the host to `http.allowedHosts`, or reach Warden through a listed name.',
  },
  ERR_TRANSPORT_BODY_TOO_LARGE: {
    status: 413,
    rpc: RPC.invalidRequest,
    meaning: 'The request body is larger than `limits.maxRequestBytes`; it was refused before parsing.',
    fix: 'Send a smaller message or raise `limits.maxRequestBytes`.',
  },
  ERR_TRANSPORT_ACCEPT: {
    status: 406,
    rpc: RPC.invalidRequest,
    meaning:
      'The Accept header does not list both application/json and text/event-stream (POST) or text/event-stream (GET).',
    fix: 'Send `Accept: application/json, text/event-stream`.',
  },
  ERR_TRANSPORT_CONTENT_TYPE: {
    status: 415,
    rpc: RPC.invalidRequest,
    meaning: 'The request body is not declared as application/json.',
    fix: 'Send `Content-Type: application/json`.',
  },
  ERR_TRANSPORT_BATCH: {
    status: 400,
    rpc: RPC.invalidRequest,
    meaning:
      'The body is a JSON array (a JSON-RPC batch); MCP 2025-06-18 and later carry one message per POST.',
    fix: 'Send each message in its own POST.',
  },
  ERR_TRANSPORT_PROTOCOL_VERSION: {
    status: 400,
    rpc: RPC.unsupportedProtocolVersion,
    meaning: 'The MCP-Protocol-Version header (or the version in the body) is malformed or not supported.',
    fix: 'Use one of the versions listed in the error data (`supported`).',
  },
  ERR_TRANSPORT_HEADER_MISMATCH: {
    status: 400,
    rpc: RPC.headerMismatch,
    meaning:
      'A 2026-07-28 request header (MCP-Protocol-Version, Mcp-Method, Mcp-Name) is missing, malformed or disagrees with the body.',
    fix: 'Mirror the body into the headers exactly as the 2026-07-28 Streamable HTTP binding says.',
  },
  ERR_TRANSPORT_METHOD_NOT_ALLOWED: {
    status: 405,
    rpc: RPC.invalidRequest,
    meaning: 'The HTTP method is not served on this path (for example GET or DELETE in the sessionless era).',
    fix: 'Use POST for messages; GET and DELETE apply to 2025-era sessions only.',
  },
  ERR_TRANSPORT_NOT_FOUND: {
    status: 404,
    rpc: RPC.invalidRequest,
    meaning: 'No MCP endpoint is served at this path.',
    fix: 'Use `/mcp` or `/mcp/<server>` with a configured server name.',
  },
  ERR_TRANSPORT_STREAM_CONFLICT: {
    status: 409,
    rpc: RPC.invalidRequest,
    meaning: 'The session already has an open standalone GET stream; only one is kept per session.',
    fix: 'Close the other stream first, or resume it with Last-Event-ID.',
  },
  ERR_TRANSPORT_RESUME_UNKNOWN: {
    status: 404,
    rpc: RPC.invalidRequest,
    meaning: 'Last-Event-ID names no event this session still holds for replay.',
    fix: 'Reconnect without Last-Event-ID; events older than the replay window are gone.',
  },
  ERR_JSONRPC_PARSE: {
    status: 400,
    rpc: RPC.parseError,
    meaning: 'The body is not valid JSON.',
    fix: 'Send a well-formed JSON-RPC 2.0 message.',
  },
  ERR_JSONRPC_INVALID: {
    status: 400,
    rpc: RPC.invalidRequest,
    meaning:
      'The body is JSON but not a valid JSON-RPC 2.0 message (wrong `jsonrpc`, id, method or params shape).',
    fix: 'Send a well-formed JSON-RPC 2.0 message.',
  },
  ERR_JSONRPC_RESPONSE_NOT_ALLOWED: {
    status: 400,
    rpc: RPC.invalidRequest,
    meaning:
      'A JSON-RPC response was sent where none is expected (no server request with that id is pending, or the era forbids client responses).',
    fix: 'Only answer requests that Warden sent to this client.',
  },
  ERR_METHOD_NOT_FOUND: {
    status: 404,
    rpc: RPC.methodNotFound,
    meaning: 'The method is not offered by this endpoint.',
    fix: 'Check the server capabilities returned at initialize or server/discover.',
  },
  ERR_INVALID_PARAMS: {
    status: 400,
    rpc: RPC.invalidParams,
    meaning: 'The request parameters are missing or malformed (for example an unknown tool name).',
    fix: 'List the tools, prompts or resources again and use a name from the list.',
  },
  ERR_AUTHN_TOKEN_INVALID: {
    status: 401,
    rpc: RPC.invalidRequest,
    meaning:
      'The access token was refused: malformed, oversized, a disallowed algorithm or header, a bad signature, a foreign issuer, or bad claims (`data.reason` says which).',
    fix: 'Obtain a new token from an allowed issuer for this endpoint.',
  },
  ERR_AUTHN_TOKEN_EXPIRED: {
    status: 401,
    rpc: RPC.invalidRequest,
    meaning: 'The access token has expired or is older than the maximum token age.',
    fix: 'Obtain a fresh token.',
  },
  ERR_AUTHN_AUDIENCE: {
    status: 401,
    rpc: RPC.invalidRequest,
    meaning:
      "The access token was not issued for this endpoint: its audience does not name this endpoint's resource URI (RFC 8707).",
    fix: "Request the token with `resource` set to this endpoint's URL.",
  },
  ERR_AUTHN_TOKEN_MISSING: {
    status: 401,
    rpc: RPC.invalidRequest,
    meaning:
      'No bearer token was sent in the Authorization header. The challenge names the protected-resource metadata to discover the authorization server from.',
    fix: 'Obtain a token for this endpoint (see `WWW-Authenticate`) and send `Authorization: Bearer <token>`.',
  },
  ERR_AUTHN_QUERY_TOKEN: {
    status: 400,
    rpc: RPC.invalidRequest,
    meaning:
      'The request carried an access token in the URL query (`access_token`), which Warden never accepts (OAuth 2.1, RFC 6750 §2.3).',
    fix: 'Send the token in the Authorization header only, and treat the exposed token as leaked.',
  },
  ERR_AUTHN_TOKEN_REPLAYED: {
    status: 401,
    rpc: RPC.invalidRequest,
    meaning: "The token's `jti` was already used and replay protection (`auth.replay`) is on.",
    fix: 'Send a fresh one-time token for every request, or turn replay protection off for reusable tokens.',
  },
  ERR_AUTHN_INACTIVE: {
    status: 401,
    rpc: RPC.invalidRequest,
    meaning: 'The introspection endpoint reported the opaque token as not active (RFC 7662 `active: false`).',
    fix: 'Obtain a new token.',
  },
  ERR_AUTHN_INSUFFICIENT_SCOPE: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      'The token is valid but lacks a scope this method, server or tool needs (`auth.stepUp`); the challenge lists the scopes to request.',
    fix: 'Request a new token with the scopes named in `WWW-Authenticate`.',
  },
  ERR_AUTHN_UNAVAILABLE: {
    status: 503,
    rpc: RPC.serverError,
    meaning:
      'The token could not be checked: the key set, discovery document or introspection endpoint could not be reached or answered badly. Warden fails closed.',
    fix: 'Check the issuer, `auth.jwksUri` or `auth.introspection.endpoint` and the network path to it; Warden logs the cause.',
  },
  ERR_UPSTREAM_CREDENTIAL: {
    status: 502,
    rpc: RPC.wardenUpstream,
    meaning:
      'Warden could not obtain its own credential for the upstream (client credentials or token exchange failed); the request was not sent.',
    fix: "Check the server's `auth` settings, its client secret and the token endpoint; Warden logs the cause.",
  },
  ERR_UPSTREAM_TLS_PIN: {
    status: 502,
    rpc: RPC.wardenUpstream,
    meaning:
      "The upstream's TLS certificate key does not match the configured SPKI pin; the connection was refused.",
    fix: 'If the server rotated its key, add the new pin to `tls.pinSha256`; otherwise treat it as an interception attempt.',
  },
  ERR_SESSION_MISSING: {
    status: 400,
    rpc: RPC.invalidRequest,
    meaning: 'A 2025-era request other than initialize arrived without Mcp-Session-Id.',
    fix: 'Send initialize first and echo the Mcp-Session-Id it returned on every later request.',
  },
  ERR_POLICY_DENIED: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      'The policy denied this call, prompt or resource (a deny rule matched, or no rule allowed it: `default-deny`); `data.rule` names the deciding rule.',
    fix: 'Run `warden policy explain` for the principal and tool, then add or change a rule in `policy.rules` if the call should be allowed.',
  },
  ERR_POLICY_APPROVAL_REQUIRED: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      'A policy rule requires human approval for this call, but nobody can be asked: the admin API (and so the approval queue) is off, and the rule does not allow user confirmation or the client declared no form-mode elicitation; the call was refused.',
    fix: 'Turn on the admin API (`admin.enabled`) so approvers can release held calls, set `userConfirmation: true` on the rule for clients that support elicitation, or change the rule effect to `allow` or `deny`.',
  },
  ERR_SESSION_UNKNOWN: {
    status: 404,
    rpc: RPC.invalidRequest,
    meaning: 'The session id is unknown, expired, deleted or belongs to someone else.',
    fix: 'Start a new session with initialize.',
  },
  ERR_SESSION_LIMIT: {
    status: 429,
    rpc: RPC.wardenLimit,
    meaning: 'The cap on live sessions (in total or for this principal) is reached.',
    fix: 'Close unused sessions (DELETE) or raise `sessions.maxSessions` / `sessions.maxPerPrincipal`.',
  },
  ERR_LIMIT_RATE: {
    status: 429,
    rpc: RPC.wardenLimit,
    meaning:
      'A rate limit (`limits.rate.global`, `perServer`, `perTool` or `perPrincipal`) is spent for the current window; the request was not forwarded. `Retry-After` gives the seconds until the window ends; `data.limit` names the limit and `data.retryAfterMs` the wait.',
    fix: 'Retry after the given time, or raise the named limit in `limits.rate`.',
  },
  ERR_LIMIT_CONCURRENCY: {
    status: 429,
    rpc: RPC.wardenLimit,
    meaning:
      'Too many requests of this principal (`limits.concurrency.perPrincipal`) or to this server (`perServer`) are in flight; the request was not forwarded. `data.limit` names the cap.',
    fix: 'Wait for earlier calls to finish (`Retry-After` suggests 1 s), or raise the cap in `limits.concurrency`.',
  },
  ERR_LIMIT_BUDGET: {
    status: 429,
    rpc: RPC.wardenLimit,
    meaning:
      "The principal's daily tool-call budget (`limits.dailyBudget.perPrincipal`) is spent; the call was not forwarded. `Retry-After` gives the seconds until the budget resets at `limits.dailyBudget.resetHourUtc`.",
    fix: 'Wait for the daily reset, or raise `limits.dailyBudget.perPrincipal`.',
  },
  ERR_LIMIT_UNAVAILABLE: {
    status: 503,
    rpc: RPC.serverError,
    meaning:
      'The shared limit store (`limits.store: redis`) could not answer in time (down, unreachable, timed out), so the limits could not be checked; the request was not forwarded. Warden fails closed unless `limits.failOpen` is true.',
    fix: 'Check Redis and the network path to it (`redis.url`); Warden logs the cause. Retry shortly: the request was not run.',
  },
  ERR_SESSION_NOT_INITIALIZED: {
    status: 400,
    rpc: RPC.invalidRequest,
    meaning: 'A request arrived on a stdio connection before initialize completed.',
    fix: 'Send initialize and notifications/initialized first.',
  },
  ERR_UPSTREAM_UNAVAILABLE: {
    status: 502,
    rpc: RPC.wardenUpstream,
    meaning: 'The upstream MCP server could not be reached or refused the connection.',
    fix: 'Check the server URL or command and the server logs; Warden logs the cause.',
  },
  ERR_UPSTREAM_TIMEOUT: {
    status: 504,
    rpc: RPC.wardenUpstream,
    meaning: 'The upstream did not answer within its request timeout.',
    fix: 'Raise `servers.<name>.timeouts.requestMs` or investigate the slow server.',
  },
  ERR_UPSTREAM_CRASHED: {
    status: 502,
    rpc: RPC.wardenUpstream,
    meaning:
      'The upstream stdio process exited while requests were waiting; the next session gets a new process.',
    fix: 'Read the server stderr in the Warden log.',
  },
  ERR_UPSTREAM_PROTOCOL: {
    status: 502,
    rpc: RPC.wardenUpstream,
    meaning: 'The upstream sent something that is not valid MCP (bad JSON, wrong content type, bad framing).',
    fix: 'Fix or update the upstream server.',
  },
  ERR_UPSTREAM_RESPONSE_TOO_LARGE: {
    status: 502,
    rpc: RPC.wardenUpstream,
    meaning:
      'An upstream response body or SSE event exceeded `limits.maxResponseBytes` / `limits.maxEventBytes`; the exchange was ended.',
    fix: 'Raise the limit if the large result is expected.',
  },
  ERR_UPSTREAM_SESSION_LOST: {
    status: 404,
    rpc: RPC.invalidRequest,
    meaning: 'The upstream forgot its session (it answered 404); the downstream session is ended with it.',
    fix: 'Start a new session with initialize.',
  },
  ERR_UPSTREAM_ERA: {
    status: 502,
    rpc: RPC.wardenUpstream,
    meaning:
      'The request needs a feature that cannot be bridged between the client and upstream protocol eras.',
    fix: 'See docs/protocol.md for what is bridged between the 2025 and 2026 eras.',
  },
  ERR_SERVER_REQUEST_REFUSED: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      "An upstream's request to the client (sampling or elicitation) was answered with this error by Warden and never reached the client: the server's `allow` settings forbid it, or a form elicitation asked for a password, key, token or other secret.",
    fix: 'Set `servers.<name>.allow.sampling` / `allow.elicitation` if the server should reach the user; secrets must be asked for with a URL-mode elicitation, never a form.',
  },
  ERR_UPSTREAM_SANDBOX: {
    status: 500,
    rpc: RPC.internalError,
    meaning:
      'A stdio server configured with `sandbox` cannot be sandboxed: bwrap or prlimit is missing, the kernel refused the namespaces, or a sandbox path does not exist. Warden does not start.',
    fix: 'Install bubblewrap, allow unprivileged user namespaces, or fix the listed path; `sandbox.optional: true` runs the server unsandboxed instead (logged and audited).',
  },
  ERR_INSPECT_BLOCKED: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      "Content inspection refused the message: a finding whose action is `block` (prompt injection at or above the score threshold, a secret, personal data, a command-argument rule, a result classified above the allowed label, or an external detector's verdict). `data.rules` lists the rule ids, never the matched text. Arguments were not forwarded; a blocked result never reached the client.",
    fix: 'Review the audit record (rules and masked evidence); change `inspection.actions` if the rule is too strict for this server.',
  },
  ERR_INSPECT_TOO_LARGE: {
    status: 413,
    rpc: RPC.wardenDenied,
    meaning:
      'The message holds more text than `inspection.maxBytes` (or more than an external detector accepts) and `inspection.overCap` is `block` (fail closed).',
    fix: 'Raise `inspection.maxBytes`, or set `inspection.overCap: pass` to let larger messages through uninspected (audited).',
  },
  ERR_INSPECT_UNAVAILABLE: {
    status: 503,
    rpc: RPC.wardenUpstream,
    meaning:
      'An external detector (`inspection.external`) did not answer in time, answered with an error, or answered in an unexpected shape, and its `failMode` is `closed`.',
    fix: "Check the detector's endpoint and key; `failMode: open` lets messages through when it is down (each one audited).",
  },
  ERR_INTEGRITY_UNAPPROVED: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      "The tool, prompt or resource template is not approved in the version the server now offers (new, changed or rejected since it was pinned), the server's identity changed, or the server does not list it; the call or get was not forwarded. A `resources/read` or subscription of a URI that only such a template describes is refused the same way. `data.change` names the pending change.",
    fix: 'Review the change with `warden pins diff ID` and approve it with `warden pins approve ID` if it is legitimate (docs/integrity.md).',
  },
  ERR_INTEGRITY_REFUSED: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      'The definition scanner found something in this tool, prompt or resource template whose configured action is `refuse` (`integrity.scan`, default: critical findings); it is never served and calls or gets are not forwarded. `data.change` names the recorded change with the findings.',
    fix: 'Look at the findings with `warden pins diff ID`; if they are a false positive, lower the action for that severity in `integrity.scan` (the refused version then waits for approval like any other change).',
  },
  ERR_CANCELLED: {
    status: 499,
    rpc: RPC.serverError,
    meaning: 'The client cancelled the request or went away before it finished.',
    fix: 'None; this is recorded for the audit trail.',
  },
  ERR_SHUTTING_DOWN: {
    status: 503,
    rpc: RPC.serverError,
    meaning: 'Warden is shutting down and accepts no new exchanges.',
    fix: 'Retry against another replica or after restart.',
  },
  ERR_APPROVAL_QUEUE_FULL: {
    status: 429,
    rpc: RPC.wardenLimit,
    meaning:
      'The call needs a human approval (or an elevation was requested) but `admin.maxPending` requests are already waiting; it was refused, not queued.',
    fix: 'Have an approver work through the queue (`warden approvals list`), or raise `admin.maxPending`.',
  },
  ERR_APPROVAL_DENIED: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      'The call was held for approval and an approver denied it, or the user asked to confirm it (elicitation) declined, cancelled, left the box unticked or sent a malformed answer; it was not forwarded.',
    fix: 'Ask the approver why, or confirm the call when asked, or change what the call does.',
  },
  ERR_APPROVAL_EXPIRED: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      'The call was held for approval and nobody decided (or the user did not answer the confirmation, or a 2026-07-28 client retried after `admin.approvalTimeoutSec`) before its timeout; it was not forwarded.',
    fix: 'Retry while an approver is watching the queue (`warden approvals list`), or answer the confirmation sooner.',
  },
  ERR_ADMIN_FORBIDDEN: {
    status: 403,
    rpc: RPC.wardenDenied,
    meaning:
      'The admin API caller is authenticated but lacks the approver role (`admin.approverRole`), or tried to decide their own request.',
    fix: 'Use a token that carries the approver role; a second person decides your own requests.',
  },
  ERR_ADMIN_NOT_FOUND: {
    status: 404,
    rpc: RPC.invalidRequest,
    meaning:
      'The admin API has no such route, or the approval or elevation id is unknown or already decided.',
    fix: 'List the queue again (`warden approvals list`, `warden elevate list`) and use a current id.',
  },
  ERR_ADMIN_INVALID: {
    status: 400,
    rpc: RPC.invalidRequest,
    meaning: 'The admin API request body is not valid JSON of the expected shape.',
    fix: "See docs/admin.md for each route's body.",
  },
  ERR_CONFIG_INVALID: {
    status: 500,
    rpc: RPC.internalError,
    meaning: 'The configuration file failed validation; every problem is listed with its path.',
    fix: 'Run `warden check-config FILE` and fix each listed path.',
  },
  ERR_SECRET_UNRESOLVED: {
    status: 500,
    rpc: RPC.internalError,
    meaning: 'A secret reference (`env:NAME`, `file:PATH`, `keyvault:NAME`) could not be resolved.',
    fix: 'Set the variable or create the file the reference names.',
  },
  ERR_INTERNAL: {
    status: 500,
    rpc: RPC.internalError,
    meaning: 'An unexpected fault inside Warden; the exchange was ended and the process keeps serving.',
    fix: 'Report it with the exchange id from the audit record.',
  },
} as const satisfies Record<string, ErrorSpec>;

/** A stable Warden error code, `ERR_<AREA>_<WHAT>`. */
export type ErrorCode = keyof typeof ERRORS;

/** The one error class Warden throws: a stable code, its table row, and structured cause data. */
export class WardenError extends Error {
  override readonly name = 'WardenError';
  /** Stable error code. */
  readonly code: ErrorCode;
  /** Structured data placed in the JSON-RPC error `data` (never secrets). */
  readonly data: Record<string, unknown> | undefined;
  /** Extra HTTP headers the mapper adds (for example `Retry-After`). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { data?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown },
  ) {
    super(
      message ?? ERRORS[code].meaning,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.data = options?.data;
    this.headers = options?.headers;
  }

  /** HTTP status from the table. */
  get status(): number {
    return ERRORS[this.code].status;
  }

  /** JSON-RPC error code from the table, unless the data overrides it (2026-07-28 codes). */
  get rpcCode(): number {
    return ERRORS[this.code].rpc;
  }
}

/** Turns anything thrown into a WardenError; unknown faults become ERR_INTERNAL with the cause kept. */
export function toWardenError(err: unknown): WardenError {
  if (err instanceof WardenError) return err;
  return new WardenError('ERR_INTERNAL', undefined, { cause: err });
}
