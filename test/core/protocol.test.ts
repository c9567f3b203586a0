/**
 * Protocol helpers: the `Mcp-Name` value encoding of the 2026-07-28 Streamable HTTP binding (plain
 * or the `=?base64?…?=` sentinel over UTF-8 with the standard alphabet), revisions and eras, and
 * the `_meta` readers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LATEST_LEGACY,
  LATEST_MODERN,
  LEGACY_VERSIONS,
  META,
  MODERN_VERSIONS,
  NAME_SOURCE,
  SUPPORTED_VERSIONS,
  decodeHeaderValue,
  declaredVersion,
  encodeHeaderValue,
  eraOf,
  isVersionShaped,
  metaOf,
} from '../../src/core/protocol.js';

/** What an encoded value must look like to ride in an HTTP field: visible ASCII, inner spaces only. */
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

describe('encodeHeaderValue / decodeHeaderValue', () => {
  it('leaves a plain visible-ASCII value as it is', () => {
    for (const v of ['get_weather', 'tools.search-v2', 'a b c', 'file:///tmp/x.txt', 'x', '~!@#$%^&*()']) {
      expect(encodeHeaderValue(v)).toBe(v);
      expect(decodeHeaderValue(v)).toBe(v);
    }
  });

  it('uses the sentinel for non-ASCII (UTF-8, standard Base64)', () => {
    expect(encodeHeaderValue('café')).toBe('=?base64?Y2Fmw6k=?=');
    expect(decodeHeaderValue('=?base64?Y2Fmw6k=?=')).toBe('café');
    expect(encodeHeaderValue('日本語')).toBe(`=?base64?${Buffer.from('日本語').toString('base64')}?=`);
    expect(encodeHeaderValue('😀')).toBe('=?base64?8J+YgA==?=');
  });

  it('uses the sentinel for leading or trailing whitespace', () => {
    expect(encodeHeaderValue(' lead')).toBe(`=?base64?${Buffer.from(' lead').toString('base64')}?=`);
    expect(encodeHeaderValue('trail ')).toBe(`=?base64?${Buffer.from('trail ').toString('base64')}?=`);
    expect(encodeHeaderValue('\ttab')).toMatch(/^=\?base64\?/);
    expect(encodeHeaderValue(' ')).toMatch(/^=\?base64\?/);
  });

  it('uses the sentinel for newlines and other control characters', () => {
    for (const v of ['a\nb', 'a\r\nb', 'a\u0000b', 'a\u007fb', 'a\tb']) {
      const enc = encodeHeaderValue(v);
      expect(enc).toBe(`=?base64?${Buffer.from(v).toString('base64')}?=`);
      expect(enc).toMatch(HEADER_SAFE);
      expect(decodeHeaderValue(enc)).toBe(v);
    }
  });

  it('encodes a plain value that looks like the sentinel (the spec example)', () => {
    expect(encodeHeaderValue('=?base64?literal?=')).toBe('=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=');
    expect(decodeHeaderValue('=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=')).toBe('=?base64?literal?=');
  });

  it('encodes the empty string as the empty sentinel and decodes it back', () => {
    expect(encodeHeaderValue('')).toBe('=?base64??=');
    expect(decodeHeaderValue('=?base64??=')).toBe('');
  });

  it('treats a value wearing only one marker as a literal', () => {
    expect(decodeHeaderValue('=?base64?Zm9v')).toBe('=?base64?Zm9v');
    expect(decodeHeaderValue('Zm9v?=')).toBe('Zm9v?=');
    expect(decodeHeaderValue('=?BASE64?Zm9v?=')).toBe('=?BASE64?Zm9v?=');
    expect(encodeHeaderValue('=?base64?Zm9v')).toBe('=?base64?Zm9v');
  });

  it('refuses characters a header cannot hold in a plain value', () => {
    for (const v of ['café', 'a\nb', 'a\rb', 'a\u0000b', 'a\u007fb', '\u2028', 'x\u00a0y', '😀']) {
      expect(decodeHeaderValue(v)).toBeUndefined();
    }
  });

  it('refuses a sentinel whose payload is outside the standard Base64 alphabet', () => {
    for (const v of [
      '=?base64?***?=',
      '=?base64?Zm9v YmFy?=',
      '=?base64?_-8?=',
      '=?base64?Zm9v===?=',
      '=?base64?Zm=9v?=',
      '=?base64?é?=',
    ]) {
      expect(decodeHeaderValue(v)).toBeUndefined();
    }
  });

  // BUG: decodeHeaderValue accepts any payload made of Base64 characters and decodes it with Node's
  // lenient decoder: bytes that are not UTF-8 become U+FFFD and a truncated payload (length ≡ 1 mod
  // 4) silently drops bits, so several different header values decode to the same name and values
  // no conforming client can produce are accepted. The 2026-07-28 rule is "Base64 over the UTF-8
  // bytes"; a strict decoder (e.g. mcp-usage-core) refuses both. Fix in protocol.ts:
  //   const bytes = Buffer.from(b64, 'base64');
  //   if (bytes.toString('base64') !== b64) return undefined;             // canonical Base64 only
  //   try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { return undefined; }
  it('refuses a sentinel whose payload is not valid UTF-8 or not canonical Base64', () => {
    expect(decodeHeaderValue('=?base64?/w==?=')).toBeUndefined(); // byte 0xFF
    expect(decodeHeaderValue('=?base64?A?=')).toBeUndefined(); // 6 bits: no whole byte
    expect(decodeHeaderValue('=?base64?Zm9=?=')).toBeUndefined(); // non-zero padding bits
  });

  it('property: any Unicode string round-trips and its encoded form is header-safe', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const enc = encodeHeaderValue(s);
        expect(enc).toMatch(HEADER_SAFE);
        expect(decodeHeaderValue(enc)).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: ASCII-heavy strings (spaces, tabs, sentinel fragments) round-trip', () => {
    const unit = fc.constantFrom(' ', '\t', '=', '?', 'base64', '=?base64?', '?=', 'a', 'Z', '\n', '/', '+');
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 12 }).map((a) => a.join('')),
        (s) => {
          const enc = encodeHeaderValue(s);
          expect(enc).toMatch(HEADER_SAFE);
          expect(decodeHeaderValue(enc)).toBe(s);
          // Plain only when the value needs no escaping.
          const plain = HEADER_SAFE.test(s) && !(s.startsWith('=?base64?') && s.endsWith('?='));
          expect(enc === s).toBe(plain);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('property: decoding never throws, whatever the header value', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string().map((s) => `=?base64?${s}?=`),
        ),
        (v) => {
          const d = decodeHeaderValue(v);
          expect(d === undefined || typeof d === 'string').toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('revisions and eras', () => {
  it('lists the served revisions newest first', () => {
    expect([...SUPPORTED_VERSIONS]).toEqual(['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26']);
    expect(LATEST_LEGACY).toBe('2025-11-25');
    expect(LATEST_MODERN).toBe('2026-07-28');
  });

  it('tells each served revision its era', () => {
    for (const v of LEGACY_VERSIONS) expect(eraOf(v)).toBe('legacy');
    for (const v of MODERN_VERSIONS) expect(eraOf(v)).toBe('modern');
  });

  it('[transport:protocol-version-400] knows no era for unserved or disguised revisions', () => {
    for (const v of [
      '2024-11-05',
      '2099-01-01',
      '',
      ' 2025-06-18',
      '2025-06-18 ',
      '2025-06-18\n',
      '2026-07-28x',
      'latest',
      '2025-6-18',
    ]) {
      expect(eraOf(v)).toBeUndefined();
    }
  });

  it('checks the YYYY-MM-DD shape strictly', () => {
    for (const v of ['2025-06-18', '2099-99-99', '0000-00-00']) expect(isVersionShaped(v)).toBe(true);
    for (const v of [
      '2025-6-18',
      '25-06-18',
      '2025/06/18',
      '2025-06-18\n',
      '\n2025-06-18',
      'v2025-06-18',
      '2025-06-18T00',
      '２０２５-06-18',
      '',
      'garbage',
    ]) {
      expect(isVersionShaped(v)).toBe(false);
    }
  });
});

describe('_meta readers', () => {
  it('metaOf returns only an object _meta', () => {
    expect(metaOf(undefined)).toBeUndefined();
    expect(metaOf({})).toBeUndefined();
    expect(metaOf({ _meta: null })).toBeUndefined();
    expect(metaOf({ _meta: [] })).toBeUndefined();
    expect(metaOf({ _meta: 'x' })).toBeUndefined();
    expect(metaOf({ _meta: { a: 1 } })).toEqual({ a: 1 });
  });

  it('declaredVersion reads only a string io.modelcontextprotocol/protocolVersion', () => {
    expect(META.protocolVersion).toBe('io.modelcontextprotocol/protocolVersion');
    expect(declaredVersion({ params: { _meta: { [META.protocolVersion]: '2026-07-28' } } })).toBe(
      '2026-07-28',
    );
    expect(declaredVersion({ params: { _meta: { [META.protocolVersion]: 20260728 } } })).toBeUndefined();
    expect(declaredVersion({ params: { _meta: { protocolVersion: '2026-07-28' } } })).toBeUndefined();
    expect(declaredVersion({ params: { [META.protocolVersion]: '2026-07-28' } })).toBeUndefined();
    expect(declaredVersion({})).toBeUndefined();
  });

  it('names the body field Mcp-Name mirrors for each method', () => {
    expect(NAME_SOURCE).toEqual({ 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' });
  });
});
