/**
 * `warden inspect`: a JSON-lines filter over the gateway's local text detectors, for batch checks
 * and evaluation. Reads `{"id":…,"text":…}` lines on standard input and writes one line per input:
 * `{"id":…,"verdict":"block"|"flag"|"pass","score":…,"findings":[…]}`. A line that is not such an
 * object gets `{"id":…,"error":"…"}` (id null when unknown) and processing continues; blank lines
 * are skipped; the exit code is 0 unless the arguments are wrong (2).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { inspectText } from '../detect/index.js';
import type { TextKind, TextVerdict } from '../detect/index.js';

/** Usage line for the CLI help. */
export const INSPECT_USAGE = 'warden inspect [--kind argument|result|description] [--format json|text]';

const KINDS: readonly TextKind[] = ['argument', 'result', 'description'];

type Id = string | number | null;

/** The output line for one input line (without the newline), or undefined for a blank line. */
export function inspectLine(line: string, kind: TextKind, format: 'json' | 'text'): string | undefined {
  if (line.trim() === '') return undefined;
  let id: Id = null;
  let error: string | undefined;
  let v: TextVerdict | undefined;
  try {
    const obj = JSON.parse(line) as unknown;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) error = 'line is not a JSON object';
    else {
      const rec = obj as Record<string, unknown>;
      if (typeof rec.id === 'string' || typeof rec.id === 'number') id = rec.id;
      else if (rec.id !== undefined && rec.id !== null) error = '"id" must be a string or a number';
      if (error === undefined) {
        if (typeof rec.text !== 'string') error = '"text" must be a string';
        else v = inspectText(rec.text, { kind });
      }
    }
  } catch (err) {
    error = `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (format === 'text') {
    if (v === undefined) return `${String(id)}\terror\t${error ?? ''}`;
    const rules = v.findings.map((f) => `${f.rule}@${f.start}-${f.end}`).join(',');
    return `${String(id)}\t${v.verdict}\t${v.score}\t${rules}`;
  }
  if (v === undefined) return JSON.stringify({ id, error });
  return JSON.stringify({ id, verdict: v.verdict, score: v.score, findings: v.findings });
}

/** Runs the filter over standard input; resolves to the exit code. */
export async function runInspect(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { kind: { type: 'string', default: 'result' }, format: { type: 'string', default: 'json' } },
    strict: true,
  });
  const kind = values.kind as TextKind;
  if (!KINDS.includes(kind) || (values.format !== 'json' && values.format !== 'text')) {
    process.stderr.write(`usage: ${INSPECT_USAGE}\n`);
    return 2;
  }
  const format = values.format;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    const out = inspectLine(line, kind, format);
    if (out !== undefined && !process.stdout.write(out + '\n'))
      await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
  return 0;
}
