/**
 * The `policy` block of the config schema (issue 4): roles derived from token claims and the rules
 * that allow, deny or require approval. Shape only; the policy stage compiles and checks meaning
 * (globs, regexes, time zones, CIDRs) at start-up and names the path of every problem.
 */
import { z } from 'zod';

const names = (description: string) => z.array(z.string().min(1).max(256)).optional().meta({ description });

const roleSchema = z
  .strictObject({
    roles: names('Token roles (`roles` claim) that grant this role.'),
    groups: names('Token groups that grant this role.'),
    scopes: names('Token scopes that grant this role.'),
    tenants: names('Tenants (`tid`) whose principals get this role.'),
    clientIds: names('OAuth clients (`azp`/`client_id`) whose tokens get this role.'),
    subjects: names('Subjects (`sub`) or principal keys (`<issuer>|<subject>`) that get this role.'),
  })
  .meta({
    description: 'A Warden role: a principal has it when any one of the listed claim values matches.',
  });

const argConstraint = z
  .strictObject({
    enum: z
      .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .min(1)
      .optional()
      .meta({ description: 'Allowed values (compared with ===).' }),
    pattern: z.string().min(1).max(1024).optional().meta({
      description:
        'Regular expression (Unicode mode) the whole string must match; refused at start-up when it could backtrack catastrophically (safe-regex2).',
    }),
    pathPrefix: z.array(z.string().startsWith('/')).min(1).optional().meta({
      description:
        'Absolute POSIX path prefixes; the value must lie under one after normalisation. `..` segments, NUL, backslashes and percent-encoded separators or dots are refused.',
    }),
    hosts: z.array(z.string().min(1)).min(1).optional().meta({
      description:
        'http(s) URL host allowlist: exact host names, or `*.example.com` for any subdomain (not the apex).',
    }),
    min: z.number().optional().meta({ description: 'Smallest allowed number (inclusive).' }),
    max: z.number().optional().meta({ description: 'Largest allowed number (inclusive).' }),
    maxLength: z.int().min(0).max(1_048_576).optional().meta({
      description:
        'Longest allowed string, in UTF-16 code units; 1024 when `pattern` is set and this is not.',
    }),
    optional: z.boolean().default(false).meta({
      description: 'When false (the default) a call without this argument fails the constraint.',
    }),
  })
  .meta({ description: 'Constraints on one tool argument; every listed constraint must hold.' });

const hours = z
  .strictObject({
    from: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
      .meta({ description: 'Start, HH:MM (inclusive).' }),
    to: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
      .meta({ description: 'End, HH:MM (exclusive); earlier than `from` wraps past midnight.' }),
    timezone: z.string().default('UTC').meta({ description: 'IANA time zone of the window.' }),
  })
  .meta({ description: 'Time-of-day window.' });

const when = z
  .strictObject({
    hours: hours.optional(),
    sourceCidrs: names('Client source addresses (IPv4/IPv6 CIDR or single address).'),
    clientIds: names('OAuth client ids.'),
    tenants: names('Tenants (`tid`).'),
    maxRisk: z.number().min(0).optional().meta({ description: 'Applies only while the risk score ≤ this.' }),
    minRisk: z.number().min(0).optional().meta({ description: 'Applies only while the risk score ≥ this.' }),
  })
  .meta({
    description:
      'Conditions; all must hold. A fact Warden does not know (no source address on stdio) fails an allow or approve rule and satisfies a deny rule.',
  });

const ruleSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/)
      .meta({ description: 'Rule id, named in every decision and audit record.' }),
    effect: z.enum(['allow', 'deny', 'approve']).meta({
      description: 'Deny beats approve beats allow; with no matching rule the call is denied.',
    }),
    who: z
      .strictObject({
        roles: names('Warden roles (from `policy.roles`); any one suffices.'),
        principals: names('Subjects or principal keys (`<issuer>|<subject>`); any one suffices.'),
      })
      .optional()
      .meta({ description: 'Who the rule is for; omitted means every principal.' }),
    servers: names('Server names or `*` globs; omitted means every server.'),
    tools: names('Tool names or `*` globs (exact, case-sensitive, NFC).'),
    prompts: names('Prompt names or `*` globs.'),
    resources: names('Resource URIs (and template URIs) or `*` globs.'),
    annotations: z
      .partialRecord(
        z.enum(['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']),
        z.boolean(),
      )
      .optional()
      .meta({
        description:
          "Tool annotations the rule requires. They can narrow any rule, but satisfy an allow or approve rule only for a server marked `trusted: true` (an untrusted server's hints are not believed).",
      }),
    arguments: z
      .record(z.string().min(1), argConstraint)
      .optional()
      .meta({ description: 'Per-argument constraints (allow and approve rules on tools only).' }),
    when: when.optional(),
    userConfirmation: z.boolean().optional().meta({
      description:
        "Approve rules only: when the calling client declared form-mode elicitation, Warden asks the user to confirm the call through an MCP elicitation (timeout `admin.approvalTimeoutSec`) instead of queueing it for an approver. Default false: a user confirming their own call is consent, not a second person's approval.",
    }),
  })
  .meta({
    description:
      'One rule. With none of tools/prompts/resources it covers every tool, prompt and resource of its servers.',
  });

/** The `policy` config block; absent means no policy stage (every authenticated principal may use everything). */
export const policySchema = z
  .strictObject({
    roles: z
      .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/), roleSchema)
      .default({})
      .meta({ description: 'Warden roles by name, derived from token claims.' }),
    rules: z.array(ruleSchema).default([]).meta({ description: 'Rules; order does not matter.' }),
  })
  .optional()
  .meta({
    description:
      'Authorization policy. When present, what no rule allows is denied (default deny); when absent, every authenticated principal may use every server, tool, prompt and resource (start-up warns).',
  });

/** The validated `policy` block. */
export type PolicyConfig = NonNullable<z.output<typeof policySchema>>;
