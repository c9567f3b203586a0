/**
 * JSON-RPC 2.0 message types and the one parser every byte from a peer goes through. The parser
 * never throws anything but a coded WardenError, whatever the input.
 */
import { RPC, WardenError } from './errors.js';

/** A JSON-RPC id; MCP forbids null ids on requests. */
export type JsonRpcId = string | number;

/** Request parameters: MCP always uses an object when params are present. */
export type Params = Record<string, unknown>;

/** A JSON-RPC request. */
export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Params;
}

/** A JSON-RPC notification (no id). */
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
}

/** A successful JSON-RPC response. */
export interface JsonRpcResult {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: Record<string, unknown>;
}

/** The error member of an error response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A JSON-RPC error response; id is absent or null when the request id could not be read. */
export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id?: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

/** Either kind of response. */
export type JsonRpcResponse = JsonRpcResult | JsonRpcErrorResponse;

/** Any single JSON-RPC message. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** Message kinds, as told apart by the parser. */
export type MessageKind = 'request' | 'notification' | 'response';

/** The kind of a parsed message. */
export function kindOf(msg: JsonRpcMessage): MessageKind {
  if ('method' in msg) return 'id' in msg ? 'request' : 'notification';
  return 'response';
}

/** True for a request. */
export function isRequest(msg: JsonRpcMessage): msg is JsonRpcRequest {
  return 'method' in msg && 'id' in msg;
}

/** True for a notification. */
export function isNotification(msg: JsonRpcMessage): msg is JsonRpcNotification {
  return 'method' in msg && !('id' in msg);
}

/** True for a response (result or error). */
export function isResponse(msg: JsonRpcMessage): msg is JsonRpcResponse {
  return !('method' in msg);
}

/** Longest method name Warden accepts, in characters. */
const MAX_METHOD = 256;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(reason: string, id?: JsonRpcId): WardenError {
  return new WardenError('ERR_JSONRPC_INVALID', `Invalid JSON-RPC message: ${reason}`, {
    data: id === undefined ? { reason } : { reason, id },
  });
}

function validId(v: unknown): v is JsonRpcId {
  return (typeof v === 'string' && v.length <= 256) || (typeof v === 'number' && Number.isSafeInteger(v));
}

/**
 * Checks that a decoded JSON value is one JSON-RPC message and returns it typed. Arrays are
 * refused with ERR_TRANSPORT_BATCH (MCP ≥ 2025-06-18 sends one message per POST or line).
 */
export function toMessage(value: unknown): JsonRpcMessage {
  if (Array.isArray(value)) {
    throw new WardenError('ERR_TRANSPORT_BATCH');
  }
  if (!isPlainObject(value)) throw invalid('not an object');
  if (value.jsonrpc !== '2.0') throw invalid('jsonrpc must be "2.0"');
  const hasId = 'id' in value;
  const id = value.id;
  if ('method' in value) {
    const method = value.method;
    if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD) {
      throw invalid('method must be a non-empty string', validId(id) ? id : undefined);
    }
    if ('params' in value && value.params !== undefined && !isPlainObject(value.params)) {
      throw invalid('params must be an object', validId(id) ? id : undefined);
    }
    if (hasId && !validId(id)) throw invalid('id must be a string or a safe integer');
    if ('result' in value || 'error' in value) throw invalid('a request cannot carry result or error');
    return value as unknown as JsonRpcRequest | JsonRpcNotification;
  }
  if ('result' in value) {
    if (!validId(id)) throw invalid('a result needs a string or integer id');
    if ('error' in value) throw invalid('a response cannot carry both result and error');
    if (!isPlainObject(value.result)) throw invalid('result must be an object', id);
    return value as unknown as JsonRpcResult;
  }
  if ('error' in value) {
    if (hasId && id !== null && !validId(id)) throw invalid('bad id on error response');
    const e = value.error;
    if (
      !isPlainObject(e) ||
      typeof e.code !== 'number' ||
      !Number.isInteger(e.code) ||
      typeof e.message !== 'string'
    ) {
      throw invalid('error must have an integer code and a string message');
    }
    return value as unknown as JsonRpcErrorResponse;
  }
  throw invalid('neither a request, a notification nor a response');
}

/** Parses one JSON text into one JSON-RPC message; bad JSON is ERR_JSONRPC_PARSE. */
export function parseMessage(text: string): JsonRpcMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WardenError('ERR_JSONRPC_PARSE');
  }
  return toMessage(value);
}

/** Builds an error response. */
export function errorResponse(
  id: JsonRpcId | null | undefined,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcErrorResponse {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return id === undefined ? { jsonrpc: '2.0', error } : { jsonrpc: '2.0', id, error };
}

/** Builds a result response. */
export function resultResponse(id: JsonRpcId, result: Record<string, unknown>): JsonRpcResult {
  return { jsonrpc: '2.0', id, result };
}

/** The standard "method not found" error response. */
export function methodNotFound(id: JsonRpcId, method: string): JsonRpcErrorResponse {
  return errorResponse(id, RPC.methodNotFound, `Method not found: ${method}`);
}
