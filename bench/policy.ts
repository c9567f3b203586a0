/**
 * Policy micro-benchmark (issue 4): 1,000 compiled rules, evaluate() timed per call in-process.
 * Target: median ≤ 20 µs per evaluation. Standalone: `npm run build && node dist/bench/policy.js`.
 * Mixes the cases a gateway sees: a call allowed by a late rule with argument checks, a denied
 * call, a default-deny miss that scans every rule, and a list-visibility check.
 */
import { compilePolicy, evaluate } from '../src/stages/policy/index.js';
import type { PolicyContext } from '../src/stages/policy/index.js';
import type { PolicyConfig } from '../src/config/policy-schema.js';
import type { Principal } from '../src/core/exchange.js';

const RULES = 1000;
const ROUNDS = 20_000;
const TARGET_US = 20;

const servers = Array.from({ length: 20 }, (_, i) => `srv${i}`);
const roles: PolicyConfig['roles'] = {};
for (let i = 0; i < 50; i++) roles[`role${i}`] = { roles: [`r${i}`], groups: [`g${i}`] };
const rules: PolicyConfig['rules'] = [];
for (let i = 0; i < RULES - 1; i++) {
  rules.push({
    id: `rule-${i}`,
    effect: i % 10 === 0 ? 'deny' : 'allow',
    who: { roles: [`role${i % 50}`] },
    servers: [`srv${i % 20}`],
    tools: [`tool_${i}_*`, `exact_${i}`],
    ...(i % 10 !== 0 && i % 3 === 0
      ? { arguments: { path: { pathPrefix: [`/data/${i}`], optional: false } } }
      : {}),
    ...(i % 7 === 0 ? { when: { maxRisk: 50 } } : {}),
  });
}
rules.push({
  id: 'late',
  effect: 'allow',
  who: { roles: ['role49'] },
  servers: ['srv19'],
  tools: ['write'],
  arguments: {
    path: { pathPrefix: ['/srv/data'], optional: false },
    n: { min: 0, max: 10, optional: false },
  },
});

const policy = compilePolicy({ roles, rules }, servers);
const principal: Principal = {
  key: 'https://idp.example|alice',
  issuer: 'https://idp.example',
  subject: 'alice',
  scopes: ['mcp'],
  roles: ['r49', 'r3'],
  groups: ['g7'],
};

const cases: [string, () => PolicyContext, string][] = [
  [
    'allow (late rule, args)',
    () => ({
      principal,
      kind: 'tool',
      server: 'srv19',
      name: 'write',
      arguments: { path: '/srv/data/a/b.txt', n: 3 },
    }),
    'allow',
  ],
  ['deny (deny rule)', () => ({ principal, kind: 'tool', server: 'srv10', name: 'tool_10_x' }), 'deny'],
  ['default deny (scans all)', () => ({ principal, kind: 'tool', server: 'srv5', name: 'nothing' }), 'deny'],
  ['list visibility', () => ({ principal, kind: 'tool', server: 'srv3', name: 'tool_3_read' }), 'allow'],
  [
    'resource, server unknown (all rules)',
    () => ({ principal, kind: 'resource', server: undefined, name: 'notes://x' }),
    'deny',
  ],
  // A principal object seen for the first time: its roles and applicable rules are derived again.
  [
    'cold principal (new object)',
    () => ({
      principal: { ...principal },
      kind: 'tool',
      server: 'srv19',
      name: 'write',
      arguments: { path: '/srv/data/a', n: 1 },
    }),
    'allow',
  ],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

const out: Record<string, { medianUs: number; p99Us: number }> = {};
let worst = 0;
for (const [label, make, expect] of cases) {
  const ctx = make();
  const d = evaluate(policy, ctx);
  if (d.effect !== expect) throw new Error(`${label}: expected ${expect}, got ${d.effect} (${d.rule})`);
  const cold = label.startsWith('cold');
  for (let i = 0; i < 2000; i++) evaluate(policy, cold ? make() : ctx);
  // Batches of 10 calls per sample keep the timer's own cost (~0.1 µs) out of the figure.
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS / 10; i++) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < 10; j++) evaluate(policy, cold ? make() : ctx);
    samples.push(Number(process.hrtime.bigint() - t0) / 10_000);
  }
  const s = [...samples].sort((a, b) => a - b);
  const m = median(samples);
  // The target is judged on a principal already seen (authn reuses its object per cached token).
  if (!cold) worst = Math.max(worst, m);
  out[label] = {
    medianUs: Number(m.toFixed(2)),
    p99Us: Number((s[Math.floor(s.length * 0.99)] ?? 0).toFixed(2)),
  };
}
process.stdout.write(`policy evaluate, ${RULES} rules (target median ≤ ${TARGET_US} µs)\n`);
for (const [label, r] of Object.entries(out))
  process.stdout.write(
    `  ${label.padEnd(38)} median ${r.medianUs.toFixed(2).padStart(7)} µs   p99 ${r.p99Us.toFixed(2).padStart(7)} µs\n`,
  );
process.stdout.write(
  `  worst median (principal seen before) ${worst.toFixed(2)} µs: target ${worst <= TARGET_US ? 'met' : 'MISSED'}; a principal's first call also derives its roles and rules (cold line)\n`,
);
