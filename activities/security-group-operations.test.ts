/**
 * deleteSecurityGroupByName against fakes of the EC2 calls, for AWS answers moto does not give:
 * moto deletes a group that other groups' ingress rules (or instances) still name, where AWS
 * answers DependencyViolation.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { FakeAnswer } from '../test/support/fake-aws';
import { fakeAwsProvider, raise, runActivity } from '../test/support/fake-aws';
import { createSecurityGroupActivities } from './security-group-operations';

const fakeAws = (answers: Record<string, FakeAnswer>) => {
  const { provider, sent } = fakeAwsProvider(answers);
  return { activities: createSecurityGroupActivities({ aws: provider }), sent };
};
const run = runActivity;
const ref = { account: 'test', region: 'us-east-1', securityGroupName: 'app', vpcId: 'vpc-1' };
const app = { GroupName: 'app', GroupId: 'sg-app', VpcId: 'vpc-1', IpPermissions: [] };

test('DependencyViolation names the groups whose ingress rules still reference the group (only those)', async () => {
  const { activities } = fakeAws({
    DescribeSecurityGroupsCommand: (input) =>
      input.Filters
        ? { SecurityGroups: [app] }
        : {
            SecurityGroups: [
              app,
              { GroupName: 'web', GroupId: 'sg-web', VpcId: 'vpc-1', IpPermissions: [{ UserIdGroupPairs: [{ GroupId: 'sg-app' }] }] },
              { GroupName: 'db', GroupId: 'sg-db', VpcId: 'vpc-1', IpPermissions: [{ IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] },
            ],
          },
    DeleteSecurityGroupCommand: raise('DependencyViolation', 'resource sg-app has a dependent object'),
  });
  expect(await run(activities.deleteSecurityGroupByName, ref)).toEqual({ outcome: 'dependency', groupId: 'sg-app', dependents: ['web'] });
});

test('a group in another VPC, or one matched by a description without vpcId, is not the group (Clouddriver compares vpcId as is)', async () => {
  const { activities, sent } = fakeAws({ DescribeSecurityGroupsCommand: () => ({ SecurityGroups: [app] }) });
  expect(await run(activities.deleteSecurityGroupByName, { ...ref, vpcId: 'vpc-2' })).toEqual({ outcome: 'absent' });
  expect(await run(activities.deleteSecurityGroupByName, { ...ref, vpcId: undefined })).toEqual({ outcome: 'absent' });
  expect(sent).not.toContain('DeleteSecurityGroupCommand');
});

test('a group gone between the describe and the delete is deleted; another refusal fails the call for good', async () => {
  const gone = fakeAws({
    DescribeSecurityGroupsCommand: () => ({ SecurityGroups: [app] }),
    DeleteSecurityGroupCommand: raise('InvalidGroup.NotFound', "The security group 'sg-app' does not exist"),
  });
  expect(await run(gone.activities.deleteSecurityGroupByName, ref)).toEqual({ outcome: 'deleted', groupId: 'sg-app' });

  const refused = fakeAws({
    DescribeSecurityGroupsCommand: () => ({ SecurityGroups: [app] }),
    DeleteSecurityGroupCommand: raise('CannotDelete', 'the default security group cannot be deleted'),
  });
  const err = await run(refused.activities.deleteSecurityGroupByName, ref).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'CannotDelete', nonRetryable: true });
});
