/**
 * The chaos run, small enough for CI: about 20 Orca-style operations in per-application
 * scenarios, 10% AWS faults from the fault proxy (plus answers lost after AWS acted), and one
 * SIGKILL of the worker, against a real worker and a real facade (child processes), the test
 * run's Temporal dev server and moto. Bosun must come out clean: nothing failed, lost,
 * duplicated or leaked. Temporal server restarts are only in the full run (`npm run chaos`),
 * since this server is shared with the other test files. The baseline runs here only with
 * CHAOS_SMOKE_BASELINE=1 (and is then reported, not asserted).
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chaosOptionsSchema, runChaos } from '../bench/chaos/chaos';
import { renderMarkdown } from '../bench/chaos/report';
import { ORCA_WORKLOAD } from '../bench/chaos/run';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run with jest so test/global-setup.ts starts the stack`);
  return v;
}

// A worker killed in the middle of a mutating AWS call leaves that call to its 2-minute
// start-to-close timeout (workflows/activity-profiles.ts), so the budget allows for one such stall.
const OP_TIMEOUT_MS = 170_000;

test(
  'Bosun under chaos (20 operations, 10% AWS faults, a worker SIGKILL): nothing failed, lost, duplicated or leaked',
  async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'bosun-chaos-smoke-'));
    const logFile = path.join(workDir, 'chaos.log');
    const options = chaosOptionsSchema.parse({
      ops: 20,
      faultRate: 0.1,
      seed: 7,
      workerKills: 1,
      serverRestarts: 0,
      facadeRestarts: 0,
      pollMs: 1000,
      rampMs: 2000,
      faultWindowStartMs: 3000,
      faultWindowEndMs: 8000,
      opTimeoutMs: OP_TIMEOUT_MS,
      phaseTimeoutMs: OP_TIMEOUT_MS + 30_000,
      baseline: process.env.CHAOS_SMOKE_BASELINE === '1',
    });
    const report = await runChaos(
      ORCA_WORKLOAD,
      options,
      {
        temporalAddress: () => env('BOSUN_TEST_TEMPORAL_ADDRESS'),
        motoEndpoint: env('BOSUN_TEST_AWS_ENDPOINT'),
        workflowBundle: env('BOSUN_TEST_WORKFLOW_BUNDLE'),
        workDir,
      },
      (line) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`),
    );
    writeFileSync(path.join(workDir, 'chaos-smoke.json'), JSON.stringify(report, null, 2));
    const md = renderMarkdown(report);
    writeFileSync(path.join(workDir, 'chaos-smoke.md'), md);
    process.stdout.write(`\n${md}\n(report and process logs in ${workDir})\n`);

    const b = report.bosun;
    // The chaos really happened: AWS faults were injected and the worker was killed.
    expect(b.faults.proxy.throttle + b.faults.proxy.serverError + b.faults.proxy.unavailable + b.faults.proxy.reset).toBeGreaterThan(0);
    expect(b.faults.process.filter((f) => f.kind === 'worker-kill' && f.outcome === 'done')).toHaveLength(1);
    // And Bosun kept its promise.
    expect(report.bosunProblems).toEqual([]);
    expect(b.counts).toMatchObject({
      posted: b.planned,
      accepted: b.planned,
      succeeded: b.planned,
      failed: 0,
      lost: 0,
      rejected: 0,
      skipped: 0,
    });
    expect(b.duplicates).toMatchObject({ extraGroups: 0, extraLaunchTemplates: 0 });
    expect(b.leaks).toEqual({ groups: [], launchTemplates: [], instances: [], missingGroups: [] });
    // No group disabled again without an enable between, none more often than its disable steps.
    expect(b.disables).toMatchObject({ disabledTwice: { groups: 0 }, beyondPlan: { groups: 0 } });
    expect(b.faults.unexpectedExits).toEqual([]);
  },
  OP_TIMEOUT_MS + 120_000,
);
