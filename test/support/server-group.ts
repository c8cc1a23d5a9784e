/**
 * Server groups for tests, made directly in the emulator (not through Bosun): a launch template
 * (or, when asked, a launch configuration) and an Auto Scaling group in the default subnet,
 * under a fresh name unless the test names it.
 */
import type { CreateLaunchConfigurationCommandInput } from '@aws-sdk/client-auto-scaling';
import {
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import type { RequestLaunchTemplateData } from '@aws-sdk/client-ec2';
import { CreateLaunchTemplateCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../activities';
import type { TestEnv } from '../harness';
import { ACCOUNT, REGION, testAwsClients, uniqueName } from '../harness';
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
  /** The test region unless told. */
  readonly region?: string;
  /** `${name}-lt` unless told (Bosun's own deploys name the template exactly like the group). */
  readonly launchTemplateName?: string;
  /** What the launch template holds: an emulator image on a t3.micro unless told. */
  readonly launchTemplateData?: RequestLaunchTemplateData;
  /**
   * Build the group from a launch configuration instead of a launch template (older groups
   * are): named `${name}-20240101000000` unless told, an emulator image on a t3.micro plus
   * these settings.
   */
  readonly launchConfiguration?: Partial<Omit<CreateLaunchConfigurationCommandInput, 'LaunchConfigurationName'>> & {
    readonly name?: string;
  };
};

export interface ServerGroupFixture {
  readonly name: string;
  /** Empty for a launch-configuration group. */
  readonly launchTemplateName: string;
  /** Empty for a launch-configuration group. */
  readonly launchTemplateId: string;
  /** Only for a launch-configuration group. */
  readonly launchConfigurationName?: string | undefined;
  readonly subnet: string;
  readonly instanceIds: string[];
}

/** Creates the group (1/1/1 unless told) and answers what tests check against. */
export async function makeServerGroup(env: Pick<TestEnv, 'aws'>, opts: ServerGroupFixtureOptions): Promise<ServerGroupFixture> {
  const clients = testAwsClients(env.aws, opts.region);
  const name = 'name' in opts ? opts.name : `${uniqueName(opts.prefix)}${opts.suffix ?? '-v001'}`;
  const lc = opts.launchConfiguration;
  const launchConfigurationName = lc ? (lc.name ?? `${name}-20240101000000`) : undefined;
  let launchTemplateName = '';
  let launchTemplateId = '';
  if (lc) {
    const { name: _name, ...settings } = lc;
    await clients.autoScaling.send(
      new CreateLaunchConfigurationCommand({
        ImageId: await emulatorImageId(clients),
        InstanceType: 't3.micro',
        ...settings,
        LaunchConfigurationName: launchConfigurationName,
      }),
    );
  } else {
    launchTemplateName = opts.launchTemplateName ?? `${name}-lt`;
    const lt = await clients.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: launchTemplateName,
        LaunchTemplateData: opts.launchTemplateData ?? { ImageId: await emulatorImageId(clients), InstanceType: 't3.micro' },
      }),
    );
    launchTemplateId = lt.LaunchTemplate!.LaunchTemplateId!;
  }
  const subnet = await defaultSubnet(clients);
  const min = opts.min ?? 1;
  await clients.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      ...(launchConfigurationName
        ? { LaunchConfigurationName: launchConfigurationName }
        : { LaunchTemplate: { LaunchTemplateName: launchTemplateName, Version: '$Latest' } }),
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
    launchTemplateId,
    launchConfigurationName,
    subnet,
    instanceIds: (group.Instances ?? []).map((i) => i.InstanceId!),
  };
}

/** The processes suspended on a group, sorted. */
export async function suspendedProcessesOf(clients: AwsClients, name: string): Promise<string[]> {
  const out = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return (out.AutoScalingGroups?.[0]?.SuspendedProcesses ?? []).map((p) => p.ProcessName!).sort();
}

/** Groups in the test account and region as an operation on a list of groups (`asgs`) names them. */
export const asgsRef = (...serverGroupNames: string[]) => ({
  credentials: ACCOUNT,
  asgs: serverGroupNames.map((serverGroupName) => ({ serverGroupName, region: REGION })),
});

/**
 * One resizeServerGroup of `serverGroupName` in the test account and region to `capacity`, with
 * `more` fields besides (a capacity constraint, a wait timeout).
 */
export function resizeOps(serverGroupName: string, capacity: Record<string, number>, more: Record<string, unknown> = {}) {
  return [{ resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName, capacity, ...more } }];
}

async function defaultSubnet(clients: AwsClients): Promise<string> {
  const subnets = await clients.ec2.send(new DescribeSubnetsCommand({}));
  const subnet = subnets.Subnets?.find((s) => s.DefaultForAz)?.SubnetId ?? subnets.Subnets?.[0]?.SubnetId;
  if (!subnet) throw new Error('the emulator lists no subnet');
  return subnet;
}
