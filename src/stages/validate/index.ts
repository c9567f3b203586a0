/**
 * Tool schema validation (issue 4, `policy:input-schema`, `policy:output-schema`): `tools/call`
 * arguments are checked against the tool's `inputSchema` before anything is forwarded, and a
 * result's `structuredContent` against its `outputSchema` before the client sees it. A failure is
 * not a protocol error but a tool result with `isError: true` and a readable reason, so the model
 * can correct its call (MCP 2025-11-25, tools: input validation errors are tool execution errors).
 */
import type { Logger } from '../../core/log.js';
import { DEFAULT_COMPILE_LIMITS, SchemaCompiler } from './compile.js';
import type { CompileLimits } from './compile.js';
import type { ToolSchema } from './schemas.js';

export { SeenToolSchemas } from './schemas.js';
export type { ToolSchema, ToolSchemas } from './schemas.js';

/** The `validation` section of the config. */
export interface ValidationConfig {
  /** Check `tools/call` arguments against `inputSchema` (default true). */
  readonly input: boolean;
  /** Check `structuredContent` against `outputSchema` (default true). */
  readonly output: boolean;
}

/** A tool result carrying a refusal: what the client receives instead of a forwarded call or a bad result. */
export function toolError(text: string): Record<string, unknown> {
  return { content: [{ type: 'text', text }], isError: true };
}

/** Validates tool calls and results; built once per pipeline. */
export interface ToolValidation {
  readonly input: boolean;
  readonly output: boolean;
  /**
   * Why the arguments may not be forwarded, or undefined when they fit. A tool the server never
   * listed, and a schema that cannot be compiled, are refusals too (fail closed).
   */
  checkInput(server: string, tool: string, schema: ToolSchema | undefined, args: unknown): string | undefined;
  /** Why a `tools/call` result may not be delivered, or undefined when it fits (or no schema applies). */
  checkOutput(
    server: string,
    tool: string,
    schema: ToolSchema | undefined,
    result: Record<string, unknown>,
  ): string | undefined;
}

/** Builds the validation of one pipeline. */
export function createToolValidation(
  cfg: ValidationConfig,
  log: Logger,
  limits: CompileLimits = DEFAULT_COMPILE_LIMITS,
): ToolValidation {
  const compiler = new SchemaCompiler(limits);

  // undefined: the value fits; `unusable`: the schema itself was refused; `mismatch`: the value does not fit.
  const run = (
    server: string,
    tool: string,
    which: string,
    schema: unknown,
    value: unknown,
  ): { unusable: string } | { mismatch: string } | undefined => {
    const c = compiler.compile(schema);
    if (!c.ok) {
      log.warn('tool schema refused', { server, tool, schema: which, reason: c.reason });
      return {
        unusable: `Warden refused the call: the ${which} of tool '${tool}' is unusable (${c.reason}).`,
      };
    }
    const why = c.check(value);
    return why === undefined ? undefined : { mismatch: why };
  };

  return {
    input: cfg.input,
    output: cfg.output,
    checkInput(server, tool, schema, args) {
      if (!cfg.input) return undefined;
      if (schema === undefined)
        return `Warden refused the call: server '${server}' does not list a tool named '${tool.slice(0, 128)}'.`;
      // A tool without an inputSchema breaks the spec (it is required); an empty object schema is
      // the least it may accept, so a missing one is treated as that.
      const s = schema.inputSchema === undefined ? { type: 'object' } : schema.inputSchema;
      const v = run(server, tool, 'inputSchema', s, args ?? {});
      if (v === undefined) return undefined;
      if ('unusable' in v) return v.unusable;
      return `Invalid arguments for tool '${tool}': ${v.mismatch.replace(/^the value/, 'the arguments')}. The call was not forwarded.`;
    },
    checkOutput(server, tool, schema, result) {
      if (!cfg.output || schema?.outputSchema === undefined || result.isError === true) return undefined;
      if (!('structuredContent' in result))
        return `Warden withheld the result of tool '${tool}': it declares an outputSchema but returned no structuredContent.`;
      const v = run(server, tool, 'outputSchema', schema.outputSchema, result.structuredContent);
      if (v === undefined) return undefined;
      if ('unusable' in v) return v.unusable.replace('refused the call', 'withheld the result');
      return `Warden withheld the result of tool '${tool}': its structuredContent does not match the tool's outputSchema (${v.mismatch.replace(/^the value/, 'structuredContent')}).`;
    },
  };
}
