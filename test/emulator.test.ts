/**
 * The emulator Bosun's stack starts is moto with its per-resource EC2 tag lookup replaced
 * (infra/moto_server.py). DescribeTags still runs moto's own scan of the tag store, so it is the
 * reference: the tags DescribeInstances renders, and the instances a tag filter selects, must
 * agree with it while other resources have tags in the store too.
 */
import { CreateTagsCommand, DescribeInstancesCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import type { AwsClientProvider } from '../activities';
import { testAwsClients, testAwsProvider, uniqueName } from './harness';
import { launchInstances } from './support/instances';

let provider: AwsClientProvider;
beforeAll(() => {
  provider = testAwsProvider();
});
afterAll(() => provider.destroy());

const sorted = (tags: readonly { Key?: string | undefined; Value?: string | undefined }[]) => tags.map((t) => `${t.Key}=${t.Value}`).sort();

test('an instance renders exactly its own tags, and a tag filter selects exactly the tagged instances', async () => {
  const { ec2 } = testAwsClients(provider);
  const group = uniqueName('emu');
  const [a, b] = (await launchInstances(testAwsClients(provider), 2, [{ Key: 'aws:autoscaling:groupName', Value: group }])) as [
    string,
    string,
  ];
  const [other] = (await launchInstances(testAwsClients(provider), 1, [{ Key: 'aws:autoscaling:groupName', Value: `${group}x` }])) as [
    string,
  ];
  await ec2.send(new CreateTagsCommand({ Resources: [a], Tags: [{ Key: 'role', Value: 'canary' }] }));
  await ec2.send(
    new CreateTagsCommand({
      Resources: [b],
      Tags: [
        { Key: 'role', Value: 'main' },
        { Key: 'empty', Value: '' },
      ],
    }),
  );

  for (const id of [a, b, other]) {
    const reference = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }))).Tags ?? [];
    const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
    expect(reference.length).toBeGreaterThan(0);
    expect(sorted(described?.Tags ?? [])).toEqual(sorted(reference));
  }

  const byTag = async (Name: string, Values: string[]) =>
    ((await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name, Values }] }))).Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => i.InstanceId)
      .sort();
  expect(await byTag('tag:aws:autoscaling:groupName', [group])).toEqual([a, b].sort());
  expect(await byTag('tag:role', ['canary'])).toContain(a);
  expect(await byTag('tag:role', ['canary'])).not.toContain(b);
  expect(await byTag('instance-id', [a, other])).toEqual([a, other].sort());
});
