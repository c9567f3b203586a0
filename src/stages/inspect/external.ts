/**
 * External detectors (issue 5, `inspect:external-detector`): Azure AI Content Safety Prompt
 * Shields and text analysis, and a generic HTTP guard. Each is built once from config (keys
 * resolved, endpoints checked), calls its service with a timeout, keeps verdicts in a bounded
 * cache keyed by a digest of the text, and declares a fail mode (closed by default). Network code
 * lives here, beside the stage, never in src/detect.
 */
import { isIP } from 'node:net';
import type { ExternalDetectorConfig } from './types.js';
import { WardenError } from '../../core/errors.js';
import type { Direction } from './scan.js';
import { VerdictCache, cacheKey } from './verdict-cache.js';
import { postJson, unavailable } from './detector-http.js';

/** One thing an external detector reported. */
export interface ExternalHit {
  /** `external.<name>.<what>`. */
  readonly rule: string;
  /** False for a weaker signal (the generic guard's `flag`): audited, never blocking. */
  readonly strong: boolean;
}

/** A built external detector. */
export interface ExternalDetector {
  readonly name: string;
  readonly directions: ReadonlySet<Direction>;
  readonly failMode: 'closed' | 'open';
  /** What a strong hit does. */
  readonly action: 'block' | 'mark' | 'log';
  /**
   * What the service found in the text; rejects with ERR_INSPECT_UNAVAILABLE (failed, slow,
   * malformed) or ERR_INSPECT_TOO_LARGE (more text than the service takes).
   */
  check(text: string, direction: Direction): Promise<ExternalHit[]>;
}

/** Azure Content Safety takes at most 10,000 characters per user prompt, document set or text. */
export const AZURE_MAX_CHARS = 10_000;
/** Most Azure calls made for one message (so at most 40,000 characters are sent). */
export const AZURE_MAX_CHUNKS = 4;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function chunks(name: string, text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += AZURE_MAX_CHARS) out.push(text.slice(i, i + AZURE_MAX_CHARS));
  if (out.length > AZURE_MAX_CHUNKS)
    throw new WardenError('ERR_INSPECT_TOO_LARGE', `more text than external detector ${name} takes`, {
      data: { detector: name, maxChars: AZURE_MAX_CHARS * AZURE_MAX_CHUNKS },
    });
  return out;
}

/** Refuses an `http:` URL unless its host is a loopback address (a local double or sidecar). */
function checkUrl(path: string, raw: string): URL {
  const u = new URL(raw);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (u.protocol === 'http:' && !loopback)
    throw new WardenError('ERR_CONFIG_INVALID', `${path}: plain http is allowed only for a loopback host`, {
      data: { problems: [{ path, message: 'use https (http only for a loopback host)' }] },
    });
  return u;
}

function azureUrl(path: string, endpoint: string, op: string, apiVersion: string): string {
  const base = checkUrl(path, endpoint).href.replace(/\/+$/, '');
  return `${base}/contentsafety/text:${op}?api-version=${encodeURIComponent(apiVersion)}`;
}

/** A cached check of one chunk at a time. */
function cached(
  cfg: ExternalDetectorConfig,
  one: (chunk: string, direction: Direction) => Promise<ExternalHit[]>,
): (chunk: string, direction: Direction) => Promise<ExternalHit[]> {
  const cache = new VerdictCache<ExternalHit[]>(cfg.cache.entries, cfg.cache.ttlSec * 1000);
  return async (chunk, direction) => {
    const key = cacheKey(cfg.name, direction, chunk);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const v = await one(chunk, direction);
    cache.set(key, v);
    return v;
  };
}

/** A detector that sends the text in Azure-sized chunks (at most AZURE_MAX_CHUNKS) and joins their hits. */
function chunked(
  base: Omit<ExternalDetector, 'check'>,
  one: (chunk: string, direction: Direction) => Promise<ExternalHit[]>,
): ExternalDetector {
  return {
    ...base,
    async check(text, direction) {
      const parts = await Promise.all(chunks(base.name, text).map((c) => one(c, direction)));
      return parts.flat();
    },
  };
}

/** Builds one external detector; `secret` resolves a secret reference. */
export function createExternalDetector(
  cfg: ExternalDetectorConfig,
  index: number,
  secret: (ref: string) => string,
): ExternalDetector {
  const path = `inspection.external[${index}]`;
  const base = {
    name: cfg.name,
    directions: new Set(cfg.directions),
    failMode: cfg.failMode,
    action: cfg.action,
  };
  switch (cfg.type) {
    case 'azure-prompt-shields': {
      const url = azureUrl(`${path}.endpoint`, cfg.endpoint, 'shieldPrompt', cfg.apiVersion);
      const headers = { 'Ocp-Apim-Subscription-Key': secret(cfg.key) };
      const one = cached(cfg, async (chunk, direction) => {
        // Arguments come from the user's side: a user prompt. Results are documents the model reads.
        const asPrompt = direction === 'arguments';
        const body = asPrompt ? { userPrompt: chunk, documents: [] } : { userPrompt: '', documents: [chunk] };
        const a = await postJson(cfg.name, url, headers, body, cfg.timeoutMs);
        if (!isObj(a)) throw unavailable(cfg.name, 'unexpected answer');
        const up = a.userPromptAnalysis;
        const docs = a.documentsAnalysis;
        const hits: ExternalHit[] = [];
        if (asPrompt) {
          if (!isObj(up) || typeof up.attackDetected !== 'boolean')
            throw unavailable(cfg.name, 'unexpected answer');
          if (up.attackDetected) hits.push({ rule: `external.${cfg.name}.user-prompt-attack`, strong: true });
        } else {
          if (!Array.isArray(docs) || docs.length !== 1) throw unavailable(cfg.name, 'unexpected answer');
          const d: unknown = docs[0];
          if (!isObj(d) || typeof d.attackDetected !== 'boolean')
            throw unavailable(cfg.name, 'unexpected answer');
          if (d.attackDetected) hits.push({ rule: `external.${cfg.name}.document-attack`, strong: true });
        }
        return hits;
      });
      return chunked(base, one);
    }
    case 'azure-text-analysis': {
      const url = azureUrl(`${path}.endpoint`, cfg.endpoint, 'analyze', cfg.apiVersion);
      const headers = { 'Ocp-Apim-Subscription-Key': secret(cfg.key) };
      const one = cached(cfg, async (chunk) => {
        const body = { text: chunk, categories: cfg.categories, outputType: 'FourSeverityLevels' };
        const a = await postJson(cfg.name, url, headers, body, cfg.timeoutMs);
        if (!isObj(a) || !Array.isArray(a.categoriesAnalysis))
          throw unavailable(cfg.name, 'unexpected answer');
        const hits: ExternalHit[] = [];
        for (const c of a.categoriesAnalysis as unknown[]) {
          if (!isObj(c) || typeof c.category !== 'string' || typeof c.severity !== 'number')
            throw unavailable(cfg.name, 'unexpected answer');
          if (c.severity >= cfg.severity)
            hits.push({
              rule: `external.${cfg.name}.${c.category.slice(0, 32).toLowerCase()}`,
              strong: true,
            });
        }
        return hits;
      });
      return chunked(base, one);
    }
    case 'http': {
      const url = checkUrl(`${path}.url`, cfg.url).href;
      const headers: Record<string, string> =
        cfg.key === undefined ? {} : { authorization: `Bearer ${secret(cfg.key)}` };
      const one = cached(cfg, async (text, direction) => {
        const a = await postJson(cfg.name, url, headers, { version: 1, direction, text }, cfg.timeoutMs);
        if (!isObj(a) || (a.verdict !== 'block' && a.verdict !== 'flag' && a.verdict !== 'pass'))
          throw unavailable(cfg.name, 'unexpected answer');
        if (a.verdict === 'pass') return [];
        const named = Array.isArray(a.rules)
          ? (a.rules as unknown[])
              .filter((r): r is string => typeof r === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(r))
              .slice(0, 16)
          : [];
        const strong = a.verdict === 'block';
        const rules = named.length > 0 ? named : [a.verdict];
        return rules.map((r) => ({ rule: `external.${cfg.name}.${r}`, strong }));
      });
      return { ...base, check: (text, direction) => one(text, direction) };
    }
  }
}
