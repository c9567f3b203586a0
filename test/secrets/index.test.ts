/**
 * Resolving a config's secret references at start-up: every known field is found, env and file
 * references resolve once into a read-only table, failures name references and never values, and
 * the compiled config hands the table to the stdio child environment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/config/compile.js';
import { isSecretRef } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import type { ConfigInput, StdioServerConfig } from '../../src/config/schema.js';
import { WardenError } from '../../src/core/errors.js';
import { childEnv } from '../../src/route/upstreams.js';
import { loadSecrets, localSecrets, secretRefPaths, secretRefsOf } from '../../src/secrets/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-secrets-'));
const VALUE = 'Zx9-distinctive-secret-value-Qw2';

function thrown(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    return err as WardenError;
  }
  throw new Error('expected a throw');
}

const FULL: ConfigInput = {
  listen: { tls: { cert: 'file:/etc/warden/cert.pem', key: 'keyvault:tls-key' } },
  auth: {
    mode: 'introspection',
    issuer: 'https://as.example.com',
    introspection: { clientId: 'warden', clientSecret: 'env:INTROSPECTION_SECRET' },
  },
  secrets: {
    encryptionKey: 'env:STORAGE_KEY',
    keyVault: {
      url: 'https://myvault.vault.azure.net',
      credential: { type: 'client_credentials', tenantId: 't', clientId: 'c', clientSecret: 'env:KV_SECRET' },
    },
  },
  servers: {
    local: {
      command: 'node',
      env: {
        TOKEN: 'env:GITHUB_TOKEN',
        PLAIN: 'not a reference',
        DB: 'keyvault:db/0123abcd',
        DUP: 'env:GITHUB_TOKEN',
      },
    },
    api: { url: 'https://api.example.com/mcp', auth: { type: 'static', value: 'file:/run/secrets/api' } },
    oauth: {
      url: 'https://oauth.example.com/mcp',
      auth: {
        type: 'client_credentials',
        tokenEndpoint: 'https://as.example.com/token',
        clientId: 'w',
        clientSecret: 'keyvault:oauth',
      },
    },
    exch: {
      url: 'https://exch.example.com/mcp',
      auth: {
        type: 'token_exchange',
        tokenEndpoint: 'https://as.example.com/token',
        clientId: 'w',
        clientSecret: 'env:EXCH',
      },
    },
    open: { url: 'https://open.example.com/mcp' },
  },
};

describe('secretRefsOf', () => {
  it('finds every secret field and stdio env reference, each once, and skips literals', () => {
    const config = configSchema.parse(FULL);
    expect(secretRefPaths(config)).toEqual([
      { path: 'listen.tls.cert', ref: 'file:/etc/warden/cert.pem' },
      { path: 'listen.tls.key', ref: 'keyvault:tls-key' },
      { path: 'auth.introspection.clientSecret', ref: 'env:INTROSPECTION_SECRET' },
      { path: 'secrets.encryptionKey', ref: 'env:STORAGE_KEY' },
      { path: 'secrets.keyVault.credential.clientSecret', ref: 'env:KV_SECRET' },
      { path: 'servers.local.env.TOKEN', ref: 'env:GITHUB_TOKEN' },
      { path: 'servers.local.env.DB', ref: 'keyvault:db/0123abcd' },
      { path: 'servers.local.env.DUP', ref: 'env:GITHUB_TOKEN' },
      { path: 'servers.api.auth.value', ref: 'file:/run/secrets/api' },
      { path: 'servers.oauth.auth.clientSecret', ref: 'keyvault:oauth' },
      { path: 'servers.exch.auth.clientSecret', ref: 'env:EXCH' },
    ]);
    expect(secretRefsOf(config)).toEqual([
      'file:/etc/warden/cert.pem',
      'keyvault:tls-key',
      'env:INTROSPECTION_SECRET',
      'env:STORAGE_KEY',
      'env:KV_SECRET',
      'env:GITHUB_TOKEN',
      'keyvault:db/0123abcd',
      'file:/run/secrets/api',
      'keyvault:oauth',
      'env:EXCH',
    ]);
  });

  it('finds nothing in a config without references', () => {
    expect(
      secretRefsOf(configSchema.parse({ servers: { s: { command: 'node', env: { A: 'b' } } } })),
    ).toEqual([]);
  });

  it('recognises keyvault references in stdio env values', () => {
    expect(isSecretRef('keyvault:my-secret')).toBe(true);
    expect(isSecretRef('keyvault:my-secret/0123abcdef')).toBe(true);
    expect(isSecretRef('keyvault:')).toBe(false);
    expect(isSecretRef('keyvault:bad_name')).toBe(false);
    expect(isSecretRef('keyvault:name/not-hex-')).toBe(false);
  });
});

describe('loadSecrets (env and file)', () => {
  const file = path.join(dir, 'api-token');
  writeFileSync(file, `${VALUE}-file\n`);
  const config = configSchema.parse({
    servers: {
      s: { command: 'node', env: { A: 'env:WARDEN_A', B: `file:${file}`, C: 'literal' } },
      api: { url: 'https://api.example.com/mcp', auth: { type: 'static', value: 'env:WARDEN_API' } },
    },
  } satisfies ConfigInput);

  it('resolves every reference once into a table', async () => {
    const env = { WARDEN_A: `${VALUE}-a`, WARDEN_API: `${VALUE}-api` };
    const secrets = await loadSecrets(config, { env });
    expect(secrets.get('env:WARDEN_A')).toBe(`${VALUE}-a`);
    expect(secrets.get(`file:${file}`)).toBe(`${VALUE}-file`);
    expect(secrets.get('env:WARDEN_API')).toBe(`${VALUE}-api`);
    // Resolved at start-up: a later change of the environment is not seen.
    env.WARDEN_A = 'changed';
    expect(secrets.get('env:WARDEN_A')).toBe(`${VALUE}-a`);
    expect(secrets.has('env:OTHER')).toBe(false);
    const e = thrown(() => secrets.get('env:OTHER'));
    expect(e.code).toBe('ERR_SECRET_UNRESOLVED');
    expect(e.message).toBe('secret env:OTHER was not loaded at start-up');
  });

  it('[audit:no-secrets] refuses start-up naming each unresolved reference and no value', async () => {
    const err = await loadSecrets(
      configSchema.parse({
        servers: {
          s: {
            command: 'node',
            env: { A: 'env:WARDEN_A', B: `file:${path.join(dir, 'absent')}`, C: 'env:WARDEN_C' },
          },
        },
      }),
      { env: { WARDEN_C: VALUE } },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WardenError);
    const e = err as WardenError;
    expect(e.code).toBe('ERR_SECRET_UNRESOLVED');
    expect(e.message).toBe(
      `2 secret references cannot be resolved: secret env:WARDEN_A is not set; secret file:${path.join(dir, 'absent')} cannot be read`,
    );
    expect(JSON.stringify({ m: e.message, d: e.data })).not.toContain(VALUE);
  });
});

describe('localSecrets and the compiled config', () => {
  it('resolves env and file references on demand, and refuses keyvault ones', () => {
    const s = localSecrets({ X: VALUE });
    expect(s.get('env:X')).toBe(VALUE);
    expect(s.has('env:X')).toBe(true);
    expect(s.has('env:Y')).toBe(false);
    expect(s.has('keyvault:x')).toBe(false);
    expect(thrown(() => s.get('keyvault:x')).message).toBe('secret keyvault:x was not loaded at start-up');
  });

  it('compile keeps the loaded table, and defaults to on-demand env/file resolution', async () => {
    const config = configSchema.parse({
      servers: {
        s: { command: 'node', env: { TOKEN: 'env:WARDEN_CHILD_TOKEN', MODE: 'plain' }, inheritEnv: [] },
      },
    });
    const secrets = await loadSecrets(config, { env: { WARDEN_CHILD_TOKEN: VALUE } });
    const compiled = compile(config, { secrets });
    expect(compiled.secrets).toBe(secrets);
    const server = config.servers.s as StdioServerConfig;
    expect(childEnv(server, compiled.secrets, {})).toEqual({ TOKEN: VALUE, MODE: 'plain' });
    expect(compile(config).secrets.has('env:SURELY_UNSET_WARDEN_VAR')).toBe(false);
  });

  it('a stdio env keyvault reference is taken from the loaded table', () => {
    const config = configSchema.parse({
      servers: { s: { command: 'node', env: { TOKEN: 'keyvault:gh-token' }, inheritEnv: ['HOME'] } },
    });
    const server = config.servers.s as StdioServerConfig;
    const table = { get: (ref: string) => (ref === 'keyvault:gh-token' ? VALUE : ''), has: () => true };
    expect(childEnv(server, table, { HOME: '/home/w', OTHER: 'x' })).toEqual({
      HOME: '/home/w',
      TOKEN: VALUE,
    });
    // Without a loaded table it is refused rather than passed on as a literal.
    const e = thrown(() => childEnv(server, localSecrets({}), {}));
    expect(e.code).toBe('ERR_SECRET_UNRESOLVED');
  });
});
