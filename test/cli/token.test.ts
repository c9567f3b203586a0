/**
 * `warden token` and the local issuer: what it mints (and for whom), what it refuses, and that the
 * signing key on disk is sealed to the storage key.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseTtl, runToken } from '../../src/cli/token.js';
import { configSchema } from '../../src/config/schema.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';
import { loadLocalIssuer, localKeyFile } from '../../src/secrets/local-issuer.js';
import { loadStorageKey } from '../../src/secrets/seal.js';

function configIn(dir: string, extra: Partial<ConfigInput> = {}): Config {
  return configSchema.parse({
    dataDir: dir,
    listen: { port: 9911 },
    servers: { notes: { command: 'node', args: [] } },
    ...extra,
  });
}

async function mint(config: Config, argv: string[]): Promise<string> {
  let out = '';
  const code = await runToken(
    argv,
    () => ({ config, embedded: false }),
    (t) => (out += t),
  );
  expect(code).toBe(0);
  return out;
}

describe('warden token', () => {
  it('mints a short-lived at+jwt for one endpoint, verifiable with the local issuer key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-token-'));
    const config = configIn(dir);
    const out = await mint(config, [
      '--sub',
      'alice',
      '--roles',
      'admin,ops',
      '--scopes',
      'mcp:tools',
      '--ttl',
      '10m',
      '--endpoint',
      '/mcp/notes',
    ]);
    expect(out.endsWith('\n')).toBe(true);
    const token = out.trim();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const issuer = await loadLocalIssuer(dir, loadStorageKey(dir, undefined), 'ES256');
    const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks), {
      issuer: 'http://127.0.0.1:9911',
      audience: 'http://127.0.0.1:9911/mcp/notes',
    });
    expect(payload).toMatchObject({ sub: 'alice', roles: ['admin', 'ops'], scope: 'mcp:tools' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
    expect(typeof payload.jti).toBe('string');
  });

  it('refuses other modes, unknown endpoints, missing subjects and lifetimes over the maximum', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-token-'));
    const refuse = (config: Config, argv: string[]): Promise<number> =>
      runToken(
        argv,
        () => ({ config, embedded: false }),
        () => undefined,
      );
    const jwt = configIn(dir, { auth: { mode: 'jwt', issuer: 'https://idp.example' } });
    await expect(refuse(jwt, ['--sub', 'a'])).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    await expect(refuse(configIn(dir), ['--sub', 'a', '--endpoint', '/mcp/other'])).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
    await expect(refuse(configIn(dir), [])).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    await expect(refuse(configIn(dir), ['--sub', 'a\nb'])).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
    await expect(refuse(configIn(dir), ['--sub', 'a', '--ttl', '2h'])).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
    expect(parseTtl('90s')).toBe(90);
    expect(parseTtl('15m')).toBe(900);
    expect(parseTtl('1h')).toBe(3600);
    expect(() => parseTtl('1d')).toThrow();
  });

  it('keeps the signing key sealed: another storage key cannot open it, tampering is refused', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-token-'));
    await mint(configIn(dir), ['--sub', 'alice']);
    const file = localKeyFile(dir);
    const sealed = readFileSync(file, 'utf8');
    expect(sealed).not.toMatch(/"d"|"kty"/);
    const otherDir = mkdtempSync(path.join(tmpdir(), 'warden-token-'));
    await expect(loadLocalIssuer(dir, loadStorageKey(otherDir, undefined), 'ES256')).rejects.toMatchObject({
      code: 'ERR_SECRET_UNRESOLVED',
    });
    const flipped = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21);
    writeFileSync(file, flipped);
    await expect(loadLocalIssuer(dir, loadStorageKey(dir, undefined), 'ES256')).rejects.toMatchObject({
      code: 'ERR_SECRET_UNRESOLVED',
    });
  });
});
