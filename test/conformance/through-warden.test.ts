/**
 * The official MCP conformance suite (server scenarios, 2025-11-25) against Warden fronting the
 * project's fixture server, over a stdio upstream (one child per session) and over an HTTP
 * upstream. Every scenario not in the baseline must pass through the gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWarden } from '../helpers/warden.js';
import type { TestWarden } from '../helpers/warden.js';
import {
  CONFORMANCE_FIXTURE_PATH,
  ensureConformanceFixtureBuilt,
  runConformance,
  startConformanceFixtureHttp,
} from './run-conformance.js';
import type { RunningFixture } from './run-conformance.js';

describe('conformance suite through Warden', () => {
  let warden: TestWarden | undefined;
  let fixture: RunningFixture | undefined;

  beforeAll(async () => {
    await ensureConformanceFixtureBuilt();
    fixture = await startConformanceFixtureHttp();
    warden = await startTestWarden({
      servers: {
        fixture: { command: process.execPath, args: [CONFORMANCE_FIXTURE_PATH] },
        remote: { url: fixture.url },
      },
    });
  });

  afterAll(async () => {
    await warden?.close();
    await fixture?.stop();
  });

  for (const server of ['fixture', 'remote']) {
    it(
      `passes every active server scenario through /mcp/${server} (${server === 'fixture' ? 'stdio' : 'HTTP'} upstream)`,
      { timeout: 300_000 },
      async () => {
        const run = await runConformance(`${warden!.url}/mcp/${server}`);
        const report = `exit ${run.exitCode}, ${run.passed} passed, ${run.failed} failed\n${run.output}`;
        expect(run.unexpectedFailures, report).toEqual([]);
        expect(run.failed, report).toBe(0);
        expect(run.exitCode, report).toBe(0);
        expect(run.scenarios.length, report).toBeGreaterThanOrEqual(30);
      },
    );
  }
});
