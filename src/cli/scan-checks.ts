/**
 * `warden scan` checks: risky launch commands (shell wrappers, pipe-to-shell, unpinned or @latest
 * packages), plain-http remotes, secrets written into configs, poisoned and shadowing definitions,
 * and definitions that differ from `warden.lock`.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import type { Severity } from '../detect/types.js';
import { detectSecrets, looksSecret } from '../detect/secrets.js';
import { scanDefinition } from '../detect/definitions.js';
import type { DefinitionKind } from '../detect/definitions.js';
import { canonicalDefinition } from '../stages/integrity/canonical.js';
import type { Pin } from '../store/pins.js';
import type { ConfiguredServer } from './scan-discover.js';

/** One problem `warden scan` reports. */
export interface ScanFinding {
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  /** The file the finding is about (config, tools file or lock file; absolute). */
  readonly file: string;
  /** 1-based line in `file`. */
  readonly line: number;
  readonly server?: string;
  readonly client?: string;
  /** For definitions: `tool <name>`, `prompt <name>` or `resourceTemplate <uri>`. */
  readonly definition?: string;
  /** Where in the definition (scanner path). */
  readonly path?: string;
  /** Masked for secrets; at most 120 characters. */
  readonly evidence?: string;
}

/** One sentence per rule, for reports and SARIF rule descriptions. */
export const RULE_TEXT: Readonly<Record<string, string>> = {
  'config.shell-wrapper': 'Server launched through a shell (sh -c, bash -c, cmd /c, powershell -Command)',
  'config.pipe-to-shell': 'Launch command downloads and runs a script (curl … | sh)',
  'config.unpinned-package': 'Package runner starts a package without a pinned version',
  'config.latest-tag': 'Package or image pinned to a moving tag (@latest, :latest)',
  'config.plain-http': 'Remote server reached over plain http (not loopback)',
  'config.secret': 'Secret written into the client configuration',
  'lock.changed': 'Definition differs from the one pinned in warden.lock',
  'lock.added': 'Definition not pinned in warden.lock',
  'lock.removed': 'Definition pinned in warden.lock is no longer offered',
  'definition.instruction': 'Definition gives instructions to the model',
  'definition.hidden-tag': 'Definition carries fake system/important tags',
  'definition.secrecy': 'Definition asks the model to hide something from the user',
  'definition.sensitive-file': 'Definition asks for secrets or sensitive files',
  'definition.fishing-parameter': 'Parameter fishes for the conversation, the system prompt or secrets',
  'definition.shadowing': 'Definition refers to other servers or their tools',
  'definition.exfiltration': 'Definition names an exfiltration target (URL, email, host)',
  'definition.encoded': 'Definition carries an encoded payload',
  'definition.invisible': 'Definition carries invisible Unicode (tag characters, zero-width, bidi)',
  'definition.ansi': 'Definition carries terminal escape sequences',
  'definition.length': 'Definition text of abnormal length or padding',
  'definition.injection': 'Definition reads like a prompt injection',
};

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'cmd', 'powershell', 'pwsh']);
const SHELL_FLAG = /^(?:-c|-lc|-ic|\/c|\/k|-command|-encodedcommand|-e)$/i;
const PIPE_TO_SHELL =
  /\b(?:curl|wget|iwr|invoke-webrequest)\b[^|]*\|\s*(?:sudo\s+)?(?:sh|bash|zsh|python3?|node|iex|invoke-expression)\b/i;
const RUNNERS: Readonly<Record<string, 'npm' | 'py'>> = { npx: 'npm', bunx: 'npm', uvx: 'py', pipx: 'py' };

function base(command: string): string {
  return (command.split(/[\\/]/).pop() ?? command).replace(/\.(?:exe|cmd|bat)$/i, '').toLowerCase();
}

/** The package an npm-style runner starts: the first argument that is not an option. */
function runnerPackage(args: readonly string[]): { spec: string; yes: boolean } | undefined {
  let yes = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-y' || a === '--yes') yes = true;
    else if (a === '-p' || a === '--package') return { spec: args[i + 1] ?? '', yes };
    else if (a.startsWith('--package=')) return { spec: a.slice(10), yes };
    else if (a === 'run' || a === 'dlx' || a === 'exec') continue;
    else if (!a.startsWith('-')) return { spec: a, yes };
  }
  return undefined;
}

function npmVersion(spec: string): string | undefined {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  return at < 0 ? undefined : spec.slice(at + 1);
}

/** Shell wrappers, pipe-to-shell, unpinned and @latest packages of a stdio server. */
export function launchChecks(s: ConfiguredServer): ScanFinding[] {
  if (s.command === undefined) return [];
  const out: ScanFinding[] = [];
  const at = { file: s.file, line: s.line, server: s.name, client: s.client };
  const cmd = base(s.command);
  const full = [s.command, ...s.args].join(' ');
  if (SHELLS.has(cmd) && s.args.some((a) => SHELL_FLAG.test(a)))
    out.push({
      ...at,
      rule: 'config.shell-wrapper',
      severity: 'high',
      message: `${s.name} runs through ${cmd}`,
      evidence: full.slice(0, 120),
    });
  if (PIPE_TO_SHELL.test(full))
    out.push({
      ...at,
      rule: 'config.pipe-to-shell',
      severity: 'critical',
      message: `${s.name} pipes a download into an interpreter`,
      evidence: full.slice(0, 120),
    });
  let runner = RUNNERS[cmd];
  let args = s.args;
  // `pnpm dlx pkg`, `yarn dlx pkg`, `npm exec pkg`, `bun x pkg` start packages like npx.
  if ((cmd === 'pnpm' || cmd === 'yarn') && s.args[0] === 'dlx') runner = 'npm';
  if (cmd === 'npm' && s.args[0] === 'exec') runner = 'npm';
  if (cmd === 'bun' && s.args[0] === 'x') [runner, args] = ['npm', s.args.slice(1)];
  if (runner !== undefined) {
    const pkg = runnerPackage(args);
    if (pkg !== undefined && pkg.spec !== '') {
      const version = runner === 'npm' ? npmVersion(pkg.spec) : /(?:==|@)([^\s]+)$/.exec(pkg.spec)?.[1];
      if (version === 'latest' || version === 'next')
        out.push({
          ...at,
          rule: 'config.latest-tag',
          severity: 'high',
          message: `${s.name} starts ${pkg.spec}, whatever is published at the time`,
          evidence: full.slice(0, 120),
        });
      else if (version === undefined || version === '' || /^[\^~*]|^[<>]|x$/i.test(version))
        out.push({
          ...at,
          rule: 'config.unpinned-package',
          severity: pkg.yes ? 'high' : 'medium',
          message: `${s.name} starts ${pkg.spec} without a pinned version${pkg.yes ? ' and without asking (-y)' : ''}`,
          evidence: full.slice(0, 120),
        });
    }
  }
  if (cmd === 'docker' || cmd === 'podman') {
    const image = dockerImage(s.args);
    if (
      image !== undefined &&
      !image.includes('@sha256:') &&
      (image.endsWith(':latest') || !/:[^/]+$/.test(image))
    )
      out.push({
        ...at,
        rule: 'config.latest-tag',
        severity: 'medium',
        message: `${s.name} runs image ${image} without a fixed tag or digest`,
        evidence: full.slice(0, 120),
      });
  }
  return out;
}

const DOCKER_VALUE_FLAGS = new Set([
  '-e',
  '--env',
  '-v',
  '--volume',
  '-p',
  '--publish',
  '--name',
  '--network',
  '-w',
  '--workdir',
  '--entrypoint',
  '--mount',
  '--env-file',
  '-u',
  '--user',
  '--platform',
  '-l',
  '--label',
]);

/** The image of `docker run …`: the first argument after `run` that is neither an option nor its value. */
function dockerImage(args: readonly string[]): string | undefined {
  const run = args.indexOf('run');
  if (run < 0) return undefined;
  for (let i = run + 1; i < args.length; i++) {
    const a = args[i] ?? '';
    if (DOCKER_VALUE_FLAGS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

function loopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/** A remote server reached over plain http on a non-loopback host. */
export function remoteChecks(s: ConfiguredServer): ScanFinding[] {
  if (s.url === undefined) return [];
  let u: URL;
  try {
    u = new URL(s.url);
  } catch {
    return [];
  }
  if (u.protocol !== 'http:' || loopback(u.hostname)) return [];
  return [
    {
      rule: 'config.plain-http',
      severity: 'high',
      message: `${s.name} is reached over plain http at ${u.host}: tokens and tool traffic travel unencrypted`,
      file: s.file,
      line: s.line,
      server: s.name,
      client: s.client,
      evidence: `${u.protocol}//${u.host}${u.pathname}`.slice(0, 120),
    },
  ];
}

const SECRET_KEY = /(?:key|token|secret|passw(?:or)?d|pwd|credential|auth|cookie|session)/i;
// A reference the client resolves (VS Code ${input:…}, ${env:…}, $VAR), not a value.
const REFERENCE = /^\$\{?[\w:.-]+\}?$/;

/** Secrets written into env values, headers, arguments and URLs (masked evidence). */
export function secretChecks(s: ConfiguredServer): ScanFinding[] {
  const out: ScanFinding[] = [];
  const seen = new Set<string>();
  const add = (where: string, evidence: string): void => {
    if (seen.has(where)) return;
    seen.add(where);
    out.push({
      rule: 'config.secret',
      severity: 'high',
      message: `${s.name}: secret written in ${where}; use an environment reference or a secret store`,
      file: s.file,
      line: s.line,
      server: s.name,
      client: s.client,
      evidence,
    });
  };
  const check = (where: string, key: string | undefined, value: string): void => {
    if (REFERENCE.test(value.trim())) return;
    const text = key === undefined ? value : `${key}=${value}`;
    const f = detectSecrets(text)[0];
    if (f !== undefined) return add(where, `${f.rule}: ${f.evidence}`);
    if (
      key !== undefined &&
      SECRET_KEY.test(key) &&
      looksSecret(value.replace(/^Bearer\s+/i, ''), /passw|pwd/i.test(key))
    )
      add(where, `${key}=${value.slice(0, 3)}…[${value.length}]`);
  };
  for (const [k, v] of Object.entries(s.env)) check(`env ${k}`, k, v);
  for (const [k, v] of Object.entries(s.headers)) check(`header ${k}`, k, v);
  s.args.forEach((a, i) => {
    const eq = /^--?([\w-]+)=(.+)$/.exec(a);
    if (eq !== null) check(`argument ${i}`, eq[1], eq[2] ?? '');
    else if (i > 0 && /^--?[\w-]+$/.test(s.args[i - 1] ?? '') && SECRET_KEY.test(s.args[i - 1] ?? ''))
      check(`argument ${i}`, s.args[i - 1]?.replace(/^-+/, ''), a);
    else check(`argument ${i}`, undefined, a);
  });
  if (s.url !== undefined) check('url', undefined, s.url);
  return out;
}

/** The definitions one server offers, from a connection or a saved `tools/list` result. */
export interface ServerDefinitions {
  readonly server: string;
  /** Where the definitions came from (config file for --connect, the tools file for --tools). */
  readonly file: string;
  readonly line: number;
  readonly client?: string;
  readonly tools: readonly Record<string, unknown>[];
  readonly prompts: readonly Record<string, unknown>[];
  readonly resourceTemplates: readonly Record<string, unknown>[];
}

function defName(kind: DefinitionKind, d: Record<string, unknown>): string {
  const n = kind === 'resourceTemplate' ? d.uriTemplate : d.name;
  return typeof n === 'string' ? n : '?';
}

function eachDefinition(s: ServerDefinitions): [DefinitionKind, Record<string, unknown>][] {
  return [
    ...s.tools.map((d): [DefinitionKind, Record<string, unknown>] => ['tool', d]),
    ...s.prompts.map((d): [DefinitionKind, Record<string, unknown>] => ['prompt', d]),
    ...s.resourceTemplates.map((d): [DefinitionKind, Record<string, unknown>] => ['resourceTemplate', d]),
  ];
}

/** Poisoned and shadowing definitions: each server scanned with the other servers' tools as context. */
export function definitionChecks(all: readonly ServerDefinitions[]): ScanFinding[] {
  const out: ScanFinding[] = [];
  for (const s of all) {
    const own = new Set(s.tools.map((t) => defName('tool', t)));
    const others = all.filter((o) => o !== s);
    const otherTools = others
      .flatMap((o) => o.tools.map((t) => defName('tool', t)))
      .filter((n) => !own.has(n));
    const otherServers = others.map((o) => o.server).filter((n) => n !== s.server);
    for (const [kind, d] of eachDefinition(s)) {
      const name = defName(kind, d);
      for (const f of scanDefinition(d, { kind, server: s.server, otherTools, otherServers })) {
        out.push({
          rule: f.rule,
          severity: f.severity,
          message: `${s.server}: ${kind} ${name}: ${RULE_TEXT[f.rule] ?? f.rule} (at ${f.path ?? '(root)'})`,
          file: s.file,
          line: s.line,
          server: s.server,
          ...(s.client !== undefined ? { client: s.client } : {}),
          definition: `${kind} ${name}`,
          ...(f.path !== undefined ? { path: f.path } : {}),
          evidence: f.evidence,
        });
      }
    }
  }
  return out;
}

/** Definitions that differ from, are missing from, or were removed since `warden.lock`. */
export function lockChecks(
  all: readonly ServerDefinitions[],
  pins: readonly Pin[],
  lockFile: string,
): ScanFinding[] {
  const out: ScanFinding[] = [];
  const rel = path.basename(lockFile);
  for (const s of all) {
    const pinned = pins.filter((p) => p.server === s.server && p.kind !== 'server');
    // A server the lock does not know at all is not compared (nothing to drift from).
    if (pinned.length === 0) continue;
    const listed = new Set<string>();
    for (const [kind, d] of eachDefinition(s)) {
      const name = defName(kind, d);
      listed.add(`${kind} ${name}`);
      const pin = pinned.find((p) => p.kind === kind && p.name === name);
      const at = {
        file: s.file,
        line: s.line,
        server: s.server,
        definition: `${kind} ${name}`,
        ...(s.client !== undefined ? { client: s.client } : {}),
      };
      if (pin === undefined)
        out.push({
          ...at,
          rule: 'lock.added',
          severity: 'medium',
          message: `${s.server}: ${kind} ${name} is not in ${rel}`,
        });
      else if (pin.hash !== canonicalDefinition(d).hash)
        out.push({
          ...at,
          rule: 'lock.changed',
          severity: 'high',
          message: `${s.server}: ${kind} ${name} differs from ${rel} (sha256 ${pin.hash.slice(0, 12)}…)`,
        });
    }
    for (const p of pinned)
      if (!listed.has(`${p.kind} ${p.name}`))
        out.push({
          rule: 'lock.removed',
          severity: 'low',
          message: `${s.server}: ${p.kind} ${p.name} in ${rel} is no longer offered`,
          file: s.file,
          line: s.line,
          server: s.server,
          definition: `${p.kind} ${p.name}`,
        });
  }
  return out;
}
