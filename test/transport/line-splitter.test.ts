/**
 * The stdio line splitter: newline-delimited JSON-RPC from a child's stdout, lines split across
 * chunks anywhere (even inside a UTF-8 character), and a hard byte cap: an over-long line is
 * reported once through onOverflow and skipped, and the next line is still read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/transport/upstream-stdio.js';

function run(chunks: readonly (Buffer | string)[], max = 1 << 20): { lines: string[]; overflows: number } {
  const lines: string[] = [];
  let overflows = 0;
  const s = new LineSplitter(
    (l) => lines.push(l),
    () => overflows++,
    max,
  );
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  return { lines, overflows };
}

describe('LineSplitter: splitting', () => {
  it('emits each complete line of one chunk', () => {
    expect(run(['{"a":1}\n{"b":2}\n']).lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('joins a line split across chunks', () => {
    expect(run(['ab', 'c\nd', 'e', '\n']).lines).toEqual(['abc', 'de']);
  });

  it('holds back an unterminated last line', () => {
    expect(run(['a\nb']).lines).toEqual(['a']);
  });

  it('emits empty lines as empty strings', () => {
    expect(run(['a\n\nb\n', '\n']).lines).toEqual(['a', '', 'b', '']);
  });

  it('keeps a CR before LF (JSON.parse tolerates it as whitespace)', () => {
    expect(run(['x\r\n']).lines).toEqual(['x\r']);
  });

  it('decodes a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('{"t":"€😀"}\n', 'utf8');
    for (let i = 0; i <= bytes.length; i++) {
      expect(run([bytes.subarray(0, i), bytes.subarray(i)]).lines).toEqual(['{"t":"€😀"}']);
    }
  });

  it('does not keep a reference to a chunk the caller reuses', () => {
    const lines: string[] = [];
    const s = new LineSplitter(
      (l) => lines.push(l),
      () => undefined,
      100,
    );
    const buf = Buffer.from('abc');
    s.push(buf);
    buf.write('zzz');
    s.push(Buffer.from('\n'));
    expect(lines).toEqual(['abc']);
  });

  it('gives the same lines for every split position', () => {
    const text = '{"jsonrpc":"2.0","id":1}\n\n{"x":"é"}\n{"y":[1,2]}\npartial';
    const bytes = Buffer.from(text);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j += 3) {
        expect(run([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]).lines).toEqual([
          '{"jsonrpc":"2.0","id":1}',
          '',
          '{"x":"é"}',
          '{"y":[1,2]}',
        ]);
      }
    }
  });
});

describe('LineSplitter: the cap', () => {
  it('skips an over-long line in one chunk, reports it once, and reads the next line', () => {
    expect(run([`${'x'.repeat(11)}\nok\n`], 10)).toEqual({ lines: ['ok'], overflows: 1 });
  });

  it('skips an over-long line that arrives in pieces without a newline, reporting it once', () => {
    const r = run(['xxxxxx', 'xxxxxx', 'xxxxxx', 'xx\nok\n'], 10);
    expect(r).toEqual({ lines: ['ok'], overflows: 1 });
  });

  it('skips an over-long line whose newline arrives in a later chunk than the overflow', () => {
    expect(run(['xxxxxxxx', 'xxxxxxxx', '\n', 'ok', '\n'], 10)).toEqual({ lines: ['ok'], overflows: 1 });
  });

  it('skips a line that overflows only when its final piece arrives', () => {
    expect(run(['xxxxxxx', 'xxxx\nok\n'], 10)).toEqual({ lines: ['ok'], overflows: 1 });
  });

  it('accepts a line of exactly the cap, in one chunk or in pieces', () => {
    expect(run(['0123456789\n'], 10)).toEqual({ lines: ['0123456789'], overflows: 0 });
    expect(run(['01234', '56789', '\n'], 10)).toEqual({ lines: ['0123456789'], overflows: 0 });
    expect(run(['0123456789', '\n'], 10)).toEqual({ lines: ['0123456789'], overflows: 0 });
  });

  it('counts bytes, not characters', () => {
    expect(run(['€€€\n'], 10)).toEqual({ lines: ['€€€'], overflows: 0 }); // 9 bytes
    expect(run(['€€€€\n'], 10)).toEqual({ lines: [], overflows: 1 }); // 12 bytes
  });

  it('reports each over-long line separately', () => {
    expect(
      run([`${'a'.repeat(20)}\n${'b'.repeat(20)}\nc\n${'d'.repeat(5)}`, `${'d'.repeat(20)}\ne\n`], 10),
    ).toEqual({
      lines: ['c', 'e'],
      overflows: 3,
    });
  });

  it('property: lines within the cap come out in order, each longer line is reported once', () => {
    const line = fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.string({ unit: 'grapheme-ascii', minLength: 10, maxLength: 40 }),
      )
      .map((s) => s.replace(/\n/g, ''));
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 1, max: 30 }),
        (lines, points, max) => {
          const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
          const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let last = 0;
          for (const c of [...cuts, bytes.length]) {
            chunks.push(bytes.subarray(last, c));
            last = c;
          }
          const r = run(chunks, max);
          expect(r.lines).toEqual(lines.filter((l) => Buffer.byteLength(l) <= max));
          expect(r.overflows).toBe(lines.filter((l) => Buffer.byteLength(l) > max).length);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
