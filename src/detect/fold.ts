/**
 * Character folding tables for the text detectors: one table look-up per UTF-16 code unit gives a
 * character's class and its folded form (lower case, NFKC compatibility forms such as fullwidth
 * letters, accents dropped, common Cyrillic/Greek look-alikes mapped to Latin), so a detector can
 * normalise while it scans instead of making a separate pass per normalisation step.
 */

/** Character classes in {@link CHAR_CLASS}. */
export const SEP = 0;
/** A letter or digit (part of a word). */
export const WORD = 1;
/** Punctuation and symbols (kept, folded). */
export const PUNCT = 2;
/** Invisible characters (zero-width, soft hyphen, joiners, combining marks, variation selectors): dropped. */
export const IGNORABLE = 3;

/** Class of each UTF-16 code unit: {@link SEP}, {@link WORD}, {@link PUNCT} or {@link IGNORABLE}. */
export const CHAR_CLASS = new Uint8Array(65536);
/** Folded form of each UTF-16 code unit (one code unit; itself when nothing applies). */
export const FOLD = new Uint16Array(65536);

// Look-alikes NFKC does not fold (Cyrillic and Greek letters that render like Latin ones).
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ɡ: 'g',
  ı: 'i',
  // Letters with a stroke, which Unicode does not decompose into a base letter and an accent.
  ł: 'l',
  đ: 'd',
  ø: 'o',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  '‘': "'",
  '’': "'",
  ʼ: "'",
  '´': "'",
  '`': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '‐': '-',
  '‑': '-',
  '‒': '-',
  '–': '-',
  '—': '-',
  '―': '-',
  '−': '-',
};

const IS_WORD = /^[\p{L}\p{N}]$/u;
const IS_SPACE = /^[\s\p{Z}]$/u;
const IS_IGNORABLE =
  /^[\p{M}\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]$/u;

function foldOne(ch: string): string {
  const conf = CONFUSABLES[ch] ?? CONFUSABLES[ch.toLowerCase()];
  if (conf !== undefined) return conf;
  let f = ch.normalize('NFKC').toLowerCase();
  if (f.length !== 1) f = f.normalize('NFD');
  // Drop accents: keep the base letter of a decomposed form ("é" → "e", "ü" → "u").
  const base = f.normalize('NFD')[0] ?? ch;
  return CONFUSABLES[base] ?? base;
}

for (let c = 0; c < 65536; c++) {
  FOLD[c] = c;
  if (c < 128) {
    const isAlnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    CHAR_CLASS[c] = isAlnum ? WORD : c <= 32 || c === 127 ? SEP : PUNCT;
    if (c >= 65 && c <= 90) FOLD[c] = c + 32;
    if (c === 96) FOLD[c] = 39;
    continue;
  }
  if (c >= 0xd800 && c <= 0xdfff) {
    CHAR_CLASS[c] = PUNCT;
    continue;
  }
  // Large blocks of letters with no compatibility form, case or accent to fold (CJK ideographs,
  // Hangul syllables, Yi): classified without the per-character normalisation (start-up time).
  if (
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xa000 && c <= 0xa48c) ||
    (c >= 0xac00 && c <= 0xd7a3)
  ) {
    CHAR_CLASS[c] = WORD;
    continue;
  }
  const ch = String.fromCharCode(c);
  if (IS_IGNORABLE.test(ch)) {
    CHAR_CLASS[c] = IGNORABLE;
    continue;
  }
  if (IS_SPACE.test(ch)) {
    CHAR_CLASS[c] = SEP;
    FOLD[c] = 32;
    continue;
  }
  const f = foldOne(ch);
  const fc = f.charCodeAt(0);
  const folded = f.length >= 1 && !Number.isNaN(fc) ? fc : c;
  FOLD[c] = folded;
  CHAR_CLASS[c] = IS_WORD.test(ch) || (folded < 128 && CHAR_CLASS[folded] === WORD) ? WORD : PUNCT;
}

/** Class and fold in one look-up: `(class << 16) | folded code unit`, for the hot scan loop. */
export const CLASS_FOLD = new Int32Array(65536);
for (let c = 0; c < 65536; c++) CLASS_FOLD[c] = ((CHAR_CLASS[c] ?? 0) << 16) | (FOLD[c] ?? c);
