/**
 * The contenders: what runs between the load client and the upstream MCP server, and how each is
 * started and stopped. Every start brings up a fresh upstream too, so no process outlives a round.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, processTree, startProc, stopProc } from './proc.js';
import type { Proc } from './proc.js';

/** Contender identifiers, in the default order. */
export type ContenderId = 'direct' | 'nginx' | 'thin-proxy' | 'mcp-proxy' | 'warden-http' | 'warden-stdio';

/** Every contender id, in the default order. */
export const CONTENDER_IDS: readonly ContenderId[] = [
  'direct',
  'nginx',
  'thin-proxy',
  'mcp-proxy',
  'warden-http',
  'warden-stdio',
];

/** Where things are and which tools exist; shared by all contenders of a run. */
export interface BenchEnv {
  /** Repository root (holds dist/). */
  readonly root: string;
  /** Scratch directory of this run (configs, logs, data dirs). */
  readonly tmpDir: string;
  /** The node binary running the benchmark; used for every Node.js process. */
  readonly node: string;
  readonly nginx?: string;
  /** The mcp-proxy CLI script (`dist/bin/mcp-proxy.mjs`). */
  readonly mcpProxyBin?: string;
}

/** A started contender: the endpoint to load and the processes behind it. */
export interface Running {
  readonly url: string;
  /** The process whose CPU and memory count as the proxy's (absent for `direct`). */
  readonly proxy?: Proc;
  /** Also count the proxy's descendants (nginx: master + worker). */
  readonly countTree: boolean;
  readonly upstream?: Proc;
  stop(): Promise<void>;
}

/** Static facts about a contender. */
export interface ContenderInfo {
  readonly id: ContenderId;
  readonly label: string;
  readonly upstream: 'http' | 'stdio';
}

/** Label and upstream kind of each contender. */
export const CONTENDERS: Readonly<Record<ContenderId, ContenderInfo>> = {
  direct: { id: 'direct', label: 'upstream direct (HTTP)', upstream: 'http' },
  nginx: { id: 'nginx', label: 'nginx reverse proxy', upstream: 'http' },
  'thin-proxy': { id: 'thin-proxy', label: 'thin Node proxy', upstream: 'http' },
  'mcp-proxy': { id: 'mcp-proxy', label: 'mcp-proxy 6.7.19 (stdio)', upstream: 'stdio' },
  'warden-http': { id: 'warden-http', label: 'Warden → HTTP', upstream: 'http' },
  'warden-stdio': { id: 'warden-stdio', label: 'Warden → stdio', upstream: 'stdio' },
};

let seq = 0;
function scratch(env: BenchEnv, name: string): string {
  const dir = join(env.tmpDir, `${name}-${++seq}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Path of the compiled upstream server script. */
export function upstreamScript(env: BenchEnv): string {
  return join(env.root, 'dist', 'bench', 'servers', 'upstream.js');
}

/** Path of the compiled SDK-free HTTP upstream (`BENCH_UPSTREAM=raw`). */
export function rawUpstreamScript(env: BenchEnv): string {
  return join(env.root, 'dist', 'bench', 'servers', 'raw-upstream.js');
}

/** Path of the minimal POSIX sh stdio server used by the churn step (not compiled: read from bench/). */
export function miniStdioScript(env: BenchEnv): string {
  return join(env.root, 'bench', 'servers', 'mini-stdio.sh');
}

/** Path of Warden's compiled CLI. */
export function wardenCli(env: BenchEnv): string {
  return join(env.root, 'dist', 'src', 'cli', 'main.js');
}

async function startHttpUpstream(env: BenchEnv, dir: string): Promise<Proc> {
  return startProc({
    name: 'upstream',
    command: env.node,
    // BENCH_UPSTREAM=raw: a node:http upstream with no SDK, so only the proxies' own cost is measured.
    args:
      process.env.BENCH_UPSTREAM === 'raw'
        ? [rawUpstreamScript(env), '--port', '0']
        : [upstreamScript(env), '--http', '--port', '0'],
    logFile: join(dir, 'upstream.log'),
    reportsPort: true,
  });
}

function upstreamUrl(up: Proc): string {
  return `http://127.0.0.1:${String(up.port)}/mcp`;
}

function nginxConfig(dir: string, port: number, upstreamPort: number): string {
  const t = (n: string): string => join(dir, n);
  return `worker_processes 1;
pid ${t('nginx.pid')};
error_log ${t('nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${t('client_body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  upstream mcp_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive 32;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mcp_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`;
}

/** A Warden configuration file fronting one server named `bench`; `auth` is the YAML of its `auth` block (default: none). */
export function wardenYaml(port: number, dataDir: string, server: string, auth = '{ mode: none }'): string {
  return `listen: { host: 127.0.0.1, port: ${port} }
dataDir: ${JSON.stringify(dataDir)}
log: { level: warn }
auth: ${auth}
servers:
  bench: ${server}
`;
}

/** Starts Warden with `yaml` and waits for its port. */
export async function startWarden(env: BenchEnv, dir: string, yaml: string, port: number): Promise<Proc> {
  const config = join(dir, 'warden.yaml');
  writeFileSync(config, yaml);
  return startProc({
    name: 'warden',
    command: env.node,
    args: [wardenCli(env), 'start', '--config', config],
    cwd: env.root,
    logFile: join(dir, 'warden.log'),
    waitPort: port,
  });
}

async function stopAll(procs: readonly (Proc | undefined)[]): Promise<void> {
  for (const p of procs) if (p !== undefined) await stopProc(p);
}

/** Starts `id` (and its own fresh upstream). */
export async function startContender(id: ContenderId, env: BenchEnv): Promise<Running> {
  const dir = scratch(env, id);
  switch (id) {
    case 'direct': {
      const up = await startHttpUpstream(env, dir);
      return { url: upstreamUrl(up), countTree: false, upstream: up, stop: () => stopAll([up]) };
    }
    case 'nginx': {
      if (env.nginx === undefined) throw new Error('nginx is not installed (apt-get install -y nginx)');
      const up = await startHttpUpstream(env, dir);
      const port = await freePort();
      const conf = join(dir, 'nginx.conf');
      writeFileSync(conf, nginxConfig(dir, port, up.port ?? 0));
      const nginx = await startProc({
        name: 'nginx',
        command: env.nginx,
        args: ['-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', conf, '-g', 'daemon off;'],
        logFile: join(dir, 'nginx.log'),
        waitPort: port,
      }).catch(async (err: unknown) => {
        await stopProc(up);
        throw err;
      });
      return {
        url: `http://127.0.0.1:${port}/mcp`,
        proxy: nginx,
        countTree: true,
        upstream: up,
        stop: () => stopAll([nginx, up]),
      };
    }
    case 'thin-proxy': {
      const up = await startHttpUpstream(env, dir);
      const thin = await startProc({
        name: 'thin-proxy',
        command: env.node,
        args: [
          join(env.root, 'dist', 'bench', 'thin-proxy.js'),
          '--upstream',
          `http://127.0.0.1:${String(up.port)}`,
          '--port',
          '0',
        ],
        logFile: join(dir, 'thin-proxy.log'),
        reportsPort: true,
      }).catch(async (err: unknown) => {
        await stopProc(up);
        throw err;
      });
      return {
        url: `http://127.0.0.1:${String(thin.port)}/mcp`,
        proxy: thin,
        countTree: false,
        upstream: up,
        stop: () => stopAll([thin, up]),
      };
    }
    case 'mcp-proxy': {
      if (env.mcpProxyBin === undefined) throw new Error('mcp-proxy is not installed');
      const port = await freePort();
      const proxy = await startProc({
        name: 'mcp-proxy',
        command: env.node,
        args: [
          env.mcpProxyBin,
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--server',
          'stream',
          '--stateless',
          '--',
          env.node,
          upstreamScript(env),
          '--stdio',
        ],
        logFile: join(dir, 'mcp-proxy.log'),
        waitPort: port,
      });
      return { url: `http://127.0.0.1:${port}/mcp`, proxy, countTree: false, stop: () => stopAll([proxy]) };
    }
    case 'warden-http': {
      const up = await startHttpUpstream(env, dir);
      const port = await freePort();
      const yaml = wardenYaml(port, join(dir, 'data'), `{ url: ${JSON.stringify(upstreamUrl(up))} }`);
      const warden = await startWarden(env, dir, yaml, port).catch(async (err: unknown) => {
        await stopProc(up);
        throw err;
      });
      return {
        url: `http://127.0.0.1:${port}/mcp/bench`,
        proxy: warden,
        countTree: false,
        upstream: up,
        stop: () => stopAll([warden, up]),
      };
    }
    case 'warden-stdio': {
      const port = await freePort();
      const server = `{ command: ${JSON.stringify(env.node)}, args: [${JSON.stringify(upstreamScript(env))}, "--stdio"], share: shared }`;
      const warden = await startWarden(env, dir, wardenYaml(port, join(dir, 'data'), server), port);
      return {
        url: `http://127.0.0.1:${port}/mcp/bench`,
        proxy: warden,
        countTree: false,
        stop: () => stopAll([warden]),
      };
    }
  }
}

/** The pids whose CPU and memory are charged to a running contender's proxy. */
export function measuredPids(r: Running): number[] {
  if (r.proxy === undefined) return [];
  return r.countTree ? processTree(r.proxy.pid) : [r.proxy.pid];
}

/** The nginx binary, if installed. */
export function findNginx(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'])
    if (existsSync(p)) return p;
  return undefined;
}

/** The mcp-proxy version the benchmark uses. */
export const MCP_PROXY_VERSION = '6.7.19';

/**
 * The mcp-proxy CLI script: the project's own copy if it has the right version, else a copy in
 * `cacheDir`, installed there with npm on first use (outside the repository, so the project's
 * node_modules and lockfile stay untouched).
 */
export function ensureMcpProxy(root: string, cacheDir: string, log: (msg: string) => void): string {
  const versionAt = (dir: string): string | undefined => {
    try {
      const pkg: unknown = JSON.parse(
        readFileSync(join(dir, 'node_modules', 'mcp-proxy', 'package.json'), 'utf8'),
      );
      return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
        ? pkg.version
        : undefined;
    } catch {
      return undefined;
    }
  };
  const bin = (dir: string): string => join(dir, 'node_modules', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs');
  if (versionAt(root) === MCP_PROXY_VERSION) return bin(root);
  if (versionAt(cacheDir) !== MCP_PROXY_VERSION) {
    mkdirSync(cacheDir, { recursive: true });
    log(`installing mcp-proxy@${MCP_PROXY_VERSION} into ${cacheDir} ...`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(
      npm,
      [
        'install',
        '--prefix',
        cacheDir,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        `mcp-proxy@${MCP_PROXY_VERSION}`,
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  }
  if (!existsSync(bin(cacheDir))) throw new Error(`mcp-proxy CLI not found at ${bin(cacheDir)}`);
  return bin(cacheDir);
}
