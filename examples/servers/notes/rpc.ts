/**
 * JSON-RPC 2.0 plumbing for the demo notes server: message shapes, coded errors, and a byte-level
 * line splitter for the newline-delimited stdio framing.
 */

/** A JSON-RPC request id (MCP forbids null). */
export type RequestId = string | number;

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** JSON-RPC and MCP error codes this server emits. */
export const CODE = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  resourceNotFound: -32002,
  unsupportedProtocolVersion: -32022,
} as const;

/** An error that becomes a JSON-RPC error response. */
export class RpcError extends Error {
  /** Builds an error with its JSON-RPC code and optional data member. */
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** One classified inbound message. */
export type Inbound =
  | { kind: 'request'; id: RequestId; method: string; params: JsonObject }
  | { kind: 'notification'; method: string; params: JsonObject }
  | { kind: 'response' }
  | { kind: 'invalid'; id: RequestId | null; error: RpcError };

/** True for a non-null, non-array object. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is RequestId {
  return (typeof v === 'string' && v.length <= 256) || (typeof v === 'number' && Number.isSafeInteger(v));
}

/** Parses one line of input and tells requests, notifications and client responses apart. */
export function classify(line: string): Inbound {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'invalid', id: null, error: new RpcError(CODE.parseError, 'Parse error: invalid JSON') };
  }
  const bad = (id: RequestId | null, why: string): Inbound => ({
    kind: 'invalid',
    id,
    error: new RpcError(CODE.invalidRequest, `Invalid request: ${why}`),
  });
  // MCP dropped JSON-RPC batching in 2025-06-18, so an array is refused as a whole.
  if (Array.isArray(value)) return bad(null, 'batches are not supported');
  if (!isObject(value)) return bad(null, 'not a JSON object');
  const id = isId(value.id) ? value.id : null;
  if (value.jsonrpc !== '2.0') return bad(id, 'jsonrpc must be "2.0"');
  if (!('method' in value)) {
    return 'result' in value || 'error' in value ? { kind: 'response' } : bad(id, 'no method');
  }
  if (typeof value.method !== 'string' || value.method.length === 0)
    return bad(id, 'method must be a string');
  const params = value.params ?? {};
  if (!isObject(params)) {
    return { kind: 'invalid', id, error: new RpcError(CODE.invalidParams, 'params must be an object') };
  }
  if (!('id' in value)) return { kind: 'notification', method: value.method, params };
  if (id === null) return bad(null, 'id must be a string or an integer');
  return { kind: 'request', id, method: value.method, params };
}

/** Serialises a success response. */
export function resultMessage(id: RequestId, result: JsonObject): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

/** Serialises an error response. */
export function errorMessage(id: RequestId | null, error: RpcError): string {
  const body =
    error.data === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, data: error.data };
  return JSON.stringify({ jsonrpc: '2.0', id, error: body });
}

/** Serialises a notification. */
export function notificationMessage(method: string, params?: JsonObject): string {
  return JSON.stringify(
    params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params },
  );
}

/**
 * Splits a byte stream into newline-terminated lines. It works on bytes rather than strings so a
 * multi-byte character split across chunks survives, and it stops buffering once a line passes
 * `maxBytes` so a peer cannot grow memory without bound.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowing = false;

  /** Creates a splitter that hands each complete line to `onLine` and reports oversize lines to `onOverflow`. */
  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  /** Feeds a chunk of input. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      this.append(chunk.subarray(start, nl));
      this.flush();
      start = nl + 1;
    }
  }

  /** Flushes a final line that had no trailing newline. */
  end(): void {
    if (this.size > 0) this.flush();
  }

  private append(piece: Buffer): void {
    if (this.overflowing || piece.length === 0) return;
    if (this.size + piece.length > this.maxBytes) {
      this.overflowing = true;
      this.parts = [];
      this.size = 0;
      this.onOverflow();
      return;
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private flush(): void {
    if (this.overflowing) {
      this.overflowing = false;
      return;
    }
    const line = Buffer.concat(this.parts, this.size).toString('utf8').replace(/\r$/, '');
    this.parts = [];
    this.size = 0;
    if (line.trim() !== '') this.onLine(line);
  }
}
