/**
 * Loading: YAML text → validated Config, with every problem reported by path; secret references
 * resolved without ever placing their values in errors or logs.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { WardenError } from '../core/errors.js';
import { configSchema } from './schema.js';
import type { Config } from './schema.js';

/** One configuration problem: a dotted path and what is wrong there. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

function problemsOf(error: z.ZodError): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
    } else if (issue.code === 'invalid_union') {
      // A server entry that matches neither form: report the branch closest to what was written.
      const branches = issue.errors;
      const best = branches.reduce((a, b) => (a.length <= b.length ? a : b), branches[0] ?? []);
      for (const sub of best) out.push({ path: formatPath([...issue.path, ...sub.path]), message: sub.message });
      if (best.length === 0) out.push({ path: formatPath(issue.path), message: issue.message });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

/** Validates a decoded object; returns the config or the full list of problems. */
export function validateConfig(value: unknown): { config: Config; problems: [] } | { config: undefined; problems: ConfigProblem[] } {
  const r = configSchema.safeParse(value ?? {});
  if (r.success) return { config: r.data, problems: [] };
  return { config: undefined, problems: problemsOf(r.error) };
}

/** Parses YAML text and validates it; YAML syntax errors are problems too. */
export function parseConfigText(text: string): { config: Config; problems: [] } | { config: undefined; problems: ConfigProblem[] } {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      config: undefined,
      problems: doc.errors.map((e) => ({ path: `(yaml line ${e.linePos?.[0]?.line ?? '?'})`, message: e.code + ': ' + e.message.split('\n')[0] })),
    };
  }
  return validateConfig(doc.toJS({ maxAliasCount: 100 }));
}

/** Reads and validates a config file; throws ERR_CONFIG_INVALID listing every problem. */
export function loadConfigFile(file: string): Config {
  const text = readFileSync(file, 'utf8');
  const r = parseConfigText(text);
  if (r.config === undefined) {
    throw new WardenError('ERR_CONFIG_INVALID', `${file}: ${r.problems.length} problem(s)`, { data: { problems: r.problems } });
  }
  return r.config;
}

/** True when a config string value is a secret reference. */
export function isSecretRef(value: string): boolean {
  return /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(value) || /^file:.+/.test(value);
}

/** Resolves a secret reference; the error names the reference, never a value. */
export function resolveSecret(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.startsWith('env:')) {
    const v = env[ref.slice(4)];
    if (v === undefined) throw new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} is not set`, { data: { ref } });
    return v;
  }
  if (ref.startsWith('file:')) {
    try {
      return readFileSync(ref.slice(5), 'utf8').trim();
    } catch (err) {
      throw new WardenError('ERR_SECRET_UNRESOLVED', `secret ${ref} cannot be read`, { data: { ref }, cause: err });
    }
  }
  throw new WardenError('ERR_SECRET_UNRESOLVED', 'not a secret reference', { data: {} });
}
