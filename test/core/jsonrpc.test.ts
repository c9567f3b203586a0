/**
 * The JSON-RPC parser every byte from a peer goes through: valid shapes of each kind, every invalid
 * shape with its exact coded error, batches refused, and property tests that whatever the input the
 * parser either returns one well-kinded message or throws a coded WardenError — never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRORS, RPC, WardenError } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import {
  errorResponse,
  isNotification,
  isRequest,
  isResponse,
  kindOf,
  methodNotFound,
  parseMessage,
  resultResponse,
  toMessage,
} from '../../src/core/jsonrpc.js';
import type { JsonRpcMessage } from '../../src/core/jsonrpc.js';

/** Runs fn and returns the WardenError it throws (fails the test if it throws nothing or something else). */
function thrown(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    return err as WardenError;
  }
  throw new Error('expected a WardenError, nothing was thrown');
}

function codeOf(text: string): ErrorCode {
  return thrown(() => parseMessage(text)).code;
}

/** Exactly one of the three kind predicates holds, and kindOf agrees with it. */
function expectConsistentKind(msg: JsonRpcMessage): void {
  const flags = [isRequest(msg), isNotification(msg), isResponse(msg)];
  expect(flags.filter(Boolean)).toHaveLength(1);
  const kind = kindOf(msg);
  expect(kind).toBe(flags[0] ? 'request' : flags[1] ? 'notification' : 'response');
}

const PARSER_CODES: readonly ErrorCode[] = [
  'ERR_JSONRPC_INVALID',
  'ERR_JSONRPC_PARSE',
  'ERR_TRANSPORT_BATCH',
];

describe('parseMessage: valid messages', () => {
  it('reads a request with an integer id and params', () => {
    const msg = parseMessage(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{}}}',
    );
    expect(msg).toEqual({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'x', arguments: {} },
    });
    expect(kindOf(msg)).toBe('request');
    expect(isRequest(msg)).toBe(true);
    expectConsistentKind(msg);
  });

  it('reads a request with a string id and no params', () => {
    const msg = parseMessage('{"jsonrpc":"2.0","id":"abc","method":"ping"}');
    expect(msg).toEqual({ jsonrpc: '2.0', id: 'abc', method: 'ping' });
    expect(kindOf(msg)).toBe('request');
  });

  it('accepts id 0, a negative id, an empty string id and the largest safe integer', () => {
    for (const id of [0, -5, '', Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      const msg = toMessage({ jsonrpc: '2.0', id, method: 'ping' });
      expect(kindOf(msg)).toBe('request');
    }
  });

  it('accepts a 256-character method and a 256-character string id (the limits)', () => {
    expect(kindOf(toMessage({ jsonrpc: '2.0', id: 'i'.repeat(256), method: 'm'.repeat(256) }))).toBe(
      'request',
    );
  });

  it('reads a notification (no id) with and without params', () => {
    const a = parseMessage('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(kindOf(a)).toBe('notification');
    expect(isNotification(a)).toBe(true);
    const b = parseMessage(
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":2}}',
    );
    expect(kindOf(b)).toBe('notification');
    expect(b).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 1, progress: 2 },
    });
  });

  it('reads a result response', () => {
    const msg = parseMessage('{"jsonrpc":"2.0","id":7,"result":{"tools":[]}}');
    expect(msg).toEqual({ jsonrpc: '2.0', id: 7, result: { tools: [] } });
    expect(kindOf(msg)).toBe('response');
    expect(isResponse(msg)).toBe(true);
  });

  it('reads error responses with an id, a null id and no id', () => {
    for (const text of [
      '{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"nope"}}',
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad","data":{"x":1}}}',
      '{"jsonrpc":"2.0","error":{"code":-32600,"message":"bad"}}',
    ]) {
      const msg = parseMessage(text);
      expect(kindOf(msg)).toBe('response');
      expectConsistentKind(msg);
      expect(msg).toEqual(JSON.parse(text));
    }
  });

  it('tolerates surrounding whitespace (JSON allows it)', () => {
    expect(kindOf(parseMessage(' \r\n\t{"jsonrpc":"2.0","method":"x"}\r\n'))).toBe('notification');
  });
});

describe('parseMessage: malformed JSON is ERR_JSONRPC_PARSE (-32700)', () => {
  const bad = [
    '',
    ' ',
    '{',
    '}',
    '{"jsonrpc":"2.0",}',
    "{'jsonrpc':'2.0'}",
    'undefined',
    'NaN',
    '{"a":1}{"b":2}',
    '\u0000',
    '[1,]',
    'nul',
  ];
  for (const text of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const err = thrown(() => parseMessage(text));
      expect(err.code).toBe('ERR_JSONRPC_PARSE');
      expect(err.status).toBe(400);
      expect(err.rpcCode).toBe(RPC.parseError);
      expect(err.rpcCode).toBe(-32700);
    });
  }
});

describe('parseMessage: JSON that is not one JSON-RPC message is ERR_JSONRPC_INVALID (-32600)', () => {
  const cases: [string, unknown][] = [
    ['null', null],
    ['a number', 1],
    ['a string', 'x'],
    ['a boolean', true],
    ['jsonrpc missing', { id: 1, method: 'ping' }],
    ['jsonrpc "1.0"', { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['jsonrpc as the number 2.0', { jsonrpc: 2.0, id: 1, method: 'ping' }],
    ['an empty object', {}],
    ['only jsonrpc', { jsonrpc: '2.0' }],
    ['jsonrpc and id only', { jsonrpc: '2.0', id: 1 }],
    ['an empty method', { jsonrpc: '2.0', id: 1, method: '' }],
    ['a numeric method', { jsonrpc: '2.0', id: 1, method: 5 }],
    ['a null method', { jsonrpc: '2.0', id: 1, method: null }],
    ['a 257-character method', { jsonrpc: '2.0', id: 1, method: 'm'.repeat(257) }],
    ['array params', { jsonrpc: '2.0', id: 1, method: 'x', params: [1, 2] }],
    ['string params', { jsonrpc: '2.0', id: 1, method: 'x', params: 'p' }],
    ['null params', { jsonrpc: '2.0', id: 1, method: 'x', params: null }],
    ['a null request id', { jsonrpc: '2.0', id: null, method: 'x' }],
    ['a fractional id', { jsonrpc: '2.0', id: 1.5, method: 'x' }],
    ['an unsafe integer id', { jsonrpc: '2.0', id: 2 ** 53, method: 'x' }],
    ['an object id', { jsonrpc: '2.0', id: {}, method: 'x' }],
    ['a boolean id', { jsonrpc: '2.0', id: true, method: 'x' }],
    ['a 257-character string id', { jsonrpc: '2.0', id: 'i'.repeat(257), method: 'x' }],
    ['a request carrying result', { jsonrpc: '2.0', id: 1, method: 'x', result: {} }],
    ['a notification carrying error', { jsonrpc: '2.0', method: 'x', error: { code: 1, message: 'm' } }],
    ['a result without id', { jsonrpc: '2.0', result: {} }],
    ['a result with a null id', { jsonrpc: '2.0', id: null, result: {} }],
    ['a result with a fractional id', { jsonrpc: '2.0', id: 0.5, result: {} }],
    ['an array result', { jsonrpc: '2.0', id: 1, result: [] }],
    ['a string result', { jsonrpc: '2.0', id: 1, result: 'ok' }],
    ['a null result', { jsonrpc: '2.0', id: 1, result: null }],
    ['both result and error', { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'm' } }],
    ['a string error', { jsonrpc: '2.0', id: 1, error: 'boom' }],
    ['a null error', { jsonrpc: '2.0', id: 1, error: null }],
    ['an error without code', { jsonrpc: '2.0', id: 1, error: { message: 'm' } }],
    ['an error with a fractional code', { jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'm' } }],
    ['an error with a string code', { jsonrpc: '2.0', id: 1, error: { code: '-32600', message: 'm' } }],
    ['an error without message', { jsonrpc: '2.0', id: 1, error: { code: -32600 } }],
    ['an error with a numeric message', { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 5 } }],
    [
      'an error response with an object id',
      { jsonrpc: '2.0', id: { a: 1 }, error: { code: 1, message: 'm' } },
    ],
  ];
  for (const [name, value] of cases) {
    it(`refuses ${name}`, () => {
      const viaToMessage = thrown(() => toMessage(value));
      expect(viaToMessage.code).toBe('ERR_JSONRPC_INVALID');
      expect(viaToMessage.status).toBe(400);
      expect(viaToMessage.rpcCode).toBe(-32600);
      expect(typeof viaToMessage.data?.reason).toBe('string');
      expect(codeOf(JSON.stringify(value))).toBe('ERR_JSONRPC_INVALID');
    });
  }

  it('keeps a readable request id in the error data so the refusal can be answered', () => {
    const err = thrown(() => toMessage({ jsonrpc: '2.0', id: 7, method: 'x', params: [1] }));
    expect(err.data).toEqual({ reason: 'params must be an object', id: 7 });
    const err2 = thrown(() => toMessage({ jsonrpc: '2.0', id: 'r1', result: 'nope' }));
    expect(err2.data).toEqual({ reason: 'result must be an object', id: 'r1' });
  });

  it('never echoes an unreadable id in the error data', () => {
    const err = thrown(() => toMessage({ jsonrpc: '2.0', id: { evil: true }, method: 'x', params: 5 }));
    expect(err.data).toEqual({ reason: 'params must be an object' });
  });
});

describe('[transport:single-message] arrays are batches and are refused', () => {
  for (const text of [
    '[]',
    '[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
    '[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]',
    ' [1] ',
  ]) {
    it(`[transport:single-message] ${text.trim()} → ERR_TRANSPORT_BATCH, 400, -32600`, () => {
      const err = thrown(() => parseMessage(text));
      expect(err.code).toBe('ERR_TRANSPORT_BATCH');
      expect(err.status).toBe(400);
      expect(err.rpcCode).toBe(-32600);
    });
  }
});

describe('response builders', () => {
  it('errorResponse omits id only when undefined, keeps null, and omits absent data', () => {
    expect(errorResponse(undefined, -32600, 'm')).toEqual({
      jsonrpc: '2.0',
      error: { code: -32600, message: 'm' },
    });
    expect(errorResponse(null, -32600, 'm')).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'm' },
    });
    expect(errorResponse(4, 1, 'm', { a: 1 })).toEqual({
      jsonrpc: '2.0',
      id: 4,
      error: { code: 1, message: 'm', data: { a: 1 } },
    });
    expect('data' in errorResponse(4, 1, 'm').error).toBe(false);
  });

  it('resultResponse and methodNotFound build messages the parser accepts', () => {
    const r = resultResponse('a', { ok: true });
    expect(r).toEqual({ jsonrpc: '2.0', id: 'a', result: { ok: true } });
    expect(parseMessage(JSON.stringify(r))).toEqual(r);
    const m = methodNotFound(9, 'x/y');
    expect(m).toEqual({ jsonrpc: '2.0', id: 9, error: { code: -32601, message: 'Method not found: x/y' } });
    expect(parseMessage(JSON.stringify(m))).toEqual(m);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests: the parser is a trust boundary.
// ---------------------------------------------------------------------------------------------

/** Parses and checks the outcome contract; returns the message or the code. */
function outcome(text: string): JsonRpcMessage | ErrorCode {
  let msg: JsonRpcMessage;
  try {
    msg = parseMessage(text);
  } catch (err) {
    if (!(err instanceof WardenError)) throw new Error(`non-WardenError thrown: ${String(err)}`);
    if (!PARSER_CODES.includes(err.code)) throw new Error(`unexpected code ${err.code}`);
    // The coded error maps to its table row.
    expect(err.status).toBe(ERRORS[err.code].status);
    return err.code;
  }
  expectConsistentKind(msg);
  return msg;
}

/**
 * An independent model of what the parser must accept: JSON-RPC 2.0 with MCP's rules (non-null
 * ids on requests, object params/result) and Warden's size limits on methods and string ids.
 */
function modelKind(value: unknown): 'request' | 'notification' | 'response' | ErrorCode {
  if (Array.isArray(value)) return 'ERR_TRANSPORT_BATCH';
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(value) || value.jsonrpc !== '2.0') return 'ERR_JSONRPC_INVALID';
  const idOk = (v: unknown): boolean =>
    (typeof v === 'string' && v.length <= 256) || (typeof v === 'number' && Number.isSafeInteger(v));
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(value, k);
  if (has('method')) {
    const m = value.method;
    if (typeof m !== 'string' || m.length < 1 || m.length > 256) return 'ERR_JSONRPC_INVALID';
    if (has('params') && !isObj(value.params)) return 'ERR_JSONRPC_INVALID';
    if (has('id') && !idOk(value.id)) return 'ERR_JSONRPC_INVALID';
    if (has('result') || has('error')) return 'ERR_JSONRPC_INVALID';
    return has('id') ? 'request' : 'notification';
  }
  if (has('result')) {
    return idOk(value.id) && !has('error') && isObj(value.result) ? 'response' : 'ERR_JSONRPC_INVALID';
  }
  if (has('error')) {
    if (has('id') && value.id !== null && !idOk(value.id)) return 'ERR_JSONRPC_INVALID';
    const e = value.error;
    return isObj(e) && typeof e.code === 'number' && Number.isInteger(e.code) && typeof e.message === 'string'
      ? 'response'
      : 'ERR_JSONRPC_INVALID';
  }
  return 'ERR_JSONRPC_INVALID';
}

/** Objects that look a lot like JSON-RPC messages, with every member sometimes wrong or missing. */
const messageish: fc.Arbitrary<unknown> = fc.record(
  {
    jsonrpc: fc.constantFrom<unknown>('2.0', '2.0', '2.0', '1.0', 2, null),
    id: fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 5 }),
      fc.constantFrom<unknown>(null, 1.5, 2 ** 53, -0, true, {}, [], 'x'.repeat(257)),
    ),
    method: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom<unknown>('', 5, null, 'm'.repeat(257), 'tools/call'),
    ),
    params: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    result: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    error: fc.oneof(
      fc.record(
        {
          code: fc.oneof(fc.integer(), fc.double(), fc.string()),
          message: fc.oneof(fc.string(), fc.integer()),
          data: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  },
  { requiredKeys: [] },
);

describe('property: any input → one well-kinded message or a coded parser error', () => {
  const numRuns = 2000;

  it('[transport:single-message] arbitrary strings (UTF-16 units)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => void outcome(s)),
      { numRuns },
    );
  });

  it('arbitrary full-Unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => void outcome(s)),
      { numRuns },
    );
  });

  it('strings with lone surrogates and control characters', () => {
    const unit = fc.oneof(
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '\\', 'jsonrpc', '2.0', 'id', 'method'),
    );
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 60 }).map((a) => a.join('')),
        (s) => void outcome(s),
      ),
      { numRuns },
    );
  });

  it('[transport:single-message] JSON texts (fc.json) agree with the model', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 3 }), (text) => {
        const got = outcome(text);
        const want = modelKind(JSON.parse(text));
        expect(typeof got === 'string' ? got : kindOf(got)).toBe(want);
      }),
      { numRuns },
    );
  });

  it('anything JSON.stringify produces agrees with the model', () => {
    fc.assert(
      fc.property(
        fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) as string | undefined),
        (text) => {
          if (typeof text !== 'string') return;
          const got = outcome(text);
          const want = modelKind(JSON.parse(text));
          expect(typeof got === 'string' ? got : kindOf(got)).toBe(want);
        },
      ),
      { numRuns },
    );
  });

  it('near-miss JSON-RPC objects agree with the model', () => {
    fc.assert(
      fc.property(messageish, (value) => {
        const text = JSON.stringify(value);
        const got = outcome(text);
        const want = modelKind(JSON.parse(text));
        expect(typeof got === 'string' ? got : kindOf(got)).toBe(want);
      }),
      { numRuns: 5000 },
    );
  });

  it('deeply nested JSON is still only a coded error or a message', () => {
    for (const depth of [1000, 100_000]) {
      expect(['ERR_JSONRPC_INVALID', 'ERR_TRANSPORT_BATCH', 'ERR_JSONRPC_PARSE']).toContain(
        codeOf('['.repeat(depth) + ']'.repeat(depth)),
      );
      const nested =
        '{"jsonrpc":"2.0","method":"x","params":{"a":' + '['.repeat(depth) + ']'.repeat(depth) + '}}';
      const got = outcome(nested);
      expect(typeof got === 'string' ? got : kindOf(got)).toMatch(/^(notification|ERR_JSONRPC_PARSE)$/);
    }
  });
});

describe('property: valid messages round-trip', () => {
  const id = fc.oneof(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.string({ maxLength: 256 }));
  const method = fc.string({ minLength: 1, maxLength: 256 });
  const obj = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
  const request = fc.record(
    { jsonrpc: fc.constant('2.0' as const), id, method, params: obj },
    { requiredKeys: ['jsonrpc', 'id', 'method'] },
  );
  const notification = fc.record(
    { jsonrpc: fc.constant('2.0' as const), method, params: obj },
    { requiredKeys: ['jsonrpc', 'method'] },
  );
  const result = fc.record({ jsonrpc: fc.constant('2.0' as const), id, result: obj });
  const error = fc.record(
    {
      jsonrpc: fc.constant('2.0' as const),
      id: fc.oneof(id, fc.constant(null)),
      error: fc.record(
        { code: fc.integer(), message: fc.string(), data: fc.jsonValue({ maxDepth: 2 }) },
        { requiredKeys: ['code', 'message'] },
      ),
    },
    { requiredKeys: ['jsonrpc', 'error'] },
  );

  const cases: [string, fc.Arbitrary<JsonRpcMessage>, 'request' | 'notification' | 'response'][] = [
    ['requests', request, 'request'],
    ['notifications', notification, 'notification'],
    ['results', result, 'response'],
    ['errors', error, 'response'],
  ];
  for (const [name, arb, kind] of cases) {
    it(`${name} parse back to themselves with the right kind`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const text = JSON.stringify(m);
          const back = parseMessage(text);
          expect(kindOf(back)).toBe(kind);
          expectConsistentKind(back);
          // Compare in JSON form: JSON.stringify drops members whose value is undefined.
          expect(back).toStrictEqual(JSON.parse(text));
          expect(JSON.stringify(back)).toBe(text);
        }),
        { numRuns: 1000 },
      );
    });
  }
});
