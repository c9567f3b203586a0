/**
 * The pin store: approved definitions of each upstream (tools, prompts, resource templates and the
 * server's own identity), the pending changes waiting for a reviewer, and per kind whether a
 * server's first listing has been pinned. Two implementations behind one synchronous interface:
 * in memory, and embedded SQLite (better-sqlite3, one file under dataDir, WAL, migrated by
 * `user_version`). Deciding a change and building the lock document live here too, so the admin
 * API and the gateway share them.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WardenError } from '../core/errors.js';

/** What a pin is about; `server` is the server's identity (name ''). */
export type PinKind = 'tool' | 'prompt' | 'resourceTemplate' | 'server';

/** How a pin came to be approved. */
export type PinSource = 'tofu' | 'approval' | 'lock';

/** One approved definition. */
export interface Pin {
  readonly server: string;
  readonly kind: PinKind;
  /** The upstream's own name (a template's `uriTemplate`; '' for the server identity). */
  readonly name: string;
  /** SHA-256 of `canonical`, hex. */
  readonly hash: string;
  /** RFC 8785 canonical JSON of the definition. */
  readonly canonical: string;
  readonly source: PinSource;
  /** Who approved it: a principal key, `tofu` or `lock`. */
  readonly approvedBy: string;
  /** ISO time of approval. */
  readonly approvedAt: string;
}

/** What kind of change a pending change is. */
export type ChangeType = 'added' | 'changed' | 'removed';

/** Where a change stands. */
export type ChangeStatus = 'pending' | 'approved' | 'rejected';

/** A changed, added or removed definition (or a changed identity) and its review. */
export interface PinChange {
  readonly id: string;
  readonly server: string;
  readonly kind: PinKind;
  readonly name: string;
  readonly change: ChangeType;
  readonly oldHash: string | undefined;
  readonly newHash: string | undefined;
  readonly oldCanonical: string | undefined;
  readonly newCanonical: string | undefined;
  /** Line diff of the pretty canonical JSON (`-` old, `+` new). */
  readonly diff: string;
  /** Scanner findings on the new definition (rule, severity, path), when a scanner ran. */
  readonly findings: readonly Readonly<Record<string, unknown>>[];
  readonly status: ChangeStatus;
  /** ISO time Warden first saw the change. */
  readonly detectedAt: string;
  readonly decidedBy: string | undefined;
  readonly decidedAt: string | undefined;
}

/** A change as the gateway records it (the store adds id, status and time). */
export type NewChange = Omit<PinChange, 'id' | 'status' | 'detectedAt' | 'decidedBy' | 'decidedAt'>;

/** The pin store (synchronous: every call is a few microseconds in memory or SQLite). */
export interface PinStore {
  /** The approved pin of one definition. */
  get(server: string, kind: PinKind, name: string): Pin | undefined;
  /** Approved pins, optionally of one server, sorted by server, kind, name. */
  list(server?: string): Pin[];
  /** Approves (inserts or replaces) a pin. */
  put(pin: Pin): void;
  /** Forgets a pin. */
  remove(server: string, kind: PinKind, name: string): void;
  /** True once the first listing of this kind from this server has been pinned. */
  hasBaseline(server: string, kind: PinKind): boolean;
  /** Marks the first listing of this kind from this server as pinned. */
  setBaseline(server: string, kind: PinKind): void;
  /** The open (pending) change of one definition. */
  pendingFor(server: string, kind: PinKind, name: string): PinChange | undefined;
  /**
   * The rejected change of this exact version of the definition (`hash` undefined: a rejected
   * removal), when a reviewer or the definition scanner (`decidedBy: scanner`) rejected it.
   */
  rejection(server: string, kind: PinKind, name: string, hash: string | undefined): PinChange | undefined;
  /**
   * Records a pending change; an older pending change of the same definition is deleted (a newer
   * version replaces it; the audit log keeps its record), so churn cannot grow the store.
   */
  addChange(c: NewChange): PinChange;
  /** One change by id. */
  change(id: string): PinChange | undefined;
  /** Changes, newest first; only those with `status` when given. */
  changes(status?: ChangeStatus): PinChange[];
  /** Number of changes recorded for one server, whatever their status. */
  countChanges(server: string): number;
  /** Sets a pending change's outcome. */
  setStatus(id: string, status: ChangeStatus, by: string | undefined, at: string): void;
  /** Runs `fn` as one transaction (SQLite: one commit for all its writes); returns its result. */
  batch<T>(fn: () => T): T;
  /** Replaces every approved pin with `pins` and marks their kinds as pinned (lock file import). */
  replaceAll(pins: readonly Pin[]): void;
  close(): void;
}

function newChangeId(): string {
  return `pin_${randomBytes(9).toString('base64url')}`;
}

const KINDS: readonly PinKind[] = ['server', 'tool', 'prompt', 'resourceTemplate'];

/** Most approved pins the SQLite store keeps read (then it starts over). */
const MAX_CACHED = 20_000;

function byKey(a: Pin, b: Pin): number {
  return (
    a.server.localeCompare(b.server, 'en') ||
    KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

const key = (server: string, kind: PinKind, name: string): string => `${server}\n${kind}\n${name}`;

/** A pin store in memory (tests, `pinning` with no persistence wanted). */
export function memoryPinStore(): PinStore {
  const pins = new Map<string, Pin>();
  const baselines = new Set<string>();
  const changes: PinChange[] = [];
  const store: PinStore = {
    get: (s, k, n) => pins.get(key(s, k, n)),
    list: (server) =>
      [...pins.values()].filter((p) => server === undefined || p.server === server).sort(byKey),
    put: (p) => void pins.set(key(p.server, p.kind, p.name), p),
    remove: (s, k, n) => void pins.delete(key(s, k, n)),
    hasBaseline: (s, k) => baselines.has(`${s}\n${k}`),
    setBaseline: (s, k) => void baselines.add(`${s}\n${k}`),
    pendingFor: (s, k, n) =>
      changes.find((c) => c.status === 'pending' && c.server === s && c.kind === k && c.name === n),
    rejection: (s, k, n, h) =>
      changes.find(
        (c) => c.status === 'rejected' && c.server === s && c.kind === k && c.name === n && c.newHash === h,
      ),
    addChange(c) {
      const now = new Date().toISOString();
      const open = store.pendingFor(c.server, c.kind, c.name);
      if (open !== undefined) changes.splice(changes.indexOf(open), 1);
      const full: PinChange = {
        ...c,
        id: newChangeId(),
        status: 'pending',
        detectedAt: now,
        decidedBy: undefined,
        decidedAt: undefined,
      };
      changes.unshift(full);
      return full;
    },
    change: (id) => changes.find((c) => c.id === id),
    changes: (status) => changes.filter((c) => status === undefined || c.status === status),
    countChanges: (server) => changes.filter((c) => c.server === server).length,
    setStatus(id, status, by, at) {
      const i = changes.findIndex((c) => c.id === id);
      const c = changes[i];
      if (c !== undefined) changes[i] = { ...c, status, decidedBy: by, decidedAt: at };
    },
    batch: (fn) => fn(),
    replaceAll(list) {
      pins.clear();
      for (const p of list) {
        pins.set(key(p.server, p.kind, p.name), p);
        baselines.add(`${p.server}\n${p.kind}`);
      }
    },
    close: () => undefined,
  };
  return store;
}

/** Schema migrations by `user_version`: entry i brings a database from version i to i + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE pins (
     server TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
     hash TEXT NOT NULL, canonical TEXT NOT NULL, source TEXT NOT NULL,
     approved_by TEXT NOT NULL, approved_at TEXT NOT NULL,
     PRIMARY KEY (server, kind, name));
   CREATE TABLE baselines (server TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL,
     PRIMARY KEY (server, kind));
   CREATE TABLE changes (
     id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
     server TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, change TEXT NOT NULL,
     old_hash TEXT, new_hash TEXT, old_canonical TEXT, new_canonical TEXT,
     diff TEXT NOT NULL, findings TEXT NOT NULL, status TEXT NOT NULL,
     detected_at TEXT NOT NULL, decided_by TEXT, decided_at TEXT);
   CREATE INDEX changes_by_item ON changes (server, kind, name, status);`,
  // 1 → 2: new changes take MAX(seq) + 1 and lists are ordered by seq; both use this index.
  `CREATE INDEX changes_by_seq ON changes (seq);`,
];

interface PinRow {
  server: string;
  kind: string;
  name: string;
  hash: string;
  canonical: string;
  source: string;
  approved_by: string;
  approved_at: string;
}

interface ChangeRow {
  id: string;
  server: string;
  kind: string;
  name: string;
  change: string;
  old_hash: string | null;
  new_hash: string | null;
  old_canonical: string | null;
  new_canonical: string | null;
  diff: string;
  findings: string;
  status: string;
  detected_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

function pinOf(r: PinRow): Pin {
  return {
    server: r.server,
    kind: r.kind as PinKind,
    name: r.name,
    hash: r.hash,
    canonical: r.canonical,
    source: r.source as PinSource,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
  };
}

function changeOf(r: ChangeRow): PinChange {
  return {
    id: r.id,
    server: r.server,
    kind: r.kind as PinKind,
    name: r.name,
    change: r.change as ChangeType,
    oldHash: r.old_hash ?? undefined,
    newHash: r.new_hash ?? undefined,
    oldCanonical: r.old_canonical ?? undefined,
    newCanonical: r.new_canonical ?? undefined,
    diff: r.diff,
    findings: JSON.parse(r.findings) as Record<string, unknown>[],
    status: r.status as ChangeStatus,
    detectedAt: r.detected_at,
    decidedBy: r.decided_by ?? undefined,
    decidedAt: r.decided_at ?? undefined,
  };
}

/**
 * A pin store in an SQLite file (created with its directory when missing). A file written by a
 * newer Warden (higher schema version) is refused rather than guessed at.
 */
export function sqlitePinStore(file: string): PinStore {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // WAL with NORMAL sync survives a crash of Warden; a power cut may lose the last commit, which
  // only means a change is noticed again on the next listing.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `${file} has pin store schema version ${version}, newer than this Warden knows (${MIGRATIONS.length})`,
    );
  }
  db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();

  const q = {
    get: db.prepare<[string, string, string], PinRow>(
      'SELECT * FROM pins WHERE server = ? AND kind = ? AND name = ?',
    ),
    all: db.prepare<[], PinRow>('SELECT * FROM pins'),
    ofServer: db.prepare<[string], PinRow>('SELECT * FROM pins WHERE server = ?'),
    put: db.prepare(
      `INSERT INTO pins (server, kind, name, hash, canonical, source, approved_by, approved_at)
       VALUES (@server, @kind, @name, @hash, @canonical, @source, @approvedBy, @approvedAt)
       ON CONFLICT (server, kind, name) DO UPDATE SET hash = excluded.hash, canonical = excluded.canonical,
         source = excluded.source, approved_by = excluded.approved_by, approved_at = excluded.approved_at`,
    ),
    remove: db.prepare('DELETE FROM pins WHERE server = ? AND kind = ? AND name = ?'),
    clearPins: db.prepare('DELETE FROM pins'),
    hasBaseline: db.prepare<[string, string], { n: number }>(
      'SELECT 1 AS n FROM baselines WHERE server = ? AND kind = ?',
    ),
    setBaseline: db.prepare('INSERT OR IGNORE INTO baselines (server, kind, at) VALUES (?, ?, ?)'),
    pending: db.prepare<[string, string, string], ChangeRow>(
      "SELECT * FROM changes WHERE server = ? AND kind = ? AND name = ? AND status = 'pending' ORDER BY seq DESC LIMIT 1",
    ),
    rejected: db.prepare<[string, string, string, string], ChangeRow>(
      "SELECT * FROM changes WHERE server = ? AND kind = ? AND name = ? AND status = 'rejected' AND new_hash = ? LIMIT 1",
    ),
    rejectedRemoval: db.prepare<[string, string, string], ChangeRow>(
      "SELECT * FROM changes WHERE server = ? AND kind = ? AND name = ? AND status = 'rejected' AND new_hash IS NULL LIMIT 1",
    ),
    insertChange: db.prepare(
      `INSERT INTO changes (id, seq, server, kind, name, change, old_hash, new_hash, old_canonical,
         new_canonical, diff, findings, status, detected_at)
       VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM changes), @server, @kind, @name, @change,
         @oldHash, @newHash, @oldCanonical, @newCanonical, @diff, @findings, 'pending', @detectedAt)`,
    ),
    change: db.prepare<[string], ChangeRow>('SELECT * FROM changes WHERE id = ?'),
    changes: db.prepare<[], ChangeRow>('SELECT * FROM changes ORDER BY seq DESC'),
    changesWith: db.prepare<[string], ChangeRow>('SELECT * FROM changes WHERE status = ? ORDER BY seq DESC'),
    count: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM changes WHERE server = ?'),
    deleteChange: db.prepare('DELETE FROM changes WHERE id = ?'),
    setStatus: db.prepare('UPDATE changes SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?'),
  };

  // Approved pins as last read, so a call's check costs no query (two per call cost about 25 µs).
  // This process is the file's only writer: every write below drops what it changes, a rolled-back
  // batch drops everything, and the map is emptied when it reaches MAX_CACHED entries.
  const cached = new Map<string, Pin | null>();
  const ck = (s: string, k: string, n: string): string => `${s}\0${k}\0${n}`;
  const store: PinStore = {
    get(s, k, n) {
      const key = ck(s, k, n);
      const hit = cached.get(key);
      if (hit !== undefined) return hit ?? undefined;
      const r = q.get.get(s, k, n);
      const pin = r === undefined ? undefined : pinOf(r);
      if (cached.size >= MAX_CACHED) cached.clear();
      cached.set(key, pin ?? null);
      return pin;
    },
    list: (server) => (server === undefined ? q.all.all() : q.ofServer.all(server)).map(pinOf).sort(byKey),
    put(p) {
      cached.delete(ck(p.server, p.kind, p.name));
      q.put.run(p);
    },
    remove(s, k, n) {
      cached.delete(ck(s, k, n));
      q.remove.run(s, k, n);
    },
    hasBaseline: (s, k) => q.hasBaseline.get(s, k) !== undefined,
    setBaseline: (s, k) => void q.setBaseline.run(s, k, new Date().toISOString()),
    pendingFor(s, k, n) {
      const r = q.pending.get(s, k, n);
      return r === undefined ? undefined : changeOf(r);
    },
    rejection(s, k, n, h) {
      const r = h === undefined ? q.rejectedRemoval.get(s, k, n) : q.rejected.get(s, k, n, h);
      return r === undefined ? undefined : changeOf(r);
    },
    addChange: db.transaction((c: NewChange): PinChange => {
      const now = new Date().toISOString();
      const open = store.pendingFor(c.server, c.kind, c.name);
      if (open !== undefined) q.deleteChange.run(open.id);
      const id = newChangeId();
      q.insertChange.run({
        id,
        server: c.server,
        kind: c.kind,
        name: c.name,
        change: c.change,
        oldHash: c.oldHash ?? null,
        newHash: c.newHash ?? null,
        oldCanonical: c.oldCanonical ?? null,
        newCanonical: c.newCanonical ?? null,
        diff: c.diff,
        findings: JSON.stringify(c.findings),
        detectedAt: now,
      });
      return changeOf(q.change.get(id) as ChangeRow);
    }),
    change(id) {
      const r = q.change.get(id);
      return r === undefined ? undefined : changeOf(r);
    },
    changes: (status) => (status === undefined ? q.changes.all() : q.changesWith.all(status)).map(changeOf),
    countChanges: (server) => q.count.get(server)?.n ?? 0,
    setStatus: (id, status, by, at) => void q.setStatus.run(status, by ?? null, at, id),
    // better-sqlite3 transactions nest as savepoints, so addChange inside a batch is fine.
    batch(fn) {
      try {
        return db.transaction(fn)();
      } catch (err) {
        cached.clear();
        throw err;
      }
    },
    replaceAll: db.transaction((list: readonly Pin[]) => {
      cached.clear();
      q.clearPins.run();
      const now = new Date().toISOString();
      for (const p of list) {
        q.put.run(p);
        q.setBaseline.run(p.server, p.kind, now);
      }
    }),
    close: () => db.close(),
  };
  return store;
}

/** What deciding a change did. */
export interface PinDecision {
  readonly change: PinChange;
  readonly outcome: 'approved' | 'rejected';
}

/**
 * Approves or rejects a pending change. Approving makes the new version the pin (or forgets the
 * pin of a removed definition); rejecting keeps the old pin, and the rejected version stays
 * withheld whenever the upstream offers it. Throws ERR_ADMIN_NOT_FOUND for an unknown or decided id.
 */
export function decideChange(
  store: PinStore,
  id: string,
  action: 'approve' | 'reject',
  by: string,
  now: Date = new Date(),
): PinDecision {
  const c = store.change(id);
  if (c === undefined || c.status !== 'pending')
    throw new WardenError('ERR_ADMIN_NOT_FOUND', `no pending pin change ${id.slice(0, 64)}`);
  const at = now.toISOString();
  if (action === 'approve') {
    if (c.change === 'removed') store.remove(c.server, c.kind, c.name);
    else if (c.newHash !== undefined && c.newCanonical !== undefined)
      store.put({
        server: c.server,
        kind: c.kind,
        name: c.name,
        hash: c.newHash,
        canonical: c.newCanonical,
        source: 'approval',
        approvedBy: by,
        approvedAt: at,
      });
    store.setBaseline(c.server, c.kind);
  }
  const outcome = action === 'approve' ? 'approved' : 'rejected';
  store.setStatus(id, outcome, by, at);
  return { change: store.change(id) as PinChange, outcome };
}

/** Version of the lock file format. */
export const LOCK_VERSION = 1;

/** One entry of `warden.lock`. */
export interface LockEntry {
  readonly server: string;
  readonly kind: PinKind;
  readonly name: string;
  readonly sha256: string;
  /** The pinned definition (parsed canonical JSON), for review. */
  readonly definition: unknown;
}

/** The lock document: every approved pin, sorted, with its hash and definition. */
export interface LockDocument {
  readonly lockVersion: number;
  readonly pins: readonly LockEntry[];
}

/** The lock document of the currently approved pins (deterministic: sorted, no times, no approvers). */
export function lockDocument(store: PinStore): LockDocument {
  return {
    lockVersion: LOCK_VERSION,
    pins: store.list().map((p) => ({
      server: p.server,
      kind: p.kind,
      name: p.name,
      sha256: p.hash,
      definition: JSON.parse(p.canonical) as unknown,
    })),
  };
}
