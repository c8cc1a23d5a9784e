/**
 * destroyServerGroup end to end: posted to the facade over HTTP as Orca posts it, run by a real
 * worker against moto, and the result read back from moto. Every AWS command the activities
 * send is recorded, so "nothing was done twice" is checked on the wire, not inferred.
 */
import {
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import { mentions } from './faults';
import { ACCOUNT, REGION, uniqueName, useRecordedTestEnv } from './harness';
import { instanceStatesOf, launchInstances } from './support/instances';
import { badRequestErrors } from './support/orca-client';
import { asgsRef, makeServerGroup } from './support/server-group';

const { env, faults, recorder, clients } = useRecordedTestEnv();

const commandsFor = (command: string, marker: string) => recorder.count(command, marker);

const makeGroup = (prefix: string, desired = 2) => makeServerGroup(env, { prefix, min: 0, max: 4, desired });

/** A group whose template is named exactly like it, as Bosun's own deploys name them. */
function makeBosunStyleGroup(prefix: string) {
  const name = `${uniqueName(prefix)}-v001`;
  return makeServerGroup(env, { name, launchTemplateName: name, min: 0, max: 2, desired: 1 });
}

async function groupExists(name: string): Promise<boolean> {
  const out = await clients().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return (out.AutoScalingGroups ?? []).length > 0;
}

/** moto answers an unknown id with an empty list (AWS with InvalidLaunchTemplateId.NotFound). */
async function templateExists(id: string): Promise<boolean> {
  const out = await clients().ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] }));
  return (out.LaunchTemplates ?? []).length > 0;
}

const states = (ids: readonly string[]) => instanceStatesOf(clients(), ids);

/** An instance carrying the group's Auto Scaling tag but outside the group: what a destroy can leave behind. */
async function strayInstanceOf(groupName: string): Promise<string> {
  // AWS reserves `aws:` tags for itself; moto lets a test fake one.
  const [id] = await launchInstances(clients(), 1, [{ Key: 'aws:autoscaling:groupName', Value: groupName }]);
  return id!;
}

test('destroyServerGroup through the facade deletes the group, its launch template and its instances', async () => {
  const g = await makeGroup('destroy', 2);
  const { id, task } = await env.run([{ destroyServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);

  expect(task.status).toMatchObject({ completed: true, failed: false, retryable: false });
  expect(task.history.filter((h) => h.phase === 'DESTROY_ASG').map((h) => h.status)).toEqual([
    `Force deleting ${g.name} in ${REGION} and its 2 instance(s)`,
    `${g.name} in ${REGION} is deleted`,
    `Deleted launch template ${g.name}-lt (${g.launchTemplateId}) of ${g.name} in ${REGION}`,
    `Destroyed ${g.name} in ${REGION}`,
  ]);
  expect(task.history.at(-1)).toEqual({ phase: 'ORCHESTRATION', status: 'Orchestration completed.' });
  expect(await groupExists(g.name)).toBe(false);
  expect(await templateExists(g.launchTemplateId)).toBe(false);
  expect(await states(g.instanceIds)).toEqual(['terminated', 'terminated']);

  const desc = await env.client.workflow.getHandle(id).describe();
  expect(desc.type).toBe('destroyServerGroup');
  expect(desc.searchAttributes).toMatchObject({
    BosunServerGroup: [g.name],
    BosunTaskStatus: ['SUCCEEDED'],
    BosunPhase: ['ORCHESTRATION'],
  });
  expect(await desc.staticSummary()).toBe(`destroy ${g.name} in ${REGION}`);
});

test('the legacy key destroys every group listed in asgs, and terminates an instance a group left behind', async () => {
  const a = await makeGroup('legacya', 1);
  const b = await makeGroup('legacyb', 1);
  const stray = await strayInstanceOf(a.name);
  const { task } = await env.run(
    {
      ...asgsRef(a.name, b.name),
    },
    { path: '/ops/destroyAsgDescription' },
  );
  expect(task.status.failed).toBe(false);
  expect(task.history.map((h) => h.status)).toContain(`Terminating 1 instance(s) ${a.name} left behind in ${REGION}: ${stray}`);
  expect(await groupExists(a.name)).toBe(false);
  expect(await groupExists(b.name)).toBe(false);
  expect(await states([stray, ...a.instanceIds, ...b.instanceIds])).toEqual(['terminated', 'terminated', 'terminated']);
});

test('a launch template named after another group is shared, so it is kept and the history says why', async () => {
  const owner = await makeGroup('owner', 0);
  const name = `${uniqueName('borrower')}-v001`;
  await clients().autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateId: owner.launchTemplateId, Version: '$Latest' },
      MinSize: 0,
      MaxSize: 1,
      DesiredCapacity: 1,
      VPCZoneIdentifier: owner.subnet,
    }),
  );
  const { task } = await env.run([{ destroyServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name } }]);
  expect(task.status.failed).toBe(false);
  expect(task.history.map((h) => h.status)).toContain(
    `Kept launch template ${owner.name}-lt (${owner.launchTemplateId}) in ${REGION}: its name does not start with ${name}, so other server groups may use it`,
  );
  expect(await groupExists(name)).toBe(false);
  expect(await templateExists(owner.launchTemplateId)).toBe(true);
  expect(commandsFor('DeleteLaunchTemplateCommand', owner.launchTemplateId)).toBe(0);
});

test('a missing server group is a successful no-op with a history line', async () => {
  const name = `${uniqueName('ghost')}-v001`;
  const { task } = await env.run([{ destroyServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name } }]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === 'DESTROY_ASG').map((h) => h.status)).toEqual([
    `Server group ${name} not found in ${REGION} (${ACCOUNT}); nothing to destroy`,
  ]);
  expect(commandsFor('DeleteAutoScalingGroupCommand', name)).toBe(0);
});

test('answers lost after the delete and after the template delete: each runs again and nothing is deleted twice', async () => {
  const g = await makeGroup('lostdel', 2);
  faults.loseAnswer('forceDeleteServerGroup', mentions(g.name)).loseAnswer('deleteServerGroupLaunchTemplate', mentions(g.name));
  const { task } = await env.run([{ destroyServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);

  expect(task.status.failed).toBe(false);
  expect(faults.calls('forceDeleteServerGroup', mentions(g.name))).toBe(2);
  expect(faults.calls('deleteServerGroupLaunchTemplate', mentions(g.name))).toBe(2);
  expect(commandsFor('DeleteAutoScalingGroupCommand', g.name)).toBe(1);
  expect(commandsFor('DeleteLaunchTemplateCommand', g.launchTemplateId)).toBe(1);
  // The retry found the template gone; the history says so rather than claiming a second delete.
  expect(task.history.map((h) => h.status)).toContain(
    `Launch template ${g.name}-lt (${g.launchTemplateId}) of ${g.name} is already gone from ${REGION}`,
  );
  expect(await groupExists(g.name)).toBe(false);
  expect(await templateExists(g.launchTemplateId)).toBe(false);
  expect(await states(g.instanceIds)).toEqual(['terminated', 'terminated']);
});

test('a failure after the delete is a failed task with an EXCEPTION, and running the destroy again finishes the cleanup', async () => {
  const g = await makeBosunStyleGroup('halfdone');
  faults.fail('waitForServerGroupDeleted', mentions(g.name));
  const first = await env.run([{ destroyServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);
  expect(first.task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(first.task.resultObjects[0]).toMatchObject({
    type: 'EXCEPTION',
    operation: 'destroyServerGroup',
    cause: 'InjectedFailure',
    message: 'injected failure in waitForServerGroupDeleted',
    retryable: false,
  });
  expect(first.task.history.at(-1)?.status).toMatch(/^Orchestration failed: destroyServerGroup \| InjectedFailure: \[/);
  expect(await templateExists(g.launchTemplateId)).toBe(true);

  const second = await env.run([{ destroyServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);
  expect(second.task.status.failed).toBe(false);
  expect(second.task.history.filter((h) => h.phase === 'DESTROY_ASG').map((h) => h.status)).toEqual([
    `Server group ${g.name} not found in ${REGION} (${ACCOUNT}); nothing to destroy`,
    `Deleted launch template ${g.name} (${g.launchTemplateId}) of ${g.name} in ${REGION}`,
  ]);
  expect(await templateExists(g.launchTemplateId)).toBe(false);
});

test('a description without a group or account is a 400 naming both fields', async () => {
  const errors = await badRequestErrors(`${env.facadeUrl}/aws/ops`, [{ destroyServerGroup: { region: REGION } }]);
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].destroyServerGroup.credentials: is required (the account name)',
      expect.stringMatching(/^\[0\]\.destroyServerGroup\.serverGroupName: is required/),
    ]),
  );
});

test('a group built from a launch configuration is destroyed with its launch configuration, once the group is gone', async () => {
  const g = await makeServerGroup(env, { prefix: 'deslc', min: 0, max: 2, desired: 1, launchConfiguration: {} });
  const lc = g.launchConfigurationName!;

  const { task } = await env.run([{ destroyServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === 'DESTROY_ASG').map((h) => h.status)).toEqual([
    `Force deleting ${g.name} in ${REGION} and its 1 instance(s)`,
    `${g.name} in ${REGION} is deleted`,
    `Deleted launch configuration ${lc} of ${g.name} in ${REGION}`,
    `Destroyed ${g.name} in ${REGION}`,
  ]);
  expect(await groupExists(g.name)).toBe(false);
  const left = await clients().autoScaling.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [lc] }));
  expect(left.LaunchConfigurations ?? []).toEqual([]);
  expect(await states(g.instanceIds)).toEqual(['terminated']);
  // After the group: AWS refuses to delete a launch configuration a group still runs.
  const order = recorder.sent
    .filter((c) => JSON.stringify(c.input).includes(g.name))
    .map((c) => c.command)
    .filter((c) => c === 'DeleteAutoScalingGroupCommand' || c === 'DeleteLaunchConfigurationCommand');
  expect(order).toEqual(['DeleteAutoScalingGroupCommand', 'DeleteLaunchConfigurationCommand']);
});
