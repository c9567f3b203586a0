/**
 * `warden scan --connect`: starts one configured stdio server (or contacts one remote server) with
 * Warden's own upstream connectors, lists its tools, prompts and resource templates (following
 * cursors) and closes it. Only called when the user passed --connect.
 */
import { LATEST_LEGACY } from '../core/protocol.js';
import { silentLogger } from '../core/log.js';
import type { Params } from '../core/jsonrpc.js';
import { HttpUpstream, closeHttpPools } from '../transport/upstream-http.js';
import { StdioUpstream } from '../transport/upstream-stdio.js';
import type { Upstream } from '../transport/upstream.js';
import { VERSION } from '../server.js';
import type { ServerDefinitions } from './scan-checks.js';
import type { ConfiguredServer } from './scan-discover.js';

const MAX_PAGES = 100;

async function list(
  up: Upstream,
  method: string,
  key: string,
  timeoutMs: number,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const params: Params | undefined = cursor === undefined ? undefined : { cursor };
    const res = await up.request(method, params, { timeoutMs });
    if ('error' in res) throw new Error(`${method}: ${res.error.message}`);
    const result = res.result ?? {};
    const items = result[key];
    if (Array.isArray(items))
      for (const i of items)
        if (i !== null && typeof i === 'object' && !Array.isArray(i)) out.push(i as Record<string, unknown>);
    cursor =
      typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
    if (cursor === undefined) break;
  }
  return out;
}

/** Connects to one configured server and returns what it lists; throws when it cannot. */
export async function listDefinitions(s: ConfiguredServer, timeoutMs: number): Promise<ServerDefinitions> {
  const events = { onMessage: (): void => undefined, onClose: (): void => undefined };
  let up: Upstream;
  if (s.url !== undefined) {
    up = new HttpUpstream(
      s.name,
      {
        url: new URL(s.url),
        connectTimeoutMs: timeoutMs,
        maxResponseBytes: 16 << 20,
        maxEventBytes: 16 << 20,
        credentials: () => s.headers,
      },
      events,
      silentLogger,
    );
  } else if (s.command !== undefined) {
    const env: Record<string, string> = {};
    for (const k of ['PATH', 'HOME', 'USERPROFILE', 'APPDATA', 'TMPDIR', 'TEMP', 'LANG', 'SYSTEMROOT'])
      if (process.env[k] !== undefined) env[k] = process.env[k];
    up = new StdioUpstream(
      s.name,
      { command: s.command, args: s.args, cwd: undefined, env: { ...env, ...s.env }, maxLineBytes: 16 << 20 },
      events,
      silentLogger,
    );
  } else {
    throw new Error('neither a command nor a url');
  }
  try {
    const info = await up.connect(
      {
        protocolVersion: LATEST_LEGACY ?? '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'warden-scan', version: VERSION },
      },
      timeoutMs,
    );
    const tools = await list(up, 'tools/list', 'tools', timeoutMs);
    const prompts =
      info.capabilities.prompts !== undefined ? await list(up, 'prompts/list', 'prompts', timeoutMs) : [];
    const resourceTemplates =
      info.capabilities.resources !== undefined
        ? await list(up, 'resources/templates/list', 'resourceTemplates', timeoutMs).catch(() => [])
        : [];
    return {
      server: s.name,
      file: s.file,
      line: s.line,
      client: s.client,
      tools,
      prompts,
      resourceTemplates,
    };
  } finally {
    await up.close();
    if (s.url !== undefined) await closeHttpPools();
  }
}
