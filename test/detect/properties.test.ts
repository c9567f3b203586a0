/**
 * Properties of the secret, personal-data, sanitising, command and redaction detectors over
 * generated inputs (fast-check): they never throw, spans lie inside the text, evidence stays within
 * 120 characters, sanitised text has nothing left to report, and redaction removes every reported
 * value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectCommandArgs } from '../../src/detect/command.js';
import { detectPii } from '../../src/detect/pii.js';
import { redactText } from '../../src/detect/redact.js';
import { detectSecrets } from '../../src/detect/secrets.js';
import type { Finding } from '../../src/detect/types.js';
import { detectAnsi, detectInvisible, sanitizeText } from '../../src/detect/unicode.js';

/** Text built from pieces the detectors care about, mixed with arbitrary Unicode. */
const pieces = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.constantFrom(
    '\u001b[',
    '\u001b]',
    '\u0007',
    '\u001b\\',
    '\u009b',
    '\u200b',
    '\u200d',
    '\u202e',
    '\u2066',
    '\ufe0f',
    '\u{e0041}',
    '\u{e0100}',
    '\u00ad',
    '\r',
    '\n',
    '\t',
    '@',
    'a@example.org',
    '4111 1111 1111 1111',
    '123-45-6789',
    '+1 415 555 0134',
    'DE89 3704 0044 0532 0130 00',
    '10.0.0.1',
    '::1',
    'ghp_',
    'AKIA',
    'password=',
    'token: ',
    '-----BEGIN ',
    'https://u:p@',
    'eyJ',
    '../',
    '%2e%2e%2f',
    '~/.ssh/id_rsa',
    ';',
    '$(',
  ),
);
const texts = fc.array(pieces, { maxLength: 40 }).map((a) => a.join(''));

function wellFormed(text: string, findings: readonly Finding[]): void {
  for (const f of findings) {
    expect(f.start).toBeGreaterThanOrEqual(0);
    expect(f.end).toBeGreaterThan(f.start);
    expect(f.end).toBeLessThanOrEqual(text.length);
    expect(f.evidence.length).toBeLessThanOrEqual(120);
  }
}

describe('detector properties', () => {
  it('never throw; spans inside the text; evidence within 120 characters', () => {
    fc.assert(
      fc.property(texts, (t) => {
        for (const d of [detectSecrets, detectPii, detectAnsi, detectInvisible, detectCommandArgs])
          wellFormed(t, d(t));
      }),
      { numRuns: 400 },
    );
  });

  it('sanitizeText leaves nothing for detectAnsi or detectInvisible, and is idempotent', () => {
    fc.assert(
      fc.property(texts, (t) => {
        const s = sanitizeText(t);
        expect(detectAnsi(s)).toEqual([]);
        expect(detectInvisible(s)).toEqual([]);
        expect(sanitizeText(s)).toBe(s);
        expect(s.length).toBeLessThanOrEqual(t.length);
      }),
      { numRuns: 400 },
    );
  });

  it('redaction removes every reported secret and personal-data value', () => {
    fc.assert(
      fc.property(texts, (t) => {
        const findings = [...detectSecrets(t), ...detectPii(t)];
        const out = redactText(t, findings);
        for (const f of findings) {
          const value = t.slice(f.start, f.end);
          // A value that occurs once in the text must be gone after redaction.
          if (value.length >= 4 && t.indexOf(value) === t.lastIndexOf(value) && !'[REDACTED:'.includes(value))
            expect(out.includes(value), `${f.rule} ${JSON.stringify(value)}`).toBe(false);
        }
        expect(redactText(t, [])).toBe(t);
      }),
      { numRuns: 300 },
    );
  });
});
