/**
 * The combined text inspection `warden inspect` (and anything wanting one verdict per text) uses:
 * runs every local text detector over a text — prompt injection, secrets, personal data, invisible
 * characters, ANSI escapes, and for arguments command-argument checks — and decides one verdict.
 *
 * Verdict (thresholds documented in docs/detection.md):
 * - `block` when the injection score is ≥ {@link T_BLOCK}, or any other detector reports a `high`
 *   or `critical` finding;
 * - `flag` when the injection score is ≥ {@link T_FLAG}, or any other detector reports a finding
 *   (command-argument findings, kind `argument` only, never block by themselves);
 * - `pass` otherwise. Injection cues too weak to reach {@link T_FLAG} are still listed as findings
 *   (evidence for an operator) but do not change the verdict.
 */
import { detectInjection } from './injection.js';
import { detectCommandArgs } from './command.js';
import { detectPii } from './pii.js';
import { forgetPrescan, prescan } from './prescan.js';
import { detectSecrets } from './secrets.js';
import { detectControls } from './unicode.js';
import type { InjectionContext } from './injection.js';
import type { Finding } from './types.js';
import { atLeast } from './types.js';

export { detectInjection } from './injection.js';
export type { InjectionResult } from './injection.js';
export { detectSecrets } from './secrets.js';
export { classify, detectPii } from './pii.js';
export type { Classification } from './pii.js';
export { detectAnsi, detectControls, detectInvisible, safeIconUri, sanitizeText } from './unicode.js';
export { detectCommandArgs } from './command.js';
export { redactText } from './redact.js';

/** What a text is: a tool argument (client → server), a tool/resource result, or a definition description. */
export type TextKind = InjectionContext;

/** The outcome of {@link inspectText}. */
export interface TextVerdict {
  readonly verdict: 'block' | 'flag' | 'pass';
  /** The injection score in [0, 1] (other detectors report findings, not scores). */
  readonly score: number;
  /** Every finding of every detector, injection first. */
  readonly findings: Finding[];
}

/** Injection score at or above which a text is flagged (0.5). */
export const T_FLAG = 0.5;
/** Injection score at or above which a text is blocked (0.85). */
export const T_BLOCK = 0.85;

/** Runs every local text detector over `text` (kind defaults to `result`) and decides the verdict. */
export function inspectText(text: string, options?: { kind?: TextKind }): TextVerdict {
  const kind = options?.kind ?? 'result';
  prescan(text); // the single pass every detector below reads (prescan.ts)
  const inj = detectInjection(text, { kind });
  const controls = detectControls(text); // invisible characters and ANSI escapes in one scan
  const others: Finding[] = [
    ...detectSecrets(text),
    ...detectPii(text),
    ...controls.invisible,
    ...controls.ansi,
  ];
  forgetPrescan(); // not kept for the next text (nor this text with it)
  // Command-argument findings only flag: whether an argument reaches a shell or a file system is
  // the tool's business (the gateway applies them per tool); prose with a line break is not an attack.
  const command = kind === 'argument' ? detectCommandArgs(text) : [];
  const findings = [...inj.findings, ...others, ...command];
  let verdict: TextVerdict['verdict'] = 'pass';
  if (inj.score >= T_BLOCK || others.some((f) => atLeast(f.severity, 'high'))) verdict = 'block';
  else if (inj.score >= T_FLAG || others.length > 0 || command.length > 0) verdict = 'flag';
  return { verdict, score: inj.score, findings };
}
