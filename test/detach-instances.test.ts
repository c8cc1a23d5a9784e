/**
 * detachInstances (legacy detachInstancesDescription) end to end: posted to the facade over HTTP,
 * run by a real worker on the real Temporal dev server, the group and the instances read back
 * from moto (which emulates DetachInstances, CreateTags and TerminateInstances).
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { instanceStatesOf } from './support/instances';
import { makeServerGroup } from './support/server-group';

const { env, faults, clients, runAsOrca } = useOrcaTestEnv();

async function groupOf(name: string): Promise<{ min: number; desired: number; instanceIds: string[] }> {
  const g = (await clients().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
    .AutoScalingGroups![0]!;
  return { min: g.MinSize!, desired: g.DesiredCapacity!, instanceIds: (g.Instances ?? []).map((i) => i.InstanceId!) };
}

async function tagsOf(instanceId: string): Promise<Record<string, string>> {
  const out = await clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return Object.fromEntries((out.Reservations![0]!.Instances![0]!.Tags ?? []).map((t) => [t.Key!, t.Value!]));
}

/** One `key` (detachInstances unless told) of instances of group `asgName`, in the test account and region, with `fields`. */
const detach = (asgName: string, fields: Record<string, unknown>, key = 'detachInstances') => [
  { [key]: { credentials: ACCOUNT, region: REGION, asgName, ...fields } },
];

test("detachInstances takes the instance out, tagged, with Clouddriver's history lines; a re-post runs nothing again", async () => {
  const { name, instanceIds } = await makeServerGroup(env, { prefix: 'det', min: 0, max: 3, desired: 2 });
  const [leaving, staying] = instanceIds as [string, string];
  const body = detach(name, { instanceIds: [leaving], decrementDesiredCapacity: true, cloudProvider: 'aws' });
  const { id, task, repost } = await runAsOrca(body);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === 'DETACH_INSTANCES')).toEqual([
    { phase: 'DETACH_INSTANCES', status: `Tagging instances (${leaving}).` },
    { phase: 'DETACH_INSTANCES', status: `Tagged instances (${leaving}).` },
    { phase: 'DETACH_INSTANCES', status: `Detaching instances (${leaving}) from ASG (${name}).` },
    { phase: 'DETACH_INSTANCES', status: `Detached instances (${leaving}) from ASG (${name}).` },
  ]);
  expect(await groupOf(name)).toEqual({ min: 0, desired: 1, instanceIds: [staying] });
  expect(await tagsOf(leaving)).toMatchObject({ 'spinnaker:Detached': name });
  expect(await instanceStatesOf(clients(), [leaving])).toEqual(['running']);
  expect((await env.client.workflow.getHandle(id).describe()).type).toBe('detachInstances');

  expect(await repost()).toBe(id);
  expect(faults.calls('detachInstancesFromServerGroup', mentions(name))).toBe(1);
});

test('the legacy key lowers the min when asked, terminates the detached instance, and a lost answer does not decrement twice', async () => {
  const { name, instanceIds } = await makeServerGroup(env, { prefix: 'detl', min: 2, max: 3, desired: 2 });
  const [leaving, staying] = instanceIds as [string, string];
  faults.loseAnswer('detachInstancesFromServerGroup', mentions(name));
  const { task } = await env.run(
    detach(
      name,
      {
        instanceIds: [leaving, 'i-0123456789abcdef0'],
        decrementDesiredCapacity: true,
        adjustMinIfNecessary: true,
        terminateDetachedInstances: true,
      },
      'detachInstancesDescription',
    ),
  );
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('detachInstancesFromServerGroup', mentions(name))).toBe(2);
  expect(await groupOf(name)).toEqual({ min: 1, desired: 1, instanceIds: [staying] });
  const tags = await tagsOf(leaving);
  expect(tags['spinnaker:Detached']).toBe(name);
  expect(Number(tags['spinnaker:PendingTermination'])).toBeGreaterThan(0);
  expect(await instanceStatesOf(clients(), [leaving])).toEqual([expect.stringMatching(/^(shutting-down|terminated)$/)]);
  expect(task.history).toEqual(
    expect.arrayContaining([
      { phase: 'DETACH_INSTANCES', status: `Terminating instances (${leaving}).` },
      { phase: 'DETACH_INSTANCES', status: `Terminated instances (${leaving}).` },
    ]),
  );
});

test('decrementing below the min without adjustMinIfNecessary fails and detaches nothing', async () => {
  const { name, instanceIds } = await makeServerGroup(env, { prefix: 'detm', min: 2, max: 3, desired: 2 });
  const { task } = await env.run(detach(name, { instanceIds: [instanceIds[0]], decrementDesiredCapacity: true }));
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(task.history).toEqual(
    expect.arrayContaining([
      {
        phase: 'DETACH_INSTANCES',
        status: 'Cannot decrement ASG below minSize - set adjustMinIfNecessary to resize down minSize before detaching instances',
      },
    ]),
  );
  expect(JSON.stringify(task)).toContain('Invalid ASG capacity for detachInstances (min: 2, max: 3, desired: 2)');
  expect((await groupOf(name)).instanceIds).toHaveLength(2);
  expect(faults.calls('tagEc2Instances', mentions(name))).toBe(0);
});

test('a detach that fails leaves no detached tags on the instances it did not detach', async () => {
  const { name, instanceIds } = await makeServerGroup(env, { prefix: 'detf', min: 0, max: 2, desired: 2 });
  const leaving = instanceIds[0]!;
  faults.fail('detachInstancesFromServerGroup', mentions(name));
  const { task } = await env.run(
    detach(name, { instanceIds: [leaving], decrementDesiredCapacity: true, terminateDetachedInstances: true }),
  );
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect((await groupOf(name)).instanceIds).toContain(leaving);
  const tags = await tagsOf(leaving);
  expect(tags['spinnaker:Detached']).toBeUndefined();
  expect(tags['spinnaker:PendingTermination']).toBeUndefined();
  expect(task.history).toEqual(
    expect.arrayContaining([expect.objectContaining({ status: `Removed the detached tags from instances (${leaving}).` })]),
  );
  expect(await instanceStatesOf(clients(), [leaving])).toEqual(['running']);
});

test('a group that does not exist is nothing to do, as in Clouddriver', async () => {
  const { task } = await env.run(detach(uniqueName('gone-') + '-v001', { instanceIds: ['i-0123456789abcdef0'] }));
  expect(task.status).toMatchObject({ completed: true, failed: false });
});

test('bad input is a 400 that names the field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [{ detachInstances: { credentials: ACCOUNT, region: REGION, instanceIds: ['not-an-id'], decrementDesiredCapacity: 'maybe' } }],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].detachInstances.asgName: is required',
      expect.stringMatching(/^\[0\]\.detachInstances\.instanceIds\.0: /),
      expect.stringMatching(/^\[0\]\.detachInstances\.decrementDesiredCapacity: /),
    ]),
  );
});
