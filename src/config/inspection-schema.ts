/**
 * The `inspection` block of the config schema (issue 5 item 3): content inspection of arguments
 * and results, the action per finding kind and direction, classification limits, boundary marking,
 * per-tool command-argument checks and external detectors. Shape and defaults only; the inspect
 * stage compiles it at start-up (docs/inspection.md).
 */
import { z } from 'zod';

// schema.ts imports this file, so these two patterns cannot be imported from it (a load-order
// cycle); a test checks they stay equal to SECRET_REF and SERVER_NAME there.
/** Same as `SECRET_REF` in schema.ts. */
export const INSPECTION_SECRET_REF =
  /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|keyvault:[A-Za-z0-9-]{1,127}(\/[A-Za-z0-9]{1,64})?)$/;
/** Same as `SERVER_NAME` in schema.ts. */
export const INSPECTION_SERVER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

const serverName = () =>
  z.string().regex(INSPECTION_SERVER_NAME, 'must be a server name (letters, digits, inner hyphens)');

const secretRefString = (description: string) =>
  z
    .string()
    .regex(
      INSPECTION_SECRET_REF,
      'must be a secret reference: env:NAME, file:PATH or keyvault:NAME[/VERSION]',
    )
    .meta({
      description: `${description} A secret reference (\`env:NAME\`, \`file:PATH\`, \`keyvault:NAME\`).`,
    });

const action = z.enum(['block', 'redact', 'mark', 'log']);
const label = z.enum(['public', 'internal', 'confidential', 'restricted']);

const argumentActions = z
  .strictObject({
    injection: action.default('block').meta({
      description:
        'Prompt injection at or above `injection.threshold` in arguments (below it: logged). `mark` is treated as `log` for arguments.',
    }),
    secret: action
      .default('redact')
      .meta({ description: 'Secrets in arguments (replaced with `[REDACTED:<rule>]`).' }),
    pii: action.default('log').meta({ description: 'Personal data in arguments.' }),
    invisible: action
      .default('redact')
      .meta({ description: 'Invisible, tag and bidi characters in arguments (`redact` strips them).' }),
    ansi: action
      .default('redact')
      .meta({ description: 'ANSI escape sequences in arguments (`redact` strips them).' }),
    command: action.default('block').meta({
      description:
        'Command-argument findings (shell metacharacters, traversal, sensitive paths) in the arguments named by `commandArgs`.',
    }),
  })
  .prefault({})
  .meta({
    description:
      'Actions for findings in client→server payloads: tool and prompt arguments, sampling and elicitation answers.',
  });

const resultActions = z
  .strictObject({
    injection: action.default('block').meta({
      description:
        'Prompt injection at or above `injection.threshold` in results; findings below the threshold are marked (`injection.below`).',
    }),
    secret: action.default('redact').meta({ description: 'Secrets in results.' }),
    pii: action
      .default('log')
      .meta({ description: 'Personal data in results (`redact` to redact on demand).' }),
    invisible: z.enum(['block', 'redact']).default('redact').meta({
      description:
        'Invisible, tag and bidi characters in results: always removed from text sent to clients (`block` refuses the result instead).',
    }),
    ansi: z.enum(['block', 'redact']).default('redact').meta({
      description: 'ANSI escape sequences in results: always removed (`block` refuses the result instead).',
    }),
  })
  .prefault({})
  .meta({
    description:
      'Actions for findings in server→client payloads: tool results, resource contents, prompt messages, server-initiated sampling and elicitation requests.',
  });

const commandRule = z
  .strictObject({
    server: serverName().optional().meta({ description: 'Configured server name; any server when unset.' }),
    tool: z
      .string()
      .min(1)
      .max(256)
      .meta({ description: "The tool's own name at its server (not the `<server>__` name)." }),
    arguments: z.array(z.string().min(1).max(256)).min(1).meta({
      description:
        'Top-level argument names whose string values are checked (`*` for every string argument).',
    }),
  })
  .meta({ description: 'Command-argument checks for one tool.' });

const cache = z
  .strictObject({
    entries: z.number().int().min(0).max(1_000_000).default(10_000).meta({
      description: 'Most verdicts kept (least recently used out); 0 turns the cache off.',
    }),
    ttlSec: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(600)
      .meta({ description: 'How long a verdict is reused, in seconds.' }),
  })
  .prefault({})
  .meta({ description: 'Verdict cache, keyed by a SHA-256 digest of the text (never the text).' });

const detectorCommon = {
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/)
    .meta({ description: 'Name used in audit records and rule ids (`external.<name>`).' }),
  directions: z
    .array(z.enum(['arguments', 'results']))
    .min(1)
    .default(['arguments', 'results'])
    .meta({ description: 'Which payloads the detector sees.' }),
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(2_000)
    .meta({ description: 'Timeout of one call, in milliseconds.' }),
  failMode: z.enum(['closed', 'open']).default('closed').meta({
    description:
      '`closed`: a failed, slow or malformed answer refuses the message with ERR_INSPECT_UNAVAILABLE. `open`: the message passes, and each such pass is audited.',
  }),
  action: z
    .enum(['block', 'mark', 'log'])
    .default('block')
    .meta({ description: 'What an attack or harmful verdict does.' }),
  cache,
};

const endpoint = z.url({ protocol: /^https?$/ }).meta({
  description: 'Base URL of the service; `http:` only for a loopback host (local testing).',
});

/** What both Azure AI Content Safety detectors take. */
const azureCommon = {
  ...detectorCommon,
  endpoint,
  apiVersion: z
    .string()
    .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$/)
    .default('2024-09-01')
    .meta({ description: '`api-version` query parameter.' }),
  key: secretRefString('The Content Safety subscription key (`Ocp-Apim-Subscription-Key`).'),
};

const azurePromptShields = z
  .strictObject({
    type: z.literal('azure-prompt-shields'),
    ...azureCommon,
  })
  .meta({
    description:
      'Azure AI Content Safety Prompt Shields (`POST {endpoint}/contentsafety/text:shieldPrompt`): arguments are sent as `userPrompt`, results as `documents`.',
  });

const azureTextAnalysis = z
  .strictObject({
    type: z.literal('azure-text-analysis'),
    ...azureCommon,
    categories: z
      .array(z.enum(['Hate', 'SelfHarm', 'Sexual', 'Violence']))
      .min(1)
      .default(['Hate', 'SelfHarm', 'Sexual', 'Violence'])
      .meta({ description: 'Harm categories analysed.' }),
    severity: z.number().int().min(1).max(7).default(4).meta({
      description: 'Lowest severity (FourSeverityLevels: 0, 2, 4, 6) in any category that counts as harmful.',
    }),
  })
  .meta({
    description: 'Azure AI Content Safety text analysis (`POST {endpoint}/contentsafety/text:analyze`).',
  });

const httpGuard = z
  .strictObject({
    type: z.literal('http'),
    ...detectorCommon,
    url: z
      .url({ protocol: /^https?$/ })
      .meta({ description: 'The guard endpoint (`http:` only for a loopback host).' }),
    key: secretRefString('Bearer token sent as `Authorization: Bearer <key>`.').optional(),
  })
  .meta({ description: 'A generic HTTP guard speaking the small JSON contract in docs/inspection.md.' });

/** The `inspection` block. Absent: no inspect stage (start-up warns). */
export const inspectionSchema = z
  .strictObject({
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1_048_576)
      .meta({
        description: 'Most bytes of text (UTF-8) inspected per message.',
      }),
    overCap: z.enum(['block', 'pass']).default('block').meta({
      description:
        'A message over `maxBytes`: `block` refuses it with ERR_INSPECT_TOO_LARGE (fail closed); `pass` lets it through uninspected except for sanitising, audited.',
    }),
    injection: z
      .strictObject({
        threshold: z.number().min(0).max(1).default(0.85).meta({
          description:
            "Injection score at or above which the direction's `injection` action applies (the detector's own block threshold).",
        }),
        markAt: z.number().min(0).max(1).default(0.5).meta({
          description:
            'Injection score at or above which (and below `threshold`) a result is handled by `below`; weaker cues are only logged.',
        }),
        below: z.enum(['mark', 'log']).default('mark').meta({
          description: "What a result's injection finding below the threshold does.",
        }),
        servers: z
          .record(
            serverName(),
            z.strictObject({
              threshold: z.number().min(0).max(1).optional().meta({
                description: '`threshold` for the results of this server.',
              }),
              markAt: z.number().min(0).max(1).optional().meta({
                description: '`markAt` for the results of this server.',
              }),
              below: z.enum(['mark', 'log']).optional().meta({
                description: '`below` for the results of this server.',
              }),
            }),
          )
          .default({})
          .meta({
            description:
              'Per server, the injection scoring of its results (tool results, resource contents, prompt messages, its sampling and elicitation requests), overriding the settings above; a server whose results are messages people wrote (mail, chat, tickets) may want `markAt` above 0.55 (docs/detection.md).',
          }),
      })
      .prefault({})
      .meta({ description: 'Prompt-injection scoring.' }),
    arguments: argumentActions,
    results: resultActions,
    classification: z
      .strictObject({
        max: label
          .default('restricted')
          .meta({ description: 'Highest classification a result may carry (every server).' }),
        servers: z.record(serverName(), label).default({}).meta({
          description: 'Highest classification per server, overriding `max`.',
        }),
        over: z.enum(['block', 'redact']).default('block').meta({
          description:
            'A result above the limit: `block` refuses it; `redact` redacts every secret and personal datum in it.',
        }),
      })
      .prefault({})
      .meta({
        description:
          'The classification label (`_meta["warden/classification"]`) on each result, and the limit above which results are refused or redacted.',
      }),
    boundary: z
      .strictObject({
        enabled: z.boolean().default(true).meta({
          description: 'Wrap the text of untrusted results in delimiters with a per-exchange random token.',
        }),
        datamark: z
          .boolean()
          .default(false)
          .meta({ description: 'Also interleave `marker` in place of each space of the wrapped text.' }),
        marker: z
          .string()
          .min(1)
          .max(4)
          .default('\u02c6')
          .meta({ description: 'The datamarking character (default U+02C6 ˆ).' }),
        trustedServers: z.array(serverName()).default([]).meta({
          description: 'Servers whose results are not wrapped (opt-out for trusted servers).',
        }),
      })
      .prefault({})
      .meta({ description: 'Boundary marking (spotlighting) of untrusted results.' }),
    commandArgs: z.array(commandRule).default([]).meta({ description: 'Per-tool command-argument checks.' }),
    external: z
      .array(z.discriminatedUnion('type', [azurePromptShields, azureTextAnalysis, httpGuard]))
      .default([])
      .meta({ description: 'External detectors, called after the local ones.' }),
  })
  .meta({ description: 'Content inspection (docs/inspection.md).' });

/** The `inspection` block after defaults. */
export type InspectionConfig = z.output<typeof inspectionSchema>;
/** One external detector entry. */
export type ExternalDetectorConfig = InspectionConfig['external'][number];
