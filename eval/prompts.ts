/**
 * Section (c) of `npm run eval`: direct injection prompts (deepset attacks, Giskard, MCPSecBench
 * attacks.json) and benign prompts for over-defence (deepset benign, JailbreakBench benign,
 * MCPSecBench data.json). JailbreakBench harmful behaviours are reported as information: they are
 * harmful requests, not injection. Texts are scanned as a client's argument (`kind: 'argument'`).
 * Reported fold: the test half by text hash (`WARDEN_EVAL_FOLD` to change), like the results section.
 */
import { detectInjection } from '../src/detect/injection.js';
import { T_FLAG } from '../src/detect/index.js';
import { parseCsv, readCorpus, yamlContents } from './corpora.js';
import type { EvalSection, Sample, SourceSet } from './metrics.js';
import { evalFold } from './results.js';
import { foldOf } from './corpora.js';
import { ownMultilingual } from './manpages.js';

/** MCPSecBench attack types whose prompt carries the attack. */
const PROMPT_BORNE = new Set(['Malicious Prompt', 'Indirect Prompt Injection']);

function keep(texts: readonly string[] | undefined, malicious: boolean): Sample[] | undefined {
  if (texts === undefined) return undefined;
  const f = evalFold();
  return texts.filter((t) => f === 'all' || foldOf(t) === f).map((text) => ({ text, malicious }));
}

function push(sets: SourceSet[], set: Omit<SourceSet, 'samples'>, samples: Sample[] | undefined): void {
  if (samples !== undefined) sets.push({ ...set, samples });
}

/** Builds the direct-prompt sets. */
export function promptSets(): SourceSet[] {
  const sets: SourceSet[] = [];
  push(
    sets,
    { name: 'prompts/deepset attacks', recallTarget: 0.8 },
    keep(yamlContents('deepset/attacks.yaml'), true),
  );
  push(
    sets,
    { name: 'prompts/deepset benign', fprTarget: 0.05 },
    keep(yamlContents('deepset/benign.yaml'), false),
  );
  const gisk = readCorpus('giskard/prompt_injections.csv');
  if (gisk !== undefined) {
    const rows = parseCsv(gisk);
    const col = rows[0]?.indexOf('prompt') ?? -1;
    const texts = rows
      .slice(1)
      .map((r) => r[col] ?? '')
      .filter((t) => t !== '');
    push(sets, { name: 'prompts/giskard', recallTarget: 0.8 }, keep(texts, true));
  }
  const mAtk = readCorpus('mcpsecbench/attacks.json');
  if (mAtk !== undefined) {
    // Only two of MCPSecBench's attack types put the attack in the prompt; in the others the prompt
    // is an ordinary request ("How much is 3 + 2?") and the attack lives in a malicious server
    // (poisoned or shadowing tools, a rug pull, a vulnerable server): the definitions section and
    // pinning measure those. The recall target applies to the prompt-borne ones.
    const all: string[] = [];
    const borne: string[] = [];
    for (const a of JSON.parse(mAtk) as { name: string; prompts: string[] }[]) {
      all.push(...a.prompts);
      if (PROMPT_BORNE.has(a.name)) borne.push(...a.prompts);
    }
    push(sets, { name: 'prompts/mcpsecbench prompt-borne attacks', recallTarget: 0.8 }, keep(borne, true));
    push(sets, { name: 'prompts/mcpsecbench every scenario prompt' }, keep(all, true));
    for (const a of JSON.parse(mAtk) as { name: string; prompts: string[] }[])
      push(sets, { name: `prompts/mcpsecbench ${a.name}` }, keep(a.prompts, true));
  }
  const mData = readCorpus('mcpsecbench/data.json');
  if (mData !== undefined) {
    // data.json: the user tasks of MCPSecBench's scenarios ({attack, prompt, result}); the one whose
    // prompt is itself an injection ("ignore the description of tools…") is not benign and is left out.
    const texts = (JSON.parse(mData) as { attack: string; prompt: string }[])
      .filter((d) => d.attack !== 'Prompt Injection')
      .map((d) => d.prompt);
    push(sets, { name: 'prompts/mcpsecbench benign', fprTarget: 0.05 }, keep(texts, false));
  }
  push(sets, { name: 'prompts/jbb benign', fprTarget: 0.05 }, keep(yamlContents('jbb/benign.yaml'), false));
  // Warden's own prompts in eleven languages (eval/data/multilingual-prompts.json), whole (no folds):
  // the rules were written against `tune`; `heldout` and `benign` were written after them.
  const ml = ownMultilingual();
  push(
    sets,
    { name: 'prompts/own multilingual (rules written on it)' },
    ml.tune.map((text) => ({ text, malicious: true })),
  );
  push(
    sets,
    { name: 'prompts/own multilingual (held out)', recallTarget: 0.8 },
    ml.heldout.map((text) => ({ text, malicious: true })),
  );
  push(
    sets,
    { name: 'prompts/own multilingual benign (held out)', fprTarget: 0.05 },
    ml.benign.map((text) => ({ text, malicious: false })),
  );
  push(sets, { name: 'prompts/jbb harmful (not injection)' }, keep(yamlContents('jbb/attacks.yaml'), true));
  return sets;
}

/** The direct-prompt section. */
export const section: EvalSection = {
  title: 'Direct prompts: injection and jailbreak attempts vs benign requests',
  decision: `detectInjection(text, { kind: 'argument' }).score ≥ ${T_FLAG}`,
  sets: promptSets,
  detect: (text) => detectInjection(text, { kind: 'argument' }).score >= T_FLAG,
};
