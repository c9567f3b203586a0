/**
 * `warden check-config --resolve-secrets` as a child process of the built CLI: env, file and Key
 * Vault references (the vault is the local HTTPS Key Vault DOUBLE, trusted through
 * NODE_EXTRA_CA_CERTS) are resolved and checked, and no secret value ever reaches stdout or
 * stderr, whether the check passes or fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyVaultDouble } from '../../test/fixtures/azure/keyvault-double.js';
import type { KeyVaultDouble } from '../../test/fixtures/azure/keyvault-double.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'warden-check-secrets-'));

const ENV_VALUE = 'Env-Value-7Hq2-DISTINCT';
const FILE_VALUE = 'File-Value-9Kp4-DISTINCT';
const KV_VALUE = 'Vault-Value-3Mz8-DISTINCT';
const CLIENT_SECRET = 'Client-Secret-5Rt6-DISTINCT';
const VALUES = [ENV_VALUE, FILE_VALUE, KV_VALUE, CLIENT_SECRET];

const tokenFile = path.join(dir, 'token');
writeFileSync(tokenFile, `${FILE_VALUE}\n`);

let kv: KeyVaultDouble;

beforeAll(async () => {
  kv = await startKeyVaultDouble({
    secrets: { 'gh-token': [{ version: '0123456789abcdef0123456789abcdef', value: KV_VALUE }] },
    tenantId: 'tenant-1',
    clientId: 'warden-app',
    clientSecret: CLIENT_SECRET,
    identityHeader: 'unused',
  });
});

afterAll(async () => {
  await kv.close();
});

function write(text: string): string {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** Runs the CLI to completion without blocking the event loop (the double answers in this process). */
function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...extra };
  return env;
}

const localConfig = (envName: string, file: string): string => `servers:
  gh:
    command: node
    env:
      GITHUB_TOKEN: env:${envName}
      API_KEY: file:${file}
  api:
    url: https://api.example.com/mcp
    auth:
      type: static
      value: env:${envName}
`;

const vaultConfig = (name: string): string => `secrets:
  keyVault:
    url: ${kv.url}
    credential:
      type: client_credentials
      tenantId: tenant-1
      clientId: warden-app
      clientSecret: env:KV_CLIENT_SECRET
      authorityHost: ${kv.url}
servers:
  gh:
    command: node
    env:
      GITHUB_TOKEN: keyvault:${name}
      LOCAL: env:WARDEN_CHECK_ENV
`;

function expectNoValues(r: { out: string; err: string }): void {
  for (const v of VALUES) {
    expect(r.out).not.toContain(v);
    expect(r.err).not.toContain(v);
  }
}

describe('warden check-config --resolve-secrets (built CLI)', () => {
  it(
    '[audit:no-secrets] env and file references resolve and no value is printed',
    { timeout: 30_000 },
    async () => {
      const r = await run(
        ['check-config', '--resolve-secrets', write(localConfig('WARDEN_CHECK_ENV', tokenFile))],
        baseEnv({ WARDEN_CHECK_ENV: ENV_VALUE }),
      );
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^ok: /);
      expect(r.out).toContain('GITHUB_TOKEN=env:WARDEN_CHECK_ENV');
      expectNoValues(r);
    },
  );

  it(
    '[audit:no-secrets] unresolvable env and file references are listed by path, without any value',
    { timeout: 30_000 },
    async () => {
      const missing = path.join(dir, 'no-such-file');
      const r = await run(
        ['check-config', '--resolve-secrets', write(localConfig('WARDEN_CHECK_UNSET', missing))],
        baseEnv({ OTHER: ENV_VALUE }),
      );
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toContain('servers.gh.env.GITHUB_TOKEN: secret env:WARDEN_CHECK_UNSET is not set\n');
      expect(r.err).toContain('servers.api.auth.value: secret env:WARDEN_CHECK_UNSET is not set\n');
      expect(r.err).toContain(`servers.gh.env.API_KEY: secret file:${missing} cannot be read\n`);
      expectNoValues(r);
    },
  );

  it(
    '[audit:no-secrets] Key Vault references resolve through the vault and no value or client secret is printed',
    { timeout: 30_000 },
    async () => {
      const before = kv.tokenRequests();
      const r = await run(
        ['check-config', '--resolve-secrets', write(vaultConfig('gh-token'))],
        baseEnv({
          KV_CLIENT_SECRET: CLIENT_SECRET,
          WARDEN_CHECK_ENV: ENV_VALUE,
          NODE_EXTRA_CA_CERTS: kv.caPath,
        }),
      );
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('GITHUB_TOKEN=keyvault:gh-token');
      // The vault was really asked.
      expect(kv.tokenRequests() - before).toBe(1);
      expectNoValues(r);
    },
  );

  it(
    '[audit:no-secrets] an unknown Key Vault secret and a refused client secret are reported without values',
    { timeout: 30_000 },
    async () => {
      const unknown = await run(
        ['check-config', '--resolve-secrets', write(vaultConfig('no-such-secret'))],
        baseEnv({
          KV_CLIENT_SECRET: CLIENT_SECRET,
          WARDEN_CHECK_ENV: ENV_VALUE,
          NODE_EXTRA_CA_CERTS: kv.caPath,
        }),
      );
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain(
        'servers.gh.env.GITHUB_TOKEN: secret keyvault:no-such-secret cannot be fetched: the vault answered HTTP 404\n',
      );
      expectNoValues(unknown);

      const refused = await run(
        ['check-config', '--resolve-secrets', write(vaultConfig('gh-token'))],
        baseEnv({
          KV_CLIENT_SECRET: `${CLIENT_SECRET}-wrong`,
          WARDEN_CHECK_ENV: ENV_VALUE,
          NODE_EXTRA_CA_CERTS: kv.caPath,
        }),
      );
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(
        'servers.gh.env.GITHUB_TOKEN: secret keyvault:gh-token cannot be fetched: the token endpoint refused (HTTP 401, invalid_client)\n',
      );
      expectNoValues(refused);
      expect(refused.err).not.toContain(`${CLIENT_SECRET}-wrong`);
    },
  );
});
