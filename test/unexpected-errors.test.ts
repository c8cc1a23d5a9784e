/**
 * A Bosun bug never sits silent in a retry loop (DESIGN invariant 9): an unexpected error in an
 * activity fails the task after a few attempts with a message that says so, and a workflow-task
 * failure is logged with the workflow id and counted in the worker's Prometheus metrics.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FailureType } from '../domain/failures';
import { freePort } from '../infra/stack';
import { ACCOUNT, REGION, startTestEnv, useTestEnv } from './harness';
import { post, pollTask } from './support/orca-client';
import { makeServerGroup } from './support/server-group';
import type { Activities } from '../activities';

let updateAttempts = 0;
const env = useTestEnv({
  activities: (real: Activities): Activities => ({
    ...real,
    // A bug in activity code, outside any AWS call.
    updateServerGroupCapacity: async () => {
      updateAttempts++;
      const group = undefined as unknown as { capacity: { min: number } };
      return { min: group.capacity.min } as never;
    },
  }),
  settings: { awsRetryWindowMs: 60_000, pollIntervalMs: 100 },
});

test('a TypeError in an activity fails the task after 3 attempts, not after the 2-hour retry window', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'bug', min: 1, max: 4, desired: 1 });
  const started = Date.now();
  const { task } = await env.run([
    { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { desired: 2 } } },
  ]);
  expect(Date.now() - started).toBeLessThan(20_000);
  expect(updateAttempts).toBe(3);
  expect(task.status).toMatchObject({ failed: true, retryable: false });
  expect(task.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', cause: FailureType.UnexpectedError });
  expect(String(task.resultObjects[0]!.message)).toMatch(
    /^activity updateServerGroupCapacity failed: TypeError: .*an unexpected error, neither an AWS answer nor a network failure: gave up after 3 attempts; a Bosun bug or a configuration problem/,
  );
});

describe('a workflow-task failure (a Bosun bug in workflow code)', () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  test("is logged with the workflow id through Bosun's logger and counted in the worker's metrics", async () => {
    const bare = await startTestEnv({ withWorker: false });
    try {
      const metricsPort = await freePort();
      let stderr = '';
      child = spawn(path.join(__dirname, '..', 'node_modules', '.bin', 'tsx'), [path.join(__dirname, 'support', 'buggy-worker.ts')], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: process.env.BOSUN_TEST_TEMPORAL_ADDRESS,
          AWS_ENDPOINT_URL: process.env.BOSUN_TEST_AWS_ENDPOINT,
          BOSUN_TASK_QUEUE: bare.taskQueue,
          BOSUN_WORKFLOW_BUNDLE: process.env.BOSUN_TEST_WORKFLOW_BUNDLE,
          BOSUN_WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
          BOSUN_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'bosun-buggy-')),
          BOSUN_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const { body } = await post(`${bare.facadeUrl}/aws/ops`, [
        { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: 'buggy-v001', capacity: { desired: 2 } } },
      ]);
      const id = (body as { id: string }).id;

      let failures = 0;
      let logged: Record<string, unknown> | undefined;
      for (let i = 0; i < 200 && (failures === 0 || !logged); i++) {
        await new Promise((r) => setTimeout(r, 200));
        logged = stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => String(l.msg).startsWith('workflow task failed: a Bosun bug') && l.workflowId === id);
        const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
        const line = metrics
          .split('\n')
          .find((l) => l.startsWith('temporal_workflow_task_execution_failed') && l.includes('workflow_type="resizeServerGroup"'));
        failures = line ? Number(line.split(' ').pop()) : 0;
      }
      expect(failures).toBeGreaterThanOrEqual(1);
      expect(logged).toMatchObject({ level: 'error', workflowId: id, workflowType: 'resizeServerGroup', component: 'worker' });
      expect(String(logged!.msg)).toContain('TypeError');

      // The server marks it, so the UI's "Failures" view lists it while it is stuck RUNNING.
      const query = `WorkflowId = '${id}' AND TemporalReportedProblems IN ('category=WorkflowTaskFailed')`;
      let marked = 0;
      for (let i = 0; i < 100 && marked === 0; i++) {
        marked = (await bare.client.workflow.count(query)).count;
        if (marked === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(marked).toBe(1);

      // The task stays open (nothing lost) and Orca sees it running; an operator terminates it here.
      const task = (await (await fetch(`${bare.facadeUrl}/task/${id}`)).json()) as { status: { completed: boolean } };
      expect(task.status.completed).toBe(false);
      await bare.client.workflow.getHandle(id).terminate('test: the buggy workflow task was observed');
      const ended = await pollTask(bare.facadeUrl, id);
      expect(ended.resultObjects[0]).toMatchObject({ cause: FailureType.Terminated });
    } finally {
      await bare.close();
    }
  }, 60_000);
});
