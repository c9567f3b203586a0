/**
 * Prompt-injection detector (local, no network, no model): one linear scan over the text folds
 * characters through a table (case, fullwidth and other compatibility forms, accents, look-alike
 * letters, zero-width characters dropped), hashes each word and looks it up in a small table of
 * anchor words. Only the short windows around anchors (rare in ordinary text) are normalised and
 * checked against the phrase rules of the families the anchors woke (`injection-rules.ts`). The
 * score is a noisy-OR over the strongest rule of each family that matched, in [0, 1].
 */
import { CHAR_CLASS, FOLD, IGNORABLE, PUNCT, WORD } from './fold.js';
import { ALL_FAMILIES, DOCUMENT_FAMILIES, FAM, RULES } from './injection-rules.js';
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

// Anchor words (folded) → families they wake; `*` marks words that count only when they open a
// sentence (imperatives and questions addressed to the assistant inside a document).
const ANCHORS: Record<string, number> = {};
function anchor(families: number, words: string): void {
  for (const w of words.split(/\s+/)) if (w !== '') ANCHORS[w] = (ANCHORS[w] ?? 0) | families;
}
anchor(FAM.override | FAM.leak, 'instructions instruction prompt prompts directive directives guidelines');
anchor(
  FAM.override,
  'ignore ignoring ignored disregard disregarding forget forgetting bypass override overlook neglect discard abandon ' +
    'assignments orders irrelevant outdated obsolete task tasks mission ' +
    'ignoriere ignorieren ignorier vergiss vergessen vergesse missachte missachten anweisungen anweisung ' +
    'instruktionen aufgabe aufgaben auftrage abweichend ignora ignorez olvide olvida oubliez oublie zaboravi ' +
    'instrucciones instrukcije esqueca dimentica забудьте забудь игнорируй инструкции ' +
    'stop stopp achtung attention nevermind say print repeat',
);
anchor(FAM.override | FAM.response, 'answer answers respond reply');
anchor(
  FAM.role,
  'now pretend imagine suppose roleplay role act acting behave immerse character persona jetzt nun sofort ' +
    'fungieren stell longer system admin administrator developer root operator assistant openai anthropic gpt human',
);
anchor(FAM.tag, 'system important inst sys im instructions admin endoftext eot assistant hidden secret');
anchor(
  FAM.exfil,
  'send forward email upload transmit exfiltrate leak password passwords credentials credential api token tokens ' +
    'secret secrets ssh rsa passwd env cookies',
);
anchor(
  FAM.secrecy,
  'tell telling inform notify mention reveal secret secretly silently covertly quietly niemandem verrate nutzer benutzer',
);
anchor(FAM.tool, 'tool tools credentials calling invoke');
anchor(
  FAM.jailbreak,
  'dan stan dude mongo jailbreak jailbroken developer mode unrestricted unfiltered uncensored amoral unethical ' +
    'restrictions limitations censorship ethics morals confines safeguards evil bose opposite hate',
);
anchor(FAM.leak, 'show reveal display written zeige');
anchor(FAM.response, 'response responses replies output outputs');
anchor(FAM.code, 'code script snippet excerpt codebase curl wget rm dd stratum xmrig shadow environ');
const SENTENCE_START_ANCHORS =
  'explain describe translate draft compose summarize summarise outline compare define calculate solve elaborate ' +
  'discuss analyze analyse evaluate recommend suggest develop create generate write provide give tell show list ' +
  'name break produce craft paraphrase rephrase rewrite elaborate can could would how what who when why where which';

// Open-addressing table of 32-bit word hashes; value = families, sentence-start families in the high half.
const TABLE_BITS = 12;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const KEYS = new Int32Array(1 << TABLE_BITS);
const USED = new Uint8Array(1 << TABLE_BITS);
const VALUES = new Uint32Array(1 << TABLE_BITS);

function hashWord(w: string): number {
  let h = 0;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (CHAR_CLASS[c] === IGNORABLE) continue;
    h = (Math.imul(h, 31) + (FOLD[c] ?? 0)) | 0;
  }
  return h;
}

function slotOf(h: number): number {
  let i = (h ^ (h >>> 13)) & TABLE_MASK;
  while (USED[i] === 1 && KEYS[i] !== h) i = (i + 1) & TABLE_MASK;
  return i;
}

function addAnchor(w: string, value: number): void {
  const h = hashWord(w);
  const i = slotOf(h);
  USED[i] = 1;
  KEYS[i] = h;
  VALUES[i] = (VALUES[i] ?? 0) | value;
}
for (const [w, fam] of Object.entries(ANCHORS)) addAnchor(w, fam);
for (const w of SENTENCE_START_ANCHORS.split(' ')) addAnchor(w, FAM.task << 16);

const BEFORE = 200; // characters of context before an anchor
const AFTER = 240; // and after it
const MAX_WINDOW = 4096; // a merged window is cut at this length (later anchors open a new one)
const MAX_FINDINGS = 32; // enough evidence; stop checking windows after this many

function severityOf(weight: number): Severity {
  return weight >= 0.85 ? 'high' : weight >= 0.6 ? 'medium' : 'low';
}

/** Scans text for prompt-injection cues; pure and linear in the text length. */
export function detectInjection(text: string, options?: { kind?: InjectionContext }): InjectionResult {
  const kind = options?.kind ?? 'result';
  const allowed = kind === 'argument' ? ALL_FAMILIES & ~DOCUMENT_FAMILIES : ALL_FAMILIES;
  const famBest = new Float64Array(16);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const n = text.length;

  let winStart = -1;
  let winEnd = -1;
  let winMask = 0;
  let done = false;

  const flush = (): void => {
    if (winStart < 0 || done) return;
    checkWindow(text, winStart, winEnd, winMask, famBest, findings, seen);
    if (findings.length >= MAX_FINDINGS) done = true;
    winStart = -1;
  };
  const hit = (start: number, end: number, mask: number): void => {
    const m = mask & allowed;
    if (m === 0 || done) return;
    const s = Math.max(0, start - BEFORE);
    const e = Math.min(n, end + AFTER);
    if (winStart >= 0 && s <= winEnd && e - winStart <= MAX_WINDOW) {
      winEnd = Math.max(winEnd, e);
      winMask |= m;
      return;
    }
    flush();
    winStart = s;
    winEnd = e;
    winMask = m;
  };

  let h = 0;
  let wlen = 0;
  let wstart = 0;
  let sentenceStart = true;
  let spacedRun = 0; // consecutive one-letter words ("i g n o r e")
  let spacedStart = 0;
  let lastWordEnd = -10;
  for (let i = 0; i < n && !done; i++) {
    const c = text.charCodeAt(i);
    const cls = CHAR_CLASS[c];
    if (cls === WORD) {
      if (wlen === 0) wstart = i;
      h = (Math.imul(h, 31) + (FOLD[c] as number)) | 0;
      wlen++;
      continue;
    }
    if (cls === IGNORABLE) continue;
    if (wlen > 0) {
      if (wlen === 1) {
        if (spacedRun > 0 && wstart - lastWordEnd <= 2) spacedRun++;
        else {
          spacedRun = 1;
          spacedStart = wstart;
        }
      } else {
        if (spacedRun >= 5) hit(spacedStart, lastWordEnd, ALL_FAMILIES);
        spacedRun = 0;
        if (wlen <= 24) {
          let j = (h ^ (h >>> 13)) & TABLE_MASK;
          while (USED[j] === 1) {
            if (KEYS[j] === h) {
              const v = VALUES[j] as number;
              const m = (v & 0xffff) | (sentenceStart ? v >>> 16 : 0);
              if (m !== 0) hit(wstart, i, m);
              break;
            }
            j = (j + 1) & TABLE_MASK;
          }
        }
      }
      lastWordEnd = i;
      sentenceStart = false;
      h = 0;
      wlen = 0;
    }
    if (cls === PUNCT) {
      // Sentence ends wake sentence-start anchors; `<|`, `[` + `inst`, `![` (markdown image) are anchors themselves.
      if (c === 46 || c === 33 || c === 63) sentenceStart = true;
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if ((c === 60 && next === 124) || (c === 33 && next === 91)) hit(i, i + 2, FAM.tag | FAM.exfil);
    } else if (c === 10 || c === 13) sentenceStart = true;
  }
  if (!done && wlen > 0) {
    // The last word: run the loop body once more through a trailing separator.
    const tail = detectTail(text, wstart, h, wlen, sentenceStart);
    if (tail !== 0) hit(wstart, n, tail);
  }
  if (!done && spacedRun >= 5) hit(spacedStart, n, ALL_FAMILIES);
  flush();

  let rest = 1;
  for (const b of famBest) rest *= 1 - b;
  return { score: Math.round((1 - rest) * 1000) / 1000, findings };
}

function detectTail(_text: string, _start: number, h: number, wlen: number, sentenceStart: boolean): number {
  if (wlen < 2 || wlen > 24) return 0;
  let j = (h ^ (h >>> 13)) & TABLE_MASK;
  while (USED[j] === 1) {
    if (KEYS[j] === h) {
      const v = VALUES[j] as number;
      return (v & 0xffff) | (sentenceStart ? v >>> 16 : 0);
    }
    j = (j + 1) & TABLE_MASK;
  }
  return 0;
}

// Folds text[start, end) for the phrase rules: whitespace runs → one space, invisible characters
// dropped, one-letter words separated by one character joined; `map[k]` is the source offset of
// folded character k.
function foldWindow(text: string, start: number, end: number): { s: string; map: Int32Array } {
  const codes: number[] = [];
  const map = new Int32Array(end - start + 2);
  if (start > 0) {
    const p = text.charCodeAt(start - 1);
    // Not at a sentence start: a sentinel keeps `^` from matching mid-sentence.
    if (!(p === 10 || p === 46 || p === 33 || p === 63)) {
      codes.push(126, 32);
      map[0] = start;
      map[1] = start;
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
      map[codes.length] = i;
      codes.push(FOLD[c] as number);
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
    if (f === 32 && (codes.length === 0 || codes[codes.length - 1] === 32)) continue;
    if (!isSpace) prevWordLen = 0;
    map[codes.length] = i;
    codes.push(c === 10 || c === 13 ? 10 : f);
  }
  let s = '';
  for (let k = 0; k < codes.length; k += 4096) s += String.fromCharCode(...codes.slice(k, k + 4096));
  return { s, map };
}

function checkWindow(
  text: string,
  start: number,
  end: number,
  mask: number,
  famBest: Float64Array,
  findings: Finding[],
  seen: Set<string>,
): void {
  const { s, map } = foldWindow(text, start, end);
  for (const rule of RULES) {
    if ((rule.family & mask) === 0) continue;
    const m = rule.re.exec(s);
    if (m === null) continue;
    let a = m.index;
    // Evidence starts at the cue, not at the sentence boundary the pattern anchored on.
    while (a < s.length - 1 && (s[a] === ' ' || s[a] === '.' || s[a] === '\n' || s[a] === '~')) a++;
    const from = map[a] ?? start;
    const to = (map[m.index + m[0].length - 1] ?? end - 1) + 1;
    const key = `${rule.id}:${from}`;
    const fam = 31 - Math.clz32(rule.family);
    famBest[fam] = Math.max(famBest[fam] ?? 0, rule.weight);
    if (seen.has(key)) continue;
    seen.add(key);
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
