/**
 * Terminal escapes and invisible Unicode (issue 5, `inspect:sanitize`): detection, stripping, and
 * the icon URI check. One global regex jumps to each suspicious code unit (C0/C1 controls, ESC,
 * and the invisible ranges); everything else is skipped at regex speed, and a text without any
 * of them is returned as is.
 *
 * Kept on purpose (neither reported nor removed): tab, line feed and carriage return before a
 * line feed; a single zero-width (non-)joiner between two non-ASCII characters (emoji sequences,
 * Indic and Persian shaping); a single variation selector 15/16 after a non-ASCII character
 * (text/emoji presentation); a byte-order mark at offset 0 is removed but not reported.
 */
import { keptPrescan } from './prescan.js';
import type { Finding, Severity } from './types.js';

/** Most findings one call reports (sanitizeText still removes everything). */
export const MAX_FINDINGS = 1000;

/**
 * Runs of code units outside printable ASCII (tab and line feed are printable here): the only
 * places anything this module looks for can start. Mostly-ASCII text is skipped at regex speed.
 */
const NON_ASCII_RUNS = /[^\t\n\x20-\x7e]+/g;

/** 1 for each code unit that starts something to report or remove (surrogates checked in pairs). */
const SUSPECT = new Uint8Array(65536);
for (const [lo, hi] of [
  [0x00, 0x08],
  [0x0b, 0x1f],
  [0x7f, 0x9f],
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x61c, 0x61c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff9, 0xfffb],
  [0xdb40, 0xdb40], // U+E0000–E01EF: tags and variation selectors supplement
  [0xd834, 0xd834], // U+1D173–1D17A: musical formatting controls
] as const)
  SUSPECT.fill(1, lo, hi + 1);

function suspect(text: string, i: number, c: number): boolean {
  if (SUSPECT[c] !== 1) return false;
  if (c === 0xdb40) return text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xddef;
  if (c === 0xd834) return text.charCodeAt(i + 1) >= 0xdd73 && text.charCodeAt(i + 1) <= 0xdd7a;
  return true;
}

/** What one suspicious spot is: its rule (undefined = kept), severity and end offset. */
interface Spot {
  readonly rule: string | undefined;
  readonly kind: 'ansi' | 'invisible';
  readonly severity: Severity;
  readonly end: number;
}

const ESC = 0x1b;
const BEL = 0x07;

/** End of a string-type sequence (OSC, DCS, SOS, PM, APC) started at `from`: BEL, ESC \ or C1 ST. */
function stringEnd(text: string, from: number, belEnds: boolean): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (belEnds && c === BEL) return i + 1;
    if (c === 0x9c) return i + 1;
    if (c === ESC && text.charCodeAt(i + 1) === 0x5c) return i + 2;
  }
  return text.length;
}

/** End of a CSI sequence whose parameters start at `from` (parameters, intermediates, final byte). */
function csiEnd(text: string, from: number): { end: number; final: number } {
  let i = from;
  while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x3f) i++;
  while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
  const c = text.charCodeAt(i);
  if (c >= 0x40 && c <= 0x7e) return { end: i + 1, final: c };
  return { end: i, final: 0 };
}

function ansiSpot(text: string, i: number, c: number): Spot {
  const ansi = (rule: string, severity: Severity, end: number): Spot => ({
    rule,
    kind: 'ansi',
    severity,
    end,
  });
  // CSI: ESC [ or C1 0x9B. SGR (colours, final `m`) is low; cursor moves and erases can hide text.
  if ((c === ESC && text.charCodeAt(i + 1) === 0x5b) || c === 0x9b) {
    const { end, final } = csiEnd(text, i + (c === ESC ? 2 : 1));
    return final === 0x6d ? ansi('ansi.sgr', 'low', end) : ansi('ansi.csi', 'high', end);
  }
  // OSC (ESC ] or 0x9D): hyperlinks, titles, clipboard writes (OSC 52).
  if ((c === ESC && text.charCodeAt(i + 1) === 0x5d) || c === 0x9d) {
    return ansi('ansi.osc', 'high', stringEnd(text, i + (c === ESC ? 2 : 1), true));
  }
  // DCS, SOS, PM, APC: ESC P / X / ^ / _ or C1 0x90 / 0x98 / 0x9E / 0x9F.
  const n = text.charCodeAt(i + 1);
  if (
    (c === ESC && (n === 0x50 || n === 0x58 || n === 0x5e || n === 0x5f)) ||
    c === 0x90 ||
    c === 0x98 ||
    c === 0x9e ||
    c === 0x9f
  ) {
    return ansi('ansi.string', 'high', stringEnd(text, i + (c === ESC ? 2 : 1), false));
  }
  if (c === ESC) {
    // Other escapes: intermediates then one final byte (ESC 7, ESC c, ESC ( B …).
    let j = i + 1;
    while (j < text.length && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++;
    const f = text.charCodeAt(j);
    return ansi('ansi.escape', 'medium', f >= 0x30 && f <= 0x7e ? j + 1 : j);
  }
  // Carriage return before a line feed is an ordinary line end; alone it overwrites the line.
  if (c === 0x0d)
    return text.charCodeAt(i + 1) === 0x0a
      ? { rule: undefined, kind: 'ansi', severity: 'low', end: i + 1 }
      : ansi('ansi.control', 'medium', i + 1);
  return ansi('ansi.control', c === 0x08 ? 'medium' : 'low', i + 1);
}

function invisibleSpot(text: string, i: number, c: number): Spot {
  const inv = (rule: string | undefined, severity: Severity, end: number): Spot => ({
    rule,
    kind: 'invisible',
    severity,
    end,
  });
  if (c === 0xdb40) {
    const lo = text.charCodeAt(i + 1);
    return lo <= 0xdc7f
      ? inv('invisible.tag', 'high', i + 2)
      : inv('invisible.variation-selector', 'high', i + 2);
  }
  if (c === 0xd834) return inv('invisible.other', 'medium', i + 2);
  if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
    return inv('invisible.bidi', 'high', i + 1);
  if (c === 0x200e || c === 0x200f || c === 0x061c) return inv('invisible.bidi', 'medium', i + 1);
  if (c === 0x00ad) return inv('invisible.soft-hyphen', 'low', i + 1);
  if (c === 0xfeff && i === 0) return inv(undefined, 'low', 1);
  if (c === 0x200c || c === 0x200d) {
    // Between two visible non-ASCII characters (an emoji's VS16 may sit before it: ❤️‍🔥).
    const prev = text.charCodeAt(i - 1);
    const before =
      visibleNonAscii(text, i - 1) || ((prev === 0xfe0e || prev === 0xfe0f) && visibleNonAscii(text, i - 2));
    if (before && visibleNonAscii(text, i + 1)) return inv(undefined, 'low', i + 1);
  }
  if (c >= 0xfe00 && c <= 0xfe0f) {
    if ((c === 0xfe0e || c === 0xfe0f) && visibleNonAscii(text, i - 1)) return inv(undefined, 'low', i + 1);
    return inv('invisible.variation-selector', 'medium', i + 1);
  }
  if (c === 0x200b || c === 0x200c || c === 0x200d || c === 0x2060 || c === 0xfeff)
    return inv('invisible.zero-width', 'medium', i + 1);
  return inv('invisible.other', 'medium', i + 1);
}

/**
 * True when the code unit at `j` is a visible non-ASCII character: nothing this module removes
 * (so a kept joiner or selector stays next to it after sanitising), including the low half of a
 * surrogate pair whose high half is not a tag, selector or formatting control.
 */
function visibleNonAscii(text: string, j: number): boolean {
  const c = text.charCodeAt(j);
  if (Number.isNaN(c) || c < 0x80 || SUSPECT[c] === 1) return false;
  if (c >= 0xdc00 && c <= 0xdfff) {
    const h = text.charCodeAt(j - 1);
    return h !== 0xdb40 && h !== 0xd834;
  }
  return true;
}

function spotAt(text: string, i: number): Spot {
  const c = text.charCodeAt(i);
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) ? ansiSpot(text, i, c) : invisibleSpot(text, i, c);
}

/** Tag characters U+E0020–E007E spell ASCII: the hidden text they carry. */
function decodeTags(s: string): string {
  let out = '';
  for (let i = 0; i + 1 < s.length; i += 2) {
    const cp = (s.codePointAt(i) ?? 0) - 0xe0000;
    if (cp >= 0x20 && cp <= 0x7e) out += String.fromCharCode(cp);
  }
  return out;
}

/** Variation selectors as bytes (VS1–16 → 0–15, VS17–256 → 16–255), read as UTF-8. */
function decodeSelectors(s: string): string {
  const bytes: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xfe00 && cp <= 0xfe0f) bytes.push(cp - 0xfe00);
    else if (cp >= 0xe0100 && cp <= 0xe01ef) bytes.push(cp - 0xe0100 + 16);
  }
  return Buffer.from(bytes)
    .toString('utf8')
    .replace(/[^\x20-\x7e]/g, '');
}

function evidenceOf(rule: string, raw: string): string {
  if (rule === 'invisible.tag') return `hidden text: "${decodeTags(raw)}"`.slice(0, 120);
  if (rule === 'invisible.variation-selector' && raw.length > 4) {
    const hidden = decodeSelectors(raw);
    if (hidden.length > 0) return `hidden bytes: "${hidden}"`.slice(0, 120);
  }
  const codes = [...raw.slice(0, 24)].map(
    (ch) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
  return `${codes.join(' ')}${raw.length > 24 ? ` …[${raw.length}]` : ''}`.slice(0, 120);
}

/** An open run of one rule (adjacent spots of the same rule merge into one finding). */
interface Run {
  rule: string;
  kind: 'ansi' | 'invisible';
  severity: Severity;
  start: number;
  end: number;
}

/** Findings of one kind as the scan collects them: the closed runs and the open one. */
class Collector {
  readonly findings: Finding[] = [];
  open: Run | undefined = undefined;

  constructor(private readonly text: string) {}

  add(rule: string, kind: 'ansi' | 'invisible', severity: Severity, start: number, end: number): void {
    const open = this.open;
    if (open !== undefined && open.rule === rule && open.end === start) {
      open.end = end;
      if (severity === 'high') open.severity = 'high';
      return;
    }
    this.close();
    this.open = { rule, kind, severity, start, end };
  }

  close(): Finding[] {
    const open = this.open;
    if (open === undefined) return this.findings;
    if (this.findings.length < MAX_FINDINGS) {
      this.findings.push({
        rule: open.rule,
        kind: open.kind,
        severity: open.severity,
        start: open.start,
        end: open.end,
        evidence: evidenceOf(open.rule, this.text.slice(open.start, open.end)),
      });
    }
    this.open = undefined;
    return this.findings;
  }
}

/**
 * One scan: findings of the wanted kinds (merged per run of one rule; each kind collected apart, so
 * one scan serves both detectors) and the spans to remove. Runs of printable ASCII (with tab and
 * line feed) are skipped by one regular expression; a text without any other character costs that
 * one scan.
 */
function scan(
  text: string,
  ansi: Collector | undefined,
  invisible: Collector | undefined,
  removals: number[] | undefined,
): void {
  // The runs come from the single pass when it has just read this text for the other detectors
  // (prescan.ts; this scan never starts one: alone, its one expression is cheaper).
  const runs = keptPrescan(text)?.ctrl ?? null;
  let r = 0;
  NON_ASCII_RUNS.lastIndex = 0;
  for (;;) {
    let i: number;
    let runEnd: number;
    if (runs === null) {
      const m = NON_ASCII_RUNS.exec(text);
      if (m === null) break;
      i = m.index;
      runEnd = i + m[0].length;
    } else {
      // A run the last escape sequence reached into resumes where that sequence ended.
      while (r < runs.length && runs[r + 1]! <= NON_ASCII_RUNS.lastIndex) r += 2;
      if (r >= runs.length) break;
      i = Math.max(runs[r]!, NON_ASCII_RUNS.lastIndex);
      runEnd = runs[r + 1]!;
      r += 2;
    }
    while (i < runEnd) {
      const c = text.charCodeAt(i);
      if (!suspect(text, i, c)) {
        i++;
        continue;
      }
      const spot = spotAt(text, i);
      const end = Math.max(spot.end, i + 1);
      if (spot.rule === undefined) {
        if (c === 0xfeff && removals !== undefined) removals.push(i, end);
      } else {
        removals?.push(i, end);
        const into = spot.kind === 'ansi' ? ansi : invisible;
        into?.add(spot.rule, spot.kind, spot.severity, i, end);
      }
      i = end;
    }
    // An escape sequence may run past the non-ASCII run into ordinary text.
    if (i > NON_ASCII_RUNS.lastIndex) NON_ASCII_RUNS.lastIndex = i;
  }
}

/**
 * Invisible and bidirectional-control characters in `text` (`invisible.tag` with the decoded
 * hidden text as evidence, `invisible.variation-selector` with decoded bytes for long runs,
 * `invisible.bidi`, `invisible.zero-width`, `invisible.soft-hyphen`, `invisible.other`); one
 * finding per run, at most {@link MAX_FINDINGS}.
 */
export function detectInvisible(text: string): Finding[] {
  const invisible = new Collector(text);
  scan(text, undefined, invisible, undefined);
  return invisible.close();
}

/**
 * Terminal escape sequences and control characters in `text`: `ansi.sgr` (colours, low),
 * `ansi.csi` (cursor moves, erases: high), `ansi.osc` (hyperlinks, titles, clipboard: high),
 * `ansi.string` (DCS/SOS/PM/APC: high), `ansi.escape`, `ansi.control` (backspace, lone carriage
 * return, other C0/C1 controls).
 */
export function detectAnsi(text: string): Finding[] {
  const ansi = new Collector(text);
  scan(text, ansi, undefined, undefined);
  return ansi.close();
}

/**
 * {@link detectInvisible} and {@link detectAnsi} in one scan (the same findings as calling both):
 * callers that want both kinds pay for one pass over the text.
 */
export function detectControls(text: string): { invisible: Finding[]; ansi: Finding[] } {
  const invisible = new Collector(text);
  const ansi = new Collector(text);
  scan(text, ansi, invisible, undefined);
  return { invisible: invisible.close(), ansi: ansi.close() };
}

/** `text` without ANSI/terminal escapes, control characters (tab and line ends kept) and invisible/bidi characters. */
export function sanitizeText(text: string): string {
  const removals: number[] = [];
  scan(text, undefined, undefined, removals);
  if (removals.length === 0) return text;
  const parts: string[] = [];
  let at = 0;
  for (let k = 0; k < removals.length; k += 2) {
    parts.push(text.slice(at, removals[k]));
    at = removals[k + 1] ?? at;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

const DATA_IMAGE =
  /^data:image\/(?:png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)(?:;[a-z0-9=._-]+)*,/i;

/**
 * True for an icon URI a client may fetch: `https:` with a host and no user info, or a `data:`
 * URI of a raster image type. Refused: every other scheme (http, javascript, file, …), `data:`
 * SVG (it can carry script), and anything with control or whitespace characters.
 */
export function safeIconUri(uri: string): boolean {
  if (/[\x00-\x20\x7f-\x9f]/.test(uri)) return false;
  if (/^data:/i.test(uri)) return DATA_IMAGE.test(uri);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
}
