/**
 * The policy stage (issue 4): authorises tools/call, prompts/get and resources/read|subscribe
 * against the compiled policy before anything is forwarded, and filters list results down to what
 * the principal may use. The pipeline tells it which server and name a request targets (it owns
 * the routing tables); the stage stays pure of routing.
 */
import { WardenError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import { decide } from '../../core/exchange.js';
import type { Exchange, Principal, Stage } from '../../core/exchange.js';
import { isRequest } from '../../core/jsonrpc.js';
import type { PolicyConfig } from './types.js';
import { compilePolicy } from './compile.js';
import type { CompiledPolicy, TargetKind } from './compile.js';
import { evaluate } from './evaluate.js';
import type { Decision } from './evaluate.js';
import { confirmationRequest, confirmed } from './confirm.js';
import type { ConfirmationRequest } from './confirm.js';

export { compilePolicy } from './compile.js';
export type { CompiledPolicy, Effect, TargetKind } from './compile.js';
export { evaluate, rolesOf, DEFAULT_DENY } from './evaluate.js';
export type { Decision, PolicyContext } from './evaluate.js';
export { CONFIRM_FIELD, supportsFormElicitation } from './confirm.js';
export type { ConfirmationRequest } from './confirm.js';

/** How asking the calling user to confirm a held call went (see {@link PolicyHooks.confirm}). */
export type ConfirmOutcome =
  /** The client cannot be asked (it declared no form-mode elicitation): the approver path applies. */
  | { readonly kind: 'unavailable' }
  /** The client answered: its elicitation result, or undefined when it answered with an error. */
  | { readonly kind: 'answered'; readonly answer: unknown }
  /** No answer within the approval timeout. */
  | { readonly kind: 'expired' }
  /** 2026-07-28: the request is answered with an input_required round; the retry brings the answer. */
  | { readonly kind: 'asked' }
  /** 2026-07-28: the request continues a call that was already let through (an upstream's own round). */
  | { readonly kind: 'continued' };

/** A request's target as routing resolves it: server (undefined when not yet known) and name. */
export interface PolicyTarget {
  readonly server: string | undefined;
  readonly name: string;
}

/** What the stage needs from the pipeline. */
export interface PolicyHooks {
  /** Resolves a tool/prompt name of this exchange's endpoint to its server and upstream name. */
  resolve(ex: Exchange, kind: TargetKind, name: string): PolicyTarget | undefined;
  /** Risk score of the exchange (from monitoring); 0 when absent. */
  risk?(ex: Exchange): number;
  /** Roles granted to a principal just in time and not lapsed (by principal key). */
  elevatedRoles?(principalKey: string): readonly string[];
  /**
   * Holds a call an `approve` rule matched until a human decides (the approval queue); without
   * it such calls are refused with ERR_POLICY_APPROVAL_REQUIRED.
   */
  hold?(
    ex: Exchange,
    target: { readonly server: string; readonly name: string },
    rule: string,
    args: unknown,
  ): Promise<'approved' | 'denied' | 'expired'>;
  /**
   * True when a 2026-07-28 request is the retry of a call already let through and still waiting
   * upstream (it carries that call's bound `requestState`): an approved call is not held again
   * because its upstream asked the client something.
   */
  continues?(ex: Exchange): boolean;
  /**
   * Asks the calling user to confirm a call whose `approve` rule has `userConfirmation`, through
   * an MCP elicitation in the client's era; without it such rules behave like any approve rule.
   */
  confirm?(
    ex: Exchange,
    question: ConfirmationRequest,
    rule: string,
  ): ConfirmOutcome | Promise<ConfirmOutcome>;
}

/** Most tool annotation sets remembered from lists. */
const MAX_HINTS = 10_000;

/** The methods the stage authorises, with the kind of target each names. */
const GUARDED: Readonly<Record<string, TargetKind>> = {
  'tools/call': 'tool',
  'prompts/get': 'prompt',
  'resources/read': 'resource',
  'resources/subscribe': 'resource',
};

/** The policy stage with the compiled policy it enforces. */
export interface PolicyStage extends Stage {
  readonly policy: CompiledPolicy;
  /** Filters a list result (`tools`, `prompts`, `resources`, `resourceTemplates`) for a principal. */
  filterList(
    principal: Principal,
    method: string,
    result: Readonly<Record<string, unknown>>,
    locate: (kind: TargetKind, item: Readonly<Record<string, unknown>>) => PolicyTarget | undefined,
    sourceAddress?: string,
  ): Record<string, unknown>;
}

const LIST_KEYS: Readonly<Record<string, readonly [string, TargetKind]>> = {
  'tools/list': ['tools', 'tool'],
  'prompts/list': ['prompts', 'prompt'],
  'resources/list': ['resources', 'resource'],
  'resources/templates/list': ['resourceTemplates', 'resource'],
};

/** Builds the policy stage; throws ERR_CONFIG_INVALID (with paths) on a bad policy block. */
export function policyStage(
  cfg: PolicyConfig,
  servers: Readonly<Record<string, { readonly trusted?: boolean }>>,
  hooks: PolicyHooks,
): PolicyStage {
  const policy = compilePolicy(cfg, Object.keys(servers));
  const trusted = (s: string | undefined): boolean => s !== undefined && servers[s]?.trusted === true;
  // Annotations of trusted servers' tools as last listed, for calls (bounded; oldest out first).
  const hints = new Map<string, Readonly<Record<string, unknown>>>();
  const remember = (server: string, tool: string, ann: Readonly<Record<string, unknown>>): void => {
    const k = `${server}\0${tool}`;
    hints.delete(k);
    if (hints.size >= MAX_HINTS) {
      const oldest = hints.keys().next();
      if (oldest.done !== true) hints.delete(oldest.value);
    }
    hints.set(k, ann);
  };

  /** Audits a refusal by `rule` (as `audited`, default the rule id) and throws `code` naming the rule. */
  function deny(ex: Exchange, rule: string, code: ErrorCode, message?: string, audited = rule): never {
    decide(ex, { stage: 'policy', decision: 'deny', rule: audited, code });
    throw new WardenError(code, message, { data: { rule } });
  }

  function refuse(ex: Exchange, d: Decision): never {
    const code = d.effect === 'approve' ? 'ERR_POLICY_APPROVAL_REQUIRED' : 'ERR_POLICY_DENIED';
    deny(ex, d.rule, code, `Denied by policy: ${d.reason}`);
  }

  /** Waits for a human decision on a call an `approve` rule matched; only `approved` lets it pass. */
  async function held(
    ex: Exchange,
    target: { readonly server: string; readonly name: string },
    d: Decision,
    args: unknown,
  ): Promise<void> {
    const outcome = await (hooks.hold as NonNullable<PolicyHooks['hold']>)(ex, target, d.rule, args);
    if (outcome === 'approved') {
      decide(ex, { stage: 'policy', decision: 'allow', rule: `${d.rule} (approved)` });
      return;
    }
    deny(ex, d.rule, outcome === 'denied' ? 'ERR_APPROVAL_DENIED' : 'ERR_APPROVAL_EXPIRED');
  }

  /** Rules whose held calls the user may confirm (`userConfirmation: true`). */
  const userConfirms = new Set(policy.rules.filter((r) => r.userConfirmation).map((r) => r.id));

  /**
   * Asks the user to confirm a held call; only `accept` with the box ticked lets it pass. A client
   * that cannot be asked falls back to the approval queue, or to ERR_POLICY_APPROVAL_REQUIRED.
   */
  async function confirmByUser(
    ex: Exchange,
    target: { readonly server: string; readonly name: string },
    d: Decision,
    args: unknown,
  ): Promise<void> {
    const outcome = await (hooks.confirm as NonNullable<PolicyHooks['confirm']>)(
      ex,
      confirmationRequest(target, d.rule, args),
      d.rule,
    );
    switch (outcome.kind) {
      case 'unavailable':
        if (hooks.hold !== undefined) return held(ex, target, d, args);
        return refuse(ex, d);
      case 'asked':
        decide(ex, { stage: 'policy', decision: 'hold', rule: `${d.rule} (asking user)` });
        return;
      case 'continued':
        decide(ex, { stage: 'policy', decision: 'allow', rule: `${d.rule} (continuing confirmed call)` });
        return;
      case 'answered':
        if (confirmed(outcome.answer)) {
          decide(ex, { stage: 'policy', decision: 'allow', rule: `${d.rule} (confirmed by user)` });
          return;
        }
        return deny(
          ex,
          d.rule,
          'ERR_APPROVAL_DENIED',
          'The user did not confirm the call; it was not forwarded.',
          `${d.rule} (denied by user)`,
        );
      case 'expired':
        return deny(
          ex,
          d.rule,
          'ERR_APPROVAL_EXPIRED',
          'The user did not answer the confirmation in time; the call was not forwarded.',
          `${d.rule} (user confirmation expired)`,
        );
    }
  }

  return {
    name: 'policy',
    policy,
    request(ex) {
      const msg = ex.message;
      if (!isRequest(msg)) return;
      const kind = GUARDED[msg.method];
      if (kind === undefined) return;
      const p = msg.params;
      const raw = kind === 'resource' ? p?.uri : p?.name;
      // A request without a usable name is refused by routing; policy still never lets it pass.
      const target =
        typeof raw !== 'string'
          ? undefined
          : kind === 'resource'
            ? { server: ex.endpointServer, name: raw }
            : hooks.resolve(ex, kind, raw);
      if (target === undefined)
        refuse(ex, { effect: 'deny', rule: 'default-deny', reason: `no such ${kind} on this endpoint` });
      const args = kind === 'tool' ? p?.arguments : undefined;
      const d = evaluate(policy, {
        principal: ex.principal,
        kind,
        server: target.server,
        name: target.name,
        arguments:
          args !== null && typeof args === 'object' && !Array.isArray(args)
            ? (args as Record<string, unknown>)
            : {},
        annotations:
          kind === 'tool' && trusted(target.server)
            ? hints.get(`${target.server ?? ''}\0${target.name}`)
            : undefined,
        trusted: trusted(target.server),
        sourceAddress: ex.http?.remoteAddress,
        risk: hooks.risk?.(ex) ?? 0,
        elevated: hooks.elevatedRoles?.(ex.principal.key),
      });
      if (
        d.effect === 'approve' &&
        target.server !== undefined &&
        hooks.confirm !== undefined &&
        kind === 'tool' &&
        userConfirms.has(d.rule)
      )
        return confirmByUser(ex, { server: target.server, name: target.name }, d, args);
      if (d.effect === 'approve' && hooks.hold !== undefined && target.server !== undefined) {
        if (hooks.continues?.(ex) === true) {
          decide(ex, { stage: 'policy', decision: 'allow', rule: `${d.rule} (continuing approved call)` });
          return undefined;
        }
        return held(ex, { server: target.server, name: target.name }, d, args);
      }
      if (d.effect !== 'allow') refuse(ex, d);
      decide(ex, { stage: 'policy', decision: 'allow', rule: d.rule });
      return undefined;
    },
    filterList(principal, method, result, locate, sourceAddress) {
      const spec = LIST_KEYS[method];
      const items = spec === undefined ? undefined : result[spec[0]];
      if (spec === undefined || !Array.isArray(items)) return { ...result };
      const [key, kind] = spec;
      const elevated = hooks.elevatedRoles?.(principal.key);
      const kept = items.filter((it: unknown) => {
        if (it === null || typeof it !== 'object') return false;
        const item = it as Record<string, unknown>;
        const t = locate(kind, item);
        if (t === undefined) return false;
        const ann = item.annotations;
        if (
          kind === 'tool' &&
          t.server !== undefined &&
          trusted(t.server) &&
          ann !== null &&
          typeof ann === 'object'
        )
          remember(t.server, t.name, ann as Record<string, unknown>);
        // Visibility: what some call could be allowed (or approved); argument checks wait for the call.
        return (
          evaluate(policy, {
            principal,
            kind,
            server: t.server,
            name: t.name,
            annotations:
              ann !== null && typeof ann === 'object' ? (ann as Record<string, unknown>) : undefined,
            trusted: trusted(t.server),
            sourceAddress,
            elevated,
          }).effect !== 'deny'
        );
      });
      return { ...result, [key]: kept };
    },
  };
}
