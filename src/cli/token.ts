/**
 * `warden token`: mints a short-lived, audience-bound access token from the local issuer
 * (`auth.mode: local`, the embedded default) and prints only the token, so it can be captured
 * with `$(warden token --sub me)`.
 */
import { parseArgs } from 'node:util';
import { WardenError } from '../core/errors.js';
import { compile } from '../config/compile.js';
import type { Config } from '../config/schema.js';
import { localIssuerOf } from '../identity.js';
import { loadSecrets } from '../secrets/index.js';
import { canonicalResource } from '../stages/authn/jwt.js';

/** Usage line of the command. */
export const TOKEN_USAGE =
  'warden token [--config FILE] --sub NAME [--roles a,b] [--scopes x,y] [--ttl 15m] [--endpoint /mcp/NAME]';

/** Parses a lifetime such as `900`, `90s`, `15m` or `1h` into seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d{1,7})([smh]?)$/.exec(text.trim());
  if (m === null)
    throw new WardenError('ERR_CONFIG_INVALID', `--ttl ${JSON.stringify(text)}: use 900, 90s, 15m or 1h`);
  const n = Number(m[1]);
  return m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : n;
}

/** Splits a comma list option (`a,b`), dropping empty items. */
export function list(v: string | undefined): string[] {
  return v === undefined
    ? []
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

/** Runs `warden token`; writes the token to `out` and resolves to the exit code. */
export async function runToken(
  argv: string[],
  configFrom: (file: string | undefined) => { config: Config; embedded: boolean },
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      sub: { type: 'string' },
      roles: { type: 'string' },
      scopes: { type: 'string' },
      ttl: { type: 'string', default: '15m' },
      endpoint: { type: 'string', default: '/mcp' },
    },
    strict: true,
  });
  const sub = values.sub?.trim() ?? '';
  if (sub === '' || sub.length > 256 || /[\x00-\x1f\x7f]/.test(sub))
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `--sub NAME is required (printable, at most 256 characters)\nusage: ${TOKEN_USAGE}`,
    );
  const { config, embedded } = configFrom(values.config);
  if (config.auth.mode !== 'local')
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `warden token mints tokens only for auth.mode local (this configuration uses ${config.auth.mode}); get tokens from your identity provider`,
    );
  const ttl = parseTtl(values.ttl);
  const max = config.auth.local.maxTtlSec;
  if (ttl < 1 || ttl > max)
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `--ttl must be between 1 s and auth.local.maxTtlSec (${max} s)`,
    );
  const endpoint = values.endpoint.replace(/\/+$/, '');
  const servers = Object.keys(config.servers);
  // `/admin` is the admin API's audience (docs/admin.md).
  if (endpoint !== '/mcp' && endpoint !== '/admin' && !servers.some((n) => endpoint === `/mcp/${n}`))
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `--endpoint ${JSON.stringify(endpoint)} is not served; use /mcp or one of ${servers.map((n) => `/mcp/${n}`).join(', ')}`,
    );
  const secrets = await loadSecrets(config);
  const compiled = compile(config, { embedded, secrets });
  const issuer = await localIssuerOf(compiled);
  const audience =
    canonicalResource(`${compiled.publicUrl}${endpoint}`) ?? `${compiled.publicUrl}${endpoint}`;
  const token = await issuer.mint({
    issuer: config.auth.issuer ?? compiled.publicUrl,
    audience,
    subject: sub,
    scopes: list(values.scopes),
    roles: list(values.roles),
    ttlSec: ttl,
  });
  out(`${token}\n`);
  return 0;
}
