/**
 * Unit tables for the policy compiler and evaluator: default deny, precedence, roles from claims,
 * name patterns against Unicode and case tricks, argument constraints against path traversal,
 * URL host and range tricks, ReDoS patterns refused at start-up, conditions and annotations.
 */
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/config/policy-schema.js';
import type { PolicyConfig } from '../../../src/config/policy-schema.js';
import { WardenError } from '../../../src/core/errors.js';
import type { Principal } from '../../../src/core/exchange.js';
import { compilePolicy, evaluate, rolesOf } from '../../../src/stages/policy/index.js';
import type { CompiledPolicy, PolicyContext } from '../../../src/stages/policy/index.js';
import { checkPath } from '../../../src/stages/policy/args.js';
import { compileGlob } from '../../../src/stages/policy/glob.js';

const SERVERS = ['notes', 'files', 'web'];

function principal(sub: string, extra: Partial<Principal> = {}): Principal {
  return {
    key: `https://idp.example|${sub}`,
    issuer: 'https://idp.example',
    subject: sub,
    scopes: [],
    roles: [],
    ...extra,
  };
}

function build(input: unknown): CompiledPolicy {
  const cfg = policySchema.parse(input) as PolicyConfig;
  return compilePolicy(cfg, SERVERS);
}

function problems(input: unknown): { path: string; message: string }[] {
  try {
    build(input);
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    const we = err as WardenError;
    expect(we.code).toBe('ERR_CONFIG_INVALID');
    return (we.data?.problems ?? []) as { path: string; message: string }[];
  }
  throw new Error('compiled without problems');
}

const alice = principal('alice', { roles: ['reader'] });
const bob = principal('bob', { groups: ['ops'] });
const carol = principal('carol', { scopes: ['files:write'] });

const base = {
  roles: {
    reader: { roles: ['reader'] },
    ops: { groups: ['ops'] },
    writer: { scopes: ['files:write'] },
  },
  rules: [
    {
      id: 'read-notes',
      effect: 'allow',
      who: { roles: ['reader'] },
      servers: ['notes'],
      tools: ['read_*', 'list'],
    },
    { id: 'ops-all', effect: 'allow', who: { roles: ['ops'] }, servers: ['*'] },
    { id: 'no-delete', effect: 'deny', tools: ['delete_*'] },
    { id: 'approve-export', effect: 'approve', who: { roles: ['ops'] }, tools: ['export'] },
    {
      id: 'files-write',
      effect: 'allow',
      who: { roles: ['writer'] },
      servers: ['files'],
      tools: ['write_file'],
      arguments: {
        path: { pathPrefix: ['/srv/data/'] },
        mode: { enum: ['append', 'replace'], optional: true },
        size: { min: 0, max: 1024, optional: true },
        tag: { pattern: '[a-z]{1,8}', optional: true },
      },
    },
    {
      id: 'fetch',
      effect: 'allow',
      who: { roles: ['writer'] },
      servers: ['web'],
      tools: ['fetch'],
      arguments: { url: { hosts: ['example.com', '*.docs.example.org'] } },
    },
  ],
};

function ctx(p: Principal, over: Partial<PolicyContext> & { name: string }): PolicyContext {
  return { principal: p, kind: 'tool', server: 'notes', ...over };
}

describe('policy evaluator: decisions', () => {
  const pol = build(base);
  const table: [string, PolicyContext, string, string][] = [
    ['allowed by role', ctx(alice, { name: 'read_note' }), 'allow', 'read-notes'],
    ['exact name', ctx(alice, { name: 'list' }), 'allow', 'read-notes'],
    ['no rule → default deny', ctx(alice, { name: 'write_note' }), 'deny', 'default-deny'],
    [
      'other server → default deny',
      ctx(alice, { name: 'read_note', server: 'files' }),
      'deny',
      'default-deny',
    ],
    ['deny beats allow', ctx(bob, { name: 'delete_note' }), 'deny', 'no-delete'],
    ['approve beats allow', ctx(bob, { name: 'export' }), 'approve', 'approve-export'],
    [
      'unknown principal → default deny',
      ctx(principal('eve'), { name: 'read_note' }),
      'deny',
      'default-deny',
    ],
    [
      'prompt kind not covered by a tools rule',
      ctx(alice, { name: 'read_note', kind: 'prompt' }),
      'deny',
      'default-deny',
    ],
    ['rule without kinds covers prompts', ctx(bob, { name: 'summary', kind: 'prompt' }), 'allow', 'ops-all'],
    [
      'resources with unknown server: allow rules with servers fail',
      ctx(bob, { name: 'notes://1', kind: 'resource', server: undefined }),
      'deny',
      'default-deny',
    ],
  ];
  it.each(table)('%s', (_t, c, effect, rule) => {
    const d = evaluate(pol, c);
    expect(d.effect).toBe(effect);
    expect(d.rule).toBe(rule);
    expect(d.reason).not.toBe('');
  });

  it('[policy:default-deny] an empty policy denies everything', () => {
    expect(evaluate(build({}), ctx(bob, { name: 'anything' }))).toMatchObject({
      effect: 'deny',
      rule: 'default-deny',
    });
  });

  it('roles derive from roles, groups, scopes, tenant, client id and subject', () => {
    const p = build({
      roles: {
        r: { roles: ['x'] },
        g: { groups: ['G'] },
        s: { scopes: ['sc'] },
        t: { tenants: ['T1'] },
        c: { clientIds: ['app'] },
        u: { subjects: ['carol'] },
      },
    });
    expect([...rolesOf(p, principal('z', { roles: ['x'] }))]).toEqual(['r']);
    expect([...rolesOf(p, principal('z', { groups: ['G'] }))]).toEqual(['g']);
    expect([...rolesOf(p, principal('z', { scopes: ['sc'] }))]).toEqual(['s']);
    expect([...rolesOf(p, principal('z', { tenant: 'T1' }))]).toEqual(['t']);
    expect([...rolesOf(p, principal('z', { clientId: 'app' }))]).toEqual(['c']);
    expect([...rolesOf(p, principal('carol'))]).toEqual(['u']);
    expect([...rolesOf(p, principal('z', { roles: ['X'], groups: ['g'] }))]).toEqual([]);
  });
});

describe('policy evaluator: Unicode and case tricks against name patterns', () => {
  const pol = build(base);
  const names: [string, string][] = [
    ['fullwidth letters', 'ｒｅａｄ_note'],
    ['upper case', 'READ_note'],
    ['trailing space', 'list '],
    ['leading space', ' list'],
    ['Cyrillic а homoglyph', 'rеad_note'.replace('e', '\u0435')],
    ['zero-width joiner', 'li\u200dst'],
    ['NUL suffix', 'list\0'],
  ];
  it.each(names)('%s does not match an allow rule', (_t, name) => {
    expect(evaluate(pol, ctx(alice, { name }))).toMatchObject({ effect: 'deny', rule: 'default-deny' });
  });
  it('combining marks: NFD spelling matches the NFC pattern, nothing else does', () => {
    const p = build({
      roles: { r: { roles: ['reader'] } },
      rules: [{ id: 'cafe', effect: 'allow', who: { roles: ['r'] }, tools: ['caf\u00e9'] }],
    });
    expect(evaluate(p, ctx(alice, { name: 'cafe\u0301' })).effect).toBe('allow');
    expect(evaluate(p, ctx(alice, { name: 'cafe' })).effect).toBe('deny');
    expect(evaluate(p, ctx(alice, { name: 'cafe\u0300' })).effect).toBe('deny');
  });
  const denyTricks: [string, string][] = [
    ['fullwidth', 'ｄｅｌｅｔｅ_note'],
    ['upper case', 'DELETE_note'],
    ['trailing space', 'delete_note '],
  ];
  it.each(denyTricks)('%s look-alike of a denied name is still denied', (_t, name) => {
    expect(evaluate(pol, ctx(bob, { name }))).toMatchObject({ effect: 'deny', rule: 'no-delete' });
  });
  it('globs: * only, anchored, linear', () => {
    const g = compileGlob('a*b*c');
    expect(g.test('abc')).toBe(true);
    expect(g.test('axxbyyc')).toBe(true);
    expect(g.test('xabc')).toBe(false);
    expect(g.test('abcx')).toBe(false);
    expect(compileGlob('read.*').test('readX')).toBe(false);
    expect(compileGlob('a?').test('ab')).toBe(false);
    const t0 = performance.now();
    expect(compileGlob('*a*a*a*a*a*a*b').test('a'.repeat(1000))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(50);
  });
});

describe('policy evaluator: argument constraints', () => {
  const pol = build(base);
  const write = (args: Record<string, unknown>) =>
    evaluate(pol, ctx(carol, { name: 'write_file', server: 'files', arguments: args }));
  const traversal: [string, unknown][] = [
    ['dot-dot escape', '/srv/data/../../etc/passwd'],
    ['dot-dot staying inside', '/srv/data/a/../b'],
    ['percent-encoded dots', '/srv/data/%2e%2e/%2e%2e/etc/passwd'],
    ['upper-case percent encoding', '/srv/data/%2E%2E/etc'],
    ['encoded slash', '/srv/data/..%2fetc'],
    ['backslashes', '/srv/data/..\\..\\etc\\passwd'],
    ['NUL byte', '/srv/data/ok\0.txt'],
    ['prefix lookalike sibling', '/srv/database/x'],
    ['relative path', 'srv/data/x'],
    ['not a string', ['/srv/data/x']],
    ['missing', undefined],
  ];
  it.each(traversal)('[policy:arguments] path: %s is refused', (_t, p) => {
    const d = write(p === undefined ? {} : { path: p });
    expect(d).toMatchObject({ effect: 'deny', rule: 'default-deny' });
    expect(d.reason).toMatch(/^rule files-write would allow it but argument path/);
  });
  it('path inside the prefix (after normalising // and .) is allowed', () => {
    expect(write({ path: '/srv/data/notes/a.txt' }).effect).toBe('allow');
    expect(write({ path: '/srv//data/./x' }).effect).toBe('allow');
    expect(write({ path: '/srv/data' }).effect).toBe('allow');
  });
  it('checkPath refuses encoded NUL', () => {
    expect(checkPath('/srv/data/a%00b', ['/srv/data'])).toMatch(/percent-encoded/);
  });
  const others: [string, Record<string, unknown>, string][] = [
    ['enum value', { path: '/srv/data/a', mode: 'truncate' }, 'deny'],
    ['enum type confusion', { path: '/srv/data/a', mode: ['append'] }, 'deny'],
    ['enum ok', { path: '/srv/data/a', mode: 'append' }, 'allow'],
    ['number above max', { path: '/srv/data/a', size: 1025 }, 'deny'],
    ['number below min', { path: '/srv/data/a', size: -1 }, 'deny'],
    ['number as string', { path: '/srv/data/a', size: '10' }, 'deny'],
    ['number ok', { path: '/srv/data/a', size: 1024 }, 'allow'],
    ['pattern is anchored', { path: '/srv/data/a', tag: 'abc;rm' }, 'deny'],
    ['pattern over default max length', { path: '/srv/data/a', tag: 'a'.repeat(2000) }, 'deny'],
    ['pattern ok', { path: '/srv/data/a', tag: 'abc' }, 'allow'],
  ];
  it.each(others)('%s', (_t, args, effect) => {
    expect(write(args).effect).toBe(effect);
  });
  const urls: [string, string, string][] = [
    ['exact host', 'https://example.com/x', 'allow'],
    ['upper-case host', 'https://EXAMPLE.com/x', 'allow'],
    ['subdomain wildcard', 'https://a.docs.example.org/', 'allow'],
    ['apex of wildcard', 'https://docs.example.org/', 'deny'],
    ['suffix trick', 'https://evilexample.com/', 'deny'],
    ['userinfo trick', 'https://example.com@evil.test/', 'deny'],
    ['subdomain of exact', 'https://example.com.evil.test/', 'deny'],
    ['file scheme', 'file:///etc/passwd', 'deny'],
    ['not a URL', 'example.com', 'deny'],
  ];
  it.each(urls)('url host: %s', (_t, url, effect) => {
    expect(evaluate(pol, ctx(carol, { name: 'fetch', server: 'web', arguments: { url } })).effect).toBe(
      effect,
    );
  });
  it('lists (no arguments) see an argument-constrained tool', () => {
    expect(evaluate(pol, ctx(carol, { name: 'write_file', server: 'files' })).effect).toBe('allow');
  });
});

describe('policy compiler: refusals with paths', () => {
  const redos = ['(a+)+', '(a*)*b', '(x+x+)+y', '([a-z]+)*$'];
  it.each(redos)('ReDoS pattern %s is refused at start-up', (pattern) => {
    const ps = problems({
      rules: [{ id: 'r', effect: 'allow', tools: ['t'], arguments: { a: { pattern } } }],
    });
    expect(ps).toContainEqual({
      path: 'policy.rules.0.arguments.a.pattern',
      message: expect.stringMatching(/backtrack/) as unknown,
    });
  });
  it('an invalid regex, unknown role, unknown server, bad zone, bad CIDR, duplicate id are all named', () => {
    const ps = problems({
      rules: [
        {
          id: 'a',
          effect: 'allow',
          who: { roles: ['ghost'] },
          servers: ['nope'],
          tools: ['t'],
          arguments: { x: { pattern: '(' } },
        },
        {
          id: 'a',
          effect: 'deny',
          tools: ['t'],
          arguments: { x: { maxLength: 3 } },
          when: {
            hours: { from: '09:00', to: '17:00', timezone: 'Mars/Olympus' },
            sourceCidrs: ['10.0.0.0/33'],
          },
        },
      ],
    }).map((p) => p.path);
    expect(ps).toEqual(
      expect.arrayContaining([
        'policy.rules.0.who.roles.0',
        'policy.rules.0.servers.0',
        'policy.rules.0.arguments.x.pattern',
        'policy.rules.1.id',
        'policy.rules.1.arguments',
        'policy.rules.1.when.hours.timezone',
        'policy.rules.1.when.sourceCidrs.0',
      ]),
    );
  });
  it('evaluation time stays bounded for a near-ReDoS pattern that passes the check', () => {
    const pol = build({
      rules: [{ id: 'r', effect: 'allow', tools: ['t'], arguments: { a: { pattern: '[a-z]*x' } } }],
    });
    const t0 = performance.now();
    for (let i = 0; i < 100; i++)
      evaluate(pol, ctx(alice, { name: 't', arguments: { a: 'a'.repeat(1000) } }));
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('policy evaluator: elevated roles', () => {
  const pol = build(base);
  it('an elevated Warden role or token role grants while held, and is not cached after it lapses', () => {
    const dave = principal('dave');
    const c = ctx(dave, { name: 'read_note' });
    expect(evaluate(pol, c).effect).toBe('deny');
    expect(evaluate(pol, { ...c, elevated: ['reader'] })).toMatchObject({
      effect: 'allow',
      rule: 'read-notes',
    });
    expect(evaluate(pol, { ...c, elevated: ['ops'] })).toMatchObject({ effect: 'allow', rule: 'ops-all' });
    expect(evaluate(pol, { ...c, elevated: ['nobody'] }).effect).toBe('deny');
    expect(evaluate(pol, { ...c, elevated: [] }).effect).toBe('deny');
    expect(evaluate(pol, c).effect).toBe('deny');
  });
});

describe('policy evaluator: conditions and annotations', () => {
  const at = (hhmm: string): number => Date.parse(`2026-06-01T${hhmm}:00Z`);
  const pol = build({
    rules: [
      {
        id: 'office',
        effect: 'allow',
        tools: ['t'],
        when: { hours: { from: '09:00', to: '17:00', timezone: 'Europe/Paris' } },
      },
      { id: 'night', effect: 'allow', tools: ['n'], when: { hours: { from: '22:00', to: '06:00' } } },
      { id: 'lan', effect: 'allow', tools: ['lan'], when: { sourceCidrs: ['10.0.0.0/8', '::1'] } },
      { id: 'lan-deny', effect: 'deny', tools: ['x'], when: { sourceCidrs: ['192.168.0.0/16'] } },
      { id: 'x-allow', effect: 'allow', tools: ['x'] },
      {
        id: 'calm',
        effect: 'allow',
        tools: ['risky'],
        when: { maxRisk: 50, clientIds: ['app'], tenants: ['T'] },
      },
      { id: 'ro', effect: 'allow', tools: ['*'], servers: ['notes'], annotations: { readOnlyHint: true } },
      { id: 'no-destroy', effect: 'deny', tools: ['*'], annotations: { destructiveHint: true } },
    ],
  });
  it('[policy:conditional] time window in a time zone (Paris is UTC+2 in June), wrapping past midnight', () => {
    expect(evaluate(pol, ctx(alice, { name: 't', now: at('07:30') })).effect).toBe('allow');
    expect(evaluate(pol, ctx(alice, { name: 't', now: at('06:59') })).effect).toBe('deny');
    expect(evaluate(pol, ctx(alice, { name: 't', now: at('15:00') })).effect).toBe('deny');
    expect(evaluate(pol, ctx(alice, { name: 'n', now: at('23:00') })).effect).toBe('allow');
    expect(evaluate(pol, ctx(alice, { name: 'n', now: at('05:59') })).effect).toBe('allow');
    expect(evaluate(pol, ctx(alice, { name: 'n', now: at('12:00') })).effect).toBe('deny');
  });
  it('[policy:conditional] source CIDR: IPv4, IPv4-mapped IPv6, IPv6; unknown address fails allow and satisfies deny', () => {
    expect(evaluate(pol, ctx(alice, { name: 'lan', sourceAddress: '10.1.2.3' })).effect).toBe('allow');
    expect(evaluate(pol, ctx(alice, { name: 'lan', sourceAddress: '::ffff:10.1.2.3' })).effect).toBe('allow');
    expect(evaluate(pol, ctx(alice, { name: 'lan', sourceAddress: '::1' })).effect).toBe('allow');
    expect(evaluate(pol, ctx(alice, { name: 'lan', sourceAddress: '11.0.0.1' })).effect).toBe('deny');
    expect(evaluate(pol, ctx(alice, { name: 'lan' })).effect).toBe('deny');
    expect(evaluate(pol, ctx(alice, { name: 'x', sourceAddress: '10.0.0.1' })).rule).toBe('x-allow');
    expect(evaluate(pol, ctx(alice, { name: 'x', sourceAddress: '192.168.1.1' })).rule).toBe('lan-deny');
    expect(evaluate(pol, ctx(alice, { name: 'x' })).rule).toBe('lan-deny');
  });
  it('[policy:conditional] risk score, client id and tenant', () => {
    const p = principal('z', { clientId: 'app', tenant: 'T' });
    expect(evaluate(pol, ctx(p, { name: 'risky' })).effect).toBe('allow');
    expect(evaluate(pol, ctx(p, { name: 'risky', risk: 50 })).effect).toBe('allow');
    expect(evaluate(pol, ctx(p, { name: 'risky', risk: 51 })).effect).toBe('deny');
    expect(
      evaluate(pol, ctx(principal('z', { clientId: 'other', tenant: 'T' }), { name: 'risky' })).effect,
    ).toBe('deny');
    expect(evaluate(pol, ctx(principal('z', { tenant: 'T' }), { name: 'risky' })).effect).toBe('deny');
  });
  it('[policy:annotations-untrusted] annotations relax a rule only for a trusted server; they always narrow', () => {
    const ro = { readOnlyHint: true };
    expect(evaluate(pol, ctx(alice, { name: 'read', annotations: ro })).effect).toBe('deny');
    expect(evaluate(pol, ctx(alice, { name: 'read', annotations: ro, trusted: false })).effect).toBe('deny');
    expect(evaluate(pol, ctx(alice, { name: 'read', annotations: ro, trusted: true })).rule).toBe('ro');
    expect(evaluate(pol, ctx(alice, { name: 'read', trusted: true })).effect).toBe('deny');
    const destroy = { readOnlyHint: true, destructiveHint: true };
    expect(evaluate(pol, ctx(alice, { name: 'wipe', annotations: destroy })).rule).toBe('no-destroy');
    expect(evaluate(pol, ctx(alice, { name: 'wipe', annotations: destroy, trusted: true })).rule).toBe(
      'no-destroy',
    );
  });
});
