/**
 * deleteSecurityGroup end to end: posted to the facade over HTTP, run by a real worker on the
 * real Temporal dev server, the effect read back from moto. It creates nothing, so there is
 * nothing for a failure to leave behind; what matters is that a repeat (a re-post, a lost answer)
 * ends as the first run did.
 *
 * moto deletes a group other groups' ingress rules still name (AWS answers DependencyViolation):
 * the refusal is covered in activities/security-group-operations.test.ts with a fake EC2 client,
 * and here the workflow's dependency path runs on a rewritten activity answer.
 */
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';

const { env, faults, clients, runAsOrca } = useOrcaTestEnv();

async function defaultVpc(): Promise<string> {
  const out = await clients().ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  return out.Vpcs![0]!.VpcId!;
}

async function makeGroup(vpcId: string): Promise<string> {
  const name = uniqueName('sg-');
  await clients().ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: 'bosun test', VpcId: vpcId }));
  return name;
}

async function groupExists(name: string, vpcId: string): Promise<boolean> {
  const out = await clients().ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: [name] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
  );
  return (out.SecurityGroups ?? []).length > 0;
}

describe('deleteSecurityGroup', () => {
  test("deletes the group in its VPC with Clouddriver's history lines; a re-post runs nothing again", async () => {
    const vpcId = await defaultVpc();
    const name = await makeGroup(vpcId);
    const body = [
      { deleteSecurityGroup: { credentials: ACCOUNT, regions: [REGION], securityGroupName: name, vpcId, cloudProvider: 'aws' } },
    ];
    const { id, task, repost } = await runAsOrca(body);

    expect(task.status).toMatchObject({ completed: true, failed: false });
    const what = `${name} in ${REGION} ${vpcId} for ${ACCOUNT}`;
    expect(task.history.filter((h) => h.phase === 'DELETE_SECURITY_GROUP')).toEqual([
      { phase: 'DELETE_SECURITY_GROUP', status: 'Initializing Delete Security Group Operation...' },
      { phase: 'DELETE_SECURITY_GROUP', status: `Deleting ${what}.` },
      { phase: 'DELETE_SECURITY_GROUP', status: `Done deleting ${what}.` },
    ]);
    expect(task.resultObjects).toEqual([]);
    expect(await groupExists(name, vpcId)).toBe(false);
    expect((await env.client.workflow.getHandle(id).describe()).type).toBe('deleteSecurityGroup');

    expect(await repost()).toBe(id);
    expect(faults.calls('deleteSecurityGroupByName', mentions(name))).toBe(1);
  });

  test('the legacy key and a lost answer succeed; a group that is not there (or not in that VPC) is "There is no …"', async () => {
    const vpcId = await defaultVpc();
    const name = await makeGroup(vpcId);
    faults.loseAnswer('deleteSecurityGroupByName', mentions(name));
    const desc = { account: ACCOUNT, regions: [REGION], securityGroupName: name, vpcId };
    const lost = await env.run([{ deleteSecurityGroupDescription: desc }]);
    expect(lost.task.status).toMatchObject({ completed: true, failed: false });
    expect(faults.calls('deleteSecurityGroupByName', mentions(name))).toBe(2);
    expect(await groupExists(name, vpcId)).toBe(false);

    const absent = await env.run([{ deleteSecurityGroup: desc }]);
    expect(absent.task.status).toMatchObject({ completed: true, failed: false });
    expect(absent.task.history.map((h) => h.status)).toContain(`There is no ${name} in ${REGION} ${vpcId} for ${ACCOUNT}.`);

    // Clouddriver matches `vpcId` as posted: without it, only a group outside any VPC is the group.
    const other = await makeGroup(vpcId);
    const noVpc = await env.run([{ deleteSecurityGroup: { account: ACCOUNT, regions: [REGION], securityGroupName: other } }]);
    expect(noVpc.task.status).toMatchObject({ completed: true, failed: false });
    expect(noVpc.task.history.map((h) => h.status)).toContain(`There is no ${other} in ${REGION} for ${ACCOUNT}.`);
    expect(await groupExists(other, vpcId)).toBe(true);
  });

  test("a group something still uses fails the task with Clouddriver's dependency message", async () => {
    const vpcId = await defaultVpc();
    const name = await makeGroup(vpcId);
    faults.rewriteAnswer('deleteSecurityGroupByName', mentions(name), () => ({
      outcome: 'dependency',
      groupId: 'sg-0123',
      dependents: ['web', 'db'],
    }));
    const { task } = await env.run([{ deleteSecurityGroup: { credentials: ACCOUNT, regions: [REGION], securityGroupName: name, vpcId } }]);
    expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
    const message =
      'Failed deleting security group because of existing dependencies. Ingress rules still exist on security group(s): web, db.';
    expect(task.history.filter((h) => h.phase === 'DELETE_SECURITY_GROUP').map((h) => h.status)).toEqual([
      'Initializing Delete Security Group Operation...',
      `Deleting ${name} in ${REGION} ${vpcId} for ${ACCOUNT}.`,
      message,
    ]);
  });

  test('bad input is a 400 that names the field', async () => {
    const errors = await badRequestErrors(
      `${env.facadeUrl}/aws/ops`,
      [
        { deleteSecurityGroup: { credentials: ACCOUNT } },
        { deleteSecurityGroupDescription: { regions: [], securityGroupName: { name: 7 }, vpcId: 'nope' } },
      ],
      AS_ORCA,
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        '[0].deleteSecurityGroup.securityGroupName: is required',
        '[0].deleteSecurityGroup.regions: is required (one region or more)',
        '[1].deleteSecurityGroupDescription.credentials: is required (the account name)',
        '[1].deleteSecurityGroupDescription.securityGroupName: must be a security group name (a string)',
        '[1].deleteSecurityGroupDescription.vpcId: must be a VPC id such as vpc-0123456789abcdef0',
        '[1].deleteSecurityGroupDescription.regions: is required (one region or more)',
      ]),
    );
  });
});
