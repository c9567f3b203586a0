/**
 * Configuration loading from real YAML files: defaults, strictness (unknown keys anywhere), every
 * problem reported at once with its path, server forms and names, YAML errors, compile-time rules
 * and secret references.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, isLoopback } from '../../src/config/compile.js';
import { isSecretRef, loadConfigFile, parseConfigText, resolveSecret } from '../../src/config/load.js';
import type { ConfigProblem } from '../../src/config/load.js';
import { isStdioServer } from '../../src/config/schema.js';
import { WardenError } from '../../src/core/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(text: string): string {
  const file = path.join(dir, `config-${++n}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** Loads a real file; returns its problems (empty when valid). */
function problemsOfFile(text: string): ConfigProblem[] {
  try {
    loadConfigFile(write(text));
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    const w = err as WardenError;
    expect(w.code).toBe('ERR_CONFIG_INVALID');
    return w.data!.problems as ConfigProblem[];
  }
}

function lines(problems: ConfigProblem[]): string[] {
  return problems.map((p) => `${p.path}: ${p.message}`);
}

function compileProblems(text: string): ConfigProblem[] {
  const config = loadConfigFile(write(text));
  try {
    compile(config, { cwd: dir });
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(WardenError);
    return (err as WardenError).data!.problems as ConfigProblem[];
  }
}

describe('defaults', () => {
  it('an empty file gives the defaults', () => {
    for (const text of ['', '# just a comment\n', '{}\n']) {
      const c = loadConfigFile(write(text));
      expect(c.listen).toEqual({ host: '127.0.0.1', port: 8787 });
      expect(c.dataDir).toBe('.warden');
      expect(c.publicUrl).toBeUndefined();
      expect(c.servers).toEqual({});
      expect(c.auth.mode).toBe('local');
      expect(c.http).toEqual({ allowedHosts: [], allowedOrigins: [] });
      expect(c.limits.maxRequestBytes).toBe(1_048_576);
      expect(c.sessions.idleTimeoutMs).toBe(1_800_000);
      expect(c.audit).toEqual({ file: 'audit.jsonl', fsync: false });
      expect(c.log.level).toBe('info');
    }
  });

  it('partial objects are completed and server entries get their defaults', () => {
    const c = loadConfigFile(
      write(
        'listen:\n  port: 9000\nservers:\n  notes:\n    command: node\n  remote:\n    url: https://mcp.example.com/mcp\n',
      ),
    );
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9000 });
    const notes = c.servers.notes!;
    expect(isStdioServer(notes)).toBe(true);
    expect(notes).toEqual({
      command: 'node',
      args: [],
      env: {},
      inheritEnv: ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'],
      share: 'session',
      protocol: 'auto',
      timeouts: { connectMs: 10_000, requestMs: 60_000 },
      allow: { sampling: true, elicitation: true },
    });
    const remote = c.servers.remote!;
    expect(isStdioServer(remote)).toBe(false);
    expect(remote).toEqual({
      url: 'https://mcp.example.com/mcp',
      protocol: 'auto',
      timeouts: { connectMs: 10_000, requestMs: 60_000 },
      allow: { sampling: true, elicitation: true },
      auth: { type: 'none' },
      tls: { pinSha256: [] },
    });
  });

  it('compile resolves dataDir and the public URL', () => {
    const c = loadConfigFile(write('dataDir: state\n'));
    const compiled = compile(c, { cwd: dir });
    expect(compiled.dataDir).toBe(path.join(dir, 'state'));
    expect(compiled.publicUrl).toBe('http://127.0.0.1:8787');
    expect(compiled.loopbackOnly).toBe(true);
  });
});

describe('unknown keys are errors wherever they are', () => {
  const cases: [string, string][] = [
    ['listn:\n  port: 1\n', 'listn: unknown key'],
    ['listen:\n  hots: 127.0.0.1\n', 'listen.hots: unknown key'],
    ['limits:\n  maxBytes: 5\n', 'limits.maxBytes: unknown key'],
    ['servers:\n  x:\n    command: node\n    comand: node\n', 'servers.x.comand: unknown key'],
    [
      'servers:\n  x:\n    command: node\n    timeouts:\n      conectMs: 5\n',
      'servers.x.timeouts.conectMs: unknown key',
    ],
    ['servers:\n  x:\n    url: https://a.example/mcp\n    headers: {}\n', 'servers.x.headers: unknown key'],
    ['servers:\n  x:\n    url: https://a.example/mcp\n    args: []\n', 'servers.x.args: unknown key'],
  ];
  for (const [text, expected] of cases) {
    it(expected, () => {
      expect(lines(problemsOfFile(text))).toEqual([expected]);
    });
  }

  it('a misspelt command is reported as both a missing form and an unknown key', () => {
    expect(lines(problemsOfFile('servers:\n  x:\n    comand: node\n'))).toEqual([
      'servers.x: needs `command` (stdio server) or `url` (HTTP server)',
      'servers.x.comand: unknown key',
    ]);
  });

  it('keys that are not plain words are quoted in the path', () => {
    expect(lines(problemsOfFile('"a.b": 1\n"x\\ny": 2\n'))).toEqual([
      '["a.b"]: unknown key',
      '["x\\ny"]: unknown key',
    ]);
  });
});

describe('every problem is reported at once', () => {
  it('lists problems from all sections with their paths', () => {
    const file = write(
      [
        'listen:',
        '  port: 70000',
        'bogus: true',
        'log:',
        '  level: loud',
        'sessions:',
        '  maxSessions: 0',
        'servers:',
        '  ok:',
        '    command: node',
        '  bad_name:',
        '    command: node',
        '  x:',
        '    command: node',
        '    share: sometimes',
        '    timeouts:',
        '      requestMs: 1',
        '',
      ].join('\n'),
    );
    let thrown: unknown;
    try {
      loadConfigFile(file);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(WardenError);
    const w = thrown as WardenError;
    const got = lines(w.data!.problems as ConfigProblem[]);
    expect(w.message).toBe(`${file}: ${got.length} problem(s)`);
    expect(got).toHaveLength(7);
    const paths = got.map((l) => l.slice(0, l.indexOf(': ')));
    expect(paths.sort()).toEqual(
      [
        'bogus',
        'listen.port',
        'log.level',
        'sessions.maxSessions',
        'servers.bad_name',
        'servers.x.share',
        'servers.x.timeouts.requestMs',
      ].sort(),
    );
  });

  it('never echoes the offending value', () => {
    const probe = 'Zq9-distinctive-value';
    const got = lines(
      problemsOfFile(
        `listen:\n  port: ${probe}\nlog:\n  level: ${probe}\nservers:\n  x:\n    command: node\n    env:\n      N: [${probe}]\n`,
      ),
    );
    expect(got).toHaveLength(3);
    for (const l of got) expect(l).not.toContain(probe);
  });
});

describe('server entries', () => {
  it('both command and url is one clear problem', () => {
    expect(
      lines(problemsOfFile('servers:\n  x:\n    command: node\n    url: https://a.example/mcp\n')),
    ).toEqual(['servers.x: has both `command` (stdio server) and `url` (HTTP server); keep exactly one']);
  });

  it('neither command nor url is one clear problem, plus anything else wrong', () => {
    expect(lines(problemsOfFile('servers:\n  x: {}\n'))).toEqual([
      'servers.x: needs `command` (stdio server) or `url` (HTTP server)',
    ]);
    expect(
      lines(problemsOfFile('servers:\n  x:\n    args: [a]\n    timeouts:\n      connectMs: 1\n')),
    ).toEqual([
      'servers.x: needs `command` (stdio server) or `url` (HTTP server)',
      'servers.x.timeouts.connectMs: Too small: expected number to be >=100',
    ]);
  });

  it('a server entry must be a mapping', () => {
    const got = problemsOfFile('servers:\n  x: node\n');
    expect(got).toHaveLength(1);
    expect(got[0]!.path).toBe('servers.x');
  });

  it('command must be non-empty and url must be http(s)', () => {
    expect(problemsOfFile('servers:\n  x:\n    command: ""\n').map((p) => p.path)).toEqual([
      'servers.x.command',
    ]);
    expect(problemsOfFile('servers:\n  x:\n    url: ftp://a.example/mcp\n').map((p) => p.path)).toEqual([
      'servers.x.url',
    ]);
    expect(problemsOfFile('servers:\n  x:\n    url: not a url\n').map((p) => p.path)).toEqual([
      'servers.x.url',
    ]);
  });

  it('accepts good server names', () => {
    const names = ['a', 'notes', 'my-server', 'A1', 'x'.repeat(32)];
    const text = 'servers:\n' + names.map((name) => `  ${name}:\n    command: node\n`).join('');
    expect(Object.keys(loadConfigFile(write(text)).servers)).toEqual(names);
  });

  it('rejects bad server names with the naming rule', () => {
    const bad = ['bad_name', 'a.b', '-lead', 'trail-', 'x'.repeat(33), 'sp ace'];
    const text = 'servers:\n' + bad.map((name) => `  "${name}":\n    command: node\n`).join('');
    const got = problemsOfFile(text);
    expect(got.map((p) => p.path)).toEqual([
      'servers.bad_name',
      'servers["a.b"]',
      'servers.-lead',
      'servers.trail-',
      `servers.${'x'.repeat(33)}`,
      'servers["sp ace"]',
    ]);
    for (const p of got)
      expect(p.message).toMatch(/^invalid key: server names use letters, digits and inner hyphens/);
  });

  it('rejects bad environment variable names and non-string values', () => {
    const got = lines(
      problemsOfFile('servers:\n  x:\n    command: node\n    env:\n      bad-name: v\n      N: 3\n'),
    );
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(/^servers\.x\.env\.bad-name: invalid key: /);
    expect(got[1]).toMatch(/^servers\.x\.env\.N: .*expected string/);
  });
});

describe('YAML errors', () => {
  it('syntax errors carry the line', () => {
    const got = problemsOfFile('listen:\n  port: 1\nservers: [\n');
    expect(got.length).toBeGreaterThan(0);
    for (const p of got) expect(p.path).toMatch(/^\(yaml line \d+\)$/);
    expect(got.some((p) => p.path === '(yaml line 3)' || p.path === '(yaml line 4)')).toBe(true);
  });

  it('bad indentation is a problem, not a crash', () => {
    const got = problemsOfFile('listen:\n  host: 127.0.0.1\n    port: 1\n');
    expect(got.length).toBeGreaterThan(0);
    expect(got[0]!.path).toMatch(/^\(yaml line \d+\)$/);
  });

  it('duplicate keys are errors with their line', () => {
    expect(lines(problemsOfFile('listen:\n  port: 1\nlisten:\n  port: 2\n'))).toEqual([
      '(yaml line 3): DUPLICATE_KEY: Map keys must be unique',
    ]);
    expect(
      lines(problemsOfFile('servers:\n  a:\n    command: node\n  a:\n    url: https://a.example/mcp\n')),
    ).toEqual(['(yaml line 4): DUPLICATE_KEY: Map keys must be unique']);
  });

  it('alias expansion bombs are refused as a problem', () => {
    const text =
      'a: &a [1,2,3,4,5,6,7,8,9,10]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
    const r = parseConfigText(text);
    expect(r.config).toBeUndefined();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe('(yaml)');
  });

  it('a document that is not a mapping is a root problem', () => {
    expect(problemsOfFile('- a\n- b\n').map((p) => p.path)).toEqual(['(root)']);
    expect(problemsOfFile('just text\n').map((p) => p.path)).toEqual(['(root)']);
  });

  it('a missing file is an error from loadConfigFile', () => {
    expect(() => loadConfigFile(path.join(dir, 'nope.yaml'))).toThrow(/ENOENT/);
  });
});

describe('compile-time rules', () => {
  it('refuses auth none on a non-loopback listener', () => {
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'example.com', '127.evil.example']) {
      expect(lines(compileProblems(`listen:\n  host: "${host}"\nauth:\n  mode: none\n`)), host).toEqual([
        'auth.mode: unauthenticated mode requires listen.host on loopback',
      ]);
    }
  });

  it('accepts loopback listeners', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.1.2.3']) {
      expect(compileProblems(`listen:\n  host: "${host}"\n`), host).toEqual([]);
    }
  });

  it('isLoopback accepts literal 127/8 addresses only', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.255.255.254')).toBe(true);
    expect(isLoopback('127.0.0.1.nip.io')).toBe(false);
    expect(isLoopback('127.example.com')).toBe(false);
    expect(isLoopback('1270.0.0.1')).toBe(false);
  });
});

describe('secret references', () => {
  const value = 'Sx7-very-secret-value';

  function thrownBy(f: () => unknown): WardenError {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(WardenError);
      return err as WardenError;
    }
    throw new Error('expected a throw');
  }

  function exposed(err: WardenError): string {
    const cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
    return [err.message, JSON.stringify(err.data), cause, String(err.stack)].join('\n');
  }

  it('recognises references', () => {
    expect(isSecretRef('env:GITHUB_TOKEN')).toBe(true);
    expect(isSecretRef('file:/run/secrets/token')).toBe(true);
    expect(isSecretRef('env:')).toBe(false);
    expect(isSecretRef('env:1BAD')).toBe(false);
    expect(isSecretRef('file:')).toBe(false);
    expect(isSecretRef('plain literal')).toBe(false);
  });

  it('resolves env: references', () => {
    expect(resolveSecret('env:WARDEN_TEST_TOKEN', { WARDEN_TEST_TOKEN: value })).toBe(value);
  });

  it('an unset env: reference names the reference only', () => {
    const err = thrownBy(() => resolveSecret('env:WARDEN_TEST_MISSING', { OTHER: value }));
    expect(err.code).toBe('ERR_SECRET_UNRESOLVED');
    expect(err.message).toContain('env:WARDEN_TEST_MISSING');
    expect(exposed(err)).not.toContain(value);
  });

  it('resolves file: references, trimmed', () => {
    const file = path.join(dir, 'token.txt');
    writeFileSync(file, `  ${value}\n`);
    expect(resolveSecret(`file:${file}`, {})).toBe(value);
  });

  it('an unreadable file: reference names the reference only', () => {
    const missing = thrownBy(() => resolveSecret(`file:${path.join(dir, 'absent.txt')}`, {}));
    expect(missing.code).toBe('ERR_SECRET_UNRESOLVED');
    expect(missing.message).toContain('absent.txt');
    const sub = path.join(dir, 'a-directory');
    mkdirSync(sub);
    const isDir = thrownBy(() => resolveSecret(`file:${sub}`, {}));
    expect(isDir.code).toBe('ERR_SECRET_UNRESOLVED');
  });

  it('a value passed where a reference belongs is never repeated in the error', () => {
    const err = thrownBy(() => resolveSecret(value, { [value]: value }));
    expect(err.code).toBe('ERR_SECRET_UNRESOLVED');
    expect(exposed(err)).not.toContain(value);
  });

  it('env values in the file stay as written (references are not resolved at load)', () => {
    const c = loadConfigFile(
      write(
        'servers:\n  x:\n    command: node\n    env:\n      TOKEN: env:WARDEN_TEST_TOKEN\n      MODE: fast\n',
      ),
    );
    const x = c.servers.x!;
    expect(isStdioServer(x) && x.env).toEqual({ TOKEN: 'env:WARDEN_TEST_TOKEN', MODE: 'fast' });
  });
});
