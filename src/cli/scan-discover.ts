/**
 * `warden scan`: finding and reading the MCP client configurations of Claude Desktop, Claude Code,
 * VS Code, Cursor and Windsurf (user files under the home directory, project files under the
 * working directory), or files given by path. Every format is reduced to one list of servers.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../core/errors.js';

/** One configured MCP server, as a client would launch or contact it. */
export interface ConfiguredServer {
  readonly name: string;
  /** Which client's file it came from (`claude-desktop`, `vscode`, … or `file`). */
  readonly client: string;
  /** The configuration file (absolute). */
  readonly file: string;
  /** 1-based line of the server's entry in the file. */
  readonly line: number;
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly url?: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A configuration file that was read. */
export interface ScannedConfig {
  readonly client: string;
  readonly file: string;
  readonly text: string;
  readonly servers: readonly ConfiguredServer[];
}

/** The known per-user and per-project locations, relative to the home or project directory. */
export const LOCATIONS: readonly { client: string; base: 'home' | 'project'; rel: string }[] = [
  { client: 'claude-desktop', base: 'home', rel: '.config/Claude/claude_desktop_config.json' },
  {
    client: 'claude-desktop',
    base: 'home',
    rel: 'Library/Application Support/Claude/claude_desktop_config.json',
  },
  { client: 'claude-desktop', base: 'home', rel: 'AppData/Roaming/Claude/claude_desktop_config.json' },
  { client: 'claude-code', base: 'home', rel: '.claude.json' },
  { client: 'claude-code', base: 'project', rel: '.mcp.json' },
  { client: 'vscode', base: 'project', rel: '.vscode/mcp.json' },
  { client: 'vscode', base: 'home', rel: '.config/Code/User/settings.json' },
  { client: 'vscode', base: 'home', rel: '.config/Code/User/mcp.json' },
  { client: 'vscode', base: 'home', rel: 'Library/Application Support/Code/User/settings.json' },
  { client: 'vscode', base: 'home', rel: 'Library/Application Support/Code/User/mcp.json' },
  { client: 'vscode', base: 'home', rel: 'AppData/Roaming/Code/User/settings.json' },
  { client: 'vscode', base: 'home', rel: 'AppData/Roaming/Code/User/mcp.json' },
  { client: 'cursor', base: 'home', rel: '.cursor/mcp.json' },
  { client: 'cursor', base: 'project', rel: '.cursor/mcp.json' },
  { client: 'windsurf', base: 'home', rel: '.codeium/windsurf/mcp_config.json' },
];

/**
 * Parses JSON with comments and trailing commas (VS Code's settings.json and mcp.json are JSONC):
 * comments and trailing commas outside strings are removed, then JSON.parse.
 */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const block = text.slice(i, end < 0 ? text.length : end + 2);
      out += block.replace(/[^\n]/g, ' ');
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1')) as unknown;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(record(v) ?? {})) if (typeof x === 'string') out[k] = x;
  return out;
}

/** 1-based line of the first `"name":` in the text (1 when not found). */
function lineOf(text: string, name: string): number {
  const i = text.indexOf(`${JSON.stringify(name)}`);
  if (i < 0) return 1;
  let line = 1;
  for (let k = 0; k < i; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** The server maps a file holds, in any of the clients' shapes. */
function serverMaps(doc: Record<string, unknown>): Record<string, unknown>[] {
  const maps: Record<string, unknown>[] = [];
  for (const key of ['mcpServers', 'servers', 'mcp.servers', 'context_servers']) {
    const m = record(doc[key]);
    if (m !== undefined) maps.push(m);
  }
  const mcp = record(doc.mcp);
  const nested = record(mcp?.servers);
  if (nested !== undefined) maps.push(nested);
  // Claude Code keeps per-project servers in ~/.claude.json under projects.<path>.mcpServers.
  for (const p of Object.values(record(doc.projects) ?? {})) {
    const m = record(record(p)?.mcpServers);
    if (m !== undefined) maps.push(m);
  }
  return maps;
}

/** Reads one configuration file; a file that is not JSON is a usage error (exit 2). */
export function readConfig(file: string, client: string): ScannedConfig {
  let text: string;
  let doc: Record<string, unknown> | undefined;
  try {
    text = readFileSync(file, 'utf8');
    doc = record(parseJsonc(text));
  } catch (err) {
    throw new WardenError('ERR_CONFIG_INVALID', `${file}: cannot be read as JSON`, { cause: err });
  }
  const servers: ConfiguredServer[] = [];
  for (const map of doc === undefined ? [] : serverMaps(doc)) {
    for (const [name, raw] of Object.entries(map)) {
      const e = record(raw);
      if (e === undefined) continue;
      const url = [e.url, e.serverUrl, e.httpUrl].find((u): u is string => typeof u === 'string');
      servers.push({
        name,
        client,
        file,
        line: lineOf(text, name),
        ...(typeof e.command === 'string' ? { command: e.command } : {}),
        args: Array.isArray(e.args) ? e.args.filter((a): a is string => typeof a === 'string') : [],
        env: strings(e.env),
        ...(url !== undefined ? { url } : {}),
        headers: strings(e.headers),
      });
    }
  }
  return { client, file, text, servers };
}

/** The configuration files found under `home` and `project`, in LOCATIONS order. */
export function discover(home: string, project: string): ScannedConfig[] {
  const seen = new Set<string>();
  const out: ScannedConfig[] = [];
  for (const l of LOCATIONS) {
    const file = path.resolve(l.base === 'home' ? home : project, l.rel);
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    out.push(readConfig(file, l.client));
  }
  return out;
}
