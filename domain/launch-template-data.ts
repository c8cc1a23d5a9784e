/**
 * A deploy's EC2 launch template data and Auto Scaling MixedInstancesPolicy, built as Clouddriver's
 * LaunchTemplateService.buildLaunchTemplateData and AsgWithMixedInstancesPolicyBuilder build them,
 * and the reverse: a source's block devices (launch template, launch configuration, AMI) in
 * Clouddriver's AmazonBlockDevice terms (AsgConfigHelper). Pure; AWS types only.
 */
import type { BlockDeviceMapping as AsgBlockDeviceMapping, MixedInstancesPolicy } from '@aws-sdk/client-auto-scaling';
import type {
  _InstanceType,
  BlockDeviceMapping as Ec2BlockDeviceMapping,
  LaunchTemplateBlockDeviceMapping,
  LaunchTemplateBlockDeviceMappingRequest,
  RequestLaunchTemplateData,
  VolumeType,
} from '@aws-sdk/client-ec2';
import { parseServerGroupName } from './frigga';
import { allBurstable, defaultBlockDevicesFor, defaultEbsOptimized } from './instance-types';
import type { BlockDevice, LaunchSettings, MixedInstances } from './launch-settings';
import { spotPriceOf, usesMixedInstancesPolicy } from './launch-settings';

/** Everything a deploy's launch template is built from. */
export interface LaunchTemplateSpec {
  /** The group the template is for: its application and cluster tag the instances' volumes. */
  readonly serverGroupName?: string | undefined;
  readonly imageId: string;
  readonly instanceType: string;
  readonly keyPair?: string | undefined;
  readonly securityGroupIds: readonly string[];
  readonly iamRole?: string | undefined;
  readonly base64UserData?: string | undefined;
  readonly instanceMonitoring?: boolean | undefined;
  readonly ebsOptimized?: boolean | undefined;
  readonly launch: LaunchSettings;
  /** The AMI's own devices, read when `useAmiBlockDeviceMappings` is set. */
  readonly amiBlockDevices?: readonly BlockDevice[] | undefined;
}

/** The devices the template gets: the AMI's, the ones given, or the instance type's defaults. */
export function blockDevicesOf(spec: LaunchTemplateSpec): readonly BlockDevice[] {
  if (spec.launch.useAmiBlockDeviceMappings) return spec.amiBlockDevices ?? [];
  // The top-level type decides the defaults, also for a mixed-instances group (Clouddriver does the same).
  return spec.launch.blockDevices ?? defaultBlockDevicesFor(spec.instanceType);
}

/**
 * The launch template data. Security groups sit on the primary network interface, with the
 * public and IPv6 address choices, as in Clouddriver; market options only for a single-type
 * group (a mixed group takes its spot price in the instances distribution).
 */
export function launchTemplateDataOf(spec: LaunchTemplateSpec): RequestLaunchTemplateData {
  const l = spec.launch;
  const spotPrice = spotPriceOf(l);
  const allowedTypes = l.launchTemplateOverridesForInstanceType?.length
    ? l.launchTemplateOverridesForInstanceType.map((o) => o.instanceType)
    : [spec.instanceType];
  // Clouddriver's default: standard credits when every type is burstable, AWS's default otherwise.
  const unlimitedCpuCredits = l.unlimitedCpuCredits ?? (allBurstable(allowedTypes) ? false : undefined);
  const devices = blockDevicesOf(spec);
  const iamRole = spec.iamRole;
  return {
    ImageId: spec.imageId,
    InstanceType: spec.instanceType as _InstanceType,
    ...(l.kernelId ? { KernelId: l.kernelId } : {}),
    ...(l.ramdiskId ? { RamDiskId: l.ramdiskId } : {}),
    EbsOptimized: spec.ebsOptimized ?? defaultEbsOptimized(spec.instanceType),
    ...(spec.keyPair ? { KeyName: spec.keyPair } : {}),
    // A launch configuration may name its profile by ARN; a template takes that as Arn, not Name.
    ...(iamRole ? { IamInstanceProfile: iamRole.startsWith('arn:') ? { Arn: iamRole } : { Name: iamRole } } : {}),
    ...(spec.instanceMonitoring !== undefined ? { Monitoring: { Enabled: spec.instanceMonitoring } } : {}),
    ...(l.placement
      ? {
          Placement: dropUndefined({
            Affinity: l.placement.affinity,
            AvailabilityZone: l.placement.availabilityZone,
            GroupName: l.placement.groupName,
            HostId: l.placement.hostId,
            Tenancy: l.placement.tenancy,
            HostResourceGroupArn: l.placement.hostResourceGroupArn,
            PartitionNumber: l.placement.partitionNumber,
            SpreadDomain: l.placement.spreadDomain,
          }),
        }
      : {}),
    ...(l.licenseSpecifications ? { LicenseSpecifications: l.licenseSpecifications.map((x) => ({ LicenseConfigurationArn: x.arn })) } : {}),
    ...(spec.base64UserData ? { UserData: spec.base64UserData } : {}),
    ...(l.requireIMDSv2 ? { MetadataOptions: { HttpTokens: 'required' as const } } : {}),
    ...(spotPrice !== undefined && !usesMixedInstancesPolicy(l)
      ? { InstanceMarketOptions: { MarketType: 'spot' as const, SpotOptions: { MaxPrice: spotPrice } } }
      : {}),
    ...(unlimitedCpuCredits !== undefined ? { CreditSpecification: { CpuCredits: unlimitedCpuCredits ? 'unlimited' : 'standard' } } : {}),
    NetworkInterfaces: [
      {
        ...(l.associatePublicIpAddress !== undefined ? { AssociatePublicIpAddress: l.associatePublicIpAddress } : {}),
        // Clouddriver turns IPv6 on by default only where its dynamic config says so; that config is not Bosun's.
        Ipv6AddressCount: l.associateIPv6Address ? 1 : 0,
        ...(spec.securityGroupIds.length ? { Groups: [...spec.securityGroupIds] } : {}),
        DeviceIndex: 0,
      },
    ],
    ...(l.enableEnclave !== undefined ? { EnclaveOptions: { Enabled: l.enableEnclave } } : {}),
    ...(devices.length ? { BlockDeviceMappings: devices.map(deviceMappingOf) } : {}),
    ...volumeTagsOf(spec),
  };
}

/**
 * Clouddriver's DefaultAmazonResourceTagger (on unless `aws.defaults.resourceTagging.enabled` is
 * false): the volumes carry `spinnaker:application` and `spinnaker:cluster`, plus the request's
 * `blockDeviceTags` without AWS's reserved `aws:` keys (BasicAmazonDeployHandler.cleanTags).
 */
function volumeTagsOf(spec: LaunchTemplateSpec): Pick<RequestLaunchTemplateData, 'TagSpecifications'> {
  const name = spec.serverGroupName !== undefined ? parseServerGroupName(spec.serverGroupName) : undefined;
  if (!name) return {};
  const tags: Record<string, string> = { 'spinnaker:application': name.app, 'spinnaker:cluster': name.cluster };
  for (const [k, v] of Object.entries(spec.launch.blockDeviceTags ?? {})) if (!k.startsWith('aws:')) tags[k] = v;
  return { TagSpecifications: [{ ResourceType: 'volume', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] };
}

function deviceMappingOf(d: BlockDevice): LaunchTemplateBlockDeviceMappingRequest {
  if (d.virtualName !== undefined) return { DeviceName: d.deviceName, VirtualName: d.virtualName };
  const ebs = dropUndefined({
    VolumeSize: d.size,
    DeleteOnTermination: d.deleteOnTermination,
    VolumeType: d.volumeType as VolumeType | undefined,
    Iops: d.iops,
    Throughput: d.throughput,
    SnapshotId: d.snapshotId,
    Encrypted: d.encrypted,
    KmsKeyId: d.kmsKeyId,
  });
  return { DeviceName: d.deviceName, ...(Object.keys(ebs).length ? { Ebs: ebs } : {}) };
}

/** The group's MixedInstancesPolicy on its launch template (Clouddriver points it at `$Latest`). */
export function mixedInstancesPolicyOf(m: MixedInstances, launchTemplateId: string): MixedInstancesPolicy {
  return {
    LaunchTemplate: {
      LaunchTemplateSpecification: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
      ...(m.overrides?.length
        ? {
            Overrides: m.overrides.map((o) => ({
              InstanceType: o.instanceType,
              ...(o.weightedCapacity !== undefined ? { WeightedCapacity: o.weightedCapacity } : {}),
            })),
          }
        : {}),
    },
    InstancesDistribution: dropUndefined({
      OnDemandAllocationStrategy: m.onDemandAllocationStrategy,
      OnDemandBaseCapacity: m.onDemandBaseCapacity,
      OnDemandPercentageAboveBaseCapacity: m.onDemandPercentageAboveBaseCapacity,
      SpotAllocationStrategy: m.spotAllocationStrategy,
      SpotInstancePools: m.spotInstancePools,
      SpotMaxPrice: m.spotMaxPrice,
    }),
  };
}

/** A group's policy back in deploy terms (overrides in the group's order). */
export function mixedInstancesFromPolicy(p: MixedInstancesPolicy): MixedInstances {
  const d = p.InstancesDistribution ?? {};
  return dropUndefined({
    overrides: (p.LaunchTemplate?.Overrides ?? [])
      .filter((o) => o.InstanceType)
      .map((o) => dropUndefined({ instanceType: o.InstanceType!, weightedCapacity: o.WeightedCapacity })),
    onDemandAllocationStrategy: d.OnDemandAllocationStrategy,
    onDemandBaseCapacity: d.OnDemandBaseCapacity,
    onDemandPercentageAboveBaseCapacity: d.OnDemandPercentageAboveBaseCapacity,
    spotAllocationStrategy: d.SpotAllocationStrategy,
    spotInstancePools: d.SpotInstancePools,
    spotMaxPrice: d.SpotMaxPrice,
  });
}

/** What a launch template version's and a launch configuration's device mappings share. */
interface StoredDeviceMapping {
  readonly DeviceName?: string | undefined;
  readonly VirtualName?: string | undefined;
  readonly Ebs?:
    | {
        readonly Iops?: number | undefined;
        readonly Throughput?: number | undefined;
        readonly DeleteOnTermination?: boolean | undefined;
        readonly VolumeSize?: number | undefined;
        readonly VolumeType?: string | undefined;
        readonly SnapshotId?: string | undefined;
        readonly Encrypted?: boolean | undefined;
      }
    | undefined;
}

/**
 * Device mappings as Clouddriver converts them: a launch template version's or a launch
 * configuration's (AsgConfigHelper.transformLaunchTemplateBlockDeviceMapping,
 * transformBlockDeviceMapping) keep the throughput and drop the KMS key id; an AMI's
 * (AsgConfigHelper.convertBlockDevices) keep the KMS key id and have no throughput. Encryption
 * only without a snapshot (AWS refuses both).
 */
function blockDevicesFromMappings(
  mappings: readonly (StoredDeviceMapping & { readonly Ebs?: { readonly KmsKeyId?: string | undefined } | undefined })[],
  from: 'stored' | 'image',
): BlockDevice[] {
  return mappings.map((m) =>
    dropUndefined({
      deviceName: m.DeviceName ?? '',
      virtualName: m.VirtualName,
      ...(m.Ebs
        ? {
            iops: m.Ebs.Iops,
            throughput: from === 'stored' ? m.Ebs.Throughput : undefined,
            deleteOnTermination: m.Ebs.DeleteOnTermination,
            size: m.Ebs.VolumeSize,
            volumeType: m.Ebs.VolumeType,
            snapshotId: m.Ebs.SnapshotId,
            kmsKeyId: from === 'image' ? m.Ebs.KmsKeyId : undefined,
            encrypted: m.Ebs.SnapshotId === undefined ? m.Ebs.Encrypted : undefined,
          }
        : {}),
    }),
  );
}

/** A launch template version's devices. */
export function blockDevicesFromLaunchTemplate(mappings: readonly LaunchTemplateBlockDeviceMapping[]): BlockDevice[] {
  return blockDevicesFromMappings(mappings, 'stored');
}

/** A launch configuration's devices. */
export function blockDevicesFromLaunchConfiguration(mappings: readonly AsgBlockDeviceMapping[]): BlockDevice[] {
  return blockDevicesFromMappings(mappings, 'stored');
}

/** An AMI's devices. */
export function blockDevicesFromImage(mappings: readonly Ec2BlockDeviceMapping[]): BlockDevice[] {
  return blockDevicesFromMappings(mappings, 'image');
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
