/**
 * Encryption at rest: AES-256-GCM envelopes refuse every tampered byte, a wrong key, a wrong purpose
 * and truncation; the storage key is generated once into an owner-only file and reused, and a
 * configured key of the wrong size is refused without echoing it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.js';
import { loadStorageKey, seal, unseal } from '../../src/secrets/seal.js';

const B64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function refusal(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    const e = err as WardenError;
    expect(e.code).toBe('ERR_SECRET_UNRESOLVED');
    return e;
  }
  throw new Error('expected a refusal');
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'warden-seal-'));
}

describe('seal / unseal', () => {
  const key = randomBytes(32);
  const secret = 'refresh-token-7f3a9c';

  it('round-trips text and bytes, including empty plaintext', () => {
    expect(unseal(key, seal(key, secret, 'refresh'), 'refresh').toString('utf8')).toBe(secret);
    const bytes = randomBytes(1000);
    expect(unseal(key, seal(key, bytes, 'blob'), 'blob').equals(bytes)).toBe(true);
    expect(unseal(key, seal(key, '', 'empty'), 'empty').length).toBe(0);
  });

  it('writes a versioned base64url envelope that does not contain the plaintext', () => {
    const env = seal(key, secret, 'refresh');
    expect(env).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/);
    expect(env).not.toContain(secret);
    expect(env).not.toContain(Buffer.from(secret).toString('base64url'));
  });

  it('uses a fresh IV for every seal', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 1000; i++) ivs.add(seal(key, secret, 'refresh').split('.')[1]!);
    expect(ivs.size).toBe(1000);
  });

  it('refuses every tampered byte of the IV, ciphertext and tag', () => {
    const env = seal(key, secret, 'refresh');
    const [v, ...parts] = env.split('.');
    for (let p = 0; p < parts.length; p++) {
      const raw = Buffer.from(parts[p]!, 'base64url');
      for (let i = 0; i < raw.length; i++) {
        const bad = Buffer.from(raw);
        bad[i] = bad[i]! ^ 0x01;
        const copy = [...parts];
        copy[p] = bad.toString('base64url');
        const e = refusal(() => unseal(key, [v, ...copy].join('.'), 'refresh'));
        expect(e.message).not.toContain(secret);
      }
    }
  });

  it('refuses every changed character of the envelope text', () => {
    const env = seal(key, secret, 'refresh');
    for (let i = 0; i < env.length; i++) {
      const c = env[i]!;
      const other = c === '.' ? 'A' : B64URL_CHARS[(B64URL_CHARS.indexOf(c) + 1) % 64]!;
      refusal(() => unseal(key, env.slice(0, i) + other + env.slice(i + 1), 'refresh'));
    }
  });

  it('refuses a wrong key and a wrong purpose with the same message', () => {
    const env = seal(key, secret, 'refresh');
    const a = refusal(() => unseal(randomBytes(32), env, 'refresh'));
    const b = refusal(() => unseal(key, env, 'consent'));
    expect(a.message).toBe(b.message);
    expect(JSON.stringify(a.data)).not.toContain(secret);
  });

  it('refuses truncated, extended, re-versioned and malformed envelopes', () => {
    const env = seal(key, secret, 'refresh');
    for (let n = 0; n < env.length; n++) refusal(() => unseal(key, env.slice(0, n), 'refresh'));
    refusal(() => unseal(key, env + 'A', 'refresh'));
    refusal(() => unseal(key, env + '.AAAA', 'refresh'));
    refusal(() => unseal(key, 'v2' + env.slice(2), 'refresh'));
    refusal(() => unseal(key, env.replace(/\.([^.]*)$/, '.$1=='), 'refresh'));
    // A 12-byte tag (a shortened GCM tag) is refused even though GCM could check it.
    const [v, iv, ct, tag] = env.split('.');
    const short = Buffer.from(tag!, 'base64url').subarray(0, 12).toString('base64url');
    refusal(() => unseal(key, [v, iv, ct, short].join('.'), 'refresh'));
  });

  it('refuses a key that is not 32 bytes', () => {
    refusal(() => seal(randomBytes(16), secret, 'refresh'));
    refusal(() => unseal(randomBytes(31), seal(key, secret, 'refresh'), 'refresh'));
  });
});

describe('loadStorageKey', () => {
  it('generates a key once into keys/storage.key (0600 in a 0700 directory) and reuses it', () => {
    const dataDir = tempDir();
    const first = loadStorageKey(dataDir, undefined);
    expect(first.length).toBe(32);
    const file = path.join(dataDir, 'keys', 'storage.key');
    if (process.platform !== 'win32') {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    }
    const second = loadStorageKey(dataDir, undefined);
    expect(second.equals(first)).toBe(true);
    // What was sealed under the first load opens under the second, as after a restart.
    expect(unseal(second, seal(first, 'x', 'p'), 'p').toString()).toBe('x');
    expect(readFileSync(file, 'utf8')).not.toContain(first.toString('hex'));
  });

  it('tightens an existing keys directory to 0700', () => {
    if (process.platform === 'win32') return;
    const dataDir = tempDir();
    loadStorageKey(dataDir, undefined);
    chmodSync(path.join(dataDir, 'keys'), 0o755);
    loadStorageKey(dataDir, undefined);
    expect(statSync(path.join(dataDir, 'keys')).mode & 0o777).toBe(0o700);
  });

  it('refuses a key file other users can read, and a corrupt one', () => {
    if (process.platform === 'win32') return;
    const dataDir = tempDir();
    loadStorageKey(dataDir, undefined);
    const file = path.join(dataDir, 'keys', 'storage.key');
    chmodSync(file, 0o644);
    expect(refusal(() => loadStorageKey(dataDir, undefined)).message).toMatch(/chmod 600/);
    chmodSync(file, 0o600);
    writeFileSync(file, 'short\n');
    expect(refusal(() => loadStorageKey(dataDir, undefined)).message).toMatch(/corrupt/);
  });

  it('accepts a configured key as hex, base64 and base64url, and writes no file', () => {
    const raw = randomBytes(32);
    const dataDir = tempDir();
    expect(loadStorageKey(dataDir, raw.toString('hex')).equals(raw)).toBe(true);
    expect(loadStorageKey(dataDir, raw.toString('base64')).equals(raw)).toBe(true);
    expect(loadStorageKey(dataDir, raw.toString('base64').replace(/=$/, '')).equals(raw)).toBe(true);
    expect(loadStorageKey(dataDir, raw.toString('base64url') + '\n').equals(raw)).toBe(true);
    expect(() => statSync(path.join(dataDir, 'keys'))).toThrow();
  });

  it('refuses a configured key of the wrong size without echoing it', () => {
    const dataDir = tempDir();
    const values = [
      randomBytes(16).toString('hex'),
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64url'),
      'correct-horse-battery-staple-correct-horse',
      '',
    ];
    for (const v of values) {
      const e = refusal(() => loadStorageKey(dataDir, v));
      expect(e.message).toMatch(/secrets\.encryptionKey must be 32 bytes/);
      if (v !== '') {
        expect(e.message).not.toContain(v);
        expect(JSON.stringify(e.data)).not.toContain(v);
      }
    }
  });
});
