/**
 * Server-Sent Events framing: the incremental decoder (WHATWG line ends, fields, comments, chunk
 * splits anywhere, the per-event cap even for a line that never ends) and the encoder (no payload
 * can forge fields or events). [transport:body-cap]
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { SseDecoder, encodeEvent } from '../../src/transport/sse.js';
import type { SseEvent } from '../../src/transport/sse.js';

const BIG = 1 << 20;

/** Decodes chunks with a fresh decoder; returns the events and the decoder. */
function decode(chunks: readonly string[], cap = BIG): { events: SseEvent[]; decoder: SseDecoder } {
  const events: SseEvent[] = [];
  const decoder = new SseDecoder((e) => events.push(e), cap);
  for (const c of chunks) decoder.push(c);
  return { events, decoder };
}

function ev(data: string, extra: Partial<SseEvent> = {}): SseEvent {
  return { event: 'message', data, id: undefined, retry: undefined, ...extra };
}

/** The WardenError fn throws. */
function thrown(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    return err as WardenError;
  }
  throw new Error('expected a WardenError');
}

describe('SseDecoder: line ends', () => {
  it('splits on LF', () => {
    expect(decode(['data: a\n\ndata: b\n\n']).events).toEqual([ev('a'), ev('b')]);
  });

  it('splits on CRLF', () => {
    expect(decode(['data: a\r\n\r\ndata: b\r\n\r\n']).events).toEqual([ev('a'), ev('b')]);
  });

  it('splits on a lone CR', () => {
    expect(decode(['data: a\r\rdata: b\r\r']).events).toEqual([ev('a'), ev('b')]);
  });

  it('handles all three in one stream', () => {
    expect(decode(['data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r\n']).events).toEqual([
      ev('a\nb\nc'),
      ev('d'),
    ]);
  });

  it('treats CR LF split across two chunks as one line end', () => {
    expect(decode(['data: a\r', '\ndata: b\r', '\n\r', '\n']).events).toEqual([ev('a\nb')]);
  });

  it('treats CR at a chunk end followed by CR as two line ends', () => {
    expect(decode(['data: a\r', '\rdata: b\n\n']).events).toEqual([ev('a'), ev('b')]);
  });

  it('does not dispatch an event the stream has not ended with a blank line', () => {
    expect(decode(['data: a\n']).events).toEqual([]);
    expect(decode(['data: a']).events).toEqual([]);
  });

  // BUG: push('') clears the "previous chunk ended in CR" flag, so the LF of a CRLF that arrives
  // after an empty chunk counts as a second line end: a blank line that dispatches the event early
  // (here one event becomes two). Empty chunks are legal (a TextDecoder in stream mode returns ''
  // for a chunk that holds only part of a character; transports may deliver zero-length reads).
  // Fix in sse.ts push(): `if (chunk === '') return;` as the first statement.
  it('an empty chunk between CR and LF does not turn CRLF into two line ends', () => {
    expect(decode(['data: a\r', '', '\ndata: b\r\n\r\n']).events).toEqual([ev('a\nb')]);
  });
});

describe('SseDecoder: fields', () => {
  it('joins multi-line data with LF', () => {
    expect(decode(['data: line1\ndata: line2\ndata: line3\n\n']).events).toEqual([ev('line1\nline2\nline3')]);
  });

  it('strips exactly one space after the colon', () => {
    expect(decode(['data:a\n\ndata:  b\n\ndata:\n\n']).events).toEqual([ev('a'), ev(' b'), ev('')]);
  });

  it('treats a field name without colon as a field with an empty value', () => {
    expect(decode(['data\n\n']).events).toEqual([ev('')]);
  });

  it('ignores comments, including a comment-only block', () => {
    expect(decode([': keep-alive\n\n:\n\ndata: x\n: inside\ndata: y\n\n']).events).toEqual([ev('x\ny')]);
  });

  it('reads event, id and retry', () => {
    expect(decode(['event: ping\nid: 42\nretry: 1500\ndata: {}\n\n']).events).toEqual([
      ev('{}', { event: 'ping', id: '42', retry: 1500 }),
    ]);
  });

  it('ignores a non-numeric retry and an id holding NUL', () => {
    expect(decode(['retry: 1.5\nretry: x\nid: a\u0000b\ndata: d\n\n']).events).toEqual([ev('d')]);
  });

  it('ignores unknown fields and field names that differ by case', () => {
    expect(decode(['foo: bar\nData: nope\nEVENT: no\ndata: d\n\n']).events).toEqual([ev('d')]);
  });

  it('resets event type and id after each dispatch, but remembers the last event id', () => {
    const { events, decoder } = decode(['event: a\nid: 1\ndata: 1\n\ndata: 2\n\n']);
    expect(events).toEqual([ev('1', { event: 'a', id: '1' }), ev('2')]);
    expect(decoder.lastEventId).toBe('1');
  });

  it('an id-only block dispatches nothing but updates the last event id', () => {
    const { events, decoder } = decode(['id: 7\n\n']);
    expect(events).toEqual([]);
    expect(decoder.lastEventId).toBe('7');
  });

  it('an event field without data dispatches nothing and does not leak into the next event', () => {
    expect(decode(['event: orphan\n\ndata: x\n\n']).events).toEqual([ev('x')]);
  });

  it('keeps colons inside the value', () => {
    expect(decode(['data: a: b: c\n\n']).events).toEqual([ev('a: b: c')]);
  });
});

describe('SseDecoder: chunk splits', () => {
  const text =
    ': hello\r\nevent: e1\r\nid: 1\r\ndata: {"a":1}\r\ndata: two\r\n\r\n' +
    'data: lf\n\ndata: cr\r\rretry: 10\nid: 2\ndata: x\r\n\n' +
    'data: 😀 é\n\n';
  const whole = decode([text]).events;

  it('the reference text decodes as expected in one chunk', () => {
    expect(whole).toEqual([
      ev('{"a":1}\ntwo', { event: 'e1', id: '1' }),
      ev('lf'),
      ev('cr'),
      ev('x', { id: '2', retry: 10 }),
      ev('😀 é'),
    ]);
  });

  it('gives the same events when split at every single position', () => {
    for (let i = 0; i <= text.length; i++) {
      expect(decode([text.slice(0, i), text.slice(i)]).events).toEqual(whole);
    }
  });

  it('gives the same events when split at every pair of positions', () => {
    for (let i = 0; i <= text.length; i++) {
      for (let j = i + 1; j <= text.length; j++) {
        expect(
          decode([text.slice(0, i), text.slice(i, j), text.slice(j)].filter((c) => c !== '')).events,
        ).toEqual(whole);
      }
    }
  });

  it('gives the same events fed one UTF-16 unit at a time', () => {
    expect(decode([...text.split('')]).events).toEqual(whole);
  });
});

/** Arbitrary text for data, id and event values, rich in line ends and field-like fragments. */
const fieldText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc
    .array(
      fc.constantFrom(
        'a',
        ' ',
        ':',
        '\n',
        '\r',
        '\r\n',
        'data: x',
        'id: 9',
        'event: e',
        '\u0000',
        'é',
        '😀',
        '{"k":1}',
      ),
      {
        maxLength: 12,
      },
    )
    .map((a) => a.join('')),
);

/** What a peer should decode from encodeEvent(data, id, event). */
function expected(data: string, id: string | undefined, event: string | undefined): SseEvent {
  const cleanId = id?.replace(/[\r\n]/g, '');
  const cleanEvent = event?.replace(/[\r\n]/g, '');
  return {
    event: cleanEvent === undefined || cleanEvent === '' ? 'message' : cleanEvent,
    data: data.split(/\r\n|\r|\n/).join('\n'),
    id: cleanId !== undefined && !cleanId.includes('\u0000') ? cleanId : undefined,
    retry: undefined,
  };
}

/** Splits text at the given (deduplicated, sorted) points; never yields an empty chunk. */
function splitAt(text: string, points: number[]): string[] {
  const cuts = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let last = 0;
  for (const c of cuts) {
    if (c > last) out.push(text.slice(last, c));
    last = Math.max(last, c);
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

describe('property: encode → split anywhere → decode gives the same events', () => {
  it('random events, random split points', () => {
    const event = fc.record({
      data: fieldText,
      id: fc.option(fieldText, { nil: undefined }),
      event: fc.option(fieldText, { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (events, points) => {
          const text = events.map((e) => encodeEvent(e.data, e.id, e.event)).join('');
          const got = decode(splitAt(text, points)).events;
          expect(got).toEqual(events.map((e) => expected(e.data, e.id, e.event)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('[transport:body-cap] a cap as large as the largest encoded event never trips', () => {
    fc.assert(
      fc.property(
        fc.array(fieldText, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (datas, points) => {
          const text = datas.map((d) => encodeEvent(d)).join('');
          // What the decoder holds for one event (counted data plus the pending raw line) is at most its encoded size.
          const cap = Math.max(...datas.map((d) => Buffer.byteLength(encodeEvent(d))));
          expect(decode(splitAt(text, points), cap).events.map((e) => e.data)).toEqual(
            datas.map((d) => d.split(/\r\n|\r|\n/).join('\n')),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('[transport:body-cap] per-event cap', () => {
  it('[transport:body-cap] a huge data line arriving in small chunks without a newline throws once past the cap', () => {
    const cap = 1024;
    const decoder = new SseDecoder(() => undefined, cap);
    decoder.push('data: ');
    let fed = 6;
    let err: unknown;
    for (let i = 0; i < 10_000 && err === undefined; i++) {
      try {
        decoder.push('x'.repeat(100));
        fed += 100;
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(WardenError);
    const w = err as WardenError;
    expect(w.code).toBe('ERR_UPSTREAM_RESPONSE_TOO_LARGE');
    expect(w.status).toBe(502);
    expect(w.data).toEqual({ limit: 1024 });
    // It refused the first chunk that took the pending line past 1024: 6 + 10×100 fit, the 11th did not.
    expect(fed).toBe(1006);
  });

  it('[transport:body-cap] many data lines of one event add up to the cap', () => {
    const decoder = new SseDecoder(() => undefined, 1024);
    const line = `data: ${'y'.repeat(99)}\n`; // 100 counted per line (value + joining LF)
    for (let i = 0; i < 10; i++) decoder.push(line);
    expect(thrown(() => decoder.push(line)).code).toBe('ERR_UPSTREAM_RESPONSE_TOO_LARGE');
  });

  it('[transport:body-cap] the boundary: a value of cap − 1 passes, cap throws', () => {
    expect(decode([`data: ${'z'.repeat(1023)}\n\n`], 1024).events).toHaveLength(1);
    expect(thrown(() => decode([`data: ${'z'.repeat(1024)}\n\n`], 1024)).code).toBe(
      'ERR_UPSTREAM_RESPONSE_TOO_LARGE',
    );
  });

  it('[transport:body-cap] a huge event: line or comment that never ends also trips the cap', () => {
    for (const prefix of ['event: ', ': ', 'id: ', 'unknown: ']) {
      const decoder = new SseDecoder(() => undefined, 1024);
      decoder.push(prefix);
      expect(
        thrown(() => {
          for (let i = 0; i < 100; i++) decoder.push('q'.repeat(64));
        }).code,
      ).toBe('ERR_UPSTREAM_RESPONSE_TOO_LARGE');
    }
  });

  it('[transport:body-cap] the cap is per event, not per stream', () => {
    const chunks = Array.from({ length: 500 }, (_, i) => `data: ${'p'.repeat(500)}${i}\n\n`);
    expect(decode(chunks, 1024).events).toHaveLength(500);
  });

  it('[transport:body-cap] the count restarts after each dispatched event', () => {
    let n = 0;
    const decoder = new SseDecoder(() => n++, 1024);
    for (let i = 0; i < 50; i++) {
      decoder.push(`data: ${'a'.repeat(600)}\n`);
      decoder.push(`data: ${'b'.repeat(300)}\n\n`);
    }
    expect(n).toBe(50);
  });

  // BUG (units): the option is `limits.maxEventBytes` ("in bytes") but the decoder counts UTF-16
  // code units of decoded text, so an event of 3-byte characters may be three times the configured
  // byte size. Fix: count UTF-8 bytes, e.g. `this.dataLen += Buffer.byteLength(value) + 1` for data
  // lines and `Buffer.byteLength(this.buf)` (or a running byte count of pushed chunks) for the
  // pending line; or rename the option to characters in the schema and docs.
  it('[transport:body-cap] counts bytes: 400 × "€" (1200 UTF-8 bytes) exceeds a 1024-byte cap', () => {
    expect(thrown(() => decode([`data: ${'€'.repeat(400)}\n\n`], 1024)).code).toBe(
      'ERR_UPSTREAM_RESPONSE_TOO_LARGE',
    );
  });
});

describe('encodeEvent', () => {
  it('writes event, id and data lines and a blank line', () => {
    expect(encodeEvent('{"a":1}', '5', 'message')).toBe('event: message\nid: 5\ndata: {"a":1}\n\n');
    expect(encodeEvent('x')).toBe('data: x\n\n');
    expect(encodeEvent('')).toBe('data: \n\n');
  });

  it('splits multi-line data on every line end so a payload cannot forge fields or events', () => {
    const forged = 'x\n\nid: evil\nevent: evil\ndata: y\r\rretry: 1\r\n\r\ndata: z';
    const text = encodeEvent(forged, '3');
    expect(text).toBe(
      'id: 3\ndata: x\ndata: \ndata: id: evil\ndata: event: evil\ndata: data: y\ndata: \ndata: retry: 1\ndata: \ndata: data: z\n\n',
    );
    const { events, decoder } = decode([text]);
    expect(events).toEqual([ev('x\n\nid: evil\nevent: evil\ndata: y\n\nretry: 1\n\ndata: z', { id: '3' })]);
    expect(decoder.lastEventId).toBe('3');
  });

  it('strips line ends from the id and event name', () => {
    const text = encodeEvent('d', '1\n\ndata: injected\n', 'ev\r\nid: 666');
    const { events } = decode([text]);
    expect(events).toEqual([ev('d', { event: 'evid: 666', id: '1data: injected' })]);
  });

  it('property: any data, id and event encode to exactly one event', () => {
    fc.assert(
      fc.property(
        fieldText,
        fc.option(fieldText, { nil: undefined }),
        fc.option(fieldText, { nil: undefined }),
        (data, id, event) => {
          const { events } = decode([encodeEvent(data, id, event)]);
          expect(events).toEqual([expected(data, id, event)]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
