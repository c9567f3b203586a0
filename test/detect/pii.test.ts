/**
 * Personal data detector: each format is found in prose and in JSON with its separators, invalid
 * numbers (Luhn, IBAN check, SSN areas, RRN dates and check digit) and look-alikes (dates,
 * versions, UUIDs, SHAs, plain numbers) are not, evidence is masked, the classification label
 * follows the documented mapping, and adversarial inputs stay linear.
 */
import { describe, expect, it } from 'vitest';
import { classify, detectPii, isIban, isKrRrn, isPaymentCard, luhn } from '../../src/detect/pii.js';
import type { Finding } from '../../src/detect/types.js';

const positives: [rule: string, value: string][] = [
  ['pii.payment-card', '4111 1111 1111 1111'],
  ['pii.payment-card', '4111-1111-1111-1111'],
  ['pii.payment-card', '4111111111111111'],
  ['pii.payment-card', '5555 5555 5555 4444'],
  ['pii.payment-card', '2223003122003222'],
  ['pii.payment-card', '3782 822463 10005'],
  ['pii.payment-card', '6011 1111 1111 1117'],
  ['pii.payment-card', '3530 1113 3330 0000'],
  ['pii.payment-card', '3056 9309 0259 04'],
  ['pii.payment-card', '4222222222222'],
  ['pii.iban', 'DE89 3704 0044 0532 0130 00'],
  ['pii.iban', 'DE89370400440532013000'],
  ['pii.iban', 'GB82 WEST 1234 5698 7654 32'],
  ['pii.iban', 'FR14 2004 1010 0505 0001 3M02 606'],
  ['pii.iban', 'NL91ABNA0417164300'],
  ['pii.us-ssn', '123-45-6789'],
  ['pii.us-ssn', '123 45 6789'],
  ['pii.kr-rrn', '900101-1234568'],
  ['pii.phone', '+1 415 555 0134'],
  ['pii.phone', '+14155550134'],
  ['pii.phone', '+44 20 7946 0958'],
  ['pii.phone', '+82 10-1234-5678'],
  ['pii.phone', '(415) 555-0134'],
  ['pii.phone', '415-555-0134'],
  ['pii.phone', '415.555.0134'],
  ['pii.phone', '020 7946 0958'],
  ['pii.phone', '010-1234-5678'],
  ['pii.email', 'jane.doe@example.org'],
  ['pii.email', 'first+tag@mail.sub.example.co.uk'],
  ['pii.ip-address', '192.168.1.20'],
  ['pii.ip-address', '8.8.8.8'],
  ['pii.ip-address', '2001:db8::1'],
  ['pii.ip-address', 'fe80::1ff:fe23:4567:890a'],
  ['pii.ip-address', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
  ['pii.postal-address', '1600 Pennsylvania Avenue NW, Washington, DC 20500'],
  ['pii.postal-address', '350 Fifth Ave, Suite 3300, New York, NY 10118-3299'],
  ['pii.postal-address', '221B Baker Street, London NW1 6XE'],
  ['pii.postal-address', '10 Downing Street, London SW1A 2AA'],
  ['pii.postal-address', 'Musterstraße 12, 10115 Berlin'],
  ['pii.postal-address', 'Berliner Straße 5a, 60311 Frankfurt'],
  ['pii.postal-address', 'Stephansplatz 1, 1010 Wien'],
];

describe('pii: dotted quads after the word version', () => {
  it('are versions only right after `version` (any case) and spaces, `:` or `=`', () => {
    const ip = (text: string): string[] =>
      detectPii(text)
        .filter((f) => f.rule === 'pii.ip-address')
        .map((f) => `${text.slice(f.start, f.end)} ${f.evidence}`);
    for (const text of ['version 10.0.0.1', 'Version: 10.0.0.1', 'VERSION=10.0.0.1', 'conversion 10.0.0.1'])
      expect(ip(text), text).toEqual([]);
    expect(ip('versions 10.0.0.1')).toEqual(['10.0.0.1 10.…[8]']);
    expect(ip('version, 10.9.9.9')).toEqual(['10.9.9.9 10.…[8]']);
    expect(ip('versionX=172.16.254.1 and 8.8.8.8')).toEqual(['172.16.254.1 172.…[12]', '8.8.8.8 8.…[7]']);
    // More than ten characters back, `version` no longer counts.
    expect(ip('version       10.0.0.1')).toEqual(['10.0.0.1 10.…[8]']);
  });
});

describe('pii: positives in prose and JSON, evidence masked', () => {
  for (const [rule, value] of positives) {
    it(`${rule}: ${value}`, () => {
      for (const text of [
        value,
        `Contact details: ${value}, thanks.`,
        JSON.stringify({ field: value, n: 1 }),
      ]) {
        const found = detectPii(text).filter((f) => f.rule === rule);
        expect(found.length, text).toBe(1);
        const f = found[0]!;
        expect(text.slice(f.start, f.end)).toBe(value);
        expect(f.kind).toBe('pii');
        expect(f.evidence).not.toContain(value);
        // No more than four digits of a number and no local part survive in evidence.
        expect(
          (f.evidence.match(/\d/g) ?? []).length - (f.evidence.match(/\[\d+\]/)?.[0].length ?? 2) + 2,
        ).toBeLessThanOrEqual(rule === 'pii.ip-address' ? 4 : 4);
      }
    });
  }
});

describe('pii: negatives', () => {
  const negatives = [
    '4111 1111 1111 1112', // Luhn fails
    '1234 5678 9012 3456', // no issuer
    '4111-1111 1111 1111', // mixed separators
    'DE89 3704 0044 0532 0130 01', // wrong IBAN check
    'DE89 3704 0044 0532 013', // too short for DE
    'XX89 3704 0044 0532 0130 00', // no such country
    '000-12-3456',
    '666-12-3456',
    '900-12-3456',
    '123-00-4567',
    '123-45-0000',
    '900101-1234567', // RRN check digit wrong
    '901301-1234568', // month 13
    '900230-1234568', // 30 February
    '2026-11-30',
    '2026-11-30T02:24:00.123Z',
    '30/11/2026',
    '12:30:45',
    'version 1.2.3',
    'version 1.2.3.4',
    'Version: 10.0.0.1',
    'VERSION=10.0.0.1',
    'version \t 10.0.0.1',
    'conversion 10.0.0.1',
    'v1.2.3.4',
    '1.2.3.4.5',
    '999.1.1.1',
    'build 12345678',
    '4155550134',
    'order 1,234,567',
    'lodash@4.17.21',
    '@scope/package',
    'user@localhost',
    '550e8400-e29b-41d4-a716-446655440000',
    'commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39',
    'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '{"id": 1234567, "count": 42, "ts": 1764469440000}',
    'GET /api/items/12345 200 123ms',
    'std::vector<int> a; x::y::z',
    'ISO 13616 and ISO 7064',
    // Postcodes, streets and towns alone are not addresses.
    'Beverly Hills, CA 90210 is a TV show',
    'London SW1A 2AA',
    '| 94103 | San Francisco |',
    'In 2024 Google released a model; port 8080 Started at 10115 Berlin time.',
    'Main Street and Baker Street are busy.',
    'ZZ 12345',
  ];
  for (const text of negatives) {
    it(`not flagged: ${text}`, () => {
      expect(detectPii(text)).toEqual([]);
    });
  }
});

describe('pii: validators', () => {
  it('luhn and issuer ranges', () => {
    expect(luhn('79927398713')).toBe(true);
    expect(luhn('79927398710')).toBe(false);
    expect(isPaymentCard('4111111111111111')).toBe(true);
    expect(isPaymentCard('9111111111111119')).toBe(false);
    expect(isPaymentCard('378282246310005')).toBe(true);
    expect(isPaymentCard('3782822463100050')).toBe(false); // Amex is 15 digits
  });
  it('IBAN mod-97 and country length', () => {
    expect(isIban('GB82WEST12345698765432')).toBe(true);
    expect(isIban('GB82WEST1234569876543')).toBe(false);
    expect(isIban('GB83WEST12345698765432')).toBe(false);
  });
  it('RRN born from October 2020: six random digits, no check digit; a birth date in the future is none', () => {
    // Every last digit is accepted for a 2021 birth (numbers issued since October 2020)…
    for (let c = 0; c < 10; c++) expect(isKrRrn('210315', `412345${c}`)).toBe(true);
    // …but only the right one for a birth on 30 September 2020, the day before the change.
    const valid = [...'0123456789'].filter((c) => isKrRrn('200930', `312345${c}`));
    expect(valid).toHaveLength(1);
    // A 20xx century digit with a date not yet reached is not a person's number.
    const future = String((new Date().getUTCFullYear() + 1) % 100).padStart(2, '0');
    expect(isKrRrn(`${future}0101`, '3123456')).toBe(false);
    expect(detectPii('주민등록번호 210315-4123457 확인').map((f) => f.rule)).toEqual(['pii.kr-rrn']);
  });

  it('RRN date and check digit', () => {
    expect(isKrRrn('900101', '1234568')).toBe(true);
    expect(isKrRrn('000229', '3234563')).toBe(true); // leap day 2000 is a date, check digit 3
    expect(isKrRrn('000229', '3234564')).toBe(false); // same date, wrong check digit
    expect(isKrRrn('010229', '3234560')).toBe(false); // 2001 had no 29 February
  });
});

describe('pii: classification label', () => {
  const f = (rule: string, kind: Finding['kind'], severity: Finding['severity'] = 'high'): Finding => ({
    rule,
    kind,
    severity,
    start: 0,
    end: 1,
    evidence: '',
  });
  it('maps findings to public / internal / confidential / restricted', () => {
    expect(classify([])).toBe('public');
    expect(classify([f('injection.x', 'injection')])).toBe('public');
    expect(classify([f('pii.ip-address', 'pii', 'low')])).toBe('internal');
    expect(classify([f('secret.aws-account-id', 'secret', 'low')])).toBe('internal');
    expect(classify([f('pii.email', 'pii', 'medium'), f('pii.ip-address', 'pii', 'low')])).toBe(
      'confidential',
    );
    expect(classify([f('pii.phone', 'pii')])).toBe('confidential');
    expect(classify([f('pii.iban', 'pii')])).toBe('confidential');
    expect(classify([f('pii.postal-address', 'pii', 'medium')])).toBe('confidential');
    for (const r of ['pii.payment-card', 'pii.us-ssn', 'pii.kr-rrn'])
      expect(classify([f('pii.email', 'pii'), f(r, 'pii')])).toBe('restricted');
    expect(classify([f('secret.github-token', 'secret', 'critical')])).toBe('restricted');
  });
  it('labels a real text end to end', () => {
    expect(classify(detectPii('nothing personal here, version 1.2.3'))).toBe('public');
    expect(classify(detectPii('server at 10.0.0.12'))).toBe('internal');
    expect(classify(detectPii('mail jane@example.org from 10.0.0.12'))).toBe('confidential');
    expect(classify(detectPii('card 4111 1111 1111 1111, mail jane@example.org'))).toBe('restricted');
  });
});

describe('pii: a number inside a longer run of numbers is still found', () => {
  it('card after an id, phone after a count', () => {
    expect(detectPii('id 12345 4111 1111 1111 1111').map((f) => f.rule)).toEqual(['pii.payment-card']);
    expect(detectPii('2 415-555-0134').map((f) => f.rule)).toEqual(['pii.phone']);
  });
});

describe('pii: adversarial inputs stay linear', () => {
  const cases: [string, string][] = [
    ['1 MB of digits', '1'.repeat(1_000_000)],
    ['1 MB of digit-dash', '1-'.repeat(500_000)],
    ['1 MB of digit-space', '4 '.repeat(500_000)],
    ['1 MB of a@', 'a@'.repeat(500_000)],
    ['1 MB of local part then @', 'a'.repeat(1_000_000) + '@example.com'],
    ['1 MB of colons and hex', 'ab:'.repeat(340_000)],
    ['1 MB of dotted quads', '1.1.1.1.'.repeat(125_000)],
    ['1 MB of IBAN shapes', 'DE89 3704 '.repeat(100_000)],
    ['1 MB of phone-like groups', '(415) 555-0134 '.repeat(66_000)],
    ['1 MB of US place lines without a street', '1 Aa Bb Cc Dd, Ee Ff, NY 12345 '.repeat(33_000)],
    ['1 MB of US addresses', '1 Main St, Springfield, IL 62704 '.repeat(30_000)],
    ['1 MB of German place lines without a street', 'Aaaa Bbbb Cccc 12, 10115 Berlin '.repeat(31_000)],
    ['1 MB of UK postcodes after words', 'Aa Bb Cc Dd Ee, London SW1A 2AA '.repeat(31_000)],
  ];
  for (const [name, text] of cases) {
    it(`${name} completes within 3 s`, () => {
      const t0 = performance.now();
      detectPii(text);
      expect(performance.now() - t0).toBeLessThan(3_000);
    });
  }
});
