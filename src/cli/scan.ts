/**
 * `warden scan [CONFIG…] [--tools FILE]… [--connect] [--format text|json|sarif] [--fail-on SEV]`
 * (issue 5 item 4): reads MCP client configurations (found under the home and project directories,
 * or given by path) and saved `tools/list` results; with `--connect` only, starts the stdio servers
 * and contacts the remote ones to list their definitions. Reports risky launch commands, plain-http
 * remotes, secrets in configs, poisoned and shadowing definitions and changes against warden.lock.
 * Exit code: 0 when nothing reaches --fail-on (default high), 1 when something does, 2 on a usage
 * or connection error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WardenError } from '../core/errors.js';
import { SEVERITIES, atLeast } from '../detect/types.js';
import type { Severity } from '../detect/types.js';
import { readLockFile } from '../integrity.js';
import { VERSION } from '../server.js';
import type { Pin } from '../store/pins.js';
import { definitionChecks, launchChecks, lockChecks, remoteChecks, secretChecks } from './scan-checks.js';
import type { ScanFinding, ServerDefinitions } from './scan-checks.js';
import { listDefinitions } from './scan-connect.js';
import { discover, readConfig } from './scan-discover.js';
import type { ConfiguredServer, ScannedConfig } from './scan-discover.js';
import { report } from './scan-report.js';
import type { ScanFormat } from './scan-report.js';

/** The usage line of `warden scan`. */
export const SCAN_USAGE =
  'warden scan [CONFIG...] [--tools FILE]... [--server NAME] [--connect] [--format text|json|sarif] [--fail-on low|medium|high|critical] [--lock FILE] [--home DIR]';

const FORMATS: readonly ScanFormat[] = ['text', 'json', 'sarif'];

class UsageError extends Error {}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x))
    : [];
}

/** Reads a saved `tools/list` result: an object with a `tools` array (and optionally prompts/resourceTemplates) or an array of tools. */
export function readToolsFile(file: string, server: string): ServerDefinitions {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError(
      `--tools ${file}: cannot be read as JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  // A saved JSON-RPC response ({result: {tools}}) is accepted too.
  const body = (doc as { result?: unknown } | null)?.result ?? doc;
  if (Array.isArray(body))
    return { server, file, line: 1, tools: records(body), prompts: [], resourceTemplates: [] };
  const o = body as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object' || !Array.isArray(o.tools))
    throw new UsageError(`--tools ${file}: expected an object with a "tools" array or an array of tools`);
  return {
    server,
    file,
    line: 1,
    tools: records(o.tools),
    prompts: records(o.prompts),
    resourceTemplates: records(o.resourceTemplates),
  };
}

interface Options {
  readonly paths: string[];
  readonly tools: string[];
  readonly server: string | undefined;
  readonly connect: boolean;
  readonly format: ScanFormat;
  readonly failOn: Severity;
  readonly lock: string | undefined;
  readonly home: string;
  readonly timeoutMs: number;
}

function options(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tools: { type: 'string', multiple: true },
        server: { type: 'string' },
        connect: { type: 'boolean', default: false },
        format: { type: 'string', default: 'text' },
        'fail-on': { type: 'string', default: 'high' },
        lock: { type: 'string' },
        home: { type: 'string' },
        timeout: { type: 'string', default: '30000' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (!FORMATS.includes(v.format as ScanFormat))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  if (!SEVERITIES.includes(v['fail-on'] as Severity))
    throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}`);
  const timeoutMs = Number(v.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new UsageError('--timeout must be a positive number of milliseconds');
  const tools = v.tools ?? [];
  if (v.server !== undefined && tools.length !== 1)
    throw new UsageError('--server names the server of exactly one --tools file');
  for (const f of [...parsed.positionals, ...tools, ...(v.lock !== undefined ? [v.lock] : [])])
    if (!existsSync(f)) throw new UsageError(`${f}: no such file`);
  return {
    paths: parsed.positionals,
    tools,
    server: v.server,
    connect: v.connect,
    format: v.format as ScanFormat,
    failOn: v['fail-on'] as Severity,
    lock: v.lock,
    home: v.home ?? homedir(),
    timeoutMs,
  };
}

/** Runs `warden scan`; resolves to the exit code (0 clean, 1 findings at --fail-on, 2 usage/connection error). */
export async function runScan(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  let o: Options;
  try {
    o = options(argv);
  } catch (err) {
    process.stderr.write(
      `warden scan: ${err instanceof Error ? err.message : String(err)}\nusage: ${SCAN_USAGE}\n`,
    );
    return 2;
  }
  const cwd = process.cwd();
  const errors: string[] = [];
  const notes: string[] = [];
  let configs: ScannedConfig[];
  const defs: ServerDefinitions[] = [];
  let pins: Pin[] = [];
  const lockFile = path.resolve(o.lock ?? 'warden.lock');
  try {
    configs =
      o.paths.length > 0
        ? o.paths.map((p) => readConfig(path.resolve(p), 'file'))
        : o.tools.length > 0
          ? []
          : discover(o.home, cwd);
    for (const t of o.tools) {
      const file = path.resolve(t);
      defs.push(readToolsFile(file, o.server ?? path.basename(file).replace(/\.json$/i, '')));
    }
    if (existsSync(lockFile)) pins = readLockFile(lockFile);
  } catch (err) {
    process.stderr.write(
      `warden scan: ${err instanceof WardenError || err instanceof Error ? err.message : String(err)}\n`,
    );
    return 2;
  }
  const servers: ConfiguredServer[] = configs.flatMap((c) => c.servers);
  const findings: ScanFinding[] = [];
  for (const s of servers) findings.push(...launchChecks(s), ...remoteChecks(s), ...secretChecks(s));
  const connected: string[] = [];
  if (o.connect) {
    for (const s of servers) {
      try {
        defs.push(await listDefinitions(s, o.timeoutMs));
        connected.push(`${s.name} (${s.url ?? s.command ?? '?'})`);
      } catch (err) {
        errors.push(
          `${s.name}: cannot list definitions: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  } else if (servers.length > 0) {
    notes.push(
      `definitions of ${servers.length} configured server(s) not checked: pass --connect to start or contact them, or --tools FILE`,
    );
  }
  if (configs.length === 0 && defs.length === 0) notes.push('no MCP client configuration found');
  findings.push(...definitionChecks(defs));
  if (pins.length > 0) findings.push(...lockChecks(defs, pins, lockFile));
  else if (defs.length > 0) notes.push(`no ${path.basename(lockFile)}: definitions not compared with pins`);
  const summary = {
    configs: configs.map((c) => ({ client: c.client, file: c.file, servers: c.servers.length })),
    toolsFiles: o.tools.map((t) => path.resolve(t)),
    connected,
    errors,
    notes,
  };
  out(report(o.format, findings, summary, VERSION, cwd));
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`warden scan: ${e}\n`);
    return 2;
  }
  return findings.some((f) => atLeast(f.severity, o.failOn)) ? 1 : 0;
}
