/**
 * Compiling: a validated Config becomes the runtime form Warden uses (absolute paths, resolved
 * public URL, host allowlist as a set). Bad combinations are refused here, at start-up.
 */
import { isIPv4 } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { WardenError } from '../core/errors.js';
import { localSecrets } from '../secrets/index.js';
import type { SecretValues } from '../secrets/index.js';
import { configSchema } from './schema.js';
import type { Config } from './schema.js';

/** The runtime form of the configuration. */
export interface Compiled {
  readonly config: Config;
  /** Public base URL without a trailing slash. */
  readonly publicUrl: string;
  readonly dataDir: string;
  /** Lower-cased Host header values accepted. */
  readonly allowedHosts: ReadonlySet<string>;
  readonly allowedOrigins: ReadonlySet<string>;
  /** True when the listener is bound to a loopback address. */
  readonly loopbackOnly: boolean;
  /** True when this is the embedded default (no config file). */
  readonly embedded: boolean;
  /** Resolved secret references (`loadSecrets` at start-up; env:/file: on demand when not given). */
  readonly secrets: SecretValues;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** True for a loopback bind address. */
export function isLoopback(host: string): boolean {
  // 127.0.0.0/8 as a literal address only: a name such as `127.example.com` resolves anywhere.
  return LOOPBACK_HOSTS.has(host) || (isIPv4(host) && host.startsWith('127.'));
}

/** The bundled demo server's entry point (compiled JavaScript). */
export function demoServerPath(): string {
  return fileURLToPath(new URL('../../examples/servers/notes/server.js', import.meta.url));
}

/** The embedded default: loopback, port 8787, the bundled demo server, data under .warden/. */
export function embeddedDefault(): Config {
  return configSchema.parse({
    servers: {
      notes: {
        command: process.execPath,
        args: [demoServerPath()],
        env: { NOTES_DIR: '.warden/notes' },
        inheritEnv: [],
      },
    },
    // Only tokens of the local issuer are accepted here, so every principal may use the demo server.
    policy: { rules: [{ id: 'demo-notes', effect: 'allow', servers: ['notes'] }] },
    // Content inspection with its defaults (docs/inspection.md): what flows back to the model is
    // checked from the first start.
    inspection: {},
  });
}

/** Compiles a validated config; `port` is the actual bound port when known (for port 0). */
export function compile(
  config: Config,
  opts: { embedded?: boolean; cwd?: string; boundPort?: number; secrets?: SecretValues } = {},
): Compiled {
  const cwd = opts.cwd ?? process.cwd();
  const loopbackOnly = isLoopback(config.listen.host);
  if (config.auth.mode === 'none' && !loopbackOnly) {
    throw new WardenError('ERR_CONFIG_INVALID', 'auth.mode "none" is allowed only on a loopback listener', {
      data: {
        problems: [{ path: 'auth.mode', message: 'unauthenticated mode requires listen.host on loopback' }],
      },
    });
  }
  const auth = config.auth;
  const authProblems: { path: string; message: string }[] = [];
  if ((auth.mode === 'jwt' || auth.mode === 'introspection') && auth.issuer === undefined)
    authProblems.push({ path: 'auth.issuer', message: `required for mode ${auth.mode}` });
  if (auth.mode === 'introspection' && auth.introspection === undefined)
    authProblems.push({ path: 'auth.introspection', message: 'required for mode introspection' });
  if (auth.mode !== 'none' && auth.profile === 'entra' && auth.tenants.length === 0)
    authProblems.push({ path: 'auth.tenants', message: 'the entra profile needs the allowed tenant ids' });
  // The admin API decides who may release held calls and grant roles: it never runs unauthenticated,
  // and without TLS of its own it stays on loopback (reach it remotely through a tunnel).
  if (config.admin.enabled && auth.mode === 'none')
    authProblems.push({ path: 'admin.enabled', message: 'the admin API needs auth.mode other than none' });
  if (config.admin.enabled && !isLoopback(config.admin.host))
    authProblems.push({ path: 'admin.host', message: 'the admin listener accepts only a loopback address' });
  // Shared limit counters need somewhere to live: refused at start-up, not on the first request.
  if (config.limits.store === 'redis' && config.redis === undefined)
    authProblems.push({ path: 'limits.store', message: 'the redis store needs the top-level redis block' });
  if (authProblems.length > 0)
    throw new WardenError('ERR_CONFIG_INVALID', `${authProblems.length} problem(s) in the configuration`, {
      data: { problems: authProblems },
    });
  const port = opts.boundPort ?? config.listen.port;
  const hostForUrl =
    config.listen.host.includes(':') && !config.listen.host.startsWith('[')
      ? `[${config.listen.host}]`
      : config.listen.host;
  const scheme = config.listen.tls === undefined ? 'http' : 'https';
  const publicUrl = (config.publicUrl ?? `${scheme}://${hostForUrl}:${port}`).replace(/\/+$/, '');
  const hosts = new Set<string>();
  for (const h of ['127.0.0.1', 'localhost', '[::1]']) {
    hosts.add(h);
    hosts.add(`${h}:${port}`);
  }
  const pub = new URL(publicUrl);
  hosts.add(pub.host.toLowerCase());
  hosts.add(pub.hostname.toLowerCase());
  for (const h of config.http.allowedHosts) hosts.add(h.toLowerCase());
  return {
    config,
    publicUrl,
    dataDir: path.resolve(cwd, config.dataDir),
    allowedHosts: hosts,
    allowedOrigins: new Set(config.http.allowedOrigins),
    loopbackOnly,
    embedded: opts.embedded ?? false,
    secrets: opts.secrets ?? localSecrets(),
  };
}
