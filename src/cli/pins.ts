/**
 * `warden pins list|diff [ID]|approve ID|reject ID|lock [--out FILE]`: pinned definitions and
 * pending changes through the admin API (docs/integrity.md). `lock` writes the lock file a
 * reviewer commits: every approved pin, sorted, with its hash and definition.
 */
import { writeFileSync } from 'node:fs';
import { adminCall, adminTarget, runAdminCommandLine } from './admin-client.js';
import type { AdminTarget } from './admin-client.js';

/** Usage line of the command. */
export const PINS_USAGE =
  'warden pins list|diff [ID]|approve ID|reject ID|lock [--out FILE] [--admin URL] [--token T] [--json]';

interface ChangeView {
  id?: unknown;
  server?: unknown;
  kind?: unknown;
  name?: unknown;
  change?: unknown;
  status?: unknown;
  detectedAt?: unknown;
  oldHash?: unknown;
  newHash?: unknown;
  diff?: unknown;
  findings?: unknown;
  decidedBy?: unknown;
}

const label = (c: ChangeView): string =>
  `${String(c.server)} ${String(c.kind)}${c.kind === 'server' ? ' identity' : ` ${String(c.name)}`}`;

const short = (h: unknown): string => (typeof h === 'string' ? h.slice(0, 12) : '-');

async function showDiff(target: AdminTarget, id: string, out: (t: string) => void): Promise<void> {
  const doc = await adminCall(target, 'GET', `/pins/${encodeURIComponent(id)}`);
  const c = (doc.change ?? {}) as ChangeView;
  const by = typeof c.decidedBy === 'string' ? ` by ${c.decidedBy}` : '';
  out(
    `${String(c.id)}  ${label(c)}  ${String(c.change)}  ${String(c.status)}${by}  (${short(c.oldHash)} → ${short(c.newHash)})\n`,
  );
  out(`${String(c.diff)}\n`);
  const findings = Array.isArray(c.findings) ? (c.findings as Record<string, unknown>[]) : [];
  if (findings.length > 0) {
    out(`scanner findings (${findings.length}):\n`);
    for (const f of findings)
      out(
        `  ${String(f.severity)}  ${String(f.rule)}${typeof f.path === 'string' ? `  at ${f.path}` : ''}  ${JSON.stringify(f.evidence)}\n`,
      );
  }
}

/** Runs `warden pins`; resolves to the exit code. */
export function runPins(
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const options = { out: { type: 'string', default: 'warden.lock' } } as const;
  return runAdminCommandLine(
    argv,
    out,
    PINS_USAGE,
    options,
    async ({ sub, id, extra, values, printJson, printOutcome }) => {
      if (extra.length > 0) return undefined;
      const target = adminTarget(values);
      if (sub === 'list' && id === undefined) {
        const doc = await adminCall(target, 'GET', '/pins');
        if (values.json) {
          printJson(doc);
          return 0;
        }
        const pending = Array.isArray(doc.pending) ? (doc.pending as ChangeView[]) : [];
        const pins = Array.isArray(doc.pins) ? (doc.pins as ChangeView[]) : [];
        out(`${pins.length} approved pin(s); ${pending.length} change(s) waiting for review\n`);
        for (const c of pending)
          out(`${String(c.id)}  ${label(c)}  ${String(c.change)}  detected ${String(c.detectedAt)}\n`);
        if (pending.length > 0) out('see a change with `warden pins diff ID`\n');
        return 0;
      }
      if (sub === 'diff') {
        if (id !== undefined) {
          await showDiff(target, id, out);
          return 0;
        }
        const doc = await adminCall(target, 'GET', '/pins');
        const pending = Array.isArray(doc.pending) ? (doc.pending as ChangeView[]) : [];
        if (pending.length === 0) out('no changes are waiting for review\n');
        for (const c of pending) await showDiff(target, String(c.id), out);
        return 0;
      }
      if ((sub === 'approve' || sub === 'reject') && id !== undefined) {
        printOutcome(id, await adminCall(target, 'POST', `/pins/${encodeURIComponent(id)}/${sub}`));
        return 0;
      }
      if (sub === 'lock' && id === undefined) {
        const doc = await adminCall(target, 'GET', '/pins/lock');
        const pins = Array.isArray(doc.pins) ? doc.pins.length : 0;
        writeFileSync(values.out, JSON.stringify(doc, null, 2) + '\n', { mode: 0o644 });
        out(`wrote ${pins} pin(s) to ${values.out}\n`);
        return 0;
      }
      return undefined;
    },
  );
}
