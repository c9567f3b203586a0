/**
 * The vocabulary every detector shares (DESIGN §7: `src/detect/` holds pure detectors, data in,
 * findings out; it imports nothing but itself). Text detectors (injection, secrets, personal data,
 * invisible characters, command arguments) and the definition scanner all report `Finding`s.
 */

/** How bad a finding is; ordered low < medium < high < critical. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Severities from least to most severe, for comparisons (`SEVERITIES.indexOf`). */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** True when `a` is at least as severe as `b`. */
export function atLeast(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b);
}

/** The families of findings; actions in config are chosen per family and direction. */
export type FindingKind =
  | 'injection'
  | 'secret'
  | 'pii'
  | 'invisible'
  | 'ansi'
  | 'command'
  | 'poisoning'
  | 'shadowing'
  | 'exfiltration'
  | 'encoded'
  | 'length';

/** One thing a detector found, with the span of the text that shows it. */
export interface Finding {
  /** Stable rule id, e.g. `injection.ignore-previous`, `secret.aws-access-key`, `pii.iban`. */
  readonly rule: string;
  readonly kind: FindingKind;
  readonly severity: Severity;
  /** Start offset (UTF-16 code units) of the evidence in the scanned text. */
  readonly start: number;
  /** End offset (exclusive). */
  readonly end: number;
  /**
   * The evidence, at most 120 characters; for secrets and personal data a masked form (never the
   * value itself), so findings can be logged and audited.
   */
  readonly evidence: string;
  /** Where in a structured input the text was (e.g. `tools[3].inputSchema.properties.x.description`). */
  readonly path?: string;
  /** Detector score in [0, 1] where the detector has one (prompt injection). */
  readonly score?: number;
}

/** The most severe of some findings, or undefined for none. */
export function worst(findings: readonly Finding[]): Severity | undefined {
  let best = -1;
  for (const f of findings) best = Math.max(best, SEVERITIES.indexOf(f.severity));
  return best < 0 ? undefined : SEVERITIES[best];
}
