/**
 * The wait-for-capacity logic against a fake of DescribeAutoScalingGroups: moto settles every
 * group at once, so convergence over several polls and the deadline can only be tested here.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClientProvider, AwsClients } from './aws-clients';
import { createServerGroupActivities } from './server-group';

function fakeProvider(answers: (() => object)[]): { provider: AwsClientProvider; calls: () => number } {
  let calls = 0;
  const autoScaling = {
    send: async () => {
      const answer = answers[Math.min(calls, answers.length - 1)]!;
      calls++;
      return answer();
    },
  };
  const provider: AwsClientProvider = {
    clientsFor: () => ({ autoScaling }) as unknown as AwsClients,
    account: () => undefined,
    destroy: () => undefined,
  };
  return { provider, calls: () => calls };
}

const group = (states: string[]) => () => ({
  AutoScalingGroups: [
    {
      AutoScalingGroupName: 'app-v001',
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 2,
      Instances: states.map((s, i) => ({ InstanceId: `i-${i}`, LifecycleState: s, HealthStatus: 'Healthy' })),
    },
  ],
});

const ref = { account: 'test', region: 'us-east-1', serverGroupName: 'app-v001' };

test('waits over several polls until the group settles, heartbeating what it saw', async () => {
  const { provider, calls } = fakeProvider([group(['Pending']), group(['InService', 'Pending']), group(['InService', 'InService'])]);
  const env = new MockActivityEnvironment();
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  const { waitForServerGroupCapacity } = createServerGroupActivities({ aws: provider });
  const state = await env.run(waitForServerGroupCapacity, { ...ref, desired: 2, deadlineMs: Date.now() + 10_000, pollIntervalMs: 5 });
  expect(state).toMatchObject({ converged: true, inService: 2 });
  expect(calls()).toBe(3);
  expect(beats).toEqual([
    expect.objectContaining({ inService: 0, total: 1 }),
    expect.objectContaining({ inService: 1, total: 2 }),
    expect.objectContaining({ inService: 2, converged: true }),
  ]);
});

test('gives up at the deadline with a non-retryable failure that names the numbers', async () => {
  const { provider } = fakeProvider([group(['InService', 'Pending'])]);
  const { waitForServerGroupCapacity } = createServerGroupActivities({ aws: provider });
  await expect(
    new MockActivityEnvironment().run(waitForServerGroupCapacity, { ...ref, desired: 2, deadlineMs: Date.now() + 50, pollIntervalMs: 10 }),
  ).rejects.toMatchObject({
    type: 'CapacityNotReached',
    nonRetryable: true,
    message: 'timed out waiting for app-v001 in us-east-1: 1 of 2 instances in service',
  });
});

test('a group that disappears while waited on is a failure, not an endless wait', async () => {
  const { provider } = fakeProvider([() => ({ AutoScalingGroups: [] })]);
  const { waitForServerGroupCapacity } = createServerGroupActivities({ aws: provider });
  await expect(
    new MockActivityEnvironment().run(waitForServerGroupCapacity, {
      ...ref,
      desired: 2,
      deadlineMs: Date.now() + 1000,
      pollIntervalMs: 10,
    }),
  ).rejects.toMatchObject({ type: 'ServerGroupNotFound' });
});

test('an impossible capacity is refused before AWS is called', async () => {
  const { provider, calls } = fakeProvider([group([])]);
  const { updateServerGroupCapacity } = createServerGroupActivities({ aws: provider });
  await expect(
    new MockActivityEnvironment().run(updateServerGroupCapacity, { ...ref, capacity: { min: 3, max: 1, desired: 2 } }),
  ).rejects.toMatchObject({ type: 'InvalidCapacity', message: expect.stringContaining('min 3 is greater than max 1') });
  expect(calls()).toBe(0);
});
