/**
 * Compiles tool JSON Schemas (2020-12) once per schema: the cache key is the SHA-256 of the
 * schema's canonical JSON (object keys sorted), so the same schema listed by many sessions or
 * servers is compiled once. Upstream schemas are untrusted input: size and nesting are capped
 * before ajv sees them, remote `$ref`s are never loaded, patterns are screened for catastrophic
 * backtracking (regexp.ts), and
 * a schema that cannot be compiled is remembered as such, so the refusal is cheap the next time.
 */
import { createHash } from 'node:crypto';
import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { schemaRegExp } from './regexp.js';

/** Bounds on what Warden agrees to compile. */
export interface CompileLimits {
  /** Largest schema accepted, in bytes of canonical JSON (default 262144). */
  readonly maxBytes: number;
  /** Deepest nesting of objects and arrays accepted (default 64). */
  readonly maxDepth: number;
  /** Compiled (or refused) schemas kept, least recently used out (default 1000). */
  readonly cacheSize: number;
}

/** Default compile limits. */
export const DEFAULT_COMPILE_LIMITS: CompileLimits = { maxBytes: 262_144, maxDepth: 64, cacheSize: 1000 };

/** A compiled schema: a check returning a readable reason on failure, undefined when the value fits. */
export type SchemaCheck = (value: unknown) => string | undefined;

/** Either a compiled check or the reason the schema was refused. */
export type Compiled =
  { readonly ok: true; readonly check: SchemaCheck } | { readonly ok: false; readonly reason: string };

// ajv-formats is CommonJS with a default export; under NodeNext the callable is on `.default`.
const addFormats = addFormatsModule.default;

/** `$schema` values Warden compiles, and the ajv class that implements each dialect. */
const DIALECTS: readonly [RegExp, typeof Ajv2020 | typeof Ajv2019 | typeof Ajv][] = [
  [/^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/, Ajv2020],
  [/^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/, Ajv2019],
  [/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/, Ajv],
];

/** The ajv class for a schema: 2020-12 when it names no dialect (MCP's default), else the one it names. */
function engineFor(schema: unknown): typeof Ajv2020 | typeof Ajv2019 | typeof Ajv | undefined {
  const dialect = typeof schema === 'object' ? (schema as Record<string, unknown>).$schema : undefined;
  if (dialect === undefined) return Ajv2020;
  if (typeof dialect !== 'string') return undefined;
  return DIALECTS.find(([re]) => re.test(dialect))?.[1];
}

/** JSON text with object keys sorted at every level; also measures depth (throws past `maxDepth`). */
export function canonicalJson(value: unknown, maxDepth: number): string {
  const walk = (v: unknown, depth: number): string => {
    if (depth > maxDepth) throw new RangeError(`schema nests deeper than ${maxDepth} levels`);
    if (Array.isArray(v)) return `[${v.map((x) => walk(x, depth + 1)).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v).sort();
      const rec = v as Record<string, unknown>;
      return `{${keys.map((k) => `${JSON.stringify(k)}:${walk(rec[k], depth + 1)}`).join(',')}}`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  return walk(value, 0);
}

/** One ajv error as a short sentence: where, and what was expected. */
function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'the value' : `'${e.instancePath}'`;
  return `${where} ${e.message ?? 'is invalid'}`.slice(0, 300);
}

/** Compiles and caches tool schemas. */
export class SchemaCompiler {
  private readonly cache = new Map<string, Compiled>();
  /**
   * One instance per dialect that only checks schemas against their meta-schema. Compiling the
   * meta-schema costs about 20 ms of CPU, so it is done once per dialect here rather than once per
   * tool schema in each fresh instance (which then skips that check).
   */
  private readonly meta = new Map<typeof Ajv2020 | typeof Ajv2019 | typeof Ajv, Ajv>();
  /**
   * The same schema object seen again (a session's listed tool, call after call) skips the
   * canonical JSON and the digest. Schemas come from parsed upstream JSON that nothing mutates; a
   * relisting brings new objects, which are keyed afresh by content.
   */
  private readonly byObject = new WeakMap<object, Compiled>();

  constructor(private readonly limits: CompileLimits = DEFAULT_COMPILE_LIMITS) {}

  /** Compiled schemas and refusals held. */
  get size(): number {
    return this.cache.size;
  }

  /** The check for `schema`, compiled on first sight; refusals are cached like successes. */
  compile(schema: unknown): Compiled {
    if (schema !== null && typeof schema === 'object') {
      const seen = this.byObject.get(schema);
      if (seen !== undefined) return seen;
      const made = this.compileByContent(schema);
      this.byObject.set(schema, made);
      return made;
    }
    return this.compileByContent(schema);
  }

  private compileByContent(schema: unknown): Compiled {
    let text: string;
    try {
      text = canonicalJson(schema, this.limits.maxDepth);
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : 'schema is not JSON' };
    }
    if (Buffer.byteLength(text) > this.limits.maxBytes) {
      return { ok: false, reason: `schema is larger than ${this.limits.maxBytes} bytes` };
    }
    const key = createHash('sha256').update(text).digest('base64url');
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const made = this.build(JSON.parse(text) as unknown);
    if (this.cache.size >= this.limits.cacheSize) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, made);
    return made;
  }

  private build(schema: unknown): Compiled {
    if (
      typeof schema !== 'boolean' &&
      (schema === null || typeof schema !== 'object' || Array.isArray(schema))
    ) {
      return { ok: false, reason: 'schema is not a JSON Schema object' };
    }
    let fn: ValidateFunction;
    try {
      // A fresh ajv per schema: ajv keeps every schema it compiled (and its $ids) for good, so one
      // shared instance would grow without bound and let one server's schema $ref another's.
      // strict: false because real servers publish unknown keywords; allErrors off so a hostile
      // value stops at its first problem; no loadSchema, so a remote $ref is never fetched.
      const Engine = engineFor(schema);
      if (Engine === undefined)
        return { ok: false, reason: 'schema names a $schema dialect Warden does not support' };
      let meta = this.meta.get(Engine);
      if (meta === undefined) {
        meta = new Engine({ strict: false, allErrors: false, code: { regExp: schemaRegExp } });
        addFormats(meta);
        this.meta.set(Engine, meta);
      }
      if (meta.validateSchema(schema) !== true)
        throw new Error(`schema is invalid: ${meta.errorsText(meta.errors)}`);
      const ajv = new Engine({
        strict: false,
        allErrors: false,
        validateSchema: false,
        code: { regExp: schemaRegExp },
      });
      addFormats(ajv);
      fn = ajv.compile(schema);
    } catch (err) {
      return {
        ok: false,
        reason: `schema cannot be compiled: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown'}`,
      };
    }
    return {
      ok: true,
      check: (value) => {
        if (fn(value)) return undefined;
        const first = fn.errors?.[0];
        return first === undefined ? 'the value does not match the schema' : describe(first);
      },
    };
  }
}
