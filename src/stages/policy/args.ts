/**
 * Argument constraints of policy rules: allowed values, a safe-checked regular expression, path
 * prefixes, URL hosts, numeric ranges and string lengths. Compiled once at start-up (bad
 * constraints throw with their config path); checking is pure and bounded.
 */
import path from 'node:path';
import safeRegex from 'safe-regex2';
import type { ArgConstraintConfig } from './types.js';
import { compileGlob } from './glob.js';
import type { NamePattern } from './glob.js';

/** One start-up problem: config path and message. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** A compiled constraint: returns undefined when the value passes, else the reason it fails. */
export type ArgCheck = (value: unknown) => string | undefined;

/** Longest string a `pattern` is run on when no `maxLength` is set, in UTF-16 code units. */
export const DEFAULT_PATTERN_MAX_LENGTH = 1024;

// Percent-encoded dot, slash, backslash or NUL: a path that still holds one would mean something
// else to an upstream that decodes it.
const ENCODED_TRAVERSAL = /%(2e|2f|5c|00)/i;

/** Why a path fails the prefix list, or undefined when it lies under one of the prefixes. */
export function checkPath(value: string, prefixes: readonly string[]): string | undefined {
  if (value.includes('\0')) return 'path contains NUL';
  if (value.includes('\\')) return 'path contains a backslash';
  if (ENCODED_TRAVERSAL.test(value)) return 'path contains a percent-encoded dot, separator or NUL';
  const v = value.normalize('NFC');
  if (!v.startsWith('/')) return 'path is not absolute';
  if (v.split('/').includes('..')) return 'path contains a .. segment';
  const norm = path.posix.normalize(v);
  for (const p of prefixes) {
    const base = p.endsWith('/') ? p.slice(0, -1) : p;
    if (norm === base || norm.startsWith(`${base}/`)) return undefined;
  }
  return 'path is outside the allowed prefixes';
}

/** Why a URL fails the host allowlist, or undefined when its host is allowed. */
export function checkUrlHost(value: string, hosts: readonly NamePattern[]): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'URL scheme is not http or https';
  // The WHATWG parser lower-cases and IDNA-encodes the host, so `EXAMPLE.com.` style tricks
  // reduce to one spelling; a trailing dot is stripped so both forms compare equal.
  const host = u.hostname.replace(/\.$/, '');
  return hosts.some((h) => h.test(host)) ? undefined : 'URL host is not allowed';
}

function hostPattern(h: string): NamePattern {
  const lower = h.toLowerCase().replace(/\.$/, '');
  if (lower.startsWith('*.')) {
    const suffix = lower.slice(1);
    return { source: lower, test: (host) => host.endsWith(suffix) && host.length > suffix.length };
  }
  return compileGlob(lower.includes('*') ? lower.replaceAll('*', '') : lower);
}

/** Compiles one argument's constraints; pushes problems (with `at` as the path) instead of returning. */
export function compileArg(c: ArgConstraintConfig, at: string, problems: Problem[]): ArgCheck {
  const checks: ArgCheck[] = [];
  if (c.enum !== undefined) {
    const allowed = c.enum;
    checks.push((v) => (allowed.some((a) => a === v) ? undefined : 'value is not one of the allowed values'));
  }
  if (c.min !== undefined || c.max !== undefined) {
    const { min, max } = c;
    if (min !== undefined && max !== undefined && min > max)
      problems.push({ path: `${at}.min`, message: 'min is greater than max' });
    checks.push((v) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'value is not a finite number';
      if (min !== undefined && v < min) return `value is below ${min}`;
      if (max !== undefined && v > max) return `value is above ${max}`;
      return undefined;
    });
  }
  const needsString = c.pattern !== undefined || c.pathPrefix !== undefined || c.hosts !== undefined;
  const maxLength = c.maxLength ?? (c.pattern !== undefined ? DEFAULT_PATTERN_MAX_LENGTH : undefined);
  if (maxLength !== undefined || needsString) {
    checks.push((v) => {
      if (typeof v !== 'string') return 'value is not a string';
      if (maxLength !== undefined && v.length > maxLength) return `value is longer than ${maxLength}`;
      return undefined;
    });
  }
  if (c.pattern !== undefined) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(`^(?:${c.pattern})$`, 'u');
    } catch (err) {
      problems.push({ path: `${at}.pattern`, message: `not a valid regular expression: ${String(err)}` });
    }
    if (re !== undefined && !safeRegex(re)) {
      problems.push({
        path: `${at}.pattern`,
        message: 'the pattern could backtrack catastrophically (nested or repeated quantifiers)',
      });
      re = undefined;
    }
    const r = re;
    checks.push((v) =>
      r !== undefined && typeof v === 'string' && r.test(v) ? undefined : 'value does not match the pattern',
    );
  }
  if (c.pathPrefix !== undefined) {
    const prefixes = c.pathPrefix.map((p, i) => {
      const norm = path.posix.normalize(p.normalize('NFC'));
      if (norm !== p && `${norm}/` !== p)
        problems.push({ path: `${at}.pathPrefix.${i}`, message: 'prefix is not in normal form' });
      return norm;
    });
    checks.push((v) => (typeof v === 'string' ? checkPath(v, prefixes) : 'value is not a string'));
  }
  if (c.hosts !== undefined) {
    const hosts = c.hosts.map(hostPattern);
    checks.push((v) => (typeof v === 'string' ? checkUrlHost(v, hosts) : 'value is not a string'));
  }
  if (checks.length === 0) problems.push({ path: at, message: 'constraint lists no check' });
  return (v) => {
    for (const ch of checks) {
      const why = ch(v);
      if (why !== undefined) return why;
    }
    return undefined;
  };
}

/** A compiled argument map; `check` returns undefined when all arguments pass, else the first failure. */
export interface ArgsCheck {
  check(args: Readonly<Record<string, unknown>> | undefined): string | undefined;
}

/** Compiles a rule's `arguments` block. */
export function compileArgs(
  spec: Readonly<Record<string, ArgConstraintConfig>>,
  at: string,
  problems: Problem[],
): ArgsCheck {
  const list = Object.entries(spec).map(([name, c]) => ({
    name,
    optional: c.optional,
    check: compileArg(c, `${at}.${name}`, problems),
  }));
  return {
    check(args) {
      for (const a of list) {
        const has = args !== undefined && Object.hasOwn(args, a.name);
        if (!has) {
          if (a.optional) continue;
          return `argument ${a.name} is missing`;
        }
        const why = a.check(args[a.name]);
        if (why !== undefined) return `argument ${a.name}: ${why}`;
      }
      return undefined;
    },
  };
}
