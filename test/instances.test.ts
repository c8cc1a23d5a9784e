/**
 * terminateInstances, rebootInstances and terminateInstanceAndDecrementServerGroup end to end:
 * posted to the facade over HTTP, run by a real worker against moto, the result read back from
 * moto. Every AWS command the activities send is recorded, so "done once" is checked on the wire.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { mentions } from './faults';
import { ACCOUNT, REGION, uniqueName, useRecordedTestEnv } from './harness';
import { instanceStatesOf, launchInstances } from './support/instances';
import type { TaskJson } from './support/orca-client';
import { badRequestErrors, post } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

const { env, faults, recorder, clients } = useRecordedTestEnv();

const commandsFor = (command: string, marker: string) => recorder.count(command, marker);

/** A well-formed id no instance has. */
const unknownId = () => `i-${randomBytes(9).toString('hex').slice(0, 17)}`;

const launch = (count: number) => launchInstances(clients(), count);
const states = (ids: readonly string[]) => instanceStatesOf(clients(), ids);
const makeGroup = (prefix: string, capacity: { min: number; desired: number; max: number }) =>
  makeServerGroup(env, { prefix, ...capacity });

async function groupState(name: string) {
  const g = (await clients().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
    .AutoScalingGroups?.[0];
  return g && { min: g.MinSize, desired: g.DesiredCapacity, max: g.MaxSize, instanceIds: g.Instances!.map((i) => i.InstanceId!) };
}

const lines = (task: TaskJson, phase: string) => task.history.filter((h) => h.phase === phase).map((h) => h.status);

describe('terminateInstances', () => {
  test('terminates the running instances and names the unknown and already terminated ones', async () => {
    const [a, b, done] = (await launch(3)) as [string, string, string];
    await clients().ec2.send(new TerminateInstancesCommand({ InstanceIds: [done] }));
    const ghost = unknownId();
    const { id, task } = await env.run([
      { terminateInstances: { credentials: ACCOUNT, region: REGION, instanceIds: [a, b, done, ghost] } },
    ]);

    expect(task.status).toMatchObject({ completed: true, failed: false, retryable: false });
    expect(lines(task, 'TERMINATE_INSTANCES')).toEqual([
      `Skipping 1 instance(s) unknown in ${REGION} (${ACCOUNT}): ${ghost}`,
      `Skipping 1 instance(s) already terminated in ${REGION}: ${done}`,
      `Terminating 2 instance(s) in ${REGION}: ${a}, ${b}`,
      `Terminated 2 instance(s) in ${REGION}: ${a}, ${b}`,
    ]);
    expect(await states([a, b, done])).toEqual(['terminated', 'terminated', 'terminated']);
    expect(commandsFor('TerminateInstancesCommand', a)).toBe(1);
    expect(commandsFor('TerminateInstancesCommand', ghost)).toBe(0);
    const desc = await env.client.workflow.getHandle(id).describe();
    expect(desc.type).toBe('terminateInstances');
    expect(desc.searchAttributes).toMatchObject({ BosunAccount: [ACCOUNT], BosunRegion: [REGION], BosunTaskStatus: ['SUCCEEDED'] });
  });

  test('under the legacy key, an attempt whose answer was lost runs again and terminates nothing twice', async () => {
    const [a, b] = (await launch(2)) as [string, string];
    faults.loseAnswer('terminateEc2Instances', mentions(a));
    const { task } = await env.run(
      { credentials: ACCOUNT, region: REGION, instanceIds: [a, b] },
      { path: '/ops/terminateInstancesDescription' },
    );
    expect(task.status.failed).toBe(false);
    expect(faults.calls('terminateEc2Instances', mentions(a))).toBe(2);
    expect(commandsFor('TerminateInstancesCommand', a)).toBe(1);
    expect(await states([a, b])).toEqual(['terminated', 'terminated']);
  });

  test('only unknown ids: a successful task that terminates nothing', async () => {
    const ghost = unknownId();
    const { task } = await env.run([{ terminateInstances: { credentials: ACCOUNT, region: REGION, instanceIds: [ghost] } }]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect(lines(task, 'TERMINATE_INSTANCES')).toContain(`None of the 1 instance(s) is running in ${REGION}; nothing to terminate`);
    expect(commandsFor('TerminateInstancesCommand', ghost)).toBe(0);
  });

  test('malformed ids and a missing region are a 400 naming each field', async () => {
    const errors = await badRequestErrors(`${env.facadeUrl}/aws/ops`, [
      { terminateInstances: { credentials: ACCOUNT, instanceIds: ['i-0123456789abcdef0', 'web-1'] } },
    ]);
    expect(errors).toEqual(
      expect.arrayContaining([
        '[0].terminateInstances.instanceIds.1: must be an EC2 instance id such as i-0123456789abcdef0',
        '[0].terminateInstances.region: must be an AWS region name (a string)',
      ]),
    );
    const empty = await post(`${env.facadeUrl}/aws/ops/terminateInstances`, { credentials: ACCOUNT, region: REGION, instanceIds: [] });
    expect((empty.body as { errors: string[] }).errors).toEqual(['instanceIds: must name at least one instance']);
  });
});

describe('rebootInstances', () => {
  test('reboots running instances once and reports a completed task', async () => {
    const [a, b] = (await launch(2)) as [string, string];
    const { task } = await env.run([{ rebootInstances: { credentials: ACCOUNT, region: REGION, instanceIds: [a, b] } }]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect(lines(task, 'REBOOT_INSTANCES')).toEqual([
      `Rebooting 2 instance(s) in ${REGION}: ${a}, ${b}`,
      `Rebooted 2 instance(s) in ${REGION}: ${a}, ${b}`,
    ]);
    expect(commandsFor('RebootInstancesCommand', a)).toBe(1);
    expect(await states([a, b])).toEqual(['running', 'running']);
  });

  test('an unknown or terminated id fails the task with an EXCEPTION naming it, and nothing is rebooted', async () => {
    const [a, done] = (await launch(2)) as [string, string];
    await clients().ec2.send(new TerminateInstancesCommand({ InstanceIds: [done] }));
    const ghost = unknownId();

    const unknown = await env.run(
      { credentials: ACCOUNT, region: REGION, instanceIds: [a, ghost] },
      { path: '/ops/rebootInstancesDescription' },
    );
    expect(unknown.task.status).toMatchObject({ completed: true, failed: true, retryable: false });
    expect(unknown.task.resultObjects[0]).toMatchObject({
      type: 'EXCEPTION',
      operation: 'rebootInstances',
      cause: 'InstancesNotFound',
      message: `refusing to reboot: 1 of 2 instance(s) do not exist in ${REGION} (${ACCOUNT}): ${ghost}; nothing was rebooted`,
    });
    expect(unknown.task.history.at(-1)?.status).toMatch(/^Orchestration failed: rebootInstances \| InstancesNotFound: \[/);

    // The emulator would bring a terminated instance back to running; AWS refuses. Bosun refuses first.
    const terminated = await env.run([{ rebootInstances: { credentials: ACCOUNT, region: REGION, instanceIds: [a, done] } }]);
    expect(terminated.task.resultObjects[0]).toMatchObject({
      cause: 'InstancesNotRunning',
      message: expect.stringContaining(`${done} (terminated)`),
    });
    expect(commandsFor('RebootInstancesCommand', a)).toBe(0);
    expect(await states([a, done])).toEqual(['running', 'terminated']);
  });

  test('a reboot whose answer was lost is sent again: EC2 keeps no trace of a reboot, so it is at least once', async () => {
    const [a] = (await launch(1)) as [string];
    faults.loseAnswer('rebootEc2Instances', mentions(a));
    const { task } = await env.run([{ rebootInstances: { credentials: ACCOUNT, region: REGION, instanceIds: [a] } }]);
    expect(task.status.failed).toBe(false);
    expect(faults.calls('rebootEc2Instances', mentions(a))).toBe(2);
    expect(commandsFor('RebootInstancesCommand', a)).toBe(2);
    expect(await states([a])).toEqual(['running']);
  });
});

describe('terminateInstanceAndDecrementServerGroup', () => {
  const op = (name: string, instance: string, extra: object = {}) => [
    { terminateInstanceAndDecrementServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, instance, ...extra } },
  ];

  test('terminates the instance and decrements desired capacity by one', async () => {
    const g = await makeGroup('decr', { min: 1, desired: 3, max: 4 });
    const victim = g.instanceIds[0]!;
    const { id, task } = await env.run(op(g.name, victim));

    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect(lines(task, 'TERMINATE_INSTANCES')).toEqual([
      `Terminating ${victim} in ${g.name} in ${REGION} and decrementing its capacity from 1/3/4 to 1/2/4 (min/desired/max)`,
      `Terminated ${victim} in ${g.name} in ${REGION}`,
    ]);
    const after = await groupState(g.name);
    expect(after).toMatchObject({ min: 1, desired: 2, max: 4 });
    expect(after!.instanceIds).not.toContain(victim);
    expect(await states([victim])).toEqual(['terminated']);
    expect(
      recorder.sent
        .filter((s) => s.command === 'TerminateInstanceInAutoScalingGroupCommand' && JSON.stringify(s.input).includes(victim))
        .map((s) => s.input),
    ).toEqual([{ InstanceId: victim, ShouldDecrementDesiredCapacity: true }]);
    const desc = await env.client.workflow.getHandle(id).describe();
    expect(desc.type).toBe('terminateInstanceAndDecrementServerGroup');
    expect(desc.searchAttributes).toMatchObject({ BosunServerGroup: [g.name] });
  });

  test('a lost answer never decrements twice, and neither does posting the same request again', async () => {
    const g = await makeGroup('lostdecr', { min: 1, desired: 3, max: 4 });
    const victim = g.instanceIds[0]!;
    faults.loseAnswer('terminateInstanceInServerGroup', mentions(victim));
    const first = await env.run(op(g.name, victim));
    expect(first.task.status.failed).toBe(false);
    expect(faults.calls('terminateInstanceInServerGroup', mentions(victim))).toBe(2);
    expect(commandsFor('TerminateInstanceInAutoScalingGroupCommand', victim)).toBe(1);
    expect(lines(first.task, 'TERMINATE_INSTANCES')).toContain(
      `${victim} is no longer in ${g.name} by the time Bosun called AWS (an earlier attempt terminated it); desired capacity not decremented again`,
    );
    expect(await groupState(g.name)).toMatchObject({ desired: 2 });

    // Orca retrying the whole stage, under the legacy key: the instance is gone, so nothing happens.
    const again = await env.run(
      { credentials: ACCOUNT, region: REGION, asgName: g.name, instance: victim },
      { path: '/ops/terminateInstanceAndDecrementAsgDescription' },
    );
    expect(again.task.status.failed).toBe(false);
    expect(lines(again.task, 'TERMINATE_INSTANCES')).toEqual([
      `${victim} is no longer in ${g.name} in ${REGION}; its capacity stays 1/2/4 (min/desired/max), nothing to decrement`,
    ]);
    expect(commandsFor('TerminateInstanceInAutoScalingGroupCommand', victim)).toBe(1);
    expect(await groupState(g.name)).toMatchObject({ min: 1, desired: 2, max: 4 });
  });

  test('at the minimum it fails naming desired and min, and changes nothing', async () => {
    const g = await makeGroup('atmin', { min: 2, desired: 2, max: 4 });
    const victim = g.instanceIds[0]!;
    const { task } = await env.run(op(g.name, victim));
    expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
    expect(task.resultObjects[0]).toMatchObject({
      type: 'EXCEPTION',
      operation: 'terminateInstanceAndDecrementServerGroup',
      cause: 'CapacityBelowMinimum',
      message:
        `refusing to terminate ${victim} in ${g.name} in ${REGION}: desired capacity 2 would drop to 1, below the minimum of 2 ` +
        '(set adjustMinIfNecessary to lower the minimum to 1)',
    });
    expect(commandsFor('TerminateInstanceInAutoScalingGroupCommand', victim)).toBe(0);
    expect(await groupState(g.name)).toMatchObject({ min: 2, desired: 2, max: 4, instanceIds: g.instanceIds });
  });

  test('adjustMinIfNecessary lowers min first, and setMaxToNewDesired pins max to the new desired', async () => {
    const g = await makeGroup('adjust', { min: 2, desired: 2, max: 4 });
    const victim = g.instanceIds[1]!;
    const { task } = await env.run(op(g.name, victim, { adjustMinIfNecessary: true, setMaxToNewDesired: true }));
    expect(task.status.failed).toBe(false);
    expect(lines(task, 'TERMINATE_INSTANCES')).toEqual([
      `Lowering the minimum of ${g.name} in ${REGION} from 2 to 1 so its desired capacity can drop to 1`,
      `Terminating ${victim} in ${g.name} in ${REGION} and decrementing its capacity from 2/2/4 to 1/1/4 (min/desired/max)`,
      `Lowering the maximum of ${g.name} in ${REGION} from 4 to the new desired capacity 1`,
      `Terminated ${victim} in ${g.name} in ${REGION}`,
    ]);
    expect(await groupState(g.name)).toMatchObject({ min: 1, desired: 1, max: 1, instanceIds: [g.instanceIds[0]] });
  });

  test('when the termination fails after min was lowered, the minimum is put back', async () => {
    const g = await makeGroup('restore', { min: 2, desired: 2, max: 4 });
    const victim = g.instanceIds[0]!;
    faults.fail('terminateInstanceInServerGroup', mentions(victim));
    const { task } = await env.run(op(g.name, victim, { adjustMinIfNecessary: true }));
    expect(task.status).toMatchObject({ completed: true, failed: true });
    expect(task.resultObjects[0]).toMatchObject({ cause: 'InjectedFailure' });
    expect(task.history.map((h) => h.status)).toContain(`Rolling back: restore the minimum of ${g.name} in ${REGION} to 2`);
    expect(await groupState(g.name)).toMatchObject({ min: 2, desired: 2, max: 4, instanceIds: g.instanceIds });
  });

  test('a missing server group fails the task, naming the group and the instance', async () => {
    const name = `${uniqueName('nogroup')}-v001`;
    const victim = unknownId();
    const { task } = await env.run(op(name, victim));
    expect(task.status.failed).toBe(true);
    expect(task.resultObjects[0]).toMatchObject({
      cause: 'ServerGroupNotFound',
      message: `cannot terminate ${victim}: server group ${name} not found in ${REGION} (${ACCOUNT})`,
    });
  });

  test('a description without the instance or the group is a 400 naming both', async () => {
    const errors = await badRequestErrors(`${env.facadeUrl}/aws/ops/terminateInstanceAndDecrementServerGroup`, {
      credentials: ACCOUNT,
      region: REGION,
      adjustMinIfNecessary: 'yes',
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        'instance: must be an EC2 instance id (a string)',
        'adjustMinIfNecessary: must be true or false',
        'serverGroupName: is required: the group the instance belongs to (or asgName)',
      ]),
    );
  });
});
