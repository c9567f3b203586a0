/**
 * Counting and printing for `npm run eval`: one labelled sample = text + label + the source it
 * came from; a detection is the detector's decision at the flag threshold.
 */

/** One labelled text. */
export interface Sample {
  readonly text: string;
  readonly malicious: boolean;
}

/** A named set of samples, with the targets it is judged against. */
export interface SourceSet {
  /** e.g. `results/bipia-email`. */
  readonly name: string;
  readonly samples: readonly Sample[];
  /** Recall target (fraction) when the set has attacks; omitted = information only. */
  readonly recallTarget?: number;
  /** False-positive-rate ceiling (fraction) when the set has benign texts; omitted = information only. */
  readonly fprTarget?: number;
  /** One line about where the samples came from and which fold. */
  readonly note?: string;
}

/** Confusion counts and the rates derived from them. */
export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Counts the decisions of `detect` over the samples. */
export function count(samples: readonly Sample[], detect: (text: string) => boolean): Counts {
  const c: Counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const s of samples) {
    const hit = detect(s.text);
    if (s.malicious) {
      if (hit) c.tp++;
      else c.fn++;
    } else if (hit) c.fp++;
    else c.tn++;
  }
  return c;
}

function pct(num: number, den: number): string {
  return den === 0 ? '—' : `${((100 * num) / den).toFixed(1)} %`;
}

/** One markdown table row for a source (name, n, TP/FP/FN/TN, precision, recall, FPR, verdict). */
export function row(set: SourceSet, c: Counts): string {
  const pos = c.tp + c.fn;
  const neg = c.fp + c.tn;
  const verdicts: string[] = [];
  if (set.recallTarget !== undefined && pos > 0) {
    const ok = c.tp / pos >= set.recallTarget;
    verdicts.push(`recall ≥ ${set.recallTarget * 100} %: ${ok ? 'met' : 'MISSED'}`);
  }
  if (set.fprTarget !== undefined && neg > 0) {
    const ok = c.fp / neg <= set.fprTarget;
    verdicts.push(`FPR ≤ ${set.fprTarget * 100} %: ${ok ? 'met' : 'MISSED'}`);
  }
  return (
    `| ${set.name} | ${pos} | ${neg} | ${c.tp} | ${c.fp} | ${c.fn} | ${c.tn} | ${pct(c.tp, c.tp + c.fp)} | ` +
    `${pct(c.tp, pos)} | ${pct(c.fp, neg)} | ${verdicts.join('; ') || 'information'} |`
  );
}

/** The header of the table {@link row} writes. */
export const HEADER =
  '| source | attacks | benign | TP | FP | FN | TN | precision | recall | FPR | verdict |\n' +
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';

/**
 * One section of `npm run eval` (tool results, direct prompts, tool definitions, …): its sets and
 * the decision it measures. A section module exports `section`; `eval/run.ts` lists the modules.
 */
export interface EvalSection {
  readonly title: string;
  /** What a detection is, for the report (e.g. `injection score ≥ 0.5 (kind result)`). */
  readonly decision: string;
  /** The labelled sets, built from the corpora (absent sources skipped). */
  readonly sets: () => SourceSet[];
  /** True when the sample's text is detected (for structured samples: their JSON). */
  readonly detect: (text: string) => boolean;
}
