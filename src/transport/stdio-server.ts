/**
 * The downstream stdio front (`warden stdio -- <command>`): Warden speaks MCP on its own
 * stdin/stdout to a desktop client and runs every message through the same pipeline. Logs go to
 * stderr only; stdout carries nothing but JSON-RPC messages.
 */
import type { Readable, Writable } from 'node:stream';
import type { ClientChannel, ClientSink } from '../core/channel.js';
import { WardenError } from '../core/errors.js';
import type { SessionRef } from '../core/exchange.js';
import type { EndpointSpec, Handler } from '../core/handler.js';
import type { JsonRpcId, JsonRpcMessage, JsonRpcResponse } from '../core/jsonrpc.js';
import { parseMessage } from '../core/jsonrpc.js';
import { toJsonRpcError } from '../core/mapper.js';
import { LineSplitter } from './upstream-stdio.js';

/** Runs the stdio front until stdin ends; resolves after the session is closed. */
export function serveStdio(
  handler: Handler,
  endpoint: EndpointSpec,
  input: Readable,
  output: Writable,
  maxLineBytes: number,
): Promise<void> {
  let session: SessionRef | undefined;
  let initializing: Promise<unknown> | undefined;
  const write = (msg: JsonRpcMessage): void => {
    output.write(JSON.stringify(msg) + '\n');
  };
  const sink: ClientSink = { push: write, close: () => undefined };

  const channelFor = (isRequest: boolean): ClientChannel => {
    let done = false;
    return {
      get open() {
        return !done;
      },
      send: (m) => {
        if (!done) write(m);
      },
      end: (m: JsonRpcResponse) => {
        if (done) return;
        done = true;
        write(m);
      },
      reject: (err: WardenError, id?: JsonRpcId | null) => {
        if (done) return;
        done = true;
        // JSON-RPC: never answer a notification, even with an error.
        if (isRequest || id === undefined) {
          if (isRequest) write(toJsonRpcError(err, id ?? null));
        }
      },
      accept: () => {
        done = true;
      },
      announceSession: () => undefined,
      onAbandon: () => undefined,
    };
  };

  const onMessage = async (msg: JsonRpcMessage): Promise<void> => {
    const isReq = 'method' in msg && 'id' in msg;
    if (initializing !== undefined) await initializing;
    const run = handler.handle(
      { transport: 'stdio', endpoint, http: undefined, message: msg, session },
      channelFor(isReq),
      () => sink,
    );
    if (isReq && msg.method === 'initialize') initializing = run;
    const s = await run;
    if (s !== undefined && session === undefined) session = s;
  };

  return new Promise((resolve) => {
    const splitter = new LineSplitter(
      (line) => {
        if (line.trim() === '') return;
        let msg: JsonRpcMessage;
        try {
          msg = parseMessage(line);
        } catch (err) {
          const we = err instanceof WardenError ? err : new WardenError('ERR_JSONRPC_PARSE');
          write(toJsonRpcError(we, null));
          return;
        }
        void onMessage(msg);
      },
      () =>
        write(
          toJsonRpcError(
            new WardenError('ERR_TRANSPORT_BODY_TOO_LARGE', undefined, { data: { limit: maxLineBytes } }),
            null,
          ),
        ),
      maxLineBytes,
    );
    input.on('data', (c: Buffer) => splitter.push(c));
    input.once('end', () => {
      if (session !== undefined) handler.endSession(session);
      resolve();
    });
  });
}
