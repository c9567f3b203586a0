/**
 * How messages reach a client. Transports implement these; the routing layer writes to them and
 * never knows whether the client is on HTTP (JSON or SSE) or stdio.
 */
import type { WardenError } from './errors.js';
import type { JsonRpcId, JsonRpcMessage, JsonRpcResponse } from './jsonrpc.js';

/** The reply path of one client request (an HTTP POST, or a request line on stdio). */
export interface ClientChannel {
  /** Sends a message that belongs to the request before its final response (progress, server requests). */
  send(msg: JsonRpcMessage): void;
  /** Sends the final response and closes the reply path. */
  end(msg: JsonRpcResponse): void;
  /** Refuses the message at transport level (HTTP status from the error table) and closes the reply path. */
  reject(err: WardenError, id?: JsonRpcId | null): void;
  /** Acknowledges a notification or response (HTTP 202, nothing on stdio). */
  accept(): void;
  /** Tells the transport the session id an initialize created, before the reply is written. */
  announceSession(id: string): void;
  /** True until end() ran or the transport gave up on the reply path for good. */
  readonly open: boolean;
  /** Fires when the client went away before end() (HTTP disconnect). */
  onAbandon(cb: () => void): void;
}

/** Where a session's server→client messages that belong to no request go (the GET stream, stdout). */
export interface ClientSink {
  push(msg: JsonRpcMessage): void;
  /** Ends every stream of the session (session ended). */
  close(): void;
}
