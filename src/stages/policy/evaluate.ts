/**
 * The pure policy evaluator: one request context in, one decision out, naming the deciding rule
 * (or `default-deny`). Deny beats approve beats allow; when no rule matches the call is denied.
 */
import type { Principal } from '../../core/exchange.js';
import type {
  CompiledPolicy,
  CompiledRole,
  CompiledRule,
  Effect,
  PrincipalView,
  TargetKind,
} from './compile.js';
import type { ConditionFacts } from './conditions.js';
import { foldName } from './glob.js';

/** What is being asked, by whom, under which facts. */
export interface PolicyContext {
  readonly principal: Principal;
  readonly kind: TargetKind;
  /** The configured server; undefined when Warden cannot tell yet (a resource on `/mcp`). */
  readonly server: string | undefined;
  /** Tool or prompt name, or resource URI, as the upstream knows it. */
  readonly name: string;
  /** `tools/call` arguments; undefined when checking visibility (lists). */
  readonly arguments?: Readonly<Record<string, unknown>> | undefined;
  /** The tool's annotations as the upstream announced them, when known. */
  readonly annotations?: Readonly<Record<string, unknown>> | undefined;
  /** Whether the server is configured `trusted: true` (its annotations may relax rules). */
  readonly trusted?: boolean | undefined;
  readonly sourceAddress?: string | undefined;
  /** Milliseconds since the epoch; defaults to now. */
  readonly now?: number | undefined;
  /** Risk score from monitoring; 0 when absent. */
  readonly risk?: number | undefined;
  /**
   * Roles granted just in time (elevation), not lapsed: each counts as a token role and, when it
   * names a Warden role, as that role.
   */
  readonly elevated?: readonly string[] | undefined;
}

/** A policy decision. */
export interface Decision {
  readonly effect: Effect;
  /** The deciding rule's id, or `default-deny`. */
  readonly rule: string;
  /** Why, in words fit for a client error message (no argument values). */
  readonly reason: string;
}

/** The rule id reported when no rule matched. */
export const DEFAULT_DENY = 'default-deny';

function hasAny(have: ReadonlySet<string>, values: readonly string[] | undefined): boolean {
  if (values === undefined || have.size === 0) return false;
  return values.some((v) => have.has(v));
}

function roleHolds(r: CompiledRole, p: Principal): boolean {
  return (
    hasAny(r.roles, p.roles) ||
    hasAny(r.groups, p.groups) ||
    hasAny(r.scopes, p.scopes) ||
    (p.tenant !== undefined && r.tenants.has(p.tenant)) ||
    (p.clientId !== undefined && r.clientIds.has(p.clientId)) ||
    r.subjects.has(p.subject) ||
    r.subjects.has(p.key)
  );
}

/**
 * The roles and applicable rules of a principal under a policy: cached per principal object, except
 * while it holds elevated roles (those come and go with the clock, so they are derived each time).
 */
export function viewOf(
  policy: CompiledPolicy,
  p: Principal,
  elevated: readonly string[] = [],
): PrincipalView {
  let v = elevated.length === 0 ? policy.principalCache.get(p) : undefined;
  if (v === undefined) {
    const who = elevated.length === 0 ? p : { ...p, roles: [...p.roles, ...elevated] };
    const roles = new Set(policy.roles.filter((r) => roleHolds(r, who)).map((r) => r.name));
    const known = new Set(policy.roles.map((r) => r.name));
    for (const e of elevated) if (known.has(e)) roles.add(e);
    const w = policy.byWho;
    const picked = new Set<CompiledRule>(w.anyone);
    for (const r of roles) for (const rule of w.byRole.get(r) ?? []) picked.add(rule);
    for (const k of [p.subject, p.key]) for (const rule of w.byPrincipal.get(k) ?? []) picked.add(rule);
    const rules = [...picked].sort((a, b) => a.index - b.index);
    const byServer = new Map<string, CompiledRule[]>();
    const anyServer: CompiledRule[] = [];
    for (const r of rules) {
      if (r.exactServers === undefined) anyServer.push(r);
      else
        for (const s of new Set(r.exactServers)) {
          const list = byServer.get(s) ?? [];
          list.push(r);
          byServer.set(s, list);
        }
    }
    v = { roles, rules, byServer, anyServer };
    if (elevated.length === 0) policy.principalCache.set(p, v);
  }
  return v;
}

/** The Warden roles a principal holds under a policy (with any elevated roles). */
export function rolesOf(
  policy: CompiledPolicy,
  p: Principal,
  elevated?: readonly string[],
): ReadonlySet<string> {
  return viewOf(policy, p, elevated).roles;
}

const RANK: Readonly<Record<Effect, number>> = { allow: 1, approve: 2, deny: 3 };

/** Evaluates a context against a compiled policy. */
export function evaluate(policy: CompiledPolicy, ctx: PolicyContext): Decision {
  const view = viewOf(policy, ctx.principal, ctx.elevated);
  const name = ctx.name.normalize('NFC');
  let folded: string | undefined;
  const facts: ConditionFacts = {
    now: ctx.now ?? Date.now(),
    sourceAddress: ctx.sourceAddress,
    clientId: ctx.principal.clientId,
    tenant: ctx.principal.tenant,
    risk: ctx.risk ?? 0,
  };
  let best: CompiledRule | undefined;
  let nearMiss: string | undefined;
  // Only rules for this principal; with a known server only those naming it or any server.
  const lists =
    ctx.server === undefined ? [view.rules] : [view.byServer.get(ctx.server) ?? [], view.anyServer];
  scan: for (const list of lists) {
    for (const rule of list) {
      if (best !== undefined && RANK[rule.effect] <= RANK[best.effect]) continue;
      const deny = rule.effect === 'deny';
      // An unknown server satisfies a deny rule's server list and fails the others.
      if (rule.servers !== undefined && (ctx.server === undefined ? !deny : !rule.servers.test(ctx.server)))
        continue;
      if (!rule.anyKind) {
        const pats = rule.kinds[ctx.kind];
        if (pats === undefined) continue;
        if (!pats.exact.test(name)) {
          if (pats.folded === undefined) continue;
          folded ??= foldName(name);
          if (!pats.folded.test(folded)) continue;
        }
      }
      if (rule.annotations.length > 0) {
        if (ctx.kind !== 'tool') continue;
        // Hints narrow any rule; they may satisfy an allow/approve rule only from a trusted server.
        const believed = deny || ctx.trusted === true;
        const a = ctx.annotations;
        if (!believed || a === undefined) continue;
        if (!rule.annotations.every(([k, v]) => a[k] === v)) continue;
      }
      if (rule.when !== undefined && !rule.when(facts, deny)) continue;
      if (rule.args !== undefined && ctx.arguments !== undefined) {
        const why = rule.args.check(ctx.arguments);
        if (why !== undefined) {
          nearMiss ??= `rule ${rule.id} would allow it but ${why}`;
          continue;
        }
      }
      best = rule;
      if (deny) break scan;
    }
  }
  if (best === undefined)
    return { effect: 'deny', rule: DEFAULT_DENY, reason: nearMiss ?? 'no policy rule allows it' };
  const what = `${ctx.kind} ${name.slice(0, 128)}`;
  if (best.effect === 'deny')
    return { effect: 'deny', rule: best.id, reason: `rule ${best.id} denies ${what}` };
  if (best.effect === 'approve')
    return { effect: 'approve', rule: best.id, reason: `rule ${best.id} requires approval for ${what}` };
  return { effect: 'allow', rule: best.id, reason: `rule ${best.id} allows ${what}` };
}
