/**
 * What the notes server offers: tool and prompt definitions, and the code behind each tool.
 * Tool failures come back as `isError` results the model can read, never as protocol errors.
 */
import { CODE, RpcError, isObject, type JsonObject } from './rpc.js';
import { MAX_MATCHES, MAX_NOTE_BYTES, NoteError, checkName, type NoteStore } from './store.js';

const NAME_SCHEMA = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'Note name: 1-64 letters, digits, "_" or "-".',
};

const LIST_OUTPUT = {
  type: 'object',
  properties: {
    notes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          bytes: { type: 'integer', minimum: 0 },
          modified: { type: 'string', format: 'date-time' },
        },
        required: ['name', 'bytes', 'modified'],
      },
    },
  },
  required: ['notes'],
};

const SEARCH_OUTPUT = {
  type: 'object',
  properties: {
    query: { type: 'string' },
    matches: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          line: { type: 'integer', minimum: 1 },
          snippet: { type: 'string' },
        },
        required: ['name', 'line', 'snippet'],
      },
    },
    truncated: { type: 'boolean', description: `True when more than ${MAX_MATCHES} lines matched.` },
  },
  required: ['query', 'matches', 'truncated'],
};

/** The tool list, in the deterministic order `tools/list` returns it. */
export const TOOLS: readonly JsonObject[] = [
  {
    name: 'list_notes',
    title: 'List notes',
    description: 'List every stored note with its size in bytes and last-modified time.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    outputSchema: LIST_OUTPUT,
    annotations: { title: 'List notes', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'read_note',
    title: 'Read a note',
    description: 'Return the full text of one note.',
    inputSchema: {
      type: 'object',
      properties: { name: NAME_SCHEMA },
      required: ['name'],
      additionalProperties: false,
    },
    annotations: { title: 'Read a note', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'search_notes',
    title: 'Search notes',
    description:
      'Case-insensitive substring search across all notes; returns each matching line with a snippet.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 256, description: 'Text to look for.' },
      },
      required: ['query'],
      additionalProperties: false,
    },
    outputSchema: SEARCH_OUTPUT,
    annotations: { title: 'Search notes', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'write_note',
    title: 'Write a note',
    description: `Create a note, or replace an existing note's text entirely. Content is limited to ${MAX_NOTE_BYTES} bytes.`,
    inputSchema: {
      type: 'object',
      properties: { name: NAME_SCHEMA, content: { type: 'string', description: 'The full note text.' } },
      required: ['name', 'content'],
      additionalProperties: false,
    },
    annotations: {
      title: 'Write a note',
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  {
    name: 'delete_note',
    title: 'Delete a note',
    description: 'Permanently delete one note.',
    inputSchema: {
      type: 'object',
      properties: { name: NAME_SCHEMA },
      required: ['name'],
      additionalProperties: false,
    },
    annotations: { title: 'Delete a note', readOnlyHint: false, destructiveHint: true, openWorldHint: false },
  },
];

/** The prompt list. */
export const PROMPTS: readonly JsonObject[] = [
  {
    name: 'summarize_note',
    title: 'Summarize a note',
    description: 'Ask the model for a short summary of one note.',
    arguments: [{ name: 'name', description: 'Name of the note to summarize.', required: true }],
  },
];

/** The resource template list. */
export const RESOURCE_TEMPLATES: readonly JsonObject[] = [
  {
    uriTemplate: 'note://{name}',
    name: 'note',
    title: 'Note',
    description: 'A stored plain-text note, by name.',
    mimeType: 'text/plain',
  },
];

/** The outcome of one tool call. */
export interface ToolOutcome {
  result: JsonObject;
  /** True when the call added or removed a note, so the resource list changed. */
  listChanged: boolean;
}

function text(message: string): JsonObject {
  return { content: [{ type: 'text', text: message }] };
}

function failure(message: string): ToolOutcome {
  return { result: { ...text(message), isError: true }, listChanged: false };
}

function structured(data: JsonObject): JsonObject {
  // Older clients ignore structuredContent, so the same data also goes out as JSON text.
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

function stringArg(args: JsonObject, key: string): string {
  const v = args[key];
  if (typeof v !== 'string') throw new NoteError('bad-argument', `Argument "${key}" must be a string.`);
  return v;
}

/** Runs one tool; unknown tool names are a protocol error (-32602), everything else a tool result. */
export async function callTool(
  store: NoteStore,
  name: unknown,
  rawArgs: unknown,
  signal: AbortSignal,
): Promise<ToolOutcome> {
  if (typeof name !== 'string' || !TOOLS.some((t) => t.name === name)) {
    throw new RpcError(CODE.invalidParams, `Unknown tool: ${String(name)}`);
  }
  const args = rawArgs === undefined ? {} : rawArgs;
  if (!isObject(args)) return failure('Tool arguments must be a JSON object.');
  try {
    switch (name) {
      case 'list_notes': {
        const notes = await store.list();
        return { result: structured({ notes }), listChanged: false };
      }
      case 'read_note':
        return { result: text(await store.read(checkName(args.name))), listChanged: false };
      case 'search_notes': {
        const query = stringArg(args, 'query');
        if (query.length === 0 || query.length > 256) return failure('Query must be 1-256 characters.');
        const { matches, truncated } = await store.search(query, signal);
        return { result: structured({ query, matches, truncated }), listChanged: false };
      }
      case 'write_note': {
        const note = checkName(args.name);
        const { created, bytes } = await store.write(note, stringArg(args, 'content'));
        return {
          result: text(`${created ? 'Created' : 'Updated'} note "${note}" (${bytes} bytes).`),
          listChanged: created,
        };
      }
      case 'delete_note': {
        const note = checkName(args.name);
        await store.delete(note);
        return { result: text(`Deleted note "${note}".`), listChanged: true };
      }
      default:
        throw new RpcError(CODE.invalidParams, `Unknown tool: ${name}`);
    }
  } catch (err) {
    if (err instanceof NoteError) return failure(err.message);
    throw err;
  }
}

/** Builds the `prompts/get` result for summarize_note. */
export async function getPrompt(store: NoteStore, name: unknown, rawArgs: unknown): Promise<JsonObject> {
  if (name !== 'summarize_note') throw new RpcError(CODE.invalidParams, `Unknown prompt: ${String(name)}`);
  const args = isObject(rawArgs) ? rawArgs : {};
  if (typeof args.name !== 'string')
    throw new RpcError(CODE.invalidParams, 'Missing required argument: name');
  let body: string;
  try {
    body = await store.read(checkName(args.name));
  } catch (err) {
    if (err instanceof NoteError) throw new RpcError(CODE.invalidParams, err.message);
    throw err;
  }
  return {
    description: `Summarize the note "${args.name}"`,
    messages: [
      {
        role: 'user',
        content: {
          type: 'text',
          text: `Summarize the following note in three sentences or fewer.\n\n<note name="${args.name}">\n${body}\n</note>`,
        },
      },
    ],
  };
}
