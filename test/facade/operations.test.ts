/**
 * The facade's contract with Orca, over real HTTP against the real Temporal dev server and a
 * real worker: every endpoint with Orca-shaped payloads, Clouddriver's clientRequestId rules
 * (also under concurrency), resume of a retryable failure, authorization, and fuzzed bodies.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import fc from 'fast-check';
import { FaultPlan, mentions } from '../faults';
import { ACCOUNT, REGION, startTestEnv, testAwsClients, uniqueName, useTestEnv } from '../harness';
import type { TaskJson } from '../support/orca-client';
import { pollTask, post } from '../support/orca-client';
import { makeServerGroup } from '../support/server-group';

const faults = new FaultPlan();
// A short retry window, so a task can fail retryably within a test.
const env = useTestEnv({ faults, settings: { awsRetryWindowMs: 3_000, pollIntervalMs: 100 } });

const group = async (prefix: string) => (await makeServerGroup(env, { prefix, min: 1, max: 4, desired: 1 })).name;

/** What Orca's KatoService sends for a resize stage. */
function orcaResize(name: string, desired: number) {
  return {
    serverGroupName: name,
    asgName: name,
    region: REGION,
    regions: [REGION],
    credentials: ACCOUNT,
    cloudProvider: 'aws',
    capacity: { min: 1, max: 4, desired },
    type: 'resizeServerGroup',
    user: 'test@example.com',
    interestingHealthProviderNames: ['Amazon'],
  };
}

const orcaHeaders = { 'x-spinnaker-application': 'orcaapp', 'x-spinnaker-execution-id': '01ABC:stage1:task1' };

test.each([
  ['/ops', true],
  ['/aws/ops', true],
  ['/ops/resizeServerGroup', false],
  ['/aws/ops/resizeServerGroup', false],
])('POST %s starts a task Orca can poll', async (path, list) => {
  const name = await group('path');
  const body = list ? [{ resizeServerGroup: orcaResize(name, 2) }] : orcaResize(name, 2);
  const res = await post(`${env.facadeUrl}${path}`, body, orcaHeaders);
  expect(res.status).toBe(200);
  const { id, resourceUri } = res.body as { id: string; resourceUri: string };
  expect(resourceUri).toBe(`/task/${id}`);
  const task = await pollTask(env.facadeUrl, id);
  expect(Object.keys(task).sort()).toEqual([
    'history',
    'id',
    'outputs',
    'ownerId',
    'requestId',
    'resultObjects',
    'retryable',
    'sagaIds',
    'startTimeMs',
    'status',
  ]);
  expect(task.status).toEqual({
    phase: 'ORCHESTRATION',
    status: 'Orchestration completed.',
    complete: true,
    completed: true,
    failed: false,
    retryable: false,
  });
  const desc = await env.client.workflow.getHandle(id).describe();
  expect(desc.searchAttributes.BosunApplication).toEqual(['orcaapp']);
  expect(await desc.staticDetails()).toContain('Spinnaker execution: 01ABC:stage1:task1');
});

test('GET /task lists running tasks in Clouddriver shape', async () => {
  const name = await group('listed');
  faults.hang('waitForServerGroupCapacity', mentions(name));
  // moto settles at once: the check before the wait must see an unsettled group for the wait to run.
  faults.rewriteAnswer('describeServerGroup', mentions(name), (g) => g && { ...g, instances: [] }, 2);
  const { body } = await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: orcaResize(name, 2) }]);
  const id = (body as { id: string }).id;
  let listed: TaskJson | undefined;
  for (let i = 0; i < 50 && !listed; i++) {
    // Listed only for a caller who holds the task's accounts (Bosun's facade, like Clouddriver's write check).
    const all = (await (
      await fetch(`${env.facadeUrl}/task`, { headers: { 'x-spinnaker-user': 'test@example.com', 'x-spinnaker-accounts': ACCOUNT } })
    ).json()) as TaskJson[];
    listed = all.find((t) => t.id === id);
    if (!listed) await new Promise((r) => setTimeout(r, 200));
  }
  expect(listed?.status).toMatchObject({ completed: false, failed: false });
  await post(`${env.facadeUrl}/task/${id}/cancel`, '');
  await pollTask(env.facadeUrl, id);
  faults.release();
});

test('concurrent duplicates of one clientRequestId start exactly one workflow', async () => {
  const name = await group('dupes');
  const key = uniqueName('orca-');
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, [{ resizeServerGroup: orcaResize(name, 3) }])),
  );
  const ids = new Set(answers.map((a) => (a.body as { id: string }).id));
  expect(answers.every((a) => a.status === 200)).toBe(true);
  expect(ids.size).toBe(1);
  const [id] = [...ids];
  const task = await pollTask(env.facadeUrl, id!);
  expect(task.requestId).toBe(key);
  expect((await env.client.workflow.count(`WorkflowId = '${id}'`)).count).toBe(1);
  expect(faults.calls('updateServerGroupCapacity', mentions(name))).toBe(1);
});

test('a retryable failure runs again under the same id: on resubmission and on :resume', async () => {
  const name = await group('retry');
  faults.failRetryably('updateServerGroupCapacity', mentions(name), 1000);
  const key = uniqueName('orca-');
  const first = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, [{ resizeServerGroup: orcaResize(name, 2) }]);
  const id = (first.body as { id: string }).id;
  const failed = await pollTask(env.facadeUrl, id);
  expect(failed.status).toMatchObject({ failed: true, retryable: true });
  expect(failed.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', cause: 'Throttling', retryable: true });
  expect(String(failed.resultObjects[0]!.message)).toContain('still failing when the retry window ran out');
  // A failed task is a Failed workflow; the id reuse policy lets only a failed run be run again.
  expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('FAILED');

  // Still failing: resubmitting the same key runs it again (and it fails again, retryably).
  const again = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, [{ resizeServerGroup: orcaResize(name, 2) }]);
  expect((again.body as { id: string }).id).toBe(id);
  const failedAgain = await pollTask(env.facadeUrl, id);
  expect(failedAgain.history.filter((h) => h.status === 'Re-initializing Orchestration Task (failure is retryable)')).toHaveLength(1);

  // The outage ends; Orca calls :resume.
  faults.clear();
  const resumed = await post(`${env.facadeUrl}/task/${id}:resume`, '');
  expect(resumed.status).toBe(200);
  const done = await pollTask(env.facadeUrl, id);
  expect(done.status).toMatchObject({ completed: true, failed: false });
  expect(done.history[0]?.status).toBe('Initializing Orchestration Task');
  expect(done.history.filter((h) => h.status.startsWith('Re-initializing'))).toHaveLength(2);
  expect((await env.client.workflow.count(`WorkflowId = '${id}'`)).count).toBe(3);

  // A succeeded task is not resumable, and its key now returns it without running anything.
  expect((await post(`${env.facadeUrl}/task/${id}:resume`, '')).status).toBe(400);
  const last = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, [{ resizeServerGroup: orcaResize(name, 2) }]);
  expect((last.body as { id: string }).id).toBe(id);
  expect((await env.client.workflow.count(`WorkflowId = '${id}'`)).count).toBe(3);
});

test(':resume of an unknown task is a 404', async () => {
  expect((await post(`${env.facadeUrl}/task/no-such-task:resume`, '')).status).toBe(404);
});

test('a business failure is not retryable and cannot be resumed', async () => {
  const name = await group('biz');
  const { id, task } = await env.run([
    { resizeServerGroup: { ...orcaResize(name, 2), constraints: { capacity: { min: 9, max: 9, desired: 9 } } } },
  ]);
  expect(task.status).toMatchObject({ failed: true, retryable: false });
  const res = await post(`${env.facadeUrl}/task/${id}:resume`, '');
  expect(res.status).toBe(400);
  expect((res.body as { message: string }).message).toContain('did not fail retryably');
});

describe('authorization like Clouddriver', () => {
  test('no X-SPINNAKER-USER is refused with 401', async () => {
    const res = await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: orcaResize('authz-v001', 1) }], { 'x-spinnaker-user': '' });
    expect(res.status).toBe(401);
    expect((res.body as { message: string }).message).toContain('X-SPINNAKER-USER');
  });

  test('an account outside X-SPINNAKER-ACCOUNTS is refused with 403 naming it, and nothing starts', async () => {
    const before = (await env.client.workflow.count(`TaskQueue = '${env.taskQueue}'`)).count;
    const res = await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: { ...orcaResize('authz-v001', 1), credentials: 'prod' } }], {
      'x-spinnaker-accounts': 'test',
      'x-spinnaker-user': 'mallory@example.com',
    });
    expect(res.status).toBe(403);
    expect((res.body as { message: string }).message).toBe(
      'mallory@example.com may not write to account prod (X-SPINNAKER-ACCOUNTS grants: test)',
    );
    expect((await env.client.workflow.count(`TaskQueue = '${env.taskQueue}'`)).count).toBe(before);
  });

  test('a clone from an account the user may not write is refused too', async () => {
    const res = await post(
      `${env.facadeUrl}/aws/ops`,
      [{ cloneServerGroup: { credentials: 'test', source: { account: 'prod', region: REGION, asgName: 'x-v001' } } }],
      { 'x-spinnaker-accounts': 'test' },
    );
    expect(res.status).toBe(403);
    expect((res.body as { message: string }).message).toContain('account prod');
  });
});

test('the OpenAPI description lists every operation with its schema', async () => {
  const doc = (await (await fetch(`${env.facadeUrl}/openapi.json`)).json()) as {
    paths: Record<string, unknown>;
    components: { schemas: Record<string, unknown> };
  };
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/ops', '/{cloudProvider}/ops/{operation}', '/task/{id}', '/task/{id}:resume']),
  );
  expect(Object.keys(doc.components.schemas)).toEqual(
    expect.arrayContaining(['resizeServerGroup', 'createServerGroup', 'destroyServerGroup', 'Task']),
  );
});

test('metrics count requests and tasks', async () => {
  const text = await (await fetch(`${env.facadeUrl}/metrics`)).text();
  expect(text).toMatch(/bosun_http_requests_total\{method="POST",route="ops",status="200"\} \d+/);
  expect(text).toMatch(/bosun_tasks_submitted_total\{route="temporal",outcome="started"\} \d+/);
});

test('fuzzed bodies never get a 5xx', async () => {
  const opKeys = [
    'resizeServerGroup',
    'createServerGroup',
    'cloneServerGroup',
    'destroyServerGroup',
    'enableServerGroup',
    'terminateInstances',
    'upsertScalingPolicy',
    'unknownOp',
  ];
  const description = fc.dictionary(
    fc.constantFrom(
      'credentials',
      'region',
      'serverGroupName',
      'asgName',
      'capacity',
      'availabilityZones',
      'amiName',
      'instanceIds',
      'asgs',
      'source',
      'application',
      'processes',
    ),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.array(fc.dictionary(fc.constantFrom(...opKeys), description, { minKeys: 1, maxKeys: 2 }), { maxLength: 3 }),
  );
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(body, fc.constantFrom('/aws/ops', '/ops/resizeServerGroup', '/aws/ops/createServerGroup'), async (b, path) => {
      const res = await post(`${env.facadeUrl}${path}?clientRequestId=${uniqueName('fuzz-')}`, JSON.stringify(b));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      // A valid body may start a task (200); anything else must be a 4xx that explains itself.
      if (res.status !== 200) {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(typeof (res.body as { message?: unknown }).message).toBe('string');
      }
    }),
    { numRuns: 150, seed: 20261126 },
  );
  expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
});

test('any facade replica answers for any task: start on one, poll on another', async () => {
  const replica = await startTestEnv({ withWorker: false });
  try {
    const name = await group('replica');
    const { body } = await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: orcaResize(name, 2) }]);
    const task = await pollTask(replica.facadeUrl, (body as { id: string }).id);
    expect(task.status).toMatchObject({ completed: true, failed: false });
  } finally {
    await replica.close();
  }
});

test('POST /ops with resizeAsgDescription and a capacity inside each asgs entry resizes each group to its own', async () => {
  const a = await group('entrya');
  const b = await group('entryb');
  const res = await post(
    `${env.facadeUrl}/ops`,
    [
      {
        resizeAsgDescription: {
          credentials: ACCOUNT,
          asgs: [
            { serverGroupName: a, region: REGION, capacity: { min: 1, max: 4, desired: 2 } },
            {
              asgName: b,
              region: REGION,
              capacity: { min: 0, max: 4, desired: 3 },
              constraints: { capacity: { min: 1, max: 4, desired: 1 } },
            },
          ],
        },
      },
    ],
    orcaHeaders,
  );
  expect(res.status).toBe(200);
  const task = await pollTask(env.facadeUrl, (res.body as { id: string }).id);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  const groups = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [a, b] }));
  const capacity = Object.fromEntries(
    (groups.AutoScalingGroups ?? []).map((g) => [g.AutoScalingGroupName, [g.MinSize, g.DesiredCapacity, g.MaxSize]]),
  );
  expect(capacity).toEqual({ [a]: [1, 2, 4], [b]: [0, 3, 4] });
});
