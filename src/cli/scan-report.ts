/**
 * `warden scan` output: text for people, JSON for tools, SARIF 2.1.0 for GitHub code scanning
 * (rules with `security-severity`, results with a physical location relative to the working
 * directory and a stable partial fingerprint).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../detect/types.js';
import { SEVERITIES } from '../detect/types.js';
import { RULE_TEXT } from './scan-checks.js';
import type { ScanFinding } from './scan-checks.js';

/** Output formats of `warden scan`. */
export type ScanFormat = 'text' | 'json' | 'sarif';

/** What was scanned, for the report header. */
export interface ScanSummary {
  readonly configs: readonly { client: string; file: string; servers: number }[];
  readonly toolsFiles: readonly string[];
  readonly connected: readonly string[];
  readonly errors: readonly string[];
  readonly notes: readonly string[];
}

const SARIF_LEVEL: Readonly<Record<Severity, 'note' | 'warning' | 'error'>> = {
  low: 'note',
  medium: 'warning',
  high: 'error',
  critical: 'error',
};
// GitHub maps security-severity to its labels: > 9 critical, 7-8.9 high, 4-6.9 medium, < 4 low.
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  low: '3.0',
  medium: '5.5',
  high: '8.0',
  critical: '9.5',
};

function sorted(findings: readonly ScanFinding[]): ScanFinding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.rule.localeCompare(b.rule),
  );
}

/** The artifact URI of a file: relative to `cwd` when inside it, else a file: URI. */
export function artifactUri(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  return pathToFileURL(file).href;
}

function fingerprint(f: ScanFinding, uri: string): string {
  return createHash('sha256')
    .update([f.rule, uri, f.server ?? '', f.definition ?? '', f.path ?? '', f.evidence ?? ''].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

/** SARIF 2.1.0 log of the findings. */
export function sarif(
  findings: readonly ScanFinding[],
  version: string,
  cwd: string,
): Record<string, unknown> {
  const ruleIds = [...new Set(findings.map((f) => f.rule))].sort();
  // A rule's default level is its most severe result's level.
  const worstOf = (id: string): Severity =>
    findings
      .filter((f) => f.rule === id)
      .reduce<Severity>(
        (w, f) => (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(w) ? f.severity : w),
        'low',
      );
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'warden',
            version,
            informationUri: 'https://www.npmjs.com/package/mcp-warden',
            rules: ruleIds.map((id) => ({
              id,
              name: id.replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase()),
              shortDescription: { text: RULE_TEXT[id] ?? id },
              fullDescription: { text: RULE_TEXT[id] ?? id },
              defaultConfiguration: { level: SARIF_LEVEL[worstOf(id)] },
              properties: { 'security-severity': SECURITY_SEVERITY[worstOf(id)], tags: ['security', 'mcp'] },
            })),
          },
        },
        results: sorted(findings).map((f) => {
          const uri = artifactUri(f.file, cwd);
          return {
            ruleId: f.rule,
            ruleIndex: ruleIds.indexOf(f.rule),
            level: SARIF_LEVEL[f.severity],
            message: { text: f.evidence === undefined ? f.message : `${f.message}: ${f.evidence}` },
            locations: [
              { physicalLocation: { artifactLocation: { uri }, region: { startLine: Math.max(1, f.line) } } },
            ],
            partialFingerprints: { 'wardenFinding/v1': fingerprint(f, uri) },
            properties: {
              severity: f.severity,
              ...(f.server !== undefined ? { server: f.server } : {}),
              ...(f.definition !== undefined ? { definition: f.definition } : {}),
            },
          };
        }),
      },
    ],
  };
}

/** The report in the chosen format. */
export function report(
  format: ScanFormat,
  findings: readonly ScanFinding[],
  summary: ScanSummary,
  version: string,
  cwd: string,
): string {
  if (format === 'sarif') return JSON.stringify(sarif(findings, version, cwd), null, 2) + '\n';
  if (format === 'json') {
    const counts = Object.fromEntries(
      SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]),
    );
    return JSON.stringify({ version, ...summary, counts, findings: sorted(findings) }, null, 2) + '\n';
  }
  const lines: string[] = [];
  for (const c of summary.configs)
    lines.push(`scanned ${c.client} ${c.file} (${c.servers} server${c.servers === 1 ? '' : 's'})`);
  for (const t of summary.toolsFiles) lines.push(`scanned tools file ${t}`);
  for (const s of summary.connected) lines.push(`connected to ${s}`);
  for (const n of summary.notes) lines.push(`note: ${n}`);
  for (const e of summary.errors) lines.push(`error: ${e}`);
  if (lines.length > 0) lines.push('');
  for (const f of sorted(findings)) {
    const rel = path.relative(cwd, f.file);
    const where = rel.startsWith('..') || path.isAbsolute(rel) ? f.file : rel;
    lines.push(`${f.severity.toUpperCase().padEnd(8)} ${f.rule}  ${where}:${f.line}`);
    lines.push(`         ${f.message}`);
    if (f.evidence !== undefined) lines.push(`         evidence: ${f.evidence}`);
  }
  const n = (s: Severity): number => findings.filter((f) => f.severity === s).length;
  lines.push(
    `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${n('critical')} critical, ${n('high')} high, ${n('medium')} medium, ${n('low')} low`,
  );
  return lines.join('\n') + '\n';
}
