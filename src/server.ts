/**
 * Wiring: config → stores → stages → pipeline → listeners. `startWarden` runs the HTTP gateway;
 * `startStdioFront` wraps one stdio server for a desktop client.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import type { Config } from './config/schema.js';
import { compile } from './config/compile.js';
import { resolveSecret } from './config/load.js';
import type { Compiled } from './config/compile.js';
import { createLogger } from './core/log.js';
import type { Logger } from './core/log.js';
import { buildAuthn } from './identity.js';
import { startAdmin } from './admin/server.js';
import type { AdminListener } from './admin/server.js';
import type { Authn } from './stages/authn/index.js';
import { createPipeline } from './pipeline.js';
import { announceDecision } from './route/integrity.js';
import { loadSecrets } from './secrets/index.js';
import type { Pipeline } from './pipeline.js';
import { JsonlAuditSink } from './store/audit-jsonl.js';
import { openSharedStores } from './stores.js';
import { createHttpServer, serveHttp } from './transport/http-server.js';
import { serveStdio } from './transport/stdio-server.js';
import { closeHttpPools } from './transport/upstream-http.js';
import { listenerTls, startCertReloader } from './transport/tls.js';
import type { CertReloader, TlsPair } from './transport/tls.js';
import type { SecretValues } from './secrets/index.js';

/** Warden's package version. */
export const VERSION: string = ((): string => {
  try {
    const pkg = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
    ) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** A running gateway. */
export interface RunningWarden {
  readonly url: string;
  readonly port: number;
  readonly compiled: Compiled;
  readonly pipeline: Pipeline;
  readonly server: Server;
  /** The listener certificate reloader when `listen.tls` is set (`reload()` re-reads at once). */
  readonly tls: CertReloader | undefined;
  /** The admin API listener when `admin.enabled` (docs/admin.md). */
  readonly admin: AdminListener | undefined;
  close(): Promise<void>;
}

/**
 * The listener certificate and key: as loaded at start-up, or with `fresh` (reloads) `file:`
 * references read from disk again so a rotated file is seen; other references keep their value.
 */
function readTlsPair(refs: { cert: string; key: string }, secrets: SecretValues, fresh: boolean): TlsPair {
  const read = (ref: string): string =>
    fresh && ref.startsWith('file:') ? resolveSecret(ref) : secrets.get(ref);
  return { cert: read(refs.cert), key: read(refs.key) };
}

/** Starts the HTTP gateway and resolves once it listens. */
export async function startWarden(
  config: Config,
  opts: { embedded?: boolean; log?: Logger } = {},
): Promise<RunningWarden> {
  const log = opts.log ?? createLogger(config.log.level);
  // Validate before binding, then compile again with the bound port (port 0 picks a free one).
  compile(config, { embedded: opts.embedded ?? false });
  // Every secret (env, file, Key Vault) is resolved once, before the listener binds.
  const secrets = await loadSecrets(config);
  const tlsConfig = config.listen.tls;
  const tls =
    tlsConfig === undefined ? undefined : listenerTls(readTlsPair(tlsConfig, secrets, false), tlsConfig);
  const https = tls === undefined ? undefined : createHttpServer(tls);
  const server: Server = https ?? createHttpServer();
  server.listen(config.listen.port, config.listen.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const compiled = compile(config, { embedded: opts.embedded ?? false, boundPort: port, secrets });
  const audit = new JsonlAuditSink(path.join(compiled.dataDir, config.audit.file), config.audit.fsync);
  // Redis (limits.store: redis) is connected before the pipeline; unreachable, it is only warned about.
  const shared = await openSharedStores(config, secrets, log);
  let pipeline: Pipeline;
  let authn: Authn | undefined;
  try {
    authn = await buildAuthn(compiled, log);
    pipeline = createPipeline(compiled, audit, log, { name: 'mcp-warden', version: VERSION }, authn, {
      limits: shared.limits,
    });
  } catch (err) {
    // Start-up failed after the port was bound: release it, the audit file and Redis before reporting.
    server.close();
    audit.close();
    await shared.close();
    throw err;
  }
  serveHttp(server, pipeline, {
    maxRequestBytes: config.limits.maxRequestBytes,
    replayEvents: config.sessions.replayEvents,
    log,
  });
  let admin: AdminListener | undefined;
  // compile() refused admin.enabled without authentication, so authn is set whenever this runs.
  if (config.admin.enabled && authn !== undefined) {
    const check = authn;
    try {
      admin = await startAdmin(config.admin.host, config.admin.port, {
        authenticate: (facts, endpointPath) => check.authenticate(facts, endpointPath),
        approvals: pipeline.approvals,
        elevations: pipeline.elevations,
        pins: pipeline.pins,
        // An approved change reaches clients at once: sessions given a list are told to list again.
        onPinApproved: (c) => announceDecision(pipeline.upstreams, c.server, c.kind),
        audit: (r) => audit.write(r),
        approverRole: config.admin.approverRole,
        maxElevationSec: config.admin.maxElevationSec,
        log,
      });
    } catch (err) {
      server.close();
      await pipeline.close();
      await shared.close();
      audit.close();
      throw err;
    }
    log.info('admin API listening', { url: admin.url });
  }
  const bound = (server.address() as AddressInfo).port;
  const reloader =
    https === undefined || tls === undefined || tlsConfig === undefined
      ? undefined
      : startCertReloader(https, tls, {
          load: () => readTlsPair(tlsConfig, secrets, true),
          intervalMs: tlsConfig.reloadIntervalMs,
          log,
        });
  let closing: Promise<void> | undefined;
  return {
    url: compiled.publicUrl,
    port: bound,
    compiled,
    pipeline,
    server,
    tls: reloader,
    admin,
    close() {
      closing ??= (async () => {
        reloader?.stop();
        await admin?.close();
        server.close();
        server.closeAllConnections();
        await pipeline.close();
        await shared.close();
        await closeHttpPools();
        audit.close();
      })();
      return closing;
    },
  };
}

/** Runs the stdio front over this process's stdin/stdout for the one server in `config`. */
export async function startStdioFront(config: Config, log: Logger): Promise<void> {
  const secrets = await loadSecrets(config);
  const compiled = compile(config, { secrets });
  const audit = new JsonlAuditSink(path.join(compiled.dataDir, config.audit.file), config.audit.fsync);
  const shared = await openSharedStores(config, secrets, log);
  const pipeline = createPipeline(compiled, audit, log, { name: 'mcp-warden', version: VERSION }, undefined, {
    limits: shared.limits,
  });
  const name = Object.keys(config.servers)[0] ?? 'stdio';
  const endpoint = pipeline.endpointOf(`/mcp/${name}`) ?? {
    path: `/mcp/${name}`,
    servers: [name],
    aggregate: false,
  };
  await serveStdio(pipeline, endpoint, process.stdin, process.stdout, config.limits.maxRequestBytes);
  await pipeline.close();
  await shared.close();
  audit.close();
}
