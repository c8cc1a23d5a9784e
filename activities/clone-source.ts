/**
 * What cloneServerGroup starts from: the source group's settings, read from the group and the
 * launch template version or launch configuration it runs, in deploy terms (what Clouddriver's
 * CopyLastAsgAtomicOperation reads).
 */
import { DescribeLifecycleHooksCommand } from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchConfigurationsCommand } from '@aws-sdk/client-auto-scaling';
import type { ResponseLaunchTemplateData } from '@aws-sdk/client-ec2';
import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { parseServerGroupName } from '../domain/frigga';
import type { DeployDescription, LifecycleHookSpec } from '../domain/operations/schemas/create-server-group';
import {
  blockDevicesFromLaunchConfiguration,
  blockDevicesFromLaunchTemplate,
  mixedInstancesFromPolicy,
} from '../domain/launch-template-data';
import type { SourceLaunchSettings } from '../domain/launch-settings';
import { CREATED_BY_TAG } from '../domain/task';
import type { AwsClients } from './aws-clients';
import { awsCall } from './aws-errors';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';

/**
 * What a clone starts from: the source group's settings, in deploy terms (the deploy
 * description's own fields where they mean the same).
 */
export interface CloneSource extends Pick<
  DeployDescription,
  | 'application'
  | 'stack'
  | 'detail'
  | 'imageId'
  | 'keyPair'
  | 'securityGroups'
  | 'iamRole'
  | 'base64UserData'
  | 'instanceMonitoring'
  | 'ebsOptimized'
  | 'loadBalancers'
  | 'tags'
  | 'suspendedProcesses'
  | 'healthCheckType'
  | 'healthCheckGracePeriod'
  | 'cooldown'
  | 'capacityRebalance'
> {
  readonly region: string;
  readonly zones: readonly string[];
  readonly subnetIds: readonly string[];
  readonly capacity: { min: number; max: number; desired: number };
  readonly instanceType?: string | undefined;
  readonly targetGroupArns: readonly string[];
  readonly terminationPolicies: readonly string[];
  readonly enabledMetrics: readonly string[];
  /** Without their names: the clone's hooks are named after the clone, as in CopyLastAsgAtomicOperation. */
  readonly lifecycleHooks: readonly LifecycleHookSpec[];
  /** Launch-template and purchase settings; absent in results recorded before Bosun read them. */
  readonly launch?: SourceLaunchSettings | undefined;
}

/** The launch settings of a source group, from whichever of the three it runs on. */
type LaunchSource = Pick<
  CloneSource,
  'imageId' | 'instanceType' | 'keyPair' | 'securityGroups' | 'iamRole' | 'base64UserData' | 'instanceMonitoring' | 'ebsOptimized'
> & { readonly launch: SourceLaunchSettings };

/** AWS answers "" for an unset kernel, ramdisk or key of a launch configuration. */
const orUndefined = (v: string | undefined) => (v ? v : undefined);

function fromLaunchTemplate(data: ResponseLaunchTemplateData, g: AutoScalingGroup): LaunchSource {
  const mip = g.MixedInstancesPolicy;
  const nics = data.NetworkInterfaces ?? [];
  // The primary interface is where Clouddriver keeps a template's security groups.
  const primary = nics.find((n) => n.DeviceIndex === 0);
  return {
    imageId: data.ImageId,
    instanceType: data.InstanceType,
    keyPair: orUndefined(data.KeyName),
    securityGroups: primary ? (primary.Groups ?? []) : (data.SecurityGroupIds ?? data.SecurityGroups ?? []),
    iamRole: data.IamInstanceProfile?.Name ?? data.IamInstanceProfile?.Arn,
    base64UserData: data.UserData,
    instanceMonitoring: data.Monitoring?.Enabled,
    ebsOptimized: data.EbsOptimized,
    launch: {
      kind: mip ? 'mixedInstances' : 'launchTemplate',
      blockDevices: blockDevicesFromLaunchTemplate(data.BlockDeviceMappings ?? []),
      requireIMDSv2: data.MetadataOptions?.HttpTokens === 'required',
      enableEnclave: data.EnclaveOptions?.Enabled,
      associatePublicIpAddress: nics.some((n) => n.AssociatePublicIpAddress === true) ? true : undefined,
      associateIPv6Address: primary ? (primary.Ipv6AddressCount ?? 0) > 0 : undefined,
      // A mixed group's spot price is in its distribution, a single-type group's in the template.
      spotPrice: mip ? mip.InstancesDistribution?.SpotMaxPrice : data.InstanceMarketOptions?.SpotOptions?.MaxPrice,
      cpuCredits: data.CreditSpecification?.CpuCredits,
      kernelId: orUndefined(data.KernelId),
      ramdiskId: orUndefined(data.RamDiskId),
      mixed: mip ? mixedInstancesFromPolicy(mip) : undefined,
    },
  };
}

async function fromLaunchConfiguration(c: AwsClients, name: string): Promise<LaunchSource | undefined> {
  const out = await awsCall(`DescribeLaunchConfigurations ${name}`, () =>
    c.autoScaling.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [name] })),
  );
  const lc = out.LaunchConfigurations?.[0];
  if (!lc) return undefined;
  return {
    imageId: lc.ImageId,
    instanceType: lc.InstanceType,
    keyPair: orUndefined(lc.KeyName),
    securityGroups: lc.SecurityGroups ?? [],
    iamRole: orUndefined(lc.IamInstanceProfile),
    base64UserData: orUndefined(lc.UserData),
    instanceMonitoring: lc.InstanceMonitoring?.Enabled,
    ebsOptimized: lc.EbsOptimized,
    launch: {
      kind: 'launchConfiguration',
      requireIMDSv2: lc.MetadataOptions?.HttpTokens === 'required',
      blockDevices: blockDevicesFromLaunchConfiguration(lc.BlockDeviceMappings ?? []),
      associatePublicIpAddress: lc.AssociatePublicIpAddress,
      spotPrice: orUndefined(lc.SpotPrice),
      kernelId: orUndefined(lc.KernelId),
      ramdiskId: orUndefined(lc.RamdiskId),
    },
  };
}

/** Tags Bosun never copies from a source group: AWS's own, and Bosun's ownership marker. */
const NOT_COPIED = (key: string) => key.startsWith('aws:') || key === CREATED_BY_TAG;

/** The clone activity that reads a source group's settings. */
export function createCloneSourceActivities({ aws }: ActivityDeps) {
  return {
    /** The settings of a group to clone, from the group and the launch template version it uses. */
    async describeCloneSource(input: { account: string; region: string; serverGroupName: string }): Promise<CloneSource | null> {
      const c = aws.clientsFor(input.account, input.region);
      // A source that is being deleted is gone: its clone would copy a group on its way out.
      const found = await describeOneServerGroup(c.autoScaling, input);
      if (!found || found.deleting) return null;
      const g = found.group;
      const name = parseServerGroupName(input.serverGroupName);
      const lt = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      let source: LaunchSource | undefined;
      if (lt?.LaunchTemplateId || lt?.LaunchTemplateName) {
        const out = await awsCall(`DescribeLaunchTemplateVersions of ${input.serverGroupName}`, () =>
          c.ec2.send(
            new DescribeLaunchTemplateVersionsCommand({
              ...(lt.LaunchTemplateId ? { LaunchTemplateId: lt.LaunchTemplateId } : { LaunchTemplateName: lt.LaunchTemplateName }),
              Versions: [lt.Version ?? '$Default'],
            }),
          ),
        );
        source = fromLaunchTemplate(out.LaunchTemplateVersions?.[0]?.LaunchTemplateData ?? {}, g);
      } else if (g.LaunchConfigurationName) {
        source = await fromLaunchConfiguration(c, g.LaunchConfigurationName);
      }
      const hooks = await awsCall(`DescribeLifecycleHooks of ${input.serverGroupName}`, () =>
        c.autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: input.serverGroupName })),
      );
      const lifecycleHooks = (hooks.LifecycleHooks ?? []).flatMap((h): LifecycleHookSpec[] =>
        h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_LAUNCHING' || h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING'
          ? [
              {
                lifecycleTransition: h.LifecycleTransition,
                roleARN: h.RoleARN,
                notificationTargetARN: h.NotificationTargetARN,
                notificationMetadata: h.NotificationMetadata,
                heartbeatTimeout: h.HeartbeatTimeout,
                defaultResult: h.DefaultResult === 'ABANDON' ? 'ABANDON' : h.DefaultResult === 'CONTINUE' ? 'CONTINUE' : undefined,
              },
            ]
          : [],
      );
      const tags = Object.fromEntries((g.Tags ?? []).filter((t) => t.Key && !NOT_COPIED(t.Key)).map((t) => [t.Key!, t.Value ?? '']));
      return {
        application: name?.app ?? input.serverGroupName,
        stack: name?.stack,
        detail: name?.detail,
        region: input.region,
        zones: g.AvailabilityZones ?? [],
        subnetIds: (g.VPCZoneIdentifier ?? '').split(',').filter(Boolean),
        capacity: { min: g.MinSize ?? 0, max: g.MaxSize ?? 0, desired: g.DesiredCapacity ?? 0 },
        imageId: source?.imageId,
        instanceType: source?.instanceType,
        keyPair: source?.keyPair,
        securityGroups: source?.securityGroups ?? [],
        iamRole: source?.iamRole,
        base64UserData: source?.base64UserData,
        instanceMonitoring: source?.instanceMonitoring,
        ebsOptimized: source?.ebsOptimized,
        launch: source?.launch ?? { kind: 'none' },
        targetGroupArns: g.TargetGroupARNs ?? [],
        loadBalancers: g.LoadBalancerNames ?? [],
        tags,
        suspendedProcesses: (g.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? '').filter(Boolean),
        healthCheckType: g.HealthCheckType === 'ELB' || g.HealthCheckType === 'EC2' ? g.HealthCheckType : undefined,
        healthCheckGracePeriod: g.HealthCheckGracePeriod,
        cooldown: g.DefaultCooldown,
        terminationPolicies: g.TerminationPolicies ?? [],
        capacityRebalance: g.CapacityRebalance,
        enabledMetrics: (g.EnabledMetrics ?? []).map((m) => m.Metric ?? '').filter(Boolean),
        lifecycleHooks,
      };
    },
  };
}
