/**
 * SSE streams of one 2025-era HTTP session: the POST response streams, the standalone GET stream,
 * event ids unique per session (`<stream>-<seq>`), and a bounded replay buffer so a client can
 * resume a stream with Last-Event-ID and get only that stream's missed events.
 */
import type { ServerResponse } from 'node:http';
import type { ClientSink } from '../core/channel.js';
import { WardenError } from '../core/errors.js';
import type { JsonRpcMessage } from '../core/jsonrpc.js';
import { encodeEvent } from './sse.js';

/** Most characters of events kept for replay per session (about 4 MiB of ASCII). */
const MAX_REPLAY_CHARS = 4 * 1024 * 1024;

interface Recorded {
  readonly stream: number;
  readonly seq: number;
  readonly text: string;
}

/** Writes the SSE response head. */
export function startSse(res: ServerResponse, extra?: Record<string, string>): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...extra,
  });
  res.flushHeaders();
}

/** A live writer for one stream number (a POST response, the GET stream, or a resuming GET). */
export interface StreamWriter {
  readonly stream: number;
  write(text: string): void;
  /** The stream's final event was written: end the HTTP response. */
  finish(): void;
  /** True while the HTTP response can still be written. */
  readonly alive: boolean;
}

/** The SSE streams of one session; also its sink for messages that belong to no request. */
export class SessionStreams implements ClientSink {
  private nextStream = 1;
  private readonly seqs = new Map<number, number>();
  private readonly replay: Recorded[] = [];
  private replayChars = 0;
  private readonly writers = new Map<number, StreamWriter>();
  /** POST streams in order of opening, for messages with no stream of their own. */
  private readonly posts: StreamWriter[] = [];
  /** Streams whose final event was recorded (a resume then ends after the replay). */
  private readonly finished = new Set<number>();
  /** Stream-0 events not yet delivered to any GET stream. */
  private readonly undelivered: string[] = [];
  private undeliveredChars = 0;
  private closed = false;

  constructor(
    private readonly replayEvents: number,
    private readonly onClose: () => void,
  ) {}

  /** Allocates a stream number for a POST response. */
  newStream(): number {
    return this.nextStream++;
  }

  private record(stream: number, msg: JsonRpcMessage): { id: string; text: string } {
    const seq = (this.seqs.get(stream) ?? 0) + 1;
    this.seqs.set(stream, seq);
    const id = `${stream}-${seq}`;
    const text = encodeEvent(JSON.stringify(msg), id);
    if (this.replayEvents > 0) {
      this.replay.push({ stream, seq, text });
      this.replayChars += text.length;
      // Bounded by count and by size, oldest first: a few large results must not pin memory.
      while (
        this.replay.length > this.replayEvents ||
        (this.replayChars > MAX_REPLAY_CHARS && this.replay.length > 1)
      ) {
        this.replayChars -= this.replay.shift()?.text.length ?? 0;
      }
    }
    return { id, text };
  }

  /** Registers the live writer of a POST stream. */
  attachPost(w: StreamWriter): void {
    this.writers.set(w.stream, w);
    this.posts.push(w);
  }

  /** Forgets a POST writer whose connection ended (its events keep being recorded for resumption). */
  detach(w: StreamWriter): void {
    if (this.writers.get(w.stream) === w) this.writers.delete(w.stream);
    const i = this.posts.indexOf(w);
    if (i >= 0) this.posts.splice(i, 1);
  }

  /** Sends (and records) an event on a stream; returns false when no live writer holds it now. */
  emit(stream: number, msg: JsonRpcMessage, final = false): boolean {
    if (this.closed) return false;
    const { text } = this.record(stream, msg);
    if (final) this.finished.add(stream);
    const w = this.writers.get(stream);
    if (w?.alive === true) {
      w.write(text);
      if (final) {
        w.finish();
        this.detach(w);
      }
      return true;
    }
    return false;
  }

  /** ClientSink: the GET stream if open, else the newest open POST stream, else kept for the next GET. */
  push(msg: JsonRpcMessage): void {
    if (this.closed) return;
    const get = this.writers.get(0);
    if (get?.alive === true) {
      this.emit(0, msg);
      return;
    }
    for (let i = this.posts.length - 1; i >= 0; i--) {
      const w = this.posts[i];
      if (w?.alive === true) {
        this.emit(w.stream, msg);
        return;
      }
    }
    const { text } = this.record(0, msg);
    this.undelivered.push(text);
    this.undeliveredChars += text.length;
    while (
      this.undelivered.length > Math.max(this.replayEvents, 16) ||
      (this.undeliveredChars > MAX_REPLAY_CHARS && this.undelivered.length > 1)
    ) {
      this.undeliveredChars -= this.undelivered.shift()?.length ?? 0;
    }
  }

  /**
   * Serves a GET: a fresh standalone stream, or with Last-Event-ID the replay of that one stream
   * followed by its live events (ending after its final event).
   */
  attachGet(res: ServerResponse, lastEventId: string | undefined): void {
    if (lastEventId === undefined) {
      const cur = this.writers.get(0);
      if (cur?.alive === true) throw new WardenError('ERR_TRANSPORT_STREAM_CONFLICT');
      startSse(res);
      const w = this.writerFor(res, 0);
      this.writers.set(0, w);
      for (const text of this.undelivered.splice(0)) w.write(text);
      this.undeliveredChars = 0;
      return;
    }
    const m = /^(\d+)-(\d+)$/.exec(lastEventId);
    const stream = m === null ? NaN : Number(m[1]);
    const after = m === null ? NaN : Number(m[2]);
    const known = Number.isSafeInteger(stream) && (this.seqs.get(stream) ?? 0) >= after && after >= 0;
    if (!known) throw new WardenError('ERR_TRANSPORT_RESUME_UNKNOWN');
    const live = this.writers.get(stream);
    if (live?.alive === true && stream === 0) throw new WardenError('ERR_TRANSPORT_STREAM_CONFLICT');
    startSse(res);
    const w = this.writerFor(res, stream);
    for (const r of this.replay) if (r.stream === stream && r.seq > after) w.write(r.text);
    if (this.finished.has(stream)) {
      w.finish();
      return;
    }
    this.writers.set(stream, w);
  }

  private writerFor(res: ServerResponse, stream: number): StreamWriter {
    const w: StreamWriter = {
      stream,
      write: (text) => {
        if (!res.writableEnded && !res.destroyed) res.write(text);
      },
      finish: () => {
        if (!res.writableEnded) res.end();
      },
      get alive() {
        return !res.writableEnded && !res.destroyed;
      },
    };
    res.once('close', () => {
      if (this.writers.get(stream) === w) this.writers.delete(stream);
    });
    return w;
  }

  /** Ends every stream (the session ended). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.writers.values()) w.finish();
    this.writers.clear();
    this.posts.length = 0;
    this.replay.length = 0;
    this.replayChars = 0;
    this.onClose();
  }
}
