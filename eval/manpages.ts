/**
 * Benign tool results in languages other than English, for section (b) of `npm run eval`: the
 * translated manual pages a Debian-family system installs (`/usr/share/man/<language>/man<N>/`,
 * or the directory `WARDEN_EVAL_MAN` names), read as a shell or file tool would return them. They
 * are technical text full of imperatives ("ignorez", "löschen Sie alle", "忽略"), which is what
 * the non-English rules must not flag. Pages are reduced to their text (troff requests and escapes
 * dropped), cut into pieces like the markdown documents (eval/documents.ts) and split into the two
 * folds by text hash: rules were revised after reading false positives of the train fold only, and
 * the report shows the test fold. Without the directory (another system) the set is left out.
 *
 * A second source, never read while writing rules: the translated user-interface messages of the
 * installed programs (gettext catalogs, `/usr/share/locale/<language>/LC_MESSAGES/*.mo`, or the
 * directory `WARDEN_EVAL_LOCALE` names) — "Ignore", "You are now logged in", "Send all", "Forget
 * password" in some 190 locales — each catalog's messages joined in order and cut into pieces.
 *
 * Also the reader of Warden's own texts in eleven languages ({@link ownMultilingual}).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pieces } from './documents.js';
import type { Sample, SourceSet } from './metrics.js';
import { DATA } from './definitions.js';
import { inFold } from './results.js';

/** The manual sections read (commands, file formats, administration). */
const SECTIONS = ['man1', 'man5', 'man8'];

/** The visible text of a troff manual page: macro arguments kept, requests, comments and escapes dropped. */
export function troffText(src: string): string {
  const out: string[] = [];
  for (const raw of src.split('\n')) {
    let line = raw;
    if (line.startsWith('.') || line.startsWith("'")) {
      const m = /^[.'](\S+)\s*(.*)$/.exec(line);
      const req = m?.[1] ?? '';
      // Paragraph and section requests start a new paragraph; font and section macros keep their words.
      if (/^(?:PP|P|LP|SH|SS|TP|IP|sp|br)$/.test(req)) out.push('');
      if (!/^(?:SH|SS|B|I|BR|IR|RB|RI|BI|IB|IP|TP|SM|SB)$/.test(req)) continue;
      line = (m?.[2] ?? '').replace(/"/g, '');
    }
    line = line
      .replace(/\\".*$/, '') // comment
      .replace(/\\f(?:\[[^\]]*\]|\(..|.)/g, '') // font changes
      .replace(/\\s[+-]?\d/g, '') // size changes
      .replace(/\\\*(?:\[[^\]]*\]|\(..|.)/g, '') // strings
      .replace(/\\\((?:aq|cq|oq)/g, "'")
      .replace(/\\\((?:lq|rq|dq)/g, '"')
      .replace(/\\\((?:em|en|hy)/g, '-')
      .replace(/\\\(../g, ' ')
      .replace(/\\[-e]/g, (s) => (s === '\\-' ? '-' : '\\'))
      .replace(/\\[&|^c%]/g, '')
      .replace(/\\ /g, ' ');
    out.push(line);
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Pieces of every page of one language directory, in a fixed order. */
function languageSamples(dir: string): Sample[] {
  const samples: Sample[] = [];
  for (const section of SECTIONS) {
    let files: string[];
    try {
      files = readdirSync(path.join(dir, section)).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.endsWith('.gz')) continue;
      let text: string;
      try {
        text = troffText(gunzipSync(readFileSync(path.join(dir, section, f))).toString('utf8'));
      } catch {
        continue;
      }
      for (const p of pieces(text)) if (p.trim() !== '') samples.push({ text: p, malicious: false });
    }
  }
  return samples;
}

/** The translated messages of a gettext catalog (`.mo`, either byte order); [] when it is not one. */
export function moMessages(buf: Buffer): string[] {
  if (buf.length < 28) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0x950412de;
  if (!le && magic !== 0xde120495) return [];
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const count = u32(8);
  const table = u32(16);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = table + i * 8;
    if (at + 8 > buf.length) break;
    const len = u32(at);
    const off = u32(at + 4);
    if (off + len > buf.length) break;
    // Plural forms are separated by NUL; the header (the empty message's translation) is skipped.
    const text = buf.toString('utf8', off, off + len);
    if (i === 0 && text.includes('Content-Type:')) continue;
    for (const t of text.split('\0')) if (t.trim() !== '') out.push(t);
  }
  return out;
}

/** The gettext catalogs as benign results: one set over every locale, on the reported fold. */
export function gettextSets(): SourceSet[] {
  const root = process.env.WARDEN_EVAL_LOCALE ?? path.join(path.sep, 'usr', 'share', 'locale');
  let locales: string[];
  try {
    locales = readdirSync(root).sort();
  } catch {
    return [];
  }
  const samples: Sample[] = [];
  let catalogs = 0;
  for (const loc of locales) {
    if (/^en(?:_|@|$)/.test(loc)) continue;
    const dir = path.join(root, loc, 'LC_MESSAGES');
    let files: string[];
    try {
      files = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.endsWith('.mo')) continue;
      let messages: string[];
      try {
        messages = moMessages(readFileSync(path.join(dir, f)));
      } catch {
        continue;
      }
      if (messages.length === 0) continue;
      catalogs++;
      for (const p of pieces(messages.join('\n\n')))
        if (inFold(p)) samples.push({ text: p, malicious: false });
    }
  }
  if (samples.length === 0) return [];
  return [
    {
      name: `results/UI messages: ${catalogs} gettext catalogs (held out)`,
      samples,
      fprTarget: 0.03,
    },
  ];
}

/**
 * The translated manual pages as benign results: one set for all languages (the target applies to
 * it) and one information row per language, each on the reported fold.
 */
export function manPageSets(): SourceSet[] {
  const root = process.env.WARDEN_EVAL_MAN ?? path.join(path.sep, 'usr', 'share', 'man');
  let langs: string[];
  try {
    langs = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !/^(?:man|cat)\w*$/.test(e.name) && !/^en(?:_|$)/.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
  const all: Sample[] = [];
  const perLanguage: SourceSet[] = [];
  for (const lang of langs) {
    const samples = languageSamples(path.join(root, lang)).filter((s) => inFold(s.text));
    if (samples.length === 0) continue;
    all.push(...samples);
    perLanguage.push({ name: `results/man pages: ${lang}`, samples });
  }
  if (all.length === 0) return [];
  return [
    {
      name: `results/man pages: ${perLanguage.length} languages (translated)`,
      samples: all,
      fprTarget: 0.03,
    },
    ...perLanguage,
  ];
}

/** Warden's own texts in eleven languages (`eval/data/multilingual-prompts.json`; its `about` says how each set was written). */
export function ownMultilingual(): Record<'tune' | 'heldout' | 'benign' | 'results', readonly string[]> {
  const doc = JSON.parse(readFileSync(path.join(DATA, 'multilingual-prompts.json'), 'utf8')) as Record<
    'tune' | 'heldout' | 'benign' | 'results',
    { lang: string; text: string }[]
  >;
  const texts = (k: keyof typeof doc): string[] => doc[k].map((x) => x.text);
  return {
    tune: texts('tune'),
    heldout: texts('heldout'),
    benign: texts('benign'),
    results: texts('results'),
  };
}
