/**
 * The `redis` block and `limits.store`: the URL is a secret reference or a password-free Redis URL
 * (a password written into the file is refused with its path), `limits.store: redis` without the
 * block stops start-up with a path, and a referenced URL is resolved with the other secrets.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/config/compile.js';
import { parseConfigText, validateConfig } from '../../src/config/load.js';
import { WardenError } from '../../src/core/errors.js';
import { secretRefPaths, tryResolveSecrets } from '../../src/secrets/index.js';

const withUrl = (url: string) => validateConfig({ redis: { url }, limits: { store: 'redis' } });

describe('redis configuration', () => {
  it('defaults: memory store, fail closed; the block fills in prefix and timeouts', () => {
    const plain = validateConfig({});
    expect(plain.config?.limits.store).toBe('memory');
    expect(plain.config?.limits.failOpen).toBe(false);
    expect(plain.config?.redis).toBeUndefined();
    expect(withUrl('env:REDIS_URL').config?.redis).toEqual({
      url: 'env:REDIS_URL',
      keyPrefix: 'warden:',
      connectTimeoutMs: 2000,
      commandTimeoutMs: 500,
    });
  });

  it('url: secret references and password-free redis:// / rediss:// URLs are accepted', () => {
    for (const url of [
      'env:REDIS_URL',
      'file:/run/secrets/redis-url',
      'keyvault:redis-url',
      'redis://127.0.0.1:6379',
      'redis://redis.internal:6380/2',
      'rediss://warden@redis.example.com:6380',
      'redis://[::1]:6379',
    ])
      expect(withUrl(url).problems, url).toEqual([]);
  });

  it('url: a password written into the file, or another scheme, is refused with its path', () => {
    for (const url of [
      'redis://:hunter2@127.0.0.1:6379',
      'redis://warden:hunter2@127.0.0.1:6379',
      'rediss://u:p@h/0',
      'http://127.0.0.1:6379',
      'redis://',
      '127.0.0.1:6379',
    ]) {
      const r = withUrl(url);
      expect(r.config, url).toBeUndefined();
      expect(r.problems.map((p) => p.path)).toEqual(['redis.url']);
      expect(r.problems[0]?.message).toMatch(/without a password/);
      // The refusal never echoes the value.
      expect(JSON.stringify(r.problems)).not.toContain('hunter2');
    }
  });

  it('keyPrefix and timeouts are bounded; unknown keys are refused', () => {
    const r = parseConfigText(
      'redis:\n  url: env:REDIS_URL\n  keyPrefix: "a b"\n  commandTimeoutMs: 0\n  password: x\n',
    );
    expect(r.problems.map((p) => p.path).sort()).toEqual([
      'redis.commandTimeoutMs',
      'redis.keyPrefix',
      'redis.password',
    ]);
  });

  it('limits.store: redis without the redis block stops start-up with the path', () => {
    const r = validateConfig({ limits: { store: 'redis' } });
    expect(r.problems).toEqual([]);
    let err: unknown;
    try {
      compile(r.config!);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_CONFIG_INVALID');
    expect((err as WardenError).data?.problems).toEqual([
      { path: 'limits.store', message: 'the redis store needs the top-level redis block' },
    ]);
    expect(() => compile(withUrl('env:REDIS_URL').config!)).not.toThrow();
  });

  it('a referenced URL is resolved at start-up with the other secrets; a literal URL is not a secret', async () => {
    const ref = withUrl('env:WARDEN_TEST_REDIS').config!;
    expect(secretRefPaths(ref)).toContainEqual({ path: 'redis.url', ref: 'env:WARDEN_TEST_REDIS' });
    const { values, failures } = await tryResolveSecrets(ref, ['env:WARDEN_TEST_REDIS'], {
      env: { WARDEN_TEST_REDIS: 'redis://:s3cret@10.0.0.5:6379' },
    });
    expect(failures.size).toBe(0);
    expect(values.get('env:WARDEN_TEST_REDIS')).toBe('redis://:s3cret@10.0.0.5:6379');
    expect(secretRefPaths(withUrl('redis://127.0.0.1:6379').config!).map((p) => p.path)).not.toContain(
      'redis.url',
    );
  });
});
