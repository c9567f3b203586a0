/**
 * The real-document pieces `npm run eval` reads as benign tool results (eval/documents.ts): cut at
 * blank lines, at most 4 KB unless one paragraph is longer, nothing lost or reordered.
 */
import { describe, expect, it } from 'vitest';
import { pieces } from '../../eval/documents.js';

describe('eval documents: pieces', () => {
  it('cuts at blank lines into pieces of at most 4,096 characters, keeping every paragraph in order', () => {
    const paras = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} ${'x'.repeat(300 + i * 7)}.`);
    const doc = paras.join('\n\n');
    const out = pieces(doc);
    expect(out.length).toBeGreaterThan(3);
    for (const p of out) expect(p.length).toBeLessThanOrEqual(4096);
    expect(out.join('').replace(/\n+/g, '\n').trim()).toBe(paras.join('\n'));
  });

  it('keeps a paragraph longer than a piece whole, and a blank line of spaces still separates', () => {
    const long = 'y'.repeat(5000);
    const out = pieces(`intro\n  \n${long}\n\nend`);
    expect(out.some((p) => p.includes(long))).toBe(true);
    expect(out[0]?.startsWith('intro')).toBe(true);
    expect(out.at(-1)?.trim().endsWith('end')).toBe(true);
  });
});
