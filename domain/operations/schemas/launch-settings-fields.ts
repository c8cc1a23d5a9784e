/**
 * The zod fields of BasicAmazonDeployDescription that shape the launch template and the
 * mixed-instances policy (domain/launch-settings.ts), shared by createServerGroup and
 * cloneServerGroup.
 */
import { z } from 'zod';
import { blockDeviceProblem } from '../../launch-settings';

/** Clouddriver's String fields take JSON numbers too (Jackson writes them as text). */
const text = z.union([z.string(), z.number().transform(String)]);

const blockDeviceShape = {
  deviceName: z.string().min(1, { error: 'is required' }),
  virtualName: z.string().min(1).optional(),
  size: z.number().int().min(1).max(65_536).optional(),
  volumeType: z.string().min(1).optional(),
  deleteOnTermination: z.boolean().optional(),
  iops: z.number().int().min(0).optional(),
  throughput: z.number().int().min(0).optional(),
  snapshotId: z.string().min(1).optional(),
  encrypted: z.boolean().optional(),
  kmsKeyId: z.string().min(1).optional(),
};

const blockDevice = z.looseObject(blockDeviceShape).superRefine((d, ctx) => {
  const problem = blockDeviceProblem(d);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const placementShape = {
  affinity: z.string().optional(),
  availabilityZone: z.string().optional(),
  groupName: z.string().optional(),
  hostId: z.string().optional(),
  tenancy: z.enum(['default', 'dedicated', 'host'], { error: 'must be default, dedicated or host' }).optional(),
  spreadDomain: z.string().optional(),
  hostResourceGroupArn: z.string().optional(),
  partitionNumber: z.number().int().min(0).optional(),
};

const instanceTypeOverrideShape = {
  instanceType: z.string().min(1, { error: 'is required' }),
  weightedCapacity: text.optional(),
  priority: z.number().int().optional(),
};

/** The parsed fields, without the extra keys a posted object may carry: domain/launch-settings.ts names them. */
type Parsed<Shape extends z.ZodRawShape> = Readonly<z.output<z.ZodObject<Shape>>>;
export type BlockDeviceFields = Parsed<typeof blockDeviceShape>;
export type PlacementFields = Parsed<typeof placementShape>;
export type InstanceTypeOverrideFields = Parsed<typeof instanceTypeOverrideShape>;

/** Spread into a deploy schema; `launchSettingsOf` (domain/launch-settings.ts) reads them back. */
export const launchSettingsFields = {
  blockDevices: z.array(blockDevice).max(64, { error: 'must list at most 64 block devices' }).optional(),
  useAmiBlockDeviceMappings: z.boolean().optional(),
  requireIMDSv2: z.boolean().optional(),
  associatePublicIpAddress: z.boolean().optional(),
  associateIPv6Address: z.boolean().optional(),
  spotPrice: text.optional(),
  unlimitedCpuCredits: z.boolean().optional(),
  enableEnclave: z.boolean().optional(),
  placement: z.looseObject(placementShape).optional(),
  licenseSpecifications: z
    .array(z.looseObject({ arn: z.string().min(1, { error: 'is required (a license configuration ARN)' }) }))
    .max(50)
    .optional(),
  kernelId: z.string().optional(),
  ramdiskId: z.string().optional(),
  onDemandAllocationStrategy: z.string().min(1).optional(),
  onDemandBaseCapacity: z.number().int().min(0).optional(),
  onDemandPercentageAboveBaseCapacity: z.number().int().min(0).max(100).optional(),
  spotAllocationStrategy: z.string().min(1).optional(),
  spotInstancePools: z.number().int().min(0).max(20).optional(),
  launchTemplateOverridesForInstanceType: z
    .array(z.looseObject(instanceTypeOverrideShape))
    .max(40, { error: 'must list at most 40 instance types (the AWS limit)' })
    .optional(),
  blockDeviceTags: z
    .record(z.string(), z.string())
    .refine((t) => Object.keys(t).length <= 48, { error: 'must hold at most 48 tags (AWS allows 50, two are the application and cluster)' })
    .optional(),
};
