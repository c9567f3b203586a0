/**
 * The definition scanner (issue 5 item 2): walks every string of a tool, prompt or resource
 * template — names, titles, descriptions, annotations, every schema part (property names,
 * descriptions, enums, const, defaults, examples, nested and combined schemas), prompt arguments —
 * and reports poisoning, shadowing, exfiltration targets, hidden and encoded content and abnormal
 * length as findings with a rule id, a severity, the path of the string and the span in it.
 *
 * A definition counts as flagged when one finding is medium or above. Plain URLs, email addresses,
 * "silently" and long texts alone are low, because real descriptions carry them.
 */
import type { Finding, Severity } from './types.js';
import { SEVERITIES } from './types.js';
import { evidenceOf, fold, scanText } from './definition-text.js';
import type { Folded, TextRole } from './definition-text.js';
import { scanHidden } from './definition-hidden.js';
import { detectInjection } from './injection.js';

/** What is being scanned. */
export type DefinitionKind = 'tool' | 'prompt' | 'resourceTemplate';

/** Where the definition comes from and what else the client sees (for shadowing). */
export interface DefinitionContext {
  readonly kind: DefinitionKind;
  /** The server offering the definition. */
  readonly server?: string;
  /** Tool names offered by other servers of the same client. */
  readonly otherTools?: readonly string[];
  /** Names of the other servers of the same client. */
  readonly otherServers?: readonly string[];
}

/** The severity that makes a definition "flagged" (at least one finding this severe). */
export const FLAG_SEVERITY: Severity = 'medium';

/** A string longer than this (UTF-16 units) is reported low; real descriptions reach ~7,000. */
export const LONG_TEXT = 4000;
/** A string longer than this is reported medium. */
export const VERY_LONG_TEXT = 15000;

// Keys whose string values are identifiers or locations, not prose: only hidden content is checked.
const NON_PROSE = new Set([
  '$schema',
  '$id',
  '$ref',
  '$anchor',
  'uriTemplate',
  'uri',
  'mimeType',
  'type',
  'format',
  'src',
  'pattern',
]);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

type Visit = (s: string, path: string, role: TextRole) => void;

function join(path: string, key: string): string {
  const plain = /^[A-Za-z_$][\w$-]*$/.test(key);
  if (path === '') return plain ? key : JSON.stringify(key);
  return plain ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function walk(
  value: unknown,
  path: string,
  parentKey: string | undefined,
  visit: Visit,
  depth: number,
): void {
  if (depth > 64) return;
  if (typeof value === 'string') {
    const role: TextRole =
      path === 'name' ? 'name' : parentKey !== undefined && NON_PROSE.has(parentKey) ? 'uri' : 'text';
    visit(value, path, role);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) =>
      walk(v, `${path}[${i}]`, parentKey === 'arguments' ? 'arguments' : undefined, visit, depth + 1),
    );
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = join(path, k);
    if (parentKey !== undefined && SCHEMA_MAPS.has(parentKey)) visit(k, p, 'propertyName');
    else if (k.length > 32 || /\s/.test(k) || /[^\x20-\x7e]/.test(k)) visit(k, p, 'text');
    // Prompt arguments are named like schema properties.
    if (parentKey === 'arguments' && k === 'name' && typeof v === 'string') visit(v, p, 'propertyName');
    else walk(v, p, k, visit, depth + 1);
  }
}

const INSTRUCTING =
  /\b(?:when|whenever|before|after|instead|also|always|never|must|should|replace[sd]?|deprecated|broken|unreliable|redirect|change|modify|prepend|append|add|every|only|first)\b/;

// Server names too generic to be a reference to one server.
const GENERIC_SERVER = new Set([
  'mcp',
  'server',
  'servers',
  'tool',
  'tools',
  'default',
  'main',
  'local',
  'remote',
  'api',
]);

interface Matchers {
  readonly tools: RegExp | undefined;
  readonly servers: RegExp | undefined;
}
const matcherCache = new WeakMap<readonly string[], WeakMap<readonly string[], Matchers> | Matchers>();
const EMPTY: readonly string[] = [];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileMatchers(tools: readonly string[], servers: readonly string[]): Matchers {
  const distinctive: string[] = [];
  const plain: string[] = [];
  for (const t of tools) {
    const n = t.toLowerCase();
    if (n.length < 3) continue;
    if (/[_\-.\d]/.test(n) || /[a-z][A-Z]/.test(t)) distinctive.push(escapeRe(n));
    else plain.push(escapeRe(n));
  }
  const parts: string[] = [];
  if (distinctive.length > 0) parts.push(`(?<![\\w-])(?:${distinctive.join('|')})(?![\\w-])`);
  if (plain.length > 0)
    parts.push(`\\b(?:${plain.join('|')})\\s+tool\\b|\\btool\\s+['"\`]?(?:${plain.join('|')})\\b`);
  const srv = servers
    .filter((s) => s.length >= 3 && !GENERIC_SERVER.has(s.toLowerCase()))
    .map((s) => escapeRe(s.toLowerCase()));
  return {
    tools: parts.length > 0 ? new RegExp(parts.join('|'), 'g') : undefined,
    servers:
      srv.length > 0
        ? new RegExp(
            `\\b(?:${srv.join('|')})\\s+(?:mcp\\s+)?server\\b|(?<![\\w-])(?:${srv.join('|')})__[a-z]\\w*`,
            'g',
          )
        : undefined,
  };
}

function matchers(ctx: DefinitionContext): Matchers {
  const tools = ctx.otherTools ?? EMPTY;
  const servers = ctx.otherServers ?? EMPTY;
  let inner = matcherCache.get(tools);
  if (!(inner instanceof WeakMap)) {
    inner = new WeakMap();
    matcherCache.set(tools, inner);
  }
  let m = inner.get(servers);
  if (m === undefined) {
    m = compileMatchers(tools, servers);
    inner.set(servers, m);
  }
  return m;
}

/**
 * The prompt-injection detector's verdict on a description: real descriptions are written in the
 * imperative to the model ("Use this tool…", "Ignore information that is irrelevant"), so a
 * confident score on one cue is only a weak (low) cue here; medium when two of its cues agree.
 */
function injection(s: string): Finding[] {
  const r = detectInjection(s, { kind: 'description' });
  if (r.score < INJECTION_CUE) return [];
  const first = r.findings[0];
  const start = first?.start ?? 0;
  const end = first?.end ?? s.length;
  return [
    {
      rule: 'definition.injection',
      kind: 'injection',
      // Two independent cues of medium or above corroborate each other; one alone stays low.
      severity: r.findings.filter((f) => f.severity !== 'low').length >= 2 ? 'medium' : 'low',
      start,
      end,
      evidence: first?.evidence ?? evidenceOf(s, start, end),
      score: r.score,
    },
  ];
}

/** Injection score from which a description counts as a weak injection cue. */
export const INJECTION_CUE = 0.85;

/** Mentions of other servers' tools or of other servers, worse inside an instruction. */
function shadowing(s: string, own: string | undefined, m: Matchers, folded?: Folded): Finding[] {
  if (m.tools === undefined && m.servers === undefined) return [];
  const f = folded ?? fold(s);
  const out: Finding[] = [];
  for (const re of [m.tools, m.servers]) {
    if (re === undefined) continue;
    re.lastIndex = 0;
    for (let x = re.exec(f.text); x !== null; x = re.exec(f.text)) {
      if (own !== undefined && x[0] === own.toLowerCase()) continue;
      const sentenceStart = Math.max(f.text.lastIndexOf('.', x.index) + 1, x.index - 120, 0);
      const endDot = f.text.indexOf('.', x.index + x[0].length);
      const sentence = f.text.slice(
        sentenceStart,
        Math.min(endDot < 0 ? f.text.length : endDot, x.index + 160),
      );
      const severity: Severity = INSTRUCTING.test(sentence) ? 'high' : 'medium';
      const start = f.map?.[x.index] ?? x.index;
      const end =
        f.map === undefined ? x.index + x[0].length : (f.map[x.index + x[0].length - 1] ?? s.length - 1) + 1;
      out.push({
        rule: 'definition.shadowing',
        kind: 'shadowing',
        severity,
        start,
        end,
        evidence: evidenceOf(s, start, end),
      });
    }
  }
  return out;
}

function raise(s: Severity): Severity {
  return SEVERITIES[Math.min(SEVERITIES.length - 1, SEVERITIES.indexOf(s) + 1)] ?? s;
}

/**
 * Scans one definition (a tool, prompt or resource template as listed by its server); returns
 * every finding with the path of the string it was found in. Pure and synchronous.
 */
export function scanDefinition(
  def: Readonly<Record<string, unknown>>,
  context: DefinitionContext,
): Finding[] {
  const out: Finding[] = [];
  const m = matchers(context);
  const own = typeof def.name === 'string' ? def.name : undefined;
  let total = 0;
  walk(
    def,
    '',
    undefined,
    (s, path, role) => {
      total += s.length;
      const found: Finding[] = [];
      const hidden = scanHidden(s);
      found.push(...hidden.findings);
      // One folded copy per string serves every rule.
      const folded = role === 'uri' ? undefined : fold(s);
      found.push(...scanText(s, role, folded));
      if (role === 'text') {
        found.push(...shadowing(s, own, m, folded));
        found.push(...injection(s));
      }
      // Text smuggled in tag characters or encodings is scanned as text; what it says counts more.
      for (const r of hidden.recovered) {
        for (const h of [...scanText(r.text, 'text'), ...shadowing(r.text, own, m)]) {
          if (h.severity === 'low') continue;
          found.push({
            ...h,
            severity: raise(h.severity),
            start: r.start,
            end: r.end,
            evidence: `hidden: ${h.evidence}`.slice(0, 120),
          });
        }
      }
      if (s.length >= LONG_TEXT)
        found.push({
          rule: 'definition.length',
          kind: 'length',
          severity: s.length >= VERY_LONG_TEXT ? 'medium' : 'low',
          start: 0,
          end: s.length,
          evidence: `${s.length} characters`,
        });
      for (const f of combine(found, PARAMETER.test(path)))
        out.push({ ...f, path: path === '' ? '(root)' : path });
    },
    0,
  );
  if (total >= VERY_LONG_TEXT * 2)
    out.push({
      rule: 'definition.length',
      kind: 'length',
      severity: 'medium',
      start: 0,
      end: 0,
      evidence: `${total} characters in all strings`,
      path: '(root)',
    });
  return dedupe(out);
}

// A string that describes a parameter: asking for the conversation there is the request itself.
const PARAMETER = /(?:^|\.)(?:properties|patternProperties|items|\$defs|definitions)(?:\.|\[)|^arguments\[/;
const WEAK_POISONING = new Set([
  'definition.instruction',
  'definition.secrecy',
  'definition.sensitive-file',
  'definition.fishing-parameter',
]);

/**
 * Combination logic for one string: weak cues (addressing the model, "silently", a sensitive path
 * named, the conversation mentioned) are low alone; two different ones together are medium, and a
 * mention of the conversation inside a parameter's text is high.
 */
function combine(found: Finding[], parameter: boolean): Finding[] {
  const weak = new Set(
    found.filter((f) => f.severity === 'low' && WEAK_POISONING.has(f.rule)).map((f) => f.rule),
  );
  return found.map((f) => {
    if (f.severity !== 'low') return f;
    if (parameter && f.rule === 'definition.fishing-parameter') return { ...f, severity: 'high' };
    if (weak.size >= 2 && WEAK_POISONING.has(f.rule)) return { ...f, severity: 'medium' };
    return f;
  });
}

/** One finding per rule, path and span; the most severe wins. */
function dedupe(findings: Finding[]): Finding[] {
  const best = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.rule}\u0000${f.path ?? ''}\u0000${f.start}\u0000${f.end}`;
    const prev = best.get(key);
    if (prev === undefined || SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(prev.severity))
      best.set(key, f);
  }
  return [...best.values()];
}

/** True when the findings make a definition "flagged" (one finding of {@link FLAG_SEVERITY} or above). */
export function isFlagged(findings: readonly Finding[]): boolean {
  return findings.some((f) => SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf(FLAG_SEVERITY));
}
