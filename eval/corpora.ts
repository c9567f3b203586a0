/**
 * Where the public labelled corpora are read from at run time (never copied into the project):
 * `WARDEN_CORPORA` when set, else `../shared/corpora` next to the repository root. A missing source
 * is skipped with a note on standard error.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** Repository root (this file runs from `dist/eval/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The corpora folder: `WARDEN_CORPORA` or `<repo>/../shared/corpora`. */
export function corporaRoot(): string {
  const env = process.env.WARDEN_CORPORA;
  return env !== undefined && env !== '' ? resolve(env) : resolve(REPO_ROOT, '..', 'shared', 'corpora');
}

/** Reads a corpus file as text, or undefined (with a note) when it is absent. */
export function readCorpus(rel: string): string | undefined {
  const p = join(corporaRoot(), rel);
  if (!existsSync(p)) {
    process.stderr.write(`eval: skipping ${rel}: not found under ${corporaRoot()}\n`);
    return undefined;
  }
  return readFileSync(p, 'utf8');
}

/** The `content` strings of a Parapet-style YAML list (`- id: … content: …`). */
export function yamlContents(rel: string): string[] | undefined {
  const t = readCorpus(rel);
  if (t === undefined) return undefined;
  const doc = parseYaml(t) as unknown;
  if (!Array.isArray(doc)) return [];
  const out: string[] = [];
  for (const row of doc as unknown[]) {
    const c = (row as { content?: unknown } | null)?.content;
    if (typeof c === 'string') out.push(c);
  }
  return out;
}

/** Rows of an RFC 4180 CSV text (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/**
 * The fold a text belongs to: `test` for about half the texts, decided by the SHA-256 of the text
 * (stable across runs and machines, independent of order), `train` otherwise.
 */
export function foldOf(text: string): 'train' | 'test' {
  const b = createHash('sha256').update(text).digest()[0] ?? 0;
  return b < 128 ? 'test' : 'train';
}
