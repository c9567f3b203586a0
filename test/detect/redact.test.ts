/**
 * Redaction: spans replaced by `[REDACTED:<rule>]`, overlaps merged, out-of-range spans clamped,
 * and end to end the secret and personal data no longer appear in the redacted text.
 */
import { describe, expect, it } from 'vitest';
import { detectPii } from '../../src/detect/pii.js';
import { redactText } from '../../src/detect/redact.js';
import { detectSecrets } from '../../src/detect/secrets.js';
import type { Finding } from '../../src/detect/types.js';
import { presetSamples } from './samples.js';

const f = (rule: string, start: number, end: number): Finding => ({
  rule,
  kind: 'secret',
  severity: 'high',
  start,
  end,
  evidence: '',
});

describe('redactText', () => {
  it('replaces each span with a marker naming the rule', () => {
    expect(redactText('key=abc123 mail=x@y.z', [f('secret.a', 4, 10), f('pii.email', 16, 21)])).toBe(
      'key=[REDACTED:secret.a] mail=[REDACTED:pii.email]',
    );
  });
  it('merges overlapping and touching spans, in any order', () => {
    expect(redactText('0123456789', [f('b', 5, 8), f('a', 2, 6), f('c', 8, 9)])).toBe('01[REDACTED:a]9');
  });
  it('clamps spans to the text and ignores empty ones', () => {
    expect(redactText('abc', [f('x', -5, 1), f('y', 2, 2), f('z', 2, 99)])).toBe('[REDACTED:x]b[REDACTED:z]');
    expect(redactText('abc', [])).toBe('abc');
  });
  it('end to end: no preset sample secret survives redaction', () => {
    for (const s of presetSamples(5)) {
      const text = `before ${s.text} after`;
      const out = redactText(text, detectSecrets(text));
      // A span two rules both name (an x-oauth-basic URL is also URL credentials) gets one marker.
      expect(detectSecrets(text).map((x) => x.rule)).toContain(s.wardenRule);
      expect(out).toMatch(/\[REDACTED:secret\.[a-z0-9-]+\]/);
      expect(out).not.toContain(s.secret.slice(-10));
      expect(out.startsWith('before ')).toBe(true);
    }
  });
  it('end to end: personal data redacted, the rest kept', () => {
    const text = 'Call +1 415 555 0134 or mail jane.doe@example.org; card 4111 1111 1111 1111.';
    expect(redactText(text, detectPii(text))).toBe(
      'Call [REDACTED:pii.phone] or mail [REDACTED:pii.email]; card [REDACTED:pii.payment-card].',
    );
  });
  it('is linear on many findings', () => {
    const text = 'x'.repeat(1_000_000);
    const many = Array.from({ length: 200_000 }, (_, i) => f('r', i * 5, i * 5 + 2));
    const t0 = performance.now();
    const out = redactText(text, many);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(out.split('[REDACTED:r]').length - 1).toBe(200_000);
  });
});
