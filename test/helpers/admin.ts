/**
 * Calls to a running Warden's admin API as an approver, with a token from the test issuer (the
 * admin audience is `<warden url>/admin`).
 */
import type { RunningWarden } from '../../src/server.js';
import { runCli } from './cli.js';
import type { CliRun } from './cli.js';

/** What signs the approver's access token (the test issuer). */
export interface AdminSigner {
  sign(claims: Record<string, unknown>): Promise<string>;
}

/**
 * Sends `method route` to `w`'s admin listener as `sub` with the approver role, and returns the
 * status and the parsed JSON answer; `J` is the shape the test reads it as.
 */
export async function adminApi<J = Record<string, unknown>>(
  issuer: AdminSigner,
  w: RunningWarden,
  method: 'GET' | 'POST',
  route: string,
  sub = 'rita',
): Promise<{ status: number; json: J }> {
  const token = await issuer.sign({ sub, aud: `${w.url}/admin`, roles: ['approver'] });
  const res = await fetch(`${w.admin?.url ?? ''}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, json: (await res.json()) as J };
}

/** Runs the `warden` CLI against `w`'s admin API (`--admin`, `--token`) as approver `sub`. */
export async function runAdminCli(
  issuer: AdminSigner,
  w: RunningWarden,
  args: readonly string[],
  sub = 'rita',
): Promise<CliRun> {
  const token = await issuer.sign({ sub, aud: `${w.url}/admin`, roles: ['approver'] });
  return runCli([...args, '--admin', w.admin?.url ?? '', '--token', token]);
}
