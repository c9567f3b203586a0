/**
 * Server-Sent Events framing: an encoder for what Warden sends, and an incremental decoder for
 * what upstreams send, with a hard cap per event so a hostile stream cannot grow memory.
 */
import { WardenError } from '../core/errors.js';

/** One decoded SSE event. */
export interface SseEvent {
  /** `event:` field; "message" when absent. */
  event: string;
  data: string;
  id: string | undefined;
  retry: number | undefined;
}

/** Encodes one event. Data lines are split on newlines so no payload can forge fields. */
export function encodeEvent(data: string, id?: string, event?: string): string {
  let out = '';
  if (event !== undefined) out += `event: ${event.replace(/[\r\n]/g, '')}\n`;
  if (id !== undefined) out += `id: ${id.replace(/[\r\n]/g, '')}\n`;
  // JSON.stringify output has no raw newlines, but split anyway for arbitrary data.
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + '\n';
}

/**
 * Incremental SSE decoder (WHATWG EventSource parsing rules). Feed it text chunks; it calls
 * `onEvent` for each complete event. An event (or a pending line) larger than `maxEventBytes`
 * throws ERR_UPSTREAM_RESPONSE_TOO_LARGE.
 */
export class SseDecoder {
  private buf = '';
  private data: string[] = [];
  private dataLen = 0;
  private event = '';
  private id: string | undefined;
  private lastId: string | undefined;
  private retry: number | undefined;
  private sawCr = false;

  constructor(
    private readonly onEvent: (e: SseEvent) => void,
    private readonly maxEventBytes: number,
  ) {}

  /** The last event id seen (for resumption). */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** Feeds a chunk of decoded text. */
  push(chunk: string): void {
    if (chunk === '') return;
    let text = chunk;
    // A CR at the end of the previous chunk may pair with an LF at the start of this one.
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = false;
    this.buf += text;
    let start = 0;
    for (;;) {
      let i = start;
      const len = this.buf.length;
      while (i < len) {
        const c = this.buf.charCodeAt(i);
        if (c === 10 || c === 13) break;
        i++;
      }
      if (i >= len) break;
      const line = this.buf.slice(start, i);
      if (this.buf.charCodeAt(i) === 13) {
        if (i + 1 < len) {
          start = this.buf.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
        } else {
          this.sawCr = true;
          start = i + 1;
        }
      } else {
        start = i + 1;
      }
      this.line(line);
    }
    this.buf = start === 0 ? this.buf : this.buf.slice(start);
    if (this.buf.length + this.dataLen > this.maxEventBytes) this.tooLarge();
  }

  private tooLarge(): never {
    throw new WardenError(
      'ERR_UPSTREAM_RESPONSE_TOO_LARGE',
      `SSE event larger than ${this.maxEventBytes} bytes`,
      {
        data: { limit: this.maxEventBytes },
      },
    );
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.data.push(value);
        this.dataLen += Buffer.byteLength(value) + 1;
        if (this.dataLen > this.maxEventBytes) this.tooLarge();
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    if (this.id !== undefined) this.lastId = this.id;
    if (this.data.length > 0) {
      const e: SseEvent = {
        event: this.event || 'message',
        data: this.data.join('\n'),
        id: this.id,
        retry: this.retry,
      };
      this.data = [];
      this.dataLen = 0;
      this.event = '';
      this.id = undefined;
      this.retry = undefined;
      this.onEvent(e);
      return;
    }
    this.event = '';
    this.id = undefined;
  }
}
