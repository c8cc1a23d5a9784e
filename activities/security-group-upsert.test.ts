/**
 * upsertSecurityGroup's activities against fakes of the EC2 calls, for what moto cannot show:
 * rules naming a group of another account (moto looks the group up in the caller's account and
 * answers InvalidGroup.NotFound), accounts configured without an id, and the answers of a call
 * repeated after a lost reply (a duplicate rule, a rule already gone) when AWS still refuses.
 */
import type { AwsAccount, AwsClientProvider } from './aws-clients';
import type { FakeAnswer } from '../test/support/fake-aws';
import { fakeAwsProvider, raise, runActivity } from '../test/support/fake-aws';
import { createSecurityGroupUpsertActivities } from './security-group-upsert';
import { ipIngressPermissions } from '../domain/security-group-rules';

const run = runActivity;
const ACCOUNTS: Record<string, AwsAccount> = {
  test: { name: 'test', accountId: '111111111111' },
  prod: { name: 'prod', accountId: '222222222222' },
  noid: { name: 'noid' },
};

/** One fake EC2 per account; `sent` records `<account>:<command>`. */
function fakeAccounts(answers: Record<string, Record<string, FakeAnswer>>) {
  const sent: string[] = [];
  const fakes = Object.fromEntries(Object.entries(answers).map(([account, a]) => [account, fakeAwsProvider(a)]));
  const provider: AwsClientProvider = {
    clientsFor: (account, region) => {
      const fake = fakes[account];
      if (!fake) throw new Error(`no fake for ${account}`);
      const clients = fake.provider.clientsFor(account, region);
      const send = clients.ec2.send.bind(clients.ec2) as (cmd: { constructor: { name: string } }) => Promise<unknown>;
      return {
        ...clients,
        ec2: {
          send: (cmd: { constructor: { name: string }; input: unknown }) => {
            sent.push(`${account}:${cmd.constructor.name}`);
            return send(cmd);
          },
        },
      } as unknown as ReturnType<AwsClientProvider['clientsFor']>;
    },
    account: (name) => ACCOUNTS[name],
    destroy: () => undefined,
  };
  return { activities: createSecurityGroupUpsertActivities({ aws: provider }), sent };
}

const groups =
  (...gs: Record<string, unknown>[]) =>
  () => ({ SecurityGroups: gs });
const where = { account: 'test', region: 'us-east-1' };

test('a rule naming a group of another account is looked up there and carries that account id', async () => {
  const captured: unknown[] = [];
  const { activities, sent } = fakeAccounts({
    test: {
      DescribeSecurityGroupsCommand: groups({ GroupName: 'web', GroupId: 'sg-web', VpcId: 'vpc-1', IpPermissions: [] }),
      AuthorizeSecurityGroupIngressCommand: (input) => (captured.push(input.IpPermissions), {}),
    },
    prod: { DescribeSecurityGroupsCommand: groups({ GroupName: 'api', GroupId: 'sg-api', VpcId: 'vpc-1', OwnerId: '222222222222' }) },
  });
  const lookup = await run(activities.lookupSecurityGroupUpsert, {
    ...where,
    name: 'web',
    vpcId: 'vpc-1',
    ingress: [
      { name: 'api', accountName: 'prod', ipProtocol: 'tcp', startPort: 7001, endPort: 7001 },
      { id: 'sg-other', accountId: '333333333333', vpcId: 'vpc-9', ipProtocol: 'tcp', startPort: 22, endPort: 22 },
    ],
  });
  expect(sent).toEqual(['prod:DescribeSecurityGroupsCommand', 'test:DescribeSecurityGroupsCommand']);
  expect(lookup.missing).toEqual([]);
  expect(lookup.group).toMatchObject({ groupId: 'sg-web', permissions: [] });
  expect(lookup.groupPermissions.map((p) => p.userIdGroupPairs)).toEqual([
    [{ userId: '222222222222', groupId: 'sg-api' }],
    [{ userId: '333333333333', groupId: 'sg-other', vpcId: 'vpc-9' }],
  ]);

  await run(activities.authorizeSecurityGroupIngress, { ...where, groupId: 'sg-web', permissions: lookup.groupPermissions });
  expect(captured).toEqual([
    [
      { IpProtocol: 'tcp', FromPort: 7001, ToPort: 7001, UserIdGroupPairs: [{ UserId: '222222222222', GroupId: 'sg-api' }] },
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ UserId: '333333333333', GroupId: 'sg-other', VpcId: 'vpc-9' }] },
    ],
  ]);
});

test('an account Bosun does not have finds nothing (missing in a VPC, by name outside one); one without an id gets it from AWS', async () => {
  const { activities } = fakeAccounts({
    test: { DescribeSecurityGroupsCommand: groups() },
    noid: { DescribeSecurityGroupsCommand: groups({ GroupName: 'default', GroupId: 'sg-d', OwnerId: '444444444444' }) },
  });
  const ingress = [
    { name: 'db', accountName: 'elsewhere', ipProtocol: 'tcp', startPort: 5432, endPort: 5432 },
    { name: 'default', accountName: 'noid', ipProtocol: 'tcp', startPort: 1, endPort: 1 },
  ];
  const inVpc = await run(activities.lookupSecurityGroupUpsert, { ...where, name: 'web', vpcId: 'vpc-1', ingress });
  expect(inVpc.missing).toEqual(ingress);
  const classic = await run(activities.lookupSecurityGroupUpsert, { ...where, name: 'web', ingress });
  // Clouddriver's getAccountIdForName falls back to the name; the group without a VPC is named, not found.
  expect(classic.groupPermissions.map((p) => p.userIdGroupPairs)).toEqual([
    [{ userId: 'elsewhere', groupName: 'db' }],
    [{ userId: '444444444444', groupId: 'sg-d' }],
  ]);
});

test('authorize sends only what the group lacks, and takes AWS duplicates one by one as done', async () => {
  const sentPermissions: unknown[] = [];
  let calls = 0;
  const { activities } = fakeAccounts({
    test: {
      DescribeSecurityGroupsCommand: groups({
        GroupId: 'sg-web',
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      }),
      AuthorizeSecurityGroupIngressCommand: (input) => {
        sentPermissions.push(input.IpPermissions);
        calls++;
        if (calls === 1 || calls === 2) throw Object.assign(new Error('the specified rule already exists'), dupe);
        return {};
      },
    },
  });
  const rules = ipIngressPermissions([
    { cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 80, endPort: 80 },
    { cidr: '10.1.0.0/16', ipProtocol: 'tcp', startPort: 80, endPort: 80 },
    { cidr: '10.2.0.0/16', ipProtocol: 'tcp', startPort: 80, endPort: 80 },
  ]);
  expect(await run(activities.authorizeSecurityGroupIngress, { ...where, groupId: 'sg-web', permissions: rules })).toEqual({
    authorized: 2,
  });
  // The batch of the two missing rules, then each alone (the first a duplicate, the second new).
  expect(sentPermissions.map((ps) => (ps as { IpRanges: { CidrIp: string }[] }[]).map((p) => p.IpRanges[0]!.CidrIp))).toEqual([
    ['10.1.0.0/16', '10.2.0.0/16'],
    ['10.1.0.0/16'],
    ['10.2.0.0/16'],
  ]);
});
const dupe = { name: 'InvalidPermission.Duplicate', $fault: 'client', $metadata: { httpStatusCode: 400 } };

test('revoke sends only what the group still holds; a rule already gone is done; other refusals fail', async () => {
  const held = {
    GroupId: 'sg-web',
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
  };
  const gone = fakeAccounts({
    test: {
      DescribeSecurityGroupsCommand: groups(held),
      RevokeSecurityGroupIngressCommand: raise('InvalidPermission.NotFound', 'The specified rule does not exist in this security group'),
    },
  });
  const rules = ipIngressPermissions([
    { cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 80, endPort: 80 },
    { cidr: '10.9.0.0/16', ipProtocol: 'tcp', startPort: 80, endPort: 80 },
  ]);
  expect(await run(gone.activities.revokeSecurityGroupIngress, { ...where, groupId: 'sg-web', permissions: rules })).toEqual({
    revoked: 1,
  });
  expect(gone.sent.filter((s) => s.endsWith('RevokeSecurityGroupIngressCommand'))).toHaveLength(2);

  const refused = fakeAccounts({
    test: { DescribeSecurityGroupsCommand: groups(held), RevokeSecurityGroupIngressCommand: raise('UnauthorizedOperation', 'no') },
  });
  await expect(
    run(refused.activities.revokeSecurityGroupIngress, { ...where, groupId: 'sg-web', permissions: rules }),
  ).rejects.toMatchObject({ type: 'UnauthorizedOperation', nonRetryable: true });
});

test('create adopts the group this task made, uses one someone else made (InvalidGroup.Duplicate), and tags as it creates', async () => {
  const create = { ...where, name: 'web', description: 'd', vpcId: 'vpc-1', tags: { team: 'edge' }, createdBy: 'task-1/0' };
  const ours = fakeAccounts({
    test: {
      DescribeSecurityGroupsCommand: groups({
        GroupName: 'web',
        GroupId: 'sg-web',
        VpcId: 'vpc-1',
        Tags: [{ Key: 'bosun:created-by-task', Value: 'task-1/0' }],
      }),
    },
  });
  expect(await run(ours.activities.createSecurityGroupForUpsert, create)).toEqual({ groupId: 'sg-web', ownerId: undefined, created: true });
  expect(ours.sent).toEqual(['test:DescribeSecurityGroupsCommand']);

  let described = 0;
  let tagSpec: unknown;
  const raced = fakeAccounts({
    test: {
      DescribeSecurityGroupsCommand: () =>
        described++ === 0 ? { SecurityGroups: [] } : { SecurityGroups: [{ GroupName: 'web', GroupId: 'sg-theirs', VpcId: 'vpc-1' }] },
      CreateSecurityGroupCommand: (input) => {
        tagSpec = input.TagSpecifications;
        throw Object.assign(new Error("The security group 'web' already exists"), { ...dupe, name: 'InvalidGroup.Duplicate' });
      },
    },
  });
  expect(await run(raced.activities.createSecurityGroupForUpsert, create)).toEqual({
    groupId: 'sg-theirs',
    ownerId: undefined,
    created: false,
  });
  expect(tagSpec).toEqual([
    {
      ResourceType: 'security-group',
      Tags: [
        { Key: 'Name', Value: 'web' },
        { Key: 'team', Value: 'edge' },
        { Key: 'bosun:created-by-task', Value: 'task-1/0' },
      ],
    },
  ]);
});

test('compensation deletes only a group this task created; a refused tag update is reported, not thrown', async () => {
  const { activities, sent } = fakeAccounts({
    test: {
      DescribeSecurityGroupsCommand: groups({ GroupName: 'web', GroupId: 'sg-web', VpcId: 'vpc-1', Tags: [] }),
      CreateTagsCommand: raise('InvalidParameterValue', 'bad tag'),
    },
  });
  expect(await run(activities.deleteSecurityGroupCreatedByTask, { ...where, name: 'web', vpcId: 'vpc-1', createdBy: 'task-1/0' })).toEqual({
    deleted: false,
  });
  expect(sent).not.toContain('test:DeleteSecurityGroupCommand');
  expect(await run(activities.updateSecurityGroupTagsForUpsert, { ...where, groupId: 'sg-web', name: 'web', tags: {} })).toMatchObject({
    tagged: false,
  });
});
