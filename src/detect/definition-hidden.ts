/**
 * Hidden-content rules of the definition scanner: invisible Unicode (tag characters, zero-width,
 * bidi controls, variation-selector smuggling), ANSI escapes and control characters, encoded
 * payloads (base64, hex, \u escapes, percent-encoding) and abnormal padding. Text recovered from
 * tag characters or encodings is returned so the caller can run the text rules over it.
 */
import type { Finding, Severity } from './types.js';
import { evidenceOf } from './definition-text.js';

/** Hidden findings of one string plus the plain texts recovered from hiding places. */
export interface HiddenScan {
  readonly findings: Finding[];
  readonly recovered: { text: string; start: number; end: number }[];
}

const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const ZERO_WIDTH = /[\u200b-\u200d\u2060-\u2064\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164]/;
const EMOJI = /\p{Extended_Pictographic}/u;

function push(
  out: Finding[],
  rule: string,
  kind: Finding['kind'],
  severity: Severity,
  s: string,
  start: number,
  end: number,
  evidence?: string,
): void {
  out.push({
    rule,
    kind,
    severity,
    start,
    end,
    evidence: (evidence ?? evidenceOf(s, start, end)).slice(0, 120),
  });
}

/** Invisible characters, grouped in runs; tag-character runs are decoded to the ASCII they hide. */
function invisible(s: string, out: Finding[], recovered: HiddenScan['recovered']): void {
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) ?? 0;
    const w = cp > 0xffff ? 2 : 1;
    const ch = s.slice(i, i + w);
    let cls: 'tag' | 'vs' | 'bidi' | 'zw' | undefined;
    if (cp >= 0xe0000 && cp <= 0xe007f) cls = 'tag';
    else if (cp >= 0xe0100 && cp <= 0xe01ef) cls = 'vs';
    else if (BIDI.test(ch)) cls = 'bidi';
    else if (ZERO_WIDTH.test(ch)) {
      // A joiner inside an emoji sequence, or a BOM at the very start, is ordinary text.
      const prev = s.codePointAt(i - 1);
      const benignJoin =
        (cp === 0x200d || cp === 0xfe0f) &&
        prev !== undefined &&
        EMOJI.test(
          String.fromCodePoint(prev >= 0xdc00 && prev <= 0xdfff ? (s.codePointAt(i - 2) ?? prev) : prev),
        );
      if (!benignJoin && !(cp === 0xfeff && i === 0)) cls = 'zw';
    }
    if (cls === undefined) {
      i += w;
      continue;
    }
    const start = i;
    let hidden = '';
    let count = 0;
    while (i < s.length) {
      const c = s.codePointAt(i) ?? 0;
      const cw = c > 0xffff ? 2 : 1;
      const same =
        cls === 'tag'
          ? c >= 0xe0000 && c <= 0xe007f
          : cls === 'vs'
            ? c >= 0xe0100 && c <= 0xe01ef
            : cls === 'bidi'
              ? BIDI.test(s.slice(i, i + cw))
              : ZERO_WIDTH.test(s.slice(i, i + cw));
      if (!same) break;
      if (cls === 'tag' && c >= 0xe0020 && c <= 0xe007e) hidden += String.fromCharCode(c - 0xe0000);
      count++;
      i += cw;
    }
    if (cls === 'tag') {
      push(
        out,
        'definition.invisible',
        'invisible',
        'critical',
        s,
        start,
        i,
        `tag characters hiding: ${hidden}`,
      );
      if (hidden.length > 0) recovered.push({ text: hidden, start, end: i });
    } else if (cls === 'vs') {
      push(
        out,
        'definition.invisible',
        'invisible',
        'high',
        s,
        start,
        i,
        `${count} variation selectors (supplement)`,
      );
    } else if (cls === 'bidi') {
      push(out, 'definition.invisible', 'invisible', 'high', s, start, i);
    } else {
      push(out, 'definition.invisible', 'invisible', 'medium', s, start, i);
    }
  }
}

const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]/g;

const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/g;

function ansi(s: string, out: Finding[]): void {
  ANSI.lastIndex = 0;
  for (let m = ANSI.exec(s); m !== null; m = ANSI.exec(s))
    push(out, 'definition.ansi', 'ansi', 'high', s, m.index, m.index + m[0].length);
  CONTROL.lastIndex = 0;
  for (let m = CONTROL.exec(s); m !== null; m = CONTROL.exec(s)) {
    if (m[0] === '\x1b') continue;
    push(out, 'definition.ansi', 'ansi', 'medium', s, m.index, m.index + m[0].length);
  }
}

function printable(t: string): boolean {
  if (t.length < 12) return false;
  let ok = 0;
  for (let k = 0; k < t.length; k++) {
    const c = t.charCodeAt(k);
    if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9) ok++;
  }
  // Natural-language payloads have spaces; random bytes that happen to print rarely do.
  return ok / t.length > 0.9 && /\s/.test(t) && /[a-z]{3}/i.test(t);
}

const BASE64 =
  /(?<![\w+/])(?:[A-Za-z0-9+/]{4}){6,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?(?![\w+/])|(?<![\w-])(?:[A-Za-z0-9_-]{4}){8,}(?![\w-])/g;
const HEX = /(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}){12,}(?![0-9a-fA-F])/g;
const UESC = /(?:\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\s){8,}/g;
const PCT = /(?:%[0-9a-fA-F]{2}|[\w.~-]){0,3}(?:%[0-9a-fA-F]{2}[\w.~-]{0,3}){8,}/g;

function encoded(s: string, out: Finding[], recovered: HiddenScan['recovered']): void {
  const found = (re: RegExp, decode: (m: string) => string, what: string): void => {
    re.lastIndex = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      const raw = m[0].trim();
      if ((re === UESC || re === PCT) && !/\\u|\\x|%/.test(raw)) continue;
      let text = '';
      try {
        text = decode(raw);
      } catch {
        continue;
      }
      if (!printable(text)) continue;
      push(
        out,
        'definition.encoded',
        'encoded',
        'medium',
        s,
        m.index,
        m.index + m[0].length,
        `${what}: ${text}`,
      );
      recovered.push({ text, start: m.index, end: m.index + m[0].length });
    }
  };
  found(
    BASE64,
    (m) => Buffer.from(m.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1'),
    'base64',
  );
  found(HEX, (m) => Buffer.from(m, 'hex').toString('latin1'), 'hex');
  found(
    UESC,
    (m) =>
      m.replace(
        /\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})/g,
        (_x, u: string | undefined, x: string | undefined) =>
          String.fromCharCode(parseInt(u ?? x ?? '0', 16)),
      ),
    'escapes',
  );
  found(PCT, (m) => decodeURIComponent(m), 'percent-encoding');
}

/** Scans one string for hidden content; returns findings and the texts recovered from hiding places. */
export function scanHidden(s: string): HiddenScan {
  const findings: Finding[] = [];
  const recovered: HiddenScan['recovered'] = [];
  invisible(s, findings, recovered);
  ansi(s, findings);
  encoded(s, findings, recovered);
  const pad = /[ \t\n\r\u00a0\u2000-\u200a\u3000]{300,}/.exec(s);
  if (pad !== null)
    push(
      findings,
      'definition.length',
      'length',
      'medium',
      s,
      pad.index,
      pad.index + pad[0].length,
      `${pad[0].length} characters of padding`,
    );
  if (s.length >= 2000) {
    // Padding by repetition: the same sentence many times pushes the rest out of a reviewer's view.
    const parts = s
      .split(/[.!?\n]+/)
      .map((p) => p.trim())
      .filter((p) => p !== '');
    if (parts.length >= 20 && new Set(parts).size / parts.length < 0.25)
      push(
        findings,
        'definition.length',
        'length',
        'medium',
        s,
        0,
        s.length,
        `${parts.length} sentences, ${new Set(parts).size} distinct`,
      );
  }
  return { findings, recovered };
}
