#!/usr/bin/env node
/**
 * The `warden` command: parses arguments and calls the command's run function; nothing else.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { WardenError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { loadConfigFile } from '../config/load.js';
import { embeddedDefault } from '../config/compile.js';
import { configSchema } from '../config/schema.js';
import type { Config } from '../config/schema.js';
import { VERSION, startStdioFront, startWarden } from '../server.js';
import { runCheckConfig } from './check-config.js';
import { SCAN_USAGE, runScan } from './scan.js';
import { TOKEN_USAGE, runToken } from './token.js';
import { POLICY_USAGE, runPolicy } from './policy.js';
import { APPROVALS_USAGE, runApprovals } from './approvals.js';
import { ELEVATE_USAGE, runElevate } from './elevate.js';
import { INSPECT_USAGE, runInspect } from './inspect.js';
import { PINS_USAGE, runPins } from './pins.js';
import { lockFileBesideConfig } from '../integrity.js';

const HELP = `warden ${VERSION} — security gateway for the Model Context Protocol

Usage:
  warden start [--config FILE]            run the gateway (no FILE: the embedded default)
  warden stdio [--config FILE] [--env NAME]... -- COMMAND [ARGS...]
                                          wrap one stdio MCP server for a desktop client
  warden check-config FILE                validate a configuration file, listing every problem
  ${SCAN_USAGE}
                                          audit MCP client configs and tool definitions (exit 1: findings)
  ${TOKEN_USAGE}
                                          print a short-lived access token from the local issuer
  ${POLICY_USAGE}
                                          explain a policy decision; list who may use a tool
  ${APPROVALS_USAGE}
                                          list, release or deny calls held for approval
  ${ELEVATE_USAGE}
                                          request, grant, refuse or list time-bound roles
  ${PINS_USAGE}
                                          review changed tool definitions; write warden.lock
  ${INSPECT_USAGE}
                                          scan JSON lines {"id","text"} with the local detectors
  warden --version | --help

Environment:
  WARDEN_CONFIG                           config file used when --config is not given
  WARDEN_ADMIN_TOKEN                      bearer token for approvals, elevate and pins (instead of --token)
`;

function fail(err: unknown): number {
  if (err instanceof WardenError) {
    process.stderr.write(`warden: ${err.code}: ${err.message}\n`);
    const problems = err.data?.problems;
    if (Array.isArray(problems)) {
      for (const p of problems as { path: string; message: string }[])
        process.stderr.write(`  ${p.path}: ${p.message}\n`);
    }
    return 1;
  }
  process.stderr.write(`warden: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

function configFrom(file: string | undefined): { config: Config; embedded: boolean } {
  const f = file ?? process.env.WARDEN_CONFIG;
  if (f !== undefined && f !== '')
    return { config: lockFileBesideConfig(loadConfigFile(f), f), embedded: false };
  return { config: embeddedDefault(), embedded: true };
}

async function runStart(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' } },
    strict: true,
  });
  const { config, embedded } = configFrom(values.config);
  const log = createLogger(config.log.level);
  // A promise nobody awaited must not take the gateway down for every other client: log it, keep serving.
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: String(reason) }));
  const w = await startWarden(config, { embedded, log });
  const lines = [`Warden ${VERSION} listening on ${w.url}`, `  aggregate endpoint: ${w.url}/mcp`];
  for (const name of Object.keys(config.servers)) lines.push(`  ${name}: ${w.url}/mcp/${name}`);
  lines.push(`  audit log: ${w.compiled.dataDir}/${config.audit.file}`);
  if (config.auth.mode === 'none') {
    lines.push(
      '',
      '  !!! WARNING: authentication is OFF (auth.mode: none). Anyone who can reach this loopback',
      '  !!! port can use every configured server.',
    );
  } else if (config.auth.mode === 'local') {
    const cfgArg = values.config !== undefined ? ` --config ${values.config}` : '';
    lines.push(
      '',
      '  Authentication: every request needs a bearer token from the local issuer. Get one with',
      `    warden token${cfgArg} --sub <your-name> [--endpoint /mcp/<server>]`,
      `  (from a source checkout: npm run --silent token --${cfgArg} --sub <your-name>)`,
      '  and send it as `Authorization: Bearer <token>` (tokens are bound to one endpoint).',
    );
  } else {
    lines.push('', `  Authentication: ${config.auth.mode} tokens from ${config.auth.issuer ?? '(issuer)'}`);
  }
  if (embedded)
    lines.push('', '  Running the embedded default (no config file): the bundled demo notes server.');
  process.stderr.write(lines.join('\n') + '\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.stderr.write('warden: shutting down\n');
      void w.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

async function runStdio(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  if (dash === -1 || dash === argv.length - 1) {
    process.stderr.write('usage: warden stdio [--config FILE] [--env NAME]... -- COMMAND [ARGS...]\n');
    return 2;
  }
  const { values } = parseArgs({
    args: argv.slice(0, dash),
    options: { config: { type: 'string', short: 'c' }, env: { type: 'string', multiple: true } },
    strict: true,
  });
  const [command, ...args] = argv.slice(dash + 1) as [string, ...string[]];
  const file = values.config ?? process.env.WARDEN_CONFIG;
  const base = file !== undefined && file !== '' ? loadConfigFile(file) : configSchema.parse({});
  const name =
    (command.split(/[\\/]/).pop() ?? 'stdio')
      .replace(/[^A-Za-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32) || 'stdio';
  const inherit = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', ...(values.env ?? [])];
  const config = configSchema.parse({
    ...base,
    servers: { [name]: { command, args, inheritEnv: inherit } },
  });
  const log = createLogger(config.log.level);
  await startStdioFront(config, log);
  return 0;
}

/** Runs the CLI with arguments (without node and script); resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start':
        return await runStart(rest);
      case 'stdio':
        return await runStdio(rest);
      case 'check-config':
        return await runCheckConfig(rest);
      case 'scan':
        return await runScan(rest);
      case 'token':
        return await runToken(rest, configFrom);
      case 'policy':
        return await runPolicy(rest, configFrom);
      case 'approvals':
        return await runApprovals(rest);
      case 'elevate':
        return await runElevate(rest);
      case 'pins':
        return await runPins(rest);
      case 'inspect':
        return await runInspect(rest);
      case '--version':
      case '-v':
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(HELP);
        return 0;
      default:
        process.stderr.write(`warden: unknown command '${cmd}'\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    return fail(err);
  }
}

// Run when executed as the `warden` binary (not when imported by tests).
if (
  process.argv[1] !== undefined &&
  existsSync(process.argv[1]) &&
  import.meta.url.endsWith('/cli/main.js')
) {
  const code = await run(process.argv.slice(2));
  process.exitCode = code;
}
