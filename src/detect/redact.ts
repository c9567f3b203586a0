/**
 * Redaction (issue 5): replaces the spans of findings with a marker naming the rule, so the text
 * that reaches a client or a log keeps its shape but not the value.
 */
import type { Finding } from './types.js';

/**
 * `text` with each finding's span replaced by `[REDACTED:<rule>]`. Overlapping or touching spans
 * merge into one marker (named after the finding that starts first, the longest on a tie); spans
 * are clamped to the text and empty ones ignored. Findings may come in any order. Linear after
 * sorting the findings.
 */
export function redactText(text: string, findings: readonly Finding[]): string {
  const spans = findings
    .map((f) => ({ start: Math.max(0, f.start), end: Math.min(text.length, f.end), rule: f.rule }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  if (spans.length === 0) return text;
  const parts: string[] = [];
  let at = 0;
  let i = 0;
  while (i < spans.length) {
    const first = spans[i]!;
    let end = first.end;
    i++;
    while (i < spans.length && spans[i]!.start <= end) end = Math.max(end, spans[i++]!.end);
    parts.push(text.slice(at, first.start), `[REDACTED:${first.rule}]`);
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
