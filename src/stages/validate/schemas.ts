/**
 * Where tool schemas come from. Today: what Warden saw in each upstream's `tools/list` for the
 * session (`SeenToolSchemas`). Issue 5 pins tool definitions; a pinned source implements the same
 * `ToolSchemas` interface and replaces this one without touching validation.
 */

/** The schemas of one tool as its server listed them. */
export interface ToolSchema {
  /** The tool's `inputSchema` (JSON Schema 2020-12 unless it says otherwise). */
  readonly inputSchema: unknown;
  /** The tool's `outputSchema`, when it declared one. */
  readonly outputSchema: unknown;
}

/** A source of tool schemas, by server and the tool's own (upstream) name. */
export interface ToolSchemas {
  /** The tool's schemas, or undefined when the source does not know the tool. */
  get(server: string, tool: string): ToolSchema | undefined;
  /** True once the source holds the server's complete tool list. */
  complete(server: string): boolean;
  /** Records the tools of one `tools/list` page; `last` marks the final page of a full listing. */
  learn(server: string, tools: readonly unknown[], last: boolean): void;
  /** Forgets a server's tools (it said its list changed, or the connection ended). */
  forget(server: string): void;
}

/** Most tools remembered per server; a server listing more is treated as incomplete. */
const MAX_TOOLS_PER_SERVER = 10_000;

/** Tool schemas as listed by each upstream for one session. */
export class SeenToolSchemas implements ToolSchemas {
  private readonly byServer = new Map<string, Map<string, ToolSchema>>();
  private readonly full = new Set<string>();

  get(server: string, tool: string): ToolSchema | undefined {
    return this.byServer.get(server)?.get(tool);
  }

  complete(server: string): boolean {
    return this.full.has(server);
  }

  learn(server: string, tools: readonly unknown[], last: boolean): void {
    let m = this.byServer.get(server);
    if (m === undefined) {
      m = new Map();
      this.byServer.set(server, m);
    }
    for (const t of tools) {
      if (t === null || typeof t !== 'object') continue;
      const rec = t as Record<string, unknown>;
      if (typeof rec.name !== 'string' || m.size >= MAX_TOOLS_PER_SERVER) continue;
      m.set(rec.name, { inputSchema: rec.inputSchema, outputSchema: rec.outputSchema });
    }
    if (last && m.size < MAX_TOOLS_PER_SERVER) this.full.add(server);
  }

  forget(server: string): void {
    this.byServer.delete(server);
    this.full.delete(server);
  }
}
