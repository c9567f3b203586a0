/**
 * `warden policy explain|who-can`: permission review against a config file's policy block, offline
 * (no gateway needed). `explain` prints the decision for one principal and target with the deciding
 * rule; `who-can` lists the rules, and the roles they name, that cover a tool.
 */
import { parseArgs } from 'node:util';
import { WardenError } from '../core/errors.js';
import type { Principal } from '../core/exchange.js';
import type { Config } from '../config/schema.js';
import { compilePolicy, evaluate, rolesOf } from '../stages/policy/index.js';
import type { TargetKind } from '../stages/policy/index.js';
import { rulesCovering } from '../stages/policy/review.js';
import { list } from './token.js';

/** Usage lines of the command. */
export const POLICY_USAGE =
  'warden policy explain [--config FILE] --sub S [--roles a,b] [--groups a,b] [--scopes a,b] [--client ID] [--tenant T] --tool T|--prompt P|--resource URI [--server NAME] [--args JSON] [--source ADDR] [--risk N]\n  warden policy who-can [--config FILE] TOOL';

function usage(message: string): WardenError {
  return new WardenError('ERR_CONFIG_INVALID', `${message}\nusage: ${POLICY_USAGE}`);
}

/** Splits `server__name` when the server part names a configured server. */
function target(
  config: Config,
  name: string,
  server: string | undefined,
): { server: string | undefined; name: string } {
  if (server !== undefined) {
    if (!(server in config.servers)) throw usage(`--server ${server}: no such server`);
    return { server, name };
  }
  const i = name.indexOf('__');
  if (i > 0 && name.slice(0, i) in config.servers)
    return { server: name.slice(0, i), name: name.slice(i + 2) };
  const only = Object.keys(config.servers);
  return { server: only.length === 1 ? only[0] : undefined, name };
}

function policyOf(config: Config) {
  if (config.policy === undefined)
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      'the config has no policy block: every authenticated principal may use everything',
    );
  return compilePolicy(config.policy, Object.keys(config.servers));
}

/** Runs `warden policy …`; writes to `out` and resolves to the exit code (0; 3 when explain denies). */
export function runPolicy(
  argv: string[],
  configFrom: (file: string | undefined) => { config: Config },
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'explain') return Promise.resolve(explain(rest, configFrom, out));
  if (sub === 'who-can') return Promise.resolve(whoCan(rest, configFrom, out));
  throw usage('policy needs explain or who-can');
}

function explain(
  argv: string[],
  configFrom: (f: string | undefined) => { config: Config },
  out: (t: string) => void,
): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      sub: { type: 'string' },
      iss: { type: 'string' },
      roles: { type: 'string' },
      groups: { type: 'string' },
      scopes: { type: 'string' },
      client: { type: 'string' },
      tenant: { type: 'string' },
      tool: { type: 'string' },
      prompt: { type: 'string' },
      resource: { type: 'string' },
      server: { type: 'string' },
      args: { type: 'string' },
      source: { type: 'string' },
      risk: { type: 'string' },
    },
    strict: true,
  });
  const { config } = configFrom(values.config);
  const policy = policyOf(config);
  if (values.sub === undefined || values.sub === '') throw usage('--sub is required');
  const kinds: [TargetKind, string | undefined][] = [
    ['tool', values.tool],
    ['prompt', values.prompt],
    ['resource', values.resource],
  ];
  const chosen = kinds.filter(([, v]) => v !== undefined);
  const first = chosen[0];
  if (chosen.length !== 1 || first === undefined)
    throw usage('name exactly one of --tool, --prompt, --resource');
  const [kind, raw = ''] = first;
  let args: Record<string, unknown> | undefined;
  if (values.args !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.args);
    } catch {
      throw usage('--args must be a JSON object');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw usage('--args must be a JSON object');
    args = parsed as Record<string, unknown>;
  }
  const risk = values.risk === undefined ? 0 : Number(values.risk);
  if (!Number.isFinite(risk)) throw usage('--risk must be a number');
  const iss = values.iss ?? config.auth.issuer ?? 'local';
  const principal: Principal = {
    key: `${iss}|${values.sub}`,
    issuer: iss,
    subject: values.sub,
    scopes: list(values.scopes),
    roles: list(values.roles),
    groups: list(values.groups),
    ...(values.client !== undefined ? { clientId: values.client } : {}),
    ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
  };
  const t = kind === 'resource' ? { server: values.server, name: raw } : target(config, raw, values.server);
  const d = evaluate(policy, {
    principal,
    kind,
    server: t.server,
    name: t.name,
    arguments: kind === 'tool' ? (args ?? {}) : undefined,
    trusted: t.server !== undefined && config.servers[t.server]?.trusted === true,
    sourceAddress: values.source,
    risk,
  });
  out(
    [
      `decision: ${d.effect}`,
      `rule:     ${d.rule}`,
      `reason:   ${d.reason}`,
      `target:   ${kind} ${t.name} on ${t.server ?? '(server unknown)'}`,
      `roles:    ${[...rolesOf(policy, principal)].join(', ') || '(none)'}`,
    ].join('\n') + '\n',
  );
  return d.effect === 'allow' ? 0 : 3;
}

function whoCan(
  argv: string[],
  configFrom: (f: string | undefined) => { config: Config },
  out: (t: string) => void,
): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, server: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const tool = positionals[0];
  if (tool === undefined || positionals.length !== 1) throw usage('who-can needs one TOOL');
  const { config } = configFrom(values.config);
  const policy = policyOf(config);
  const t = target(config, tool, values.server);
  const rules = rulesCovering(policy, 'tool', t.server, t.name);
  const lines = [`tool ${t.name} on ${t.server ?? '(any server)'}:`];
  if (rules.length === 0) lines.push('  no rule covers it: denied to everyone (default-deny)');
  for (const r of rules) {
    const who =
      r.roles === undefined && r.principals === undefined
        ? 'everyone'
        : [...(r.roles ?? [])]
            .map((x) => `role ${x}`)
            .concat([...(r.principals ?? [])].map((p) => `principal ${p}`))
            .join(', ');
    const extra = [
      r.args !== undefined ? 'argument constraints' : '',
      r.when !== undefined ? 'conditions' : '',
      r.annotations.length > 0 ? 'annotations' : '',
      r.userConfirmation ? 'user confirmation' : '',
    ]
      .filter((x) => x !== '')
      .join(', ');
    lines.push(`  ${r.effect.padEnd(7)} ${r.id}: ${who}${extra === '' ? '' : ` (with ${extra})`}`);
  }
  const named = new Set(rules.flatMap((r) => [...(r.roles ?? [])]));
  for (const role of policy.roles) {
    if (!named.has(role.name)) continue;
    const from = (
      [
        ['roles', role.roles],
        ['groups', role.groups],
        ['scopes', role.scopes],
        ['tenants', role.tenants],
        ['clientIds', role.clientIds],
        ['subjects', role.subjects],
      ] as const
    )
      .filter(([, s]) => s.size > 0)
      .map(([k, s]) => `${k} ${[...s].join('|')}`)
      .join('; ');
    lines.push(`role ${role.name}: ${from}`);
  }
  out(lines.join('\n') + '\n');
  return 0;
}
