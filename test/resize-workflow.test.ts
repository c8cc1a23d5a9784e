/**
 * The resize workflow under the real Temporal dev server with activities replaced or wrapped,
 * where the point is retry, idempotency, cancellation and what the UI shows.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Activities } from '../activities';
import { ensureEmulatorServerGroup } from '../infra/demo';
import type { TestEnv } from './harness';
import { ACCOUNT, pollTask, post, REGION, startTestEnv, testAwsClients, uniqueName } from './harness';

const calls: Record<string, number> = {};
const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
/** Server groups whose next update is made to "lose its answer": done in AWS, then failed. */
const loseAnswerOnce = new Set<string>();
/** Server groups whose update is throttled once before AWS sees it. */
const throttleOnce = new Set<string>();
/** Server groups whose wait hangs until cancelled. */
const hangWait = new Set<string>();

function faulty(real: Activities): Activities {
  return {
    ...real,
    async updateServerGroupCapacity(input) {
      count(`update:${input.serverGroupName}`);
      if (throttleOnce.delete(input.serverGroupName)) {
        throw ApplicationFailure.retryable('UpdateAutoScalingGroup failed: Throttling (HTTP 400): Rate exceeded', 'Throttling');
      }
      await real.updateServerGroupCapacity(input);
      if (loseAnswerOnce.delete(input.serverGroupName)) {
        throw ApplicationFailure.retryable('connection reset after the request was sent', 'ECONNRESET');
      }
    },
    async waitForServerGroupCapacity(input) {
      if (hangWait.has(input.serverGroupName)) {
        const ctx = Context.current();
        // Heartbeats are throttled, so the cancellation may reach this activity late; the test
        // releases it directly so the worker can shut down without waiting out its grace time.
        while (hangWait.has(input.serverGroupName)) {
          ctx.heartbeat('waiting');
          await ctx.sleep(100);
        }
        throw ApplicationFailure.nonRetryable('released by the test', 'TestReleased');
      }
      return real.waitForServerGroupCapacity(input);
    },
  };
}

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv({ activities: faulty, settings: { awsRetryWindowMs: 60_000, pollIntervalMs: 100 } });
});
afterAll(async () => {
  await env.close();
});

async function makeGroup(prefix: string, capacity = { min: 1, max: 4, desired: 1 }): Promise<string> {
  const name = `${uniqueName(prefix)}-v001`;
  await ensureEmulatorServerGroup(testAwsClients(env.aws), { name, region: REGION, ...capacity });
  return name;
}

function resize(name: string, desired: number) {
  return [{ resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { desired } } }];
}

async function groupState(name: string) {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const g = out.AutoScalingGroups?.[0];
  return { desired: g?.DesiredCapacity, instances: g?.Instances?.length };
}

test('a throttled AWS call is retried by Temporal and the task still succeeds', async () => {
  const name = await makeGroup('throttled');
  throttleOnce.add(name);
  const { body } = await post(`${env.facadeUrl}/aws/ops`, resize(name, 3));
  const task = await pollTask(env.facadeUrl, (body as { id: string }).id);
  expect(task.status.failed).toBe(false);
  expect(calls[`update:${name}`]).toBe(2);
  expect(await groupState(name)).toEqual({ desired: 3, instances: 3 });
});

test('an update whose answer was lost runs again and leaves the same end state', async () => {
  const name = await makeGroup('lost');
  loseAnswerOnce.add(name);
  const { body } = await post(`${env.facadeUrl}/aws/ops`, resize(name, 2));
  const task = await pollTask(env.facadeUrl, (body as { id: string }).id);
  expect(task.status.failed).toBe(false);
  expect(calls[`update:${name}`]).toBe(2);
  expect(await groupState(name)).toEqual({ desired: 2, instances: 2 });
});

test('the UI timeline names each step with an activity summary', async () => {
  const name = await makeGroup('timeline');
  const { body } = await post(`${env.facadeUrl}/aws/ops`, resize(name, 2));
  const id = (body as { id: string }).id;
  await pollTask(env.facadeUrl, id);
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  const summaries: string[] = [];
  for (const e of history.events ?? []) {
    const data = e.userMetadata?.summary?.data;
    if (e.activityTaskScheduledEventAttributes && data) summaries.push(JSON.parse(Buffer.from(data).toString('utf8')) as string);
  }
  expect(summaries).toEqual([
    `Describe ${name} in ${REGION}`,
    `Resize ${name} in ${REGION} from 1/1/4 to 1/2/4`,
    `Wait for ${name} in ${REGION} to reach 2 healthy instances`,
  ]);
});

test('a cancelled task stops waiting and reports a failed, non-retryable task', async () => {
  const name = await makeGroup('cancelled');
  hangWait.add(name);
  const { body } = await post(`${env.facadeUrl}/aws/ops`, resize(name, 2));
  const id = (body as { id: string }).id;
  // Wait until the workflow is inside the hanging wait.
  for (let i = 0; i < 100; i++) {
    const t = (await (await fetch(`${env.facadeUrl}/task/${id}`)).json()) as { history: { status: string }[] };
    if (t.history.some((h) => h.status.startsWith('Waiting for'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const cancel = await post(`${env.facadeUrl}/task/${id}/cancel`, '');
  expect(cancel.status).toBe(202);
  const task = await pollTask(env.facadeUrl, id);
  hangWait.delete(name);
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
