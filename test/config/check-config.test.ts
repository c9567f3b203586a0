/**
 * `warden check-config`: called as functions (nothing is spawned) on real files in a temp dir.
 * Every problem is listed as `<path>: <message>`; secrets appear only as their references.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig, runCheckConfig } from '../../src/cli/check-config.js';
import type { CheckConfigIo } from '../../src/cli/check-config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(text: string): string {
  const file = path.join(dir, `warden-${++n}.yaml`);
  writeFileSync(file, text);
  return file;
}

function capture(): CheckConfigIo & { out: string; err: string } {
  const io: CheckConfigIo & { out: string; err: string } = {
    out: '',
    err: '',
    stdout: { write: (s: string) => (io.out += s) },
    stderr: { write: (s: string) => (io.err += s) },
  };
  return io;
}

const VALID = `listen:
  host: 127.0.0.1
  port: 8787
publicUrl: http://127.0.0.1:8787
dataDir: .warden
servers:
  notes:
    command: node
    args: [dist/examples/servers/notes/server.js]
    env:
      NOTES_DIR: .warden/notes
    inheritEnv: []
  remote:
    url: https://mcp.example.com/mcp
`;

describe('checkConfig', () => {
  it('reports a valid file with its servers', async () => {
    const file = write(VALID);
    const r = await checkConfig(file);
    expect(r.ok).toBe(true);
    const first = r.text.split('\n')[0];
    expect(first).toBe(`ok: ${file} is valid (2 servers: notes, remote)`);
    expect(r.text).toContain('  notes: stdio, command "node"');
    expect(r.text).toContain('  remote: http, https://mcp.example.com');
    expect(r.text.endsWith('\n')).toBe(true);
  });

  it('reports an empty file as valid with no servers', async () => {
    const file = write('');
    expect(await checkConfig(file)).toEqual({ ok: true, text: `ok: ${file} is valid (0 servers)\n` });
  });

  it('lists every problem as <path>: <message>', async () => {
    const file = write(
      'listen:\n  port: -1\n  bogus: 1\nservers:\n  x:\n    comand: node\n  y_z:\n    url: https://a.example/\n  both:\n    command: node\n    url: https://a.example/\n',
    );
    const r = await checkConfig(file);
    expect(r.ok).toBe(false);
    const out = r.text.trimEnd().split('\n');
    expect(out[0]).toBe(`invalid: ${file} (6 problems)`);
    expect(out.slice(1).sort()).toEqual(
      [
        'listen.port: Too small: expected number to be >=0',
        'listen.bogus: unknown key',
        'servers.x: needs `command` (stdio server) or `url` (HTTP server)',
        'servers.x.comand: unknown key',
        'servers.y_z: invalid key: server names use letters, digits and inner hyphens, at most 32 characters',
        'servers.both: has both `command` (stdio server) and `url` (HTTP server); keep exactly one',
      ].sort(),
    );
  });

  it('reports compile-time problems (auth none off loopback)', async () => {
    const file = write('listen:\n  host: 0.0.0.0\nauth:\n  mode: none\n');
    expect(await checkConfig(file)).toEqual({
      ok: false,
      text: `invalid: ${file} (1 problem)\nauth.mode: unauthenticated mode requires listen.host on loopback\n`,
    });
  });

  it('reports YAML errors with their line', async () => {
    const r = await checkConfig(write('listen:\n  port: 1\nlisten:\n  port: 2\n'));
    expect(r.ok).toBe(false);
    expect(r.text).toContain('(yaml line 3): DUPLICATE_KEY: Map keys must be unique\n');
  });

  it('reports a missing or unreadable file as a problem', async () => {
    const missing = path.join(dir, 'absent.yaml');
    expect(await checkConfig(missing)).toEqual({
      ok: false,
      text: `invalid: ${missing} (1 problem)\n${missing}: cannot read the file: no such file\n`,
    });
    const r = await checkConfig(dir);
    expect(r.ok).toBe(false);
    expect(r.text).toContain(`${dir}: cannot read the file: is a directory`);
  });

  it('escapes control characters so a key cannot forge report lines', async () => {
    const r = await checkConfig(write('"x\\nok: forged": 1\n"y\\u001b[2J": 2\n'));
    expect(r.ok).toBe(false);
    const out = r.text.trimEnd().split('\n');
    expect(out).toHaveLength(3);
    expect(out.some((l) => l.startsWith('ok:'))).toBe(false);
    expect(r.text).not.toContain('\u001b');
  });
});

describe('checkConfig never prints secret values', () => {
  const secret = 'Vq3-this-is-the-secret';
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, secret + '\n');
  const text = `servers:
  gh:
    command: node
    env:
      GITHUB_TOKEN: env:WARDEN_CHECK_TOKEN
      API_KEY: file:${tokenFile}
      LITERAL: ${secret}-literal
  remote:
    url: https://user:${secret}@mcp.example.com/mcp?token=${secret}
`;

  it('prints references as written and nothing else of the environment', async () => {
    const r = await checkConfig(write(text), { env: { WARDEN_CHECK_TOKEN: secret } });
    expect(r.ok).toBe(true);
    expect(r.text).toContain(`GITHUB_TOKEN=env:WARDEN_CHECK_TOKEN`);
    expect(r.text).toContain(`API_KEY=file:${tokenFile}`);
    expect(r.text).toContain('remote: http, https://mcp.example.com\n');
    expect(r.text).not.toContain(secret);
  });

  it('with resolveSecrets, checks the references without printing their values', async () => {
    const ok = await checkConfig(write(text), { resolveSecrets: true, env: { WARDEN_CHECK_TOKEN: secret } });
    expect(ok.ok).toBe(true);
    expect(ok.text).not.toContain(secret);

    const file = write(text.replace(tokenFile, path.join(dir, 'no-such-token')));
    const bad = await checkConfig(file, { resolveSecrets: true, env: { OTHER: secret } });
    expect(bad.ok).toBe(false);
    expect(bad.text).toContain('servers.gh.env.GITHUB_TOKEN: secret env:WARDEN_CHECK_TOKEN is not set\n');
    expect(bad.text).toContain(
      `servers.gh.env.API_KEY: secret file:${path.join(dir, 'no-such-token')} cannot be read\n`,
    );
    expect(bad.text).not.toContain(secret);
  });

  it('does not resolve references unless asked', async () => {
    const r = await checkConfig(write(text), { env: {} });
    expect(r.ok).toBe(true);
  });
});

describe('runCheckConfig', () => {
  it('exits 0 and writes to stdout for a valid file', async () => {
    const io = capture();
    const file = write(VALID);
    expect(await runCheckConfig([file], io)).toBe(0);
    expect(io.out).toMatch(/^ok: /);
    expect(io.err).toBe('');
  });

  it('exits 1 and writes to stderr for an invalid file', async () => {
    const io = capture();
    expect(await runCheckConfig([write('listn: {}\n')], io)).toBe(1);
    expect(io.err).toContain('listn: unknown key\n');
    expect(io.out).toBe('');
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [[], ['a.yaml', 'b.yaml'], ['--bogus', 'a.yaml']]) {
      const io = capture();
      expect(await runCheckConfig(argv, io), JSON.stringify(argv)).toBe(2);
      expect(io.err).toContain('usage: warden check-config');
      expect(io.out).toBe('');
    }
  });

  it('prints usage for --help and accepts -- before a file name', async () => {
    const help = capture();
    expect(await runCheckConfig(['--help'], help)).toBe(0);
    expect(help.out).toContain('usage: warden check-config');
    const io = capture();
    expect(await runCheckConfig(['--', write(VALID)], io)).toBe(0);
  });

  it('--resolve-secrets reports an unset reference', async () => {
    const name = 'WARDEN_CHECK_SURELY_UNSET_VAR';
    delete process.env[name];
    const file = write(`servers:\n  x:\n    command: node\n    env:\n      T: env:${name}\n`);
    const io = capture();
    expect(await runCheckConfig(['--resolve-secrets', file], io)).toBe(1);
    expect(io.err).toContain(`servers.x.env.T: secret env:${name} is not set`);
  });
});
