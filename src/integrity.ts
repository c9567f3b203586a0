/**
 * Wiring of pinning (docs/integrity.md): config `integrity` → the pin store (SQLite under dataDir)
 * → under `pinning: lock`, the lock file imported as the only approved pins → the integrity engine,
 * whose first-use pinnings and detected changes become audit records (kind `integrity`, with the
 * diff of the canonical JSON).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Compiled } from './config/compile.js';
import type { Config } from './config/schema.js';
import { WardenError } from './core/errors.js';
import type { AuditRecord } from './core/exchange.js';
import { newExchangeId } from './core/ids.js';
import type { Logger } from './core/log.js';
import { scanDefinition } from './detect/definitions.js';
import { canonicalDefinition, createIntegrity } from './stages/integrity/index.js';
import type { Integrity, IntegrityEvent } from './stages/integrity/index.js';
import { LOCK_VERSION, memoryPinStore, sqlitePinStore } from './store/pins.js';
import type { Pin, PinStore } from './store/pins.js';

const lockSchema = z.strictObject({
  lockVersion: z.literal(LOCK_VERSION),
  pins: z.array(
    z.strictObject({
      server: z.string().min(1),
      kind: z.enum(['server', 'tool', 'prompt', 'resourceTemplate']),
      name: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      definition: z.record(z.string(), z.unknown()),
    }),
  ),
});

function lockError(file: string, message: string, cause?: unknown): WardenError {
  return new WardenError('ERR_CONFIG_INVALID', `integrity.lockFile ${file}: ${message}`, {
    data: { problems: [{ path: 'integrity.lockFile', message }] },
    cause,
  });
}

/**
 * Reads a lock file into pins. Each entry's hash must be the SHA-256 of its definition's canonical
 * JSON, so an edited definition with a stale hash (or the reverse) stops start-up.
 */
export function readLockFile(file: string): Pin[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw lockError(file, 'cannot be read as JSON (write it with `warden pins lock`)', err);
  }
  const parsed = lockSchema.safeParse(doc);
  if (!parsed.success) throw lockError(file, parsed.error.issues[0]?.message ?? 'not a lock file');
  const at = new Date().toISOString();
  return parsed.data.pins.map((e, i) => {
    const c = canonicalDefinition(e.definition);
    if (c.hash !== e.sha256)
      throw lockError(
        file,
        `pins[${i}] (${e.server} ${e.kind} ${e.name}): sha256 does not match its definition`,
      );
    return {
      server: e.server,
      kind: e.kind,
      name: e.name,
      hash: c.hash,
      canonical: c.json,
      source: 'lock',
      approvedBy: 'lock',
      approvedAt: at,
    };
  });
}

/** Scanner findings as short audit lines (`severity rule path`), at most 50. */
function findingLines(
  findings: readonly { readonly severity?: unknown; readonly rule?: unknown; readonly path?: unknown }[],
): string[] {
  return findings
    .slice(0, 50)
    .map((f) => `${String(f.severity)} ${String(f.rule)}${typeof f.path === 'string' ? ` ${f.path}` : ''}`);
}

/** The config with a relative `integrity.lockFile` resolved against the config file's directory. */
export function lockFileBesideConfig(config: Config, configFile: string): Config {
  return {
    ...config,
    integrity: {
      ...config.integrity,
      lockFile: path.resolve(path.dirname(path.resolve(configFile)), config.integrity.lockFile),
    },
  };
}

/** The audit record of an integrity event. */
export function integrityRecord(e: IntegrityEvent): AuditRecord {
  const server = e.event === 'change' ? e.change.server : e.server;
  const base: AuditRecord = {
    time: new Date().toISOString(),
    exchange: newExchangeId(),
    transport: 'http',
    endpoint: `/mcp/${server}`,
    era: 'unknown',
    // The principal whose request made Warden list and notice (the change is not theirs).
    principal: e.principal ?? 'warden',
    server,
    direction: 'server',
    kind: 'integrity',
    method: 'warden/integrity',
    decisions: [],
    outcome: 'ok',
  };
  if (e.event === 'pinned') {
    base.decisions.push({ stage: 'integrity', decision: 'allow', rule: 'tofu' });
    base.integrity = { event: 'pinned', kind: e.kind, names: e.names.slice(0, 1000) };
    return base;
  }
  if (e.event === 'scan') {
    base.decisions.push({ stage: 'integrity', decision: 'allow', rule: 'scan-warn' });
    if (e.kind !== 'resourceTemplate') base.tool = e.name.slice(0, 256);
    base.integrity = {
      event: 'scan',
      kind: e.kind,
      name: e.name,
      newHash: e.hash,
      findings: findingLines(e.findings),
    };
    return base;
  }
  if (e.event === 'full') {
    base.decisions.push({
      stage: 'integrity',
      decision: 'deny',
      rule: 'change-record-full',
      code: 'ERR_INTEGRITY_UNAPPROVED',
    });
    base.outcome = 'denied';
    base.code = 'ERR_INTEGRITY_UNAPPROVED';
    base.integrity = { event: 'full', kind: 'server' };
    return base;
  }
  const c = e.change;
  const refused = c.decidedBy === 'scanner';
  const code = refused ? 'ERR_INTEGRITY_REFUSED' : 'ERR_INTEGRITY_UNAPPROVED';
  base.decisions.push({
    stage: 'integrity',
    decision: 'deny',
    rule: refused ? 'scan-refuse' : `pin-${c.change}`,
    code,
  });
  base.outcome = 'denied';
  base.code = code;
  if (c.kind === 'tool' || c.kind === 'prompt') base.tool = c.name.slice(0, 256);
  base.integrity = {
    event: 'change',
    kind: c.kind,
    name: c.name,
    change: c.change,
    id: c.id,
    ...(c.oldHash !== undefined ? { oldHash: c.oldHash } : {}),
    ...(c.newHash !== undefined ? { newHash: c.newHash } : {}),
    diff:
      c.diff.length > 65_536
        ? `${c.diff.slice(0, 65_536)}\n… (truncated; full diff: warden pins diff ${c.id})`
        : c.diff,
    ...(c.findings.length > 0 ? { findings: findingLines(c.findings) } : {}),
  };
  return base;
}

/** The pin store and engine for a compiled config; `cwd` resolves the lock file (default the working directory). */
export function integrityFor(
  compiled: Compiled,
  write: (r: AuditRecord) => void,
  log: Logger,
  cwd: string = process.cwd(),
): Integrity {
  const cfg = compiled.config.integrity;
  if (cfg.pinning === 'off') {
    log.warn(
      'integrity.pinning is off: tool definitions and server identities are not pinned (rug pulls go unnoticed)',
    );
    return createIntegrity({ mode: 'off', store: memoryPinStore() });
  }
  const store: PinStore = sqlitePinStore(path.join(compiled.dataDir, cfg.storeFile));
  if (cfg.pinning === 'lock') {
    try {
      const pins = readLockFile(path.resolve(cwd, cfg.lockFile));
      store.replaceAll(pins);
      log.info('pins loaded from the lock file', { file: cfg.lockFile, pins: pins.length });
    } catch (err) {
      store.close();
      throw err;
    }
  }
  const { enabled, ...actions } = cfg.scan;
  return createIntegrity({
    mode: cfg.pinning,
    store,
    onEvent: (e) => {
      write(integrityRecord(e));
      // The operational log carries the alert too: a change waits for a reviewer.
      if (e.event === 'full')
        log.warn(
          'too many definition changes recorded for this server; further changes are withheld unrecorded',
          {
            server: e.server,
          },
        );
      if (e.event === 'change')
        log.warn(
          e.change.decidedBy === 'scanner'
            ? 'definition refused by the scanner'
            : 'definition change withheld until approved (warden pins diff)',
          {
            server: e.change.server,
            kind: e.change.kind,
            name: e.change.name,
            change: e.change.change,
            id: e.change.id,
          },
        );
    },
    ...(enabled ? { scan: scanDefinition, actions } : {}),
    servers: Object.keys(compiled.config.servers),
  });
}
