/**
 * The transport guard's pure checks, fed hand-built HttpFacts and Exchanges: Host allowlist and
 * Origin (DNS rebinding), Accept/Content-Type negotiation, the declared body size, the
 * MCP-Protocol-Version header, and the 2026-07-28 header/body agreement rules. Each refusal is
 * checked down to its code, HTTP status and JSON-RPC code.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/config/compile.js';
import { configSchema } from '../../src/config/schema.js';
import { WardenError } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { startExchange } from '../../src/core/exchange.js';
import type { Exchange, HttpFacts } from '../../src/core/exchange.js';
import type { JsonRpcMessage, Params } from '../../src/core/jsonrpc.js';
import { toHttpError } from '../../src/core/mapper.js';
import { LEGACY_VERSIONS, META, SUPPORTED_VERSIONS, encodeHeaderValue } from '../../src/core/protocol.js';
import {
  transportGuard,
  verifyHost,
  verifyNegotiation,
  verifyOrigin,
  verifyVersionHeaders,
} from '../../src/stages/transport-guard/index.js';
import type { GuardConfig } from '../../src/stages/transport-guard/index.js';

const CFG: GuardConfig = {
  allowedHosts: new Set([
    '127.0.0.1',
    '127.0.0.1:8787',
    'localhost',
    'localhost:8787',
    '[::1]',
    '[::1]:8787',
  ]),
  allowedOrigins: new Set(['https://app.example']),
  selfOrigin: 'http://127.0.0.1:8787',
  maxRequestBytes: 1024,
};

type Headers = Record<string, string | string[] | undefined>;

/** A well-formed POST; `headers` entries replace the defaults, `undefined` removes one. */
function facts(headers: Headers = {}, method = 'POST'): HttpFacts {
  const base: Headers = {
    host: '127.0.0.1:8787',
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    'content-length': '100',
  };
  const merged: Headers = { ...base, ...headers };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  return { method, path: '/mcp', headers: merged, remoteAddress: '127.0.0.1' };
}

/** A minimal exchange carrying `message`; `'stdio'` means no HTTP facts. */
function exchange(message: JsonRpcMessage, via: Headers | 'stdio' = {}): Exchange {
  const headers = via === 'stdio' ? undefined : via;
  return startExchange({
    id: 'ex-1',
    started: 0n,
    transport: headers === undefined ? 'stdio' : 'http',
    endpoint: '/mcp',
    http:
      headers === undefined
        ? undefined
        : { method: 'POST', path: '/mcp', headers, remoteAddress: '127.0.0.1' },
    message,
    time: new Date(0).toISOString(),
  });
}

const MODERN = '2026-07-28';

/** A 2026-era request with the version in _meta. */
function modernRequest(method: string, params: Params = {}, version = MODERN): JsonRpcMessage {
  return {
    jsonrpc: '2.0',
    id: 1,
    method,
    params: { ...params, _meta: { [META.protocolVersion]: version, [META.clientCapabilities]: {} } },
  };
}

/** Headers a conforming 2026-07-28 client sends for a request. */
function modernHeaders(method: string, name?: string): Headers {
  const h: Headers = { 'mcp-protocol-version': MODERN, 'mcp-method': method };
  if (name !== undefined) h['mcp-name'] = encodeHeaderValue(name);
  return h;
}

/** Expects fn to throw the coded error; checks status and JSON-RPC code from the mapper too. */
function expectRefusal(fn: () => void, code: ErrorCode, status: number, rpc: number): WardenError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(WardenError);
  const e = caught as WardenError;
  expect(e.code).toBe(code);
  const reply = toHttpError(e);
  expect(reply.status).toBe(status);
  expect(reply.body.error.code).toBe(rpc);
  expect(reply.body.id).toBeNull();
  expect((reply.body.error.data as Record<string, unknown>).code).toBe(code);
  return e;
}

const host = (f: HttpFacts): void => verifyHost(f, CFG);
const origin = (f: HttpFacts): void => verifyOrigin(f, CFG);
const negotiate = (f: HttpFacts): void => verifyNegotiation(f, CFG);

describe('[transport:host-allowlist] Host', () => {
  it('[transport:host-allowlist] accepts the listed hosts, with and without port, in any case', () => {
    for (const h of [
      '127.0.0.1:8787',
      '127.0.0.1',
      'localhost:8787',
      'LOCALHOST:8787',
      'LocalHost',
      '[::1]:8787',
    ]) {
      expect(() => host(facts({ host: h }))).not.toThrow();
    }
  });

  it('[transport:host-allowlist] refuses a foreign host with 403 ERR_TRANSPORT_HOST', () => {
    for (const h of [
      'evil.example',
      'evil.example:8787',
      '127.0.0.1.evil.example',
      'localhost.evil.example:8787',
      'attacker.localhost',
    ]) {
      const e = expectRefusal(() => host(facts({ host: h })), 'ERR_TRANSPORT_HOST', 403, -32600);
      expect(e.data).toEqual({ host: h.toLowerCase() });
    }
  });

  it('[transport:host-allowlist] refuses a listed name on an unlisted port', () => {
    expectRefusal(() => host(facts({ host: 'localhost:9999' })), 'ERR_TRANSPORT_HOST', 403, -32600);
    expectRefusal(() => host(facts({ host: '127.0.0.1:80' })), 'ERR_TRANSPORT_HOST', 403, -32600);
  });

  it('[transport:host-allowlist] refuses a missing or empty Host', () => {
    const e = expectRefusal(() => host(facts({ host: undefined })), 'ERR_TRANSPORT_HOST', 403, -32600);
    expect(e.data).toEqual({ host: null });
    expectRefusal(() => host(facts({ host: '' })), 'ERR_TRANSPORT_HOST', 403, -32600);
  });

  it('[transport:host-allowlist] refuses a trailing-dot or padded variant of an allowed name', () => {
    for (const h of ['localhost.:8787', ' localhost:8787', 'localhost:8787 ', 'localhost:08787']) {
      expectRefusal(() => host(facts({ host: h })), 'ERR_TRANSPORT_HOST', 403, -32600);
    }
  });

  it('[transport:host-allowlist] refuses a repeated Host header even when one copy is allowed', () => {
    expectRefusal(
      () => host(facts({ host: ['localhost:8787', 'evil.example'] })),
      'ERR_TRANSPORT_HOST',
      403,
      -32600,
    );
  });

  it('[transport:host-allowlist] caps the echoed host at 255 characters', () => {
    const e = expectRefusal(() => host(facts({ host: 'a'.repeat(5000) })), 'ERR_TRANSPORT_HOST', 403, -32600);
    expect((e.data?.host as string).length).toBe(255);
  });

  it('[transport:host-allowlist] the compiled default allowlist takes loopback names and the public URL host only', () => {
    const compiled = compile(configSchema.parse({ servers: { s: { command: 'node', args: [] } } }));
    const cfg: GuardConfig = {
      allowedHosts: compiled.allowedHosts,
      allowedOrigins: compiled.allowedOrigins,
      selfOrigin: new URL(compiled.publicUrl).origin,
      maxRequestBytes: 1024,
    };
    const port = new URL(compiled.publicUrl).port;
    for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost']) {
      expect(() => verifyHost(facts({ host: h }), cfg)).not.toThrow();
    }
    for (const h of [
      'evil.example',
      `evil.example:${port}`,
      `0.0.0.0:${port}`,
      `rebind.attacker.example:${port}`,
    ]) {
      expectRefusal(() => verifyHost(facts({ host: h }), cfg), 'ERR_TRANSPORT_HOST', 403, -32600);
    }
    expect(() => verifyOrigin(facts({ origin: `http://127.0.0.1:${port}` }), cfg)).not.toThrow();
    expectRefusal(
      () => verifyOrigin(facts({ origin: `http://localhost.evil:${port}` }), cfg),
      'ERR_TRANSPORT_ORIGIN',
      403,
      -32600,
    );
  });
});

describe('[transport:origin-403] Origin', () => {
  it('[transport:origin-403] an absent Origin is not refused', () => {
    expect(() => origin(facts())).not.toThrow();
  });

  it('[transport:origin-403] an allowed Origin and Warden’s own origin pass', () => {
    expect(() => origin(facts({ origin: 'https://app.example' }))).not.toThrow();
    expect(() => origin(facts({ origin: 'http://127.0.0.1:8787' }))).not.toThrow();
  });

  it('[transport:origin-403] a foreign Origin gets 403 ERR_TRANSPORT_ORIGIN with a JSON-RPC body without id', () => {
    const e = expectRefusal(
      () => origin(facts({ origin: 'https://evil.example' })),
      'ERR_TRANSPORT_ORIGIN',
      403,
      -32600,
    );
    expect(e.data).toEqual({ origin: 'https://evil.example' });
  });

  it("[transport:origin-403] the opaque 'null' origin is refused", () => {
    expectRefusal(() => origin(facts({ origin: 'null' })), 'ERR_TRANSPORT_ORIGIN', 403, -32600);
  });

  it('[transport:origin-403] near misses of an allowed origin are refused (exact match only)', () => {
    for (const o of [
      'https://app.example/',
      'https://app.example:443',
      'http://app.example',
      'https://app.example.evil.com',
      'https://evilapp.example',
      'https://app.example, https://evil.example',
      'HTTPS://APP.EXAMPLE',
      '',
      'http://127.0.0.1:8788',
      'http://localhost:8787',
    ]) {
      expectRefusal(() => origin(facts({ origin: o })), 'ERR_TRANSPORT_ORIGIN', 403, -32600);
    }
  });

  it('[transport:origin-403] two Origin headers are refused even if one is allowed', () => {
    expectRefusal(
      () => origin(facts({ origin: ['https://app.example', 'https://evil.example'] })),
      'ERR_TRANSPORT_ORIGIN',
      403,
      -32600,
    );
  });
});

describe('[transport:accept-406] [transport:content-type-415] [transport:body-cap] negotiation', () => {
  it('accepts a well-formed POST', () => {
    expect(() => negotiate(facts())).not.toThrow();
    expect(() => negotiate(facts({ accept: 'text/event-stream;q=0.9, application/json' }))).not.toThrow();
  });

  it('[transport:accept-406] a POST must accept both application/json and text/event-stream', () => {
    for (const a of ['application/json', 'text/event-stream', undefined, '', '*/*', 'text/html']) {
      expectRefusal(() => negotiate(facts({ accept: a })), 'ERR_TRANSPORT_ACCEPT', 406, -32600);
    }
  });

  it('[transport:accept-406] a GET must accept text/event-stream', () => {
    expect(() => negotiate(facts({ accept: 'text/event-stream' }, 'GET'))).not.toThrow();
    for (const a of ['application/json', undefined]) {
      expectRefusal(() => negotiate(facts({ accept: a }, 'GET')), 'ERR_TRANSPORT_ACCEPT', 406, -32600);
    }
  });

  // BUG: media types are case-insensitive (RFC 9110 §8.3.1) and verifyNegotiation lower-cases
  // Content-Type but not Accept, so a client sending `Accept: Application/JSON, Text/Event-Stream`
  // gets 406. Fix in transport-guard/index.ts: `const accept = (header(facts, 'accept') ?? '').toLowerCase();`
  it('[transport:accept-406] Accept media types are matched case-insensitively', () => {
    expect(() => negotiate(facts({ accept: 'Application/JSON, Text/Event-Stream' }))).not.toThrow();
  });

  it('[transport:content-type-415] a POST body must be declared application/json', () => {
    for (const ct of [
      undefined,
      '',
      'text/plain',
      'application/jsonx',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'json',
    ]) {
      expectRefusal(
        () => negotiate(facts({ 'content-type': ct })),
        'ERR_TRANSPORT_CONTENT_TYPE',
        415,
        -32600,
      );
    }
  });

  it('[transport:content-type-415] parameters and case do not matter', () => {
    for (const ct of [
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      ' application/json ;charset=UTF-8',
    ]) {
      expect(() => negotiate(facts({ 'content-type': ct }))).not.toThrow();
    }
  });

  it('[transport:body-cap] a declared Content-Length over the cap gets 413 before the body is read', () => {
    const e = expectRefusal(
      () => negotiate(facts({ 'content-length': '1025' })),
      'ERR_TRANSPORT_BODY_TOO_LARGE',
      413,
      -32600,
    );
    expect(e.data).toEqual({ limit: 1024 });
    expectRefusal(
      () => negotiate(facts({ 'content-length': String(2 ** 40) })),
      'ERR_TRANSPORT_BODY_TOO_LARGE',
      413,
      -32600,
    );
  });

  it('[transport:body-cap] a declared length at the cap, or none (chunked), passes the head check', () => {
    expect(() => negotiate(facts({ 'content-length': '1024' }))).not.toThrow();
    expect(() =>
      negotiate(facts({ 'content-length': undefined, 'transfer-encoding': 'chunked' })),
    ).not.toThrow();
  });

  it('checks Accept, then Content-Type, then length', () => {
    expectRefusal(
      () => negotiate(facts({ accept: 'text/html', 'content-type': 'text/plain', 'content-length': '9999' })),
      'ERR_TRANSPORT_ACCEPT',
      406,
      -32600,
    );
    expectRefusal(
      () => negotiate(facts({ 'content-type': 'text/plain', 'content-length': '9999' })),
      'ERR_TRANSPORT_CONTENT_TYPE',
      415,
      -32600,
    );
  });

  it('DELETE carries no body and is not negotiated', () => {
    expect(() => negotiate(facts({ accept: undefined, 'content-type': undefined }, 'DELETE'))).not.toThrow();
  });

  it('the head phase checks Host, then Origin, then negotiation', () => {
    const g = transportGuard(CFG);
    expect(g.name).toBe('transport-guard');
    expect(typeof g.request).toBe('function');
    expectRefusal(
      () => g.head(facts({ host: 'evil.example', origin: 'https://evil.example', accept: undefined })),
      'ERR_TRANSPORT_HOST',
      403,
      -32600,
    );
    expectRefusal(
      () => g.head(facts({ origin: 'https://evil.example', accept: undefined })),
      'ERR_TRANSPORT_ORIGIN',
      403,
      -32600,
    );
    expectRefusal(() => g.head(facts({ accept: undefined })), 'ERR_TRANSPORT_ACCEPT', 406, -32600);
    expect(() => g.head(facts())).not.toThrow();
  });
});

describe('[transport:protocol-version-400] MCP-Protocol-Version', () => {
  const toolsList: JsonRpcMessage = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

  it('[transport:protocol-version-400] an absent header means 2025-03-26 (legacy)', () => {
    const ex = exchange(toolsList, {});
    verifyVersionHeaders(ex);
    expect(ex.era).toBe('legacy');
    expect(ex.protocolVersion).toBe('2025-03-26');
  });

  it('[transport:protocol-version-400] each supported legacy revision is taken as the exchange version', () => {
    for (const v of LEGACY_VERSIONS) {
      const ex = exchange(toolsList, { 'mcp-protocol-version': v });
      verifyVersionHeaders(ex);
      expect(ex.era).toBe('legacy');
      expect(ex.protocolVersion).toBe(v);
    }
  });

  it('[transport:protocol-version-400] garbage gets 400 / -32022 with the supported list', () => {
    for (const v of ['garbage', '', '2025-06-18; drop', '2025-06-1', '2025-06-18,2025-03-26', '１']) {
      const e = expectRefusal(
        () => verifyVersionHeaders(exchange(toolsList, { 'mcp-protocol-version': v })),
        'ERR_TRANSPORT_PROTOCOL_VERSION',
        400,
        -32022,
      );
      expect(e.data).toEqual({ supported: [...SUPPORTED_VERSIONS], requested: v.trim() });
    }
  });

  it('[transport:protocol-version-400] a well-shaped but unknown date gets 400 / -32022', () => {
    for (const v of ['2024-11-05', '2025-01-01', '2099-12-31']) {
      const e = expectRefusal(
        () => verifyVersionHeaders(exchange(toolsList, { 'mcp-protocol-version': v })),
        'ERR_TRANSPORT_PROTOCOL_VERSION',
        400,
        -32022,
      );
      expect(e.data?.requested).toBe(v);
    }
  });

  it('[transport:protocol-version-400] the echoed version is capped at 64 characters', () => {
    const e = expectRefusal(
      () => verifyVersionHeaders(exchange(toolsList, { 'mcp-protocol-version': 'x'.repeat(10_000) })),
      'ERR_TRANSPORT_PROTOCOL_VERSION',
      400,
      -32022,
    );
    expect((e.data?.requested as string).length).toBe(64);
  });

  it('initialize is always legacy; its version is negotiated in the body', () => {
    const ex = exchange(
      { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25' } },
      { 'mcp-protocol-version': 'garbage' },
    );
    verifyVersionHeaders(ex);
    expect(ex.era).toBe('legacy');
  });

  it('[transport:protocol-version-400] a 2026 body version that Warden does not serve gets 400 / -32022 (also on stdio)', () => {
    expectRefusal(
      () => verifyVersionHeaders(exchange(modernRequest('tools/list', {}, '2099-01-01'), 'stdio')),
      'ERR_TRANSPORT_PROTOCOL_VERSION',
      400,
      -32022,
    );
    expectRefusal(
      () => verifyVersionHeaders(exchange(modernRequest('tools/list', {}, 'garbage'), 'stdio')),
      'ERR_TRANSPORT_PROTOCOL_VERSION',
      400,
      -32022,
    );
  });
});

describe('[transport:header-mismatch-400] 2026-07-28 header/body agreement', () => {
  it('[transport:header-mismatch-400] a conforming modern request passes and is marked modern', () => {
    const ex = exchange(modernRequest('tools/list'), modernHeaders('tools/list'));
    verifyVersionHeaders(ex);
    expect(ex.era).toBe('modern');
    expect(ex.protocolVersion).toBe(MODERN);
  });

  it('a modern request over stdio needs no headers', () => {
    const ex = exchange(modernRequest('tools/call', { name: 'x' }), 'stdio');
    verifyVersionHeaders(ex);
    expect(ex.era).toBe('modern');
    expect(ex.protocolVersion).toBe(MODERN);
  });

  it('[transport:header-mismatch-400] a modern version header with no _meta version in the body', () => {
    const ex = exchange(
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
      modernHeaders('tools/list'),
    );
    const e = expectRefusal(() => verifyVersionHeaders(ex), 'ERR_TRANSPORT_HEADER_MISMATCH', 400, -32020);
    expect(e.data).toEqual({ header: 'MCP-Protocol-Version' });
  });

  it('[transport:header-mismatch-400] a _meta version with no version header', () => {
    const h = modernHeaders('tools/list');
    delete h['mcp-protocol-version'];
    expectRefusal(
      () => verifyVersionHeaders(exchange(modernRequest('tools/list'), h)),
      'ERR_TRANSPORT_HEADER_MISMATCH',
      400,
      -32020,
    );
  });

  it('[transport:header-mismatch-400] the header version differs from the _meta version', () => {
    expectRefusal(
      () =>
        verifyVersionHeaders(
          exchange(modernRequest('tools/list'), {
            ...modernHeaders('tools/list'),
            'mcp-protocol-version': '2025-11-25',
          }),
        ),
      'ERR_TRANSPORT_HEADER_MISMATCH',
      400,
      -32020,
    );
    expectRefusal(
      () =>
        verifyVersionHeaders(
          exchange(modernRequest('tools/list', {}, '2025-11-25'), modernHeaders('tools/list')),
        ),
      'ERR_TRANSPORT_HEADER_MISMATCH',
      400,
      -32020,
    );
  });

  it('[transport:header-mismatch-400] Mcp-Method missing or different from the body method', () => {
    const h = modernHeaders('tools/list');
    delete h['mcp-method'];
    const e = expectRefusal(
      () => verifyVersionHeaders(exchange(modernRequest('tools/list'), h)),
      'ERR_TRANSPORT_HEADER_MISMATCH',
      400,
      -32020,
    );
    expect(e.data).toEqual({ header: 'Mcp-Method' });
    for (const m of ['tools/call', 'TOOLS/LIST', 'tools/list ', '']) {
      expectRefusal(
        () =>
          verifyVersionHeaders(
            exchange(modernRequest('tools/list'), { ...modernHeaders('tools/list'), 'mcp-method': m }),
          ),
        'ERR_TRANSPORT_HEADER_MISMATCH',
        400,
        -32020,
      );
    }
  });

  it('[transport:header-mismatch-400] the refusal message never carries more than 64 characters of a header', () => {
    const e = expectRefusal(
      () =>
        verifyVersionHeaders(
          exchange(modernRequest('tools/list'), {
            ...modernHeaders('tools/list'),
            'mcp-method': 'M'.repeat(10_000),
          }),
        ),
      'ERR_TRANSPORT_HEADER_MISMATCH',
      400,
      -32020,
    );
    expect(e.message).not.toContain('M'.repeat(65));
  });

  it('[transport:header-mismatch-400] Mcp-Name must be present for tools/call, prompts/get and resources/read', () => {
    for (const [method, params] of [
      ['tools/call', { name: 'get_weather', arguments: {} }],
      ['prompts/get', { name: 'summary' }],
      ['resources/read', { uri: 'file:///a.txt' }],
    ] as [string, Params][]) {
      const e = expectRefusal(
        () => verifyVersionHeaders(exchange(modernRequest(method, params), modernHeaders(method))),
        'ERR_TRANSPORT_HEADER_MISMATCH',
        400,
        -32020,
      );
      expect(e.data).toEqual({ header: 'Mcp-Name' });
      const ok = exchange(
        modernRequest(method, params),
        modernHeaders(method, (params.name ?? params.uri) as string),
      );
      expect(() => verifyVersionHeaders(ok)).not.toThrow();
    }
  });

  it('[transport:header-mismatch-400] Mcp-Name that names another tool, prompt or resource', () => {
    const call = modernRequest('tools/call', { name: 'get_weather' });
    for (const n of ['delete_all', 'get_weather ', 'GET_WEATHER', encodeHeaderValue('get_weather\n'), '']) {
      expectRefusal(
        () => verifyVersionHeaders(exchange(call, { ...modernHeaders('tools/call'), 'mcp-name': n })),
        'ERR_TRANSPORT_HEADER_MISMATCH',
        400,
        -32020,
      );
    }
    const read = modernRequest('resources/read', { uri: 'file:///a.txt' });
    expectRefusal(
      () => verifyVersionHeaders(exchange(read, modernHeaders('resources/read', 'file:///b.txt'))),
      'ERR_TRANSPORT_HEADER_MISMATCH',
      400,
      -32020,
    );
    // The header mirrors `uri` for resources/read, not a `name` the body may also carry.
    const both = modernRequest('resources/read', { uri: 'file:///a.txt', name: 'alias' });
    expectRefusal(
      () => verifyVersionHeaders(exchange(both, modernHeaders('resources/read', 'alias'))),
      'ERR_TRANSPORT_HEADER_MISMATCH',
      400,
      -32020,
    );
  });

  it('[transport:header-mismatch-400] a Base64 sentinel Mcp-Name matching a non-ASCII name passes', () => {
    for (const name of ['wetter_für_münchen', '天気', ' padded ', '=?base64?literal?=']) {
      const ex = exchange(modernRequest('tools/call', { name }), modernHeaders('tools/call', name));
      expect(() => verifyVersionHeaders(ex)).not.toThrow();
      expect(ex.era).toBe('modern');
    }
    // The sentinel of a different name is still a mismatch.
    const ex = exchange(modernRequest('tools/call', { name: 'wetter_für_münchen' }), {
      ...modernHeaders('tools/call'),
      'mcp-name': encodeHeaderValue('wetter_fur_munchen'),
    });
    expectRefusal(() => verifyVersionHeaders(ex), 'ERR_TRANSPORT_HEADER_MISMATCH', 400, -32020);
  });

  it('[transport:header-mismatch-400] an Mcp-Name with characters a header cannot hold, or a broken sentinel', () => {
    const name = 'wetter_für_münchen';
    for (const raw of [name, 'a\nb', '=?base64?***?=']) {
      const ex = exchange(modernRequest('tools/call', { name }), {
        ...modernHeaders('tools/call'),
        'mcp-name': raw,
      });
      expectRefusal(() => verifyVersionHeaders(ex), 'ERR_TRANSPORT_HEADER_MISMATCH', 400, -32020);
    }
  });

  it('[transport:header-mismatch-400] a non-string body name never matches', () => {
    const ex = exchange(modernRequest('tools/call', { name: 42 }), {
      ...modernHeaders('tools/call'),
      'mcp-name': '42',
    });
    expectRefusal(() => verifyVersionHeaders(ex), 'ERR_TRANSPORT_HEADER_MISMATCH', 400, -32020);
  });

  it('methods without a mirrored name need no Mcp-Name', () => {
    for (const m of ['tools/list', 'prompts/list', 'resources/list', 'server/discover']) {
      expect(() => verifyVersionHeaders(exchange(modernRequest(m), modernHeaders(m)))).not.toThrow();
    }
  });
});
