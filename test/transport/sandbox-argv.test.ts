/**
 * The sandbox argument vector, built from a profile: which namespaces, mounts, limits and
 * program each setting produces (pure; no process is started here).
 */
import { describe, expect, it } from 'vitest';
import { SYSTEM_PATHS, limitOptions, sandboxArgv } from '../../src/transport/sandbox.js';
import type { SandboxTarget } from '../../src/transport/sandbox.js';
import { configSchema } from '../../src/config/schema.js';
import { STRICT } from '../fixtures/sandbox/profiles.js';

const tools = { bwrap: '/usr/bin/bwrap', prlimit: '/usr/bin/prlimit' };
const strict = STRICT;
const target: SandboxTarget = {
  command: '/usr/bin/node',
  args: ['/srv/mcp/server.js', '--flag'],
  cwd: undefined,
  implicitReadable: ['/usr/bin/node', '/srv/mcp'],
};

/** The (option, source, dest) triples of bind options in an argv. */
function binds(argv: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a.startsWith('--') && a.includes('bind')) out.push(`${a} ${argv[i + 1]} ${argv[i + 2]}`);
  });
  return out;
}

describe('sandboxArgv', () => {
  it('strict defaults: every namespace unshared, dies with Warden, new session, system dirs read-only, private /tmp, program last', () => {
    const argv = sandboxArgv(strict, target, tools);
    expect(argv.slice(0, 2)).toEqual(['/usr/bin/bwrap', '--unshare-all']);
    expect(argv).not.toContain('--share-net');
    expect(argv).toContain('--die-with-parent');
    expect(argv).toContain('--new-session');
    for (const p of SYSTEM_PATHS) expect(binds(argv)).toContain(`--ro-bind-try ${p} ${p}`);
    expect(binds(argv)).not.toContain('--ro-bind-try /etc/resolv.conf /etc/resolv.conf');
    expect(argv.join(' ')).toContain('--proc /proc --dev /dev --tmpfs /tmp');
    expect(binds(argv)).toContain('--ro-bind /srv/mcp /srv/mcp');
    expect(binds(argv)).toContain('--ro-bind /usr/bin/node /usr/bin/node');
    // Nothing read-write, and no home directory or other host path.
    expect(binds(argv).filter((b) => b.startsWith('--bind '))).toEqual([]);
    expect(argv.slice(-6)).toEqual(['--chdir', '/', '--', '/usr/bin/node', '/srv/mcp/server.js', '--flag']);
  });

  it.each([
    ['network: true shares the network and binds the resolver files', { network: true }, ['--share-net'], []],
    ['privateTmp: false binds the host /tmp', { privateTmp: false }, ['--bind /tmp /tmp'], ['--tmpfs']],
    [
      'writablePaths are bound read-write',
      { writablePaths: ['/var/lib/notes'] },
      ['--bind /var/lib/notes /var/lib/notes'],
      [],
    ],
    [
      'readablePaths are bound read-only',
      { readablePaths: ['/opt/data'] },
      ['--ro-bind /opt/data /opt/data'],
      ['--bind /opt/data'],
    ],
    [
      'readOnly: false binds readablePaths read-write',
      { readOnly: false, readablePaths: ['/opt/data'] },
      ['--bind /opt/data /opt/data'],
      ['--ro-bind /opt/data'],
    ],
  ] as const)('%s', (_title, change, present, absent) => {
    const joined = sandboxArgv({ ...strict, ...change }, target, tools).join(' ');
    for (const p of present) expect(joined).toContain(p);
    for (const a of absent) expect(joined).not.toContain(a);
    if ('network' in change) expect(joined).toContain('--ro-bind-try /etc/resolv.conf /etc/resolv.conf');
  });

  it('a writable directory inside a read-only one is mounted after it (stays writable)', () => {
    const argv = sandboxArgv(
      { ...strict, writablePaths: ['/srv/app/data'], readablePaths: ['/srv/app'] },
      { ...target, implicitReadable: [] },
      tools,
    );
    const b = binds(argv);
    expect(b.indexOf('--ro-bind /srv/app /srv/app')).toBeLessThan(
      b.indexOf('--bind /srv/app/data /srv/app/data'),
    );
  });

  it('cwd is bound (read-only) and becomes the working directory', () => {
    const argv = sandboxArgv(strict, { ...target, cwd: '/srv/work' }, tools);
    expect(binds(argv)).toContain('--ro-bind /srv/work /srv/work');
    expect(argv.join(' ')).toContain('--chdir /srv/work --');
  });

  it('limits wrap bwrap in prlimit with the kernel units (seconds, bytes, count)', () => {
    const limits = { cpuSeconds: 30, memoryMB: 256, processes: 16, openFiles: 128 };
    expect(limitOptions(limits)).toEqual([
      '--cpu=30',
      `--data=${256 * 1024 * 1024}`,
      '--nproc=16',
      '--nofile=128',
    ]);
    const argv = sandboxArgv({ ...strict, limits }, target, tools);
    expect(argv.slice(0, 7)).toEqual([
      '/usr/bin/prlimit',
      '--cpu=30',
      '--data=268435456',
      '--nproc=16',
      '--nofile=128',
      '--',
      '/usr/bin/bwrap',
    ]);
    expect(limitOptions({})).toEqual([]);
  });
});

describe('sandbox config', () => {
  const server = (sandbox: unknown): unknown => ({
    auth: { mode: 'none' },
    servers: { s: { command: 'node', args: [], sandbox } },
  });

  it('a present sandbox defaults to the strict profile with no network, read-only, private /tmp, required', () => {
    const cfg = configSchema.parse(server({}));
    const s = cfg.servers.s;
    expect(s !== undefined && 'command' in s ? s.sandbox : undefined).toEqual({
      profile: 'strict',
      network: false,
      readOnly: true,
      writablePaths: [],
      readablePaths: [],
      privateTmp: true,
      limits: {},
      optional: false,
    });
  });

  it('an absent sandbox stays absent (existing configs unchanged)', () => {
    const cfg = configSchema.parse({ auth: { mode: 'none' }, servers: { s: { command: 'node' } } });
    const s = cfg.servers.s;
    expect(s !== undefined && 'command' in s ? s.sandbox : 'http').toBeUndefined();
  });

  it.each([
    ['relative paths', { writablePaths: ['data'] }],
    ['unknown keys', { netwrok: true }],
    ['zero limits', { limits: { memoryMB: 0 } }],
  ])('rejects %s', (_t, sandbox) => {
    expect(configSchema.safeParse(server(sandbox)).success).toBe(false);
  });
});
