/**
 * Server groups for tests, made directly in the emulator (not through Bosun): a launch template
 * and an Auto Scaling group in the default subnet, under a fresh name unless the test names it.
 */
import { CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { RequestLaunchTemplateData } from '@aws-sdk/client-ec2';
import { CreateLaunchTemplateCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../activities';
import type { TestEnv } from '../harness';
import { testAwsClients, uniqueName } from '../harness';
import { emulatorImageId } from './instances';

export type ServerGroupFixtureOptions = (
  | {
      /** The name starts with this and a unique part, then `suffix`. */
      readonly prefix: string;
      /** `-v001` unless told. */
      readonly suffix?: string;
    }
  | { readonly name: string }
) & {
  readonly min?: number;
  readonly max?: number;
  /** `min` unless told. */
  readonly desired?: number;
  /** `${name}-lt` unless told (Bosun's own deploys name the template exactly like the group). */
  readonly launchTemplateName?: string;
  /** What the launch template holds: an emulator image on a t3.micro unless told. */
  readonly launchTemplateData?: RequestLaunchTemplateData;
};

export interface ServerGroupFixture {
  readonly name: string;
  readonly launchTemplateName: string;
  readonly launchTemplateId: string;
  readonly subnet: string;
  readonly instanceIds: string[];
}

/** Creates the group (1/1/1 unless told) and answers what tests check against. */
export async function makeServerGroup(env: Pick<TestEnv, 'aws'>, opts: ServerGroupFixtureOptions): Promise<ServerGroupFixture> {
  const clients = testAwsClients(env.aws);
  const name = 'name' in opts ? opts.name : `${uniqueName(opts.prefix)}${opts.suffix ?? '-v001'}`;
  const launchTemplateName = opts.launchTemplateName ?? `${name}-lt`;
  const lt = await clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: launchTemplateName,
      LaunchTemplateData: opts.launchTemplateData ?? { ImageId: await emulatorImageId(clients), InstanceType: 't3.micro' },
    }),
  );
  const subnet = await defaultSubnet(clients);
  const min = opts.min ?? 1;
  await clients.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: launchTemplateName, Version: '$Latest' },
      MinSize: min,
      MaxSize: opts.max ?? 1,
      DesiredCapacity: opts.desired ?? min,
      VPCZoneIdentifier: subnet,
    }),
  );
  const group = (await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
    .AutoScalingGroups![0]!;
  return {
    name,
    launchTemplateName,
    launchTemplateId: lt.LaunchTemplate!.LaunchTemplateId!,
    subnet,
    instanceIds: (group.Instances ?? []).map((i) => i.InstanceId!),
  };
}

/** The processes suspended on a group, sorted. */
export async function suspendedProcessesOf(clients: AwsClients, name: string): Promise<string[]> {
  const out = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return (out.AutoScalingGroups?.[0]?.SuspendedProcesses ?? []).map((p) => p.ProcessName!).sort();
}

async function defaultSubnet(clients: AwsClients): Promise<string> {
  const subnets = await clients.ec2.send(new DescribeSubnetsCommand({}));
  const subnet = subnets.Subnets?.find((s) => s.DefaultForAz)?.SubnetId ?? subnets.Subnets?.[0]?.SubnetId;
  if (!subnet) throw new Error('the emulator lists no subnet');
  return subnet;
}
