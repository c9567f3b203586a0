/**
 * The audit sink for now: one JSON line per exchange appended to a file under the data
 * directory, batched (flushed every 50 ms or 64 KiB, and on close) so the hot path never waits on
 * the disk. The tamper-evident, hash-chained store replaces this later behind the same interface.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord } from '../core/exchange.js';

/** Where audit records go. */
export interface AuditSink {
  write(record: AuditRecord): void;
  /** Writes everything buffered. */
  flush(): void;
  close(): void;
}

/** Appends records as JSON lines to `file`. */
export class JsonlAuditSink implements AuditSink {
  private readonly fd: number;
  private buf: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    file: string,
    private readonly fsync = false,
  ) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.fd = openSync(file, 'a', 0o600);
  }

  write(record: AuditRecord): void {
    if (this.closed) return;
    const line = JSON.stringify(record) + '\n';
    this.buf.push(line);
    this.size += line.length;
    if (this.size >= 65_536) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 50);
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buf.length === 0) return;
    const data = this.buf.join('');
    this.buf = [];
    this.size = 0;
    writeSync(this.fd, data);
    if (this.fsync) fsyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
}
