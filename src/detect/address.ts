/**
 * Postal addresses (`pii.postal-address`, part of personal data): a street line followed by the
 * place line of one of three formats, found from the place line's postcode, which is rare in text:
 *
 * - United States: `<number> <street> <suffix>[ <direction>][, <unit>], <city>, <ST> <ZIP>` — the
 *   state a real USPS code, the ZIP five digits (ZIP+4 allowed);
 * - United Kingdom: `<number> <street> <suffix>, <town>[,] <postcode>` — the postcode in the
 *   Royal Mail shape (`SW1A 1AA`, `M1 1AE`, `EC1A 1BB`);
 * - Germany, Austria and Switzerland (`DACH`): `<street>straße|weg|platz|… <number>, <PLZ> <Ort>`
 *   (`Musterstraße 12, 10115 Berlin`, `Berliner Straße 5a, 60311 Frankfurt`, `Stephansplatz 1, 1010 Wien`).
 *
 * A postcode alone, a street alone or a city alone is not an address; both lines must be there, so
 * a ZIP code in a table or a street named in prose is not reported. Only the window of at most
 * {@link LOOK_BACK} characters before a postcode is examined, with bounded patterns: linear time.
 */
import { execListed, prescan } from './prescan.js';
import type { Finding } from './types.js';

/** USPS state, district and territory codes. */
const US_STATES = new Set(
  (
    'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY ' +
    'NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP'
  ).split(' '),
);

/** Characters before a postcode searched for the street line. */
const LOOK_BACK = 160;

const US_SUFFIX =
  '(?:Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|' +
  'Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Trl|Plaza|Loop|Alley|Row|Crescent|Broadway)';
const UK_SUFFIX =
  '(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Crescent|Drive|Dr|Gardens|Grove|Hill|Place|Pl|Square|Sq|' +
  'Terrace|Way|Mews|Row|Walk|Court|Ct|Park|Green|Gate|Parade|Rise|Vale|View|Wharf|Yard)';
const WORD = "[A-Z0-9][A-Za-z0-9'.-]{0,24}";

/** The US street and place line, ending where the ZIP code ends. */
const US_LINE = new RegExp(
  `(?<![A-Za-z0-9])\\d{1,6}[A-Z]? (?:${WORD} ){0,4}${US_SUFFIX}\\.?(?: (?:N|S|E|W|NE|NW|SE|SW)\\.?)?` +
    `(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|#)\\.? ?#?[A-Za-z0-9-]{1,8})?,? (?:[A-Z][A-Za-z.'-]{0,24},? ){1,4}` +
    `([A-Z]{2}),? \\d{5}(?:-\\d{4})?$`,
);
/** The UK street and town line, ending where the postcode ends. */
const UK_LINE = new RegExp(
  `(?<![A-Za-z0-9])\\d{1,5}[A-Za-z]? (?:${WORD} ){0,4}${UK_SUFFIX}\\.?,? (?:[A-Z][A-Za-z.'-]{0,24},? ){1,4}` +
    `[A-Z]{1,2}\\d[A-Z\\d]? \\d[A-Z]{2}$`,
);
/** The German street line before a postcode and place name. */
const DE_STREET =
  /(?<![\p{L}\p{N}])(?:(?:[\p{Lu}][\p{L}.-]{0,30} ){0,3}[\p{Lu}][\p{L}-]{0,30}(?:straße|strasse|str\.|gasse|weg|platz|allee|ring|damm|ufer|chaussee|steig|pfad|markt)|(?:[\p{Lu}][\p{L}.-]{0,30} ){1,3}(?:Straße|Strasse|Str\.|Gasse|Weg|Platz|Allee|Ring|Damm|Ufer|Markt|Steig|Pfad|Chaussee)) \d{1,4}[a-z]?,? $/u;

/**
 * Candidate postcodes, found from the space inside them: ` 1AA` (the inward half of a UK
 * postcode), ` 12345` / ` 12345-6789` (a US ZIP after the state), ` 12345 Ort` / ` 1010 Wien` (a
 * German, Austrian or Swiss postcode before the place name). A pattern led by a literal space is
 * scanned far faster than one led by a letter or digit class (about 1,200 against 250 MB/s on
 * mixed text); the other half of each postcode is checked at the few matches.
 */
const POSTCODE = / \d(?:[A-Z]{2}(?![A-Za-z0-9])|\d{3,4}(?: [A-ZÄÖÜ][a-zäöüß]|(?:-\d{4})?(?![\d-])))/g;
/** {@link POSTCODE} tried at one offset. */
const POSTCODE_AT = new RegExp(POSTCODE.source, 'y');
/** The outward half of a UK postcode, right before the space. */
const UK_OUTWARD = /(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]?$/;
/** A US state code right before the ZIP's space (a comma allowed). */
const US_STATE_BEFORE = /(?<![A-Za-z0-9])[A-Z]{2},?$/;
/** A German house number right before the postcode's space: `12,`, `5a,`, `3`. */
const HOUSE_NUMBER_BEFORE = /\d[a-z]?,?$/;

function push(out: Finding[], start: number, end: number, country: string): void {
  out.push({
    rule: 'pii.postal-address',
    kind: 'pii',
    severity: 'medium',
    start,
    end,
    evidence: `address (${country}) …[${end - start}]`,
  });
}

/** Postal addresses in `text`, in offset order; evidence names the format and the length only. */
export function detectAddresses(text: string): Finding[] {
  const out: Finding[] = [];
  let lastEnd = 0;
  // With the single pass (prescan.ts), the pattern is tried only where it listed a space before a
  // postcode's digits; otherwise it scans the text.
  const listed = prescan(text)?.post ?? null;
  if (listed !== null && listed.length === 0) return out;
  const at = { k: 0 };
  const re = listed === null ? POSTCODE : POSTCODE_AT;
  re.lastIndex = 0;
  for (;;) {
    const m = listed === null ? re.exec(text) : execListed(text, re, listed, at);
    if (m === null) break;
    const space = m.index;
    const code = m[0];
    const from = Math.max(lastEnd, space - LOOK_BACK);
    const head = text.slice(Math.max(from, space - 6), space);
    const third = code.charCodeAt(2);
    if (third >= 65 && third <= 90) {
      // UK: ` 1AA` after the outward half, after the street and town.
      if (!UK_OUTWARD.test(head)) continue;
      const end = space + code.length;
      const uk = UK_LINE.exec(text.slice(from, end));
      if (uk === null) continue;
      push(out, from + uk.index, end, 'UK');
      lastEnd = end;
    } else if (code.charCodeAt(code.length - 1) > 96 || code.charCodeAt(code.length - 2) === 32) {
      // DACH: ` 10115 Berlin` after `…straße 12, ` (the place name is read to its end).
      if (!HOUSE_NUMBER_BEFORE.test(head)) continue;
      const street = DE_STREET.exec(text.slice(from, space + 1));
      if (street === null) continue;
      let end = space + code.length;
      while (end < text.length && /[\p{L}-]/u.test(text[end] ?? '')) end++;
      push(out, from + street.index, end, 'DACH');
      lastEnd = end;
    } else {
      // US: ` 20500` after `, DC`; five digits (ZIP+4 allowed).
      const digits = code.indexOf('-') < 0 ? code.length - 1 : code.indexOf('-') - 1;
      if (digits !== 5 || !US_STATE_BEFORE.test(head)) continue;
      const end = space + code.length;
      const us = US_LINE.exec(text.slice(from, end));
      if (us === null || !US_STATES.has(us[1] ?? '')) continue;
      push(out, from + us.index, end, 'US');
      lastEnd = end;
    }
  }
  return out;
}
