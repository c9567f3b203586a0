/**
 * Keeps the requirements manifest true: every id of the shared REQUIREMENTS.md is in it, every
 * covered id is cited by a test title, and no gap is cited (flip it to covered when a test lands).
 */
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUIREMENTS } from './requirements.js';
import { ROOT } from './helpers/warden.js';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.ts') && name !== 'requirements.test.ts') out.push(p);
  }
  return out;
}

const sources = testFiles(path.join(ROOT, 'test')).map((f) => readFileSync(f, 'utf8'));
const cited = (id: string): boolean => sources.some((s) => s.includes(`[${id}]`));

describe('requirements manifest', () => {
  it('lists every id of the shared REQUIREMENTS.md exactly once', () => {
    const shared = path.join(ROOT, '..', 'shared', 'REQUIREMENTS.md');
    const ids = REQUIREMENTS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    if (!existsSync(shared)) return; // The manifest itself is the copy of record in a bare checkout.
    const fromDoc = [
      ...readFileSync(shared, 'utf8').matchAll(/^- (`[a-z]+:[a-z0-9-]+`(?: \/ `[a-z]+:[a-z0-9-]+`)?)/gm),
    ].flatMap((m) => [...(m[1] ?? '').matchAll(/`([^`]+)`/g)].map((x) => x[1]));
    expect([...ids].sort()).toEqual([...fromDoc].sort());
  });

  for (const r of REQUIREMENTS.filter((x) => x.status === 'covered')) {
    it(`${r.id} is proved by at least one test`, () => {
      expect(cited(r.id), `no test title cites [${r.id}]`).toBe(true);
    });
  }

  it('no gap is cited by a test (mark it covered when its test lands)', () => {
    const wrong = REQUIREMENTS.filter((r) => r.status === 'gap' && cited(r.id)).map((r) => r.id);
    expect(wrong).toEqual([]);
  });

  it('every gap names the issue that will close it, or is left for later work', () => {
    for (const r of REQUIREMENTS.filter((x) => x.status === 'gap' && x.issue !== undefined))
      expect([3, 4, 5]).toContain(r.issue);
  });
});
