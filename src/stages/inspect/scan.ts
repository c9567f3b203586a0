/**
 * One string through the local detectors and the configured actions: invisible characters and
 * ANSI escapes first (stripped unless the action says otherwise, so the other detectors see the
 * text the model would), then prompt injection, secrets and personal data, and command-argument
 * checks where configured. Pure: the text in, the text to deliver and what was found out.
 */
import type { AuditFinding } from '../../core/exchange.js';
import type { Finding } from '../../detect/types.js';
import type { LocalDetectors } from './detectors.js';

/** Which way the payload flows: client→server (`arguments`) or server→client (`results`). */
export type Direction = 'arguments' | 'results';

/** What a finding does. */
export type Action = 'block' | 'redact' | 'mark' | 'log';

/** Actions per finding kind for one direction. */
export interface DirectionActions {
  readonly injection: Action;
  readonly secret: Action;
  readonly pii: Action;
  readonly invisible: Action;
  readonly ansi: Action;
  /** Arguments only. */
  readonly command?: Action;
}

/** Settings of one scan. */
export interface ScanOptions {
  readonly direction: Direction;
  readonly actions: DirectionActions;
  /** Injection score at or above which `actions.injection` applies. */
  readonly threshold: number;
  /** What an injection finding below the threshold (at or above `markAt`) does. */
  readonly below: Action;
  /** Injection score below which findings are only logged. */
  readonly markAt: number;
  /** Run the command-argument checks on this string. */
  readonly command: boolean;
  readonly path: string;
}

/** What one scan found and decided. */
export interface ScanResult {
  /** The text to deliver (sanitised and redacted as the actions say). */
  readonly text: string;
  /** For the audit record. */
  readonly findings: AuditFinding[];
  /** Rule ids whose action is block. */
  readonly blocked: string[];
  /** Rule ids whose action is mark. */
  readonly marked: string[];
  /** Secret and personal-data findings left in `text` (not redacted): what classification sees. */
  readonly kept: Finding[];
  /** Secret and personal-data findings that were redacted. */
  readonly redacted: Finding[];
}

function audited(f: Finding, direction: Direction, action: Action, path: string): AuditFinding {
  return {
    rule: f.rule,
    kind: f.kind,
    severity: f.severity,
    direction,
    action,
    evidence: f.evidence.slice(0, 120),
    ...(f.score !== undefined ? { score: f.score } : {}),
    path: f.path === undefined ? path : `${path}:${f.path}`,
  };
}

/** Scans one string. */
export function scanText(input: string, det: LocalDetectors, o: ScanOptions): ScanResult {
  const findings: AuditFinding[] = [];
  const blocked: string[] = [];
  const marked: string[] = [];
  const note = (f: Finding, action: Action): void => {
    findings.push(audited(f, o.direction, action, o.path));
    if (action === 'block') blocked.push(f.rule);
    else if (action === 'mark') marked.push(f.rule);
  };

  let text = input;
  det.prepare?.(text);
  const { invisible, ansi } =
    det.controls !== undefined
      ? det.controls(text)
      : { invisible: det.invisible(text), ansi: det.ansi(text) };
  for (const f of invisible) note(f, o.actions.invisible);
  for (const f of ansi) note(f, o.actions.ansi);
  const strip =
    (invisible.length > 0 && o.actions.invisible !== 'log') || (ansi.length > 0 && o.actions.ansi !== 'log');
  if (strip) text = det.sanitize(text);

  const toRedact: Finding[] = [];
  const kept: Finding[] = [];
  const redacted: Finding[] = [];
  const apply = (f: Finding, action: Action): void => {
    note(f, action);
    if (action === 'redact') toRedact.push(f);
  };

  const inj = det.injection(text, o.direction === 'arguments' ? 'argument' : 'result');
  if (inj.findings.length > 0) {
    const action = inj.score >= o.threshold ? o.actions.injection : inj.score >= o.markAt ? o.below : 'log';
    for (const f of inj.findings) apply(f.score === undefined ? { ...f, score: inj.score } : f, action);
  }
  for (const f of det.secrets(text)) {
    apply(f, o.actions.secret);
    (o.actions.secret === 'redact' ? redacted : kept).push(f);
  }
  for (const f of det.pii(text)) {
    apply(f, o.actions.pii);
    (o.actions.pii === 'redact' ? redacted : kept).push(f);
  }
  if (o.command && o.actions.command !== undefined)
    for (const f of det.command(text)) apply(f, o.actions.command);
  // The pass over this text is not kept for the next message (nor the text with it).
  det.release?.();

  if (toRedact.length > 0) text = det.redact(text, toRedact);
  return { text, findings, blocked, marked, kept, redacted };
}
