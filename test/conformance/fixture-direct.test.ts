import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance, startConformanceFixtureHttp } from './run-conformance.js';
import type { RunningFixture } from './run-conformance.js';

describe('conformance suite against the fixture server (direct, Streamable HTTP)', () => {
  let fixture: RunningFixture | undefined;

  beforeAll(async () => {
    fixture = await startConformanceFixtureHttp();
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it('passes every active server scenario not in the baseline', { timeout: 300_000 }, async () => {
    const run = await runConformance(fixture!.url);
    const report = `exit ${run.exitCode}, ${run.passed} passed, ${run.failed} failed\n${run.output}`;
    expect(run.exitCode, report).toBe(0);
    expect(run.failed, report).toBe(0);
    expect(run.unexpectedFailures, report).toEqual([]);
    expect(run.staleEntries, report).toEqual([]);
    expect(run.passed, report).toBeGreaterThan(0);
    expect(run.scenarios.length, report).toBeGreaterThanOrEqual(30);
  });

  it('runs a single scenario', { timeout: 60_000 }, async () => {
    const run = await runConformance(fixture!.url, { scenario: 'tools-call-sampling' });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.scenarios).toEqual([{ scenario: 'tools-call-sampling', passed: 1, failed: 0 }]);
  });
});
