/**
 * The Azure Key Vault provider against a local HTTPS Key Vault DOUBLE (test/fixtures/azure): both
 * credential types (client credentials through Entra ID v2, managed identity in its instance
 * metadata and App Service forms) fetch secrets by name and version, one Azure token serves
 * several reads until shortly before it expires, and every failure (401, 404, a refused client
 * secret, an unreachable vault) is ERR_SECRET_UNRESOLVED naming the reference and nothing secret.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { configSchema } from '../../src/config/schema.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { WardenError } from '../../src/core/errors.js';
import { createKeyVault } from '../../src/secrets/keyvault.js';
import type { KeyVaultConfig } from '../../src/secrets/keyvault.js';
import { loadSecrets } from '../../src/secrets/index.js';
import { VAULT_RESOURCE, startKeyVaultDouble } from '../../test/fixtures/azure/keyvault-double.js';
import type { KeyVaultDouble } from '../../test/fixtures/azure/keyvault-double.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = 'warden-app-0001';
const CLIENT_SECRET = 'Kv~client-secret-Zq81Xy';
const IDENTITY_HEADER = 'identity-header-4d1f';
const USER_ASSIGNED = 'user-assigned-7c2e';
const GH_OLD = 'ghp_old-value-11111111';
const GH_NEW = 'ghp_new-value-22222222';
const DB = 'db-password-33333333';
const API = 'api-key-44444444';
const ALL_SECRETS = [GH_OLD, GH_NEW, DB, API, CLIENT_SECRET];

let kv: KeyVaultDouble;

/** A loopback port nothing listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  kv = await startKeyVaultDouble({
    secrets: {
      'github-token': [
        { version: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', value: GH_OLD },
        { version: '0f9e8d7c6b5a49382716f5e4d3c2b1a0', value: GH_NEW },
      ],
      'db-password': [{ version: '11112222333344445555666677778888', value: DB }],
      'api-key': [{ version: '99990000aaaabbbbccccddddeeeeffff', value: API }],
    },
    tenantId: TENANT,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    identityHeader: IDENTITY_HEADER,
    userAssignedClientIds: [USER_ASSIGNED],
  });
});

afterAll(async () => {
  await kv.close();
});

function clientCredentials(secretRef = 'env:KV_CLIENT_SECRET'): KeyVaultConfig {
  return configSchema.parse({
    secrets: {
      keyVault: {
        url: kv.url,
        credential: {
          type: 'client_credentials',
          tenantId: TENANT,
          clientId: CLIENT_ID,
          clientSecret: secretRef,
          authorityHost: kv.url,
        },
      },
    },
  }).secrets.keyVault!;
}

function managedIdentity(extra: { clientId?: string; endpoint?: string } = {}): KeyVaultConfig {
  return configSchema.parse({
    secrets: { keyVault: { url: kv.url, credential: { type: 'managed_identity', ...extra } } },
  }).secrets.keyVault!;
}

const ENV = { KV_CLIENT_SECRET: CLIENT_SECRET };

/** Secret reads the vault double has received so far. */
function vaultReads(): number {
  return kv.requests.filter((r) => r.path.startsWith('/secrets/')).length;
}

/** The ERR_SECRET_UNRESOLVED a promise rejects with, checked to carry no secret anywhere. */
async function refusal(p: Promise<unknown>): Promise<WardenError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WardenError);
  const e = err as WardenError;
  expect(e.code).toBe('ERR_SECRET_UNRESOLVED');
  const shown = JSON.stringify({ message: e.message, data: e.data, stack: e.stack, cause: e.cause });
  for (const s of ALL_SECRETS) expect(shown).not.toContain(s);
  // No token and no response body either.
  expect(shown).not.toContain('double-token-');
  expect(shown).not.toContain('AADSTS');
  expect(shown).not.toContain('AKV10000');
  return e;
}

describe('Key Vault with client credentials (Entra ID v2)', () => {
  it('fetches the latest and a pinned version, with one token for several reads', async () => {
    const before = kv.tokenRequests();
    const vault = createKeyVault(clientCredentials(), { env: ENV, dispatcher: kv.dispatcher });
    expect(await vault.getSecret('keyvault:github-token')).toBe(GH_NEW);
    expect(await vault.getSecret('keyvault:github-token/a1b2c3d4e5f60718293a4b5c6d7e8f90')).toBe(GH_OLD);
    expect(await vault.getSecret('keyvault:db-password')).toBe(DB);
    expect(kv.tokenRequests() - before).toBe(1);

    const tokenReq = kv.requests.find((r) => r.path === `/${TENANT}/oauth2/v2.0/token`)!;
    expect(tokenReq.method).toBe('POST');
    const form = new URLSearchParams(tokenReq.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('https://vault.azure.net/.default');
    expect(form.get('client_id')).toBe(CLIENT_ID);
    const secretReq = kv.requests.find((r) => r.path === '/secrets/db-password')!;
    expect(secretReq.query.get('api-version')).toBe('7.4');
    expect(secretReq.headers.authorization).toMatch(/^Bearer double-token-/);
  });

  it('loadSecrets resolves keyvault, env and file references together with one token request', async () => {
    const before = kv.tokenRequests();
    const config = configSchema.parse({
      secrets: { keyVault: { ...clientCredentials() } },
      servers: {
        gh: {
          command: 'node',
          env: {
            GITHUB_TOKEN: 'keyvault:github-token',
            DB: 'keyvault:db-password',
            API: 'keyvault:api-key',
            OLD: 'keyvault:github-token/a1b2c3d4e5f60718293a4b5c6d7e8f90',
            LOCAL: 'env:LOCAL_VALUE',
          },
        },
      },
    } satisfies ConfigInput);
    const secrets = await loadSecrets(config, {
      env: { ...ENV, LOCAL_VALUE: 'local' },
      dispatcher: kv.dispatcher,
    });
    expect(secrets.get('keyvault:github-token')).toBe(GH_NEW);
    expect(secrets.get('keyvault:db-password')).toBe(DB);
    expect(secrets.get('keyvault:api-key')).toBe(API);
    expect(secrets.get('keyvault:github-token/a1b2c3d4e5f60718293a4b5c6d7e8f90')).toBe(GH_OLD);
    expect(secrets.get('env:LOCAL_VALUE')).toBe('local');
    // The four reads ran concurrently and still shared one token request.
    expect(kv.tokenRequests() - before).toBe(1);
  });

  it('renews the token shortly before it expires', async () => {
    let clock = Date.now();
    const before = kv.tokenRequests();
    const vault = createKeyVault(clientCredentials(), {
      env: ENV,
      dispatcher: kv.dispatcher,
      now: () => clock,
    });
    await vault.getSecret('keyvault:api-key');
    clock += 3000_000; // 50 min into a 60 min token: still used
    await vault.getSecret('keyvault:api-key');
    expect(kv.tokenRequests() - before).toBe(1);
    clock += 360_000; // 4 min before expiry: renewed
    await vault.getSecret('keyvault:api-key');
    expect(kv.tokenRequests() - before).toBe(2);
  });

  it('[audit:no-secrets] a refused client secret is ERR_SECRET_UNRESOLVED without the secret or the body', async () => {
    const readsBefore = vaultReads();
    const vault = createKeyVault(clientCredentials(), {
      env: { KV_CLIENT_SECRET: `${CLIENT_SECRET}-wrong` },
      dispatcher: kv.dispatcher,
    });
    const e = await refusal(vault.getSecret('keyvault:db-password'));
    expect(e.message).toBe(
      'secret keyvault:db-password cannot be fetched: the token endpoint refused (HTTP 401, invalid_client)',
    );
    expect(e.data).toEqual({
      ref: 'keyvault:db-password',
      reason: 'the token endpoint refused (HTTP 401, invalid_client)',
      status: 401,
      oauthError: 'invalid_client',
    });
    expect(JSON.stringify(e.data)).not.toContain(`${CLIENT_SECRET}-wrong`);
    expect(e.message).not.toContain(`${CLIENT_SECRET}-wrong`);
    // Without a token nothing was asked of the vault.
    expect(vaultReads()).toBe(readsBefore);
  });

  it('an unset client-secret reference names the reference only', async () => {
    const vault = createKeyVault(clientCredentials('env:KV_UNSET_SECRET'), {
      env: {},
      dispatcher: kv.dispatcher,
    });
    const e = await refusal(vault.getSecret('keyvault:db-password'));
    expect(e.message).toBe(
      'secret keyvault:db-password cannot be fetched: its client secret env:KV_UNSET_SECRET cannot be resolved',
    );
  });
});

describe('Key Vault with a managed identity', () => {
  it('uses the instance metadata form (Metadata: true, 2018-02-01) for a user-assigned identity', async () => {
    const before = kv.tokenRequests();
    const vault = createKeyVault(
      managedIdentity({ clientId: USER_ASSIGNED, endpoint: `${kv.url}/metadata/identity/oauth2/token` }),
      { env: {}, dispatcher: kv.dispatcher },
    );
    expect(await vault.getSecret('keyvault:github-token')).toBe(GH_NEW);
    expect(await vault.getSecret('keyvault:db-password')).toBe(DB);
    expect(kv.tokenRequests() - before).toBe(1);
    const req = kv.requests.filter((r) => r.path === '/metadata/identity/oauth2/token').at(-1)!;
    expect(req.method).toBe('GET');
    expect(req.headers.metadata).toBe('true');
    expect(req.query.get('api-version')).toBe('2018-02-01');
    expect(req.query.get('resource')).toBe(VAULT_RESOURCE);
    expect(req.query.get('client_id')).toBe(USER_ASSIGNED);
  });

  it('uses IDENTITY_ENDPOINT with X-IDENTITY-HEADER (2019-08-01) when App Service sets them', async () => {
    const before = kv.tokenRequests();
    const vault = createKeyVault(managedIdentity(), {
      env: { IDENTITY_ENDPOINT: `${kv.url}/msi/token`, IDENTITY_HEADER: IDENTITY_HEADER },
      dispatcher: kv.dispatcher,
    });
    expect(await vault.getSecret('keyvault:api-key')).toBe(API);
    expect(await vault.getSecret('keyvault:github-token/a1b2c3d4e5f60718293a4b5c6d7e8f90')).toBe(GH_OLD);
    expect(kv.tokenRequests() - before).toBe(1);
    const req = kv.requests.filter((r) => r.path === '/msi/token').at(-1)!;
    expect(req.headers['x-identity-header']).toBe(IDENTITY_HEADER);
    expect(req.headers.metadata).toBeUndefined();
    expect(req.query.get('api-version')).toBe('2019-08-01');
    expect(req.query.get('resource')).toBe(VAULT_RESOURCE);
    expect(req.query.has('client_id')).toBe(false);
  });

  it('an identity the endpoint does not know is ERR_SECRET_UNRESOLVED', async () => {
    const vault = createKeyVault(
      managedIdentity({ clientId: 'not-attached', endpoint: `${kv.url}/metadata/identity/oauth2/token` }),
      { env: {}, dispatcher: kv.dispatcher },
    );
    const e = await refusal(vault.getSecret('keyvault:api-key'));
    expect(e.message).toBe(
      'secret keyvault:api-key cannot be fetched: the managed identity endpoint answered HTTP 400',
    );
  });
});

describe('Key Vault failures', () => {
  it('[audit:no-secrets] 404 for an unknown name or version names the reference only', async () => {
    const vault = createKeyVault(clientCredentials(), { env: ENV, dispatcher: kv.dispatcher });
    const e = await refusal(vault.getSecret('keyvault:no-such-secret'));
    expect(e.message).toBe('secret keyvault:no-such-secret cannot be fetched: the vault answered HTTP 404');
    expect(e.data).toEqual({
      ref: 'keyvault:no-such-secret',
      reason: 'the vault answered HTTP 404',
      status: 404,
    });
    const v = await refusal(vault.getSecret('keyvault:github-token/ffffffffffffffffffffffffffffffff'));
    expect(v.data?.status).toBe(404);
  });

  it('[audit:no-secrets] 401 from the vault (a revoked token) is ERR_SECRET_UNRESOLVED without the token', async () => {
    const vault = createKeyVault(clientCredentials(), { env: ENV, dispatcher: kv.dispatcher });
    expect(await vault.getSecret('keyvault:api-key')).toBe(API);
    kv.revokeTokens();
    const e = await refusal(vault.getSecret('keyvault:db-password'));
    expect(e.message).toBe('secret keyvault:db-password cannot be fetched: the vault answered HTTP 401');
  });

  it('an unreachable vault or token endpoint is ERR_SECRET_UNRESOLVED', async () => {
    const port = await closedPort();
    const closed = `https://127.0.0.1:${port}`;
    const unreachableVault = createKeyVault(
      { ...clientCredentials(), url: closed },
      { env: ENV, dispatcher: kv.dispatcher },
    );
    const e = await refusal(unreachableVault.getSecret('keyvault:api-key'));
    expect(e.message).toBe(
      `secret keyvault:api-key cannot be fetched: 127.0.0.1:${port} cannot be reached (ECONNREFUSED)`,
    );
    const cc = clientCredentials();
    const unreachableAuthority = createKeyVault(
      { ...cc, credential: { ...cc.credential, authorityHost: closed } } as KeyVaultConfig,
      { env: ENV, dispatcher: kv.dispatcher },
    );
    const t = await refusal(unreachableAuthority.getSecret('keyvault:api-key'));
    expect(t.message).toMatch(
      /^secret keyvault:api-key cannot be fetched: the token endpoint cannot be reached/,
    );
  });

  it('refuses a plain-http vault URL off loopback at start-up', () => {
    expect(() =>
      createKeyVault({ ...clientCredentials(), url: 'http://myvault.vault.azure.net' }, { env: ENV }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('loadSecrets refuses keyvault references without secrets.keyVault, naming each', async () => {
    const config = configSchema.parse({
      servers: { gh: { command: 'node', env: { A: 'keyvault:api-key', B: 'keyvault:db-password' } } },
    });
    const e = await refusal(loadSecrets(config, { env: {} }));
    expect(e.message).toBe(
      '2 secret references cannot be resolved: secret keyvault:api-key needs secrets.keyVault to be configured; secret keyvault:db-password needs secrets.keyVault to be configured',
    );
    expect(e.data).toEqual({ refs: ['keyvault:api-key', 'keyvault:db-password'] });
  });
});

describe('the double follows the documented contract', () => {
  const get = (path: string, headers: Record<string, string> = {}) =>
    request(`${kv.url}${path}`, { dispatcher: kv.dispatcher, headers }).then(async (r) => ({
      status: r.statusCode,
      headers: r.headers,
      body: (await r.body.json()) as Record<string, unknown>,
    }));

  it('refuses a secret read without a bearer token it issued (401 with a challenge)', async () => {
    const r = await get('/secrets/api-key?api-version=7.4');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toContain(`resource="${VAULT_RESOURCE}"`);
    const forged = await get('/secrets/api-key?api-version=7.4', { authorization: 'Bearer forged' });
    expect(forged.status).toBe(401);
  });

  it('refuses instance-metadata token requests without Metadata: true, and App Service ones without the header', async () => {
    const q = `api-version=2018-02-01&resource=${encodeURIComponent(VAULT_RESOURCE)}`;
    expect((await get(`/metadata/identity/oauth2/token?${q}`)).status).toBe(400);
    const a = `api-version=2019-08-01&resource=${encodeURIComponent(VAULT_RESOURCE)}`;
    expect((await get(`/msi/token?${a}`)).status).toBe(401);
    expect((await get(`/msi/token?${a}`, { 'x-identity-header': 'wrong' })).status).toBe(401);
  });
});
