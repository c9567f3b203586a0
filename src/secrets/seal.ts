/**
 * Encryption at rest: AES-256-GCM envelopes for anything Warden persists that could be replayed
 * (refresh tokens, upstream tokens, consent records), and the storage key that seals them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { WardenError } from '../core/errors.js';

/** Length of an AES-256 key, in bytes. */
export const KEY_BYTES = 32;

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) {
    throw new WardenError('ERR_SECRET_UNRESOLVED', `encryption key must be ${KEY_BYTES} bytes`, {
      data: { keyBytes: key.length },
    });
  }
}

/** The version and purpose are both authenticated, so an envelope cannot be replayed in another role. */
function aadOf(purpose: string): Buffer {
  return Buffer.from(`warden-seal:${VERSION}:${purpose}`, 'utf8');
}

/** Seals plaintext under a 32-byte key, binding it to `purpose` as additional authenticated data; returns a versioned text envelope `v1.<iv>.<ciphertext>.<tag>` (base64url, a fresh 96-bit IV each time). */
export function seal(key: Buffer, plaintext: Buffer | string, purpose: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadOf(purpose));
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ct = Buffer.concat([cipher.update(data), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64url'), ct.toString('base64url'), tag.toString('base64url')].join('.');
}

function refused(): WardenError {
  // One message for every failure: telling a wrong key from tampering would help an attacker.
  return new WardenError('ERR_SECRET_UNRESOLVED', 'sealed value cannot be opened', { data: {} });
}

/** Decodes base64url only in its canonical form, so no two envelope texts carry the same bytes. */
function decodePart(part: string | undefined): Buffer {
  if (part === undefined || !B64URL.test(part)) throw refused();
  const buf = Buffer.from(part, 'base64url');
  if (buf.toString('base64url') !== part) throw refused();
  return buf;
}

/** Opens an envelope sealed for the same purpose; throws WardenError ERR_SECRET_UNRESOLVED (message without any secret) on a wrong key, wrong purpose or any tampering. */
export function unseal(key: Buffer, envelope: string, purpose: string): Buffer {
  checkKey(key);
  const parts = envelope.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw refused();
  const iv = decodePart(parts[1]);
  const ct = decodePart(parts[2]);
  const tag = decodePart(parts[3]);
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw refused();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadOf(purpose));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    throw refused();
  }
}

/** Decodes a configured key: 64 hex digits, or 32 bytes as base64 or base64url; undefined otherwise. */
function decodeConfiguredKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9A-Fa-f]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(t)) {
    const buf = Buffer.from(t, 'base64');
    return buf.length === KEY_BYTES && buf.toString('base64').replace(/=$/, '') === t.replace(/=$/, '')
      ? buf
      : undefined;
  }
  if (/^[A-Za-z0-9_-]{43}$/.test(t)) {
    const buf = Buffer.from(t, 'base64url');
    return buf.length === KEY_BYTES && buf.toString('base64url') === t ? buf : undefined;
  }
  return undefined;
}

function readKeyFile(file: string): Buffer {
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    throw new WardenError(
      'ERR_SECRET_UNRESOLVED',
      'the storage key file is readable by other users; make it owner-only (chmod 600)',
      { data: { file } },
    );
  }
  const buf = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  if (buf.length !== KEY_BYTES) {
    throw new WardenError('ERR_SECRET_UNRESOLVED', 'the storage key file is corrupt', { data: { file } });
  }
  return buf;
}

/** The storage key: from `secrets.encryptionKey` (a resolved 32-byte value given as base64, base64url or hex) when configured, else generated once and kept in `<dataDir>/keys/storage.key` (mode 0600, directory 0700), created atomically. */
export function loadStorageKey(dataDir: string, configured: string | undefined): Buffer {
  if (configured !== undefined) {
    const key = decodeConfiguredKey(configured);
    if (key === undefined) {
      throw new WardenError(
        'ERR_SECRET_UNRESOLVED',
        'secrets.encryptionKey must be 32 bytes written as base64, base64url or 64 hex digits',
        { data: { path: 'secrets.encryptionKey' } },
      );
    }
    return key;
  }
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, 'storage.key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode does not apply to a directory that already existed (or to its parents).
  if (process.platform !== 'win32') chmodSync(dir, 0o700);
  try {
    return readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Write a private temporary file, then link it into place: link fails when another process won
  // the race, and a reader never sees a half-written key.
  const key = randomBytes(KEY_BYTES);
  const tmp = path.join(dir, `.storage.key.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, key.toString('base64url') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readKeyFile(file);
  } finally {
    unlinkSync(tmp);
  }
  return key;
}
