/**
 * Section (a) of `npm run eval`: the definition scanner (`scanDefinition`) on tool, prompt and
 * resource-template definitions. A definition is detected ("flagged") when one finding is medium or
 * above.
 *
 * - benign: the real lists recorded from public MCP servers on npm (`eval/data/benign-definitions/`,
 *   made by `eval/record-benign.ts`), pooled and per package; each is scanned with the other
 *   packages' tool and server names as shadowing context, as `warden scan` does for a client config.
 * - own: `eval/data/malicious-definitions.json`, written before tuning; the `heldout` half was not
 *   looked at while tuning, and is reported apart from the `tune` half.
 * - corpora: attack prompts from the public corpora (MCPSecBench, Giskard, deepset) placed in a real
 *   benign description (start, middle or end, rotating), against the same descriptions with
 *   deepset's benign prompts placed the same way.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isFlagged, scanDefinition } from '../src/detect/definitions.js';
import type { DefinitionContext, DefinitionKind } from '../src/detect/definitions.js';
import { REPO_ROOT, parseCsv, readCorpus, yamlContents } from './corpora.js';
import type { EvalSection, Sample, SourceSet } from './metrics.js';

type Def = Record<string, unknown>;
interface Item {
  readonly definition: Def;
  readonly context: DefinitionContext;
}
interface Recorded {
  readonly package: string;
  readonly version: string;
  readonly tools: Def[];
  readonly prompts: Def[];
  readonly resourceTemplates: Def[];
}

/** Warden's own evaluation data (`eval/data`). */
export const DATA = join(REPO_ROOT, 'eval', 'data');

/** The recorded benign packages with every definition and its shadowing context. */
export function benignByPackage(): { pkg: string; version: string; items: Item[] }[] {
  const dir = join(DATA, 'benign-definitions');
  const recs = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Recorded);
  const short = (p: string): string =>
    p.replace(/^@[^/]+\//, '').replace(/^(?:mcp-)?server-|-mcp(?:-server)?$|^mcp-server-/g, '');
  return recs.map((r) => {
    const own = new Set(r.tools.map((t) => String(t.name)));
    const otherTools = recs
      .filter((o) => o !== r)
      .flatMap((o) => o.tools.map((t) => String(t.name)))
      .filter((n) => !own.has(n));
    const otherServers = recs.filter((o) => o !== r).map((o) => short(o.package));
    const ctx = (kind: DefinitionKind): DefinitionContext => ({
      kind,
      server: short(r.package),
      otherTools,
      otherServers,
    });
    return {
      pkg: r.package,
      version: r.version,
      items: [
        ...r.tools.map((d) => ({ definition: d, context: ctx('tool') })),
        ...r.prompts.map((d) => ({ definition: d, context: ctx('prompt') })),
        ...r.resourceTemplates.map((d) => ({ definition: d, context: ctx('resourceTemplate') })),
      ],
    };
  });
}

/** The hand-written malicious set. */
export function ownMalicious(): { id: string; split: string; family: string; item: Item }[] {
  const doc = JSON.parse(readFileSync(join(DATA, 'malicious-definitions.json'), 'utf8')) as {
    definitions: { id: string; split: string; family: string; context: DefinitionContext; definition: Def }[];
  };
  return doc.definitions.map((d) => ({
    id: d.id,
    split: d.split,
    family: d.family,
    item: { definition: d.definition, context: d.context },
  }));
}

const sample = (item: Item, malicious: boolean): Sample => ({ text: JSON.stringify(item), malicious });

/** Places each text in a real benign tool description (rotating tools and positions). */
function embedded(texts: readonly string[], hosts: readonly Item[], malicious: boolean): Sample[] {
  const tools = hosts.filter(
    (h) => h.context.kind === 'tool' && typeof h.definition.description === 'string',
  );
  if (tools.length === 0) return [];
  return texts.map((t, i) => {
    const host = tools[(i * 7) % tools.length] as Item;
    const d = String(host.definition.description);
    const cut = d.indexOf('. ', Math.floor(d.length / 2));
    const pos = i % 3;
    const description =
      pos === 0
        ? `${t}\n${d}`
        : pos === 1 && cut > 0
          ? `${d.slice(0, cut + 2)}${t} ${d.slice(cut + 2)}`
          : `${d}\n${t}`;
    return sample({ definition: { ...host.definition, description }, context: host.context }, malicious);
  });
}

function mcpsecbench(): string[] | undefined {
  const t = readCorpus('mcpsecbench/attacks.json');
  if (t === undefined) return undefined;
  const doc = JSON.parse(t) as { name: string; prompts: string[] }[];
  // The two attack kinds whose prompts are injected text; the others are ordinary user requests.
  return doc
    .filter((a) => a.name === 'Malicious Prompt' || a.name === 'Indirect Prompt Injection')
    .flatMap((a) => a.prompts);
}

function giskard(): string[] | undefined {
  const t = readCorpus('giskard/prompt_injections.csv');
  if (t === undefined) return undefined;
  const rows = parseCsv(t);
  const col = rows[0]?.indexOf('prompt') ?? -1;
  return rows
    .slice(1)
    .map((r) => r[col] ?? '')
    .filter((p) => p !== '');
}

/** The definitions section. */
export const section: EvalSection = {
  title: 'Tool definitions (scanDefinition)',
  decision: 'flagged = at least one finding of severity medium or above',
  sets(): SourceSet[] {
    const benign = benignByPackage();
    const benignItems = benign.flatMap((b) => b.items);
    const own = ownMalicious();
    const sets: SourceSet[] = [];
    const ownSet = (name: string, rows: typeof own, note: string): void => {
      sets.push({ name, samples: rows.map((r) => sample(r.item, true)), recallTarget: 0.9, note });
    };
    ownSet(
      'definitions/own-heldout',
      own.filter((r) => r.split === 'heldout'),
      'held out while tuning',
    );
    ownSet(
      'definitions/own-tune',
      own.filter((r) => r.split === 'tune'),
      'looked at while tuning',
    );
    sets.push({
      name: 'definitions/benign-npm',
      samples: benignItems.map((i) => sample(i, false)),
      fprTarget: 0.02,
      note: `${benign.length} packages recorded from npm`,
    });
    sets.push({
      name: 'definitions/own+benign-npm (pooled)',
      samples: [...own.map((r) => sample(r.item, true)), ...benignItems.map((i) => sample(i, false))],
      note: 'for precision',
    });
    const mcp = mcpsecbench();
    if (mcp !== undefined)
      sets.push({
        name: 'definitions/mcpsecbench-in-description',
        samples: embedded(mcp, benignItems, true),
      });
    const gis = giskard();
    if (gis !== undefined)
      sets.push({ name: 'definitions/giskard-in-description', samples: embedded(gis, benignItems, true) });
    const dsA = yamlContents('deepset/attacks.yaml');
    const dsB = yamlContents('deepset/benign.yaml');
    if (dsA !== undefined && dsB !== undefined)
      sets.push({
        name: 'definitions/deepset-in-description',
        samples: [...embedded(dsA, benignItems, true), ...embedded(dsB, benignItems, false)],
        note: 'labels are noisy',
      });
    for (const fam of [...new Set(own.map((r) => r.family))].sort())
      sets.push({
        name: `definitions/own family ${fam}`,
        samples: own.filter((r) => r.family === fam).map((r) => sample(r.item, true)),
      });
    for (const b of benign)
      sets.push({
        name: `definitions/benign ${b.pkg}@${b.version}`,
        samples: b.items.map((i) => sample(i, false)),
      });
    return sets;
  },
  detect(text: string): boolean {
    const item = JSON.parse(text) as Item;
    return isFlagged(scanDefinition(item.definition, item.context));
  },
};
