/**
 * registerInstancesWithLoadBalancer and deregisterInstancesFromLoadBalancer (legacy
 * registerInstancesFromLoadBalancerDescription, deregisterInstancesFromLoadBalancerDescription)
 * end to end: posted to the facade over HTTP, run by a real worker on the real Temporal dev
 * server, the registrations read back from moto's ELBv2 target groups and classic ELBs.
 */
import { AttachLoadBalancerTargetGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceHealthCommand } from '@aws-sdk/client-elastic-load-balancing';
import { CreateTargetGroupCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { launchInstances } from './support/instances';
import { makeServerGroup } from './support/server-group';
import { createClassicLoadBalancer, registeredTargets } from './support/target-groups';

const { env, faults, clients, runAsOrca } = useOrcaTestEnv();

async function makeTargetGroup(): Promise<{ name: string; arn: string }> {
  const vpcs = await clients().ec2.send(new DescribeVpcsCommand({}));
  const name = uniqueName('tg');
  const out = await clients().elbv2.send(
    new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 8080, VpcId: vpcs.Vpcs?.[0]?.VpcId, TargetType: 'instance' }),
  );
  return { name, arn: out.TargetGroups![0]!.TargetGroupArn! };
}

async function makeClassic(): Promise<string> {
  const name = uniqueName('elb');
  await createClassicLoadBalancer(clients(), name);
  return name;
}

const targetsOf = (arn: string) => registeredTargets(clients(), arn);

async function classicInstancesOf(name: string): Promise<string[]> {
  const out = await clients().elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name }));
  return (out.InstanceStates ?? []).map((s) => s.InstanceId!).sort();
}

test("registerInstancesWithLoadBalancer registers with the named target group, with Clouddriver's history lines; a re-post runs nothing again", async () => {
  const tg = await makeTargetGroup();
  const ids = await launchInstances(clients(), 2);
  const body = [
    {
      registerInstancesWithLoadBalancer: {
        credentials: ACCOUNT,
        region: REGION,
        instanceIds: ids,
        targetGroupNames: [tg.name],
        cloudProvider: 'aws',
      },
    },
  ];
  const { id, task, repost } = await runAsOrca(body);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === 'REGISTER_INSTANCES_WITH_LB')).toEqual([
    {
      phase: 'REGISTER_INSTANCES_WITH_LB',
      status: `Initializing Registering of Instances (${ids.join(', ')}) in Load Balancer Operation...`,
    },
    { phase: 'REGISTER_INSTANCES_WITH_LB', status: `Registering instances ([${ids.join(', ')}]) in target group ${tg.arn}` },
    { phase: 'REGISTER_INSTANCES_WITH_LB', status: 'Registering completed.' },
  ]);
  expect(await targetsOf(tg.arn)).toEqual([...ids].sort());
  expect((await env.client.workflow.getHandle(id).describe()).type).toBe('registerInstancesWithLoadBalancer');

  expect(await repost()).toBe(id);
  expect(faults.calls('registerInstancesWithTargetGroups', mentions(tg.arn))).toBe(1);
});

test('the legacy keys register with and deregister from a classic load balancer; a lost answer is no second change', async () => {
  const elb = await makeClassic();
  const ids = await launchInstances(clients(), 2);
  const desc = { credentials: ACCOUNT, region: REGION, instanceIds: ids, loadBalancerNames: [elb], targetGroupNames: [] };
  faults.loseAnswer('registerInstancesWithClassicLoadBalancers', mentions(elb));
  const registered = await env.run([{ registerInstancesFromLoadBalancerDescription: desc }]);
  expect(registered.task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('registerInstancesWithClassicLoadBalancers', mentions(elb))).toBe(2);
  // moto lists an instance registered twice twice: one entry each means one registration.
  expect(await classicInstancesOf(elb)).toEqual([...ids].sort());
  expect(registered.task.history).toEqual(
    expect.arrayContaining([
      { phase: 'REGISTER_INSTANCES_WITH_LB', status: `Registering instances ([${ids.join(', ')}]) in ${elb}.` },
      { phase: 'REGISTER_INSTANCES_WITH_LB', status: `Finished registering instances (${ids.join(', ')}) in ${elb}.` },
    ]),
  );

  const deregistered = await env.run([{ deregisterInstancesFromLoadBalancerDescription: { ...desc, instanceIds: [ids[0]] } }]);
  expect(deregistered.task.status).toMatchObject({ completed: true, failed: false });
  expect(await classicInstancesOf(elb)).toEqual([ids[1]]);
  expect(deregistered.task.history.filter((h) => h.phase === 'DEREGISTER_INSTANCES_FROM_LB').map((h) => h.status)).toEqual([
    `Initializing Deregistering of Instances (${ids[0]}) in Load Balancer Operation...`,
    `Deregistering instances ([${ids[0]}]) in ${elb}.`,
    `Finished deregistering instances (${ids[0]}) in ${elb}.`,
    'Deregistering completed.',
  ]);
});

test("with asgName, the group's own target groups and only its instances are acted on", async () => {
  const tg = await makeTargetGroup();
  const { name, instanceIds } = await makeServerGroup(env, { prefix: 'reg', min: 0, max: 2, desired: 1 });
  await clients().autoScaling.send(new AttachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: name, TargetGroupARNs: [tg.arn] }));
  const [outsider] = await launchInstances(clients(), 1);
  const member = instanceIds[0]!;
  await clients().elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg.arn, Targets: [{ Id: member }, { Id: outsider! }] }));

  const { task } = await env.run([
    {
      deregisterInstancesFromLoadBalancer: {
        credentials: ACCOUNT,
        region: REGION,
        asgName: name,
        instanceIds: [member, outsider],
        targetGroupNames: ['named-but-unused'],
      },
    },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(await targetsOf(tg.arn)).toEqual([outsider]);
  expect(task.history).toEqual(
    expect.arrayContaining([
      { phase: 'DEREGISTER_INSTANCES_FROM_LB', status: `Deregistering instances ([${member}]) in target group ${tg.arn}` },
    ]),
  );
});

test('a target group name that names nothing fails the task before anything changes', async () => {
  const tg = await makeTargetGroup();
  const ids = await launchInstances(clients(), 1);
  const missing = uniqueName('tg-gone');
  const { task } = await env.run([
    { registerInstancesWithLoadBalancer: { credentials: ACCOUNT, region: REGION, instanceIds: ids, targetGroupNames: [tg.name, missing] } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(JSON.stringify(task)).toContain(`targetgroups not found: [${missing}]`);
  expect(await targetsOf(tg.arn)).toEqual([]);
});

test("no load balancers to act on is a success with Clouddriver's line", async () => {
  const ids = await launchInstances(clients(), 1);
  const { task } = await env.run([{ deregisterInstancesFromLoadBalancer: { credentials: ACCOUNT, region: REGION, instanceIds: ids } }]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history).toEqual(
    expect.arrayContaining([
      {
        phase: 'DEREGISTER_INSTANCES_FROM_LB',
        status: `Deregistering instances not required for Instances ${ids[0]}, no load balancers are found`,
      },
    ]),
  );
});

test('bad input is a 400 that names the field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [{ registerInstancesWithLoadBalancer: { credentials: ACCOUNT, instanceIds: [] } }],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].registerInstancesWithLoadBalancer.instanceIds: must name at least one instance',
      '[0].registerInstancesWithLoadBalancer.region: is required',
    ]),
  );
});
