/**
 * The single error→response mapper: a WardenError becomes an HTTP status, headers and a JSON-RPC
 * error body (HTTP), or a JSON-RPC error response (stdio and inside SSE streams).
 */
import type { WardenError } from './errors.js';
import { errorResponse } from './jsonrpc.js';
import type { JsonRpcErrorResponse, JsonRpcId } from './jsonrpc.js';

/** The HTTP form of an error. */
export interface HttpErrorReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: JsonRpcErrorResponse;
}

/** The JSON-RPC error response for an error, carrying the code in `data.code`. */
export function toJsonRpcError(err: WardenError, id?: JsonRpcId | null): JsonRpcErrorResponse {
  return errorResponse(id ?? null, err.rpcCode, err.message, { ...err.data, code: err.code });
}

/** The HTTP reply for an error. */
export function toHttpError(err: WardenError, id?: JsonRpcId | null): HttpErrorReply {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...err.headers };
  return { status: err.status, headers, body: toJsonRpcError(err, id) };
}
