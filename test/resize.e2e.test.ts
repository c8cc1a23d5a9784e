/**
 * The first vertical slice end to end: an ASG in moto, a resize posted to the facade over HTTP
 * as Orca posts it, `GET /task/{id}` polled until completed, and the new capacity read back
 * from moto. Real Temporal dev server, real worker, real AWS SDK.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { ACCOUNT, REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { pollTask, post } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

const env = useTestEnv();

async function capacityOf(name: string) {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const g = out.AutoScalingGroups?.[0];
  return g ? { min: g.MinSize, max: g.MaxSize, desired: g.DesiredCapacity, instances: g.Instances?.length } : undefined;
}

test('resizeServerGroup through the facade changes the group in AWS and reports a completed task', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'myapp', suffix: '-main-v003', min: 1, max: 1, desired: 1 });

  const submit = await post(`${env.facadeUrl}/aws/ops`, [
    { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { min: 2, max: 4, desired: 3 } } },
  ]);
  expect(submit.status).toBe(200);
  const { id, resourceUri } = submit.body as { id: string; resourceUri: string };
  expect(resourceUri).toBe(`/task/${id}`);

  const task = await pollTask(env.facadeUrl, id);
  expect(task.status).toMatchObject({ completed: true, failed: false, retryable: false });
  expect(task.history.map((h) => h.status)).toEqual(
    expect.arrayContaining([
      'Initializing Orchestration Task',
      `Resizing ${name} in ${REGION} from 1/1/1 to 2/3/4 (min/desired/max)`,
      `${name} has 3 of 3 instances in service`,
      'Orchestration completed.',
    ]),
  );
  expect(task.history.find((h) => h.status.startsWith('Resizing'))?.phase).toBe('RESIZE');
  expect(await capacityOf(name)).toEqual({ min: 2, max: 4, desired: 3, instances: 3 });

  // The UI's search attributes find it by application and server group.
  const desc = await env.client.workflow.getHandle(id).describe();
  expect(desc.type).toBe('resizeServerGroup');
  expect(desc.searchAttributes).toMatchObject({
    BosunApplication: [name.split('-')[0]],
    BosunServerGroup: [name],
    BosunRegion: [REGION],
    BosunTaskStatus: ['SUCCEEDED'],
  });
  expect(await desc.staticSummary()).toBe(`resize ${name} in ${REGION} to 2/3/4 (min/desired/max)`);
});

test('the single-operation form and the legacy key resize too, keeping fields the request leaves out', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'legacy', min: 1, max: 5, desired: 2 });
  const submit = await post(`${env.facadeUrl}/ops/resizeAsgDescription`, {
    credentials: ACCOUNT,
    asgName: name,
    regions: [REGION],
    capacity: { desired: 4 },
  });
  expect(submit.status).toBe(200);
  const task = await pollTask(env.facadeUrl, (submit.body as { id: string }).id);
  expect(task.status.failed).toBe(false);
  expect(await capacityOf(name)).toEqual({ min: 1, max: 5, desired: 4, instances: 4 });
});

test('a missing server group is a successful no-op, as in Clouddriver', async () => {
  const name = `${uniqueName('ghost')}-v001`;
  const { task } = await env.run(
    { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { min: 1, max: 1, desired: 1 } },
    { path: '/aws/ops/resizeServerGroup' },
  );
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.map((h) => h.status)).toContain(`Server group ${name} not found in ${REGION} (${ACCOUNT}); nothing to resize`);
});

test('a violated capacity constraint fails the task with an EXCEPTION that names both capacities, and changes nothing', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'guarded', suffix: '-v002', min: 2, max: 2, desired: 2 });
  const { task } = await env.run([
    {
      resizeServerGroup: {
        credentials: ACCOUNT,
        region: REGION,
        serverGroupName: name,
        capacity: { min: 0, max: 0, desired: 0 },
        constraints: { capacity: { min: 3, max: 3, desired: 3 } },
      },
    },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  const exception = task.resultObjects.find((r) => r.type === 'EXCEPTION');
  expect(exception).toMatchObject({
    type: 'EXCEPTION',
    operation: 'resizeServerGroup',
    cause: 'CapacityConstraintViolated',
    retryable: false,
  });
  expect(String(exception?.message)).toContain('expected its capacity to be 3/3/3 but it is 2/2/2');
  expect(task.history.at(-1)?.status).toMatch(/^Orchestration failed: resizeServerGroup \| CapacityConstraintViolated: \[/);
  expect(await capacityOf(name)).toEqual({ min: 2, max: 2, desired: 2, instances: 2 });
});

test('an account Bosun does not know fails the task without retrying', async () => {
  const { task } = await env.run(
    [{ resizeServerGroup: { credentials: 'nosuchaccount', region: REGION, serverGroupName: 'app-v001', capacity: { desired: 1 } } }],
    { headers: { 'x-spinnaker-accounts': 'nosuchaccount' } },
  );
  expect(task.status.failed).toBe(true);
  expect(task.resultObjects[0]).toMatchObject({ cause: 'UnknownAccount' });
  expect(String(task.resultObjects[0]?.message)).toContain("account 'nosuchaccount' is not configured");
});

test('the same clientRequestId returns the same task and runs it once', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'idem', min: 1, max: 3, desired: 1 });
  const body = [{ resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { desired: 2 } } }];
  const key = uniqueName('req-');
  const first = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, body);
  const second = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, body);
  expect((second.body as { id: string }).id).toBe((first.body as { id: string }).id);
  await pollTask(env.facadeUrl, (first.body as { id: string }).id);
  const third = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, body);
  expect((third.body as { id: string }).id).toBe((first.body as { id: string }).id);
  const runs = await env.client.workflow.count(`WorkflowId = '${(first.body as { id: string }).id}'`);
  expect(runs.count).toBe(1);
});
