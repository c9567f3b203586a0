/**
 * The benchmark's payloads, shared by the upstream server (which produces them) and the load
 * client (which checks them).
 */

/** Size of the `blob64k` result text, in characters (all ASCII, so also bytes). */
export const BLOB_CHARS = 64 * 1024;

/** The `blob64k` text: printable ASCII, deterministic, no characters needing JSON escapes. */
export const BLOB_TEXT = makeBlob(BLOB_CHARS);

/** The short string sent to `echo`. */
export const ECHO_TEXT = 'hello, warden';

function makeBlob(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(alphabet[(i * 7 + (i >> 6)) % alphabet.length] ?? 'x');
  return parts.join('');
}
