/**
 * The batching of the waits' looks, against a stub `send` (the real emulator: test/group-polls.test.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import { createGroupPolls, MAX_NAMES_PER_DESCRIBE } from './group-polls';

const region = 'us-east-1';
const asg = (name: string) => ({ AutoScalingGroupName: name, MinSize: 1, MaxSize: 1, DesiredCapacity: 1, Instances: [] });

/** A client answering every name that does not start with "gone-", recording what each call asked for. */
function stub(fail?: Error) {
  const calls: string[][] = [];
  const send = async (cmd: { input: { AutoScalingGroupNames?: string[] } }) => {
    const names = cmd.input.AutoScalingGroupNames ?? [];
    calls.push(names);
    if (fail) throw fail;
    return { AutoScalingGroups: names.filter((n) => !n.startsWith('gone-')).map(asg) };
  };
  return { client: { send } as never, calls };
}

test('busy waits share calls of at most 50 names, and each look gets its own group', async () => {
  const { client, calls } = stub();
  const polls = createGroupPolls({ windowMs: 20, busyPerSecond: 1 });
  const names = Array.from({ length: 120 }, (_, i) => (i % 40 === 7 ? `gone-v${i}` : `app-v${String(i).padStart(3, '0')}`));
  const found = await Promise.all(names.map((serverGroupName) => polls.look(client, { serverGroupName, region })));
  expect(found.map((f) => f?.group.AutoScalingGroupName)).toEqual(names.map((n) => (n.startsWith('gone-') ? undefined : n)));
  expect(calls.length).toBe(Math.ceil(120 / MAX_NAMES_PER_DESCRIBE));
  expect(calls.every((c) => c.length <= MAX_NAMES_PER_DESCRIBE)).toBe(true);
});

test('two waits on one group in one call: asked for once, both answered', async () => {
  const { client, calls } = stub();
  const polls = createGroupPolls({ windowMs: 20, busyPerSecond: 1 });
  const [a, b] = await Promise.all([
    polls.look(client, { serverGroupName: 'app-v001', region }),
    polls.look(client, { serverGroupName: 'app-v001', region }),
  ]);
  expect([a?.group.AutoScalingGroupName, b?.group.AutoScalingGroupName]).toEqual(['app-v001', 'app-v001']);
  expect(calls).toEqual([['app-v001']]);
});

test('a look is never answered from an earlier call (no cache)', async () => {
  const { client, calls } = stub();
  const polls = createGroupPolls();
  await polls.look(client, { serverGroupName: 'app-v001', region });
  await polls.look(client, { serverGroupName: 'app-v001', region });
  expect(calls.length).toBe(2);
});

test('when few waits poll, a look goes out at once instead of waiting for others', async () => {
  const { client, calls } = stub();
  const polls = createGroupPolls({ windowMs: 60_000, busyPerSecond: 100 });
  await polls.look(client, { serverGroupName: 'app-v001', region });
  expect(calls).toEqual([['app-v001']]);
});

test('a throttled call fails every look in it as AWS throttling (retryable), naming each look group', async () => {
  const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
  const { client } = stub(throttled);
  const polls = createGroupPolls({ windowMs: 10, busyPerSecond: 1 });
  const looks = ['app-v001', 'app-v002'].map((serverGroupName) => polls.look(client, { serverGroupName, region }).catch((e: unknown) => e));
  const [a, b] = (await Promise.all(looks)) as ApplicationFailure[];
  for (const [f, name] of [
    [a!, 'app-v001'],
    [b!, 'app-v002'],
  ] as const) {
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: 'Throttling', nonRetryable: false });
    expect(f.message).toContain(`DescribeAutoScalingGroups ${name} in ${region} failed`);
  }
});
