import { z } from 'zod';
import type { Capacity } from '../../capacity';
import { clusterOf } from '../../frigga';
import type { LaunchSettings } from '../../launch-settings';
import { launchSettingsOf, launchSettingsProblems } from '../../launch-settings';
import { ASG_PROCESS_NAMES } from './asg-processes';
import type { AccountDescription } from './common';
import {
  accountSchema,
  ON_OBJECTS,
  applicationOf,
  checkAccount,
  descriptionBase,
  MAX_REGIONS,
  regionSchema,
  serverGroupNameSchema,
} from './common';
import { launchSettingsFields } from './launch-settings-fields';

export { clusterOf } from '../../frigga';

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

/**
 * Clouddriver's AmazonAsgLifecycleHook.Transition, which Jackson reads by constant name; the AWS
 * spellings are accepted too, and both become AWS's.
 */
const TRANSITIONS = {
  EC2InstanceLaunching: 'autoscaling:EC2_INSTANCE_LAUNCHING',
  EC2InstanceTerminating: 'autoscaling:EC2_INSTANCE_TERMINATING',
  'autoscaling:EC2_INSTANCE_LAUNCHING': 'autoscaling:EC2_INSTANCE_LAUNCHING',
  'autoscaling:EC2_INSTANCE_TERMINATING': 'autoscaling:EC2_INSTANCE_TERMINATING',
} as const;

const lifecycleHook = z.looseObject({
  name: z.string().min(1).max(255).optional(),
  lifecycleTransition: z
    .enum(Object.keys(TRANSITIONS) as [keyof typeof TRANSITIONS, ...(keyof typeof TRANSITIONS)[]], {
      error: 'must be EC2InstanceLaunching or EC2InstanceTerminating',
    })
    .transform((t) => TRANSITIONS[t]),
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
  capacityRebalance: z.boolean().optional(),
  /** Metric names for EnableMetricsCollection; Clouddriver enables them only with instanceMonitoring. */
  enabledMetrics: names('metrics'),
  /** Name the group after its cluster alone, without a -vNNN suffix (an explicit `sequence` wins). */
  ignoreSequence: z.boolean().optional(),
  /** Clouddriver's default is true: a deploy with a source copies its scaling policies, alarms and scheduled actions. */
  copySourceScalingPoliciesAndActions: z.boolean().optional(),
  copySourceCustomBlockDeviceMappings: z.boolean().optional(),
  copySourceSubnetIdOverrides: z.boolean().optional(),
  /** Orca's field: Orca waits for it after the task; Clouddriver's deploy ignores it, and so does Bosun's. */
  targetHealthyDeployPercentage: z.number().min(0).max(100).optional(),
  /**
   * Bosun extension (not a Clouddriver field): the task itself waits until this share of the
   * desired instances is InService and Healthy by ASG health, for up to `waitTimeoutSeconds`,
   * and fails and deletes the new group if they are not.
   */
  waitForHealthyPercentage: z.number().min(0).max(100).optional(),
  waitTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
  ...launchSettingsFields,
};

/** Clouddriver's `source` of a deploy: the group whose scaling policies and scheduled actions a deploy copies. */
const sourceSchema = z.looseObject({
  account: accountSchema.optional(),
  credentials: accountSchema.optional(),
  region: regionSchema.optional(),
  asgName: serverGroupNameSchema.optional(),
  serverGroupName: serverGroupNameSchema.optional(),
  /** The new group takes the source's min/max/desired instead of the request's (Orca usually resolves it first). */
  useSourceCapacity: z.boolean().optional(),
});

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
  readonly capacityRebalance?: boolean | undefined;
  readonly enabledMetrics?: readonly string[] | undefined;
  readonly ignoreSequence?: boolean | undefined;
  /**
   * Recorded only so that runs started before `Patch.deployIgnoresTargetHealthy` replay: they
   * waited for this share of desired instances; newer runs leave the wait to Orca.
   */
  readonly targetHealthyDeployPercentage?: number | undefined;
  /** Bosun extension: wait until this share of desired instances is healthy; absent = do not wait. */
  readonly waitForHealthyPercentage?: number | undefined;
  readonly waitTimeoutSeconds: number;
  /** The group whose scaling policies, alarms and scheduled actions the new group gets (Clouddriver's `source`). */
  readonly scalingSource?: SourceRef | undefined;
  /** `source.useSourceCapacity`: the group whose capacity replaces `capacity` (createServerGroup). */
  readonly capacitySource?: SourceRef | undefined;
  /** Launch-template and mixed-instances settings; absent in runs started before Bosun read them. */
  readonly launch?: LaunchSettings | undefined;
  /**
   * The group whose custom block devices the new group gets when the request gives none
   * (createServerGroup's `source` with `copySourceCustomBlockDeviceMappings`, default true).
   */
  readonly blockDeviceSource?: SourceRef | undefined;
  /**
   * The group whose subnet override (its `SPINNAKER_SUBNET_ID_OVERRIDE` tag) the new group takes
   * when the request names no subnets (`copySourceSubnetIdOverrides`, default true).
   */
  readonly subnetSource?: SourceRef | undefined;
}

/** A server group named by account, region and name. */
export interface SourceRef {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
}

function deployRegions(zones: Record<string, string[]> | undefined): DeployRegion[] {
  return Object.entries(zones ?? {}).map(([region, z]) => ({ region, zones: z }));
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
    capacityRebalance: d.capacityRebalance,
    enabledMetrics: d.enabledMetrics,
    ignoreSequence: d.ignoreSequence,
    targetHealthyDeployPercentage: d.targetHealthyDeployPercentage,
    waitForHealthyPercentage: d.waitForHealthyPercentage,
    waitTimeoutSeconds: d.waitTimeoutSeconds ?? 1800,
    launch: launchSettingsOf(d),
  };
}

type SourceFields = z.infer<typeof sourceSchema>;

/**
 * A deploy's source when it names a group completely, as BasicAmazonDeployHandler needs
 * (account, region and name); anything less is no source, as there.
 */
function sourceRefOf(s: SourceFields | undefined, fallbackAccount: string): SourceRef | undefined {
  const name = s?.asgName ?? s?.serverGroupName;
  const account = s?.account ?? s?.credentials ?? fallbackAccount;
  return s?.region && name ? { account, region: s.region, serverGroupName: name } : undefined;
}

/** createServerGroup's fields: the deploy's and its `source` (deployWithStrategy extends them). */
export const createServerGroupFields = { ...deployFields, source: sourceSchema.optional() };

type CreateServerGroupFields = z.infer<z.ZodObject<typeof createServerGroupFields>>;

/** createServerGroup's checks of the fields that need each other; deployWithStrategy runs them too. */
export function checkCreateServerGroup(d: CreateServerGroupFields, ctx: z.RefinementCtx): void {
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
  const sourceCapacity = d.source?.useSourceCapacity === true;
  need(d.capacity || sourceCapacity, 'capacity', 'is required: {min, max, desired}');
  if (sourceCapacity && !(d.source?.region && (d.source.asgName ?? d.source.serverGroupName))) {
    ctx.addIssue({
      code: 'custom',
      path: ['source', 'useSourceCapacity'],
      message: 'needs a source group: source.region and source.asgName (useSourceCapacity requested, but no source available)',
    });
  }
  need(d.amiName || d.imageId, 'amiName', 'is required (an AMI name or id)');
  need(d.instanceType, 'instanceType', 'is required');
  for (const p of launchSettingsProblems(launchSettingsOf(d), d.instanceType, d)) need(false, p.field, p.message);
}

/** createServerGroup's fields as the normalised deploy the workflow runs. */
export function toDeployDescription(d: CreateServerGroupFields): DeployDescription {
  const account = (d.credentials ?? d.account)!;
  // Orca's source names its account `account` (Clouddriver requires it); the deploy's own is the fallback.
  const source = sourceRefOf(d.source, account);
  const copy = d.copySourceScalingPoliciesAndActions !== false;
  return {
    ...normalise(d),
    account,
    application: applicationOf(d)!,
    regions: deployRegions(d.availabilityZones),
    // With useSourceCapacity the source's capacity replaces this before anything is created.
    capacity: d.capacity ?? { min: 0, max: 0, desired: 0 },
    instanceType: d.instanceType!,
    ...(source && copy ? { scalingSource: source } : {}),
    ...(source && d.source?.useSourceCapacity ? { capacitySource: source } : {}),
    ...(source && d.copySourceCustomBlockDeviceMappings !== false && d.blockDevices === undefined ? { blockDeviceSource: source } : {}),
    ...(source && d.copySourceSubnetIdOverrides !== false && !d.subnetIds?.length ? { subnetSource: source } : {}),
  };
}

export const createServerGroupSchema = z
  .looseObject(createServerGroupFields)
  .superRefine(checkCreateServerGroup, ON_OBJECTS)
  .transform(toDeployDescription);

/**
 * A clone: the source group (absent = each target region's newest group of the cluster, as in
 * CopyLastAsgAtomicOperation), and every deploy field the caller set explicitly (they win).
 */
export interface CloneDescription extends AccountDescription {
  readonly source?: SourceRef | undefined;
  readonly overrides: Partial<DeployDescription>;
  /** Clouddriver's default is true; false keeps the source's scaling policies and scheduled actions off the clone. */
  readonly copySourceScalingPoliciesAndActions: boolean;
  /** `source.useSourceCapacity`: the source's capacity wins over the request's. */
  readonly useSourceCapacity?: boolean | undefined;
}

export const cloneServerGroupSchema = z
  .looseObject({
    ...deployFields,
    source: sourceSchema.optional(),
  })
  .superRefine((d, ctx) => {
    checkAccount(d, ctx);
    const named = d.source?.asgName ?? d.source?.serverGroupName;
    if (d.source && named && !d.source.region) {
      ctx.addIssue({ code: 'custom', path: ['source', 'region'], message: 'is required with source.asgName' });
    }
    // Without a source the clone starts from the cluster's newest group in each target region.
    if (!named) {
      if (!applicationOf(d)) {
        ctx.addIssue({
          code: 'custom',
          path: ['application'],
          message: 'is required without source.asgName (it names the cluster to clone)',
        });
      }
      if (!d.availabilityZones || Object.keys(d.availabilityZones).length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['availabilityZones'],
          message: 'is required without source.asgName: {"<region>": ["<zone>", …]}, the regions whose newest group is cloned',
        });
      }
    }
  }, ON_OBJECTS)
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
      source: sourceRefOf(d.source, account),
      overrides: overrides,
      application: applicationOf(d),
      copySourceScalingPoliciesAndActions: d.copySourceScalingPoliciesAndActions ?? true,
      ...(d.source?.useSourceCapacity ? { useSourceCapacity: true } : {}),
    };
  });

export function describeDeploy(d: DeployDescription): string {
  const where = d.regions.map((r) => r.region).join(', ');
  const c = d.capacity;
  return `deploy ${clusterOf(d)} in ${where} at ${c.min}/${c.desired}/${c.max} (min/desired/max) from ${d.amiName ?? d.imageId}`;
}

export function describeClone(d: CloneDescription): string {
  if (d.source) return `clone ${d.source.serverGroupName} in ${d.source.region} (${d.source.account})`;
  const o = d.overrides;
  const cluster = clusterOf({ application: d.application ?? '', stack: o.stack, detail: o.detail });
  return `clone the newest group of ${cluster} in ${(o.regions ?? []).map((r) => r.region).join(', ')} (${d.account})`;
}
