/**
 * Matching URIs against RFC 6570 URI templates for routing `resources/read` on the aggregate
 * endpoint, in linear time: templates come from upstreams and are untrusted, so no regular
 * expression is built from them (a template with many adjacent expressions would backtrack
 * exponentially).
 */

/** A compiled template: literals with the expression kind between each pair. */
export interface TemplateMatcher {
  test(uri: string): boolean;
}

/** How much an expression may match: within one path segment, or anything. */
type Span = 'segment' | 'query' | 'any';

const EXPR = /\{([+#./;?&]?)([^}]*)\}/g;
const SEGMENT_STOP = /[/?#]/;

/** Compiles a template; longer templates than 2,048 characters never match. */
export function templateMatcher(template: string): TemplateMatcher {
  if (template.length > 2048) return { test: () => false };
  const literals: string[] = [];
  const spans: Span[] = [];
  let last = 0;
  for (const m of template.matchAll(EXPR)) {
    const lit = template.slice(last, m.index);
    const op = m[1];
    // Reserved (+), fragment (#), path (/) and query (? &) expansions may cross segment boundaries.
    const span: Span =
      op === '' || op === '.' || op === ';' ? 'segment' : op === '?' || op === '&' ? 'query' : 'any';
    if (lit === '' && spans.length > 0 && literals.length === spans.length) {
      // Adjacent expressions act as one: the most permissive wins.
      if (span !== 'segment') spans[spans.length - 1] = 'any';
    } else {
      literals.push(lit);
      spans.push(span);
    }
    last = m.index + m[0].length;
  }
  const tail = template.slice(last);
  return {
    test(uri: string): boolean {
      const first = literals[0] ?? tail;
      if (spans.length === 0) return uri === template;
      if (!uri.startsWith(first)) return false;
      let pos = first.length;
      for (let i = 0; i < spans.length; i++) {
        const nextLit = i + 1 < literals.length ? (literals[i + 1] ?? '') : tail;
        const isLast = i + 1 >= literals.length;
        let end: number;
        if (isLast) {
          end = uri.length - tail.length;
          if (end < pos || !uri.endsWith(tail)) return false;
        } else {
          end = uri.indexOf(nextLit, pos);
          if (end === -1) return false;
        }
        const part = uri.slice(pos, end);
        if (spans[i] === 'segment' && SEGMENT_STOP.test(part)) return false;
        // A query expansion is empty or starts the query (?) or continues it (&).
        if (spans[i] === 'query' && part !== '' && part[0] !== '?' && part[0] !== '&') return false;
        pos = end + nextLit.length;
      }
      return true;
    },
  };
}
