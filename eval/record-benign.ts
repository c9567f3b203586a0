/**
 * Records the real definitions (tools, prompts, resource templates) of public MCP servers from npm,
 * the benign half of the definition-scanner eval. Not part of `npm run eval`; run it by hand after
 * installing the packages into a scratch prefix outside the repository:
 *
 *   npm install --prefix <PREFIX> @modelcontextprotocol/server-filesystem … (see SERVERS)
 *   node dist/eval/record-benign.js <PREFIX> [package…]
 *
 * Each server is started over stdio with dummy credentials (listing needs none of them) and its
 * lists are saved to `eval/data/benign-definitions/<package>.json` with the package name and version.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

/** One server to record: its npm package, the bin to run and the arguments / dummy environment. */
interface ServerSpec {
  readonly pkg: string;
  readonly bin: string;
  readonly args?: (scratch: string) => string[];
  readonly env?: Record<string, string>;
}

/** The servers recorded; dummy values only (the servers need real ones only when a tool is called). */
export const SERVERS: readonly ServerSpec[] = [
  { pkg: '@modelcontextprotocol/server-filesystem', bin: 'mcp-server-filesystem', args: (s) => [s] },
  { pkg: '@modelcontextprotocol/server-memory', bin: 'mcp-server-memory' },
  { pkg: '@modelcontextprotocol/server-everything', bin: 'mcp-server-everything', args: () => ['stdio'] },
  { pkg: '@modelcontextprotocol/server-sequential-thinking', bin: 'mcp-server-sequential-thinking' },
  {
    pkg: '@modelcontextprotocol/server-github',
    bin: 'mcp-server-github',
    env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'dummy' },
  },
  {
    pkg: '@modelcontextprotocol/server-gitlab',
    bin: 'mcp-server-gitlab',
    env: { GITLAB_PERSONAL_ACCESS_TOKEN: 'dummy' },
  },
  {
    pkg: '@modelcontextprotocol/server-postgres',
    bin: 'mcp-server-postgres',
    args: () => ['postgresql://127.0.0.1:1/none'],
  },
  {
    pkg: '@modelcontextprotocol/server-redis',
    bin: 'mcp-server-redis',
    args: () => ['redis://127.0.0.1:6379'],
  },
  {
    pkg: '@modelcontextprotocol/server-google-maps',
    bin: 'mcp-server-google-maps',
    env: { GOOGLE_MAPS_API_KEY: 'dummy' },
  },
  {
    pkg: '@modelcontextprotocol/server-brave-search',
    bin: 'mcp-server-brave-search',
    env: { BRAVE_API_KEY: 'dummy' },
  },
  {
    pkg: '@modelcontextprotocol/server-slack',
    bin: 'mcp-server-slack',
    env: { SLACK_BOT_TOKEN: 'dummy', SLACK_TEAM_ID: 'T0' },
  },
  {
    pkg: '@modelcontextprotocol/server-aws-kb-retrieval',
    bin: 'mcp-server-aws-kb-retrieval',
    env: { AWS_ACCESS_KEY_ID: 'dummy', AWS_SECRET_ACCESS_KEY: 'dummy', AWS_REGION: 'us-east-1' },
  },
  {
    pkg: '@modelcontextprotocol/server-everart',
    bin: 'mcp-server-everart',
    env: { EVERART_API_KEY: 'dummy' },
  },
  { pkg: '@modelcontextprotocol/server-puppeteer', bin: 'mcp-server-puppeteer' },
  { pkg: '@playwright/mcp', bin: 'playwright-mcp' },
  { pkg: '@upstash/context7-mcp', bin: 'context7-mcp' },
  { pkg: '@notionhq/notion-mcp-server', bin: 'notion-mcp-server', env: { NOTION_TOKEN: 'dummy' } },
  { pkg: 'firecrawl-mcp', bin: 'firecrawl-mcp', env: { FIRECRAWL_API_KEY: 'dummy' } },
  { pkg: 'tavily-mcp', bin: 'tavily-mcp', env: { TAVILY_API_KEY: 'dummy' } },
  { pkg: 'exa-mcp-server', bin: 'exa-mcp-server', env: { EXA_API_KEY: 'dummy' } },
  { pkg: 'mcp-server-kubernetes', bin: 'mcp-server-kubernetes' },
  { pkg: '@wonderwhy-er/desktop-commander', bin: 'desktop-commander' },
  { pkg: '@sentry/mcp-server', bin: 'sentry-mcp', env: { SENTRY_ACCESS_TOKEN: 'dummy' } },
  { pkg: '@circleci/mcp-server-circleci', bin: 'mcp-server-circleci', env: { CIRCLECI_TOKEN: 'dummy' } },
  { pkg: 'mongodb-mcp-server', bin: 'mongodb-mcp-server', env: { MDB_MCP_TELEMETRY: 'disabled' } },
  {
    pkg: 'figma-developer-mcp',
    bin: 'figma-developer-mcp',
    args: () => ['--stdio'],
    env: { FIGMA_API_KEY: 'dummy' },
  },
  { pkg: '@neondatabase/mcp-server-neon', bin: 'mcp-server-neon', args: () => ['start', 'dummy'] },
  { pkg: '@hubspot/mcp-server', bin: 'mcp-hubspot', env: { PRIVATE_APP_ACCESS_TOKEN: 'dummy' } },
  { pkg: 'mcp-server-code-runner', bin: 'mcp-server-code-runner' },
  { pkg: '@kimtaeyoon83/mcp-server-youtube-transcript', bin: 'mcp-server-youtube-transcript' },
  // Not recorded: @modelcontextprotocol/server-gdrive (exits at start without an OAuth credentials
  // file), @azure-devops/mcp (exits when it cannot sign in), @supabase/mcp-server-supabase and
  // @stripe/mcp (list only after a successful call to their APIs), @heroku/mcp-server,
  // @benborla29/mcp-server-mysql (exit without a reachable backend) and @apify/actors-mcp-server
  // (timed out loading its tool catalogue from the network).
];

const OUT = fileURLToPath(new URL('../../eval/data/benign-definitions/', import.meta.url));

/** Runs one server, lists everything it offers (following cursors) and writes the record. */
async function record(prefix: string, spec: ServerSpec, scratch: string): Promise<number> {
  const version = (
    JSON.parse(readFileSync(join(prefix, 'node_modules', spec.pkg, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const transport = new StdioClientTransport({
    command: join(prefix, 'node_modules', '.bin', spec.bin),
    args: spec.args?.(scratch) ?? [],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: scratch,
      MEMORY_FILE_PATH: join(scratch, 'memory.json'),
      ...spec.env,
    },
    cwd: scratch,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'warden-eval-recorder', version: '0.1.0' });
  const timer = setTimeout(() => void client.close(), 60_000);
  try {
    await client.connect(transport);
    const caps = client.getServerCapabilities() ?? {};
    const tools: unknown[] = [];
    const prompts: unknown[] = [];
    const resourceTemplates: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    if (caps.prompts !== undefined) {
      do {
        const page = await client.listPrompts(cursor === undefined ? {} : { cursor });
        prompts.push(...page.prompts);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
    if (caps.resources !== undefined) {
      try {
        do {
          const page = await client.listResourceTemplates(cursor === undefined ? {} : { cursor });
          resourceTemplates.push(...page.resourceTemplates);
          cursor = page.nextCursor;
        } while (cursor !== undefined);
      } catch {
        // Servers that offer resources without templates answer "method not found".
      }
    }
    const text = JSON.stringify({ package: spec.pkg, version, tools, prompts, resourceTemplates }, null, 1);
    // The recorded lists must not carry this machine's scratch paths.
    const safe = text.split(scratch).join('<root>');
    writeFileSync(join(OUT, `${spec.pkg.replace(/^@/, '').replace(/\//g, '__')}.json`), safe + '\n');
    return tools.length + prompts.length + resourceTemplates.length;
  } finally {
    clearTimeout(timer);
    await client.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [prefix, ...only] = argv;
  if (prefix === undefined) {
    process.stderr.write('usage: node dist/eval/record-benign.js PREFIX [package…]\n');
    return 2;
  }
  mkdirSync(OUT, { recursive: true });
  let failed = 0;
  for (const spec of SERVERS) {
    if (only.length > 0 && !only.includes(spec.pkg)) continue;
    const scratch = mkdtempSync(join(tmpdir(), 'warden-rec-'));
    try {
      const n = await record(resolve(prefix), spec, scratch);
      process.stdout.write(`${spec.pkg}: ${n} definitions\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`${spec.pkg}: FAILED ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
