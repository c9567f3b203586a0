/**
 * Permission review helpers (`warden policy who-can`): which rules cover a target regardless of
 * who asks, so an operator can see every rule and role that grants, holds or denies it.
 */
import type { CompiledPolicy, CompiledRule, TargetKind } from './compile.js';
import { foldName } from './glob.js';

/** True when the rule's server and name patterns cover the target (who, conditions and arguments aside). */
export function ruleCovers(
  rule: CompiledRule,
  kind: TargetKind,
  server: string | undefined,
  name: string,
): boolean {
  const n = name.normalize('NFC');
  if (rule.servers !== undefined && server !== undefined && !rule.servers.test(server)) return false;
  if (rule.anyKind) return true;
  const pats = rule.kinds[kind];
  if (pats === undefined) return false;
  return pats.exact.test(n) || (pats.folded?.test(foldName(n)) ?? false);
}

/** The rules covering a target, deny first, then approve, then allow (config order within each). */
export function rulesCovering(
  policy: CompiledPolicy,
  kind: TargetKind,
  server: string | undefined,
  name: string,
): CompiledRule[] {
  const order = { deny: 0, approve: 1, allow: 2 } as const;
  return policy.rules
    .filter((r) => ruleCovers(r, kind, server, name))
    .sort((a, b) => order[a.effect] - order[b.effect]);
}
