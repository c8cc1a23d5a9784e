import { z } from 'zod';
import type { BlockDevice, LaunchConfigurationChanges } from '../../launch-configurations';
import { formatLaunchConfigurationChanges } from '../../launch-configurations';
import type { LaunchUpdate } from './launch-update';
import { base64UserDataSchema, describeLaunchUpdate, instanceTypeSchema, postedChangesOf } from './launch-update';
import { ON_OBJECTS, applicationOf, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupsOf } from './common';

const text = (max: number) =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

/** Clouddriver's AmazonBlockDevice, with BasicAmazonDeployDescriptionValidator.BlockDeviceRules. */
const blockDeviceSchema = z
  .looseObject({
    deviceName: text(255).optional(),
    virtualName: text(255).optional(),
    size: z.number({ error: 'must be a number of GiB' }).int().min(1).optional(),
    volumeType: text(32).optional(),
    deleteOnTermination: z.boolean({ error: 'must be true or false' }).optional(),
    iops: z.number({ error: 'must be a number' }).int().min(0).optional(),
    throughput: z.number({ error: 'must be a number' }).int().min(0).optional(),
    snapshotId: text(64).optional(),
    encrypted: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.deviceName) ctx.addIssue({ code: 'custom', path: ['deviceName'], message: 'is required for a block device' });
    if (b.virtualName && (b.deleteOnTermination !== undefined || b.iops || b.size || b.snapshotId || b.volumeType)) {
      ctx.addIssue({
        code: 'custom',
        message: `ephemeral block device${b.deviceName ? ` ${b.deviceName}` : ''} must not carry EBS settings`,
      });
    }
    if (!b.virtualName && !b.size) ctx.addIssue({ code: 'custom', path: ['size'], message: 'is required for an EBS block device' });
  });

/**
 * Clouddriver's `ModifyAsgLaunchConfigurationDescription` (`updateLaunchConfig`,
 * `modifyAsgLaunchConfigurationDescription`): the group (`asgName` or `serverGroupName`, with
 * `region`) and the launch-configuration fields to change. Nothing to change is no error:
 * Clouddriver then reports that no change was required.
 */
export const updateLaunchConfigSchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    amiName: text(128).optional(),
    instanceType: instanceTypeSchema.optional(),
    subnetType: z.string().optional(),
    iamRole: text(1600).optional(),
    keyPair: text(255).optional(),
    associatePublicIpAddress: z.boolean({ error: 'must be true or false' }).optional(),
    // "" removes the spot price (Clouddriver's rule).
    spotPrice: z.string({ error: 'must be a price (a string) or "" to remove it' }).max(255).optional(),
    ramdiskId: text(64).optional(),
    instanceMonitoring: z.boolean({ error: 'must be true or false' }).optional(),
    ebsOptimized: z.boolean({ error: 'must be true or false' }).optional(),
    base64UserData: base64UserDataSchema.optional(),
    blockDevices: z.array(blockDeviceSchema).max(64, { error: 'must list at most 64 block devices' }).optional(),
    // Empty is refused: Clouddriver would then create and add the application's own security
    // group (DefaultLaunchConfigurationBuilder.setAppSecurityGroup), which Bosun does not do.
    securityGroups: z
      .array(text(255), { error: 'must be a list of security group names or ids' })
      .min(1, { error: 'must list at least one security group' })
      .max(64, { error: 'must list at most 64 security groups' })
      .optional(),
    securityGroupsAppendOnly: z.boolean({ error: 'must be true or false' }).optional(),
    copySourceCustomBlockDeviceMappings: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine(checkAccountAndTargets, ON_OBJECTS)
  .superRefine((d, ctx) => {
    // ModifyAsgLaunchConfigurationDescriptionValidator: a public address needs a subnet purpose.
    if (d.associatePublicIpAddress && !d.subnetType) {
      ctx.addIssue({
        code: 'custom',
        path: ['associatePublicIpAddress'],
        message: 'needs subnetType (the subnets the instances launch into)',
      });
    }
  }, ON_OBJECTS)
  .transform((d): UpdateLaunchConfig => ({
    ...serverGroupsOf(d),
    amiName: d.amiName,
    changes: {
      ...postedChangesOf(d),
      securityGroupsAppendOnly: d.securityGroupsAppendOnly,
      associatePublicIpAddress: d.associatePublicIpAddress,
      spotPrice: d.spotPrice,
      ramdiskId: d.ramdiskId,
      blockDevices: d.blockDevices?.map((b): BlockDevice => ({
        deviceName: b.deviceName!,
        virtualName: b.virtualName,
        size: b.size,
        volumeType: b.volumeType,
        deleteOnTermination: b.deleteOnTermination,
        iops: b.iops,
        throughput: b.throughput,
        snapshotId: b.snapshotId,
        encrypted: b.encrypted,
      })),
    },
    application: applicationOf(d),
  }));

/** The normalised description the workflow receives; security groups may still be names, resolved in the group's VPC. */
export type UpdateLaunchConfig = LaunchUpdate<LaunchConfigurationChanges>;

export function describeUpdateLaunchConfig(d: UpdateLaunchConfig): string {
  return describeLaunchUpdate('launch configuration', d, formatLaunchConfigurationChanges(d.changes, d.amiName));
}
