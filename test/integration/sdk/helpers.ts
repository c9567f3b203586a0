/**
 * Helpers for the SDK-client integration tests: real upstream processes (server-everything over
 * Streamable HTTP, the crash-test stdio server), a temp notes directory, a fetch that records
 * what the SDK clients put on the wire, and small waiting utilities.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { EVERYTHING_SERVER, freePort } from '../../helpers/warden.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A child process a test started, with its teardown. */
export interface Child {
  readonly child: ChildProcess;
  /** Sends SIGTERM (SIGKILL after 2 s) and resolves once the child exited. */
  stop(): Promise<void>;
}

/** Stops a child: SIGTERM, SIGKILL after `graceMs`, resolves on exit. */
export function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** True while a process with this pid exists. */
export { alive } from '../../helpers/warden.js';

/** server-everything in Streamable HTTP mode on a free loopback port; `url` is its MCP endpoint. */
export async function startEverythingHttp(): Promise<Child & { readonly url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_SERVER, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // It logs every request on stdout; keep the pipe drained.
  child.stdout.resume();
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${stderr}`)), 10_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
      if (stderr.includes('listening on port')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited with ${code}: ${stderr}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}/mcp`, stop: () => stopChild(child) };
}

/** A temp notes directory with two notes; `remove()` deletes it. */
export function notesDir(): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-sdk-notes-'));
  writeFileSync(path.join(dir, 'groceries.txt'), 'milk\neggs\nbread\n');
  writeFileSync(path.join(dir, 'ideas.txt'), 'a gateway for MCP\n');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let crashyScript: string | undefined;

/**
 * The crash-test stdio server (`crashy-server.ts`), transpiled once per test process to a runnable
 * .mjs in a temp dir (Node 20 cannot run TypeScript itself), removed when the process exits.
 * Returns the script path.
 */
export function crashyServerScript(): string {
  if (crashyScript !== undefined) return crashyScript;
  const source = readFileSync(path.join(HERE, 'crashy-server.ts'), 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-sdk-crashy-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  crashyScript = path.join(dir, 'crashy-server.mjs');
  writeFileSync(crashyScript, out.outputText);
  return crashyScript;
}

/** One HTTP request an SDK client sent, as seen by the recording fetch. */
export interface WireRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The parsed JSON body of a POST, else undefined. */
  readonly body: unknown;
  /** The response status and content type. */
  status?: number;
  contentType?: string;
  /** The parsed body of an application/json response. */
  response?: unknown;
}

/** A fetch for the SDK transports that records every request and its response status. */
export function recordingFetch(): { fetch: typeof fetch; wire: WireRequest[] } {
  const wire: WireRequest[] = [];
  const rec: typeof fetch = async (input, init) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    let body: unknown;
    if (typeof init?.body === 'string') {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = init.body;
      }
    }
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const entry: WireRequest = { method: init?.method ?? 'GET', url, headers, body };
    wire.push(entry);
    const res = await fetch(input, init);
    entry.status = res.status;
    entry.contentType = res.headers.get('content-type') ?? undefined;
    if (entry.contentType?.startsWith('application/json') === true) {
      entry.response = JSON.parse(await res.clone().text()) as unknown;
    }
    return res;
  };
  return { fetch: rec, wire };
}

/** Resolves once `pred` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The text of every text content block of a tool result, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: unknown }).content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((c): c is { type: 'text'; text: string } => (c as { type?: unknown }).type === 'text')
    .map((c) => c.text)
    .join('\n');
}
