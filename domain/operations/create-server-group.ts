import { z } from 'zod';
import type { Capacity } from '../capacity';
import { clusterOf } from '../frigga';
import type { LaunchSettings } from '../launch-settings';
import { launchSettingsOf, launchSettingsProblems } from '../launch-settings';
import { ASG_PROCESS_NAMES } from './asg-processes';
import { accountSchema, descriptionBase, MAX_REGIONS, regionSchema, serverGroupNameSchema } from './common';
import { launchSettingsFields } from './launch-settings-fields';

export { clusterOf } from '../frigga';

const nameSegment = z
  .string()
  .regex(/^[A-Za-z0-9._~^]*$/, { error: 'may hold only letters, digits and . _ ~ ^ (no dashes: they separate name parts)' });
const detailSegment = z.string().regex(/^[A-Za-z0-9._~^-]*$/, { error: 'may hold only letters, digits and . _ ~ ^ -' });
const count = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be 0 or more' })
  .max(10_000);

const fullCapacity = z.looseObject({ min: count, max: count, desired: count }).superRefine((c, ctx) => {
  if (c.min > c.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${c.min} is greater than max ${c.max}` });
  if (c.desired > c.max) ctx.addIssue({ code: 'custom', path: ['desired'], message: `desired ${c.desired} is greater than max ${c.max}` });
  if (c.desired < c.min) ctx.addIssue({ code: 'custom', path: ['desired'], message: `desired ${c.desired} is less than min ${c.min}` });
});

const lifecycleHook = z.looseObject({
  name: z.string().min(1).max(255).optional(),
  lifecycleTransition: z.enum(['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING']),
  roleARN: z.string().optional(),
  notificationTargetARN: z.string().optional(),
  notificationMetadata: z.string().max(1023).optional(),
  heartbeatTimeout: z.number().int().min(30).max(7200).optional(),
  defaultResult: z.enum(['CONTINUE', 'ABANDON']).optional(),
});

/**
 * Fields of Clouddriver's BasicAmazonDeployDescription that Bosun acts on. Both create and clone
 * use them; clone takes its defaults from a source group, so there every field is optional.
 */
/** Lists of names in a description: far above any real deploy, low enough to bound the work. */
const MAX_NAMES = 100;
const names = (what: string) =>
  z
    .array(z.string().min(1))
    .max(MAX_NAMES, { error: `must list at most ${MAX_NAMES} ${what}` })
    .optional();

const deployFields = {
  ...descriptionBase,
  stack: nameSegment.optional(),
  freeFormDetails: detailSegment.optional(),
  sequence: z.number().int().min(0).max(999).optional(),
  availabilityZones: z
    .record(regionSchema, z.array(z.string().min(1)).max(MAX_NAMES, { error: `must list at most ${MAX_NAMES} zones` }))
    .refine((r) => Object.keys(r).length <= MAX_REGIONS, { error: `must name at most ${MAX_REGIONS} regions` })
    .optional(),
  capacity: fullCapacity.optional(),
  amiName: z.string().min(1).optional(),
  imageId: z
    .string()
    .regex(/^ami-[0-9a-f]+$/, { error: 'must be an AMI id such as ami-0123abcd' })
    .optional(),
  instanceType: z.string().min(1).optional(),
  keyPair: z.string().min(1).optional(),
  securityGroups: names('security groups'),
  loadBalancers: names('load balancers'),
  targetGroups: names('target groups'),
  subnetType: z.string().min(1).optional(),
  subnetIds: z
    .array(z.string().regex(/^subnet-[0-9a-f]+$/, { error: 'must be a subnet id' }))
    .max(MAX_NAMES, { error: `must list at most ${MAX_NAMES} subnets` })
    .optional(),
  iamRole: z.string().min(1).optional(),
  base64UserData: z.string().optional(),
  tags: z
    .record(z.string(), z.string())
    .refine((t) => Object.keys(t).length <= 50, { error: 'must hold at most 50 tags (the AWS limit)' })
    .optional(),
  suspendedProcesses: z.array(z.enum(ASG_PROCESS_NAMES, { error: `must be one of ${ASG_PROCESS_NAMES.join(', ')}` })).optional(),
  startDisabled: z.boolean().optional(),
  lifecycleHooks: z.array(lifecycleHook).max(50, { error: 'must list at most 50 lifecycle hooks (the AWS limit)' }).optional(),
  healthCheckType: z.enum(['EC2', 'ELB']).optional(),
  healthCheckGracePeriod: z.number().int().min(0).optional(),
  cooldown: z.number().int().min(0).optional(),
  terminationPolicies: names('termination policies'),
  instanceMonitoring: z.boolean().optional(),
  ebsOptimized: z.boolean().optional(),
  targetHealthyDeployPercentage: z.number().min(0).max(100).optional(),
  waitTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
  ...launchSettingsFields,
};

type DeployFields = z.infer<z.ZodObject<typeof deployFields>>;

/** One region of a deploy: its zones (empty = let the subnets or AWS decide). */
export interface DeployRegion {
  readonly region: string;
  readonly zones: readonly string[];
}

export interface LifecycleHookSpec {
  readonly name?: string | undefined;
  readonly lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';
  readonly roleARN?: string | undefined;
  readonly notificationTargetARN?: string | undefined;
  readonly notificationMetadata?: string | undefined;
  readonly heartbeatTimeout?: number | undefined;
  readonly defaultResult?: 'CONTINUE' | 'ABANDON' | undefined;
}

/** The normalised deploy the workflow runs (createServerGroup, and cloneServerGroup after merging). */
export interface DeployDescription {
  readonly account: string;
  readonly application: string;
  readonly stack?: string | undefined;
  readonly detail?: string | undefined;
  readonly sequence?: number | undefined;
  readonly regions: readonly DeployRegion[];
  readonly capacity: Capacity;
  /** AMI by name (resolved in the account and region) or id; `amiName` may also hold an id, as in Clouddriver. */
  readonly amiName?: string | undefined;
  readonly imageId?: string | undefined;
  readonly instanceType: string;
  readonly keyPair?: string | undefined;
  readonly securityGroups: readonly string[];
  readonly loadBalancers: readonly string[];
  readonly targetGroups: readonly string[];
  readonly subnetType?: string | undefined;
  readonly subnetIds?: readonly string[] | undefined;
  readonly iamRole?: string | undefined;
  readonly base64UserData?: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly suspendedProcesses: readonly string[];
  readonly startDisabled: boolean;
  readonly lifecycleHooks: readonly LifecycleHookSpec[];
  readonly healthCheckType?: 'EC2' | 'ELB' | undefined;
  readonly healthCheckGracePeriod?: number | undefined;
  readonly cooldown?: number | undefined;
  readonly terminationPolicies?: readonly string[] | undefined;
  readonly instanceMonitoring?: boolean | undefined;
  readonly ebsOptimized?: boolean | undefined;
  /** Wait until this share of desired instances is healthy; absent = do not wait (Orca waits itself). */
  readonly targetHealthyDeployPercentage?: number | undefined;
  readonly waitTimeoutSeconds: number;
  /** Launch-template and mixed-instances settings; absent in runs started before Bosun read them. */
  readonly launch?: LaunchSettings | undefined;
}

function deployRegions(zones: Record<string, string[]> | undefined): DeployRegion[] {
  return Object.entries(zones ?? {}).map(([region, z]) => ({ region, zones: z }));
}

function applicationOf(d: DeployFields): string | undefined {
  return d.application ?? d.moniker?.app;
}

function normalise(d: DeployFields): Omit<DeployDescription, 'account' | 'application' | 'capacity' | 'instanceType' | 'regions'> {
  return {
    stack: d.stack || undefined,
    detail: d.freeFormDetails || undefined,
    sequence: d.sequence,
    amiName: d.amiName,
    imageId: d.imageId,
    keyPair: d.keyPair,
    securityGroups: d.securityGroups ?? [],
    loadBalancers: d.loadBalancers ?? [],
    targetGroups: d.targetGroups ?? [],
    subnetType: d.subnetType,
    subnetIds: d.subnetIds,
    iamRole: d.iamRole,
    base64UserData: d.base64UserData,
    tags: d.tags ?? {},
    suspendedProcesses: d.suspendedProcesses ?? [],
    startDisabled: d.startDisabled ?? false,
    lifecycleHooks: d.lifecycleHooks ?? [],
    healthCheckType: d.healthCheckType,
    healthCheckGracePeriod: d.healthCheckGracePeriod,
    cooldown: d.cooldown,
    terminationPolicies: d.terminationPolicies,
    instanceMonitoring: d.instanceMonitoring,
    ebsOptimized: d.ebsOptimized,
    targetHealthyDeployPercentage: d.targetHealthyDeployPercentage,
    waitTimeoutSeconds: d.waitTimeoutSeconds ?? 1800,
    launch: launchSettingsOf(d),
  };
}

export const createServerGroupSchema = z
  .looseObject(deployFields)
  .superRefine(
    (d, ctx) => {
      const need = (ok: unknown, path: string, message: string) => {
        if (!ok) ctx.addIssue({ code: 'custom', path: [path], message });
      };
      need(d.credentials || d.account, 'credentials', 'is required (the account name)');
      need(applicationOf(d), 'application', 'is required');
      need(
        typeof d.application !== 'string' || /^[A-Za-z0-9._~^]+$/.test(d.application),
        'application',
        'may hold only letters, digits and . _ ~ ^',
      );
      need(
        d.availabilityZones && Object.keys(d.availabilityZones).length > 0,
        'availabilityZones',
        'is required: {"<region>": ["<zone>", …]}, one key per region',
      );
      need(d.capacity, 'capacity', 'is required: {min, max, desired}');
      need(d.amiName || d.imageId, 'amiName', 'is required (an AMI name or id)');
      need(d.instanceType, 'instanceType', 'is required');
      for (const p of launchSettingsProblems(launchSettingsOf(d), d.instanceType, d)) need(false, p.field, p.message);
    },
    { when: () => true },
  )
  .transform((d): DeployDescription => ({
    ...normalise(d),
    account: (d.credentials ?? d.account)!,
    application: applicationOf(d)!,
    regions: deployRegions(d.availabilityZones),
    capacity: d.capacity!,
    instanceType: d.instanceType!,
  }));

/** A clone: the source group, and every deploy field the caller set explicitly (they win). */
export interface CloneDescription {
  readonly account: string;
  readonly source: { readonly account: string; readonly region: string; readonly serverGroupName: string };
  readonly overrides: Partial<DeployDescription>;
  readonly application?: string | undefined;
}

export const cloneServerGroupSchema = z
  .looseObject({
    ...deployFields,
    source: z.looseObject({
      account: accountSchema.optional(),
      credentials: accountSchema.optional(),
      region: regionSchema,
      asgName: serverGroupNameSchema.optional(),
      serverGroupName: serverGroupNameSchema.optional(),
    }),
  })
  .superRefine(
    (d, ctx) => {
      if (!d.credentials && !d.account) ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'is required (the account name)' });
      if (d.source && !d.source.asgName && !d.source.serverGroupName) {
        ctx.addIssue({ code: 'custom', path: ['source', 'asgName'], message: 'is required: the server group to clone' });
      }
    },
    { when: () => true },
  )
  .transform((d): CloneDescription => {
    const account = (d.credentials ?? d.account)!;
    const explicit = normalise(d);
    // Only fields the caller actually sent override the source's values.
    const overrides: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(explicit)) {
      const sentKey = k === 'detail' ? 'freeFormDetails' : k;
      if ((d as Record<string, unknown>)[sentKey] !== undefined) overrides[k] = v;
    }
    if (applicationOf(d)) overrides.application = applicationOf(d);
    if (d.capacity) overrides.capacity = d.capacity;
    if (d.instanceType) overrides.instanceType = d.instanceType;
    if (d.availabilityZones) overrides.regions = deployRegions(d.availabilityZones);
    // Only the launch settings the caller sent; the clone merges each with its source's.
    const launch = launchSettingsOf(d);
    if (Object.keys(launch).length) overrides.launch = launch;
    return {
      account,
      source: {
        account: d.source.account ?? d.source.credentials ?? account,
        region: d.source.region,
        serverGroupName: (d.source.serverGroupName ?? d.source.asgName)!,
      },
      overrides: overrides,
      application: applicationOf(d),
    };
  });

export function describeDeploy(d: DeployDescription): string {
  const where = d.regions.map((r) => r.region).join(', ');
  const c = d.capacity;
  return `deploy ${clusterOf(d)} in ${where} at ${c.min}/${c.desired}/${c.max} (min/desired/max) from ${d.amiName ?? d.imageId}`;
}

export function describeClone(d: CloneDescription): string {
  return `clone ${d.source.serverGroupName} in ${d.source.region} (${d.source.account})`;
}
