/**
 * The `inspection` block as the stage reads it: the shape `src/config/inspection-schema.ts`
 * validates, after defaults (the stage does not import config, so it states the shape it needs;
 * the pipeline passes the parsed block and the compiler checks they agree).
 */

type Action = 'block' | 'redact' | 'mark' | 'log';
type Label = 'public' | 'internal' | 'confidential' | 'restricted';

interface DetectorCommon {
  readonly name: string;
  readonly directions: readonly ('arguments' | 'results')[];
  readonly timeoutMs: number;
  readonly failMode: 'closed' | 'open';
  readonly action: 'block' | 'mark' | 'log';
  readonly cache: { readonly entries: number; readonly ttlSec: number };
}

/** One external detector (`inspection.external[]`). */
export type ExternalDetectorConfig =
  | (DetectorCommon & {
      readonly type: 'azure-prompt-shields';
      readonly endpoint: string;
      readonly apiVersion: string;
      readonly key: string;
    })
  | (DetectorCommon & {
      readonly type: 'azure-text-analysis';
      readonly endpoint: string;
      readonly apiVersion: string;
      readonly key: string;
      readonly categories: readonly string[];
      readonly severity: number;
    })
  | (DetectorCommon & { readonly type: 'http'; readonly url: string; readonly key?: string | undefined });

/** How injection scores map to actions (`inspection.injection`). */
export interface InjectionScoring {
  readonly threshold: number;
  readonly markAt: number;
  readonly below: 'mark' | 'log';
}

/** The `inspection` block after defaults. */
export interface InspectionConfig {
  readonly maxBytes: number;
  readonly overCap: 'block' | 'pass';
  readonly injection: InjectionScoring & {
    /** Per server: overrides for the results of that server. */
    readonly servers: Readonly<Record<string, Partial<InjectionScoring>>>;
  };
  readonly arguments: {
    readonly injection: Action;
    readonly secret: Action;
    readonly pii: Action;
    readonly invisible: Action;
    readonly ansi: Action;
    readonly command: Action;
  };
  readonly results: {
    readonly injection: Action;
    readonly secret: Action;
    readonly pii: Action;
    readonly invisible: 'block' | 'redact';
    readonly ansi: 'block' | 'redact';
  };
  readonly classification: {
    readonly max: Label;
    readonly servers: Readonly<Record<string, Label>>;
    readonly over: 'block' | 'redact';
  };
  readonly boundary: {
    readonly enabled: boolean;
    readonly datamark: boolean;
    readonly marker: string;
    readonly trustedServers: readonly string[];
  };
  readonly commandArgs: readonly {
    readonly server?: string | undefined;
    readonly tool: string;
    readonly arguments: readonly string[];
  }[];
  readonly external: readonly ExternalDetectorConfig[];
}
