/**
 * `npm run eval`: precision, recall and false-positive rate with counts, per source, for each
 * section. A section is a module exporting `section: EvalSection`; to add one, import it here and
 * add it to SECTIONS (one line each). Corpora are read from `WARDEN_CORPORA` or `../shared/corpora`.
 */
import { corporaRoot } from './corpora.js';
import { HEADER, count, row } from './metrics.js';
import type { EvalSection } from './metrics.js';
import { evalFold } from './results.js';
import { section as results } from './results.js';
import { section as prompts } from './prompts.js';
import { section as definitions } from './definitions.js';

/** The sections, in report order. */
const SECTIONS: readonly EvalSection[] = [definitions, results, prompts];

function main(): void {
  const only = process.env.WARDEN_EVAL_ONLY;
  process.stdout.write(`# Warden detector evaluation\n\ncorpora: ${corporaRoot()}\nfold: ${evalFold()}\n`);
  for (const s of SECTIONS) {
    if (only !== undefined && only !== '' && !s.title.toLowerCase().includes(only.toLowerCase())) continue;
    const t0 = performance.now();
    const sets = s.sets();
    process.stdout.write(`\n## ${s.title}\n\ndetection: ${s.decision}\n\n${HEADER}\n`);
    for (const set of sets) process.stdout.write(row(set, count(set.samples, s.detect)) + '\n');
    process.stdout.write(`\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
}

main();
