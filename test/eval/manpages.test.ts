/**
 * The benign sources in other languages that `npm run eval` reads (eval/manpages.ts): a manual
 * page reduced to its visible text, and the translated messages of a gettext catalog in either
 * byte order.
 */
import { describe, expect, it } from 'vitest';
import { moMessages, troffText } from '../../eval/manpages.js';

/** A gettext catalog (`.mo`) holding `pairs` (original, translation), in the given byte order. */
function moCatalog(pairs: readonly (readonly [string, string])[], littleEndian: boolean): Buffer {
  const n = pairs.length;
  const headerSize = 28;
  const originals = headerSize;
  const translations = originals + n * 8;
  let offset = translations + n * 8;
  const strings: Buffer[] = [];
  const table = Buffer.alloc(n * 16);
  const put = (buf: Buffer, at: number, v: number): void => {
    if (littleEndian) buf.writeUInt32LE(v, at);
    else buf.writeUInt32BE(v, at);
  };
  pairs.forEach(([orig, trans], i) => {
    for (const [k, text] of [
      [0, orig],
      [1, trans],
    ] as const) {
      const bytes = Buffer.from(text, 'utf8');
      put(table, k * n * 8 + i * 8, bytes.length);
      put(table, k * n * 8 + i * 8 + 4, offset);
      strings.push(bytes, Buffer.alloc(1));
      offset += bytes.length + 1;
    }
  });
  const header = Buffer.alloc(headerSize);
  put(header, 0, 0x950412de);
  put(header, 4, 0);
  put(header, 8, n);
  put(header, 12, originals);
  put(header, 16, translations);
  return Buffer.concat([header, table, ...strings]);
}

describe('eval manual pages and message catalogs', () => {
  it('reduces troff to the visible text: macro words kept, requests, comments and escapes dropped', () => {
    const src = [
      '.\\" a comment',
      '.TH APT-GET 8 2024',
      '.SH NOM',
      'apt\\-get \\- outil de \\fBgestion\\fP des paquets',
      '.PP',
      'Utilisez \\fIapt\\fR\\ avec \\(lqprudence\\(rq.',
      '.BR apt (8)',
      '.sp',
      '.nr X 1',
    ].join('\n');
    const text = troffText(src);
    expect(text).toBe(
      'NOM\napt-get - outil de gestion des paquets\n\nUtilisez apt avec "prudence".\napt (8)',
    );
  });

  it.each([true, false])(
    'reads the translations of a catalog (little-endian: %s), header and plural forms handled',
    (le) => {
      const mo = moCatalog(
        [
          ['', 'Content-Type: text/plain; charset=UTF-8\n'],
          ['Ignore', 'Ignorer'],
          ['%d file\u0000%d files', '%d fichier\u0000%d fichiers'],
        ],
        le,
      );
      expect(moMessages(mo)).toEqual(['Ignorer', '%d fichier', '%d fichiers']);
    },
  );

  it('returns nothing for a file that is not a catalog, or one cut short', () => {
    expect(moMessages(Buffer.from('not a catalog at all, just text'))).toEqual([]);
    const mo = moCatalog([['Send', 'Envoyer']], true);
    expect(moMessages(mo.subarray(0, mo.length - 6))).toEqual([]);
  });
});
