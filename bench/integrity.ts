/**
 * Pinning micro-benchmark (issue 5): what reviewing one upstream's `tools/list` costs in-process
 * with the SQLite pin store — a first listing (50 tools pinned), an unchanged listing (the steady
 * state: canonical JSON, SHA-256 and a pin lookup per tool), and a listing where all 50 changed
 * (50 pending changes with diffs) — without and with the definition scanner.
 * Standalone: `npm run build && node dist/bench/integrity.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scanDefinition } from '../src/detect/definitions.js';
import { createIntegrity } from '../src/stages/integrity/index.js';
import type { ListingFacts } from '../src/stages/integrity/index.js';
import { sqlitePinStore } from '../src/store/pins.js';

const TOOLS = 50;
const ROUNDS = 2000;

const tools = Array.from({ length: TOOLS }, (_, i) => ({
  name: `tool_${i}`,
  description: `Does thing number ${i} with the given input and returns a short text result for the model to read.`,
  inputSchema: {
    type: 'object',
    properties: { a: { type: 'string', description: 'first' }, b: { type: 'integer', minimum: 0 } },
    required: ['a'],
  },
  annotations: { readOnlyHint: true },
}));

const us = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1000;

for (const scan of [false, true]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-bench-pins-'));
  const store = sqlitePinStore(path.join(dir, 'warden.db'));
  const integrity = createIntegrity({ mode: 'tofu', store, ...(scan ? { scan: scanDefinition } : {}) });
  const facts: ListingFacts = {
    complete: true,
    lastPage: true,
    identity: { transport: 'http', url: 'http://127.0.0.1:1/mcp' },
    connection: {},
  };
  let t0 = process.hrtime.bigint();
  integrity.review('s', 'tool', tools, facts);
  const first = us(t0);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) integrity.review('s', 'tool', tools, facts);
  const steady = us(t0) / ROUNDS;
  const changed = tools.map((t) => ({ ...t, description: `${t.description} v2` }));
  t0 = process.hrtime.bigint();
  integrity.review('s', 'tool', changed, facts);
  const allChanged = us(t0);
  process.stdout.write(
    `scanner ${scan ? 'on ' : 'off'}: first listing of ${TOOLS} tools ${first.toFixed(0)} µs; ` +
      `unchanged listing ${steady.toFixed(0)} µs (${(steady / TOOLS).toFixed(1)} µs per tool); ` +
      `all ${TOOLS} changed ${allChanged.toFixed(0)} µs\n`,
  );
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
