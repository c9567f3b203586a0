/**
 * The policy block as the stage reads it: the shape `src/config/policy-schema.ts` validates (the
 * stage does not import config, so it states the shape it needs; the compiler checks they agree).
 */

/** Constraints on one tool argument (`policy.rules[].arguments.<name>`). */
export interface ArgConstraintConfig {
  readonly enum?: readonly (string | number | boolean | null)[] | undefined;
  readonly pattern?: string | undefined;
  readonly pathPrefix?: readonly string[] | undefined;
  readonly hosts?: readonly string[] | undefined;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  readonly maxLength?: number | undefined;
  /** Default false: a call without the argument fails the constraint. */
  readonly optional: boolean;
}

/** Rule conditions (`policy.rules[].when`). */
export interface WhenConfig {
  readonly hours?: { readonly from: string; readonly to: string; readonly timezone: string } | undefined;
  readonly sourceCidrs?: readonly string[] | undefined;
  readonly clientIds?: readonly string[] | undefined;
  readonly tenants?: readonly string[] | undefined;
  readonly maxRisk?: number | undefined;
  readonly minRisk?: number | undefined;
}

/** One rule (`policy.rules[]`). */
export interface PolicyRuleConfig {
  readonly id: string;
  readonly effect: 'allow' | 'deny' | 'approve';
  readonly who?:
    | { readonly roles?: readonly string[] | undefined; readonly principals?: readonly string[] | undefined }
    | undefined;
  readonly servers?: readonly string[] | undefined;
  readonly tools?: readonly string[] | undefined;
  readonly prompts?: readonly string[] | undefined;
  readonly resources?: readonly string[] | undefined;
  readonly annotations?:
    | Readonly<
        Partial<Record<'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint', boolean>>
      >
    | undefined;
  readonly arguments?: Readonly<Record<string, ArgConstraintConfig>> | undefined;
  readonly when?: WhenConfig | undefined;
  /** Approve rules: ask the calling user through elicitation when the client can be asked (default false). */
  readonly userConfirmation?: boolean | undefined;
}

/** One Warden role derived from claims (`policy.roles.<name>`). */
export interface RoleConfig {
  readonly roles?: readonly string[] | undefined;
  readonly groups?: readonly string[] | undefined;
  readonly scopes?: readonly string[] | undefined;
  readonly tenants?: readonly string[] | undefined;
  readonly clientIds?: readonly string[] | undefined;
  readonly subjects?: readonly string[] | undefined;
}

/** The whole `policy` block. */
export interface PolicyConfig {
  readonly roles: Readonly<Record<string, RoleConfig>>;
  readonly rules: readonly PolicyRuleConfig[];
}
