/**
 * A demo server group in the emulator, so the example request `npm start` prints has something
 * to resize; the benchmarks make their groups with it too. It leaves a group that exists alone,
 * since both run again and again against the same emulator. Tests make theirs with
 * test/support/server-group.ts.
 */
import { CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import type { AwsClients } from '../activities';

/** The application `npm start` onboards and the group its printed request resizes. */
export const DEMO_APP = 'bosundemo';
export const DEMO_GROUP = `${DEMO_APP}-main-v001`;

/** The request `npm start` prints (and CI's smoke sends): resize the demo group the way Orca does. */
export function demoRequest(where: { account: string; region: string }): unknown[] {
  return [
    {
      resizeServerGroup: {
        credentials: where.account,
        region: where.region,
        serverGroupName: DEMO_GROUP,
        capacity: { min: 2, max: 4, desired: 3 },
      },
    },
  ];
}

export interface DemoGroupOptions {
  readonly name: string;
  readonly region: string;
  readonly min?: number;
  readonly max?: number;
  readonly desired?: number;
}

/** Creates a launch template and an Auto Scaling group in the emulator, unless they exist. */
export async function ensureEmulatorServerGroup(clients: AwsClients, opts: DemoGroupOptions): Promise<void> {
  const existing = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [opts.name] }));
  if ((existing.AutoScalingGroups ?? []).length > 0) return;
  const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }));
  const imageId = images.Images?.[0]?.ImageId;
  if (!imageId) throw new Error(`the emulator has no AMI in ${opts.region}`);
  const ltName = `${opts.name}-lt`;
  const lts = await clients.ec2
    .send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [ltName] }))
    .catch(() => ({ LaunchTemplates: [] }));
  if ((lts.LaunchTemplates ?? []).length === 0) {
    await clients.ec2.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: ltName, LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.micro' } }),
    );
  }
  const subnets = await clients.ec2.send(new DescribeSubnetsCommand({}));
  const subnet = subnets.Subnets?.find((s) => s.DefaultForAz)?.SubnetId ?? subnets.Subnets?.[0]?.SubnetId;
  await clients.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: opts.name,
      LaunchTemplate: { LaunchTemplateName: ltName, Version: '$Latest' },
      MinSize: opts.min ?? 1,
      MaxSize: opts.max ?? 1,
      DesiredCapacity: opts.desired ?? opts.min ?? 1,
      ...(subnet ? { VPCZoneIdentifier: subnet } : { AvailabilityZones: [`${opts.region}a`] }),
    }),
  );
}
