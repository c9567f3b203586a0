/**
 * Name patterns of policy rules: exact names or globs where `*` stands for any run of characters
 * (including none). Nothing else is special, so a pattern is never a user regex and matching is a
 * linear scan with no backtracking. Patterns and names are compared NFC-normalised and
 * case-sensitively: a fullwidth, homoglyph or space-padded name is a different name.
 */

/** A compiled name pattern. */
export interface NamePattern {
  /** The pattern as configured (NFC). */
  readonly source: string;
  /** True when the whole name matches. */
  test(name: string): boolean;
}

/** Longest name Warden matches against patterns, in UTF-16 code units; longer names never match. */
export const MAX_MATCH_NAME = 1024;

/** Compiles one pattern (`*` is the only wildcard). */
export function compileGlob(pattern: string): NamePattern {
  const source = pattern.normalize('NFC');
  if (!source.includes('*')) return { source, test: (name) => name === source };
  const parts = source.split('*');
  const head = parts[0] ?? '';
  const tail = parts[parts.length - 1] ?? '';
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  return {
    source,
    test(name) {
      if (name.length > MAX_MATCH_NAME) return false;
      if (name.length < head.length + tail.length) return false;
      if (!name.startsWith(head) || !name.endsWith(tail)) return false;
      // Leftmost placement of each middle part is optimal for `*`-only globs: no backtracking.
      let at = head.length;
      const end = name.length - tail.length;
      for (const p of middle) {
        const i = name.indexOf(p, at);
        if (i < 0 || i + p.length > end) return false;
        at = i + p.length;
      }
      return true;
    },
  };
}

/** A set of patterns; matches when any one does. */
export function compileGlobs(patterns: readonly string[]): NamePattern {
  const exact = new Set<string>();
  const globs: NamePattern[] = [];
  for (const p of patterns) {
    const g = compileGlob(p);
    if (g.source.includes('*')) globs.push(g);
    else exact.add(g.source);
  }
  return {
    source: patterns.join(','),
    test: (name) => exact.has(name) || globs.some((g) => g.test(name)),
  };
}

/**
 * The folded form deny rules also match against: NFKC (fullwidth and compatibility letters become
 * plain), lower case, without surrounding white space, so a look-alike name cannot slip past a deny.
 */
export function foldName(name: string): string {
  return name.normalize('NFKC').toLowerCase().trim();
}
