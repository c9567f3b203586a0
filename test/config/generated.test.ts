/**
 * The committed generated files (JSON Schema, config reference, error table) must equal what
 * `scripts/gen-config-docs.ts` produces now; when they drift, `npm run gen` regenerates them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generate, OUTPUTS, repoRoot, SCHEMA_ID } from '../../scripts/gen-config-docs.js';
import { parseConfigText } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { ERRORS } from '../../src/core/errors.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const generated = generate();

function committed(rel: string): string | undefined {
  try {
    return readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');
  } catch {
    return undefined;
  }
}

describe('generated files', () => {
  for (const key of Object.keys(OUTPUTS) as (keyof typeof OUTPUTS)[]) {
    it(`${OUTPUTS[key]} is up to date`, () => {
      const onDisk = committed(OUTPUTS[key]);
      expect(onDisk, `${OUTPUTS[key]} is missing: run \`npm run gen\``).toBeDefined();
      expect(
        onDisk,
        `${OUTPUTS[key]} differs from scripts/gen-config-docs.ts output: run \`npm run gen\``,
      ).toBe(generated[key]);
    });
  }

  it('is deterministic, ends with one newline and holds no machine path', () => {
    expect(generate()).toEqual(generated);
    for (const text of Object.values(generated)) {
      expect(text.endsWith('\n')).toBe(true);
      expect(text.endsWith('\n\n')).toBe(false);
      expect(text).not.toContain(root);
    }
  });

  it('resolves the repository root from the script location', () => {
    expect(repoRoot().replace(/\/?$/, '/')).toBe(root.replace(/\/?$/, '/'));
  });

  it('the JSON Schema is draft 2020-12 with $id and title, strict everywhere', () => {
    const schema = JSON.parse(generated.schemaJson);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(SCHEMA_ID);
    expect(schema.title).toBe('Warden configuration');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(Object.keys(configSchema.shape));
    const forms = schema.properties.servers.additionalProperties.anyOf;
    expect(forms.map((f: { required: string[] }) => f.required)).toEqual([['command'], ['url']]);
    for (const f of forms) expect(f.additionalProperties).toBe(false);
  });

  it('config.md has a section per top-level key, both server forms and a valid example', () => {
    for (const key of Object.keys(configSchema.shape))
      expect(generated.configMd).toContain(`\n## \`${key}\`\n`);
    expect(generated.configMd).toContain('### Form 1: entries with `command`');
    expect(generated.configMd).toContain('### Form 2: entries with `url`');
    expect(generated.configMd).toContain('| `listen.port` | integer, 0 to 65535 | `8787` |');
    expect(generated.configMd).toContain('| `servers.<name>.command` | string (non-empty) | required |');
    const example = /```yaml\n([\s\S]*?)```/.exec(generated.configMd)?.[1];
    expect(example).toBeDefined();
    const parsed = parseConfigText(example!);
    expect(parsed.problems).toEqual([]);
    expect(Object.keys(parsed.config!.servers)).toEqual(['notes', 'remote']);
    expect(example).toMatch(/^listen:/m);
    expect(example).toMatch(/^publicUrl:/m);
    expect(example).toMatch(/^dataDir:/m);
  });

  it('errors.md has one row per error code with status and JSON-RPC code', () => {
    const rows = generated.errorsMd.split('\n').filter((l) => l.startsWith('| `ERR_'));
    expect(rows).toHaveLength(Object.keys(ERRORS).length);
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = rows.find((r) => r.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row).toContain(`| ${spec.status} | ${spec.rpc}`);
    }
  });
});
