/**
 * `warden approvals` and `warden elevate` against a running Warden: in-process for a held call
 * (the policy stage that holds calls is wired elsewhere), and as real child processes — a
 * `warden start` gateway with the admin listener on, and the CLI calling it — for elevation.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApprovals } from '../../src/cli/approvals.js';
import { startTestIssuer } from '../fixtures/oauth/test-issuer.js';
import type { TestIssuer } from '../fixtures/oauth/test-issuer.js';
import { alive, freePort, startTestWarden } from '../helpers/warden.js';
import { CLI, runCli } from '../helpers/cli.js';
import type { CliRun } from '../helpers/cli.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});

afterAll(async () => {
  await issuer.close();
});

describe('warden approvals (in process)', () => {
  it('lists a held call with redacted arguments and approves it; errors exit 1 with the code', async () => {
    const w = await startTestWarden({
      auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
      admin: { enabled: true, port: 0 },
    });
    try {
      const held = w.pipeline.approvals.hold({
        principal: { key: `${issuer.url}|carol`, subject: 'carol' },
        server: 'files',
        tool: 'delete_file',
        args: { path: '/srv/a', password: 'hunter2' },
        rule: 'approve-deletes',
        timeoutMs: 60_000,
      });
      const bob = await issuer.sign({ sub: 'bob', aud: `${w.url}/admin`, roles: ['approver'] });
      const base = ['--admin', w.admin?.url ?? '', '--token', bob];
      let out = '';
      expect(await runApprovals(['list', ...base], (t) => (out += t))).toBe(0);
      const id = w.pipeline.approvals.list()[0]?.id ?? '';
      expect(out).toContain(id);
      expect(out).toContain('files/delete_file');
      expect(out).toContain('"password":"[redacted]"');
      expect(out).not.toContain('hunter2');
      out = '';
      expect(await runApprovals(['approve', id, ...base], (t) => (out += t))).toBe(0);
      expect(out).toBe(`${id}: approved\n`);
      await expect(held).resolves.toBe('approved');
      // Already decided: the server's refusal code reaches the user, exit 1.
      expect(await runApprovals(['deny', id, ...base], () => undefined)).toBe(1);
    } finally {
      await w.close();
    }
  });
});

/** Runs the CLI without blocking this process: the test issuer answering its key-set fetches lives here. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { env });
}

describe('warden elevate and approvals (child processes)', () => {
  it(
    'request → list → approve through `warden start`; no token and no role are refused with exit 1',
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'warden-admin-cli-'));
      const [port, adminPort] = [await freePort(), await freePort()];
      const config = path.join(dir, 'warden.yaml');
      writeFileSync(
        config,
        JSON.stringify({
          listen: { host: '127.0.0.1', port },
          dataDir: path.join(dir, 'data'),
          auth: { mode: 'jwt', issuer: issuer.url, jwksUri: `${issuer.origin}/jwks` },
          admin: { enabled: true, port: adminPort },
        }),
      );
      const child = spawn(process.execPath, [CLI, 'start', '--config', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => (err += s));
      try {
        for (let i = 0; i < 300 && !err.includes('listening on'); i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(err).toContain('admin API listening');
        const adminUrl = `http://127.0.0.1:${adminPort}`;
        const aud = `http://127.0.0.1:${port}/admin`;
        const alice = await issuer.sign({ sub: 'alice', aud });
        const bob = await issuer.sign({ sub: 'bob', aud, roles: ['approver'] });

        const none = await cli(['elevate', 'list', '--admin', adminUrl], { WARDEN_ADMIN_TOKEN: '' });
        expect(none.status).toBe(1);
        expect(none.stderr).toContain('--token T or WARDEN_ADMIN_TOKEN');

        const req = await cli(
          [
            'elevate',
            'request',
            '--role',
            'db-admin',
            '--for',
            '30m',
            '--reason',
            'incident 42',
            '--admin',
            adminUrl,
            '--json',
          ],
          { WARDEN_ADMIN_TOKEN: alice },
        );
        expect(req.status, req.stderr).toBe(0);
        const e = (
          JSON.parse(req.stdout) as { elevation: { id: string; status: string; durationSec: number } }
        ).elevation;
        expect(e).toMatchObject({ status: 'pending', durationSec: 1800 });

        const denied = await cli(['elevate', 'approve', e.id, '--admin', adminUrl, '--token', alice]);
        expect(denied.status).toBe(1);
        expect(denied.stderr).toContain('ERR_ADMIN_FORBIDDEN');

        const list = await cli(['elevate', 'list', '--admin', adminUrl, '--token', bob]);
        expect(list.status, list.stderr).toBe(0);
        expect(list.stdout).toContain(`${e.id}  pending  ${issuer.url}|alice  role db-admin`);

        const ok = await cli(['elevate', 'approve', e.id, '--admin', adminUrl, '--token', bob]);
        expect(ok.status, ok.stderr).toBe(0);
        expect(ok.stdout).toMatch(new RegExp(`^${e.id}  active  `));

        const queue = await cli(['approvals', 'list', '--admin', adminUrl, '--token', bob]);
        expect(queue.status, queue.stderr).toBe(0);
        expect(queue.stdout).toBe('no calls are waiting for approval\n');

        const down = await cli([
          'approvals',
          'list',
          '--admin',
          `http://127.0.0.1:${await freePort()}`,
          '--token',
          bob,
        ]);
        expect(down.status).toBe(1);
        expect(down.stderr).toContain('cannot reach the admin API');
      } finally {
        child.kill('SIGTERM');
        for (let i = 0; i < 200 && child.pid !== undefined && alive(child.pid); i++)
          await new Promise((r) => setTimeout(r, 50));
      }
    },
  );
});
