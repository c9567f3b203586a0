/**
 * The note store: one UTF-8 text file per note, `<name>.txt`, in a single directory. Names are
 * checked against a strict pattern before they ever reach a path, which is what keeps callers
 * inside the directory.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Allowed note names; anything else (dots, slashes, empty, too long) is refused. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Largest note body accepted, in UTF-8 bytes. */
export const MAX_NOTE_BYTES = 64 * 1024;
/** Most search matches returned in one answer. */
export const MAX_MATCHES = 100;

const EXT = '.txt';
const SNIPPET_CHARS = 160;
// O_NOFOLLOW makes a symlink planted in the notes directory fail to open instead of leaking its target.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** A failure the caller should show to the user as a tool error. */
export class NoteError extends Error {
  /** Builds an error whose message is safe to return to the client. */
  constructor(
    readonly reason: 'bad-name' | 'bad-argument' | 'not-found' | 'too-large',
    message: string,
  ) {
    super(message);
    this.name = 'NoteError';
  }
}

/** Metadata for one stored note. */
export interface NoteInfo {
  name: string;
  bytes: number;
  modified: string;
}

/** One line that matched a search. */
export interface SearchMatch {
  name: string;
  line: number;
  snippet: string;
}

/** Throws a NoteError unless `name` is an allowed note name. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new NoteError(
      'bad-name',
      'Invalid note name: use 1-64 characters from A-Z, a-z, 0-9, "_" and "-".',
    );
  }
  return name;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // ELOOP is what O_NOFOLLOW reports for a symlink; treat it as "no such note".
  return code === 'ENOENT' || code === 'ELOOP' || code === 'EISDIR';
}

function snippetAround(line: string, at: number): string {
  if (line.length <= SNIPPET_CHARS) return line.trim();
  // Keep a little context before the match; `at` comes from the lower-cased line, which is close enough.
  const start = Math.max(0, Math.min(at - SNIPPET_CHARS / 4, line.length - SNIPPET_CHARS));
  const end = start + SNIPPET_CHARS;
  return `${start > 0 ? '…' : ''}${line.slice(start, end).trim()}${end < line.length ? '…' : ''}`;
}

/** File-backed note storage rooted at one directory. */
export class NoteStore {
  /** Creates a store over `dir`; call `init` before use. */
  constructor(readonly dir: string) {}

  /** Creates the directory if it is missing. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private pathOf(name: string): string {
    return join(this.dir, checkName(name) + EXT);
  }

  /** Lists notes sorted by name, skipping files whose names are not note names. */
  async list(): Promise<NoteInfo[]> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    const names = entries
      .filter((e) => e.isFile() && e.name.endsWith(EXT))
      .map((e) => e.name.slice(0, -EXT.length))
      .filter((n) => NAME_PATTERN.test(n))
      .sort();
    const infos: NoteInfo[] = [];
    for (const name of names) {
      try {
        const s = await lstat(this.pathOf(name));
        infos.push({ name, bytes: s.size, modified: s.mtime.toISOString() });
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
    return infos;
  }

  /** Reads a note's text. */
  async read(name: string): Promise<string> {
    const path = this.pathOf(name);
    try {
      const handle = await open(path, constants.O_RDONLY | NOFOLLOW);
      try {
        return await handle.readFile({ encoding: 'utf8' });
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (isMissing(err)) throw new NoteError('not-found', `No note named "${name}".`);
      throw err;
    }
  }

  /** True when the note exists as a regular file. */
  async has(name: string): Promise<boolean> {
    try {
      return (await lstat(this.pathOf(name))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Creates or replaces a note; returns whether it was newly created. */
  async write(name: string, content: string): Promise<{ created: boolean; bytes: number }> {
    const path = this.pathOf(name);
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > MAX_NOTE_BYTES) {
      throw new NoteError('too-large', `Note content is ${bytes} bytes; the limit is ${MAX_NOTE_BYTES}.`);
    }
    const created = !(await this.has(name));
    // Write-then-rename so a reader never sees a half-written note.
    const tmp = join(this.dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
    await writeFile(tmp, content, { encoding: 'utf8', mode: 0o600 });
    try {
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    return { created, bytes };
  }

  /** Deletes a note. */
  async delete(name: string): Promise<void> {
    try {
      await unlink(this.pathOf(name));
    } catch (err) {
      if (isMissing(err)) throw new NoteError('not-found', `No note named "${name}".`);
      throw err;
    }
  }

  /** Case-insensitive substring search over every note's lines, stopping early when `signal` aborts. */
  async search(query: string, signal?: AbortSignal): Promise<{ matches: SearchMatch[]; truncated: boolean }> {
    const needle = query.toLowerCase();
    const matches: SearchMatch[] = [];
    for (const { name } of await this.list()) {
      signal?.throwIfAborted();
      let text: string;
      try {
        text = await this.read(name);
      } catch (err) {
        if (err instanceof NoteError) continue;
        throw err;
      }
      const lines = text.split(/\r?\n/);
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] ?? '';
        const at = line.toLowerCase().indexOf(needle);
        if (at === -1) continue;
        if (matches.length === MAX_MATCHES) return { matches, truncated: true };
        matches.push({ name, line: i + 1, snippet: snippetAround(line, at) });
      }
    }
    return { matches, truncated: false };
  }
}
