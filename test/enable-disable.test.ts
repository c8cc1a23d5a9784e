/**
 * enableServerGroup and disableServerGroup end to end: posted to the facade over HTTP as Orca
 * posts them, run by a real worker on the real Temporal dev server, with the real AWS SDK
 * against moto; the result is read back from moto's Auto Scaling, ELBv2 and classic ELB APIs.
 */
import {
  AttachLoadBalancersCommand,
  AttachLoadBalancerTargetGroupsCommand,
  DescribeAutoScalingGroupsCommand,
  SuspendProcessesCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceHealthCommand, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Activities } from '../activities';
import { mentions, timesEach } from './faults';
import { ACCOUNT, AS_ORCA, REGION, testAwsClients, uniqueName, useOrcaTestEnv } from './harness';
import type { TaskJson } from './support/orca-client';
import { badRequestErrors } from './support/orca-client';
import { makeServerGroup, suspendedProcessesOf } from './support/server-group';
import { createClassicLoadBalancer } from './support/target-groups';

const { env, faults } = useOrcaTestEnv();

const TRAFFIC = ['AddToLoadBalancer', 'Launch', 'Terminate'];

interface Fixture {
  readonly name: string;
  readonly instanceIds: string[];
  readonly targetGroupArns: string[];
  readonly loadBalancerName: string | undefined;
}

/**
 * A group of `desired` instances behind `targetGroups` VPC target groups and, optionally, one
 * classic ELB; `disabled` leaves it as a disable would (processes suspended, nothing registered).
 *
 * moto quirk: instances it registers with a classic ELB on the group's behalf cannot be
 * deregistered through the API (it keeps them in a separate list). So the ELB is attached while
 * it does not exist yet (moto then registers nothing) and the instances are registered through
 * the API, as a previous enable would have done.
 */
async function makeGroup(
  prefix: string,
  opts: { desired: number; targetGroups: number; classic: boolean; disabled: boolean; launchConfiguration?: boolean; max?: number },
): Promise<Fixture> {
  const aws = testAwsClients(env.aws);
  const { name } = await makeServerGroup(env, {
    prefix,
    suffix: '-main-v001',
    min: 0,
    max: opts.max ?? 5,
    desired: opts.desired,
    ...(opts.launchConfiguration ? { launchConfiguration: {} } : {}),
  });
  const vpcs = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  const targetGroupArns: string[] = [];
  for (let i = 0; i < opts.targetGroups; i++) {
    const tg = await aws.elbv2.send(
      new CreateTargetGroupCommand({
        Name: uniqueName('tg'),
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: vpcs.Vpcs?.[0]?.VpcId,
        TargetType: 'instance',
      }),
    );
    targetGroupArns.push(tg.TargetGroups![0]!.TargetGroupArn!);
  }
  if (targetGroupArns.length > 0) {
    await aws.autoScaling.send(new AttachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: name, TargetGroupARNs: targetGroupArns }));
  }
  const instanceIds = await instancesOf(name);
  let loadBalancerName: string | undefined;
  if (opts.classic) {
    loadBalancerName = uniqueName('clb');
    await aws.autoScaling.send(new AttachLoadBalancersCommand({ AutoScalingGroupName: name, LoadBalancerNames: [loadBalancerName] }));
    await createClassicLoadBalancer(aws, loadBalancerName);
    if (!opts.disabled) {
      await aws.elb.send(
        new RegisterInstancesWithLoadBalancerCommand({
          LoadBalancerName: loadBalancerName,
          Instances: instanceIds.map((InstanceId) => ({ InstanceId })),
        }),
      );
    }
  }
  if (opts.disabled) {
    for (const arn of targetGroupArns) {
      await aws.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: instanceIds.map((Id) => ({ Id })) }));
    }
    await aws.autoScaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: TRAFFIC }));
  }
  return { name, instanceIds, targetGroupArns, loadBalancerName };
}

async function instancesOf(name: string): Promise<string[]> {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return (out.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId!).sort();
}

const suspendedProcesses = (name: string) => suspendedProcessesOf(testAwsClients(env.aws), name);

/** Registered instance ids of a target group, sorted, repeats kept (a repeat would be a bug). */
async function targetsOf(arn: string): Promise<string[]> {
  const out = await testAwsClients(env.aws).elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return (out.TargetHealthDescriptions ?? []).map((d) => d.Target!.Id!).sort();
}

/** Registered instance ids of a classic ELB, sorted, repeats kept (moto repeats an instance registered twice). */
async function classicInstancesOf(name: string): Promise<string[]> {
  const out = await testAwsClients(env.aws).elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name }));
  return (out.InstanceStates ?? []).map((s) => s.InstanceId!).sort();
}

const statuses = (task: { history: { status: string }[] }) => task.history.map((h) => h.status);

test('disableServerGroup suspends Launch, Terminate, AddToLoadBalancer and takes every instance out of its target groups and classic ELB', async () => {
  const g = await makeGroup('dis', { desired: 3, targetGroups: 2, classic: true, disabled: false });
  expect(await targetsOf(g.targetGroupArns[0]!)).toEqual(g.instanceIds);
  expect(await classicInstancesOf(g.loadBalancerName!)).toEqual(g.instanceIds);

  const { id, task } = await env.run([{ disableServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);

  expect(task.status).toMatchObject({ completed: true, failed: false, retryable: false });
  expect(statuses(task)).toEqual([
    'Initializing Orchestration Task',
    'Processing op: disableServerGroup',
    `Disabling ${g.name} in ${REGION}: suspending Launch, Terminate, AddToLoadBalancer`,
    `Deregistering 3 instances of ${g.name} in ${REGION} from 2 target groups`,
    `Deregistering 3 instances of ${g.name} in ${REGION} from 1 classic load balancer`,
    `Disabled ${g.name} in ${REGION}`,
    'Orchestration completed.',
  ]);
  expect(task.history.filter((h) => h.phase === 'DISABLE_ASG')).toHaveLength(4);
  expect(await suspendedProcesses(g.name)).toEqual(TRAFFIC);
  for (const arn of g.targetGroupArns) expect(await targetsOf(arn)).toEqual([]);
  expect(await classicInstancesOf(g.loadBalancerName!)).toEqual([]);
  // The instances keep running: disabling moves traffic, not capacity.
  expect(await instancesOf(g.name)).toEqual(g.instanceIds);

  const desc = await env.client.workflow.getHandle(id).describe();
  expect(desc.type).toBe('disableServerGroup');
  // Goes ahead of deploys in the task queues (domain/operations/catalog.ts taskPriorityOf).
  expect(desc.raw.workflowExecutionInfo?.priority?.priorityKey).toBe(2);
  expect(desc.searchAttributes).toMatchObject({ BosunServerGroup: [g.name], BosunTaskStatus: ['SUCCEEDED'] });
  expect(await desc.staticSummary()).toBe(`disable ${g.name} in ${REGION}`);
});

test('enableServerGroup (legacy key, single-operation form) registers the instances, then resumes only the traffic processes', async () => {
  const g = await makeGroup('ena', { desired: 2, targetGroups: 1, classic: true, disabled: true });
  await testAwsClients(env.aws).autoScaling.send(
    new SuspendProcessesCommand({ AutoScalingGroupName: g.name, ScalingProcesses: ['AZRebalance'] }),
  );

  const { task } = await env.run({ credentials: ACCOUNT, asgName: g.name, regions: [REGION] }, { path: '/ops/enableAsgDescription' });

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(statuses(task)).toEqual(
    expect.arrayContaining([
      `Enabling ${g.name} in ${REGION}`,
      `Registering 2 instances of ${g.name} in ${REGION} with 1 target group`,
      `Registering 2 instances of ${g.name} in ${REGION} with 1 classic load balancer`,
      `Resuming Launch, Terminate, AddToLoadBalancer of ${g.name} in ${REGION}`,
      `Enabled ${g.name} in ${REGION}`,
    ]),
  );
  expect(task.history.find((h) => h.status.startsWith('Registering'))?.phase).toBe('ENABLE_ASG');
  expect(await targetsOf(g.targetGroupArns[0]!)).toEqual(g.instanceIds);
  expect(await classicInstancesOf(g.loadBalancerName!)).toEqual(g.instanceIds);
  expect(await suspendedProcesses(g.name)).toEqual(['AZRebalance']);
});

/** Runs `op` on the group with the first answer of each of `lost` lost: the task succeeds, each of them having run twice. */
async function runLosingAnswers(op: string, name: string, lost: readonly (keyof Activities)[]): Promise<TaskJson> {
  faults.loseAnswers(lost, mentions(name));
  const { task } = await env.run([{ [op]: { credentials: ACCOUNT, region: REGION, serverGroupName: name } }]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.callsOf(lost, mentions(name))).toEqual(timesEach(lost, 2));
  return task;
}

test('a disable whose answers were lost runs each step again, ends in the same state and changes nothing twice', async () => {
  const g = await makeGroup('dislost', { desired: 2, targetGroups: 1, classic: true, disabled: false });
  const task = await runLosingAnswers('disableAsgDescription', g.name, [
    'suspendProcesses',
    'deregisterInstancesFromTargetGroups',
    'deregisterInstancesFromClassicLoadBalancers',
  ]);
  expect(await suspendedProcesses(g.name)).toEqual(TRAFFIC);
  expect(await targetsOf(g.targetGroupArns[0]!)).toEqual([]);
  expect(await classicInstancesOf(g.loadBalancerName!)).toEqual([]);
  // Retries are Temporal's, not the task's: each step reads once in the history.
  expect(statuses(task).filter((s) => s.startsWith('Deregistering'))).toHaveLength(2);
});

test('an enable whose answers were lost registers each instance once (moto would list a classic instance registered twice, twice)', async () => {
  const g = await makeGroup('enalost', { desired: 3, targetGroups: 2, classic: true, disabled: true });
  await runLosingAnswers('enableServerGroup', g.name, [
    'registerInstancesWithTargetGroups',
    'registerInstancesWithClassicLoadBalancers',
    'resumeProcesses',
  ]);
  for (const arn of g.targetGroupArns) expect(await targetsOf(arn)).toEqual(g.instanceIds);
  expect(await classicInstancesOf(g.loadBalancerName!)).toEqual(g.instanceIds);
  expect(await suspendedProcesses(g.name)).toEqual([]);
});

test('a missing server group is a successful no-op for enable and for disable, as in Clouddriver', async () => {
  const name = `${uniqueName('ghost')}-v001`;
  const ref = { credentials: ACCOUNT, region: REGION, serverGroupName: name };
  const { task } = await env.run([{ disableServerGroup: ref }, { enableServerGroup: ref }]);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history).toEqual(
    expect.arrayContaining([
      { phase: 'DISABLE_ASG', status: `Server group ${name} not found in ${REGION} (${ACCOUNT}); nothing to disable` },
      { phase: 'ENABLE_ASG', status: `Server group ${name} not found in ${REGION} (${ACCOUNT}); nothing to enable` },
    ]),
  );
  expect(faults.calls('suspendProcesses', mentions(name))).toBe(0);
});

test('a target group deleted behind the group is skipped on disable, and named', async () => {
  const g = await makeGroup('disgone', { desired: 1, targetGroups: 2, classic: false, disabled: false });
  const [gone, kept] = g.targetGroupArns as [string, string];
  await testAwsClients(env.aws).elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: gone }));

  const { task } = await env.run([{ disableServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(statuses(task)).toContain(`Target group ${gone} of ${g.name} in ${REGION} no longer exists; skipped it`);
  expect(await targetsOf(kept)).toEqual([]);
});

test('an enable refuses a target group that no longer exists, before registering anything, and leaves the group disabled', async () => {
  const g = await makeGroup('enagone', { desired: 1, targetGroups: 2, classic: false, disabled: true });
  const [kept, gone] = g.targetGroupArns as [string, string];
  await testAwsClients(env.aws).elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: gone }));

  const { task } = await env.run([{ enableServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);

  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', operation: 'enableServerGroup', cause: 'LoadBalancerNotFound' });
  expect(task.resultObjects[0]?.message).toBe(
    `cannot register 1 instance of ${g.name} in ${REGION}: 1 target group of the group no longer exists: ${gone}`,
  );
  expect(await targetsOf(kept)).toEqual([]);
  expect(await suspendedProcesses(g.name)).toEqual(TRAFFIC);
});

test('a group with no load balancers is disabled by suspending its processes alone', async () => {
  const g = await makeGroup('dislone', { desired: 1, targetGroups: 0, classic: false, disabled: false });
  const { task } = await env.run([{ disableServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name } }]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(statuses(task)).toContain(`${g.name} in ${REGION} has no target groups or classic load balancers; no instances to deregister`);
  expect(await suspendedProcesses(g.name)).toEqual(TRAFFIC);
});

test('bad descriptions are 400s that name each field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [
      { disableServerGroup: { region: REGION, serverGroupName: 'app-v001', desiredPercentage: 0 } },
      { enableServerGroup: { credentials: ACCOUNT, region: 'Mars' } },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].disableServerGroup.credentials: is required (the account name)',
      '[0].disableServerGroup.desiredPercentage: must be a whole number from 1 to 100 (0% would disable nothing)',
      '[1].enableServerGroup.region: must be an AWS region name such as us-east-1',
      '[1].enableServerGroup.serverGroupName: is required: name the group with serverGroupName and region, or list them in asgs',
    ]),
  );
});

const disable = (name: string, desiredPercentage?: number) => ({
  disableServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, cloudProvider: 'aws', desiredPercentage },
});

test('a 50% disable takes out exactly half the instances (lowest ids first), suspends nothing and returns them; 100% then takes the rest', async () => {
  const g = await makeGroup('dispct', { desired: 4, targetGroups: 1, classic: true, disabled: false });
  const [tg] = g.targetGroupArns as [string];
  const [a, b, c, d] = g.instanceIds as [string, string, string, string];

  const half = await env.run([disable(g.name, 50)]);

  expect(half.task.status).toMatchObject({ completed: true, failed: false });
  expect(half.task.resultObjects).toEqual([{ instanceIdsToDisable: [a, b] }]);
  expect(statuses(half.task)).toEqual([
    'Initializing Orchestration Task',
    'Processing op: disableServerGroup',
    `Disabling 50% of ${g.name} in ${REGION}; its processes stay as they are`,
    `Only disabling instances [${a}, ${b}] on ASG ${g.name} with percentage 50 (0 of 4 already out of traffic)`,
    `Deregistering 2 instances of ${g.name} in ${REGION} from 1 target group`,
    `Deregistering 2 instances of ${g.name} in ${REGION} from 1 classic load balancer`,
    `Disabled 50% of ${g.name} in ${REGION}`,
    'Orchestration completed.',
  ]);
  expect(await suspendedProcesses(g.name)).toEqual([]);
  expect(await targetsOf(tg)).toEqual([c, d]);
  expect(await classicInstancesOf(g.loadBalancerName!)).toEqual([c, d]);
  expect(
    await env.client.workflow
      .getHandle(half.id)
      .describe()
      .then((w) => w.staticSummary()),
  ).toBe(`disable 50% of ${g.name} in ${REGION}`);

  // Asked again, 50% is already met: the two out count, nothing more leaves.
  const again = await env.run([disable(g.name, 50)]);
  expect(again.task.resultObjects).toEqual([{ instanceIdsToDisable: [] }]);
  expect(await targetsOf(tg)).toEqual([c, d]);

  const rest = await env.run([disable(g.name, 100)]);
  expect(rest.task.status).toMatchObject({ completed: true, failed: false });
  expect(rest.task.resultObjects).toEqual([{ instanceIdsToDisable: [c, d] }]);
  expect(statuses(rest.task)).toContain(`Disabling ${g.name} in ${REGION}: suspending Launch, Terminate, AddToLoadBalancer`);
  expect(await suspendedProcesses(g.name)).toEqual(TRAFFIC);
  expect(await targetsOf(tg)).toEqual([]);
  expect(await classicInstancesOf(g.loadBalancerName!)).toEqual([]);
  expect(await instancesOf(g.name)).toEqual(g.instanceIds);
});

test('a partial disable whose deregistration answer was lost deregisters the instances it chose first, not new ones', async () => {
  const g = await makeGroup('dispctlost', { desired: 4, targetGroups: 1, classic: false, disabled: false });
  faults.loseAnswer('deregisterInstancesFromTargetGroups', mentions(g.name));

  const { task } = await env.run([disable(g.name, 25)]);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('deregisterInstancesFromTargetGroups', mentions(g.name))).toBe(2);
  expect(faults.calls('chooseInstancesToDisable', mentions(g.name))).toBe(1);
  expect(task.resultObjects).toEqual([{ instanceIdsToDisable: [g.instanceIds[0]] }]);
  expect(await targetsOf(g.targetGroupArns[0]!)).toEqual(g.instanceIds.slice(1));
});

test("Orca's rolling red/black through the facade: pin the source, grow the new group by steps, disable 50% then 100% of the source, unpin", async () => {
  const aws = testAwsClients(env.aws);
  const source = await makeGroup('rrb', { desired: 4, targetGroups: 1, classic: false, disabled: false });
  const [tg] = source.targetGroupArns as [string];
  const next = await makeServerGroup(env, { prefix: 'rrb', suffix: '-main-v002', min: 0, max: 0, desired: 0 });
  await aws.autoScaling.send(new AttachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: next.name, TargetGroupARNs: [tg] }));
  const ref = (serverGroupName: string) => ({ credentials: ACCOUNT, region: REGION, serverGroupName, cloudProvider: 'aws' });
  const resize = (serverGroupName: string, capacity: { min: number; max: number; desired: number }) => ({
    resizeServerGroup: { ...ref(serverGroupName), capacity, asgs: [{ serverGroupName, region: REGION }] },
  });
  const ok = async (ops: unknown[]) => {
    const { task } = await env.run(ops);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    return task;
  };

  // Pin: the source's min rises to its desired, so nothing scales it in meanwhile.
  await ok([resize(source.name, { min: 4, max: 5, desired: 4 })]);
  // 50%: the new group at half the source's size, pinned; then half the source's traffic away.
  await ok([resize(next.name, { min: 2, max: 2, desired: 2 })]);
  const half = await ok([disable(source.name, 50)]);
  expect(half.resultObjects).toEqual([{ instanceIdsToDisable: source.instanceIds.slice(0, 2) }]);
  expect(await suspendedProcesses(source.name)).toEqual([]);
  const newInstances = await instancesOf(next.name);
  expect(newInstances).toHaveLength(2);
  expect(await targetsOf(tg)).toEqual([...source.instanceIds.slice(2), ...newInstances].sort());
  // 100%: the new group at full size, the rest of the source out, the source disabled.
  await ok([resize(next.name, { min: 4, max: 4, desired: 4 })]);
  const full = await ok([disable(source.name, 100)]);
  expect(full.resultObjects).toEqual([{ instanceIdsToDisable: source.instanceIds.slice(2) }]);
  expect(await suspendedProcesses(source.name)).toEqual(TRAFFIC);
  expect(await suspendedProcesses(next.name)).toEqual([]);
  expect(await instancesOf(source.name)).toEqual(source.instanceIds);
  expect(await targetsOf(tg)).toEqual(await instancesOf(next.name));
  expect(await targetsOf(tg)).toHaveLength(4);

  // Unpin the source's min. (moto then registers the source's instances with the target group
  // again, suspended AddToLoadBalancer or not; AWS leaves them out, so the traffic is checked above.)
  await ok([resize(source.name, { min: 0, max: 5, desired: 4 })]);
  const unpinned = (await aws.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [source.name] })))
    .AutoScalingGroups![0]!;
  expect(unpinned).toMatchObject({ MinSize: 0, MaxSize: 5, DesiredCapacity: 4 });
});

test('a group built from a launch configuration is disabled, enabled and resized like any other', async () => {
  const g = await makeGroup('lcgroup', { desired: 2, targetGroups: 1, classic: false, disabled: false, launchConfiguration: true });
  const [tg] = g.targetGroupArns as [string];
  const ref = { credentials: ACCOUNT, region: REGION, serverGroupName: g.name };

  const off = await env.run([{ disableServerGroup: ref }]);
  expect(off.task.status).toMatchObject({ completed: true, failed: false });
  expect(await targetsOf(tg)).toEqual([]);
  expect(await suspendedProcesses(g.name)).toEqual(TRAFFIC);

  const on = await env.run([{ enableServerGroup: ref }]);
  expect(on.task.status).toMatchObject({ completed: true, failed: false });
  expect(await targetsOf(tg)).toEqual(g.instanceIds);
  expect(await suspendedProcesses(g.name)).toEqual([]);

  const grown = await env.run([{ resizeServerGroup: { ...ref, capacity: { min: 3, max: 3, desired: 3 } } }]);
  expect(grown.task.status).toMatchObject({ completed: true, failed: false });
  expect(await instancesOf(g.name)).toHaveLength(3);
  const group = (await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [g.name] })))
    .AutoScalingGroups![0]!;
  expect(group.LaunchConfigurationName).toBe(`${g.name}-20240101000000`);
  expect(group).toMatchObject({ MinSize: 3, MaxSize: 3, DesiredCapacity: 3 });
});
