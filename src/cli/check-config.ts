/**
 * `warden check-config FILE`: validates a configuration file the way start-up does (YAML, schema,
 * then compile-time rules) and reports every problem as `<path>: <message>`. The report never
 * contains a secret value: secret references are printed as written, plain env values are not
 * printed at all, and with `--resolve-secrets` a reference (env, file or Key Vault) is only checked
 * for resolvability: its value is read and thrown away.
 */
import { readFileSync } from 'node:fs';
import { compile } from '../config/compile.js';
import { parseConfigText } from '../config/load.js';
import type { ConfigProblem } from '../config/load.js';
import { isStdioServer } from '../config/schema.js';
import type { Config } from '../config/schema.js';
import { WardenError } from '../core/errors.js';
import { secretRefPaths, tryResolveSecrets } from '../secrets/index.js';
import type { SecretRefAt } from '../secrets/index.js';

/** Options of `checkConfig`. */
export interface CheckConfigOptions {
  /** Also check that every secret reference resolves (its value is read and discarded). */
  readonly resolveSecrets?: boolean;
  /** Environment used to resolve `env:` references (and the managed-identity variables); defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory that relative paths are resolved against; defaults to the working directory. */
  readonly cwd?: string;
}

/** The result of checking one file: `ok` and a human-readable report (ends with a newline). */
export interface CheckConfigResult {
  readonly ok: boolean;
  readonly text: string;
}

/** Output streams of `runCheckConfig`; default to the process's. */
export interface CheckConfigIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

/** Control and line-separator characters are shown escaped, so a file cannot forge report lines. */
function clean(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function isProblemList(value: unknown): value is ConfigProblem[] {
  return (
    Array.isArray(value) &&
    value.every(
      (p): p is ConfigProblem =>
        typeof p === 'object' &&
        p !== null &&
        typeof (p as Record<string, unknown>).path === 'string' &&
        typeof (p as Record<string, unknown>).message === 'string',
    )
  );
}

function readProblem(file: string, err: unknown): ConfigProblem {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'is a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (code ?? 'unreadable');
  return { path: file, message: `cannot read the file: ${reason}` };
}

/** Compile-time rules (combinations the schema alone cannot express). */
function compileProblems(config: Config, cwd: string | undefined): ConfigProblem[] {
  try {
    compile(config, cwd === undefined ? {} : { cwd });
    return [];
  } catch (err) {
    if (err instanceof WardenError && err.code === 'ERR_CONFIG_INVALID') {
      const problems = err.data?.problems;
      return isProblemList(problems) && problems.length > 0
        ? problems
        : [{ path: '(config)', message: err.message }];
    }
    if (err instanceof WardenError) return [{ path: '(config)', message: `${err.code}: ${err.message}` }];
    return [{ path: '(config)', message: err instanceof Error ? err.message : String(err) }];
  }
}

/** Resolves each reference (Key Vault too) and throws the values away; failures become problems naming only the reference. */
async function secretProblems(
  config: Config,
  refs: SecretRefAt[],
  env: NodeJS.ProcessEnv,
): Promise<ConfigProblem[]> {
  const { failures } = await tryResolveSecrets(
    config,
    refs.map((r) => r.ref),
    { env },
  );
  const out: ConfigProblem[] = [];
  for (const { path, ref } of refs) {
    // tryResolveSecrets' errors name the reference only, never a value or a response body.
    const err = failures.get(ref);
    if (err !== undefined) out.push({ path, message: err.message });
  }
  return out;
}

/** One summary line per server: its transport and (by reference only) its secrets. */
function serverLines(config: Config): string[] {
  const lines: string[] = [];
  const refs = secretRefPaths(config);
  for (const [name, server] of Object.entries(config.servers)) {
    let line: string;
    if (isStdioServer(server)) {
      // The command is shown, not its arguments or literal env values: those may hold things an
      // operator did not mean to print.
      line = `  ${name}: stdio, command ${JSON.stringify(server.command)}`;
      const own = refs.filter((r) => r.path.startsWith(`servers.${name}.env.`));
      if (own.length > 0) {
        line += `, secrets ${own.map((r) => `${r.path.slice(`servers.${name}.env.`.length)}=${r.ref}`).join(', ')}`;
      }
    } else {
      // Origin only: userinfo, path and query of a URL can carry credentials.
      line = `  ${name}: http, ${URL.canParse(server.url) ? new URL(server.url).origin : 'url'}`;
    }
    lines.push(line);
  }
  return lines;
}

/** Reads, parses, validates and compiles; every problem found along the way. */
async function collect(
  file: string,
  opts: CheckConfigOptions,
): Promise<{ config: Config | undefined; problems: ConfigProblem[] }> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    return { config: undefined, problems: [readProblem(file, err)] };
  }
  const parsed = parseConfigText(source);
  if (parsed.config === undefined) return parsed;
  const problems = compileProblems(parsed.config, opts.cwd);
  if (opts.resolveSecrets === true)
    problems.push(
      ...(await secretProblems(parsed.config, secretRefPaths(parsed.config), opts.env ?? process.env)),
    );
  return { config: parsed.config, problems };
}

/**
 * Checks one configuration file: YAML syntax, the schema (every problem at once), then the rules
 * compile() enforces. `text` lists every problem as `<path>: <message>` lines, or starts with
 * `ok: <file> is valid (<n> servers: names…)`. No secret value ever appears in it.
 */
export async function checkConfig(file: string, opts: CheckConfigOptions = {}): Promise<CheckConfigResult> {
  const { config, problems } = await collect(file, opts);
  if (config === undefined || problems.length > 0) {
    const head = `invalid: ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'})`;
    return {
      ok: false,
      text: [head, ...problems.map((p) => `${p.path}: ${p.message}`)].map(clean).join('\n') + '\n',
    };
  }
  const names = Object.keys(config.servers);
  const count = `${names.length} server${names.length === 1 ? '' : 's'}`;
  const head = `ok: ${file} is valid (${names.length > 0 ? `${count}: ${names.join(', ')}` : count})`;
  return { ok: true, text: [head, ...serverLines(config)].map(clean).join('\n') + '\n' };
}

const USAGE = 'usage: warden check-config [--resolve-secrets] FILE\n';

/**
 * CLI entry for `warden check-config`: `argv` holds the arguments after the subcommand. Writes the
 * report to stdout when valid and to stderr when not. Resolves to the exit code: 0 valid, 1 invalid,
 * 2 usage error.
 */
export async function runCheckConfig(argv: string[], io: CheckConfigIo = process): Promise<number> {
  let resolveSecrets = false;
  const files: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (rest || !arg.startsWith('-') || arg === '-') files.push(arg);
    else if (arg === '--') rest = true;
    else if (arg === '--resolve-secrets') resolveSecrets = true;
    else if (arg === '-h' || arg === '--help') {
      io.stdout.write(USAGE);
      return 0;
    } else {
      io.stderr.write(`warden check-config: unknown option ${clean(arg)}\n${USAGE}`);
      return 2;
    }
  }
  const file = files[0];
  if (file === undefined || files.length > 1) {
    io.stderr.write(
      `warden check-config: ${file === undefined ? 'no file given' : 'exactly one file expected'}\n${USAGE}`,
    );
    return 2;
  }
  const result = await checkConfig(file, { resolveSecrets });
  (result.ok ? io.stdout : io.stderr).write(result.text);
  return result.ok ? 0 : 1;
}
