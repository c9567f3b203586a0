// AssemblyScript source of the detectors' single pass (src/detect/prescan.ts loads the compiled
// module; `npm run wasm` rebuilds src/detect/prescan-wasm.ts from this file). Not compiled by tsc.
//
// One loop over the text's UTF-16 code units does the work of the separate scans the detectors
// used to make: it folds and hashes words and records injection anchors (the port of
// `scanAnchors`), and it lists the places where the personal-data and secret detectors' patterns
// can start. The detectors then run their own regular expressions only there, so what they find
// is what a scan of the whole text would find; the lists are a superset of the match starts.

// --- memory layout (bytes); src/detect/prescan.ts fills the tables once ---
export const CLASS_FOLD_AT: i32 = 0; // i32[65536]: (class << 16) | folded code unit
export const FILTER_AT: i32 = 262144; // u8[65536]: anchor filter bits per 16-bit word-hash fold
export const WORDS_AT: i32 = 327680; // keys i32[2048], used u8[2048], values u32[2048]
export const PAIRS_AT: i32 = 346112; // the same for word pairs
export const KEY_NAMES_AT: i32 = 364544; // u8[32768]: 1 at the hash of four letters that open a secret key name
export const COUNTS_AT: i32 = 397312; // i32[16]: list lengths and flags after a scan
const ACT_AT: i32 = 397376; // u8[128]: what each ASCII character does besides folding (A_* bits)
export const TEXT_AT: i32 = 401408; // u16[n + 1]: the text and a space, then the lists

const TABLE_MASK: i32 = 2047;
const KEYS: i32 = 0;
const USED: i32 = 8192;
const VALUES: i32 = 10240;

// Character classes of the fold table (src/detect/fold.ts).
const WORD: i32 = 1;
const PUNCT: i32 = 2;
const IGNORABLE: i32 = 3;

// Filter bits and table-value flags (src/detect/injection-anchors.ts).
const WORD_BIT: i32 = 1;
const PAIR_BIT: i32 = 2;
const PAIR_KEY_BIT: i32 = 4;
const START_SHIFT: i32 = 12;
const TAG_WORD: i32 = 1 << 24;
const ROLE_LABEL: i32 = 1 << 25;

// Lists: index in COUNTS, and the flag bit set when the list filled up.
export const L_HITS: i32 = 0; // injection anchors: start, end, families
export const L_IP4: i32 = 1; // runs of [0-9.] with 3 dots and 4 digits: start, end
export const L_NUM: i32 = 2; // runs of [0-9+( ./)-] from a [+(0-9] with 7 digits: start, end
export const L_IBAN: i32 = 3; // [A-Z][A-Z][0-9][0-9] starts
export const L_IP6: i32 = 4; // "::" and ":h:h:h:" starts
export const L_SEP: i32 = 5; // `:`/`=` that can end a key name, its tail, a quote and spaces (keyBefore)
export const L_POST: i32 = 6; // a space before one digit and a capital, or before four or five digits
export const L_TOKEN: i32 = 7; // where a secret-token anchor can start (not in order: sort)
export const L_CTRL: i32 = 8; // runs of code units outside tab, line feed and printable ASCII: start, end
export const L_AT: i32 = 9; // offsets of `@`
export const LISTS: i32 = 10;
export const FLAGS: i32 = 15; // COUNTS slot: bit 0 CJK seen, bit 1 + list: that list overflowed

// Bits of the ASCII action table.
const A_NUM: i32 = 1; // goes on a run of number characters: space . / ( ) - +
const A_NUM_OPEN: i32 = 2; // opens one: + (
const A_TOKEN: i32 = 4; // a secret-token anchor can sit around it: _ - . /
const A_SEP: i32 = 8; // a key separator: : =
const A_CTRL: i32 = 32; // outside tab, line feed and printable ASCII (every code unit from 0x80 too)
const A_SENTENCE: i32 = 64; // ends a sentence: . ! ?
const A_AT: i32 = 128; // @ (e-mail addresses)
const A_PLAIN: i32 = 16; // punctuation that only ends runs and the word: " , ; { } [ ] and the like

// (No string literals here: the module's static data would sit at the start of memory, where the
// tables go.)
@inline function setAct(c: i32, bit: i32): void {
  store<u8>(ACT_AT + c, <i32>load<u8>(ACT_AT + c) | bit);
}

// `pwd` and `api` as three five-bit letters.
const PWD: i32 = (16 << 10) | (23 << 5) | 4;
const API: i32 = (1 << 10) | (16 << 5) | 9;

let famTag: i32 = 0;
let famExfil: i32 = 0;
let famRole: i32 = 0;
let spacedSpan: i32 = 600;
let hitsCap: i32 = 12288;
let keyReach: i32 = 64;

/** Family bits and limits the loop needs (from src/detect/injection-rules.ts and injection.ts). */
export function configure(tag: i32, exfil: i32, role: i32, span: i32, maxHits: i32, reach: i32): void {
  famTag = tag;
  famExfil = exfil;
  famRole = role;
  spacedSpan = span;
  hitsCap = maxHits;
  keyReach = reach;
  memory.fill(ACT_AT, 0, 128);
  // space . / ( ) - +  go on a number run; + ( open one
  setAct(32, A_NUM);
  setAct(46, A_NUM | A_TOKEN | A_SENTENCE);
  setAct(47, A_NUM | A_TOKEN);
  setAct(40, A_NUM | A_NUM_OPEN);
  setAct(41, A_NUM);
  setAct(45, A_NUM | A_TOKEN);
  setAct(43, A_NUM | A_NUM_OPEN);
  setAct(95, A_TOKEN); // _
  setAct(58, A_SEP); // :
  setAct(61, A_SEP); // =
  setAct(33, A_SENTENCE); // !
  setAct(63, A_SENTENCE); // ?
  setAct(64, A_AT); // @
  for (let c: i32 = 33; c < 127; c++) {
    const alnum = <u32>((c | 32) - 97) < 26 || <u32>(c - 48) < 10;
    if (!alnum && load<u8>(ACT_AT + c) == 0 && c != 60 && c != 39) store<u8>(ACT_AT + c, A_PLAIN);
  }
  for (let c: i32 = 0; c < 128; c++)
    if (c == 0x7f || (c < 0x20 && c != 9 && c != 10)) store<u8>(ACT_AT + c, <i32>load<u8>(ACT_AT + c) | A_CTRL);
}

// List bases and capacities (set per scan).
let base0: i32 = 0;
let cap: i32 = 0;
let n0: i32 = 0;
let n1: i32 = 0;
let n2: i32 = 0;
let n3: i32 = 0;
let n4: i32 = 0;
let n5: i32 = 0;
let n6: i32 = 0;
let n7: i32 = 0;
let n8: i32 = 0;
let n9: i32 = 0;
let flags: i32 = 0;

@inline function listAt(list: i32): i32 {
  return base0 + hitsCap * 4 + (list - 1) * cap * 4;
}

@inline function lookup(table: i32, key: i32): i32 {
  let i = (key ^ (key >>> 13)) & TABLE_MASK;
  while (load<u8>(table + USED + i) == 1) {
    if (load<i32>(table + KEYS + (i << 2)) == key) return load<i32>(table + VALUES + (i << 2));
    i = (i + 1) & TABLE_MASK;
  }
  return 0;
}

@inline function hit(s: i32, e: i32, fam: i32): void {
  if (n0 < hitsCap) {
    const p = base0 + (n0 << 2);
    store<i32>(p, s);
    store<i32>(p + 4, e);
    store<i32>(p + 8, fam);
    n0 += 3;
  }
}

function pair(list: i32, count: i32, s: i32, e: i32): i32 {
  if (count + 2 > cap) {
    flags |= 2 << list;
    return count;
  }
  const p = listAt(list) + (count << 2);
  store<i32>(p, s);
  store<i32>(p + 4, e);
  return count + 2;
}

function one(list: i32, count: i32, s: i32): i32 {
  if (count + 1 > cap) {
    flags |= 2 << list;
    return count;
  }
  store<i32>(listAt(list) + (count << 2), s);
  return count + 1;
}

@inline function code(i: i32): i32 {
  return <i32>load<u16>(TEXT_AT + (i << 1));
}

@inline function isHex(c: i32): bool {
  return <u32>(c - 48) < 10 || <u32>((c | 32) - 97) < 6;
}

@inline function isUpper(c: i32): bool {
  return <u32>(c - 65) < 26;
}

@inline function isCjk(c: i32): bool {
  return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af);
}

/**
 * Whether a secret key name can end before the separator at `i` (secrets.ts `KEY_SEPARATOR`:
 * key name, `[\w.-]{0,32}`, a quote, up to four spaces, the separator). Read backwards: the spaces,
 * the quote, then the run of `[\w.-]` that must hold the key name, where four letters that open a
 * key name (`KEY_NAMES_AT`), or `pwd` or `api` ending a run of letters, must start at most
 * `keyReach` before the separator. Called only at `:` and `=`.
 */
@inline function keyBefore(i: i32): bool {
  const stop = max(0, i - keyReach);
  let k = i - 1;
  while (k >= stop && i - k <= 5 && isSpace(code(k))) k--;
  if (i - k > 5) return false;
  if (k >= stop && (code(k) == 34 || code(k) == 39)) k--;
  // The last letters read, five bits each (a = 1 … z = 26 in either case), the first one highest.
  let q: i32 = 0;
  let letters: i32 = 0;
  for (; k >= stop; k--) {
    const c = code(k);
    if (<u32>((c | 32) - 97) < 26) {
      q = (q >>> 5) | ((c & 31) << 15);
      letters++;
      if (letters >= 4) {
        if (load<u8>(KEY_NAMES_AT + ((q ^ (q >>> 15)) & 0x7fff)) != 0) return true;
      } else if (letters == 3 && ((q >>> 5) == PWD || (q >>> 5) == API)) return true;
    } else if (<u32>(c - 48) < 10 || c == 95 || c == 46 || c == 45) {
      q = 0;
      letters = 0;
    } else return false;
  }
  return false;
}

/** Whether `c` is in JavaScript's `\s` (white space and line terminators). */
@inline function isSpace(c: i32): bool {
  if (c < 128) return c == 32 || (c >= 9 && c <= 13);
  return (
    c == 0xa0 ||
    c == 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c == 0x2028 ||
    c == 0x2029 ||
    c == 0x202f ||
    c == 0x205f ||
    c == 0x3000 ||
    c == 0xfeff
  );
}

/**
 * Ends the open run of number characters (if any) at `end`: listed when it has seven digits and is
 * not just a date.
 */
@inline function endNum(end: i32): void {
  if (numStart < 0) return;
  const start = numStart;
  numStart = -1;
  if (numDigits < 7) return;
  // `2026-11-30` (one separator kind of `-`, `/`, `.`): the number detector never reports a date,
  // and no other personal-data shape can start inside one, so the run is left out.
  if (end - start == 10) {
    const s = code(start + 4);
    if ((s == 45 || s == 47 || s == 46) && code(start + 7) == s) return;
  }
  n2 = pair(L_NUM, n2, start, end);
}

/** Ends the open run of `[0-9.]` (if any) at `end`: listed when it can hold a dotted quad. */
@inline function endIp(end: i32): void {
  if (ipStart < 0) return;
  if (ipDots >= 3 && ipDigits >= 4) n1 = pair(L_IP4, n1, ipStart, end);
  ipStart = -1;
}

/** Ends the open run of control and non-ASCII code units (if any) at `end`. */
@inline function endCtrl(end: i32): void {
  if (ctrlStart < 0) return;
  n8 = pair(L_CTRL, n8, ctrlStart, end);
  ctrlStart = -1;
}

/** Where a secret-token anchor can start around the punctuation `c` at `i` (secrets.ts `TOKENS`). */
@inline function tokenAt(c: i32, i: i32, n: i32): void {
  if (c == 95) {
    // gh[pousr]_  github_pat_  pm_  hp(pa|ca|at|ss)_  ps_ey  _api_
    const a = i >= 1 ? code(i - 1) : 0;
    const b = i >= 2 ? code(i - 2) : 0;
    if (i >= 3 && code(i - 3) == 103 && b == 104) n7 = one(L_TOKEN, n7, i - 3);
    if (i >= 6 && code(i - 6) == 103 && code(i - 5) == 105 && code(i - 4) == 116) n7 = one(L_TOKEN, n7, i - 6);
    if ((b == 112 && (a == 109 || a == 115))) n7 = one(L_TOKEN, n7, i - 2);
    if (i >= 4 && code(i - 4) == 104 && code(i - 3) == 112) n7 = one(L_TOKEN, n7, i - 4);
    if (i + 4 < n && code(i + 1) == 97 && code(i + 2) == 112 && code(i + 3) == 105 && code(i + 4) == 95)
      n7 = one(L_TOKEN, n7, i);
  } else if (c == 45) {
    // xox[bpaor]-  xapp-  k-  -----BEGIN
    if (i >= 1 && code(i - 1) == 107) n7 = one(L_TOKEN, n7, i - 1);
    if (i >= 4 && code(i - 4) == 120 && (code(i - 3) == 111 || code(i - 3) == 97)) n7 = one(L_TOKEN, n7, i - 4);
    if (i + 5 < n && code(i + 1) == 45 && code(i + 5) == 66) n7 = one(L_TOKEN, n7, i);
  } else if (c == 46) {
    // SG.  [kK][sS].slack.com/
    if (i >= 2) {
      const a = code(i - 1);
      const b = code(i - 2);
      if ((b == 83 && a == 71) || ((b | 32) == 107 && (a | 32) == 115)) n7 = one(L_TOKEN, n7, i - 2);
    }
  } else if (c == 47) {
    // `://user:password@`: listed only when the first `/`, `:` or ASCII space after `://` is a `:`
    // within 257 characters (the expression's host part is `[^\s/:]{1,256}`; a wider stop set
    // would drop candidates, this narrower one can only keep more).
    if (i >= 1 && code(i - 1) == 58 && code(i + 1) == 47) {
      let k = i + 2;
      const limit = min(n, i + 259);
      while (k < limit) {
        const d = code(k);
        if (d == 47 || d == 58 || d == 32 || (d >= 9 && d <= 13)) break;
        k++;
      }
      if (k < limit && code(k) == 58 && k > i + 2) n7 = one(L_TOKEN, n7, i - 1);
    }
  }
}

/** Where a capital at `i` can open a token: `A(3T|KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA)`, `yJ`. */
@inline function capitalAt(c: i32, i: i32): void {
  if (c == 65) {
    const a = code(i + 1);
    if (a == 51 || a == 75 || a == 83 || a == 71 || a == 73 || a == 82 || a == 78) n7 = one(L_TOKEN, n7, i);
  } else if (c == 74 && i >= 1 && code(i - 1) == 121) n7 = one(L_TOKEN, n7, i - 1);
}

/** A digit at `i` after a space: listed when one capital or four or five digits in all follow. */
@inline function postcodeAt(i: i32, n: i32): void {
  if (isUpper(code(i + 1))) {
    n6 = one(L_POST, n6, i - 1);
    return;
  }
  let k = i;
  while (k < n && k - i < 6 && <u32>(code(k) - 48) < 10) k++;
  if (k - i == 4 || k - i == 5) n6 = one(L_POST, n6, i - 1);
}

// The scan's state besides the word being read (`h`, `wlen`) lives in globals, set at the start of
// each scan. As locals, V8 kept them in registers and moved and spilled them around the loop's many
// branches; as globals each is a plain load or store, and the loop measured about 19 % faster.
// Injection state (as in scanAnchors):
let wstart: i32 = 0;
let prevH: i32 = 0;
let prevStart: i32 = -1;
let prevPair: bool = false;
let prevAtSentence: bool = false;
let sentenceStart: bool = true;
let lineStart: bool = true;
let lastWasLineOpener: bool = false;
let lastValue: i32 = 0;
let spacedRun: i32 = 0;
let spacedStart: i32 = 0;
let lastWordEnd: i32 = -10;
let cjk: bool = false;
// Personal-data state: the open runs of number characters and of `[0-9.]`, the last colons (IPv6),
// the last space (postcodes), where the open run of control and non-ASCII code units began.
let numStart: i32 = -1;
let numDigits: i32 = 0;
let ipStart: i32 = -1;
let ipDigits: i32 = 0;
let ipDots: i32 = 0;
let lastColon: i32 = -10;
let c1: i32 = -10;
let c2: i32 = -10;
let chain: i32 = 0;
let spaceAt: i32 = -10;
let ctrlStart: i32 = -1;

/** The word of `wlen` code units ending at `i` (hash `h`): anchors, word pairs, spaced-out letters. */
@inline function endWord(i: i32, h: i32, wlen: i32, allowed: i32): void {
  if (wlen == 1) {
    const first = load<i32>(CLASS_FOLD_AT + (code(wstart) << 2)) & 0xffff;
    const isLetter = (first >= 97 && first <= 122) || first > 127;
    if (isLetter && spacedRun > 0 && wstart - lastWordEnd <= 2) spacedRun++;
    else {
      if (spacedRun >= 5) hit(spacedStart, min(lastWordEnd, spacedStart + spacedSpan), allowed);
      spacedRun = isLetter ? 1 : 0;
      spacedStart = wstart;
    }
  } else if (spacedRun > 0) {
    if (spacedRun >= 5) hit(spacedStart, min(lastWordEnd, spacedStart + spacedSpan), allowed);
    spacedRun = 0;
  }
  const bits = <i32>load<u8>(FILTER_AT + ((h ^ (h >>> 16)) & 0xffff));
  let wv: i32 = 0;
  if ((bits & WORD_BIT) != 0) {
    wv = lookup(WORDS_AT, h);
    let fam = (wv & allowed) | (sentenceStart ? (wv >>> START_SHIFT) & allowed : 0);
    if ((wv & TAG_WORD) != 0 && wstart > 0) {
      const before = code(wstart - 1);
      if (before == 60 || before == 91 || before == 47) fam |= famTag & allowed;
    }
    if (fam != 0) hit(wstart, i, fam);
  }
  if (prevStart >= 0 && prevPair) {
    const key = (prevH * <i32>0x9e3779b1) ^ h;
    if ((<i32>load<u8>(FILTER_AT + ((key ^ (key >>> 16)) & 0xffff)) & PAIR_KEY_BIT) != 0) {
      const pv = lookup(PAIRS_AT, key);
      const pf = (pv & allowed) | (prevAtSentence ? (pv >>> START_SHIFT) & allowed : 0);
      if (pf != 0) hit(prevStart, i, pf);
    }
  }
  lastValue = wv;
  lastWasLineOpener = lineStart;
  prevH = h;
  prevPair = (bits & PAIR_BIT) != 0;
  prevStart = wstart;
  prevAtSentence = sentenceStart;
  lastWordEnd = i;
  sentenceStart = false;
  lineStart = false;
}

/**
 * Scans the `n` code units at TEXT_AT; the lists start at `lists` (`hitsCap` ints of anchors,
 * then `capacity` ints per other list). Lengths and flags land in COUNTS.
 */
export function scan(n: i32, allowed: i32, lists: i32, capacity: i32): void {
  base0 = lists;
  cap = capacity;
  n0 = 0;
  n1 = 0;
  n2 = 0;
  n3 = 0;
  n4 = 0;
  n5 = 0;
  n6 = 0;
  n7 = 0;
  n8 = 0;
  n9 = 0;
  flags = 0;
  // injection state (as in scanAnchors)
  let h: i32 = 0;
  let wlen: i32 = 0;
  wstart = 0;
  prevH = 0;
  prevStart = -1;
  prevPair = false;
  prevAtSentence = false;
  sentenceStart = true;
  lineStart = true;
  lastWasLineOpener = false;
  lastValue = 0;
  spacedRun = 0;
  spacedStart = 0;
  lastWordEnd = -10;
  cjk = false;
  // personal-data state
  numStart = -1;
  numDigits = 0;
  ipStart = -1;
  ipDigits = 0;
  ipDots = 0;
  lastColon = -10;
  c1 = -10;
  c2 = -10;
  chain = 0;
  // postcodes: the last space; control and non-ASCII runs: where the open one began
  spaceAt = -10;
  ctrlStart = -1;
  for (let i: i32 = 0; i <= n; i++) {
    let c: i32 = code(i); // TEXT_AT[n] holds a space (the caller's sentinel)
    if (<u32>((c | 32) - 97) < 26 || <u32>(c - 48) < 10) {
      // A run of ASCII letters and digits (one word for the injection scan), read by tight loops:
      // a letter ends any run of number characters; the checks that look at what stands before a
      // run of digits (a space: postcodes; two capitals: IBANs) run at its first digit.
      endCtrl(i);
      if (wlen == 0) wstart = i;
      const first = i;
      while (true) {
        if (<u32>(c - 48) < 10) {
          if (numStart < 0) {
            numStart = i;
            numDigits = 0;
          }
          if (ipStart < 0) {
            ipStart = i;
            ipDigits = 0;
            ipDots = 0;
          }
          if (spaceAt == i - 1) postcodeAt(i, n);
          if (i >= 2 && i + 1 < n && isUpper(code(i - 1)) && isUpper(code(i - 2)) && <u32>(code(i + 1) - 48) < 10)
            n3 = one(L_IBAN, n3, i - 2);
          const digitsFrom = i;
          do {
            h = h * 31 + c;
            c = code(++i);
          } while (<u32>(c - 48) < 10);
          numDigits += i - digitsFrom;
          ipDigits += i - digitsFrom;
          if (<u32>((c | 32) - 97) >= 26) break;
        }
        endNum(i);
        endIp(i);
        do {
          h = h * 31 + (c | 32);
          if (c < 91) capitalAt(c, i);
          c = code(++i);
        } while (<u32>((c | 32) - 97) < 26);
        if (<u32>(c - 48) >= 10) break;
      }
      wlen += i - first;
    }
    if (c == 32) {
      // A space (the commonest separator) ends the word and any run of `[0-9.]` or of control
      // characters, and is remembered for postcodes; a run of number characters goes on.
      endCtrl(i);
      endIp(i);
      spaceAt = i;
      if (wlen > 0) {
        endWord(i, h, wlen, allowed);
        h = 0;
        wlen = 0;
      }
      continue;
    }
    const act: i32 = c < 128 ? <i32>load<u8>(ACT_AT + c) : A_CTRL;
    if (act == A_PLAIN) {
      // Punctuation that lists nothing (quotes, commas, brackets, …): it ends the runs and the word.
      endCtrl(i);
      endIp(i);
      endNum(i);
      if (wlen > 0) {
        endWord(i, h, wlen, allowed);
        h = 0;
        wlen = 0;
      }
      prevStart = -1;
      continue;
    }
    const v = load<i32>(CLASS_FOLD_AT + (c << 2));
    const cls = v >>> 16;
    if ((act & A_CTRL) != 0) {
      if (ctrlStart < 0) ctrlStart = i;
    } else endCtrl(i);
    if (cls == WORD) {
      // A word character outside ASCII (the loop above took letters and digits): the word goes on.
      if (!cjk && c >= 0x3040 && isCjk(c)) cjk = true;
      endNum(i);
      endIp(i);
      if (wlen == 0) wstart = i;
      h = h * 31 + (v & 0xffff);
      wlen++;
      continue;
    }
    // Separators and punctuation other than the space: which runs go on.
    if (c == 46) {
      if (ipStart >= 0) ipDots++;
    } else endIp(i);
    if ((act & A_TOKEN) != 0) tokenAt(c, i, n);
    else if ((act & A_AT) != 0) n9 = one(L_AT, n9, i);
    if ((act & A_NUM) == 0) {
      endNum(i);
    } else if (numStart < 0 && (act & A_NUM_OPEN) != 0) {
      numStart = i;
      numDigits = 0;
    }
    if ((act & A_SEP) != 0 && keyBefore(i)) n5 = one(L_SEP, n5, i);
    if (c == 58) {
      const gap = i - lastColon - 1;
      if (gap == 0) n4 = one(L_IP6, n4, lastColon);
      let linked = gap >= 1 && gap <= 4;
      for (let k = lastColon + 1; linked && k < i; k++) linked = isHex(code(k));
      if (linked) {
        chain++;
        if (chain >= 4) n4 = one(L_IP6, n4, c2);
      } else chain = 1;
      c2 = c1;
      c1 = lastColon;
      lastColon = i;
    }
    if (cls == IGNORABLE) continue;
    if (wlen > 0) {
      endWord(i, h, wlen, allowed);
      h = 0;
      wlen = 0;
    }
    if (cls == PUNCT) {
      if ((act & A_SENTENCE) != 0) sentenceStart = true;
      else if (c == 58 && lastWasLineOpener && (lastValue & ROLE_LABEL) != 0)
        hit(prevStart < 0 ? i : prevStart, i + 1, famRole & allowed);
      if (c == 60 || c == 33) {
        const next = i + 1 < n ? code(i + 1) : 0;
        if ((c == 60 && next == 124) || (c == 33 && next == 91)) hit(i, i + 2, (famTag | famExfil) & allowed);
      }
      if (c != 39 && c != 45) prevStart = -1;
    } else if (c == 10 || c == 13) {
      sentenceStart = true;
      lineStart = true;
    }
  }
  if (spacedRun >= 5) hit(spacedStart, min(n, spacedStart + spacedSpan), allowed);
  endNum(n);
  endIp(n);
  endCtrl(n);
  if (cjk) flags |= 1;
  store<i32>(COUNTS_AT, n0);
  store<i32>(COUNTS_AT + 4, n1);
  store<i32>(COUNTS_AT + 8, n2);
  store<i32>(COUNTS_AT + 12, n3);
  store<i32>(COUNTS_AT + 16, n4);
  store<i32>(COUNTS_AT + 20, n5);
  store<i32>(COUNTS_AT + 24, n6);
  store<i32>(COUNTS_AT + 28, n7);
  store<i32>(COUNTS_AT + 32, n8);
  store<i32>(COUNTS_AT + 36, n9);
  store<i32>(COUNTS_AT + FLAGS * 4, flags);
}
