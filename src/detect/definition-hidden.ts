/**
 * Hidden-content rules of the definition scanner: invisible Unicode (tag characters, zero-width,
 * bidi controls, variation-selector smuggling) and ANSI escapes and control characters, found by
 * the shared `detectInvisible` / `detectAnsi` and rated for definitions (where none has a use), encoded
 * payloads (base64, hex, \u escapes, percent-encoding) and abnormal padding. Text recovered from
 * tag characters or encodings is returned so the caller can run the text rules over it.
 */
import type { Finding, Severity } from './types.js';
import { evidenceOf } from './definition-text.js';
import { detectAnsi, detectInvisible } from './unicode.js';

/** Hidden findings of one string plus the plain texts recovered from hiding places. */
export interface HiddenScan {
  readonly findings: Finding[];
  readonly recovered: { text: string; start: number; end: number }[];
}

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

/** Severity of the shared invisible/ANSI findings inside a definition, where none of them has a use. */
function hiddenSeverity(rule: string, severity: Severity): Severity {
  if (rule === 'invisible.tag') return 'critical';
  if (rule.startsWith('ansi.')) return rule === 'ansi.control' ? 'medium' : 'high';
  return severity === 'low' ? 'medium' : severity;
}

/** Invisible characters and terminal escapes (`detectInvisible`, `detectAnsi`); tag text is recovered. */
function invisibleAndAnsi(s: string, out: Finding[], recovered: HiddenScan['recovered']): void {
  for (const f of [...detectInvisible(s), ...detectAnsi(s)]) {
    const rule = f.rule.startsWith('ansi.') ? 'definition.ansi' : 'definition.invisible';
    const kind = rule === 'definition.ansi' ? 'ansi' : 'invisible';
    push(out, rule, kind, hiddenSeverity(f.rule, f.severity), s, f.start, f.end, `${f.rule}: ${f.evidence}`);
    if (f.rule === 'invisible.tag') {
      let text = '';
      for (const ch of s.slice(f.start, f.end)) {
        const cp = ch.codePointAt(0) ?? 0;
        if (cp >= 0xe0020 && cp <= 0xe007e) text += String.fromCharCode(cp - 0xe0000);
      }
      if (text.length > 0) recovered.push({ text, start: f.start, end: f.end });
    }
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
  invisibleAndAnsi(s, findings, recovered);
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
