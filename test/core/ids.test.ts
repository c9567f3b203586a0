/**
 * [session:secure-id] Session ids come from the CSPRNG: unique, at least 128 bits, visible ASCII
 * only, never sequential. Exchange ids are unique within the process.
 */
import { describe, expect, it } from 'vitest';
import { newExchangeId, newSessionId } from '../../src/core/ids.js';

const N = 10_000;

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

describe('[session:secure-id] session ids', () => {
  const ids = Array.from({ length: N }, () => newSessionId());

  it('[session:secure-id] 10k ids are all different', () => {
    expect(new Set(ids).size).toBe(N);
  });

  it('[session:secure-id] carry at least 128 bits (base64url that decodes to ≥ 16 bytes)', () => {
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      const bytes = Buffer.from(id, 'base64url');
      expect(bytes.length).toBeGreaterThanOrEqual(16);
      // Canonical: decoding and re-encoding gives the same text, so no characters are padding.
      expect(bytes.toString('base64url')).toBe(id);
    }
  });

  it('[session:secure-id] are visible ASCII only (0x21–0x7E), the range the Mcp-Session-Id header allows', () => {
    for (const id of ids) expect(id).toMatch(/^[\x21-\x7e]+$/);
  });

  it('[session:secure-id] are not sequential: consecutive ids share no long prefix or suffix', () => {
    let longest = 0;
    for (let i = 1; i < ids.length; i++) {
      const a = ids[i - 1]!;
      const b = ids[i]!;
      longest = Math.max(
        longest,
        commonPrefix(a, b),
        commonPrefix([...a].reverse().join(''), [...b].reverse().join('')),
      );
    }
    // Two random base64url strings share k leading characters with probability 64^-k.
    expect(longest).toBeLessThan(6);
  });

  it('[session:secure-id] look random: about half of all bits are set and every byte position varies', () => {
    let ones = 0;
    let bits = 0;
    const width = Buffer.from(ids[0]!, 'base64url').length;
    const seen = Array.from({ length: width }, () => new Set<number>());
    for (const id of ids) {
      const b = Buffer.from(id, 'base64url');
      for (let i = 0; i < b.length; i++) {
        let v = b[i]!;
        seen[i]!.add(v);
        bits += 8;
        while (v !== 0) {
          ones += v & 1;
          v >>>= 1;
        }
      }
    }
    expect(ones / bits).toBeGreaterThan(0.49);
    expect(ones / bits).toBeLessThan(0.51);
    // 10k samples of a uniform byte hit nearly all 256 values at every position.
    for (const s of seen) expect(s.size).toBeGreaterThan(240);
  });
});

describe('exchange ids', () => {
  it('are unique and visible ASCII', () => {
    const ids = Array.from({ length: N }, () => newExchangeId());
    expect(new Set(ids).size).toBe(N);
    for (const id of ids) expect(id).toMatch(/^[\x21-\x7e]+$/);
  });
});
