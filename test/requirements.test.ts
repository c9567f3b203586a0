/**
 * Keeps the requirements manifest true: every id of the shared REQUIREMENTS.md is in it, every
 * covered id is cited by a test title, and no gap is cited (flip it to covered when a test lands).
 */
import { readdirSync, readFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
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

  it('docs/requirements.md shows the manifest (UPDATE_DOCS=1 rewrites it)', () => {
    const rows = REQUIREMENTS.map(
      (r) =>
        `| \`${r.id}\` | ${r.level} | ${r.status === 'covered' ? 'proved by tests' : r.issue !== undefined ? `gap (issue ${r.issue})` : 'gap (later work)'} | ${r.summary.replace(/\|/g, '\\|')} |`,
    );
    const covered = REQUIREMENTS.filter((r) => r.status === 'covered').length;
    const doc = [
      '# Security requirements and where they stand',
      '',
      'Generated from `test/requirements.ts` by `UPDATE_DOCS=1 npx vitest run test/requirements.test.ts`;',
      'a test fails when this page drifts. A requirement is "proved by tests" when at least one test',
      'title cites its id in brackets; a gap is cited by none until the work that proves it lands.',
      '',
      `${covered} of ${REQUIREMENTS.length} requirements are proved by tests.`,
      '',
      '| id | level | status | behaviour |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n');
    const file = path.join(ROOT, 'docs', 'requirements.md');
    if (process.env.UPDATE_DOCS === '1') writeFileSync(file, doc);
    expect(
      existsSync(file) ? readFileSync(file, 'utf8') : '',
      'run UPDATE_DOCS=1 npx vitest run test/requirements.test.ts',
    ).toBe(doc);
  });
});
