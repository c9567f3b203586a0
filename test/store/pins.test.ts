/**
 * The pin store, in memory and in a real SQLite file: the same behaviour from both, the schema
 * version kept in the file (a newer one refused), changes replaced and decided, the lock
 * document sorted and free of times and approvers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decideChange, lockDocument, memoryPinStore, sqlitePinStore } from '../../src/store/pins.js';
import type { Pin, PinStore } from '../../src/store/pins.js';

const pin = (server: string, name: string, hash: string): Pin => ({
  server,
  kind: 'tool',
  name,
  hash,
  canonical: JSON.stringify({ name, h: hash }),
  source: 'tofu',
  approvedBy: 'tofu',
  approvedAt: '2026-01-01T00:00:00.000Z',
});

const stores: [string, () => PinStore][] = [
  ['memory', () => memoryPinStore()],
  [
    'sqlite',
    () => sqlitePinStore(path.join(mkdtempSync(path.join(tmpdir(), 'warden-pins-')), 'd', 'warden.db')),
  ],
];

describe.each(stores)('%s pin store', (storeName, make) => {
  it('stores pins sorted, supersedes an open change, and applies decisions', () => {
    const s = make();
    s.put(pin('b', 'x', '1'));
    s.put(pin('a', 'z', '1'));
    s.put(pin('a', 'y', '1'));
    expect(s.list().map((p) => `${p.server}/${p.name}`)).toEqual(['a/y', 'a/z', 'b/x']);
    const change = { server: 'a', kind: 'tool', name: 'y', diff: 'd', findings: [] } as const;
    const c1 = s.addChange({
      ...change,
      change: 'changed',
      oldHash: '1',
      newHash: '2',
      oldCanonical: '{}',
      newCanonical: '{"v":2}',
    });
    const c2 = s.addChange({
      ...change,
      change: 'changed',
      oldHash: '1',
      newHash: '3',
      oldCanonical: '{}',
      newCanonical: '{"v":3}',
    });
    expect(s.change(c1.id)).toBeUndefined();
    expect(s.countChanges('a')).toBe(1);
    expect(s.pendingFor('a', 'tool', 'y')?.id).toBe(c2.id);
    expect(() => decideChange(s, c1.id, 'approve', 'rita')).toThrow(
      expect.objectContaining({ code: 'ERR_ADMIN_NOT_FOUND' }),
    );
    const d = decideChange(s, c2.id, 'approve', 'rita');
    expect(d.outcome).toBe('approved');
    expect(s.get('a', 'tool', 'y')).toMatchObject({ hash: '3', source: 'approval', approvedBy: 'rita' });
    const c3 = s.addChange({
      ...change,
      change: 'changed',
      oldHash: '3',
      newHash: '4',
      oldCanonical: '{}',
      newCanonical: '{}',
    });
    decideChange(s, c3.id, 'reject', 'rita');
    expect(s.rejection('a', 'tool', 'y', '4')?.decidedBy).toBe('rita');
    expect(s.rejection('a', 'tool', 'y', '3')).toBeUndefined();
    expect(s.get('a', 'tool', 'y')?.hash).toBe('3');
    const rm = s.addChange({
      ...change,
      name: 'z',
      change: 'removed',
      oldHash: '1',
      newHash: undefined,
      oldCanonical: '{}',
      newCanonical: undefined,
    });
    decideChange(s, rm.id, 'approve', 'rita');
    expect(s.get('a', 'tool', 'z')).toBeUndefined();
    expect(s.changes('pending')).toEqual([]);
    s.close();
  });

  it('the lock document is sorted and has no times or approvers; replaceAll makes it the only approved set', () => {
    const s = make();
    s.put(pin('b', 'x', 'bb'));
    s.put({ ...pin('a', 'y', 'aa'), kind: 'prompt' });
    s.put({ ...pin('a', '', 'ss'), kind: 'server', canonical: '{"url":"u"}' });
    const doc = lockDocument(s);
    expect(doc.pins.map((p) => `${p.server} ${p.kind} ${p.name}`)).toEqual([
      'a server ',
      'a prompt y',
      'b tool x',
    ]);
    expect(JSON.stringify(doc)).not.toContain('2026-01-01');
    s.replaceAll([pin('c', 'q', 'cc')]);
    expect(s.list().map((p) => p.name)).toEqual(['q']);
    expect(s.hasBaseline('c', 'tool')).toBe(true);
    s.close();
  });

  it('a pin read once is never served stale: after put, remove, replaceAll and a rolled-back batch, get answers what is stored', () => {
    const s = make();
    expect(s.get('a', 'tool', 'x')).toBeUndefined();
    s.put(pin('a', 'x', '1'));
    expect(s.get('a', 'tool', 'x')?.hash).toBe('1');
    s.put(pin('a', 'x', '2'));
    expect(s.get('a', 'tool', 'x')?.hash).toBe('2');
    expect(() =>
      s.batch(() => {
        s.put(pin('a', 'x', '3'));
        expect(s.get('a', 'tool', 'x')?.hash).toBe('3');
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    // The memory store has no transactions; the SQLite one rolls the write back.
    expect(s.get('a', 'tool', 'x')?.hash).toBe(storeName === 'sqlite' ? '2' : '3');
    s.remove('a', 'tool', 'x');
    expect(s.get('a', 'tool', 'x')).toBeUndefined();
    s.put(pin('a', 'x', '4'));
    expect(s.get('a', 'tool', 'x')?.hash).toBe('4');
    s.replaceAll([pin('a', 'y', '5')]);
    expect(s.get('a', 'tool', 'x')).toBeUndefined();
    expect(s.get('a', 'tool', 'y')?.hash).toBe('5');
    s.close();
  });
});

describe('SQLite file', () => {
  it('brings a version-1 file forward to the current schema without losing its pins', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'warden-pins-')), 'old.db');
    const a = sqlitePinStore(file);
    a.put(pin('a', 'x', '1'));
    a.close();
    const db = new Database(file);
    db.exec('DROP INDEX changes_by_seq');
    db.pragma('user_version = 1');
    db.close();
    const b = sqlitePinStore(file);
    expect(b.get('a', 'tool', 'x')?.hash).toBe('1');
    b.close();
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(2);
    check.close();
  });

  it('keeps its schema version in the file, survives reopening, and refuses a newer schema', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'warden-pins-')), 'warden.db');
    const a = sqlitePinStore(file);
    a.put(pin('a', 'x', '1'));
    a.close();
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'changes_by_seq'").get(),
    ).toBeDefined();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.pragma('user_version = 99');
    db.close();
    expect(() => sqlitePinStore(file)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    const fresh = path.join(path.dirname(file), 'again.db');
    const b = sqlitePinStore(fresh);
    b.put(pin('a', 'x', '1'));
    b.close();
    expect(sqlitePinStore(fresh).get('a', 'tool', 'x')?.hash).toBe('1');
  });
});
