/**
 * Keeps the layering of DESIGN §7 true: core imports nothing of Warden, stages never import each
 * other, detect imports only itself, and transports never import the pipeline.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/warden.js';

const SRC = path.join(ROOT, 'src');

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file, resolved to paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) =>
    path.relative(SRC, path.resolve(path.dirname(file), m[1] ?? '')),
  );
}

describe('import rules', () => {
  it('core imports nothing of Warden outside core', () => {
    for (const f of files(path.join(SRC, 'core'))) {
      expect(
        importsOf(f).filter((i) => !i.startsWith('core/')),
        f,
      ).toEqual([]);
    }
  });

  it('a stage imports only core, detect, store and itself', () => {
    for (const f of files(path.join(SRC, 'stages'))) {
      const own = path.relative(SRC, path.dirname(f));
      const bad = importsOf(f).filter(
        (i) =>
          !i.startsWith('core/') &&
          !i.startsWith('detect/') &&
          !i.startsWith('store/') &&
          !i.startsWith(own + '/'),
      );
      expect(bad, f).toEqual([]);
    }
  });

  it('detect imports only detect', () => {
    for (const f of files(path.join(SRC, 'detect')))
      expect(
        importsOf(f).filter((i) => !i.startsWith('detect/')),
        f,
      ).toEqual([]);
  });

  it('transports never import the pipeline, stages or the routing layer', () => {
    for (const f of files(path.join(SRC, 'transport'))) {
      expect(
        importsOf(f).filter(
          (i) => i.startsWith('pipeline') || i.startsWith('stages/') || i.startsWith('route/'),
        ),
        f,
      ).toEqual([]);
    }
  });

  it('admin imports only core, store and itself (authentication arrives through server.ts)', () => {
    for (const f of files(path.join(SRC, 'admin')))
      expect(
        importsOf(f).filter(
          (i) => !i.startsWith('core/') && !i.startsWith('store/') && !i.startsWith('admin/'),
        ),
        f,
      ).toEqual([]);
  });

  it('store imports only core and store', () => {
    for (const f of files(path.join(SRC, 'store')))
      expect(
        importsOf(f).filter((i) => !i.startsWith('core/') && !i.startsWith('store/')),
        f,
      ).toEqual([]);
  });
});
