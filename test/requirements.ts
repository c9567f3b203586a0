/**
 * The requirements manifest: every security behaviour id of the shared REQUIREMENTS.md, with its
 * level and where it stands. `covered` ids must be cited (in brackets) by at least one test title;
 * `gap` ids must not be, until the work that proves them lands (test/requirements.test.ts).
 */

/** Where a requirement stands. */
export type ReqStatus = 'covered' | 'gap';

/** One requirement. */
export interface Requirement {
  readonly id: string;
  readonly level: 'M' | 'S';
  readonly status: ReqStatus;
  /** The issue that will prove a gap, when one is filed. */
  readonly issue?: number;
  /** The behaviour, abridged from REQUIREMENTS.md. */
  readonly summary: string;
}

/** Every requirement id. */
export const REQUIREMENTS: readonly Requirement[] = [
  {
    id: 'transport:origin-403',
    level: 'M',
    status: 'covered',
    summary:
      'a present, disallowed `Origin` gets 403 (JSON-RPC error body without id allowed); an absent Origin is not rejected for that. MCP transports §security.',
  },
  {
    id: 'transport:host-allowlist',
    level: 'M',
    status: 'covered',
    summary:
      'a `Host` outside the allowlist gets 403 on loopback binds (DNS rebinding). MCP transports; BP local compromise.',
  },
  {
    id: 'transport:loopback-default',
    level: 'S',
    status: 'covered',
    summary: 'with no config, listeners bind 127.0.0.1 only.',
  },
  {
    id: 'transport:body-cap',
    level: 'M',
    status: 'covered',
    summary:
      'request bodies over the configured cap get 413 before parsing; response bodies and SSE events over their caps end the exchange with a coded error.',
  },
  {
    id: 'transport:accept-406',
    level: 'M',
    status: 'covered',
    summary: 'wrong Accept → 406; non-JSON body → 415.',
  },
  {
    id: 'transport:content-type-415',
    level: 'M',
    status: 'covered',
    summary: 'wrong Accept → 406; non-JSON body → 415.',
  },
  {
    id: 'transport:single-message',
    level: 'M',
    status: 'covered',
    summary: 'a JSON array body on a ≥2025-06-18 exchange gets 400/-32600.',
  },
  {
    id: 'transport:notification-202',
    level: 'M',
    status: 'covered',
    summary: 'notifications and responses get 202 with no body.',
  },
  {
    id: 'transport:protocol-version-400',
    level: 'M',
    status: 'covered',
    summary: 'unsupported or malformed `MCP-Protocol-Version` gets 400.',
  },
  {
    id: 'transport:header-mismatch-400',
    level: 'M',
    status: 'covered',
    summary: '(2026-07-28) `Mcp-Method`/`Mcp-Name` that disagree with the body get 400.',
  },
  {
    id: 'transport:get-405-or-sse',
    level: 'M',
    status: 'covered',
    summary: 'GET serves SSE or answers 405; responses never appear on the GET stream except on resume.',
  },
  {
    id: 'transport:resume-same-stream',
    level: 'M',
    status: 'covered',
    summary: "`Last-Event-ID` replays only that stream's events; event ids unique per session.",
  },
  {
    id: 'transport:tls',
    level: 'S',
    status: 'covered',
    summary:
      'native TLS listener with a minimum version setting (TLS 1.3 available), certificate reload without restart, HSTS on HTTPS.',
  },
  {
    id: 'transport:upstream-tls-pin',
    level: 'S',
    status: 'covered',
    summary: 'optional SPKI pin per remote upstream; a mismatch refuses the connection.',
  },
  {
    id: 'authn:prm',
    level: 'M',
    status: 'covered',
    summary:
      "RFC 9728 metadata at `/.well-known/oauth-protected-resource/<path>` (and root), `resource` = Warden's public URL for that endpoint, non-empty…",
  },
  {
    id: 'authn:challenge-401',
    level: 'M',
    status: 'covered',
    summary:
      'missing/invalid/expired token → 401 with `WWW-Authenticate: Bearer resource_metadata="…", scope="…"` (+ `error="invalid_token"` when a token was…',
  },
  {
    id: 'authn:step-up-403',
    level: 'S',
    status: 'covered',
    summary:
      'valid token lacking a needed scope → 403 `error="insufficient_scope"` with the needed scopes (already-granted relevant scopes plus the new ones)…',
  },
  {
    id: 'authn:audience',
    level: 'M',
    status: 'covered',
    summary:
      'a token whose audience/resource is not this Warden endpoint is rejected (wrong aud, missing aud, aud list without us). RFC 8707; seed mandatory #1.',
  },
  {
    id: 'authn:every-request',
    level: 'M',
    status: 'covered',
    summary:
      'every HTTP request carries and has its token validated; a session id alone authenticates nothing. Seed mandatory #2, #3.',
  },
  {
    id: 'authn:no-query-token',
    level: 'M',
    status: 'covered',
    summary: '`?access_token=` is never accepted.',
  },
  {
    id: 'authn:jwt-strict',
    level: 'M',
    status: 'covered',
    summary:
      'signature with an allowlisted asymmetric algorithm only (no `none`, no HMAC with a public key, no header-supplied keys via `jku`/`x5u`/`jwk`),…',
  },
  {
    id: 'authn:introspection',
    level: 'M',
    status: 'covered',
    summary: 'opaque tokens via RFC 7662 with cached results bounded by `exp`; `active:false` → 401.',
  },
  {
    id: 'authn:replay',
    level: 'S',
    status: 'covered',
    summary: 'optional `jti` replay cache for one-time tokens.',
  },
  {
    id: 'authn:no-passthrough',
    level: 'M',
    status: 'covered',
    summary:
      "the client's `Authorization` header and cookies never reach an upstream; upstreams get Warden's own credential for them. MCP auth; BP token…",
  },
  {
    id: 'authn:idp-profiles',
    level: 'S',
    status: 'covered',
    summary:
      'working profiles for Microsoft Entra ID (tenant-specific v2 issuer, `tid` allowlist, `scp` and `roles` claims, `azp`), and generic OIDC (Keycloak,…',
  },
  {
    id: 'session:secure-id',
    level: 'M',
    status: 'covered',
    summary: 'ids from a CSPRNG, ≥128 bits, visible ASCII only, never sequential.',
  },
  {
    id: 'session:bound-to-principal',
    level: 'S',
    status: 'covered',
    summary: 'stored as `<principal-key>:<id>`; another principal presenting it gets 404 and learns nothing.',
  },
  {
    id: 'session:missing-400',
    level: 'M',
    status: 'covered',
    summary: 'missing id on a non-initialize request → 400; unknown, expired or deleted → 404.',
  },
  {
    id: 'session:unknown-404',
    level: 'M',
    status: 'covered',
    summary: 'missing id on a non-initialize request → 400; unknown, expired or deleted → 404.',
  },
  {
    id: 'session:delete',
    level: 'M',
    status: 'covered',
    summary: 'DELETE ends the session and its upstream connections/child processes.',
  },
  {
    id: 'session:lifecycle',
    level: 'S',
    status: 'covered',
    summary:
      'idle and absolute lifetimes, cap per principal, reaping of abandoned sessions; memory flat under churn.',
  },
  {
    id: 'policy:default-deny',
    level: 'M',
    status: 'covered',
    summary: 'what no rule allows is denied, with a coded reason naming the rule set.',
  },
  {
    id: 'policy:list-filter',
    level: 'M',
    status: 'covered',
    summary: '`tools/list`, `prompts/list`, `resources/list` show only what the principal may use.',
  },
  {
    id: 'policy:arguments',
    level: 'M',
    status: 'covered',
    summary:
      'per-tool argument constraints (allowed values, patterns, path prefixes, URL hosts, numeric ranges) checked before forwarding.',
  },
  {
    id: 'policy:annotations-untrusted',
    level: 'M',
    status: 'covered',
    summary:
      'tool annotations (`readOnlyHint`…) never relax policy unless the upstream is marked trusted. MCP tools.',
  },
  {
    id: 'policy:approval',
    level: 'S',
    status: 'covered',
    summary:
      'rules can require human approval: the call is held, shown to an approver (admin API/console, or the user through elicitation where the client…',
  },
  {
    id: 'policy:jit-elevation',
    level: 'S',
    status: 'covered',
    summary: 'time-bound elevated roles granted on approval, expiring by themselves.',
  },
  {
    id: 'policy:conditional',
    level: 'S',
    status: 'covered',
    summary: 'conditions on time, source address, client id, tenant and risk score (from anomaly detection).',
  },
  {
    id: 'policy:input-schema',
    level: 'M',
    status: 'covered',
    summary:
      'arguments are validated against the pinned `inputSchema`; failures return an `isError: true` result.',
  },
  {
    id: 'policy:output-schema',
    level: 'S',
    status: 'covered',
    summary: '`structuredContent` is validated against `outputSchema`.',
  },
  {
    id: 'policy:sampling-elicitation',
    level: 'S',
    status: 'covered',
    summary:
      'server-initiated sampling and elicitation are allowed per upstream; form-mode elicitation asking for passwords, keys or tokens is blocked.',
  },
  {
    id: 'limits:rate',
    level: 'M',
    status: 'covered',
    summary:
      'rate limits per principal, per tool, per upstream and global; denials carry `Retry-After` and a readable JSON-RPC error.',
  },
  {
    id: 'limits:concurrency',
    level: 'S',
    status: 'covered',
    summary: 'in-flight caps per principal and per upstream; upstream timeouts; budgets per day.',
  },
  {
    id: 'limits:distributed',
    level: 'S',
    status: 'covered',
    summary: 'with Redis, limits hold across replicas.',
  },
  {
    id: 'integrity:pin',
    level: 'M',
    status: 'covered',
    summary:
      "each upstream's tools (name, description, full input/output schemas, annotations), prompts and resource templates are hashed and pinned on…",
  },
  {
    id: 'integrity:rug-pull',
    level: 'M',
    status: 'covered',
    summary:
      'a changed definition is held back from clients (and calls to it refused) until approved; the change is audited and alerted; `list_changed` is handled.',
  },
  {
    id: 'integrity:poisoning-scan',
    level: 'M',
    status: 'covered',
    summary:
      'every string in a definition (descriptions, titles, schema descriptions, enums, defaults, property names) is scanned for hidden instructions,…',
  },
  {
    id: 'integrity:shadowing',
    level: 'M',
    status: 'covered',
    summary:
      "name collisions across upstreams are resolved by namespacing; descriptions that reference other servers' tools are flagged.",
  },
  {
    id: 'integrity:upstream-identity',
    level: 'S',
    status: 'covered',
    summary:
      "a stdio upstream's command, arguments and package version, and a remote upstream's URL and TLS identity, are pinned; a change is a rug pull.",
  },
  {
    id: 'inspect:injection',
    level: 'M',
    status: 'covered',
    issue: 5,
    summary:
      'tool results, resource contents, prompt messages and tool arguments are scanned for prompt injection; configurable action (block, redact, flag).',
  },
  {
    id: 'inspect:external-detector',
    level: 'S',
    status: 'covered',
    issue: 5,
    summary:
      'pluggable external detectors (Azure AI Content Safety Prompt Shields and text analysis; a generic HTTP guard) with timeouts and a declared fail mode.',
  },
  {
    id: 'inspect:secrets',
    level: 'M',
    status: 'covered',
    issue: 5,
    summary: 'secrets/credentials in arguments and results are detected and redacted.',
  },
  {
    id: 'inspect:pii',
    level: 'S',
    status: 'covered',
    issue: 5,
    summary:
      'personal data (email, phone, payment cards with Luhn, national ids, IBAN, addresses) detected and redacted per policy; results carry a data…',
  },
  {
    id: 'inspect:sanitize',
    level: 'M',
    status: 'covered',
    issue: 5,
    summary:
      'ANSI escape sequences and invisible/bidi Unicode stripped from text sent to clients; icon URIs limited to https/data.',
  },
  {
    id: 'inspect:boundary',
    level: 'S',
    status: 'covered',
    issue: 5,
    summary:
      'untrusted content marked (spotlighting: delimiters with a per-exchange random token, optional datamarking) before it reaches the model.',
  },
  {
    id: 'inspect:command-args',
    level: 'S',
    status: 'covered',
    issue: 5,
    summary: 'per-tool checks for shell metacharacters, path traversal and sensitive paths.',
  },
  {
    id: 'audit:every-decision',
    level: 'M',
    status: 'covered',
    summary:
      "one structured record per exchange: time, principal, client, session, upstream, method, tool, argument digest (redacted), each stage's decision…",
  },
  {
    id: 'audit:tamper-evident',
    level: 'M',
    status: 'gap',
    summary:
      'records are hash-chained with periodic signed checkpoints; `warden audit verify` detects any altered, removed or reordered record and truncation.',
  },
  {
    id: 'audit:no-secrets',
    level: 'M',
    status: 'covered',
    summary: 'no bearer token, cookie, secret or unredacted PII in logs or audit records.',
  },
  {
    id: 'audit:durable',
    level: 'M',
    status: 'gap',
    summary: 'no record lost on crash or on a killed replica.',
  },
  {
    id: 'audit:siem',
    level: 'S',
    status: 'gap',
    summary:
      'export to syslog (RFC 5424) and CEF, OpenTelemetry logs, and Azure Monitor Logs Ingestion (Microsoft Sentinel); JSONL export of a slice.',
  },
  {
    id: 'audit:metrics',
    level: 'S',
    status: 'gap',
    summary: 'Prometheus metrics and OpenTelemetry traces with W3C trace context.',
  },
  {
    id: 'response:alerts',
    level: 'S',
    status: 'gap',
    summary: 'real-time alerts (webhook) for security events by severity.',
  },
  {
    id: 'response:anomaly',
    level: 'S',
    status: 'gap',
    summary:
      'per-principal behaviour baselines (rate, new tools, data volume, error and denial rates); deviations raise events and feed the risk score.',
  },
  {
    id: 'response:kill-switch',
    level: 'M',
    status: 'gap',
    summary:
      'one action blocks a principal, client, upstream, tool or everything, revokes live sessions and cached upstream tokens, reaches every replica…',
  },
  {
    id: 'response:auto',
    level: 'S',
    status: 'gap',
    summary:
      'automated responses: quarantine an upstream after repeated detections; lock a principal after repeated denials.',
  },
  {
    id: 'response:rollback',
    level: 'M',
    status: 'gap',
    summary: 'every applied config version is kept; diff and roll back in one step.',
  },
  {
    id: 'response:rotation',
    level: 'S',
    status: 'gap',
    summary: "rotate Warden's signing keys and upstream secrets without downtime.",
  },
  {
    id: 'oauth:metadata',
    level: 'M',
    status: 'gap',
    summary: 'RFC 8414 and OpenID discovery metadata, `code_challenge_methods_supported: ["S256"]`.',
  },
  { id: 'oauth:pkce-s256', level: 'M', status: 'gap', summary: 'PKCE with S256 required; `plain` refused.' },
  {
    id: 'oauth:registration',
    level: 'M',
    status: 'gap',
    summary:
      'dynamic client registration (RFC 7591) and client id metadata documents (fetched SSRF-safely, `client_id` equal to the URL).',
  },
  {
    id: 'oauth:consent-per-client',
    level: 'M',
    status: 'gap',
    summary:
      "before forwarding to the upstream identity provider with Warden's static client id, the user approves this client on Warden's consent page;…",
  },
  {
    id: 'oauth:consent-page',
    level: 'M',
    status: 'gap',
    summary:
      "shows client name, scopes and redirect URI host; CSRF protection; `frame-ancestors 'none'`/`X-Frame-Options: DENY`.",
  },
  {
    id: 'oauth:cookies',
    level: 'M',
    status: 'gap',
    summary:
      'consent/state cookies `__Host-` prefixed, `Secure`, `HttpOnly`, `SameSite=Lax`, signed, bound to the client id.',
  },
  {
    id: 'oauth:redirect-exact',
    level: 'M',
    status: 'gap',
    summary: 'redirect URIs compared as exact strings (loopback port rule documented).',
  },
  {
    id: 'oauth:state',
    level: 'M',
    status: 'gap',
    summary:
      'random per request, stored only after consent, single-use, ~10 minute lifetime, exact match at callback.',
  },
  {
    id: 'oauth:tokens',
    level: 'M',
    status: 'gap',
    summary:
      'short-lived JWT access tokens with `aud` = the requested resource; refresh token rotation with reuse detection for public clients; revocation.',
  },
  {
    id: 'oauth:ssrf',
    level: 'M',
    status: 'covered',
    summary:
      'every URL Warden fetches on an OAuth path (metadata, CIMD, JWKS) is https (loopback http only in dev mode), not private/link-local/loopback by…',
  },
  {
    id: 'oauth:url-schemes',
    level: 'M',
    status: 'gap',
    summary:
      'authorization URLs limited to http(s); `javascript:`, `data:`, `file:` refused; never opened through a shell.',
  },
  {
    id: 'stdio:no-shell',
    level: 'M',
    status: 'covered',
    summary:
      'stdio upstreams are spawned with an argument vector, never through a shell, with an explicit environment allowlist.',
  },
  {
    id: 'stdio:logged',
    level: 'S',
    status: 'covered',
    summary: 'every spawn is logged with the exact command.',
  },
  {
    id: 'stdio:sandbox',
    level: 'S',
    status: 'covered',
    summary:
      'optional sandbox profile (no network, read-only file system except allowed paths, resource limits) using a real isolation tool available on the host.',
  },
  {
    id: 'stdio:lifecycle',
    level: 'M',
    status: 'covered',
    summary: 'children are reaped with their sessions; no orphan processes.',
  },
  {
    id: 'supply:scan-config',
    level: 'S',
    status: 'covered',
    summary:
      '`warden scan` flags unpinned packages (`npx -y pkg` without a version), `@latest`, plain-http remotes, secrets in config, and shell-wrapped…',
  },
  {
    id: 'supply:sbom',
    level: 'S',
    status: 'gap',
    summary: 'the project publishes an SBOM and fails CI on known-vulnerable dependencies above a threshold.',
  },
  {
    id: 'supply:signed-config',
    level: 'S',
    status: 'gap',
    summary: 'config bundles can be signed and are verified before load.',
  },
  {
    id: 'posture:doctor',
    level: 'S',
    status: 'gap',
    summary:
      '`warden doctor` reports each control on/off/misconfigured with the fix, and maps controls to GDPR, HIPAA and SOC 2 criteria in a report.',
  },
  {
    id: 'redteam:suite',
    level: 'S',
    status: 'gap',
    summary:
      "`warden attack` runs the known exploits (OWASP MCP01–MCP10 and the spec's attack scenarios) against a target and prints what got through.",
  },
];
