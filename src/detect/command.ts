/**
 * Checks for one tool-argument value (issue 5, `inspect:command-args`): shell metacharacters,
 * path traversal in any encoding, and sensitive paths. Which arguments of which tools get these
 * checks is the inspect stage's configuration; this module only judges a value.
 *
 * Traversal and sensitive paths are judged on a decoded form of the value: percent-decoding up to
 * three rounds (`%252e` → `%2e` → `.`), `%uXXXX`, overlong UTF-8 (`%c0%ae` → `.`, `%c0%af` → `/`),
 * Unicode compatibility forms (fullwidth `．．／`), backslashes as slashes, lower case.
 */
import type { Finding, Severity } from './types.js';

interface Meta {
  readonly re: RegExp;
  readonly rule: string;
  readonly severity: Severity;
  readonly what: string;
}

/** Shell metacharacters, most dangerous first; every match is reported. */
const METACHARS: readonly Meta[] = [
  {
    re: /\$\(|`|\$\{|[<>]\(/g,
    rule: 'command.substitution',
    severity: 'critical',
    what: 'command substitution',
  },
  { re: /&&|\|\||;|\||&/g, rule: 'command.chaining', severity: 'high', what: 'command chaining' },
  { re: /[\r\n]/g, rule: 'command.newline', severity: 'high', what: 'line break' },
  { re: /\u0000/g, rule: 'command.nul', severity: 'high', what: 'NUL byte' },
  { re: /\d?>>?(?!\()|<(?!\()/g, rule: 'command.redirection', severity: 'medium', what: 'redirection' },
];

/** Overlong and non-standard encodings of `.`, `/` and `\` (after lower-casing). */
const OVERLONG: readonly [RegExp, string][] = [
  [/%c0%ae|%e0%80%ae|%f0%80%80%ae/g, '.'],
  [/%c0%af|%e0%80%af|%f0%80%80%af/g, '/'],
  [/%c1%9c|%c1%8f|%e0%81%9c/g, '\\'],
  [/%u002e|%u2024|%uff0e/g, '.'],
  [/%u002f|%u2215|%uff0f/g, '/'],
  [/%u005c|%uff3c/g, '\\'],
];

/** The value decoded for path checks (see the module comment); linear, at most three rounds. */
export function decodePath(value: string): string {
  let s = value.toLowerCase();
  for (let round = 0; round < 3; round++) {
    let next = s;
    for (const [re, ch] of OVERLONG) next = next.replace(re, ch);
    next = next.replace(/%([0-9a-f]{2})/g, (_m, h: string) => {
      const c = parseInt(h, 16);
      return c < 0x80 ? String.fromCharCode(c) : `%${h}`;
    });
    if (next === s) break;
    s = next;
  }
  return s.normalize('NFKC').replace(/\\/g, '/');
}

const TRAVERSAL = /(?:^|\/)\.\.(?:\/|$)/;
const RAW_TRAVERSAL = /\.\.[\\/]|[\\/]\.\.(?:$|[\\/])|%2e%2e|%252e|%c0%ae|%u002e|．．/i;

/** Sensitive paths (on the decoded value), each with its severity. */
const SENSITIVE: readonly [RegExp, Severity][] = [
  [/(?:^|\/)\.ssh(?:\/|$)|(?:^|\/)id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?$|(?:^|\/)authorized_keys$/, 'high'],
  [/(?:^|\/)\.env(?:\.[\w-]+)?$/, 'high'],
  [/^\/etc\/(?:shadow|gshadow|passwd|sudoers|master\.passwd)(?:$|\/)/, 'high'],
  [/(?:^|\/)\.aws\/(?:credentials|config)$|(?:^|\/)\.azure\/|(?:^|\/)\.config\/gcloud(?:\/|$)/, 'high'],
  [/(?:^|\/)\.kube\/config$|(?:^|\/)\.docker\/config\.json$/, 'high'],
  [/(?:^|\/)(?:mcp|claude_desktop_config)\.json$/, 'high'],
  [/(?:^|\/)\.(?:git-credentials|netrc|npmrc|pypirc|pgpass)$|(?:^|\/)\.git\/config$/, 'high'],
  [/(?:^|\/)\.gnupg(?:\/|$)|\.(?:pem|key|p12|pfx|keystore|jks)$/, 'high'],
  [/^\/proc\/(?:self|\d+|thread-self)\/(?:environ|mem|cmdline|maps)$/, 'high'],
  [/^\/(?:var\/)?run\/secrets(?:\/|$)|^\/var\/run\/docker\.sock$/, 'high'],
  [/\/windows\/system32\/config\/(?:sam|system|security)$|(?:^|\/)ntds\.dit$/, 'high'],
  [/(?:^|\/)\.(?:bash|zsh|sh)_history$|(?:^|\/)\.gitconfig$|^\/etc\/hosts$/, 'medium'],
];

function context(value: string, start: number, end: number): string {
  const from = Math.max(0, start - 30);
  return JSON.stringify(value.slice(from, Math.min(value.length, end + 30))).slice(0, 120);
}

/**
 * Findings for one tool-argument value: `command.substitution` (`$(`, backticks, `${`, `<(`:
 * critical), `command.chaining` (`;`, `|`, `&`, `&&`, `||`: high), `command.newline` (high),
 * `command.nul` (high), `command.redirection` (`>`, `>>`, `2>`, `<`: medium),
 * `command.path-traversal` (`..` as a path segment in any encoding: high) and
 * `command.sensitive-path` (keys, credentials, `.env`, `/etc/shadow`, MCP client configs, …).
 */
export function detectCommandArgs(value: string): Finding[] {
  const out: Finding[] = [];
  for (const m of METACHARS) {
    m.re.lastIndex = 0;
    for (let x = m.re.exec(value); x !== null && out.length < 100; x = m.re.exec(value)) {
      const end = x.index + Math.max(1, x[0].length);
      out.push({
        rule: m.rule,
        kind: 'command',
        severity: m.severity,
        start: x.index,
        end,
        evidence: `${m.what}: ${context(value, x.index, end)}`.slice(0, 120),
      });
      if (x[0].length === 0) m.re.lastIndex++;
    }
  }
  const decoded = decodePath(value);
  // Each segment (split on whitespace, quotes and `=`) is judged as a path.
  const segments = decoded.split(/[\s"'=,]+/).filter((s) => s.length > 0);
  if (segments.some((s) => TRAVERSAL.test(s)) || RAW_TRAVERSAL.test(value)) {
    const raw = RAW_TRAVERSAL.exec(value);
    const start = raw?.index ?? 0;
    const end = raw === null ? value.length : start + raw[0].length;
    out.push({
      rule: 'command.path-traversal',
      kind: 'command',
      severity: 'high',
      start,
      end,
      evidence: `path traversal: ${context(value, start, end)}`.slice(0, 120),
    });
  }
  for (const [re, severity] of SENSITIVE) {
    const hit = segments.find((s) => re.test(s.replace(/^~(?=\/|$)/, '')));
    if (hit === undefined) continue;
    const at = value.toLowerCase().indexOf(hit);
    out.push({
      rule: 'command.sensitive-path',
      kind: 'command',
      severity,
      start: at >= 0 ? at : 0,
      end: at >= 0 ? at + hit.length : value.length,
      evidence: `sensitive path: ${JSON.stringify(hit)}`.slice(0, 120),
    });
  }
  return out.sort((a, b) => a.start - b.start);
}
