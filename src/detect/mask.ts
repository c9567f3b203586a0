/**
 * Masked evidence for secrets and personal data: findings are logged and audited, so their
 * evidence shows what kind of value was seen and how long it was, never the value itself.
 */

/** Longest public prefix a mask keeps (e.g. `sk-ant-api03-`), in characters. */
const MAX_KEEP = 13;

/**
 * `value` masked as `<prefix>…[<length>]`: keeps at most `keep` leading characters (a format's
 * public prefix such as `AKIA` or `ghp_`), never more than a third of the value and never more
 * than 13, so the secret part is never shown.
 */
export function maskValue(value: string, keep = 0): string {
  const k = Math.max(0, Math.min(keep, MAX_KEEP, Math.floor(value.length / 3)));
  return `${value.slice(0, k)}…[${value.length}]`;
}

/** `value` masked keeping only its last `tail` characters (card numbers: the last four). */
export function maskTail(value: string, tail: number): string {
  const t = Math.max(0, Math.min(tail, Math.floor(value.length / 3)));
  return `…${t > 0 ? value.slice(-t) : ''}[${value.length}]`;
}
