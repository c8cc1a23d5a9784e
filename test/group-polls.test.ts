/**
 * The waits' batched looks against the run's emulator, through the real AWS SDK: one call
 * answers several waits, each with the group describeOneServerGroup would have returned.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { createGroupPolls } from '../activities/group-polls';
import { describeOneServerGroup } from '../activities/server-group-lookup';
import { REGION, testAwsClients, testAwsProvider } from './harness';
import { makeServerGroup } from './support/server-group';
import { useTestEnv } from './harness';

const env = useTestEnv();

test('several waits looking at once share one DescribeAutoScalingGroups and see what a single describe sees', async () => {
  const groups = [];
  for (let i = 0; i < 4; i++) groups.push(await makeServerGroup(env, { prefix: 'polls', min: 1, max: 2, desired: 1 }));
  const names = [...groups.map((g) => g.name), 'polls-never-v999'];
  const { autoScaling } = testAwsClients(testAwsProvider(), REGION);
  const sent: string[][] = [];
  const recording = {
    send: (cmd: { input: { AutoScalingGroupNames?: string[] } }) => {
      sent.push(cmd.input.AutoScalingGroupNames ?? []);
      return autoScaling.send(cmd as never);
    },
  } as unknown as AutoScalingClient;
  const polls = createGroupPolls({ windowMs: 50, busyPerSecond: 1 });

  const looked = await Promise.all(names.map((serverGroupName) => polls.look(recording, { serverGroupName, region: REGION })));
  expect(sent).toEqual([names]);
  const single = await Promise.all(
    names.map((serverGroupName) => describeOneServerGroup(autoScaling, { serverGroupName, region: REGION })),
  );
  expect(looked).toEqual(single);
  expect(looked.map((l) => l?.group.AutoScalingGroupName)).toEqual([...groups.map((g) => g.name), undefined]);
});
