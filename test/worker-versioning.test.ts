/**
 * Worker Deployment versioning on the pinned dev server (Temporal CLI 1.9.1, server 1.32, no
 * dynamic-config flags needed): tasks started on version A keep running on A after B becomes
 * current (one-operation tasks are PINNED), an orchestration moves to B (AUTO_UPGRADE), new
 * tasks go to B, and A drains.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import type { Activities } from '../activities';
import { createActivities } from '../activities';
import type { BosunWorker } from '../worker/create-worker';
import { createBosunWorker } from '../worker/create-worker';
import type { TestEnv } from './harness';
import { ACCOUNT, REGION, startTestEnv, uniqueName } from './harness';
import { pollTask, post, waitForHistory } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

let env: TestEnv;
const deploymentName = uniqueName('bosun-versioning-');
/** Which version ran each activity, by the server group it named. */
const ranOn: { version: string; activity: string; group: string }[] = [];
/** Groups whose capacity wait holds until `opened` (the task is "in flight" during the deploy). */
const held = new Set<string>();
let opened = false;

function versioned(version: string, real: Activities): Activities {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(real) as [string, (input: unknown) => Promise<unknown>][]) {
    out[name] = async (input: unknown) => {
      const named = (input as { serverGroupName?: unknown }).serverGroupName;
      const group = typeof named === 'string' ? named : '';
      ranOn.push({ version, activity: name, group });
      if (name === 'waitForServerGroupCapacity' && held.has(group)) {
        while (!opened) {
          Context.current().heartbeat('held by the test');
          await Context.current().sleep(100);
        }
      }
      // moto settles at once: until the test opens, a held group's reads show no instances, so the
      // resize's check before the wait (bosun-resize-local-describes) schedules the held wait.
      if (name === 'describeServerGroup' && held.has(group) && !opened) {
        const snapshot = (await fn(input)) as { instances: unknown[] } | null;
        return snapshot && { ...snapshot, instances: [] };
      }
      return fn(input);
    };
  }
  return out as Activities;
}

const workers: { worker: BosunWorker; running: Promise<void>; connection: NativeConnection }[] = [];

async function startVersion(buildId: string): Promise<{ worker: BosunWorker; running: Promise<void> }> {
  const connection = await NativeConnection.connect({ address: process.env.BOSUN_TEST_TEMPORAL_ADDRESS! });
  const worker = await createBosunWorker({
    connection,
    namespace: 'default',
    taskQueue: env.taskQueue,
    activities: versioned(buildId, createActivities({ aws: env.aws })),
    workflowBundle: { codePath: process.env.BOSUN_TEST_WORKFLOW_BUNDLE! },
    deployment: { deploymentName, buildId },
  });
  const running = worker.run();
  workers.push({ worker, running, connection });
  return { worker, running };
}

/** `temporal worker deployment set-current-version`, once the version has polled (and so exists). */
async function makeCurrent(client: Client, buildId: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: 'default',
        deploymentName,
        buildId,
        identity: 'versioning-test',
      });
      return;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function versionOf(id: string): Promise<{ behavior: string; buildId: string | undefined }> {
  const desc = await env.client.workflow.getHandle(id).describe();
  const info = desc.raw.workflowExecutionInfo?.versioningInfo;
  const behavior = temporal.api.enums.v1.VersioningBehavior[info?.behavior ?? 0] as string;
  return { behavior, buildId: info?.deploymentVersion?.buildId ?? undefined };
}

beforeAll(async () => {
  // Waits on their own queue: the waits worker must poll as the same version, or a pinned task's
  // wait is never dispatched.
  env = await startTestEnv({ withWorker: false, settings: { awsRetryWindowMs: 60_000, pollIntervalMs: 100, waitStrategy: 'task-queue' } });
});

afterAll(async () => {
  opened = true;
  for (const w of workers) {
    if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    await w.running.catch(() => undefined);
    await w.connection.close();
  }
  await env.close();
});

const resize = (name: string) => [
  { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { desired: 2 } } },
];

test('pinned tasks finish on version A, an orchestration and new tasks go to B, and A drains', async () => {
  const [pinned, upgraded, fresh] = await Promise.all(
    ['pin', 'upg', 'new'].map(async (p) => (await makeServerGroup(env, { prefix: p, min: 1, max: 4, desired: 1 })).name),
  );
  held.add(pinned!).add(upgraded!);

  const a = await startVersion('A');
  await makeCurrent(env.client, 'A');
  const start = async (body: unknown) => ((await post(`${env.facadeUrl}/aws/ops`, body)).body as { id: string }).id;
  const pinnedId = await start(resize(pinned!));
  const upgradedId = await start([
    ...resize(upgraded!),
    { enableServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: upgraded } },
  ]);
  await waitForHistory(env.facadeUrl, pinnedId, (s) => s.startsWith('Waiting for'));
  await waitForHistory(env.facadeUrl, upgradedId, (s) => s.startsWith('Waiting for'));
  expect(await versionOf(pinnedId)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: 'A' });
  expect(await versionOf(upgradedId)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE', buildId: 'A' });

  // Deploy: B starts polling and becomes current while both tasks are in flight on A.
  await startVersion('B');
  await makeCurrent(env.client, 'B');
  const freshId = await start(resize(fresh!));
  const freshTask = await pollTask(env.facadeUrl, freshId);
  expect(freshTask.status.failed).toBe(false);
  expect(new Set(ranOn.filter((r) => r.group === fresh).map((r) => r.version))).toEqual(new Set(['B']));
  expect((await versionOf(freshId)).buildId).toBe('B');

  // The in-flight waits end: the pinned task finishes on A, the orchestration carries on on B.
  opened = true;
  const [pinnedTask, upgradedTask] = await Promise.all([pollTask(env.facadeUrl, pinnedId), pollTask(env.facadeUrl, upgradedId)]);
  expect(pinnedTask.status.failed).toBe(false);
  expect(upgradedTask.status.failed).toBe(false);
  expect(new Set(ranOn.filter((r) => r.group === pinned).map((r) => r.version))).toEqual(new Set(['A']));
  expect((await versionOf(pinnedId)).buildId).toBe('A');
  // The orchestration's next operation (enable) ran on B.
  expect(ranOn.filter((r) => r.group === upgraded && r.activity === 'resumeProcesses').map((r) => r.version)).toEqual(['B']);
  expect((await versionOf(upgradedId)).buildId).toBe('B');

  // A is drained: no open task is pinned to it, so it can be stopped.
  const onA = await env.client.workflow.count(`TemporalWorkerDeploymentVersion = '${deploymentName}:A' AND ExecutionStatus = 'Running'`);
  expect(onA.count).toBe(0);
  a.worker.shutdown();
  await a.running;
}, 90_000);
