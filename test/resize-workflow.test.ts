/**
 * The resize workflow under the real Temporal dev server with activities replaced or wrapped,
 * where the point is retry, idempotency, cancellation and what the UI shows.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { temporal } from '@temporalio/proto';
import { FaultPlan, mentions } from './faults';
import { REGION, startTestEnv, testAwsClients, useTestEnv } from './harness';
import { pollTask, post, waitForHistory } from './support/orca-client';
import { makeServerGroup, resizeOps } from './support/server-group';

const faults = new FaultPlan();
const env = useTestEnv({ faults, settings: { awsRetryWindowMs: 60_000, pollIntervalMs: 100 } });

/** Every attempt at updating the group's capacity, the failed ones included. */
const updates = (name: string) => faults.calls('updateServerGroupCapacity', mentions(name));

const makeGroup = async (prefix: string) => (await makeServerGroup(env, { prefix, min: 1, max: 4, desired: 1 })).name;

const resize = (name: string, desired: number) => resizeOps(name, { desired });

async function groupState(name: string) {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const g = out.AutoScalingGroups?.[0];
  return { desired: g?.DesiredCapacity, instances: g?.Instances?.length };
}

test.each([
  {
    what: 'a throttled AWS call is retried by Temporal and the task still succeeds',
    prefix: 'throttled',
    fault: 'failRetryably',
    desired: 3,
  },
  { what: 'an update whose answer was lost runs again and leaves the same end state', prefix: 'lost', fault: 'loseAnswer', desired: 2 },
] as const)('$what', async ({ prefix, fault, desired }) => {
  const name = await makeGroup(prefix);
  faults[fault]('updateServerGroupCapacity', mentions(name));
  const { task } = await env.run(resize(name, desired));
  expect(task.status.failed).toBe(false);
  expect(updates(name)).toBe(2);
  expect(await groupState(name)).toEqual({ desired, instances: desired });
});

test('the UI timeline names each step with an activity summary', async () => {
  const name = await makeGroup('timeline');
  const { id } = await env.run(resize(name, 2));
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  const summaries: string[] = [];
  for (const e of history.events ?? []) {
    const data = e.userMetadata?.summary?.data;
    const step = e.activityTaskScheduledEventAttributes ?? e.markerRecordedEventAttributes;
    if (step && data) summaries.push(JSON.parse(Buffer.from(data).toString('utf8')) as string);
  }
  // The describes are local activities (their markers); moto settles at once, so the check
  // before the wait finds the group settled and no wait is scheduled.
  expect(summaries).toEqual([
    `Describe ${name} in ${REGION}`,
    `Resize ${name} in ${REGION} from 1/1/4 to 1/2/4`,
    `Check whether ${name} in ${REGION} has settled`,
  ]);
});

const workflowShape = async (id: string) => {
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  const types = (history.events ?? []).map((e) => e.eventType);
  const E = temporal.api.enums.v1.EventType;
  const count = (t: temporal.api.enums.v1.EventType) => types.filter((x) => x === t).length;
  return {
    workflowTasks: count(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activities: count(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
  };
};

test('a resize that settles at once runs in one workflow task', async () => {
  const name = await makeGroup('fewer-tasks');
  const { id, task } = await env.run(resize(name, 2));
  expect(task.status.failed).toBe(false);
  // Describe, update and the settled check all run locally inside the first workflow task.
  expect(await workflowShape(id)).toEqual({ workflowTasks: 1, activities: 0, localActivities: 3 });
  expect(task.history.map((h) => h.status)).toContain(`${name} has 2 of 2 instances in service`);
  expect(await groupState(name)).toEqual({ desired: 2, instances: 2 });
});

test('with a capacity constraint the update stays a regular activity, so a retried workflow task cannot judge its own change', async () => {
  const name = await makeGroup('constrained');
  const { id, task } = await env.run(resizeOps(name, { desired: 2 }, { constraints: { capacity: { min: 1, desired: 1, max: 4 } } }));
  expect(task.status.failed).toBe(false);
  expect(await workflowShape(id)).toEqual({ workflowTasks: 2, activities: 1, localActivities: 2 });
  expect(await groupState(name)).toEqual({ desired: 2, instances: 2 });
});

test('an update that keeps failing in the worker continues as a regular activity, retried by the server, and the task succeeds', async () => {
  const name = await makeGroup('fallback');
  // Three local attempts fail, then the regular activity's first attempt; its second succeeds.
  faults.failRetryably('updateServerGroupCapacity', mentions(name), 4);
  const { id, task } = await env.run(resize(name, 2));
  expect(task.status.failed).toBe(false);
  expect(updates(name)).toBe(5);
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  const scheduled = (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  expect(scheduled).toEqual(['updateServerGroupCapacity']);
  // No local retry became a server timer.
  expect((history.events ?? []).some((e) => e.timerStartedEventAttributes)).toBe(false);
  expect(await groupState(name)).toEqual({ desired: 2, instances: 2 });
});

test('a group not settled at the check is waited for by the wait activity', async () => {
  const name = await makeGroup('not-settled');
  // The first describe's instances are not used; the check before the wait sees none in service.
  faults.rewriteAnswer('describeServerGroup', mentions(name), (g) => g && { ...g, instances: [] }, 2);
  const { task } = await env.run(resize(name, 2));
  expect(task.status.failed).toBe(false);
  expect(faults.calls('waitForServerGroupCapacity', mentions(name))).toBe(1);
  expect(task.history.map((h) => h.status)).toContain(`${name} has 2 of 2 instances in service`);
});

test('a cancelled task stops waiting and reports a failed, non-retryable task', async () => {
  const name = await makeGroup('cancelled');
  // Heartbeats are throttled, so the cancellation may reach the hanging wait late; the test
  // releases it directly so the worker can shut down without waiting out its grace time.
  faults.hang('waitForServerGroupCapacity', mentions(name));
  // moto settles at once: the check before the wait must see an unsettled group for the wait to run.
  faults.rewriteAnswer('describeServerGroup', mentions(name), (g) => g && { ...g, instances: [] }, 2);
  const { body } = await post(`${env.facadeUrl}/aws/ops`, resize(name, 2));
  const id = (body as { id: string }).id;
  // Wait until the workflow is inside the hanging wait.
  await waitForHistory(env.facadeUrl, id, (status) => status.startsWith('Waiting for'));
  const cancel = await post(`${env.facadeUrl}/task/${id}/cancel`, '');
  expect(cancel.status).toBe(202);
  const task = await pollTask(env.facadeUrl, id);
  faults.release();
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', cause: 'Cancelled' });
  expect(task.history.map((h) => h.status)).toContain('Orchestration cancelled during resizeServerGroup.');
  const desc = await env.client.workflow.getHandle(id).describe();
  expect(desc.status.name).toBe('CANCELLED');
  expect(desc.searchAttributes.BosunTaskStatus).toEqual(['CANCELED']);
});

test('GET /task answers for a running task even when no worker is polling', async () => {
  const other = await startTestEnv({ withWorker: false });
  try {
    const { body } = await post(`${other.facadeUrl}/aws/ops`, resize('nobody-v001', 1));
    const res = await fetch(`${other.facadeUrl}/task/${(body as { id: string }).id}`);
    expect(res.status).toBe(200);
    const task = (await res.json()) as { status: { completed: boolean }; history: { status: string }[] };
    expect(task.status.completed).toBe(false);
    expect(task.history[0]?.status).toBe('Initializing Orchestration Task');
    await other.client.workflow.getHandle((body as { id: string }).id).terminate('test cleanup');
  } finally {
    await other.close();
  }
});
