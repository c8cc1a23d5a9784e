/**
 * updateInstances (legacy updateInstancesDescription) end to end: posted to the facade over HTTP,
 * run by a real worker on the real Temporal dev server, the instances' security groups read back
 * from moto. moto accepts any ModifyInstanceAttribute, so an instance AWS refuses is played by the
 * activity failing before it calls AWS (a stubbed activity through the FaultPlan).
 */
import { CreateSecurityGroupCommand, DescribeInstancesCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

const { env, faults, clients, runAsOrca } = useOrcaTestEnv();

async function makeSecurityGroup(): Promise<string> {
  const vpcs = await clients().ec2.send(new DescribeVpcsCommand({}));
  const out = await clients().ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: uniqueName('sg-'),
      Description: 'test',
      VpcId: vpcs.Vpcs?.find((v) => v.IsDefault)?.VpcId,
    }),
  );
  return out.GroupId!;
}

async function securityGroupsOf(instanceIds: readonly string[]): Promise<string[][]> {
  const out = await clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [...instanceIds] }));
  const byId = new Map(
    out.Reservations!.flatMap((r) => r.Instances!).map((i) => [i.InstanceId!, (i.SecurityGroups ?? []).map((g) => g.GroupId!).sort()]),
  );
  return instanceIds.map((id) => byId.get(id) ?? []);
}

test("updateInstances sets the security groups of every instance, with Clouddriver's history lines; a re-post runs nothing again", async () => {
  const sg = await makeSecurityGroup();
  const { name, instanceIds } = await makeServerGroup(env, { prefix: 'upi', min: 2, max: 2, desired: 2 });
  const body = [
    { updateInstances: { credentials: ACCOUNT, region: REGION, serverGroupName: name, securityGroups: [sg], cloudProvider: 'aws' } },
  ];
  const { id, task, repost } = await runAsOrca(body);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === 'UPDATE')).toEqual([
    { phase: 'UPDATE', status: `Initializing Update Instances operation for ${name}...` },
    ...instanceIds.map((i) => ({ phase: 'UPDATE', status: `Updating security groups for ${i}...` })),
    { phase: 'UPDATE', status: `Updated 2 instances in ${name}/${REGION}` },
  ]);
  expect(await securityGroupsOf(instanceIds)).toEqual([[sg], [sg]]);
  expect((await env.client.workflow.getHandle(id).describe()).type).toBe('updateInstances');

  expect(await repost()).toBe(id);
  expect(faults.calls('setInstanceSecurityGroups', mentions(sg))).toBe(2);
});

test("the legacy key with securityGroupsAppendOnly adds the launch configuration's groups; a lost answer sets the same again", async () => {
  const [sg, lcSg] = [await makeSecurityGroup(), await makeSecurityGroup()];
  const { name, instanceIds } = await makeServerGroup(env, {
    prefix: 'upil',
    min: 1,
    max: 1,
    desired: 1,
    launchConfiguration: { SecurityGroups: [lcSg] },
  });
  faults.loseAnswer('setInstanceSecurityGroups', mentions(sg));
  const { task } = await env.run([
    {
      updateInstancesDescription: {
        credentials: ACCOUNT,
        region: REGION,
        serverGroupName: name,
        securityGroups: [sg],
        securityGroupsAppendOnly: true,
      },
    },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('setInstanceSecurityGroups', mentions(sg))).toBe(2);
  expect(await securityGroupsOf(instanceIds)).toEqual([[sg, lcSg].sort()]);
});

test('an instance AWS refuses is logged, the others updated, and the task succeeds, as in Clouddriver', async () => {
  const sg = await makeSecurityGroup();
  const { name, instanceIds } = await makeServerGroup(env, { prefix: 'upie', min: 2, max: 2, desired: 2 });
  const [refused, updated] = instanceIds as [string, string];
  faults.fail('setInstanceSecurityGroups', mentions(refused));
  const { task } = await env.run([
    { updateInstances: { credentials: ACCOUNT, region: REGION, serverGroupName: name, securityGroups: [sg] } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history).toEqual(
    expect.arrayContaining([{ phase: 'UPDATE', status: `Error updating ${refused}: injected failure in setInstanceSecurityGroups` }]),
  );
  expect(await securityGroupsOf([updated])).toEqual([[sg]]);
});

test('a group that does not exist fails the task', async () => {
  const name = `${uniqueName('gone')}-v001`;
  const { task } = await env.run([
    { updateInstances: { credentials: ACCOUNT, region: REGION, serverGroupName: name, securityGroups: ['sg-12345678'] } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(JSON.stringify(task)).toContain(`Cannot find ASG named ${name} in ${REGION}`);
});

test('bad input is a 400 that names the field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [{ updateInstances: { credentials: ACCOUNT, region: REGION, securityGroupsAppendOnly: true } }],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].updateInstances.serverGroupName: is required',
      '[0].updateInstances.securityGroups: is required when securityGroupsAppendOnly is true',
    ]),
  );
});
