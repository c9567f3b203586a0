/**
 * `warden approvals list|approve ID|deny ID`: the approval queue through the admin API.
 */
import { adminCall, adminTarget, runAdminCommandLine } from './admin-client.js';

/** Usage line of the command. */
export const APPROVALS_USAGE = 'warden approvals list|approve ID|deny ID [--admin URL] [--token T] [--json]';

interface Shown {
  id?: unknown;
  subject?: unknown;
  principal?: unknown;
  server?: unknown;
  tool?: unknown;
  rule?: unknown;
  expires?: unknown;
  argsRedacted?: unknown;
}

/** Runs `warden approvals`; resolves to the exit code. */
export function runApprovals(
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  return runAdminCommandLine(
    argv,
    out,
    APPROVALS_USAGE,
    {},
    async ({ sub, id, extra, values, printJson, printOutcome }) => {
      const target = adminTarget(values);
      if (sub === 'list' && id === undefined) {
        const doc = await adminCall(target, 'GET', '/approvals');
        const items = Array.isArray(doc.approvals) ? (doc.approvals as Shown[]) : [];
        if (values.json) printJson(items);
        else if (items.length === 0) out('no calls are waiting for approval\n');
        else
          for (const a of items)
            out(
              `${String(a.id)}  ${String(a.subject)} (${String(a.principal)})  ${String(a.server)}/${String(a.tool)}  rule ${String(a.rule)}  expires ${String(a.expires)}\n    args ${JSON.stringify(a.argsRedacted)}\n`,
            );
        return 0;
      }
      if ((sub === 'approve' || sub === 'deny') && id !== undefined && extra.length === 0) {
        printOutcome(id, await adminCall(target, 'POST', `/approvals/${encodeURIComponent(id)}/${sub}`));
        return 0;
      }
      return undefined;
    },
  );
}
