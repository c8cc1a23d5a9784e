/**
 * The rollback's wait for its group to be gone (before the launch template can be deleted) ends
 * at its deadline: a rollback runs in a non-cancellable scope, so it must end on its own.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { CREATED_BY_TAG } from '../domain/task';
import type { AwsClientProvider, AwsClients } from './aws-clients';
import { createDeployRollbackActivities } from './deploy-rollback';

const stuck = {
  AutoScalingGroups: [
    {
      AutoScalingGroupName: 'myapp-v001',
      Status: 'Delete in progress',
      Instances: [{ InstanceId: 'i-1' }],
      Tags: [{ Key: CREATED_BY_TAG, Value: 'task/0' }],
    },
  ],
};

test('a group that never goes fails the rollback at its deadline, naming what is left', async () => {
  const sent: string[] = [];
  const send = async (cmd: { constructor: { name: string } }) => {
    sent.push(cmd.constructor.name);
    if (cmd.constructor.name === 'DescribeAutoScalingGroupsCommand') return stuck;
    throw new Error(`unexpected ${cmd.constructor.name}`);
  };
  const aws: AwsClientProvider = {
    clientsFor: () => ({ autoScaling: { send }, ec2: { send } }) as unknown as AwsClients,
    account: () => undefined,
    destroy: () => undefined,
  };
  const { rollbackServerGroup } = createDeployRollbackActivities({ aws });
  const input = { account: 'test', region: 'us-east-1', serverGroupName: 'myapp-v001', createdBy: 'task/0', deadlineMs: Date.now() + 50 };
  await expect(new MockActivityEnvironment().run(rollbackServerGroup, input)).rejects.toMatchObject({
    type: 'ServerGroupNotDeleted',
    nonRetryable: true,
    message:
      'gave up waiting for myapp-v001 to be deleted before deleting its launch template: myapp-v001 in us-east-1 is Delete in progress with 1 instance(s) left',
  });
  // Already being deleted: not deleted again, and no template delete while the group is there.
  expect(new Set(sent)).toEqual(new Set(['DescribeAutoScalingGroupsCommand']));
});
