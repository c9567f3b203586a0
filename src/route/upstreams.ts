/**
 * Hands out upstream connections: a fresh one per downstream session (`share: session`, the
 * default for stdio and always for HTTP sessions), or one shared connection per server (`share:
 * shared`, and for sessionless 2026-era clients). A shared connection is restarted for the next
 * caller once it dies.
 */
import { WardenError } from '../core/errors.js';
import type { JsonRpcNotification, JsonRpcRequest } from '../core/jsonrpc.js';
import { errorResponse, isRequest } from '../core/jsonrpc.js';
import type { Logger } from '../core/log.js';
import { isStdioServer } from '../config/schema.js';
import type { ServerConfig, StdioServerConfig } from '../config/schema.js';
import { isSecretRef } from '../config/load.js';
import type { Compiled } from '../config/compile.js';
import type { CallerCredential, CredentialBroker } from '../stages/credentials/index.js';
import type { ServerRequestAllow } from '../stages/server-requests/index.js';
import type { Integrity } from '../stages/integrity/index.js';
import { createToolValidation } from '../stages/validate/index.js';
import type { ToolValidation } from '../stages/validate/index.js';
import type { SecretValues } from '../secrets/index.js';
import { HttpUpstream } from '../transport/upstream-http.js';
import { loadUpstreamTls } from '../transport/upstream-tls.js';
import type { UpstreamTls } from '../transport/upstream-tls.js';
import { StdioUpstream } from '../transport/upstream-stdio.js';
import { findTools, planSandbox, sandboxEnv } from '../transport/sandbox.js';
import type { SandboxPlan } from '../transport/sandbox.js';
import type { StdioLaunch } from '../transport/upstream-stdio.js';
import { wardenHello } from '../transport/upstream.js';
import type { ClientHello, Upstream, UpstreamEvents } from '../transport/upstream.js';

/** Receives server→client traffic of a leased connection. */
export interface LeaseListener {
  onMessage(server: string, msg: JsonRpcNotification | JsonRpcRequest, lease: Lease): void;
  onClose(server: string, err: WardenError | undefined): void;
}

/** A connection in use by one session. */
export interface Lease {
  readonly server: string;
  readonly upstream: Upstream;
  readonly shared: boolean;
  /** Gives the connection back: closes a private one, detaches from a shared one. */
  release(): Promise<void>;
}

/** One shared connection and the sessions attached to it. */
class SharedEntry {
  readonly listeners = new Map<LeaseListener, Lease>();
  ready: Promise<void> = Promise.resolve();
  /** Whose credential a per-principal connection uses: the latest session of that principal to lease it. */
  caller: CallerCredential | undefined;

  constructor(
    readonly server: string,
    public upstream: Upstream | undefined,
  ) {}

  /** The lease of a listener, made on first use. */
  leaseOf(l: LeaseListener): Lease {
    let x = this.listeners.get(l);
    if (x === undefined) {
      const up = this.upstream;
      if (up === undefined)
        throw new WardenError('ERR_UPSTREAM_UNAVAILABLE', `upstream ${this.server} is not connected`);
      x = {
        server: this.server,
        upstream: up,
        shared: true,
        release: () => {
          this.listeners.delete(l);
          return Promise.resolve();
        },
      };
      this.listeners.set(l, x);
    }
    return x;
  }
}

/** Builds the child environment: the allowlist from Warden's env plus the configured entries, secret references taken from `secrets`. */
export function childEnv(
  server: StdioServerConfig,
  secrets: SecretValues,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of server.inheritEnv) {
    const v = env[name];
    if (v !== undefined) out[name] = v;
  }
  for (const [name, value] of Object.entries(server.env))
    out[name] = isSecretRef(value) ? secrets.get(value) : value;
  return out;
}

/** Owns every upstream connection of the process. */
export class Upstreams {
  private readonly sharedConns = new Map<string, SharedEntry>();
  private readonly live = new Set<Upstream>();
  /** TLS settings (extra CAs, SPKI pins) of the https upstreams that have any. */
  private readonly tls = new Map<string, UpstreamTls>();
  /** How each stdio server with a `sandbox` entry is launched, decided once at start-up. */
  private readonly sandboxes = new Map<string, SandboxPlan>();
  /** Servers configured with an optional sandbox that run unsandboxed (fail-open), with the reason. */
  readonly sandboxFailOpen: { readonly server: string; readonly reason: string }[] = [];

  constructor(
    private readonly compiled: Compiled,
    private readonly log: Logger,
    private readonly version: string,
    private readonly credentials: CredentialBroker,
  ) {
    // CA files are read and pins checked now, so a bad entry stops start-up, not a session.
    for (const [name, cfg] of Object.entries(compiled.config.servers)) {
      const tls = isStdioServer(cfg) ? undefined : loadUpstreamTls(name, new URL(cfg.url), cfg.tls);
      if (tls !== undefined) this.tls.set(name, tls);
      // bwrap is probed and the sandbox paths checked now: a server that cannot be confined as
      // configured stops start-up, unless its sandbox is optional (then it is a logged fail-open).
      if (isStdioServer(cfg) && cfg.sandbox !== undefined && cfg.sandbox.profile === 'strict') {
        const plan = planSandbox(
          name,
          cfg.sandbox,
          {
            command: cfg.command,
            args: cfg.args,
            cwd: cfg.cwd,
            pathEnv: childEnv(cfg, compiled.secrets).PATH,
          },
          findTools(),
        );
        this.sandboxes.set(name, plan);
        if (plan.mode === 'fail-open') {
          this.sandboxFailOpen.push({ server: name, reason: plan.reason });
          log.warn('sandbox unavailable; server runs UNSANDBOXED (sandbox.optional: true)', {
            server: name,
            reason: plan.reason,
          });
        }
      }
    }
  }

  private validationValue: ToolValidation | undefined;

  /** Pinning of definitions and server identities (config `integrity`); set by the pipeline. */
  integrity: Integrity | undefined;

  /** Tool schema validation (config `validation`), built on first use. */
  get validation(): ToolValidation {
    return (this.validationValue ??= createToolValidation(this.compiled.config.validation, this.log));
  }

  /** Server→client requests `server` may send (config `servers.<name>.allow`). */
  allowOf(server: string): ServerRequestAllow {
    return this.compiled.config.servers[server]?.allow ?? { sampling: true, elicitation: true };
  }

  /** Names of the configured servers. */
  get names(): string[] {
    return Object.keys(this.compiled.config.servers);
  }

  /** The config of a server, or undefined. */
  configOf(server: string): ServerConfig | undefined {
    return this.compiled.config.servers[server];
  }

  /** Request timeout of a server, in milliseconds. */
  requestTimeout(server: string): number {
    return this.configOf(server)?.timeouts.requestMs ?? 60_000;
  }

  /** Number of live connections (tests, metrics). */
  get liveCount(): number {
    return this.live.size;
  }

  /** `credentialOf` names the caller whose credential each HTTP request carries (read per request). */
  private create(
    server: string,
    events: UpstreamEvents,
    credentialOf: () => CallerCredential | undefined,
  ): Upstream {
    const cfg = this.configOf(server);
    if (cfg === undefined) throw new WardenError('ERR_TRANSPORT_NOT_FOUND', `no server named ${server}`);
    const limits = this.compiled.config.limits;
    let up: Upstream;
    const tracked: UpstreamEvents = {
      onMessage: (m) => {
        // stdio has no per-request streams: a server request or log message while exactly one
        // request is pending on this connection most likely belongs to it, so it travels on that
        // request's reply path (once, even on a shared connection).
        const related = isRequest(m) || m.method === 'notifications/message';
        const sole = related ? up.soleListener?.() : undefined;
        if (sole !== undefined) sole(m);
        else events.onMessage(m);
      },
      onClose: (e) => {
        this.live.delete(up);
        events.onClose(e);
      },
    };
    if (isStdioServer(cfg)) {
      const env = childEnv(cfg, this.compiled.secrets);
      const plan = this.sandboxes.get(server);
      const launch: StdioLaunch =
        plan?.mode === 'strict'
          ? {
              command: plan.argv[0] ?? cfg.command,
              args: plan.argv.slice(1),
              cwd: cfg.cwd,
              env: sandboxEnv(plan, env),
              maxLineBytes: limits.maxResponseBytes,
              sandbox: 'strict',
            }
          : {
              command: cfg.command,
              args: cfg.args,
              cwd: cfg.cwd,
              env,
              maxLineBytes: limits.maxResponseBytes,
              sandbox: plan === undefined ? undefined : 'fail-open',
            };
      up = new StdioUpstream(server, launch, tracked, this.log);
    } else {
      up = new HttpUpstream(
        server,
        {
          url: new URL(cfg.url),
          connectTimeoutMs: cfg.timeouts.connectMs,
          maxResponseBytes: limits.maxResponseBytes,
          maxEventBytes: limits.maxEventBytes,
          tls: this.tls.get(server),
          // No credential: nothing is asked per request (the connector's hot path stays as is).
          credentials:
            cfg.auth.type === 'none' ? undefined : () => this.credentials.headersFor(server, credentialOf()),
        },
        tracked,
        this.log,
      );
    }
    this.live.add(up);
    return up;
  }

  /** True when this server's connections are shared between sessions. */
  isShared(server: string): boolean {
    const cfg = this.configOf(server);
    return cfg !== undefined && isStdioServer(cfg) && cfg.share === 'shared';
  }

  /**
   * Leases a connection for a session acting for `caller`; `forceShared` for sessionless clients.
   * A shared connection to a server whose credential depends on the caller is shared only within
   * one principal.
   */
  async acquire(
    server: string,
    hello: ClientHello,
    listener: LeaseListener,
    caller: CallerCredential,
    forceShared = false,
  ): Promise<Lease> {
    const cfg = this.configOf(server);
    if (cfg === undefined) throw new WardenError('ERR_TRANSPORT_NOT_FOUND', `no server named ${server}`);
    if (forceShared || this.isShared(server)) return this.acquireShared(server, listener, caller);
    const holder: { lease?: Lease } = {};
    const up = this.create(
      server,
      {
        onMessage: (m) => {
          if (holder.lease !== undefined) listener.onMessage(server, m, holder.lease);
        },
        onClose: (e) => listener.onClose(server, e),
      },
      () => caller,
    );
    const lease: Lease = { server, upstream: up, shared: false, release: () => up.close() };
    holder.lease = lease;
    try {
      await up.connect(hello, cfg.timeouts.connectMs, cfg.protocol);
    } catch (err) {
      await up.close();
      throw err;
    }
    return lease;
  }

  private async acquireShared(
    server: string,
    listener: LeaseListener,
    caller: CallerCredential,
  ): Promise<Lease> {
    const perPrincipal = this.credentials.perPrincipal(server);
    const key = perPrincipal ? `${server}\n${caller.principal.key}` : server;
    let entry = this.sharedConns.get(key);
    if (entry === undefined || (entry.upstream?.closed ?? false)) {
      const fresh = new SharedEntry(server, undefined);
      // Set before connecting: the handshake's own requests already carry this caller's credential.
      if (perPrincipal) fresh.caller = caller;
      const up = this.create(
        server,
        {
          onMessage: (m) => {
            if (isRequest(m)) {
              // A server request nobody can be named for must not reach every session sharing the
              // connection (each would answer it): it is refused once instead.
              void up
                .respond(errorResponse(m.id, -32601, 'no single client session owns this request'))
                .catch(() => undefined);
              return;
            }
            for (const [l, lease] of fresh.listeners) l.onMessage(server, m, lease);
          },
          onClose: (e) => {
            if (this.sharedConns.get(key) === fresh) this.sharedConns.delete(key);
            for (const l of [...fresh.listeners.keys()]) l.onClose(server, e);
          },
        },
        // Per principal: the caller of the latest lease (same principal, freshest token); otherwise
        // no caller at all, so nothing of one principal's can reach a connection others share.
        () => fresh.caller,
      );
      fresh.upstream = up;
      const scfg = this.configOf(server);
      fresh.ready = up
        .connect(wardenHello(this.version), scfg?.timeouts.connectMs ?? 10_000, scfg?.protocol)
        .then(() => undefined);
      fresh.ready.catch(() => {
        if (this.sharedConns.get(key) === fresh) this.sharedConns.delete(key);
        void up.close();
      });
      this.sharedConns.set(key, fresh);
      entry = fresh;
    } else if (perPrincipal) entry.caller = caller;
    await entry.ready;
    return entry.leaseOf(listener);
  }

  /** Closes every connection (shutdown). */
  async closeAll(): Promise<void> {
    this.sharedConns.clear();
    await Promise.allSettled([...this.live].map((u) => u.close()));
  }
}
