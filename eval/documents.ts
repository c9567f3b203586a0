/**
 * Benign tool results from real documents, for section (b) of `npm run eval`: the markdown files a
 * file-reading or fetch tool would return — READMEs, API references, changelogs, guides — cut at
 * paragraph boundaries into pieces of at most 4 KB, as a tool returns a page of a file. Two sources,
 * both present after `npm install` on any machine, read in a fixed order:
 *
 * - the project's own dependencies (`node_modules`, versions fixed by package-lock.json). The
 *   injection rules were revised after reading this source's false positives, so it is a training
 *   set, reported as such;
 * - npm's own documentation and its bundled packages (found beside the running Node.js, as Node's
 *   distributions lay it out): never read while writing rules, so it is the held-out check. Its
 *   text changes with the npm version, which the report names.
 *
 * All texts are benign: any flag is a false positive.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sample, SourceSet } from './metrics.js';

/** Largest piece of a document, in characters. */
const PIECE = 4096;
/** Directory depth searched below a root. */
const DEPTH = 6;

function markdownFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < DEPTH) walk(p, depth + 1);
      } else if (e.isFile() && /\.md$/i.test(e.name)) out.push(p);
    }
  };
  walk(root, 0);
  return out;
}

/** Cuts a document at blank lines into pieces of at most {@link PIECE} characters (a longer paragraph is one piece). */
export function pieces(doc: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const para of doc.split(/\n[ \t]*\n/)) {
    if (cur !== '' && cur.length + para.length > PIECE) {
      out.push(cur);
      cur = '';
    }
    cur += `${para}\n\n`;
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

/** The benign pieces of every distinct markdown file under `root`, or undefined when it has none. */
function documentSamples(root: string): Sample[] | undefined {
  const seen = new Set<string>();
  const samples: Sample[] = [];
  for (const f of markdownFiles(root)) {
    const text = readFileSync(f, 'utf8');
    if (seen.has(text)) continue;
    seen.add(text);
    for (const p of pieces(text)) samples.push({ text: p, malicious: false });
  }
  return samples.length === 0 ? undefined : samples;
}

function npmVersion(root: string): string {
  try {
    return (
      (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ??
      '?'
    );
  } catch {
    return '?';
  }
}

/** The document sets: dependencies' docs (training) and npm's docs (held out). */
export function documentSets(): SourceSet[] {
  const sets: SourceSet[] = [];
  const deps = documentSamples(path.resolve('node_modules'));
  if (deps !== undefined)
    sets.push({ name: 'results/docs: dependencies (rules revised on it)', samples: deps, fprTarget: 0.03 });
  const npmRoot = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const npm = documentSamples(npmRoot);
  if (npm !== undefined)
    sets.push({ name: `results/docs: npm ${npmVersion(npmRoot)} (held out)`, samples: npm, fprTarget: 0.03 });
  return sets;
}
