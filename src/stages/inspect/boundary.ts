/**
 * Boundary marking (spotlighting): the text of an untrusted result is wrapped in delimiters that
 * carry a random token made for this one answer, so the model can tell where data from a tool
 * begins and ends, and a result cannot forge the closing delimiter (it cannot know the token).
 * Datamarking optionally replaces every space of the wrapped text with a marker character.
 */
import { randomBytes } from 'node:crypto';

/** Settings of boundary marking. */
export interface BoundaryOptions {
  readonly datamark: boolean;
  readonly marker: string;
}

/** Bytes drawn from the CSPRNG at a time; each token takes its own 16 of them, once. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = POOL_BYTES;

/**
 * A fresh token: 128 bits from the CSPRNG, base64url; never reused across answers. Drawn from a
 * pool refilled 4 KB at a time (one system call per 256 tokens instead of one per answer).
 */
export function boundaryToken(): string {
  if (used + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const t = pool.toString('base64url', used, used + 16);
  used += 16;
  return t;
}

/** The opening delimiter. */
export function openMark(token: string, source: string): string {
  return `<<warden:data token=${token} source=${source === '' ? 'unknown' : source}>>`;
}

/** The closing delimiter. */
export function closeMark(token: string): string {
  return `<<warden:end token=${token}>>`;
}

/** The text wrapped in delimiters (and datamarked when configured). */
export function wrap(text: string, token: string, source: string, o: BoundaryOptions): string {
  const body = o.datamark ? text.replaceAll(' ', o.marker) : text;
  return `${openMark(token, source)}\n${body}\n${closeMark(token)}`;
}
