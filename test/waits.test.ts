/**
 * Waits do not hold the worker's activity slots: a worker with 2 activity slots, 4
 * tasks waiting for a capacity moto cannot reach (the group's one instance is Unhealthy), and a
 * resize of another group submitted meanwhile still finishes promptly, under both strategies
 * that keep waits out of the slots. The `activity` strategy (runs whose settings name none) is the
 * control: the same probe is stuck behind the waits, which shows the setup really fills the slots.
 */
import { DescribeAutoScalingGroupsCommand, SetInstanceHealthCommand } from '@aws-sdk/client-auto-scaling';
import type { WaitStrategy } from '../domain/waits';
import type { TestEnv } from './harness';
import { ACCOUNT, REGION, startTestEnv, testAwsClients } from './harness';
import type { TaskJson } from './support/orca-client';
import { pollTask, post } from './support/orca-client';
import { makeServerGroup, resizeOps } from './support/server-group';

const SLOTS = 2;
const WAITS = 4;
/** A probe that takes longer than this waited for a slot: alone it takes well under a second. */
const PROMPT_MS = 5_000;

async function task(env: TestEnv, id: string): Promise<TaskJson> {
  return (await (await fetch(`${env.facadeUrl}/task/${id}`)).json()) as TaskJson;
}

async function submit(env: TestEnv, body: unknown): Promise<string> {
  const res = await post(`${env.facadeUrl}/aws/ops`, body);
  if (res.status !== 200) throw new Error(`POST answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** Until every task has logged that it is waiting (or fail after 20 s, naming where they are). */
async function untilAllWaiting(env: TestEnv, ids: readonly string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const tasks = await Promise.all(ids.map((id) => task(env, id)));
    if (tasks.every((t) => t.history.some((h) => h.status.startsWith('Waiting for')))) return;
    if (Date.now() > deadline) throw new Error(`not every task reached its wait: ${JSON.stringify(tasks.map((t) => t.history.at(-1)))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A group of 1/1/1 whose only instance is Unhealthy: a wait for 1 healthy instance lasts until `heal`. */
async function blockedGroup(env: TestEnv, prefix: string): Promise<{ name: string; heal: () => Promise<void> }> {
  const { name } = await makeServerGroup(env, { prefix, min: 1, max: 1, desired: 1 });
  const { autoScaling } = testAwsClients(env.aws);
  const g = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const instanceId = g.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId;
  if (!instanceId) throw new Error(`${name} has no instance`);
  await autoScaling.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Unhealthy' }));
  return {
    name,
    heal: async () => {
      await autoScaling.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Healthy' }));
    },
  };
}

const resize = (serverGroupName: string, desired: number, waitTimeoutSeconds = 120) =>
  resizeOps(serverGroupName, { desired }, { waitTimeoutSeconds });

describe.each<{ strategy: WaitStrategy; holdsSlots: boolean }>([
  { strategy: 'task-queue', holdsSlots: false },
  { strategy: 'workflow-timer', holdsSlots: false },
  { strategy: 'activity', holdsSlots: true },
])('waits under the $strategy strategy', ({ strategy, holdsSlots }) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv({
      settings: { awsRetryWindowMs: 60_000, pollIntervalMs: 200, waitStrategy: strategy },
      workerLimits: { maxConcurrentActivities: SLOTS },
    });
  });
  afterAll(async () => {
    await env?.close();
  });

  test(`${WAITS} long waits and a worker with ${SLOTS} activity slots: a resize submitted meanwhile ${holdsSlots ? 'is stuck behind them' : 'finishes promptly'}`, async () => {
    const blocked = await blockedGroup(env, `wait-${strategy}`);
    const { name: probeGroup } = await makeServerGroup(env, { prefix: `probe-${strategy}`, min: 1, max: 4, desired: 1 });

    const waiting = await Promise.all(Array.from({ length: WAITS }, () => submit(env, resize(blocked.name, 1))));
    if (!holdsSlots) await untilAllWaiting(env, waiting);
    else await untilAllWaiting(env, waiting.slice(0, SLOTS)); // the others wait for a slot

    const submitted = Date.now();
    // The probe keeps its update a regular activity (a capacity constraint; without one the whole
    // resize runs in local activities and needs no activity slot at all), so under the `activity`
    // strategy it has to wait for a slot the waits hold.
    const probeId = await submit(env, resizeOps(probeGroup, { desired: 2 }, { constraints: { capacity: { min: 1, desired: 1, max: 4 } } }));
    if (holdsSlots) {
      await expect(pollTask(env.facadeUrl, probeId, PROMPT_MS)).rejects.toThrow(/not completed/);
    } else {
      const probe = await pollTask(env.facadeUrl, probeId, PROMPT_MS);
      expect(probe.status.failed).toBe(false);
      expect(Date.now() - submitted).toBeLessThan(PROMPT_MS);
      // Still waiting: the probe did not finish because the waits had ended.
      for (const id of waiting) expect((await task(env, id)).status.completed).toBe(false);
    }

    // Once the instance is healthy every wait sees it and its task succeeds; so does a stuck probe.
    await blocked.heal();
    for (const id of [...waiting, probeId]) {
      const t = await pollTask(env.facadeUrl, id, 30_000);
      expect(t.status).toMatchObject({ completed: true, failed: false });
    }
    const last = (await task(env, waiting[0]!)).history.map((h) => h.status);
    expect(last).toContain(`${blocked.name} has 1 of 1 instances in service`);
  });

  if (strategy === 'workflow-timer') {
    test('a wait that times out fails as CapacityNotReached, naming the numbers, like the wait activity', async () => {
      const blocked = await blockedGroup(env, 'wait-timeout');
      const { task: t } = await env.run(resize(blocked.name, 1, 2));
      expect(t.status).toMatchObject({ completed: true, failed: true });
      expect(t.resultObjects[0]).toMatchObject({
        type: 'EXCEPTION',
        cause: 'CapacityNotReached',
        message: expect.stringContaining(`timed out waiting for ${blocked.name} in ${REGION}: 0 of 1 instances in service`) as unknown,
      });
    });

    test('a destroy waits for the group to be gone with describes and timers', async () => {
      const { name } = await makeServerGroup(env, { prefix: 'destroy-timer', min: 1, max: 1, desired: 1 });
      const { id, task: t } = await env.run([{ destroyServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name } }]);
      expect(t.status).toMatchObject({ completed: true, failed: false });
      expect(t.history.map((h) => h.status)).toContain(`${name} in ${REGION} is deleted`);
      const history = await env.client.workflow.getHandle(id).fetchHistory();
      const types = (history.events ?? []).flatMap((e) =>
        e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : [],
      );
      expect(types).toContain('describeServerGroupDeletion');
      expect(types).not.toContain('waitForServerGroupDeleted');
    });
  }
});
