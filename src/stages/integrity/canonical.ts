/**
 * The canonical form of a pinned definition (a tool, prompt or resource template as the upstream
 * sent it), its hash, and a readable line diff between two versions.
 *
 * What is hashed: the whole definition object exactly as the upstream listed it, with one key
 * left out: `_meta` at the top level. `_meta` is protocol metadata an upstream or an SDK may vary
 * per response (trace ids, cache hints) and no client shows it to a model; everything a model or
 * a client acts on (name, title, description, inputSchema, outputSchema, annotations, icons,
 * arguments, uriTemplate, mimeType, and any unknown key) is in the hash. The aggregate endpoint's
 * `<server>__` prefix is never part of it: the upstream's own name is.
 *
 * Canonical JSON is RFC 8785 (the `canonicalize` package); the hash is SHA-256, lower-case hex.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** Top-level keys left out of the canonical form. */
export const EXCLUDED_KEYS: readonly string[] = ['_meta'];

/** A definition in canonical form with its hash. */
export interface Canonical {
  /** RFC 8785 canonical JSON of the definition without the excluded keys. */
  readonly json: string;
  /** SHA-256 of `json`, lower-case hex (64 characters). */
  readonly hash: string;
}

/**
 * The definition object that is pinned: `def` without the excluded top-level keys. Every other own
 * key is kept as an own property, `__proto__` too (JSON.parse makes it one; an assignment would
 * set the copy's prototype instead and leave the key, and whatever an upstream put in it, out of
 * the hash).
 */
export function pinnedPart(def: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def))
    if (!EXCLUDED_KEYS.includes(k))
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** SHA-256 of a string, lower-case hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Canonicalises and hashes one definition (any JSON object; excluded keys dropped first). */
export function canonicalDefinition(def: Readonly<Record<string, unknown>>): Canonical {
  const json = canonicalize(pinnedPart(def));
  // canonicalize returns undefined only for undefined input; a parsed JSON object always has a form.
  const text = json ?? '{}';
  return { json: text, hash: sha256Hex(text) };
}

/** The canonical JSON indented for people (key order stays the canonical one). */
export function prettyCanonical(json: string): string {
  return JSON.stringify(JSON.parse(json) as unknown, null, 2);
}

/** Most lines compared by `lineDiff`; longer inputs are shown whole as removed and added. */
const MAX_DIFF_LINES = 2000;

/**
 * A unified-style line diff (`-` old, `+` new, two-space context) of two texts; an empty `before`
 * shows everything as added, an empty `after` everything as removed.
 */
export function lineDiff(before: string, after: string): string {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES)
    return [...a.map((l) => `- ${l}`), ...b.map((l) => `+ ${l}`)].join('\n');
  // Longest common subsequence table, filled from the end so the walk below goes forward.
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const next = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--)
      row[j] =
        a[i] === b[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i] as string}`);
      i++;
      j++;
    } else if (i < n && (j === m || (lcs[i + 1] as Uint32Array)[j]! >= (lcs[i] as Uint32Array)[j + 1]!)) {
      // Removed lines come before added ones, as in a unified diff.
      out.push(`- ${a[i] as string}`);
      i++;
    } else {
      out.push(`+ ${b[j] as string}`);
      j++;
    }
  }
  return out.join('\n');
}
