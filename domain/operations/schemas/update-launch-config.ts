import { z } from 'zod';
import type { BlockDevice, LaunchConfigurationChanges } from '../../launch-configurations';
import { formatLaunchConfigurationChanges } from '../../launch-configurations';
import type { ServerGroupTarget } from './common';
import { accountOf, ALWAYS, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupTargets } from './common';

/** AWS caps user data at 16 KiB before encoding, which is 21,848 base64 characters. */
const MAX_USER_DATA_BASE64 = 21_848;

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
    instanceType: z
      .string()
      .regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, { error: 'must be an EC2 instance type such as m5.large' })
      .optional(),
    subnetType: z.string().optional(),
    iamRole: text(1600).optional(),
    keyPair: text(255).optional(),
    associatePublicIpAddress: z.boolean({ error: 'must be true or false' }).optional(),
    // "" removes the spot price (Clouddriver's rule).
    spotPrice: z.string({ error: 'must be a price (a string) or "" to remove it' }).max(255).optional(),
    ramdiskId: text(64).optional(),
    instanceMonitoring: z.boolean({ error: 'must be true or false' }).optional(),
    ebsOptimized: z.boolean({ error: 'must be true or false' }).optional(),
    base64UserData: z
      .string()
      .max(MAX_USER_DATA_BASE64, { error: `must be at most ${MAX_USER_DATA_BASE64} base64 characters (16 KiB of user data)` })
      .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, { error: 'must be base64-encoded' })
      .optional(),
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
  .superRefine(checkAccountAndTargets, ALWAYS)
  .superRefine((d, ctx) => {
    // ModifyAsgLaunchConfigurationDescriptionValidator: a public address needs a subnet purpose.
    if (d.associatePublicIpAddress && !d.subnetType) {
      ctx.addIssue({
        code: 'custom',
        path: ['associatePublicIpAddress'],
        message: 'needs subnetType (the subnets the instances launch into)',
      });
    }
  }, ALWAYS)
  .transform((d): UpdateLaunchConfig => ({
    account: accountOf(d),
    targets: serverGroupTargets(d),
    amiName: d.amiName,
    changes: {
      instanceType: d.instanceType,
      keyPair: d.keyPair,
      securityGroups: d.securityGroups,
      securityGroupsAppendOnly: d.securityGroupsAppendOnly,
      iamRole: d.iamRole,
      base64UserData: d.base64UserData,
      instanceMonitoring: d.instanceMonitoring,
      ebsOptimized: d.ebsOptimized,
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
    application: d.application ?? d.moniker?.app,
  }));

/** The normalised description the workflow receives. */
export interface UpdateLaunchConfig {
  readonly account: string;
  readonly targets: readonly ServerGroupTarget[];
  /** An AMI name (or id) to resolve in each target's region. */
  readonly amiName?: string | undefined;
  /** Security groups may still be names here; the workflow resolves them in the group's VPC. */
  readonly changes: LaunchConfigurationChanges;
  readonly application?: string | undefined;
}

export function describeUpdateLaunchConfig(d: UpdateLaunchConfig): string {
  const where = d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
  const what = formatLaunchConfigurationChanges(d.changes, d.amiName);
  return `update the launch configuration of ${where}${what ? `: ${what}` : ''}`;
}
