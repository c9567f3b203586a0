/**
 * Secret detection (issue 5): the secretlint recommended preset decides which secrets and formats
 * are recognised; this module only decides where to run it, so the hot path stays one cheap pass.
 *
 * 1. One global regex (`TOKENS`) finds the literal anchors the preset's rules need (`AKIA`,
 *    `ghp_`, `xoxb-`, `sk-`, `-----BEGIN`, `://user:pass@`, `npm_`, …, derived rule by rule from
 *    the preset source); a second (`KEY_SEPARATOR`) jumps between `:`/`=` separators and keeps
 *    those that end a secret-ish key (`password=`, `token:`, `api_key`, `aws_secret_access_key`,
 *    `_authToken=`, …). Two cheap scans cost less than one with every alternative.
 * 2. Around each token anchor a window is cut (the longest span that rule can match, widened to
 *    whitespace); overlapping windows merge. The preset's own rule objects run synchronously on
 *    each window through secretlint's documented rule interface (`create(context)` →
 *    `file(source)`, types from `@secretlint/types`), so their patterns and their placeholder and
 *    allow-list checks apply unchanged.
 * 3. Next to a secret-ish key the value gets an entropy check (Warden's own), and `eyJ…` three-part
 *    tokens are checked as JWTs (Warden's own; the preset has no JWT rule).
 *
 * Not run: `secretlint-rule-gcp` (it looks at whole `.json`/`.p12` files by file name; the private
 * key inside a service-account JSON is still found by the private-key rule) and
 * `secretlint-rule-filter-comments` (it lets the scanned text switch detection off with a
 * `secretlint-disable` comment, which untrusted tool text must not be able to do).
 */
import { rules as presetRules } from '@secretlint/secretlint-rule-preset-recommend';
import type {
  SecretLintRuleContext,
  SecretLintRuleCreator,
  SecretLintRuleLocalizeMessages,
  SecretLintRuleMessageTranslate,
  SecretLintRuleReportHandler,
  SecretLintSourceCode,
} from '@secretlint/types';
import { maskValue } from './mask.js';
import { KEY_REACH, execListed, prescan } from './prescan.js';
import type { Finding, Severity } from './types.js';

/** Preset rules deliberately not run on the fast path, with the reason (tested and documented). */
export const NOT_RUN: Readonly<Record<string, string>> = {
  '@secretlint/secretlint-rule-gcp':
    'whole-file check keyed on .json/.p12 file names; the private key inside is found by the private-key rule',
  '@secretlint/secretlint-rule-filter-comments':
    'a secretlint-disable comment in untrusted text must not switch detection off',
};

/** How each preset message maps to a Warden rule id, severity and public prefix length. */
interface MessageMap {
  readonly rule: string;
  readonly severity: Severity;
  /** How many leading characters of the match are a public format prefix (kept in evidence). */
  readonly keep: number;
}

/** Preset message id → Warden rule; a message id not listed here maps to `secret.<message id>`. */
export const PRESET_MESSAGES: Readonly<Record<string, MessageMap>> = {
  AWSAccessKeyID: { rule: 'secret.aws-access-key-id', severity: 'high', keep: 4 },
  AWSSecretAccessKey: { rule: 'secret.aws-secret-access-key', severity: 'critical', keep: 0 },
  AWSAccountID: { rule: 'secret.aws-account-id', severity: 'low', keep: 0 },
  PrivateKey: { rule: 'secret.private-key', severity: 'critical', keep: 10 },
  PackageJSON_xOauthToken: { rule: 'secret.github-oauth-url', severity: 'critical', keep: 0 },
  Npmrc_authToken: { rule: 'secret.npm-auth-token', severity: 'high', keep: 0 },
  NPM_ACCESS_TOKEN: { rule: 'secret.npm-token', severity: 'high', keep: 4 },
  SLACK_TOKEN: { rule: 'secret.slack-token', severity: 'high', keep: 5 },
  IncomingWebhook: { rule: 'secret.slack-webhook', severity: 'high', keep: 8 },
  BasicAuth: { rule: 'secret.url-credentials', severity: 'high', keep: 0 },
  OPENAI_TOKEN: { rule: 'secret.openai-key', severity: 'critical', keep: 3 },
  ANTHROPIC_API_KEY: { rule: 'secret.anthropic-key', severity: 'critical', keep: 13 },
  LINEAR_API_TOKEN: { rule: 'secret.linear-key', severity: 'high', keep: 8 },
  SENDGRID_KEY: { rule: 'secret.sendgrid-key', severity: 'high', keep: 3 },
  SHOPIFY_KEY: { rule: 'secret.shopify-key', severity: 'high', keep: 6 },
  GITHUB_TOKEN: { rule: 'secret.github-token', severity: 'critical', keep: 4 },
  OPS_TOKEN: { rule: 'secret.1password-token', severity: 'critical', keep: 4 },
  MongoDBConnection: { rule: 'secret.db-connection-string', severity: 'high', keep: 0 },
  MySQLConnection: { rule: 'secret.db-connection-string', severity: 'high', keep: 0 },
  PostgreSQLConnection: { rule: 'secret.db-connection-string', severity: 'high', keep: 0 },
};

type RuleCreator = SecretLintRuleCreator<Record<string, unknown>>;

/** One preset rule, instantiated once with a context whose reports go to `sink`. */
interface LoadedRule {
  readonly id: string;
  readonly handler: SecretLintRuleReportHandler;
}

interface Report {
  readonly messageId: string;
  readonly start: number;
  readonly end: number;
}

let sink: Report[] = [];

/** Options per preset rule: the AWS rule's key-id scan is off by default; Warden wants it. */
const RULE_OPTIONS: Readonly<Record<string, Record<string, unknown>>> = {
  '@secretlint/secretlint-rule-aws': { enableIDScanRule: true },
};

const context: SecretLintRuleContext = {
  sharedOptions: { locale: 'en', maskSecrets: true },
  createTranslator<T extends SecretLintRuleLocalizeMessages>(
    _messages: T,
  ): SecretLintRuleMessageTranslate<T> {
    // Only the message id is kept: the rendered message and its data would carry the secret.
    return (messageId: keyof T) => ({
      message: '',
      messageId: String(messageId),
      data: undefined,
    });
  },
  report(d) {
    sink.push({ messageId: d.message.messageId, start: d.range[0], end: d.range[1] });
  },
  ignore() {
    // Only the filter-comments rule ignores, and it is not run.
  },
};

/** The preset's rules that run, in preset order, keyed by rule id. */
export const LOADED_RULES: ReadonlyMap<string, LoadedRule> = new Map(
  (presetRules as unknown as readonly RuleCreator[])
    .filter((r) => !(r.meta.id in NOT_RUN))
    .map((r) => [r.meta.id, { id: r.meta.id, handler: r.create(context, RULE_OPTIONS[r.meta.id] ?? {}) }]),
);

/** Every rule id of the installed preset (run or not). */
export const PRESET_RULE_IDS: readonly string[] = (presetRules as unknown as readonly RuleCreator[]).map(
  (r) => r.meta.id,
);

function sourceOf(content: string, filePath?: string): SecretLintSourceCode {
  const unsupported = (): never => {
    throw new Error('not available on the fast path');
  };
  return {
    hasBOM: false,
    content,
    filePath,
    physicalFilePath: undefined,
    contentType: 'text',
    ext: filePath === undefined ? '' : filePath.slice(filePath.lastIndexOf('.')),
    getFilePath: () => filePath,
    getPhysicalFilePath: () => undefined,
    locationToRange: unsupported,
    rangeToLocation: unsupported,
    positionToIndex: unsupported,
    indexToPosition: unsupported,
  };
}

const P = '@secretlint/secretlint-rule-';

/**
 * Token anchors, one alternative per group: PEM header, token prefixes (each with the rules that
 * own it), credentials in a URL, the Slack webhook host, a JWT start. Case-sensitive like the
 * preset's token patterns (the webhook host, matched case-insensitively by its rule, spelled so).
 *
 * Prefixes that begin with a common letter are matched from a rarer character inside them (`npm_`
 * as `pm_`, `shpat_` as `hpat_`, `lin_api_` as `_api_`, `ops_ey` as `ps_ey`, `sk-` as `k-`,
 * `hooks.slack.com/` as `ks.slack.com/`, `eyJ` as `yJ`) and the letters before are checked where it
 * matches ({@link LEAD}): a scan whose first characters are rare skips ahead about twice as fast on
 * prose, JSON and logs (2.7 → 1.3 ms per MiB).
 */
const TOKENS =
  /(-----BEGIN)|(gh[pousr]_|github_pat_|pm_|hp(?:pa|ca|at|ss)_|_api_|ps_ey|xox[bpaor]-|xapp-|k-|SG\.|A(?:3T|KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA))|(:\/\/[^\s/:]{1,256}:[^\s/@]{1,256}@)|([kK][sS]\.[sS][lL][aA][cC][kK]\.[cC][oO][mM]\/)|(yJ)/g;

/** {@link TOKENS} tried at one offset. */
const TOKENS_AT = new RegExp(TOKENS.source, 'y');

/** The letters a shortened token anchor needs before it (by its first two characters). */
const LEAD: Readonly<Record<string, string>> = { pm: 'n', hp: 's', _a: 'lin', ps: 'o', 'k-': 's' };

/** Whether `lead` (lower case) stands right before `pos`, compared case-insensitively when `anyCase`. */
function leadBefore(text: string, pos: number, lead: string, anyCase: boolean): boolean {
  if (pos < lead.length) return false;
  const before = text.slice(pos - lead.length, pos);
  return (anyCase ? before.toLowerCase() : before) === lead;
}

/** Secret-ish key names (entropy check) and the key names the AWS and npmrc rules need. */
const KEY_NAMES =
  '_authToken|secret|access[_-]?key|account(?:[_-]?id)?|pass(?:word|wd|phrase)?|pwd|token|api[_-]?key|authorization|auth|credential|bearer|private[_-]?key';

/**
 * A `:` or `=` that ends `<key name>…[quote][spaces]`: the scan jumps between separators (rare in
 * prose, and absent from long random runs) and looks back only there.
 */
const KEY_SEPARATOR = new RegExp(`[:=](?<=(?:${KEY_NAMES})[\\w.-]{0,32}["']?\\s{0,4}[:=])`, 'gi');
/** {@link KEY_SEPARATOR} tried at one offset. */
const KEY_SEPARATOR_AT = new RegExp(KEY_SEPARATOR.source, 'iy');
/** The key before a separator: the leftmost key name whose tail reaches it. */
const KEY_BEFORE = new RegExp(`(${KEY_NAMES})[\\w.-]{0,32}["']?\\s{0,4}$`, 'i');
// KEY_REACH (prescan.ts, 64): how far before a separator its key may start (key name, 32
// characters of tail, quote, spaces).

/** Which preset rules a token anchor (by its first characters, lower-cased) needs. */
function rulesForToken(anchor: string): readonly string[] {
  const a = anchor.toLowerCase();
  if (a.startsWith('g')) return [`${P}github`];
  if (a.startsWith('npm_')) return [`${P}npm`];
  if (a.startsWith('shp')) return [`${P}shopify`];
  if (a.startsWith('lin_')) return [`${P}linear`];
  if (a.startsWith('ops_')) return [`${P}1password`];
  if (a.startsWith('xox') || a.startsWith('xapp')) return [`${P}slack`];
  if (a.startsWith('sk-')) return [`${P}openai`, `${P}anthropic`];
  if (a.startsWith('sg.')) return [`${P}sendgrid`];
  return [`${P}aws`];
}

/** Longest span (characters after the anchor) each rule can match; windows reach this far. */
const REACH: Readonly<Record<string, number>> = {
  [`${P}privatekey`]: 10_200,
  [`${P}1password`]: 1_400,
  [`${P}database-connection-string`]: 1_200,
  [`${P}basicauth`]: 800,
  [`${P}npm`]: 600,
};
const DEFAULT_REACH = 300;
/** Characters before an anchor a window starts (key names, URL schemes, look-behinds). */
const BACK = 64;
/** How far past its reach a window may grow to end on whitespace instead of inside a token. */
const SLACK = 256;

interface Window {
  start: number;
  end: number;
  readonly rules: Set<string>;
  npmrc: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 34 || c === 39;
}

function addWindow(
  windows: Window[],
  text: string,
  pos: number,
  rules: readonly string[],
  npmrc = false,
): void {
  let reach = 0;
  for (const r of rules) reach = Math.max(reach, REACH[r] ?? DEFAULT_REACH);
  const start = Math.max(0, pos - BACK);
  let end = Math.min(text.length, pos + reach);
  const limit = Math.min(text.length, end + SLACK);
  while (end < limit && !isSpace(text.charCodeAt(end))) end++;
  const last = windows[windows.length - 1];
  if (last !== undefined && start <= last.end) {
    last.end = Math.max(last.end, end);
    for (const r of rules) last.rules.add(r);
    last.npmrc ||= npmrc;
    return;
  }
  windows.push({ start, end, rules: new Set(rules), npmrc });
}

// Span fixes for preset reports whose range starts at the key name rather than at the value.
const AWS_SECRET_VALUE = /[A-Za-z0-9/+=]{40}/y;
const XOAUTH = /https?:\/\/[^\s]{1,256}?:x-oauth-basic@/y;
const NPMRC = /_authToken=[^\r\n]*/y;

function fixSpan(messageId: string, text: string, start: number, end: number): [number, number] {
  if (messageId === 'AWSSecretAccessKey') {
    const eol = text.indexOf('\n', start);
    const line = text.slice(start, eol < 0 ? Math.min(text.length, start + 200) : eol);
    const m = /[=:>]\s*["']?([A-Za-z0-9/+=]{40})/.exec(line);
    if (m?.[1] !== undefined) {
      const s = start + line.indexOf(m[1], m.index);
      AWS_SECRET_VALUE.lastIndex = s;
      if (AWS_SECRET_VALUE.test(text)) return [s, s + 40];
    }
  } else if (messageId === 'PackageJSON_xOauthToken') {
    XOAUTH.lastIndex = start;
    const m = XOAUTH.exec(text);
    if (m) return [start, start + m[0].length];
  } else if (messageId === 'Npmrc_authToken') {
    NPMRC.lastIndex = start;
    const m = NPMRC.exec(text);
    if (m) return [start + '_authToken='.length, start + m[0].length];
  }
  return [start, end];
}

function runPreset(text: string, windows: readonly Window[], out: Finding[]): void {
  const seen = new Set<string>();
  for (const w of windows) {
    const content = text.slice(w.start, w.end);
    for (const id of w.rules) {
      const rule = LOADED_RULES.get(id);
      if (rule?.handler.file === undefined) continue;
      sink = [];
      // No file path: the npm rule then checks package.json-style URLs; `.npmrc` for _authToken.
      void rule.handler.file(sourceOf(content));
      if (w.npmrc && id === `${P}npm`) void rule.handler.file(sourceOf(content, '.npmrc'));
      for (const r of sink) {
        const [start, end] = fixSpan(r.messageId, text, w.start + r.start, w.start + r.end);
        const key = `${r.messageId}:${start}:${end}`;
        if (seen.has(key) || end <= start) continue;
        seen.add(key);
        const map = PRESET_MESSAGES[r.messageId] ?? {
          rule: `secret.${r.messageId}`,
          severity: 'high',
          keep: 0,
        };
        out.push({
          rule: map.rule,
          kind: 'secret',
          severity: map.severity,
          start,
          end,
          evidence: maskValue(text.slice(start, end), map.keep),
        });
      }
    }
  }
  sink = [];
}

// --- Warden's own checks: entropy next to secret-ish keys, JWTs. ---

/** After a key-name anchor: rest of the key, separator, optional quote and scheme, the value. */
const KV_TAIL =
  /[\w.-]{0,32}["']?\s{0,4}(?::=|=>|[:=])\s{0,4}["'`]?(?:(?:Bearer|Basic|Token)\s+)?([^\s"'`,;<>{}()[\]\\]{8,512})/iy;
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/y;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLACEHOLDER =
  /^(?:\$|%|<|\{|\*{3}|x{4}|\.{3}|data:|iVBORw0KGgo|\/9j\/|R0lGOD|process\.env|os\.environ|env\.|secrets\.|\[REDACTED)|(?:example|placeholder|changeme|your[_-]|dummy|redacted|xxxx|null|undefined|true|false)/i;
/** A code reference such as `config.auth.token`, not a value. */
const MEMBER_PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
/** Lower-case words joined by separators (`oauth2-client-credentials`): an identifier, not a key. */
const WORDS = /^[a-z]+\d*(?:[-_.][a-z]+\d*)*$/;
/** What may follow a secret-ish key name inside the key (`password_hash` yes, `passwordPolicy` no). */
const KEY_SUFFIX = /^(?:[_.-]?(?:key|value|token|secret|hash|str|string|enc|b64|base64|id|\d))*["']?$/i;

/** Shannon entropy of `s` in bits per character. */
export function shannonEntropy(s: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

function classes(s: string): number {
  return (
    (/[a-z]/.test(s) ? 1 : 0) +
    (/[A-Z]/.test(s) ? 1 : 0) +
    (/\d/.test(s) ? 1 : 0) +
    (/[^A-Za-z0-9]/.test(s) ? 1 : 0)
  );
}

/**
 * Whether a value next to a secret-ish key looks like a real secret: long and random enough,
 * not a UUID, placeholder, variable reference, code path or encoded image. Passwords need less
 * (8 characters of three classes) than tokens and keys (16 characters, 3.5 bits per character,
 * or 32+ hex digits at 3 bits).
 */
export function looksSecret(value: string, password: boolean): boolean {
  if (PLACEHOLDER.test(value) || UUID.test(value) || MEMBER_PATH.test(value)) return false;
  if (/^(.)\1*$/.test(value) || /^\d+$/.test(value)) return false;
  const h = shannonEntropy(value);
  if (password) return value.length >= 8 && (h >= 3 || classes(value) >= 3);
  if (value.length < 16) return false;
  if (/^[0-9a-f]+$/i.test(value)) return value.length >= 32 && h >= 3;
  if (WORDS.test(value)) return false;
  return h >= 3.5 && classes(value) >= 2;
}

function entropyFinding(text: string, keyStart: number, keyEnd: number, key: string, out: Finding[]): number {
  KV_TAIL.lastIndex = keyEnd;
  const m = KV_TAIL.exec(text);
  const value = m?.[1];
  if (m === null || value === undefined) return keyEnd;
  // The key must start a word: `monkey_password` yes, but not `compass=…` via `pass`.
  const before = keyStart > 0 ? text.charCodeAt(keyStart - 1) : 32;
  const keyLower = key.toLowerCase();
  const password = keyLower.startsWith('pass') || keyLower === 'pwd';
  const isLetter = (before >= 65 && before <= 90) || (before >= 97 && before <= 122);
  if (isLetter && !password && keyLower !== 'token' && keyLower !== 'secret') return keyEnd;
  // `Authorization: Bearer …` reads as key `authorization`.
  const tail = /^[\w.-]*["']?/.exec(m[0])?.[0] ?? '';
  if (!KEY_SUFFIX.test(tail)) return keyEnd;
  if (!looksSecret(value, password)) return KV_TAIL.lastIndex;
  const end = KV_TAIL.lastIndex;
  const start = end - value.length;
  out.push({
    rule: password ? 'secret.password-assignment' : 'secret.high-entropy-assignment',
    kind: 'secret',
    severity: password ? 'high' : 'medium',
    start,
    end,
    evidence: `${text.slice(keyStart, keyEnd)}=${maskValue(value)}`.slice(0, 120),
    score: Math.min(1, shannonEntropy(value) / 6),
  });
  return end;
}

function byStart(a: Finding, b: Finding): number {
  return a.start - b.start || b.end - a.end;
}

/**
 * Secrets in `text`: the secretlint recommended preset's findings (rule ids `secret.<format>`),
 * JWTs (`secret.jwt`) and high-entropy values assigned to secret-ish keys
 * (`secret.password-assignment`, `secret.high-entropy-assignment`). Evidence is masked
 * (`ghp_…[40]`). Synchronous; linear in the text length.
 */
export function detectSecrets(text: string): Finding[] {
  const requests: [pos: number, rules: readonly string[], npmrc: boolean][] = [];
  const own: Finding[] = [];
  // With the single pass (prescan.ts), the anchors are tried only where it listed a possible start.
  const pre = prescan(text);
  const starts = pre?.token ?? null;
  const at = { k: 0 };
  const tokens = starts === null ? TOKENS : TOKENS_AT;
  tokens.lastIndex = 0;
  for (;;) {
    const m = starts === null ? tokens.exec(text) : execListed(text, tokens, starts, at);
    if (m === null) break;
    // Numbered groups 1–5: pem, tok, url, hook, jwt (named groups cost an object per match).
    let pos = m.index;
    const tok = m[2];
    if (tok !== undefined) {
      const lead = LEAD[tok.slice(0, 2)] ?? '';
      if (lead !== '' && !leadBefore(text, pos, lead, false)) continue;
      pos -= lead.length;
      requests.push([pos, rulesForToken(lead + tok), false]);
    } else if (m[1] !== undefined) requests.push([pos, [`${P}privatekey`], false]);
    else if (m[3] !== undefined)
      requests.push([pos, [`${P}basicauth`, `${P}database-connection-string`, `${P}npm`], false]);
    else if (m[4] !== undefined) {
      if (leadBefore(text, pos, 'hoo', true)) requests.push([pos - 3, [`${P}slack`], false]);
    } else {
      if (!leadBefore(text, pos, 'e', false)) continue;
      pos--;
      JWT.lastIndex = pos;
      if (JWT.test(text)) {
        own.push({
          rule: 'secret.jwt',
          kind: 'secret',
          severity: 'high',
          start: pos,
          end: JWT.lastIndex,
          evidence: maskValue(text.slice(pos, JWT.lastIndex), 3),
        });
        tokens.lastIndex = JWT.lastIndex;
      }
    }
  }
  let skipUntil = 0;
  // The separators: with the single pass (prescan.ts), only those it lists (a key name's first
  // letters stand close enough before them, with nothing between that the key's tail cannot hold).
  const listed = pre?.sep ?? null;
  const atSep = { k: 0 };
  const separators = listed === null ? KEY_SEPARATOR : KEY_SEPARATOR_AT;
  separators.lastIndex = 0;
  for (;;) {
    const m = listed === null ? separators.exec(text) : execListed(text, separators, listed, atSep);
    if (m === null) break;
    const sep = m.index;
    if (sep < skipUntil) continue;
    const from = Math.max(0, sep - KEY_REACH);
    const k = KEY_BEFORE.exec(text.slice(from, sep));
    const name = k?.[1];
    if (k === null || name === undefined) continue;
    const keyStart = from + k.index;
    const region = k[0];
    if (region.includes('_authToken')) requests.push([keyStart, [`${P}npm`], true]);
    // The AWS rule's key names all contain `access…key` or `account`.
    else if (/access[_-]?key|account/i.test(region)) requests.push([keyStart, [`${P}aws`], false]);
    skipUntil = entropyFinding(text, keyStart, keyStart + name.length, name, own);
  }
  // Windows merge in position order; the two scans each found theirs in order.
  requests.sort((x, y) => x[0] - y[0]);
  const windows: Window[] = [];
  for (const [pos, rules, npmrc] of requests) addWindow(windows, text, pos, rules, npmrc);
  own.sort(byStart);
  const preset: Finding[] = [];
  runPreset(text, windows, preset);
  if (own.length === 0) return preset.sort(byStart);
  // A value the preset already names is not reported again by the entropy check (one sweep over
  // both lists in start order, so many findings stay linear).
  preset.sort(byStart);
  const found = [...preset];
  let i = 0;
  let reach = -1;
  for (const f of own) {
    while (i < preset.length && preset[i]!.start < f.end) reach = Math.max(reach, preset[i++]!.end);
    if (reach <= f.start) found.push(f);
  }
  return found.sort(byStart);
}
