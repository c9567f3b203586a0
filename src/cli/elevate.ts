/**
 * `warden elevate request|approve|deny|list`: just-in-time roles through the admin API.
 */
import {
  AdminCallFailed,
  adminCall,
  adminTarget,
  parseDuration,
  runAdminCommandLine,
} from './admin-client.js';

/** Usage line of the command. */
export const ELEVATE_USAGE =
  'warden elevate request --role R --for 30m --reason TEXT | approve ID | deny ID | list [--admin URL] [--token T] [--json]';

interface Shown {
  id?: unknown;
  principalKey?: unknown;
  role?: unknown;
  status?: unknown;
  until?: unknown;
  reason?: unknown;
}

function line(e: Shown): string {
  const until = typeof e.until === 'number' ? new Date(e.until).toISOString() : String(e.until);
  return `${String(e.id)}  ${String(e.status)}  ${String(e.principalKey)}  role ${String(e.role)}  until ${until}  reason ${JSON.stringify(e.reason)}\n`;
}

/** Runs `warden elevate`; resolves to the exit code. */
export function runElevate(
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const options = { role: { type: 'string' }, for: { type: 'string' }, reason: { type: 'string' } } as const;
  return runAdminCommandLine(
    argv,
    out,
    ELEVATE_USAGE,
    options,
    async ({ sub, id, extra, values, printJson }) => {
      const target = adminTarget(values);
      const show = (doc: Record<string, unknown>): void => {
        if (values.json) printJson(doc);
        else out(line(typeof doc.elevation === 'object' && doc.elevation !== null ? doc.elevation : {}));
      };
      if (sub === 'request' && id === undefined) {
        const durationSec = values.for === undefined ? undefined : parseDuration(values.for);
        if (values.role === undefined || durationSec === undefined || values.reason === undefined)
          throw new AdminCallFailed(
            `--role, --for (900, 90s, 30m, 8h, 1d) and --reason are required\nusage: ${ELEVATE_USAGE}`,
          );
        show(
          await adminCall(target, 'POST', '/elevations', {
            role: values.role,
            durationSec,
            reason: values.reason,
          }),
        );
        return 0;
      }
      if ((sub === 'approve' || sub === 'deny') && id !== undefined && extra.length === 0) {
        show(await adminCall(target, 'POST', `/elevations/${encodeURIComponent(id)}/${sub}`));
        return 0;
      }
      if (sub === 'list' && id === undefined) {
        const doc = await adminCall(target, 'GET', '/elevations');
        const items = Array.isArray(doc.elevations) ? (doc.elevations as Shown[]) : [];
        if (values.json) printJson(items);
        else if (items.length === 0) out('no elevations\n');
        else for (const e of items) out(line(e));
        return 0;
      }
      return undefined;
    },
  );
}
