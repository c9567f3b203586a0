/**
 * Personal data detection (issue 5) with validators, and the data classification label policy acts
 * on. One merged pass of five shape scans finds candidates (`@`, runs of digits and separators,
 * dotted quads, IBAN shapes, colon groups); validators run only at those positions: Luhn and issuer ranges for cards,
 * ISO 13616 mod-97 and country lengths for IBANs, area/group/serial rules for US SSNs, birth date
 * and check digit for Korean resident registration numbers, `node:net` for IP addresses.
 *
 * Classification (`classify`): secrets (except `low` ones), payment cards, SSNs and RRNs →
 * `restricted`; IBANs, phone numbers, e-mail addresses and `low` secrets → `confidential` /
 * `internal` as listed in {@link LABEL_OF}; IP addresses → `internal`; nothing → `public`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { detectAddresses } from './address.js';
import { maskTail, maskValue } from './mask.js';
import { prescan } from './prescan.js';
import type { Finding, Severity } from './types.js';

/** A data classification label, least to most sensitive. */
export type Classification = 'public' | 'internal' | 'confidential' | 'restricted';

const ORDER: readonly Classification[] = ['public', 'internal', 'confidential', 'restricted'];

/** Label per personal-data rule. */
export const LABEL_OF: Readonly<Record<string, Classification>> = {
  'pii.payment-card': 'restricted',
  'pii.us-ssn': 'restricted',
  'pii.kr-rrn': 'restricted',
  'pii.iban': 'confidential',
  'pii.phone': 'confidential',
  'pii.email': 'confidential',
  'pii.postal-address': 'confidential',
  'pii.ip-address': 'internal',
};

/**
 * The classification label of some findings: the most sensitive label any of them carries.
 * Secrets are `restricted` (a `low` secret such as an AWS account id is `internal`); personal
 * data as in {@link LABEL_OF}; other kinds (injection, ANSI, …) carry no label; none → `public`.
 */
export function classify(findings: readonly Finding[]): Classification {
  let best = 0;
  for (const f of findings) {
    let label: Classification = 'public';
    if (f.kind === 'secret') label = f.severity === 'low' ? 'internal' : 'restricted';
    else if (f.kind === 'pii') label = LABEL_OF[f.rule] ?? 'confidential';
    best = Math.max(best, ORDER.indexOf(label));
    if (best === ORDER.length - 1) break;
  }
  return ORDER[best] ?? 'public';
}

// --- validators (exported for tests) ---

/** True when the digits pass the Luhn check. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Known issuer ranges (prefix ranges) with the lengths each issues. */
const IIN: readonly (readonly [lo: number, hi: number, digits: number, lengths: readonly number[]])[] = [
  [4, 4, 1, [13, 16, 19]], // Visa
  [51, 55, 2, [16]], // Mastercard
  [2221, 2720, 4, [16]], // Mastercard 2-series
  [34, 34, 2, [15]], // American Express
  [37, 37, 2, [15]],
  [6011, 6011, 4, [16, 17, 18, 19]], // Discover
  [644, 649, 3, [16, 17, 18, 19]],
  [65, 65, 2, [16, 17, 18, 19]],
  [3528, 3589, 4, [16, 17, 18, 19]], // JCB
  [300, 305, 3, [14, 15, 16, 17, 18, 19]], // Diners Club
  [36, 36, 2, [14, 15, 16, 17, 18, 19]],
  [38, 39, 2, [16, 17, 18, 19]],
  [62, 62, 2, [16, 17, 18, 19]], // UnionPay
  [50, 50, 2, [12, 13, 14, 15, 16, 17, 18, 19]], // Maestro
  [56, 58, 2, [12, 13, 14, 15, 16, 17, 18, 19]],
  [2200, 2204, 4, [16, 17, 18, 19]], // Mir
];

/** True when `digits` (13–19 digits) is a Luhn-valid number in a known issuer range and length. */
export function isPaymentCard(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  const known = IIN.some(
    ([lo, hi, n, lengths]) =>
      lengths.includes(digits.length) && Number(digits.slice(0, n)) >= lo && Number(digits.slice(0, n)) <= hi,
  );
  return known && luhn(digits);
}

/** IBAN length per country (ISO 13616 registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/** True when `iban` (compact, upper case) has its country's length and passes ISO 7064 mod-97. */
export function isIban(iban: string): boolean {
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < moved.length; i++) {
    const c = moved.charCodeAt(i);
    const v = c >= 65 ? c - 55 : c - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

/** True for a US SSN (`ddd-dd-dddd`): area not 000, 666 or 900–999; group not 00; serial not 0000. */
export function isUsSsn(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== '00' && serial !== '0000';
}

/**
 * Numbers issued from this day on (births, and re-issues) carry six random digits after the gender
 * digit and no check digit (Korea's Ministry of the Interior, October 2020).
 */
const RRN_RANDOM_SINCE = Date.UTC(2020, 9, 1);

/**
 * True for a Korean RRN (`YYMMDD-GNNNNNC`): a real birth date for the century the gender digit
 * gives and, for anyone born before October 2020, the check digit (numbers of later births have
 * none: {@link RRN_RANDOM_SINCE}).
 */
export function isKrRrn(front: string, back: string): boolean {
  const g = back.charCodeAt(0) - 48;
  const century = g === 9 || g === 0 ? 1800 : g <= 2 || g === 5 || g === 6 ? 1900 : 2000;
  const y = century + Number(front.slice(0, 2));
  const m = Number(front.slice(2, 4));
  const d = Number(front.slice(4, 6));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (m < 1 || m > 12 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  if (date.getTime() >= RRN_RANDOM_SINCE) return date.getTime() <= Date.now();
  const all = front + back;
  const weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (all.charCodeAt(i) - 48) * (weights[i] ?? 0);
  return (11 - (sum % 11)) % 10 === all.charCodeAt(12) - 48;
}

const NANP = /^\(?[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]\d{4}$/;
const TRUNK = /^(?:0\d{1,4}|\(0\d{1,4}\))[ .-]?\d{3,4}[ .-]\d{4}$/;
const E164 = /^\+[1-9][\d ().-]{6,20}$/;

/**
 * True for a phone number: E.164 (`+` and 8–15 digits, separators allowed) or a national format
 * with separators (NANP `(415) 555-0134` / `415-555-0134`, trunk-prefixed `020 7946 0958`,
 * `010-1234-5678`). Plain digit runs, dates and versions are not phone numbers.
 */
export function isPhone(s: string): boolean {
  let digits = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) digits++;
  if (s.startsWith('+')) return E164.test(s) && digits >= 8 && digits <= 15;
  return (NANP.test(s) && digits === 10) || (TRUNK.test(s) && digits >= 9 && digits <= 11);
}

// --- the scan ---

/**
 * The candidate shapes, in priority order (when two start at the same offset the earlier one wins,
 * as in an alternation): dotted quads, runs of digits and separators, `@`, IBAN shapes, IPv6
 * shapes. Each is its own scan: a regular expression that starts with one narrow character class
 * skips ahead far faster than one alternation of all five (about 1.6 times on random text).
 */
const IP4_SHAPE = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g;
const NUM_SHAPE = /\+?\(?\d(?:[ .\/()-]{0,2}\d){6,22}/g;
const IBAN_SHAPE = /[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,34}/g;
const IP6_SHAPE = /::|:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:/g;
const SHAPES: readonly (RegExp | undefined)[] = [IP4_SHAPE, NUM_SHAPE, undefined, IBAN_SHAPE, IP6_SHAPE];
/** The same shapes, anchored where they are tried (`y`): used at the places the single pass lists. */
const STICKY: readonly (RegExp | undefined)[] = SHAPES.map((re) =>
  re === undefined ? undefined : new RegExp(re.source, 'y'),
);

/**
 * The first match of the sticky `re` at or after `cursor` at a place `list` gives, from entry
 * `next[j]` on: inside one of its (start, end) runs when `runs` (a match of these shapes lies
 * inside one run of their characters), else at one of its ascending offsets. Returns the offset
 * (the end in `ends[j]`), or -1. `test` leaves the end in `lastIndex` without building a match
 * array.
 */
function firstListed(
  text: string,
  re: RegExp,
  list: Int32Array,
  runs: boolean,
  next: Int32Array,
  ends: Int32Array,
  j: number,
  cursor: number,
): number {
  const step = runs ? 2 : 1;
  for (let k = next[j]!; k < list.length; k += step) {
    const end = runs ? list[k + 1]! : list[k]! + 1;
    if (end <= cursor) continue;
    for (let p = Math.max(list[k]!, cursor); p < end; p++) {
      re.lastIndex = p;
      if (re.test(text)) {
        next[j] = k;
        ends[j] = re.lastIndex;
        return p;
      }
    }
  }
  next[j] = list.length;
  return -1;
}
const IP4 = 0;
const NUM = 1;
const AT = 2;
const IBAN = 3;

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isDashOrSpace(c: number): boolean {
  return c === 45 || c === 32;
}
function isHexOrColon(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46;
}

function push(
  out: Finding[],
  rule: string,
  severity: Severity,
  start: number,
  end: number,
  evidence: string,
): void {
  out.push({ rule, kind: 'pii', severity, start, end, evidence });
}

const EMAIL_LOCAL = /[A-Za-z0-9._%+-]/;
const EMAIL_DOMAIN = /[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/y;

/** An e-mail address around the `@` at `at`; returns the end offset scanned. */
function email(text: string, at: number, out: Finding[]): number {
  let s = at;
  while (s > 0 && at - s < 64 && EMAIL_LOCAL.test(text[s - 1] ?? '')) s--;
  while (s < at && text.charCodeAt(s) === 46) s++;
  if (s === at || text.charCodeAt(at - 1) === 46) return at + 1;
  EMAIL_DOMAIN.lastIndex = at + 1;
  if (!EMAIL_DOMAIN.test(text)) return at + 1;
  const end = EMAIL_DOMAIN.lastIndex;
  const value = text.slice(s, end);
  push(out, 'pii.email', 'medium', s, end, `${value[0] ?? ''}…@${text[at + 1] ?? ''}…[${value.length}]`);
  return end;
}

const NON_DIGITS = /\D/g;
const DIGITS_AND_BRACKETS = /[\d+()]/g;
const CARD_SHAPE = /^\d[\d -]*\d$/;
const ONE_SEPARATOR = /^(?: *|-*)$/;
const SSN_SHAPE = /^(\d{3})[- ](\d{2})[- ](\d{4})$/;
const RRN_SHAPE = /^(\d{6})-(\d{7})$/;

/** Card, SSN, RRN or phone within the digit run `run` at `offset`; returns true when found. */
function numberAt(run: string, offset: number, out: Finding[]): boolean {
  let count = 0;
  for (let i = 0; i < run.length; i++) if (isDigit(run.charCodeAt(i))) count++;
  // Without `+`, every format here has at least nine digits (SSN, trunk-prefixed phone), and none
  // more than 19 (a card); E.164 with `+` has 8–15. Most candidates (log counters, ids) stop here.
  if (count > 19 || (count < 9 && run.charCodeAt(0) !== 43)) return false;
  // Which formats this many digits can be: cards 13–19, SSNs 9 (`ddd-dd-dddd`, each separator a
  // dash or a space), RRNs 13, E.164 (`+`) 8–15, NANP 10, trunk-prefixed (a leading `0` or `(0`)
  // 9–11. Anything else is none of them (most ids, counters, durations and dotted quads in logs),
  // decided without running the expressions below.
  const lead = run.charCodeAt(0);
  const trunk = lead === 48 || (lead === 40 && run.charCodeAt(1) === 48);
  const ssn =
    count === 9 && run.length === 11 && isDashOrSpace(run.charCodeAt(3)) && isDashOrSpace(run.charCodeAt(6));
  if (count < 13 && !ssn && count !== 10 && lead !== 43 && !(trunk && count <= 11)) return false;
  // Cards: 13–19 digits, no separators or one kind (space or dash) between groups.
  if (count >= 13 && CARD_SHAPE.test(run) && ONE_SEPARATOR.test(run.replace(DIGITS_AND_BRACKETS, ''))) {
    const digits = run.replace(NON_DIGITS, '');
    if (isPaymentCard(digits)) {
      push(out, 'pii.payment-card', 'high', offset, offset + run.length, `card ${maskTail(digits, 4)}`);
      return true;
    }
  }
  let m = SSN_SHAPE.exec(run);
  if (m !== null && isUsSsn(m[1] ?? '', m[2] ?? '', m[3] ?? '')) {
    push(out, 'pii.us-ssn', 'high', offset, offset + run.length, `ssn ${maskValue(run)}`);
    return true;
  }
  m = RRN_SHAPE.exec(run);
  if (m !== null && isKrRrn(m[1] ?? '', m[2] ?? '')) {
    push(out, 'pii.kr-rrn', 'high', offset, offset + run.length, `rrn ${maskValue(run)}`);
    return true;
  }
  if (isPhone(run)) {
    push(
      out,
      'pii.phone',
      'medium',
      offset,
      offset + run.length,
      `phone ${maskValue(run, run.startsWith('+') ? 2 : 0)}`,
    );
    return true;
  }
  return false;
}

/**
 * The digit run `run` at `offset`: the whole run first, then shorter runs of whole groups from
 * the left (at most 8 groups each), so a number inside a longer run of numbers is still found.
 */
/** A date (`2026-11-30`, `2026/11/30`, `2026.11.30`): never one of the numbers here. */
const DATE = /^\d{4}([-/.])\d{2}\1\d{2}$/;

function numbers(text: string, run: string, offset: number, out: Finding[]): void {
  // Every format here has at least eight digits (E.164's minimum).
  let count = 0;
  for (let i = 0; i < run.length; i++) if (isDigit(run.charCodeAt(i))) count++;
  if (count < 8 || (run.length === 10 && DATE.test(run))) return;
  const before = offset > 0 ? text.charCodeAt(offset - 1) : 32;
  const after = text.charCodeAt(offset + run.length);
  const bounded =
    !isWord(before) &&
    before !== 46 &&
    (Number.isNaN(after) ||
      (!isWord(after) && !(after === 46 && isDigit(text.charCodeAt(offset + run.length + 1)))));
  if (bounded && numberAt(run, offset, out)) return;
  // Without `+`, a number needs nine digits (numberAt): eight in all cannot hold one.
  if (count < 9 && run.indexOf('+') < 0) return;
  // Groups: runs of digits, with a leading + or ( kept and a closing ) (what /[+(]?(\d+)\)?/g
  // matches), as (start, end, digits) in a reused buffer. Every number format here has groups of
  // two or more digits (a leading `+1` aside), which keeps runs like `1-1-1-…` cheap.
  let groups = GROUPS;
  let ng = 0;
  for (let k = 0; k < run.length;) {
    if (!isDigit(run.charCodeAt(k))) {
      k++;
      continue;
    }
    const p = k > 0 ? run.charCodeAt(k - 1) : 0;
    const gs = p === 43 || p === 40 ? k - 1 : k;
    let e = k;
    while (e < run.length && isDigit(run.charCodeAt(e))) e++;
    const digits = e - k;
    if (run.charCodeAt(e) === 41) e++;
    if (3 * ng + 3 > groups.length) {
      const bigger = new Int32Array(groups.length * 2);
      bigger.set(groups);
      groups = bigger;
      if (groups.length <= 3 * 1024) GROUPS = groups;
    }
    groups[3 * ng] = gs;
    groups[3 * ng + 1] = e;
    groups[3 * ng + 2] = digits;
    ng++;
    k = e;
  }
  if (ng < 2) return;
  for (let i = 0; i < ng; i++) {
    const gs = groups[3 * i]!;
    const first = groups[3 * i + 2]!;
    const plus = run.charCodeAt(gs) === 43;
    if (first < 2 && !plus) continue;
    if (gs === 0 && isWord(before)) continue;
    // The longest chain of two-digit groups from here with 8 to 19 digits (9 without `+`), not the
    // whole run, ending inside the text's words; tried longest first.
    let last = i;
    let digits = first;
    let endsFrom = -1;
    // Group indexes where a chain can end (at most 7), in CHAIN_ENDS.
    let nEnds = 0;
    while (last + 1 < ng && last - i < 7 && groups[3 * (last + 1) + 2]! >= 2) {
      last++;
      digits += groups[3 * last + 2]!;
      if (digits > 19) break;
      if (digits >= 8 && !(i === 0 && last === ng - 1) && (digits >= 9 || plus)) CHAIN_ENDS[nEnds++] = last;
    }
    for (let k = nEnds - 1; k >= 0; k--) {
      const j = CHAIN_ENDS[k]!;
      const ge = groups[3 * j + 1]!;
      if (ge === run.length && isWord(after)) continue;
      if (numberAt(run.slice(gs, ge), offset + gs, out)) {
        endsFrom = j;
        break;
      }
    }
    if (endsFrom >= 0) i = endsFrom;
  }
}

/** Where the chains {@link numbers} tries from one group can end (at most seven groups on). */
const CHAIN_ENDS = new Int32Array(8);

/** The group buffer {@link numbers} reuses (grown for a run with more groups, kept up to 1,024). */
let GROUPS = new Int32Array(48);

const VERSION = 'version';

/** Whether `version` (any case), then only spaces, `:` and `=`, stands right before `at` within ten characters. */
function versionBefore(text: string, at: number): boolean {
  const from = Math.max(0, at - 10);
  let k = at;
  while (k > from && isVersionGap(text.charCodeAt(k - 1))) k--;
  if (k - VERSION.length < from) return false;
  for (let i = 0; i < VERSION.length; i++)
    if ((text.charCodeAt(k - VERSION.length + i) | 32) !== VERSION.charCodeAt(i)) return false;
  return true;
}

/** `\s`, `:` or `=`. */
function isVersionGap(c: number): boolean {
  return (
    c === 58 || c === 61 || c === 32 || (c >= 9 && c <= 13) || (c > 127 && /\s/.test(String.fromCharCode(c)))
  );
}

function ipv4(text: string, start: number, end: number, out: Finding[]): void {
  const before = start > 0 ? text.charCodeAt(start - 1) : 32;
  const after = text.charCodeAt(end);
  if (isWord(before) || before === 46 || isWord(after) || (after === 46 && isDigit(text.charCodeAt(end + 1))))
    return;
  const value = text.slice(start, end);
  if (!isIPv4(value)) return;
  // `v1.2.3.4` and `version 1.2.3.4` are versions.
  if (before === 86 || before === 118) return;
  if ((before === 32 || before === 58 || before === 61) && versionBefore(text, start)) return;
  push(out, 'pii.ip-address', 'low', start, end, ipv4Evidence(value));
}

/** IPv4 evidence (`10.…[12]`) by first octet and length, made once each: logs repeat a few of them. */
const IPV4_EVIDENCE: (string | undefined)[] = [];

/** The evidence for `value`, a valid dotted quad (first octet ≤ 255, at most 15 characters). */
function ipv4Evidence(value: string): string {
  let octet = 0;
  let k = 0;
  for (; value.charCodeAt(k) !== 46; k++) octet = octet * 10 + value.charCodeAt(k) - 48;
  return (IPV4_EVIDENCE[octet * 16 + value.length] ??= `${value.slice(0, k + 1)}…[${value.length}]`);
}

function ipv6(text: string, colon: number, out: Finding[]): number {
  let s = colon;
  while (s > 0 && colon - s < 40 && isHexOrColon(text.charCodeAt(s - 1))) s--;
  let e = colon;
  while (e < text.length && e - s < 45 && isHexOrColon(text.charCodeAt(e))) e++;
  while (e > s && text.charCodeAt(e - 1) === 46) e--;
  const value = text.slice(s, e);
  if (value.length < 3 || isWord(text.charCodeAt(s - 1)) || isWord(text.charCodeAt(e))) return e;
  if (value.includes(':') && isIPv6(value) && /[0-9a-fA-F]/.test(value)) {
    push(out, 'pii.ip-address', 'low', s, e, `${value.slice(0, value.indexOf(':') + 1)}…[${value.length}]`);
  }
  return e;
}

function iban(text: string, start: number, candidate: string, out: Finding[]): boolean {
  if (start > 0 && isWord(text.charCodeAt(start - 1))) return false;
  const len = IBAN_LENGTHS[candidate.slice(0, 2)];
  if (len === undefined) return false;
  // Take exactly the country's number of characters, skipping single spaces.
  let compact = '';
  let i = 0;
  while (i < candidate.length && compact.length < len) {
    if (candidate[i] !== ' ') compact += candidate[i];
    i++;
  }
  if (compact.length !== len || isWord(text.charCodeAt(start + i)) || !isIban(compact)) return false;
  push(out, 'pii.iban', 'medium', start, start + i, `iban ${maskValue(compact, 2)}`);
  return true;
}

/**
 * Personal data in `text`: e-mail addresses (`pii.email`), phone numbers (`pii.phone`), payment
 * cards (`pii.payment-card`), IBANs (`pii.iban`), US SSNs (`pii.us-ssn`), Korean RRNs
 * (`pii.kr-rrn`), IPv4/IPv6 addresses (`pii.ip-address`) and postal addresses
 * (`pii.postal-address`, src/detect/address.ts), each validated; evidence masked.
 * Synchronous; one merged pass of five shape scans, validators only at candidates; linear in the
 * text length.
 */
export function detectPii(text: string): Finding[] {
  const out: Finding[] = [];
  // The five shape scans merged in offset order: `at[k]` is the next match of shape k at or after
  // the cursor (-2: look again, -1: none left), `ends[k]` where it ends. A handler moves the cursor
  // (past what it consumed, or back to resume inside a rejected shape); a shape whose next match
  // lies before the cursor looks again from the cursor. Same candidates, same order, as one
  // alternation of the five, since no shape looks behind its start.
  //
  // With the single pass (prescan.ts), a shape looks only where its list says a match can start: in
  // the runs of its characters that hold enough digits (dotted quads, numbers), at the exact places
  // its first characters stand (IBAN, IPv6) or at the listed `@`; `next[k]` is how far down its
  // list it has got.
  const pre = prescan(text);
  // Nothing listed (most short texts): no shape can match, only postal addresses are left.
  if (pre !== undefined && noneListed(pre.ip4, pre.num, pre.at, pre.iban, pre.ip6))
    return detectAddresses(text);
  const lists = pre === undefined ? undefined : [pre.ip4, pre.num, pre.at, pre.iban, pre.ip6];
  const next = new Int32Array(5);
  const at = new Int32Array(5).fill(-2);
  const ends = new Int32Array(5);
  let cursor = 0;
  for (;;) {
    let k = -1;
    let pos = Infinity;
    for (let j = 0; j < 5; j++) {
      let p = at[j]!;
      if (p !== -1 && p < cursor) {
        const list = lists?.[j] ?? null;
        if (j === AT) {
          if (list === null) p = text.indexOf('@', cursor);
          else {
            let i = next[j]!;
            while (i < list.length && list[i]! < cursor) i++;
            next[j] = i;
            p = i < list.length ? list[i]! : -1;
          }
          ends[j] = p + 1;
        } else if (list !== null) {
          const re = STICKY[j]!;
          p = firstListed(text, re, list, j === IP4 || j === NUM, next, ends, j, cursor);
        } else {
          const re = SHAPES[j]!;
          re.lastIndex = cursor;
          const m = re.exec(text);
          p = m === null ? -1 : m.index;
          if (m !== null) ends[j] = m.index + m[0].length;
        }
        at[j] = p;
      }
      if (p >= 0 && p < pos) {
        pos = p;
        k = j;
      }
    }
    if (k < 0) break;
    cursor = ends[k]!;
    if (k === IP4) {
      ipv4(text, pos, cursor, out);
    } else if (k === NUM) {
      // Every format here has at least eight digits (E.164's minimum): most runs (ids, counters,
      // dotted quads) have fewer and are passed over without a copy.
      let digits = 0;
      for (let i = pos; i < cursor && digits < 8; i++) if (isDigit(text.charCodeAt(i))) digits++;
      if (digits >= 8) numbers(text, text.slice(pos, cursor), pos, out);
    } else if (k === AT) {
      cursor = email(text, pos, out);
    } else if (k === IBAN) {
      // An invalid IBAN shape may still hold a number: resume after the country code.
      if (!iban(text, pos, text.slice(pos, cursor), out)) cursor = pos + 2;
      else cursor = out[out.length - 1]!.end;
    } else {
      cursor = Math.max(pos + 1, ipv6(text, pos, out));
    }
  }
  const addresses = detectAddresses(text);
  return addresses.length === 0 ? out : mergeByStart(out, addresses);
}

/** True when every list is there (none overflowed) and empty. */
function noneListed(...lists: (Int32Array | null)[]): boolean {
  for (const l of lists) if (l === null || l.length > 0) return false;
  return true;
}

/** Two offset-ordered finding lists as one, in offset order (the first list first on ties). */
function mergeByStart(a: readonly Finding[], b: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.start <= b[j]!.start)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
