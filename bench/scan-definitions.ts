/**
 * Definition-scanner speed (issue 5: scanning 1,000 tool definitions in under 1 s): scans 1,000
 * definitions drawn in turn from the recorded benign lists and the hand-written malicious set, with
 * shadowing context, and prints the time of each round and the median.
 *
 *   npm run build && node dist/bench/scan-definitions.js [rounds]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanDefinition } from '../src/detect/definitions.js';
import type { DefinitionContext } from '../src/detect/definitions.js';

const DATA = fileURLToPath(new URL('../../eval/data/', import.meta.url));
type Def = Record<string, unknown>;

function load(): Def[] {
  const dir = join(DATA, 'benign-definitions');
  const benign = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { tools: Def[] }).tools);
  const bad = (
    JSON.parse(readFileSync(join(DATA, 'malicious-definitions.json'), 'utf8')) as {
      definitions: { definition: Def }[];
    }
  ).definitions.map((d) => d.definition);
  return [...benign, ...bad];
}

function main(): void {
  const rounds = Number(process.argv[2] ?? 7);
  const pool = load();
  const defs = Array.from({ length: 1000 }, (_, i) => pool[i % pool.length] as Def);
  const ctx: DefinitionContext = {
    kind: 'tool',
    otherTools: pool.map((d) => String(d.name)).slice(0, 200),
    otherServers: ['github', 'filesystem', 'slack', 'gmail', 'postgres'],
  };
  const chars = defs.reduce((n, d) => n + JSON.stringify(d).length, 0);
  const times: number[] = [];
  let findings = 0;
  for (let r = 0; r <= rounds; r++) {
    const t0 = performance.now();
    findings = 0;
    for (const d of defs) findings += scanDefinition(d, ctx).length;
    const ms = performance.now() - t0;
    // Round 0 warms the JIT and the regex caches; it is shown but not counted.
    process.stdout.write(`round ${r}${r === 0 ? ' (warm-up)' : ''}: ${ms.toFixed(1)} ms\n`);
    if (r > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  process.stdout.write(
    `scanDefinition: 1000 definitions (${(chars / 1e6).toFixed(2)} MB of JSON, ${findings} findings): ` +
      `median ${median.toFixed(1)} ms over ${times.length} rounds (target < 1000 ms: ${median < 1000 ? 'met' : 'MISSED'})\n` +
      `command: node dist/bench/scan-definitions.js ${rounds}\n`,
  );
}

main();
