/** EC2 instances in the emulator for tests: launched outside any group, and their states read back. */
import type { EC2Client, Tag } from '@aws-sdk/client-ec2';
import { DescribeImagesCommand, DescribeInstancesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../activities';

/** An image moto ships (its Amazon catalogue), good for any test instance or launch template. */
export async function emulatorImageId(clients: AwsClients): Promise<string> {
  const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }));
  const imageId = images.Images?.[0]?.ImageId;
  if (!imageId) throw new Error('the emulator lists no Amazon image');
  return imageId;
}

/**
 * The Amazon Linux 2023 image moto ships, by name and id: what deploys in tests and benchmarks
 * name (`amiName`), resolved by Bosun the way Clouddriver resolves a baked image's name.
 */
export async function emulatorAl2023Image(ec2: EC2Client): Promise<{ readonly name: string; readonly imageId: string }> {
  const images = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['al2023-ami-2023*x86_64'] }] }));
  const image = images.Images?.find((i) => i.Name && i.ImageId);
  if (!image) throw new Error('moto has no al2023 AMI');
  return { name: image.Name!, imageId: image.ImageId! };
}

/** Launches `count` t3.micro instances, tagged with `tags`; their ids in launch order. */
export async function launchInstances(clients: AwsClients, count: number, tags: Tag[] = []): Promise<string[]> {
  const out = await clients.ec2.send(
    new RunInstancesCommand({
      ImageId: await emulatorImageId(clients),
      InstanceType: 't3.micro',
      MinCount: count,
      MaxCount: count,
      ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
    }),
  );
  return out.Instances!.map((i) => i.InstanceId!);
}

/** The state name of each instance, in the order asked (`unknown` for an id EC2 does not list). */
export async function instanceStatesOf(clients: AwsClients, ids: readonly string[]): Promise<string[]> {
  const out = await clients.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [...ids] }] }));
  const byId = new Map(out.Reservations!.flatMap((r) => r.Instances!).map((i) => [i.InstanceId, i.State?.Name]));
  return ids.map((id) => byId.get(id) ?? 'unknown');
}
