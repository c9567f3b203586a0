/**
 * The regular-expression engine tool-schema `pattern`s (and `patternProperties`) run on. Tool
 * schemas come from upstream servers, which Warden does not trust: a backtracking pattern such as
 * `^(a+)+$` or `^(a|aa)+$` could pin a CPU on one crafted argument. Two tiers:
 *
 * 1. V8's linear-time engine (the `l` flag) whenever it accepts the pattern: time linear in the
 *    input, whatever the pattern. It has no Unicode mode, so patterns using `\p{…}` or `\u{…}`
 *    skip this tier (without `u` they would mean something else), and it refuses backreferences,
 *    lookaround and large bounded repeats such as `{1,64}`.
 * 2. Otherwise the ordinary engine in Unicode mode, but only for patterns safe-regex2 finds free of
 *    nested quantifiers (star height at most one); any other pattern is refused, which makes the
 *    schema uncompilable and the call refused (fail closed).
 */
import { setFlagsFromString } from 'node:v8';
import safeRegex from 'safe-regex2';

// The linear engine is behind a V8 flag in Node.js 20; setting it only makes the `l` flag
// available and changes no existing regular expression.
setFlagsFromString('--enable-experimental-regexp-engine');

/** Escapes whose meaning needs Unicode mode, which the linear engine lacks. */
const UNICODE_ONLY = /\\[pP]\{|\\u\{/;

/** What ajv's `code.regExp` option expects of a regular expression. */
export interface SchemaRegExp {
  test(s: string): boolean;
}

function linear(pattern: string): RegExp | undefined {
  if (UNICODE_ONLY.test(pattern)) return undefined;
  try {
    return new RegExp(pattern, 'l');
  } catch {
    return undefined;
  }
}

/**
 * Compiles a schema `pattern` (ajv passes `flags` = `u`); throws a SyntaxError for a pattern that
 * could backtrack catastrophically.
 */
export function schemaRegExp(pattern: string, flags: string): SchemaRegExp {
  const l = linear(pattern);
  if (l !== undefined) return l;
  const re = new RegExp(pattern, flags);
  if (!safeRegex(re)) {
    throw new SyntaxError(`pattern /${pattern.slice(0, 100)}/ could backtrack catastrophically`);
  }
  return re;
}
schemaRegExp.code = 'schemaRegExp';
