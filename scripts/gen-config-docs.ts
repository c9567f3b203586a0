/**
 * Generates the committed artefacts derived from the configuration schema and the error table:
 * `schema/warden.schema.json`, `docs/config.md` and `docs/errors.md`. `npm run gen` runs it; a test
 * fails when the committed files differ from `generate()`. Output is deterministic (no dates, no
 * machine paths) and every file ends with a newline.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { JSONSchema } from 'zod/v4/core';
import { parseConfigText } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';
import { ERRORS, RPC } from '../src/core/errors.js';

type Schema = JSONSchema.JSONSchema;

/** The `$id` of the generated JSON Schema. */
export const SCHEMA_ID = 'urn:mcp-warden:schema:config';

/** Repository-relative paths of the generated files. */
export const OUTPUTS = {
  schemaJson: 'schema/warden.schema.json',
  configMd: 'docs/config.md',
  errorsMd: 'docs/errors.md',
} as const;

/** The example at the top of docs/config.md: the embedded default written out, plus a remote server. */
const EXAMPLE_YAML = `# warden.yaml: the embedded default (used when Warden starts without a file), plus an HTTP server.
listen:
  host: 127.0.0.1 # loopback; auth.mode "none" is refused anywhere else
  port: 8787
publicUrl: http://127.0.0.1:8787
dataDir: .warden
servers:
  notes: # stdio: the bundled demo server, launched as a child process
    command: node
    args: [dist/examples/servers/notes/server.js]
    env:
      NOTES_DIR: .warden/notes
    inheritEnv: []
  remote: # HTTP: a Streamable HTTP MCP endpoint
    url: https://mcp.example.com/mcp
`;

const GENERATED_NOTE = (source: string): string =>
  `<!-- Generated from ${source} by \`npm run gen\` (scripts/gen-config-docs.ts). Do not edit by hand. -->`;

/** The configuration JSON Schema (input side: what a file may contain), with `$id` and `title`. */
function configJsonSchema(): Schema {
  const raw = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema: raw.$schema,
    $id: SCHEMA_ID,
    title: raw.title ?? 'Warden configuration',
    description: raw.description,
    ...raw,
  };
}

function asSchema(s: JSONSchema._JSONSchema | undefined): Schema | undefined {
  return typeof s === 'object' ? s : undefined;
}

/** Markdown text outside code spans: `<` and `>` escaped so `/mcp/<name>` is not taken for HTML. */
function md(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('');
}

/** A table cell: markdown text with `|` escaped (GitHub honours `\|` inside code spans in tables too). */
function cell(text: string): string {
  return md(text).replace(/\|/g, '\\|');
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function typeOf(s: Schema): string {
  if (s.enum !== undefined) return `one of ${s.enum.map((v) => code(JSON.stringify(v))).join(', ')}`;
  if (s.anyOf !== undefined) return `one of ${s.anyOf.length} forms (below)`;
  switch (s.type) {
    case 'string': {
      const notes: string[] = [];
      if (s.format === 'uri') notes.push('URL');
      if (s.minLength !== undefined && s.minLength > 0)
        notes.push(s.minLength === 1 ? 'non-empty' : `at least ${s.minLength} characters`);
      if (s.pattern !== undefined) notes.push(`matching ${code(s.pattern)}`);
      return notes.length > 0 ? `string (${notes.join(', ')})` : 'string';
    }
    case 'integer':
    case 'number': {
      const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
      const min = s.minimum;
      if (min !== undefined && max !== undefined) return `${s.type}, ${min} to ${max}`;
      if (min !== undefined) return `${s.type}, at least ${min}`;
      if (max !== undefined) return `${s.type}, at most ${max}`;
      return s.type;
    }
    case 'array': {
      const items = asSchema(Array.isArray(s.items) ? undefined : s.items);
      return items === undefined ? 'list' : `list of ${typeOf(items)}`;
    }
    case 'object': {
      const values = asSchema(s.additionalProperties);
      if (s.properties === undefined && values !== undefined) {
        const keys = asSchema(s.propertyNames);
        const keyText = keys?.pattern !== undefined ? `name matching ${code(keys.pattern)}` : 'name';
        return `map: ${keyText} → ${values.anyOf !== undefined ? 'entry' : typeOf(values)}`;
      }
      return 'object';
    }
    default:
      return s.type === undefined ? 'any' : String(s.type);
  }
}

function defaultOf(s: Schema, required: boolean): string {
  if (required) return 'required';
  if (s.default === undefined) return '—';
  if (typeof s.default === 'string') return s.default === '' ? code('""') : code(s.default);
  return code(JSON.stringify(s.default));
}

function isObjectWithProperties(s: Schema): boolean {
  return s.type === 'object' && s.properties !== undefined;
}

const TABLE_HEAD = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];

function row(keyPath: string, s: Schema, required: boolean): string {
  return `| ${code(keyPath)} | ${cell(typeOf(s))} | ${cell(defaultOf(s, required))} | ${cell(s.description ?? '')} |`;
}

/** A table of an object's properties, then one sub-section per nested object or map of entries. */
function renderObject(out: string[], prefix: string, s: Schema, level: number): void {
  const props = Object.entries(s.properties ?? {});
  const required = new Set(s.required ?? []);
  out.push(...TABLE_HEAD);
  for (const [key, sub] of props) {
    const subSchema = asSchema(sub);
    if (subSchema !== undefined) out.push(row(`${prefix}.${key}`, subSchema, required.has(key)));
  }
  out.push('');
  for (const [key, sub] of props) {
    const subSchema = asSchema(sub);
    if (subSchema !== undefined) renderNested(out, `${prefix}.${key}`, subSchema, level + 1);
  }
}

/** Sub-sections for a property that is itself an object or a map of entries; nothing for scalars. */
function renderNested(out: string[], keyPath: string, s: Schema, level: number): void {
  const hashes = '#'.repeat(Math.min(level, 6));
  if (isObjectWithProperties(s)) {
    out.push(`${hashes} ${code(keyPath)}`, '');
    if (s.description !== undefined) out.push(md(s.description), '');
    renderObject(out, keyPath, s, level);
    return;
  }
  const values = asSchema(s.additionalProperties);
  if (s.type !== 'object' || s.properties !== undefined || values === undefined) return;
  const entryPath = `${keyPath}.<name>`;
  if (values.anyOf !== undefined) {
    const forms = values.anyOf;
    const keys = forms.map((f) => (f.required ?? []).map(code).join(' and ')).filter((k) => k !== '');
    out.push(
      `Each entry of ${code(keyPath)} takes one of ${forms.length} forms, told apart by its required key: ` +
        `an entry has exactly one of ${keys.join(' or ')}; both or neither is an error.`,
      '',
    );
    forms.forEach((form, i) => {
      const req = (form.required ?? []).map(code).join(', ');
      out.push(`${hashes} Form ${i + 1}: entries with ${req}`, '');
      if (form.description !== undefined) out.push(md(form.description), '');
      renderObject(out, entryPath, form, level);
    });
  } else if (isObjectWithProperties(values)) {
    out.push(`${hashes} ${code(entryPath)}`, '');
    if (values.description !== undefined) out.push(md(values.description), '');
    renderObject(out, entryPath, values, level);
  }
}

function renderConfigMd(schema: Schema): string {
  const out: string[] = [
    `# ${schema.title ?? 'Configuration'} reference`,
    '',
    GENERATED_NOTE('src/config/schema.ts'),
    '',
  ];
  if (schema.description !== undefined) out.push(md(schema.description), '');
  out.push(
    'The file is YAML. Keys not marked required may be left out and take the default shown; unknown keys are errors at every level. ' +
      '`warden check-config FILE` lists every problem in a file with its key path. ' +
      `The same rules are published as a JSON Schema (draft 2020-12) in ${code(OUTPUTS.schemaJson)}.`,
    '',
    'Secrets never appear in the file itself: where a value is resolved as a secret it is a reference, `env:NAME` (an environment variable) or `file:PATH` (a file, trimmed).',
    '',
    '## Example',
    '',
    '```yaml',
    ...EXAMPLE_YAML.trimEnd().split('\n'),
    '```',
    '',
    '## Top-level keys',
    '',
    '| Key | Description |',
    '| --- | --- |',
  );
  const top = Object.entries(schema.properties ?? {}).flatMap(([key, sub]) => {
    const s = asSchema(sub);
    return s === undefined ? [] : [{ key, s }];
  });
  for (const { key, s } of top)
    out.push(`| [${code(key)}](#${key.toLowerCase()}) | ${cell(s.description ?? '')} |`);
  out.push('');
  for (const { key, s } of top) {
    out.push(`## ${code(key)}`, '');
    if (isObjectWithProperties(s)) {
      if (s.description !== undefined) out.push(md(s.description), '');
      renderObject(out, key, s, 2);
    } else {
      out.push(...TABLE_HEAD, row(key, s, (schema.required ?? []).includes(key)), '');
      renderNested(out, key, s, 3);
    }
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

function renderErrorsMd(): string {
  const rpcNames = new Map<number, string>(Object.entries(RPC).map(([name, value]) => [value, name]));
  const out: string[] = [
    '# Warden error codes',
    '',
    GENERATED_NOTE('src/core/errors.ts'),
    '',
    'Every refusal Warden makes carries one of these codes, in the JSON-RPC error `data` and in the audit record. ' +
      'The HTTP status applies when the error ends an HTTP exchange; the JSON-RPC code is the `code` of the error response.',
    '',
    '| Code | HTTP status | JSON-RPC code | Meaning | Operator fix |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [name, spec] of Object.entries(ERRORS)) {
    const rpcName = rpcNames.get(spec.rpc);
    const rpc = rpcName === undefined ? String(spec.rpc) : `${spec.rpc} (${rpcName})`;
    out.push(`| ${code(name)} | ${spec.status} | ${rpc} | ${cell(spec.meaning)} | ${cell(spec.fix)} |`);
  }
  return out.join('\n') + '\n';
}

/** Produces the three generated files' contents; throws when the embedded example no longer validates. */
export function generate(): { schemaJson: string; configMd: string; errorsMd: string } {
  const example = parseConfigText(EXAMPLE_YAML);
  if (example.config === undefined) {
    throw new Error(
      `docs example is not a valid config: ${example.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }
  const schema = configJsonSchema();
  return {
    schemaJson: JSON.stringify(schema, null, 2) + '\n',
    configMd: renderConfigMd(schema),
    errorsMd: renderErrorsMd(),
  };
}

/** The repository root: the nearest directory above this file (source or compiled) holding package.json. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('gen-config-docs: no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

function main(): void {
  const root = repoRoot();
  const files = generate();
  for (const key of Object.keys(OUTPUTS) as (keyof typeof OUTPUTS)[]) {
    const target = path.join(root, OUTPUTS[key]);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, files[key]);
    process.stdout.write(`wrote ${OUTPUTS[key]}\n`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
