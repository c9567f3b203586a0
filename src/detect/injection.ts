/**
 * Prompt-injection detector (local, no network, no model): one linear scan over the text folds
 * characters through a table (case, fullwidth and other compatibility forms, accents, look-alike
 * letters, zero-width characters dropped), hashes each word and looks the word, and the pair it
 * forms with the previous word, up in small tables of anchors. Only the short windows around anchors (rare in ordinary text) are normalised and
 * checked against the phrase rules of the families the anchors woke (`injection-rules.ts`). The
 * score is a noisy-OR over the strongest rule of each family that matched, in [0, 1].
 */
import { CHAR_CLASS, CLASS_FOLD, FOLD, IGNORABLE, PUNCT, WORD } from './fold.js';
import { ALL_FAMILIES, DOCUMENT_FAMILIES, FAM, FOREIGN, RULES } from './injection-rules.js';
import type { CueRule } from './injection-rules.js';
import { CJK_ANCHORS, CJK_FOREIGN, MULTILINGUAL_RULES, isCjk } from './injection-multilingual.js';
import {
  FILTER,
  PAIRS,
  PAIR_BIT,
  PAIR_KEY_BIT,
  ROLE_LABEL,
  START_SHIFT,
  TAG_WORD,
  WORDS,
  WORD_BIT,
  lookup,
  pairKey,
} from './injection-anchors.js';
import { MAX_HITS, SPACED_SPAN, prescan, prescanFor } from './prescan.js';
import type { Prescan } from './prescan.js';
import type { Finding, Severity } from './types.js';

/** What the text is: a tool argument or prompt a client sends, a tool/resource result, or a definition's description. */
export type InjectionContext = 'argument' | 'result' | 'description';

/** Score and evidence of {@link detectInjection}. */
export interface InjectionResult {
  /** 0 (no cue) to 1 (certain). */
  readonly score: number;
  /** One finding per matched cue rule, evidence = the cue text (≤ 120 chars). */
  readonly findings: Finding[];
}

const BEFORE = 120; // characters of context before an anchor
const AFTER = 160; // and after it
const MAX_WINDOW = 4096; // a merged window is cut at this length (later anchors open a new one)
const MAX_FINDINGS = 32; // enough evidence; stop checking windows after this many

function severityOf(weight: number): Severity {
  return weight >= 0.85 ? 'high' : weight >= 0.6 ? 'medium' : 'low';
}

/** Scans text for prompt-injection cues; pure and linear in the text length. */
export function detectInjection(text: string, options?: { kind?: InjectionContext }): InjectionResult {
  const kind = options?.kind ?? 'result';
  const allowed =
    (kind === 'argument' ? ALL_FAMILIES & ~DOCUMENT_FAMILIES : ALL_FAMILIES) | FOREIGN | CJK_FOREIGN;
  // The single pass (prescan.ts) records the anchors; without WebAssembly, the same scan in JavaScript.
  const pre = prescan(text);
  let hits: ArrayLike<number> = pre === undefined ? scanAnchors(text, allowed) : anchorsFor(pre, allowed);
  if (pre === undefined ? sawCjk : pre.cjk) hits = withCjkAnchors(text, hits, allowed & CJK_FOREIGN);
  // No anchor (nearly every short text): nothing to check, and nothing to set up for it.
  if (hits.length === 0) return { score: 0, findings: [] };
  // A text with several task sentences of its own (a how-to list, a tutorial, an FAQ) is written in
  // instructions: one more does not stand out there, so the bare task sentences do not count.
  let tasks = 0;
  for (let k = 2; k < hits.length; k += 3) if (((hits[k] as number) & FAM.task) !== 0) tasks++;
  const howTo = tasks >= HOW_TO_TASKS;
  const famBest = new Float64Array(16);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const n = text.length;
  // Merge the windows around anchors; each merged window (at most MAX_WINDOW long) is checked once,
  // against the rules of the families its anchors woke.
  let ws = -1;
  let we = -1;
  let wm = 0;
  for (let k = 0; k < hits.length && findings.length < MAX_FINDINGS; k += 3) {
    const s = Math.max(0, (hits[k] as number) - BEFORE);
    const e = Math.min(n, (hits[k + 1] as number) + AFTER);
    const m = hits[k + 2] as number;
    if (ws >= 0 && s <= we && e - ws <= MAX_WINDOW) {
      // A pair is recorded after the single word that ends it, so starts are only nearly sorted.
      ws = Math.min(ws, s);
      we = Math.max(we, e);
      wm |= m;
      continue;
    }
    if (ws >= 0) checkWindow(text, ws, we, wm, allowed, famBest, findings, seen, howTo);
    ws = s;
    we = e;
    wm = m;
  }
  if (ws >= 0 && findings.length < MAX_FINDINGS)
    checkWindow(text, ws, we, wm, allowed, famBest, findings, seen, howTo);

  let rest = 1;
  for (const b of famBest) rest *= 1 - b;
  return { score: Math.round((1 - rest) * 1000) / 1000, findings };
}

// SPACED_SPAN (prescan.ts): a run of spaced-out letters is checked from its start only this far (a
// cue fits; a megabyte of "a b a b" does not become one window). MAX_HITS: anchors kept (start, end,
// families); beyond that the text is cue-saturated.

/** Code units kept in one buffer between calls (2 MiB); a longer text gets its own. */
const SCRATCH_KEEP = 1 << 20;
let scratch = new Uint16Array(4096);
/** Texts up to this many code units are copied by a loop, longer ones natively. */
const SHORT_COPY = 32;
/** Whether this machine stores a Uint16Array little-endian (as `utf16le` writes it). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The UTF-16 code units of `text` (lone surrogates kept) in a reused buffer at least `text.length`
 * long: one native copy (about 4 µs for 64 KB). The scan reads them instead of calling
 * `charCodeAt`, whose optimised form depends on how V8 stores the string (one or two bytes per
 * character): after both kinds had been seen, the scan ran about 1.7 times slower.
 */
function codeUnits(text: string): Uint16Array {
  const n = text.length;
  let buf = scratch;
  if (buf.length < n) {
    buf = new Uint16Array(n);
    if (n <= SCRATCH_KEEP) scratch = buf;
  }
  // A short text is copied by a plain loop: cheaper than setting up a Buffer view for it.
  if (n <= SHORT_COPY) for (let i = 0; i < n; i++) buf[i] = text.charCodeAt(i);
  else if (LITTLE_ENDIAN) Buffer.from(buf.buffer, buf.byteOffset, n * 2).write(text, 0, n * 2, 'utf16le');
  else for (let i = 0; i < n; i++) buf[i] = text.charCodeAt(i);
  return buf;
}

/**
 * The single pass: folds each character through the tables, hashes words, and records the span and
 * families of every anchor (word, word pair, tag word after `<`/`[`/`/`, line-opening role label
 * before `:`, `<|` and `![`, a run of one-letter words) whose families are allowed. Most words cost
 * one filter-byte read: only words whose hash passes the filter are looked up.
 */
export function scanAnchors(text: string, allowed: number): number[] {
  const hits: number[] = [];
  const n = text.length;
  const codes = codeUnits(text);
  const filter = FILTER;
  let h = 0;
  let wlen = 0;
  let wstart = 0;
  let prevH = 0; // hash of the previous word
  let prevStart = -1; // its start, -1 if none (or punctuation since)
  let prevPair = false; // it may start a pair anchor (its filter byte has the pair bit)
  let prevAtSentence = false; // it opened a sentence
  let sentenceStart = true; // the next word opens a sentence
  let lineStart = true; // the next word opens a line
  let lastWasLineOpener = false; // the last word opened its line
  let lastValue = 0; // table value of the last word
  let spacedRun = 0; // consecutive one-letter words ("i g n o r e")
  let spacedStart = 0;
  let lastWordEnd = -10;
  const table = CLASS_FOLD;
  let cjk = false;
  for (let i = 0; i <= n; i++) {
    // One look-up per character; the position after the text acts as a separator.
    let c = i < n ? (codes[i] as number) : 32;
    // ASCII letters (most of any text) fold by arithmetic, without a memory load; the rest of an
    // ASCII word is read by a tight inner loop, and the character that ends it (anything but an
    // ASCII letter, or the separator after the text) is then handled below in this same iteration.
    // No code unit from U+0080 up lands in this range: `c | 32` is never below `c`.
    let lower = (c | 32) - 97;
    if (lower >= 0 && lower < 26) {
      if (wlen === 0) wstart = i;
      for (;;) {
        h = (Math.imul(h, 31) + lower + 97) | 0;
        wlen++;
        if (++i >= n) {
          c = 32;
          break;
        }
        c = codes[i] as number;
        lower = (c | 32) - 97;
        if (lower < 0 || lower >= 26) break;
      }
    }
    const v = table[c] as number;
    const cls = v >>> 16;
    if (cls === WORD) {
      if (!cjk && c >= 0x3040 && isCjk(c)) cjk = true;
      if (wlen === 0) wstart = i;
      h = (Math.imul(h, 31) + (v & 0xffff)) | 0;
      wlen++;
      continue;
    }
    if (cls === IGNORABLE) continue;
    if (wlen > 0) {
      if (wlen === 1) {
        const first = FOLD[codes[wstart] as number] as number;
        const isLetter = (first >= 97 && first <= 122) || first > 127;
        if (isLetter && spacedRun > 0 && wstart - lastWordEnd <= 2) spacedRun++;
        else {
          if (spacedRun >= 5 && hits.length < MAX_HITS)
            hits.push(spacedStart, Math.min(lastWordEnd, spacedStart + SPACED_SPAN), allowed);
          spacedRun = isLetter ? 1 : 0;
          spacedStart = wstart;
        }
      } else if (spacedRun > 0) {
        if (spacedRun >= 5 && hits.length < MAX_HITS)
          hits.push(spacedStart, Math.min(lastWordEnd, spacedStart + SPACED_SPAN), allowed);
        spacedRun = 0;
      }
      // One filter byte per word: whether it may be a word anchor, and may start a pair anchor.
      const bits = filter[(h ^ (h >>> 16)) & 0xffff] as number;
      let wv = 0;
      if ((bits & WORD_BIT) !== 0) {
        wv = lookup(WORDS, h);
        let fam = (wv & allowed) | (sentenceStart ? (wv >>> START_SHIFT) & allowed : 0);
        if ((wv & TAG_WORD) !== 0 && wstart > 0) {
          const before = codes[wstart - 1] as number;
          if (before === 60 || before === 91 || before === 47) fam |= FAM.tag & allowed;
        }
        if (fam !== 0 && hits.length < MAX_HITS) hits.push(wstart, i, fam);
      }
      if (prevStart >= 0 && prevPair) {
        const key = pairKey(prevH, h);
        if (((filter[(key ^ (key >>> 16)) & 0xffff] as number) & PAIR_KEY_BIT) !== 0) {
          const pv = lookup(PAIRS, key);
          const pf = (pv & allowed) | (prevAtSentence ? (pv >>> START_SHIFT) & allowed : 0);
          if (pf !== 0 && hits.length < MAX_HITS) hits.push(prevStart, i, pf);
        }
      }
      lastValue = wv;
      lastWasLineOpener = lineStart;
      prevH = h;
      prevPair = (bits & PAIR_BIT) !== 0;
      prevStart = wstart;
      prevAtSentence = sentenceStart;
      lastWordEnd = i;
      sentenceStart = false;
      lineStart = false;
      h = 0;
      wlen = 0;
    }
    if (cls === PUNCT) {
      if (c === 46 || c === 33 || c === 63) sentenceStart = true;
      else if (c === 58 && lastWasLineOpener && (lastValue & ROLE_LABEL) !== 0 && hits.length < MAX_HITS)
        hits.push(prevStart < 0 ? i : prevStart, i + 1, FAM.role & allowed);
      if (c === 60 || c === 33) {
        const next = i + 1 < n ? (codes[i + 1] as number) : 0;
        if (((c === 60 && next === 124) || (c === 33 && next === 91)) && hits.length < MAX_HITS)
          hits.push(i, i + 2, (FAM.tag | FAM.exfil) & allowed);
      }
      // Apostrophes and hyphens keep a pair together ("don't tell", "role-play"); other punctuation breaks it.
      if (c !== 39 && c !== 45) prevStart = -1;
    } else if (c === 10 || c === 13) {
      sentenceStart = true;
      lineStart = true;
    }
  }
  if (spacedRun >= 5 && hits.length < MAX_HITS)
    hits.push(spacedStart, Math.min(n, spacedStart + SPACED_SPAN), allowed);
  sawCjk = cjk;
  return hits;
}

/**
 * The anchors of `allowed` families from a pass that recorded them for `pre.allowed` (a superset):
 * each hit's families masked, hits left without any dropped, which is what {@link scanAnchors} with
 * `allowed` records. When the pass filled its list, the families it dropped beyond the cap might
 * have been others, so the text is scanned again for exactly these.
 */
function anchorsFor(pre: Prescan, allowed: number): ArrayLike<number> {
  if (pre.allowed === allowed) return pre.hits;
  if ((pre.allowed & allowed) !== allowed || pre.hits.length >= MAX_HITS)
    return prescanFor(pre.text, allowed)?.hits ?? scanAnchors(pre.text, allowed);
  const hits: number[] = [];
  const all = pre.hits;
  for (let k = 0; k < all.length; k += 3) {
    const m = (all[k + 2] as number) & allowed;
    if (m !== 0) hits.push(all[k] as number, all[k + 1] as number, m);
  }
  return hits;
}

/** Whether the last {@link scanAnchors} saw kana, CJK ideographs or Hangul (words there are not space-separated). */
let sawCjk = false;

/**
 * The anchor hits with those of {@link CJK_ANCHORS} merged in by start (the window merging expects
 * nearly sorted starts). Called only for a text with CJK or Hangul characters.
 */
function withCjkAnchors(text: string, hits: ArrayLike<number>, families: number): ArrayLike<number> {
  if (families === 0) return hits;
  const extra: number[] = [];
  const re = CJK_ANCHORS;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null && hits.length + extra.length < MAX_HITS; m = re.exec(text))
    extra.push(m.index, m.index + m[0].length, families);
  if (extra.length === 0) return hits;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < hits.length || j < extra.length) {
    const takeHit = j >= extra.length || (i < hits.length && (hits[i] as number) <= (extra[j] as number));
    const src = takeHit ? hits : extra;
    const k = takeHit ? i : j;
    out.push(src[k] as number, src[k + 1] as number, src[k + 2] as number);
    if (takeHit) i += 3;
    else j += 3;
  }
  return out;
}

// Folds text[start, end) for the phrase rules: whitespace runs → one space, invisible characters
// dropped, one-letter words separated by one character joined; `map[k]` is the source offset of
// folded character k.
function foldWindow(text: string, start: number, end: number): { s: string; map: Int32Array } {
  // The folded code units and their source offsets go into buffers reused from window to window
  // (a window is read before the next is folded); only the string is new.
  if (FOLDED.length < end - start + 2) {
    FOLDED = new Uint16Array(end - start + 2);
    MAP = new Int32Array(end - start + 2);
  }
  const codes = FOLDED;
  const map = MAP;
  let len = 0;
  if (start > 0) {
    const p = text.charCodeAt(start - 1);
    const c0 = text.charCodeAt(start);
    // Not at a sentence start: a sentinel keeps `^` from matching mid-sentence, or at the first
    // word of an indented line (a key in code, `  operator: "="`, is no role label).
    if (!(p === 10 || p === 46 || p === 33 || p === 63) || (p === 10 && (c0 === 32 || c0 === 9))) {
      codes[0] = 126;
      codes[1] = 32;
      map[0] = start;
      map[1] = start;
      len = 2;
    }
  }
  let prevWordLen = 0;
  let curWordLen = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const cls = CHAR_CLASS[c];
    if (cls === IGNORABLE) continue;
    if (cls === WORD) {
      curWordLen++;
      map[len] = i;
      codes[len++] = FOLD[c] as number;
      continue;
    }
    if (curWordLen > 0) {
      prevWordLen = curWordLen;
      curWordLen = 0;
    }
    const isSpace = cls !== PUNCT;
    const isJoinable = isSpace || c === 46 || c === 45 || c === 95 || c === 42;
    if (prevWordLen === 1 && isJoinable && i + 2 <= end) {
      const a = text.charCodeAt(i + 1);
      const b = i + 2 < end ? text.charCodeAt(i + 2) : 32;
      if (CHAR_CLASS[a] === WORD && CHAR_CLASS[b] !== WORD) continue; // "i g n o r e" → "ignore"
    }
    const f = isSpace ? 32 : (FOLD[c] as number);
    if (f === 32 && (len === 0 || codes[len - 1] === 32)) continue;
    if (!isSpace) prevWordLen = 0;
    map[len] = i;
    codes[len] =
      c === 10 || c === 13
        ? softBreak(text, len === 0 ? 0 : (codes[len - 1] as number), i, end)
          ? 11
          : 10
        : f;
    len++;
  }
  let s = '';
  for (let k = 0; k < len; k += 4096)
    s += String.fromCharCode.apply(null, codes.subarray(k, Math.min(len, k + 4096)) as unknown as number[]);
  return { s, map };
}

/** The buffers {@link foldWindow} reuses (grown for a longer window). */
let FOLDED = new Uint16Array(4096);
let MAP = new Int32Array(4096);

/**
 * Whether the line break at `i` only wraps a sentence: the folded text before it ends in a letter,
 * digit or comma, and the next line opens, not indented, with a lower-case ASCII letter. Such a break is folded
 * to a vertical tab, which phrase rules read as white space but not as a sentence start.
 */
function softBreak(text: string, last: number, i: number, end: number): boolean {
  if (last === 11) return true; // the LF of a CRLF whose CR was a soft break
  if (!((last >= 97 && last <= 122) || (last >= 48 && last <= 57) || last === 44)) return false;
  // The next line opens at once (no indent: an indented line is code or a list) in lower case.
  let j = i + 1;
  if (text.charCodeAt(i) === 13 && text.charCodeAt(j) === 10) j++;
  if (j >= end) return false;
  const c = text.charCodeAt(j);
  return c >= 97 && c <= 122;
}

/** Characters around a cue that are searched for signs of code or technical documentation. */
const CODE_BEFORE = 160;
const CODE_AFTER = 200;

/**
 * Whether the text around [from, to) reads as code or technical documentation: a backtick, a
 * brace, `()`, `=>`, or a markdown heading line. There, an imperative sentence ("Create a new
 * instance", "Define a schema") addresses the developer reading it, so the weak embedded-task cues
 * (a bare task sentence, nothing aimed at the assistant) do not count; every other family still does.
 */
export function codeAround(text: string, from: number, to: number): boolean {
  const a = Math.max(0, from - CODE_BEFORE);
  const b = Math.min(text.length, to + CODE_AFTER);
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c === 96 || c === 123 || c === 125) return true; // ` { }
    if (c === 40 && text.charCodeAt(i + 1) === 41) return true; // ()
    if (c === 61 && text.charCodeAt(i + 1) === 62) return true; // =>
    if (c === 35 && (i === 0 || text.charCodeAt(i - 1) === 10)) return true; // # heading
    // A command-line option opening a line (`-c, --catpath`, `--format`): a manual's option list.
    if (c === 45 && (i === 0 || text.charCodeAt(i - 1) === 10)) {
      const d = text.charCodeAt(i + 1) === 45 ? text.charCodeAt(i + 2) : text.charCodeAt(i + 1);
      if ((d | 32) >= 97 && (d | 32) <= 122) return true;
    }
  }
  return false;
}

/** English words that are not also common words of the other languages checked (no "a", "in", "is", "on", "as"). */
const ENGLISH_WORDS = new Set(
  (
    'the of and to are with your you this that from by be it its or into about which will can should must my ' +
    'our their some any all what how why who when where please'
  ).split(' '),
);
/** Function words of French, Spanish, Italian, Portuguese, German, Dutch, Scandinavian, Polish and Turkish. */
const OTHER_WORDS = new Set(
  (
    'de la le les des du au aux et est une un que qui pour dans sur avec pas ce cette ces sa ses leur el los las ' +
    'y es por para con una del al lo se su sus da dos das nao um uma em na il di che gli della delle dei nel der ' +
    'die das und ist nicht mit fur dem ein eine einen einem sie wird werden het een van voor zijn wordt och att ' +
    'ar som pa ett af og er til med ikke jest nie sie ze ve bir bu icin ile olarak'
  ).split(' '),
);

/**
 * Whether the bare task sentence at [from, to) is not English, so an English task pattern matched a
 * word another language shares ("Define el lugar …", "Analyse des options …"), or is a keyword: the
 * verb in capitals before a word that is not (`DEFINE clave valor`; `EXPLAIN SELECT` is all capitals
 * and still counts). The sentence (to its end, at most 160 characters) is not English when its
 * words in other scripts and function words of the other languages outnumber English function words.
 */
export function notEnglishTask(text: string, from: number, to: number): boolean {
  const end = Math.min(text.length, from + 160);
  const sentence = text.slice(from, end).split(/[.!?\n]/, 1)[0] ?? '';
  const words = sentence.match(/[\p{L}']+/gu) ?? [];
  const verb = words[0] ?? '';
  const next = words[1] ?? '';
  if (verb.length > 1 && /^[A-Z]+$/.test(verb) && next !== '' && !/^[A-Z0-9']+$/.test(next)) return true;
  let english = 0;
  let other = 0;
  for (const w of words) {
    // A word in another script (Cyrillic, Greek, CJK, Hangul, …) is not English.
    if (!/^[A-Za-z\u00c0-\u024f']+$/.test(w)) {
      other++;
      continue;
    }
    const f = w.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
    if (ENGLISH_WORDS.has(f)) english++;
    else if (OTHER_WORDS.has(f)) other++;
  }
  return other > english && to <= end;
}

/**
 * Every phrase rule: English and German first, then the other languages, whose rules need
 * {@link FOREIGN} in the window's mask instead of their family.
 */
const ALL_RULES: readonly CueRule[] = [...RULES, ...MULTILINGUAL_RULES.map((r) => ({ ...r, foreign: true }))];

/** Embedded-task rules at or below this weight are bare task sentences (see {@link codeAround}). */
const WEAK_TASK = 0.55;
/** Task-sentence anchors from which a text reads as a how-to list (bare task sentences then do not count). */
const HOW_TO_TASKS = 3;

function checkWindow(
  text: string,
  start: number,
  end: number,
  mask: number,
  allowed: number,
  famBest: Float64Array,
  findings: Finding[],
  seen: Set<string>,
  howTo: boolean,
): void {
  const { s, map } = foldWindow(text, start, end);
  for (const rule of ALL_RULES) {
    // A rule of another language runs where an anchor of those languages woke the window (if its
    // family is allowed for this kind of text); the others where an anchor woke their family.
    if (
      rule.foreign === true
        ? (mask & (rule.cjk === true ? CJK_FOREIGN : FOREIGN)) === 0 || (rule.family & allowed) === 0
        : (rule.family & mask) === 0
    )
      continue;
    const m = rule.re.exec(s);
    if (m === null) continue;
    let a = m.index;
    // Evidence starts at the cue, not at the sentence boundary the pattern anchored on.
    while (a < s.length - 1 && (s[a] === ' ' || s[a] === '.' || s[a] === '\n' || s[a] === '~')) a++;
    const from = map[a] ?? start;
    const to = (map[m.index + m[0].length - 1] ?? end - 1) + 1;
    if (
      rule.family === FAM.task &&
      rule.weight <= WEAK_TASK &&
      (howTo || codeAround(text, from, to) || notEnglishTask(text, from, to))
    )
      continue;
    // One cue counts once, even when rules of two families match the same span; a rule is listed
    // once per start (its longer and shorter forms are one finding).
    const span = `span:${from}:${to}`;
    if (seen.has(span)) continue;
    seen.add(span);
    const fam = 31 - Math.clz32(rule.family);
    famBest[fam] = Math.max(famBest[fam] ?? 0, rule.weight);
    const listed = `rule:${rule.id}:${from}`;
    if (seen.has(listed)) continue;
    seen.add(listed);
    findings.push({
      rule: `injection.${rule.id}`,
      kind: 'injection',
      severity: severityOf(rule.weight),
      start: from,
      end: to,
      evidence: text.slice(from, Math.min(to, from + 120)),
      score: rule.weight,
    });
    if (findings.length >= MAX_FINDINGS) return;
  }
}

// Run the scan once at load on a short text, so every statement after its loop has type feedback
// before V8 first optimises the loop (on-stack, in the middle of a long first text). Without it
// the optimised loop left by a deoptimisation at its exit on every later call, and the scan ran
// about 1.7 times slower from then on.
for (let k = 0; k < 20; k++) scanAnchors('warm up.', ALL_FAMILIES);
