/**
 * The at-most-once decrement against a fake of the Auto Scaling API as AWS behaves: after
 * TerminateInstanceInAutoScalingGroup the instance stays in the group as `Terminating` for a
 * while (moto drops it at once, so only this test sees that state).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { fakeAwsProvider } from '../test/support/fake-aws';
import { createInstanceActivities } from './instances';

const input = { account: 'test', region: 'us-east-1', serverGroupName: 'myapp-v001', instanceId: 'i-0123456789abcdef0' };
const member =
  (state: string, group = 'myapp-v001') =>
  () => ({
    AutoScalingInstances: [{ InstanceId: input.instanceId, AutoScalingGroupName: group, LifecycleState: state }],
  });

test('an instance in service is terminated once, with the decrement', async () => {
  const { provider, calls: sent } = fakeAwsProvider({
    DescribeAutoScalingInstancesCommand: member('InService'),
    TerminateInstanceInAutoScalingGroupCommand: () => ({}),
  });
  const { terminateInstanceInServerGroup } = createInstanceActivities({ aws: provider });
  await expect(new MockActivityEnvironment().run(terminateInstanceInServerGroup, input)).resolves.toEqual({ terminated: true });
  expect(sent[1]).toEqual({
    command: 'TerminateInstanceInAutoScalingGroupCommand',
    input: { InstanceId: input.instanceId, ShouldDecrementDesiredCapacity: true },
  });
});

test.each([['Terminating'], ['Terminating:Wait'], ['Terminated']])(
  'an instance already %s is not terminated (nor decremented) again',
  async (state) => {
    const { provider, calls: sent } = fakeAwsProvider({ DescribeAutoScalingInstancesCommand: member(state) });
    const { terminateInstanceInServerGroup } = createInstanceActivities({ aws: provider });
    await expect(new MockActivityEnvironment().run(terminateInstanceInServerGroup, input)).resolves.toEqual({
      terminated: false,
      reason: `${input.instanceId} is already ${state} in myapp-v001`,
    });
    expect(sent.map((s) => s.command)).toEqual(['DescribeAutoScalingInstancesCommand']);
  },
);

test('an instance gone from the group, or in another group, is left alone', async () => {
  for (const answer of [() => ({ AutoScalingInstances: [] }), member('InService', 'other-v002')]) {
    const { provider, calls: sent } = fakeAwsProvider({ DescribeAutoScalingInstancesCommand: answer });
    const { terminateInstanceInServerGroup } = createInstanceActivities({ aws: provider });
    await expect(new MockActivityEnvironment().run(terminateInstanceInServerGroup, input)).resolves.toEqual({
      terminated: false,
      reason: `${input.instanceId} is no longer in myapp-v001`,
    });
    expect(sent).toHaveLength(1);
  }
});

test('terminateEc2Instances describes by filter and terminates only instances still alive', async () => {
  const { provider, calls: sent } = fakeAwsProvider({
    DescribeInstancesCommand: () => ({
      Reservations: [
        {
          Instances: [
            { InstanceId: 'i-00000000000000001', State: { Name: 'running' } },
            { InstanceId: 'i-00000000000000002', State: { Name: 'terminated' } },
          ],
        },
      ],
    }),
    TerminateInstancesCommand: () => ({}),
  });
  const { terminateEc2Instances } = createInstanceActivities({ aws: provider });
  await expect(
    new MockActivityEnvironment().run(terminateEc2Instances, {
      account: 'test',
      region: 'us-east-1',
      instanceIds: ['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000003'],
    }),
  ).resolves.toEqual({ terminated: ['i-00000000000000001'], alreadyGone: ['i-00000000000000002'], unknown: ['i-00000000000000003'] });
  expect(sent[0]?.input).toMatchObject({
    Filters: [{ Name: 'instance-id', Values: ['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000003'] }],
  });
  expect(sent[1]).toEqual({ command: 'TerminateInstancesCommand', input: { InstanceIds: ['i-00000000000000001'] } });
});
