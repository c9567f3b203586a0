/**
 * Warden's bundled demo MCP server: plain-text notes over stdio, with no dependencies beyond Node.
 * An MCP client launches it as a child process and speaks newline-delimited JSON-RPC on
 * stdin/stdout; diagnostics go to stderr only, because stdout carries nothing but protocol.
 *
 *   NOTES_DIR=/tmp/notes node dist/examples/servers/notes/server.js
 *
 * NOTES_DIR defaults to `.warden/notes` under the working directory and is created if missing.
 */
import { resolve } from 'node:path';
import { NotesServer } from './protocol.js';
import { CODE, LineSplitter, RpcError } from './rpc.js';
import { NoteStore } from './store.js';

/** Longest input line accepted, in bytes. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

function log(message: string): void {
  process.stderr.write(`[warden-demo-notes] ${message}\n`);
}

function send(line: string): void {
  process.stdout.write(line + '\n');
}

async function main(): Promise<void> {
  const dir = resolve(process.env.NOTES_DIR || '.warden/notes');
  const store = new NoteStore(dir);
  try {
    await store.init();
  } catch (err) {
    log(`cannot use notes directory ${dir}: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
    return;
  }
  log(`serving notes from ${dir}`);

  const server = new NotesServer(store, send, log);
  const splitter = new LineSplitter(
    MAX_LINE_BYTES,
    (line) => server.receive(line),
    () =>
      server.refuse(null, new RpcError(CODE.parseError, `Parse error: line exceeds ${MAX_LINE_BYTES} bytes`)),
  );

  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // The client closing its end of the pipe is a normal way for a session to finish.
    if (err.code !== 'EPIPE') log(`stdout error: ${err.message}`);
    process.exit(err.code === 'EPIPE' ? 0 : 1);
  });
  process.stdin.on('data', (chunk: Buffer) => splitter.push(chunk));
  process.stdin.on('end', () => {
    splitter.end();
    // Let queued requests finish and their answers flush; with nothing left to do Node exits with 0.
    void server.idle().then(() => log('stdin closed, exiting'));
  });
}

await main();
