import { describe, expect, it } from 'vitest';
import { SchemaCompiler, canonicalJson } from '../../src/stages/validate/compile.js';

function compiled(c: SchemaCompiler, schema: unknown): (v: unknown) => string | undefined {
  const r = c.compile(schema);
  if (!r.ok) throw new Error(`expected a compiled schema, got: ${r.reason}`);
  return r.check;
}

describe('tool schema compiler', () => {
  it('validates JSON Schema 2020-12 with formats and names the first problem', () => {
    const check = compiled(new SchemaCompiler(), {
      type: 'object',
      properties: { path: { type: 'string', minLength: 1 }, email: { type: 'string', format: 'email' } },
      required: ['path'],
      additionalProperties: false,
    });
    expect(check({ path: 'a' })).toBeUndefined();
    expect(check({})).toMatch(/must have required property 'path'/);
    expect(check({ path: 'a', email: 'nope' })).toMatch(/'\/email' must match format "email"/);
    expect(check({ path: 'a', extra: 1 })).toMatch(/must NOT have additional properties/);
    expect(check({ path: 'a', email: 'x@example.com' })).toBeUndefined();
  });

  it('compiles a schema once per canonical hash, whatever the key order', () => {
    const c = new SchemaCompiler();
    const a = c.compile({ type: 'object', properties: { x: { type: 'number' } } });
    const b = c.compile({ properties: { x: { type: 'number' } }, type: 'object' });
    expect(b).toBe(a);
    expect(c.size).toBe(1);
  });

  it('reads a schema object it has seen once only: the next call of the same listed tool skips canonical JSON and the digest', () => {
    const c = new SchemaCompiler();
    let reads = 0;
    const schema: Record<string, unknown> = { type: 'object' };
    Object.defineProperty(schema, 'properties', {
      enumerable: true,
      get: () => {
        reads++;
        return { x: { type: 'number' } };
      },
    });
    const a = c.compile(schema);
    const afterFirst = reads;
    expect(afterFirst).toBeGreaterThan(0);
    expect(c.compile(schema)).toBe(a);
    expect(reads).toBe(afterFirst);
    // Another object with the same content still shares the compiled check, by content.
    expect(c.compile({ type: 'object', properties: { x: { type: 'number' } } })).toBe(a);
    expect(compiled(c, schema)({ x: 'no' })).toMatch(/must be number/);
  });

  it('keeps the cache bounded, least recently used out', () => {
    const c = new SchemaCompiler({ maxBytes: 10_000, maxDepth: 16, cacheSize: 3 });
    const first = c.compile({ type: 'string', minLength: 0 });
    for (let i = 1; i <= 5; i++) c.compile({ type: 'string', minLength: i });
    expect(c.size).toBe(3);
    expect(c.compile({ type: 'string', minLength: 0 })).not.toBe(first);
  });

  it.each(['^(a+)+$', '^(a|aa)+$', '^(a|a?)+$'])(
    'runs the catastrophic pattern %s in linear time',
    (pattern) => {
      const check = compiled(new SchemaCompiler(), { type: 'string', pattern });
      const t0 = performance.now();
      expect(check('a'.repeat(100_000) + '!')).toMatch(/must match pattern/);
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(check('aaaa')).toBeUndefined();
    },
  );

  it('keeps ordinary patterns the linear engine cannot run, with Unicode semantics', () => {
    const c = new SchemaCompiler();
    const id = compiled(c, { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' });
    expect(id('note_1')).toBeUndefined();
    expect(id('x'.repeat(65))).toMatch(/must match pattern/);
    const letters = compiled(c, { type: 'string', pattern: '^\\p{L}+$' });
    expect(letters('héllo')).toBeUndefined();
    expect(letters('h3llo')).toMatch(/must match pattern/);
  });

  it('refuses what it will not compile: remote $ref, nested quantifiers the linear engine cannot run, deep nesting, huge schemas, nonsense', () => {
    const c = new SchemaCompiler({ maxBytes: 4096, maxDepth: 32, cacheSize: 100 });
    const reasons = [
      c.compile({ $ref: 'https://schemas.example.com/evil.json' }),
      c.compile({ type: 'string', pattern: '^(a+)+\\1$' }),
      c.compile({ type: 'object', patternProperties: { '^(\\p{L}+)+$': { type: 'string' } } }),
      c.compile(JSON.parse('{"properties":'.repeat(40) + '{}' + '}'.repeat(40)) as unknown),
      c.compile({ enum: Array.from({ length: 1000 }, (_, i) => `value-${i}`) }),
      c.compile({ type: 'nonsense' }),
      c.compile('not a schema'),
    ].map((r) => (r.ok ? 'compiled' : r.reason));
    expect(reasons[0]).toMatch(/cannot be compiled/);
    expect(reasons[1]).toMatch(/cannot be compiled: pattern .* could backtrack catastrophically/);
    expect(reasons[2]).toMatch(/cannot be compiled: pattern .* could backtrack catastrophically/);
    expect(reasons[3]).toMatch(/deeper than 32/);
    expect(reasons[4]).toMatch(/larger than 4096 bytes/);
    expect(reasons[5]).toMatch(/cannot be compiled/);
    expect(reasons[6]).toMatch(/not a JSON Schema object/);
  });

  it('honours the $schema dialect: 2020-12 by default, 2019-09 and draft-07 when named, others refused', () => {
    const c = new SchemaCompiler();
    const draft7 = compiled(c, {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { a: { type: 'string' } },
      additionalProperties: false,
    });
    expect(draft7({ a: 'x' })).toBeUndefined();
    expect(draft7({ b: 1 })).toMatch(/must NOT have additional properties/);
    // prefixItems exists in 2020-12 only.
    const tuple = { type: 'array', prefixItems: [{ type: 'number' }] };
    expect(compiled(c, tuple)(['x'])).toMatch(/must be number/);
    expect(
      compiled(c, { ...tuple, $schema: 'https://json-schema.org/draft/2019-09/schema' })(['x']),
    ).toBeUndefined();
    const d4 = c.compile({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' });
    expect(d4.ok ? 'compiled' : d4.reason).toBe('schema names a $schema dialect Warden does not support');
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null }, 8)).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });
});
