/**
 * The policy rule compiler: turns the `policy` config block into compiled roles and rules at
 * start-up. Every problem (bad glob use, unsafe regex, unknown time zone, unknown role, misplaced
 * constraint) is collected with its config path and thrown together as ERR_CONFIG_INVALID.
 */
import { WardenError } from '../../core/errors.js';
import type { PolicyConfig } from './types.js';
import { compileArgs } from './args.js';
import type { ArgsCheck, Problem } from './args.js';
import { compileWhen } from './conditions.js';
import type { Condition } from './conditions.js';
import { compileGlobs, foldName } from './glob.js';
import type { NamePattern } from './glob.js';

/** What a rule or request targets. */
export type TargetKind = 'tool' | 'prompt' | 'resource';

/** Rule effects; deny beats approve beats allow. */
export type Effect = 'allow' | 'deny' | 'approve';

/** Tool annotation hints a rule may require. */
export type AnnotationHint = 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint';

/** One compiled role: its name and a test on principal facts. */
export interface CompiledRole {
  readonly name: string;
  readonly roles: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
  readonly scopes: ReadonlySet<string>;
  readonly tenants: ReadonlySet<string>;
  readonly clientIds: ReadonlySet<string>;
  readonly subjects: ReadonlySet<string>;
}

/** Name patterns of one target kind: exact patterns, plus folded ones for deny rules. */
export interface KindPatterns {
  readonly exact: NamePattern;
  /** Deny rules only: the same patterns over folded names (NFKC, lower case, trimmed). */
  readonly folded: NamePattern | undefined;
}

/** One compiled rule. */
export interface CompiledRule {
  readonly id: string;
  /** Position in `policy.rules` (keeps evaluation order stable). */
  readonly index: number;
  readonly effect: Effect;
  /** Warden role names; undefined = anyone (subject to `principals`). */
  readonly roles: ReadonlySet<string> | undefined;
  readonly principals: ReadonlySet<string> | undefined;
  readonly servers: NamePattern | undefined;
  /** The server names when every server pattern is exact (lets evaluation index rules by server). */
  readonly exactServers: readonly string[] | undefined;
  /** Patterns per kind; a kind absent here is not covered unless `anyKind`. */
  readonly kinds: Readonly<Partial<Record<TargetKind, KindPatterns>>>;
  /** True when the rule lists none of tools/prompts/resources (it covers all of them). */
  readonly anyKind: boolean;
  readonly annotations: readonly (readonly [AnnotationHint, boolean])[];
  readonly args: ArgsCheck | undefined;
  readonly when: Condition | undefined;
  /** Approve rules: ask the calling user through elicitation when the client supports it. */
  readonly userConfirmation: boolean;
}

/** The compiled policy. */
export interface CompiledPolicy {
  readonly roles: readonly CompiledRole[];
  readonly rules: readonly CompiledRule[];
  /** Rules by who they are for: everyone, a Warden role, a subject or principal key. */
  readonly byWho: {
    readonly anyone: readonly CompiledRule[];
    readonly byRole: ReadonlyMap<string, readonly CompiledRule[]>;
    readonly byPrincipal: ReadonlyMap<string, readonly CompiledRule[]>;
  };
  /**
   * Per principal object (authn reuses the object while its token is cached): the Warden roles it
   * holds and the rules that apply to it, indexed by server.
   */
  readonly principalCache: WeakMap<object, PrincipalView>;
}

/** What a policy holds for one principal, computed once per principal object. */
export interface PrincipalView {
  readonly roles: ReadonlySet<string>;
  /** Every rule whose `who` covers the principal. */
  readonly rules: readonly CompiledRule[];
  /** Those of `rules` that name exact servers, by server. */
  readonly byServer: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Those of `rules` without a server list or with a server glob. */
  readonly anyServer: readonly CompiledRule[];
}

const set = (xs: readonly string[] | undefined): ReadonlySet<string> => new Set(xs ?? []);

function kindPatterns(list: readonly string[], deny: boolean): KindPatterns {
  return {
    exact: compileGlobs(list),
    folded: deny ? compileGlobs(list.map(foldName)) : undefined,
  };
}

/** Compiles the policy block; throws ERR_CONFIG_INVALID listing every problem with its path. */
export function compilePolicy(cfg: PolicyConfig, servers: readonly string[]): CompiledPolicy {
  const problems: Problem[] = [];
  const roles: CompiledRole[] = Object.entries(cfg.roles).map(([name, r]) => {
    const any = [r.roles, r.groups, r.scopes, r.tenants, r.clientIds, r.subjects].some(
      (x) => x !== undefined && x.length > 0,
    );
    if (!any)
      problems.push({
        path: `policy.roles.${name}`,
        message: 'the role lists no claim value, so nobody has it',
      });
    return {
      name,
      roles: set(r.roles),
      groups: set(r.groups),
      scopes: set(r.scopes),
      tenants: set(r.tenants),
      clientIds: set(r.clientIds),
      subjects: set(r.subjects),
    };
  });
  const roleNames = new Set(roles.map((r) => r.name));
  const ids = new Set<string>();
  const rules: CompiledRule[] = cfg.rules.map((r, i) => {
    const at = `policy.rules.${i}`;
    if (ids.has(r.id)) problems.push({ path: `${at}.id`, message: `duplicate rule id ${r.id}` });
    ids.add(r.id);
    if (r.id === 'default-deny') problems.push({ path: `${at}.id`, message: 'default-deny is reserved' });
    r.who?.roles?.forEach((name, j) => {
      if (!roleNames.has(name))
        problems.push({ path: `${at}.who.roles.${j}`, message: `unknown role ${name}` });
    });
    r.servers?.forEach((s, j) => {
      if (!s.includes('*') && !servers.includes(s))
        problems.push({ path: `${at}.servers.${j}`, message: `unknown server ${s}` });
    });
    const deny = r.effect === 'deny';
    const kinds: Partial<Record<TargetKind, KindPatterns>> = {};
    if (r.tools !== undefined) kinds.tool = kindPatterns(r.tools, deny);
    if (r.prompts !== undefined) kinds.prompt = kindPatterns(r.prompts, deny);
    if (r.resources !== undefined) kinds.resource = kindPatterns(r.resources, deny);
    let args: ArgsCheck | undefined;
    if (r.arguments !== undefined) {
      if (deny)
        problems.push({
          path: `${at}.arguments`,
          message: 'argument constraints apply to allow and approve rules only',
        });
      if (r.tools === undefined || r.prompts !== undefined || r.resources !== undefined)
        problems.push({
          path: `${at}.arguments`,
          message: 'argument constraints need a rule that lists tools only',
        });
      args = compileArgs(r.arguments, `${at}.arguments`, problems);
    }
    if (r.userConfirmation === true && r.effect !== 'approve')
      problems.push({
        path: `${at}.userConfirmation`,
        message: 'user confirmation applies to approve rules only',
      });
    if (r.annotations !== undefined && (r.prompts !== undefined || r.resources !== undefined))
      problems.push({ path: `${at}.annotations`, message: 'annotations exist on tools only' });
    return {
      id: r.id,
      index: i,
      effect: r.effect,
      roles: r.who?.roles === undefined ? undefined : new Set(r.who.roles),
      principals: r.who?.principals === undefined ? undefined : new Set(r.who.principals),
      servers: r.servers === undefined ? undefined : compileGlobs(r.servers),
      exactServers: r.servers === undefined || r.servers.some((x) => x.includes('*')) ? undefined : r.servers,
      kinds,
      anyKind: r.tools === undefined && r.prompts === undefined && r.resources === undefined,
      annotations: Object.entries(r.annotations ?? {}) as [AnnotationHint, boolean][],
      args,
      when: r.when === undefined ? undefined : compileWhen(r.when, `${at}.when`, problems),
      userConfirmation: r.userConfirmation === true,
    };
  });
  if (problems.length > 0)
    throw new WardenError('ERR_CONFIG_INVALID', `${problems.length} problem(s) in policy`, {
      data: { problems },
    });
  const anyone: CompiledRule[] = [];
  const byRole = new Map<string, CompiledRule[]>();
  const byPrincipal = new Map<string, CompiledRule[]>();
  const add = (m: Map<string, CompiledRule[]>, k: string, r: CompiledRule): void => {
    const list = m.get(k) ?? [];
    list.push(r);
    m.set(k, list);
  };
  for (const r of rules) {
    if (r.roles === undefined && r.principals === undefined) anyone.push(r);
    for (const name of r.roles ?? []) add(byRole, name, r);
    for (const who of r.principals ?? []) add(byPrincipal, who, r);
  }
  return { roles, rules, byWho: { anyone, byRole, byPrincipal }, principalCache: new WeakMap() };
}
