/**
 * Launch configurations of the groups that still run one: read, create the next, point the
 * group at it, delete. Each call describes first, so a repeated attempt finds its work done.
 * Launch configurations carry no tags, so a configuration is recognised by its name (which the
 * workflow derives from its own clock) and its settings.
 */
import type { AutoScalingClient, BlockDeviceMapping, LaunchConfiguration } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchConfigurationCommand,
  DeleteLaunchConfigurationCommand,
  DescribeLaunchConfigurationsCommand,
  DisableMetricsCollectionCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type { BlockDevice, LaunchConfigurationSettings } from '../domain/launch-configurations';
import { sameLaunchConfigurationSettings } from '../domain/launch-configurations';
import { awsCall, hasAwsCode, isAwsNotFound } from './aws-errors';
import { resolveSecurityGroupIds, vpcOfSubnets } from './security-groups';
import type { ServerGroupRef } from './server-group';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';

export interface LaunchConfigurationRef {
  readonly account: string;
  readonly region: string;
  readonly launchConfigurationName: string;
}

export interface GroupLaunchConfigurationInput extends ServerGroupRef {
  readonly launchConfigurationName: string;
}

export interface CreateLaunchConfigurationInput extends GroupLaunchConfigurationInput {
  readonly settings: LaunchConfigurationSettings;
}

export interface PointAtLaunchConfigurationInput extends GroupLaunchConfigurationInput {
  /** Only if the group still runs this one (the undo of a swap must not undo a later one). */
  readonly onlyIfCurrent?: string | undefined;
}

export interface ResolveSecurityGroupsInput extends ServerGroupRef {
  readonly securityGroups: readonly string[];
}

export interface DeleteLaunchConfigurationResult {
  /** `inUse`: another group still runs it, and AWS keeps it. */
  readonly outcome: 'deleted' | 'notFound' | 'inUse';
}

/** Activities on launch configurations (updateLaunchConfig, and destroy's cleanup). */
export function createLaunchConfigurationActivities({ aws }: ActivityDeps) {
  return {
    /** The configuration's settings; null when it does not exist. */
    async describeLaunchConfiguration(input: LaunchConfigurationRef): Promise<LaunchConfigurationSettings | null> {
      const lc = await describeOne(aws.clientsFor(input.account, input.region).autoScaling, input);
      return lc ? settingsOf(lc) : null;
    },

    /**
     * Security groups named for the group (names or ids) as ids of its VPC, as Clouddriver's
     * SecurityGroupService resolves them; names not found there fail the task by name.
     */
    async resolveServerGroupSecurityGroups(input: ResolveSecurityGroupsInput): Promise<{ securityGroupIds: string[] }> {
      const { autoScaling, ec2 } = aws.clientsFor(input.account, input.region);
      if (input.securityGroups.every((g) => g.startsWith('sg-'))) return { securityGroupIds: [...new Set(input.securityGroups)] };
      const found = await describeOneServerGroup(autoScaling, input);
      const vpcId = await vpcOfSubnets(ec2, input.region, found?.group.VPCZoneIdentifier);
      return { securityGroupIds: await resolveSecurityGroupIds(ec2, { ...input, vpcId }, input.securityGroups) };
    },

    /**
     * Creates the configuration, or adopts one of that name with the same settings (an earlier
     * attempt of this step); one of that name with other settings is someone else's, and fails.
     */
    async createLaunchConfiguration(input: CreateLaunchConfigurationInput): Promise<{ adopted: boolean }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const adopt = async (): Promise<{ adopted: boolean } | null> => {
        const existing = await describeOne(autoScaling, input);
        if (!existing) return null;
        if (sameLaunchConfigurationSettings(settingsOf(existing), input.settings)) return { adopted: true };
        throw ApplicationFailure.nonRetryable(
          `launch configuration ${input.launchConfigurationName} already exists in ${input.region} with other settings; ` +
            `${input.serverGroupName} was not changed`,
          FailureType.LaunchConfigurationConflict,
        );
      };
      const before = await adopt();
      if (before) return before;
      const s = input.settings;
      try {
        await awsCall(`CreateLaunchConfiguration ${input.launchConfigurationName} for ${input.serverGroupName} in ${input.region}`, () =>
          autoScaling.send(
            new CreateLaunchConfigurationCommand({
              LaunchConfigurationName: input.launchConfigurationName,
              ImageId: s.imageId,
              InstanceType: s.instanceType,
              KeyName: s.keyPair,
              SecurityGroups: [...s.securityGroups],
              IamInstanceProfile: s.iamRole,
              UserData: s.base64UserData,
              InstanceMonitoring: { Enabled: s.instanceMonitoring },
              EbsOptimized: s.ebsOptimized,
              AssociatePublicIpAddress: s.associatePublicIpAddress,
              SpotPrice: s.spotPrice,
              KernelId: s.kernelId,
              RamdiskId: s.ramdiskId,
              BlockDeviceMappings: s.blockDevices.length > 0 ? s.blockDevices.map(mappingOf) : undefined,
              MetadataOptions: s.metadataOptions
                ? {
                    HttpTokens: s.metadataOptions.httpTokens as 'required' | 'optional' | undefined,
                    HttpPutResponseHopLimit: s.metadataOptions.httpPutResponseHopLimit,
                    HttpEndpoint: s.metadataOptions.httpEndpoint as 'enabled' | 'disabled' | undefined,
                  }
                : undefined,
              PlacementTenancy: s.placementTenancy,
            }),
          ),
        );
      } catch (err) {
        // An earlier attempt whose answer was lost.
        if (hasAwsCode(err, 'AlreadyExists', 'AlreadyExistsFault')) {
          const after = await adopt();
          if (after) return after;
        }
        throw err;
      }
      return { adopted: false };
    },

    /** Points the group at the configuration; a group already on it is left alone. */
    async pointServerGroupAtLaunchConfiguration(
      input: PointAtLaunchConfigurationInput,
    ): Promise<{ changed: boolean; previous?: string | undefined }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const found = await describeOneServerGroup(autoScaling, input);
      if (!found || found.deleting) {
        throw ApplicationFailure.nonRetryable(
          `server group ${input.serverGroupName} not found in ${input.region} (${input.account})`,
          FailureType.ServerGroupNotFound,
        );
      }
      const previous = found.group.LaunchConfigurationName;
      if (input.onlyIfCurrent !== undefined && previous !== input.onlyIfCurrent) return { changed: false, previous };
      if (previous === input.launchConfigurationName) return { changed: false, previous };
      await awsCall(`UpdateAutoScalingGroup ${input.serverGroupName} in ${input.region} to ${input.launchConfigurationName}`, () =>
        autoScaling.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: input.serverGroupName,
            LaunchConfigurationName: input.launchConfigurationName,
          }),
        ),
      );
      return { changed: true, previous };
    },

    /**
     * Turns off the group's metrics collection, as Clouddriver does when detailed monitoring
     * goes from on to off. Only when some metric is on (moto does not implement the call).
     */
    async disableServerGroupMetricsCollection(input: ServerGroupRef): Promise<{ changed: boolean }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const found = await describeOneServerGroup(autoScaling, input);
      if (!found || (found.group.EnabledMetrics ?? []).length === 0) return { changed: false };
      await awsCall(`DisableMetricsCollection ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(new DisableMetricsCollectionCommand({ AutoScalingGroupName: input.serverGroupName })),
      );
      return { changed: true };
    },

    /**
     * Deletes the configuration. Gone is success; one another group still runs is kept (AWS
     * refuses with ResourceInUse), since it is not this group's alone.
     */
    async deleteLaunchConfiguration(input: GroupLaunchConfigurationInput): Promise<DeleteLaunchConfigurationResult> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      if (!(await describeOne(autoScaling, input))) return { outcome: 'notFound' };
      try {
        await awsCall(`DeleteLaunchConfiguration ${input.launchConfigurationName} of ${input.serverGroupName} in ${input.region}`, () =>
          autoScaling.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: input.launchConfigurationName })),
        );
      } catch (err) {
        if (isAwsNotFound(err, 'launchConfiguration')) return { outcome: 'notFound' };
        if (hasAwsCode(err, 'ResourceInUse', 'ResourceInUseFault')) return { outcome: 'inUse' };
        throw err;
      }
      return { outcome: 'deleted' };
    },
  };
}

async function describeOne(autoScaling: AutoScalingClient, ref: LaunchConfigurationRef): Promise<LaunchConfiguration | undefined> {
  const out = await awsCall(`DescribeLaunchConfigurations ${ref.launchConfigurationName} in ${ref.region}`, () =>
    autoScaling.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [ref.launchConfigurationName] })),
  );
  return out.LaunchConfigurations?.find((l) => l.LaunchConfigurationName === ref.launchConfigurationName);
}

/** DefaultLaunchConfigurationBuilder.buildSettingsFromLaunchConfiguration, with user data, metadata options and tenancy. */
function settingsOf(lc: LaunchConfiguration): LaunchConfigurationSettings {
  const m = lc.MetadataOptions;
  return {
    imageId: lc.ImageId ?? '',
    instanceType: lc.InstanceType ?? '',
    keyPair: lc.KeyName || undefined,
    securityGroups: lc.SecurityGroups ?? [],
    iamRole: lc.IamInstanceProfile || undefined,
    base64UserData: lc.UserData || undefined,
    instanceMonitoring: lc.InstanceMonitoring?.Enabled ?? false,
    ebsOptimized: lc.EbsOptimized,
    associatePublicIpAddress: lc.AssociatePublicIpAddress,
    spotPrice: lc.SpotPrice || undefined,
    kernelId: lc.KernelId || undefined,
    ramdiskId: lc.RamdiskId || undefined,
    blockDevices: (lc.BlockDeviceMappings ?? []).map(blockDeviceOf),
    metadataOptions:
      m && (m.HttpTokens || m.HttpPutResponseHopLimit !== undefined || m.HttpEndpoint)
        ? { httpTokens: m.HttpTokens, httpPutResponseHopLimit: m.HttpPutResponseHopLimit, httpEndpoint: m.HttpEndpoint }
        : undefined,
    placementTenancy: lc.PlacementTenancy || undefined,
  };
}

function blockDeviceOf(b: BlockDeviceMapping): BlockDevice {
  const e = b.Ebs;
  if (!e) return { deviceName: b.DeviceName ?? '', virtualName: b.VirtualName };
  return {
    deviceName: b.DeviceName ?? '',
    size: e.VolumeSize,
    volumeType: e.VolumeType,
    deleteOnTermination: e.DeleteOnTermination,
    iops: e.Iops,
    throughput: e.Throughput,
    snapshotId: e.SnapshotId,
    encrypted: e.Encrypted,
  };
}

/** DefaultLaunchConfigurationBuilder.createLaunchConfiguration's mapping: a virtual name, or EBS. */
function mappingOf(b: BlockDevice): BlockDeviceMapping {
  if (b.virtualName) return { DeviceName: b.deviceName, VirtualName: b.virtualName };
  return {
    DeviceName: b.deviceName,
    Ebs: {
      VolumeSize: b.size,
      VolumeType: b.volumeType,
      DeleteOnTermination: b.deleteOnTermination,
      Iops: b.iops,
      Throughput: b.throughput,
      SnapshotId: b.snapshotId,
      // Clouddriver sets it only when true.
      Encrypted: b.encrypted ? true : undefined,
    },
  };
}
