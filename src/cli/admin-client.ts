/**
 * The admin API client shared by `warden approvals`, `warden elevate` and `warden pins`: where the
 * API is (`--admin URL`, default http://127.0.0.1:8788), the bearer token (`--token T` or
 * WARDEN_ADMIN_TOKEN), one JSON call that turns refusals into a readable line, and the command-line
 * frame every one of those commands runs in.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** Default admin API base URL (the `admin` config defaults). */
export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8788';

/** Options every admin command takes, for `node:util.parseArgs`. */
export const ADMIN_OPTIONS = {
  admin: { type: 'string', default: DEFAULT_ADMIN_URL },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** Where and as whom to call the admin API. */
export interface AdminTarget {
  readonly base: string;
  readonly token: string;
}

/** A refusal or failure already explained to the user; the command exits 1. */
export class AdminCallFailed extends Error {
  override readonly name = 'AdminCallFailed';
}

/** The target from parsed options and the environment; throws AdminCallFailed without a token. */
export function adminTarget(values: { admin: string; token?: string | undefined }): AdminTarget {
  const token = values.token ?? process.env.WARDEN_ADMIN_TOKEN ?? '';
  if (token === '') throw new AdminCallFailed('a bearer token is needed: --token T or WARDEN_ADMIN_TOKEN');
  let base: URL;
  try {
    base = new URL(values.admin);
  } catch {
    throw new AdminCallFailed(`--admin ${JSON.stringify(values.admin)} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new AdminCallFailed('--admin must be an http or https URL');
  return { base: base.href.replace(/\/+$/, ''), token };
}

/** Calls the admin API; resolves with the JSON answer or throws AdminCallFailed with the server's code. */
export async function adminCall(
  target: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(`${target.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      redirect: 'error',
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } }).cause?.code;
    throw new AdminCallFailed(
      `cannot reach the admin API at ${target.base} (${typeof cause === 'string' ? cause : String(err)}); is admin.enabled set?`,
    );
  }
  let doc: unknown;
  try {
    doc = await res.json();
  } catch {
    throw new AdminCallFailed(`the admin API answered ${res.status} without JSON`);
  }
  if (typeof doc !== 'object' || doc === null) throw new AdminCallFailed(`unexpected answer (${res.status})`);
  const d = doc as Record<string, unknown>;
  if (!res.ok) {
    const e = (typeof d.error === 'object' && d.error !== null ? d.error : {}) as Record<string, unknown>;
    const code = typeof e.code === 'string' ? e.code : String(res.status);
    const message = typeof e.message === 'string' ? e.message : 'refused';
    throw new AdminCallFailed(`${code}: ${message}`);
  }
  return d;
}

/** Parses a duration such as `900`, `90s`, `30m`, `8h` or `1d` into seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  if (m === null) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

/** Runs one admin command body, printing AdminCallFailed as `warden: …` and resolving to the exit code. */
export async function runAdminCommand(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof AdminCallFailed) {
      process.stderr.write(`warden: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

type ExtraOptions = NonNullable<ParseArgsConfig['options']>;

/** The parsed option values of an admin command that takes `O` besides ADMIN_OPTIONS. */
export type AdminValues<O extends ExtraOptions> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: typeof ADMIN_OPTIONS & O;
    allowPositionals: true;
    strict: true;
  }>
>['values'];

/** One parsed admin command line: `warden <command> SUB [ID] [EXTRA…] [options]`. */
export interface AdminCommandLine<V> {
  /** The subcommand (first positional), if any. */
  readonly sub: string | undefined;
  /** The second positional (usually an id), if any. */
  readonly id: string | undefined;
  /** Any positionals after the id. */
  readonly extra: readonly string[];
  /** The parsed options. */
  readonly values: V;
  /** Writes text to the command's output. */
  readonly out: (text: string) => void;
  /** Writes a document as indented JSON (the `--json` form). */
  readonly printJson: (doc: unknown) => void;
  /** Writes a decision's outcome: the JSON answer with `--json`, else `ID: outcome`. */
  readonly printOutcome: (id: string, doc: Record<string, unknown>) => void;
}

/**
 * Runs an admin command line: parses `argv` strictly with ADMIN_OPTIONS plus `options`, hands the
 * parts to `body`, and resolves to its exit code. A body that resolves `undefined` did not match
 * a subcommand: the usage line is printed and the exit code is 1, as for any AdminCallFailed.
 */
export function runAdminCommandLine<O extends ExtraOptions>(
  argv: string[],
  out: (text: string) => void,
  usage: string,
  options: O,
  body: (cmd: AdminCommandLine<AdminValues<O>>) => Promise<number | undefined>,
): Promise<number> {
  return runAdminCommand(async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...ADMIN_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    const [sub, id, ...extra] = positionals;
    const printJson = (doc: unknown): void => out(JSON.stringify(doc, null, 2) + '\n');
    // The generic spread hides ADMIN_OPTIONS' `json` from the checker here; parseArgs always sets it.
    const json = (values as { json?: boolean }).json === true;
    const code = await body({
      sub,
      id,
      extra,
      values,
      out,
      printJson,
      printOutcome: (shownId, doc) => {
        if (json) printJson(doc);
        else out(`${shownId}: ${String(doc.outcome)}\n`);
      },
    });
    if (code === undefined) throw new AdminCallFailed(`usage: ${usage}`);
    return code;
  });
}
