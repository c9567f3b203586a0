/**
 * `warden policy explain` and `warden policy who-can` against a config with a policy block.
 */
import { describe, expect, it } from 'vitest';
import { runPolicy } from '../../src/cli/policy.js';
import { configSchema } from '../../src/config/schema.js';
import type { Config } from '../../src/config/schema.js';

const config: Config = configSchema.parse({
  auth: { mode: 'none' },
  servers: {
    notes: { command: 'node', args: ['notes.js'] },
    files: { command: 'node', args: ['files.js'] },
  },
  policy: {
    roles: { reader: { roles: ['reader'] }, ops: { groups: ['ops'] } },
    rules: [
      {
        id: 'read-notes',
        effect: 'allow',
        who: { roles: ['reader'] },
        servers: ['notes'],
        tools: ['read_*'],
      },
      {
        id: 'files-write',
        effect: 'allow',
        who: { roles: ['ops'] },
        servers: ['files'],
        tools: ['write'],
        arguments: { path: { pathPrefix: ['/srv'] } },
      },
      { id: 'no-delete', effect: 'deny', tools: ['delete_*'] },
      {
        id: 'export-confirm',
        effect: 'approve',
        servers: ['notes'],
        tools: ['export'],
        userConfirmation: true,
      },
    ],
  },
});

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runPolicy(
    argv,
    () => ({ config }),
    (t) => (out += t),
  );
  return { code, out };
}

describe('warden policy', () => {
  it('explain: allowed by role, with the deciding rule', async () => {
    const r = await run(['explain', '--sub', 'alice', '--roles', 'reader', '--tool', 'notes__read_note']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^decision: allow\nrule: +read-notes\n/);
    expect(r.out).toMatch(/roles: +reader/);
  });
  it('explain: default deny, and a deny rule named', async () => {
    const a = await run(['explain', '--sub', 'bob', '--tool', 'notes__read_note']);
    expect(a.code).toBe(3);
    expect(a.out).toMatch(/decision: deny\nrule: +default-deny/);
    const b = await run([
      'explain',
      '--sub',
      'alice',
      '--roles',
      'reader',
      '--tool',
      'delete_all',
      '--server',
      'notes',
    ]);
    expect(b.out).toMatch(/rule: +no-delete/);
  });
  it('explain --args: an argument outside the constraint is explained', async () => {
    const ok = await run([
      'explain',
      '--sub',
      'o',
      '--groups',
      'ops',
      '--tool',
      'files__write',
      '--args',
      '{"path":"/srv/a"}',
    ]);
    expect(ok.out).toMatch(/decision: allow/);
    const bad = await run([
      'explain',
      '--sub',
      'o',
      '--groups',
      'ops',
      '--tool',
      'files__write',
      '--args',
      '{"path":"/srv/../etc"}',
    ]);
    expect(bad.out).toMatch(
      /decision: deny\nrule: +default-deny\nreason: +rule files-write would allow it but argument path: path contains a \.\. segment/,
    );
  });
  it('who-can lists covering rules (deny first) and the roles they name', async () => {
    const r = await run(['who-can', 'notes__read_note']);
    expect(r.out).toBe(
      'tool read_note on notes:\n  allow   read-notes: role reader\nrole reader: roles reader\n',
    );
    const d = await run(['who-can', 'notes__delete_x']);
    expect(d.out).toContain('  deny    no-delete: everyone');
    const none = await run(['who-can', 'files__read']);
    expect(none.out).toContain('no rule covers it: denied to everyone (default-deny)');
  });
  it('[policy:approval] who-can says when an approve rule lets the user confirm the call', async () => {
    const r = await run(['who-can', 'notes__export']);
    expect(r.out).toBe(
      'tool export on notes:\n  approve export-confirm: everyone (with user confirmation)\n',
    );
  });
  it('refuses bad usage with ERR_CONFIG_INVALID', async () => {
    await expect(run(['explain', '--sub', 'a'])).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    await expect(run(['explain', '--sub', 'a', '--tool', 't', '--args', '[1]'])).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
    await expect(run(['nope'])).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });
});
