/**
 * Loading: YAML text → validated Config, with every problem reported by path; secret references
 * resolved without ever placing their values in errors or logs.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { WardenError } from '../core/errors.js';
import { SECRET_REF, configSchema } from './schema.js';
import type { Config } from './schema.js';

/** One configuration problem: a dotted path and what is wrong there. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      // Keys that are not plain words (dots, spaces, control characters) are quoted, so a key such
      // as `a.b` cannot pass for a nested path and a key cannot inject text into a report.
      const key = String(p);
      out += /^[A-Za-z0-9_-]+$/.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function problemsOf(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  base: readonly PropertyKey[] = [],
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const at = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...at, key]), message: 'unknown key' });
    } else if (issue.code === 'invalid_key') {
      out.push({
        path: formatPath(at),
        message: `invalid key: ${issue.issues.map((i) => i.message).join('; ')}`,
      });
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      out.push(...unionProblems(issue.errors, input, at));
    } else {
      out.push({ path: formatPath(at), message: issue.message });
    }
  }
  return out;
}

/** A value matching no branch of a union (a server entry): report the form closest to what was written. */
function unionProblems(
  branches: readonly (readonly z.core.$ZodIssue[])[],
  input: unknown,
  at: PropertyKey[],
): ConfigProblem[] {
  const expanded = branches.map((b) => problemsOf(b, input, at));
  const best = expanded.reduce((a, b) => (b.length < a.length ? b : a));
  const here = formatPath(at);
  const value = valueAt(input, at);
  if (
    at.length === 2 &&
    at[0] === 'servers' &&
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value)
  ) {
    const hasCommand = 'command' in value;
    if (hasCommand === 'url' in value) {
      const rest = best.filter((p) => p.path !== `${here}.command` && p.path !== `${here}.url`);
      const message = hasCommand
        ? 'has both `command` (stdio server) and `url` (HTTP server); keep exactly one'
        : 'needs `command` (stdio server) or `url` (HTTP server)';
      return [{ path: here, message }, ...rest];
    }
  }
  return best.length > 0 ? best : [{ path: here, message: 'matches no allowed form' }];
}

/** Validates a decoded object; returns the config or the full list of problems. */
export function validateConfig(
  value: unknown,
): { config: Config; problems: [] } | { config: undefined; problems: ConfigProblem[] } {
  const input = value ?? {};
  const r = configSchema.safeParse(input);
  if (r.success) return { config: r.data, problems: [] };
  return { config: undefined, problems: problemsOf(r.error.issues, input) };
}

/** Parses YAML text and validates it; YAML syntax errors are problems too. */
export function parseConfigText(
  text: string,
): { config: Config; problems: [] } | { config: undefined; problems: ConfigProblem[] } {
  // linePos is only filled in by prettyErrors (which also copies source text into the message), so
  // lines are counted here instead.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    return {
      config: undefined,
      problems: doc.errors.map((e) => ({
        path: `(yaml line ${lineCounter.linePos(e.pos[0]).line})`,
        message: e.code + ': ' + e.message.split('\n')[0],
      })),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // toJS throws on alias expansion bombs (resource exhaustion); that is a problem in the file.
    return {
      config: undefined,
      problems: [{ path: '(yaml)', message: err instanceof Error ? err.message : String(err) }],
    };
  }
  return validateConfig(value);
}

/** Reads and validates a config file; throws ERR_CONFIG_INVALID listing every problem. */
export function loadConfigFile(file: string): Config {
  const text = readFileSync(file, 'utf8');
  const r = parseConfigText(text);
  if (r.config === undefined) {
    throw new WardenError('ERR_CONFIG_INVALID', `${file}: ${r.problems.length} problem(s)`, {
      data: { problems: r.problems },
    });
  }
  return r.config;
}

/** True when a config string value is a secret reference (`env:NAME`, `file:PATH`, `keyvault:NAME[/VERSION]`). */
export function isSecretRef(value: string): boolean {
  return SECRET_REF.test(value);
}

/** Resolves a secret reference; the error names the reference, never a value. */
export function resolveSecret(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.startsWith('env:')) {
    const v = env[ref.slice(4)];
    if (v === undefined)
      throw new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} is not set`, { data: { ref } });
    return v;
  }
  if (ref.startsWith('file:')) {
    try {
      return readFileSync(ref.slice(5), 'utf8').trim();
    } catch (err) {
      throw new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} cannot be read`, {
        data: { ref },
        cause: err,
      });
    }
  }
  throw new WardenError('ERR_SECRET_UNRESOLVED', 'not a secret reference', { data: {} });
}
