/**
 * The admin API client shared by `warden approvals` and `warden elevate`: where the API is
 * (`--admin URL`, default http://127.0.0.1:8788), the bearer token (`--token T` or
 * WARDEN_ADMIN_TOKEN), and one JSON call that turns refusals into a readable line.
 */

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
