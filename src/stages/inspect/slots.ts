/**
 * Where the text of a message is: each inspected string of a payload as a slot with its path,
 * whether it is untrusted content to wrap in boundary markers, and a way to replace it. Slots are
 * collected in a fixed order, so a deep copy of the payload yields the same slots in the same
 * order (how a message is rewritten without touching the original).
 */

/** One inspected string of a payload. */
export interface Slot {
  /** Path inside the payload, e.g. `content[0].text`, `arguments.query`. */
  readonly path: string;
  readonly text: string;
  /** True for untrusted content that boundary marking wraps (text blocks and resource text). */
  readonly content: boolean;
  /** Replaces the string in the payload it was collected from. */
  set(value: string): void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deepest nesting followed into structured values (arguments, structuredContent). */
const MAX_DEPTH = 32;

function leaf(
  out: Slot[],
  holder: Obj | unknown[],
  key: string | number,
  path: string,
  content: boolean,
): void {
  const v = (holder as Obj)[key as string];
  if (typeof v !== 'string' || v === '') return;
  out.push({
    path,
    text: v,
    content,
    set: (value) => {
      (holder as Obj)[key as string] = value;
    },
  });
}

/** Every non-empty string inside a JSON value (keys are not inspected), depth-first in key order. */
export function stringLeaves(
  out: Slot[],
  holder: Obj | unknown[],
  key: string | number,
  path: string,
  depth = 0,
): void {
  const v = (holder as Obj)[key as string];
  if (typeof v === 'string') leaf(out, holder, key, path, false);
  else if (depth >= MAX_DEPTH) return;
  else if (Array.isArray(v))
    for (let i = 0; i < v.length; i++) stringLeaves(out, v, i, `${path}[${i}]`, depth + 1);
  else if (isObj(v)) for (const k of Object.keys(v)) stringLeaves(out, v, k, `${path}.${k}`, depth + 1);
}

/** A content block (tool result, prompt message, sampling message): its text or embedded resource text. */
function block(out: Slot[], b: unknown, path: string, content: boolean): void {
  if (!isObj(b)) return;
  if (b.type === 'text') leaf(out, b, 'text', `${path}.text`, content);
  else if (b.type === 'resource' && isObj(b.resource))
    leaf(out, b.resource, 'text', `${path}.resource.text`, content);
}

function blocks(out: Slot[], list: unknown, path: string, content: boolean): void {
  if (Array.isArray(list))
    for (let i = 0; i < list.length; i++) block(out, list[i], `${path}[${i}]`, content);
  else block(out, list, path, content);
}

/**
 * The slots of a result the client receives, by the method it answers: tool results (text
 * blocks, embedded resources, every string of `structuredContent`), resource contents, prompt
 * messages. Other results have none.
 */
export function resultSlots(method: string, result: Obj): Slot[] {
  const out: Slot[] = [];
  switch (method) {
    case 'tools/call':
      blocks(out, result.content, 'content', true);
      if ('structuredContent' in result) stringLeaves(out, result, 'structuredContent', 'structuredContent');
      break;
    case 'resources/read':
      if (Array.isArray(result.contents))
        for (let i = 0; i < result.contents.length; i++) {
          const c: unknown = result.contents[i];
          if (isObj(c)) leaf(out, c, 'text', `contents[${i}].text`, true);
        }
      break;
    case 'prompts/get':
      leaf(out, result, 'description', 'description', false);
      if (Array.isArray(result.messages))
        for (let i = 0; i < result.messages.length; i++) {
          const m: unknown = result.messages[i];
          // Prompt messages are the server's instructions by design: inspected, never wrapped.
          if (isObj(m)) blocks(out, m.content, `messages[${i}].content`, false);
        }
      break;
    default:
      break;
  }
  return out;
}

/**
 * The slots of a server→client request: a sampling request's messages and system prompt, an
 * elicitation's message.
 */
export function serverRequestSlots(method: string, params: Obj): Slot[] {
  const out: Slot[] = [];
  if (method === 'sampling/createMessage') {
    leaf(out, params, 'systemPrompt', 'systemPrompt', false);
    if (Array.isArray(params.messages))
      for (let i = 0; i < params.messages.length; i++) {
        const m: unknown = params.messages[i];
        if (isObj(m)) blocks(out, m.content, `messages[${i}].content`, false);
      }
  } else if (method === 'elicitation/create') {
    leaf(out, params, 'message', 'message', false);
  }
  return out;
}

/**
 * The slots of a client→server payload: `tools/call` and `prompts/get` arguments (every string),
 * or the result of the client's answer to a server request (sampling, elicitation).
 */
export function argumentSlots(holder: Obj, key: 'arguments' | 'result'): Slot[] {
  const out: Slot[] = [];
  stringLeaves(out, holder, key, key);
  return out;
}

function copyBlock(b: unknown): unknown {
  if (!isObj(b)) return b;
  const c: Obj = { ...b };
  if (isObj(b.resource)) c.resource = { ...b.resource };
  return c;
}

const copyBlocks = (v: unknown): unknown => (Array.isArray(v) ? v.map(copyBlock) : copyBlock(v));

/**
 * A shallow copy of a parsed object's own properties, made property by property. A spread's copy
 * gets a hidden class of its own, and adding a property to it later (the result's `_meta`) cost
 * about 0.5 µs in V8 on every result; this copy shares the classes of earlier ones. A `__proto__`
 * key (JSON.parse makes it an own property) stays an own property, as a spread keeps it: assigning
 * it would set the copy's prototype instead.
 */
export function shallowCopy(o: Obj): Obj {
  const out: Obj = {};
  for (const k of Object.keys(o)) {
    if (k === '__proto__')
      Object.defineProperty(out, k, { value: o[k], enumerable: true, writable: true, configurable: true });
    else out[k] = o[k];
  }
  return out;
}

/**
 * A copy of a result deep enough that setting any of its `resultSlots` leaves the original
 * untouched (cheaper than a deep copy: only the containers on the way to a slot are copied).
 */
export function copyForSlots(method: string, result: Obj): Obj {
  const out: Obj = shallowCopy(result);
  if (method === 'tools/call') {
    if ('content' in result) out.content = copyBlocks(result.content);
    if ('structuredContent' in result) out.structuredContent = structuredClone(result.structuredContent);
  } else if (method === 'resources/read' && Array.isArray(result.contents)) {
    out.contents = result.contents.map((c: unknown) => (isObj(c) ? { ...c } : c));
  } else if (method === 'prompts/get' && Array.isArray(result.messages)) {
    out.messages = result.messages.map((m: unknown) =>
      isObj(m) && 'content' in m ? { ...m, content: copyBlocks(m.content) } : m,
    );
  }
  return out;
}
