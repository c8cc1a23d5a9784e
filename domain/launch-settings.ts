/**
 * The launch-template and mixed-instances settings of a deploy (Clouddriver's
 * BasicAmazonDeployDescription fields that end up in the EC2 launch template or the group's
 * MixedInstancesPolicy), how a clone merges them with its source's (CopyLastAsgAtomicOperation),
 * and the checks Clouddriver's BasicAmazonDeployDescriptionValidator makes on them. Pure and
 * zod-free (the device, placement and override types are read from the schema's, as types only):
 * the deploy workflow merges and checks with it.
 */
import { allBurstable, defaultBlockDevicesFor } from './instance-types';
import type { BlockDeviceFields, InstanceTypeOverrideFields, PlacementFields } from './operations/schemas/launch-settings-fields';

/** Clouddriver's AmazonBlockDevice: an instance-store volume (virtualName) or an EBS volume (size …). */
export type BlockDevice = BlockDeviceFields;

/** Clouddriver's LaunchTemplatePlacement (EC2 LaunchTemplatePlacementRequest). */
export type LaunchPlacement = PlacementFields;

/** Clouddriver's LaunchTemplateOverridesForInstanceType: lower priority first, unset last. */
export type InstanceTypeOverride = InstanceTypeOverrideFields;

/** The deploy fields that shape the launch template and the purchase options; absent = as Clouddriver defaults it. */
export interface LaunchSettings {
  readonly blockDevices?: readonly BlockDevice[] | undefined;
  readonly useAmiBlockDeviceMappings?: boolean | undefined;
  readonly requireIMDSv2?: boolean | undefined;
  readonly associatePublicIpAddress?: boolean | undefined;
  readonly associateIPv6Address?: boolean | undefined;
  readonly spotPrice?: string | undefined;
  readonly unlimitedCpuCredits?: boolean | undefined;
  readonly enableEnclave?: boolean | undefined;
  readonly placement?: LaunchPlacement | undefined;
  readonly licenseSpecifications?: readonly { readonly arn: string }[] | undefined;
  readonly kernelId?: string | undefined;
  readonly ramdiskId?: string | undefined;
  readonly onDemandAllocationStrategy?: string | undefined;
  readonly onDemandBaseCapacity?: number | undefined;
  readonly onDemandPercentageAboveBaseCapacity?: number | undefined;
  readonly spotAllocationStrategy?: string | undefined;
  readonly spotInstancePools?: number | undefined;
  readonly launchTemplateOverridesForInstanceType?: readonly InstanceTypeOverride[] | undefined;
  /** Extra tags for the instances' volumes, next to the application and cluster tags every deploy gives them. */
  readonly blockDeviceTags?: Readonly<Record<string, string>> | undefined;
}

/** Clouddriver's BasicAmazonDeployDescription.getMixedInstancesPolicyFieldNames(). */
const MIXED_INSTANCES_KEYS = [
  'onDemandAllocationStrategy',
  'onDemandBaseCapacity',
  'onDemandPercentageAboveBaseCapacity',
  'spotAllocationStrategy',
  'spotInstancePools',
  'launchTemplateOverridesForInstanceType',
] as const satisfies readonly (keyof LaunchSettings)[];

/** Every LaunchSettings key, so a schema and a clone's override list name the same fields. */
export const LAUNCH_SETTING_KEYS = [
  'blockDevices',
  'useAmiBlockDeviceMappings',
  'requireIMDSv2',
  'associatePublicIpAddress',
  'associateIPv6Address',
  'spotPrice',
  'unlimitedCpuCredits',
  'enableEnclave',
  'placement',
  'licenseSpecifications',
  'kernelId',
  'ramdiskId',
  ...MIXED_INSTANCES_KEYS,
  'blockDeviceTags',
] as const satisfies readonly (keyof LaunchSettings)[];

/** The launch settings a description sets, without the keys it leaves out. */
export function launchSettingsOf(d: LaunchSettings): LaunchSettings {
  return Object.fromEntries(LAUNCH_SETTING_KEYS.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
}

/** Clouddriver builds a mixed-instances group as soon as any mixed-instances field is set (AsgConfiguration.shouldUseMixedInstancesPolicy). */
export function usesMixedInstancesPolicy(s: LaunchSettings): boolean {
  return MIXED_INSTANCES_KEYS.some((k) => s[k] !== undefined);
}

/** A spot price Clouddriver acts on: `""` (and blanks) mean none. */
export function spotPriceOf(s: LaunchSettings): string | undefined {
  return s.spotPrice !== undefined && s.spotPrice.trim() !== '' ? s.spotPrice : undefined;
}

/** The group's MixedInstancesPolicy, in deploy terms: overrides in launch order, and the instances distribution. */
export interface MixedInstances {
  readonly overrides?: readonly { readonly instanceType: string; readonly weightedCapacity?: string | undefined }[] | undefined;
  readonly onDemandAllocationStrategy?: string | undefined;
  readonly onDemandBaseCapacity?: number | undefined;
  readonly onDemandPercentageAboveBaseCapacity?: number | undefined;
  readonly spotAllocationStrategy?: string | undefined;
  readonly spotInstancePools?: number | undefined;
  readonly spotMaxPrice?: string | undefined;
}

/**
 * The mixed-instances policy Clouddriver's AsgWithMixedInstancesPolicyBuilder gives the group, or
 * undefined for a single-type group. Fields left out stay out (AWS applies its own defaults:
 * prioritized, 0, 100, lowest-price, 2); overrides go in priority order, unset priorities last
 * in the order given (AsgConfigHelper.getLaunchTemplateOverrides). `onDemandAllocationStrategy`
 * makes a mixed group but is not sent: Clouddriver's builder never sets it on the distribution
 * (AsgWithMixedInstancesPolicyBuilder:90-97), so AWS's `prioritized` applies.
 */
export function mixedInstancesOf(s: LaunchSettings): MixedInstances | undefined {
  if (!usesMixedInstancesPolicy(s)) return undefined;
  const overrides = s.launchTemplateOverridesForInstanceType?.length
    ? [...s.launchTemplateOverridesForInstanceType]
        .sort((a, b) => (a.priority ?? Number.MAX_SAFE_INTEGER) - (b.priority ?? Number.MAX_SAFE_INTEGER))
        .map((o) => ({
          instanceType: o.instanceType,
          ...(o.weightedCapacity !== undefined ? { weightedCapacity: o.weightedCapacity } : {}),
        }))
    : undefined;
  return dropUndefined({
    overrides,
    onDemandBaseCapacity: s.onDemandBaseCapacity,
    onDemandPercentageAboveBaseCapacity: s.onDemandPercentageAboveBaseCapacity,
    spotAllocationStrategy: s.spotAllocationStrategy,
    spotInstancePools: s.spotInstancePools,
    spotMaxPrice: spotPriceOf(s),
  });
}

/**
 * What a clone reads from its source's launch template version, launch configuration and
 * mixed-instances policy: the source's own value of each launch setting it can read (its
 * devices in Clouddriver's terms: the transform keeps no KMS key id), its CPU credits and mix.
 */
export interface SourceLaunchSettings extends Pick<
  LaunchSettings,
  | 'blockDevices'
  | 'requireIMDSv2'
  | 'enableEnclave'
  | 'associatePublicIpAddress'
  | 'associateIPv6Address'
  | 'spotPrice'
  | 'kernelId'
  | 'ramdiskId'
> {
  readonly kind: 'launchTemplate' | 'mixedInstances' | 'launchConfiguration' | 'none';
  /** `unlimited` or `standard`, from the template's CreditSpecification. */
  readonly cpuCredits?: string | undefined;
  readonly mixed?: MixedInstances | undefined;
}

function deviceKey(devices: readonly BlockDevice[]): string {
  return JSON.stringify(
    devices
      .map((d) => [d.deviceName, d.virtualName ?? null, d.size ?? null] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
}

/**
 * Clouddriver's BasicAmazonDeployHandler.buildBlockDeviceMappingsFromSourceAsg: the source's
 * devices, except that a source which had its type's default devices gets the default devices
 * of the type the clone asks for. As in Clouddriver, the type compared is the one the request
 * names (absent compares unequal, and an absent type's default is the unknown-type default).
 */
export function blockDevicesFromSource(
  requestInstanceType: string | undefined,
  sourceInstanceType: string | undefined,
  sourceDevices: readonly BlockDevice[],
): readonly BlockDevice[] {
  if (requestInstanceType !== sourceInstanceType && deviceKey(sourceDevices) === deviceKey(defaultBlockDevicesFor(sourceInstanceType))) {
    return defaultBlockDevicesFor(requestInstanceType);
  }
  return sourceDevices;
}

/**
 * A clone's launch settings (CopyLastAsgAtomicOperation:157-304): each field the request sets
 * wins, the rest come from the source. Placement and license specifications are never read from
 * the source (nor are volume tags), as in Clouddriver. `requestInstanceType` is the type the request itself names.
 */
export function cloneLaunchSettings(
  request: LaunchSettings,
  requestInstanceType: string | undefined,
  source: SourceLaunchSettings | undefined,
  sourceInstanceType: string | undefined,
): LaunchSettings {
  // Sources described before these settings were read carry none: the request alone, as then.
  if (!source) return request;
  const r = request;
  const s = source;
  const fromTemplate = s.kind === 'launchTemplate' || s.kind === 'mixedInstances';
  const requestTypes = [requestInstanceType, ...(r.launchTemplateOverridesForInstanceType ?? []).map((o) => o.instanceType)];
  const merged: Record<string, unknown> = {
    ...r,
    // Clouddriver reads enclave and CPU credits only from a launch template source, and httpTokens
    // too; but its description defaults requireIMDSv2 to false, so it copies httpTokens only when
    // a caller sends an explicit null (Deck sends the source's value). Bosun copies whenever the
    // request leaves it out, from a launch configuration's MetadataOptions as well, so no clone
    // silently drops IMDSv2.
    requireIMDSv2: r.requireIMDSv2 ?? s.requireIMDSv2,
    enableEnclave: r.enableEnclave ?? (fromTemplate ? s.enableEnclave : undefined),
    associateIPv6Address: r.associateIPv6Address ?? s.associateIPv6Address,
    associatePublicIpAddress: r.associatePublicIpAddress ?? s.associatePublicIpAddress,
    // Copied only when every type the request names is burstable (an absent type is not), so a
    // clone that names no type takes the deploy default instead, as in Clouddriver.
    unlimitedCpuCredits:
      r.unlimitedCpuCredits ?? (s.cpuCredits !== undefined && allBurstable(requestTypes) ? s.cpuCredits === 'unlimited' : undefined),
    kernelId: r.kernelId || s.kernelId || undefined,
    ramdiskId: r.ramdiskId || s.ramdiskId || undefined,
    // Absent: the source's price; "": none (a spot source cloned on demand).
    spotPrice: r.spotPrice === undefined ? s.spotPrice : r.spotPrice === '' ? undefined : r.spotPrice,
    blockDevices:
      r.blockDevices ??
      (s.blockDevices !== undefined ? blockDevicesFromSource(requestInstanceType, sourceInstanceType, s.blockDevices) : undefined),
  };
  if (s.mixed) {
    const m = s.mixed;
    const spotAllocationStrategy = r.spotAllocationStrategy ?? m.spotAllocationStrategy;
    Object.assign(merged, {
      onDemandAllocationStrategy: r.onDemandAllocationStrategy ?? m.onDemandAllocationStrategy,
      onDemandBaseCapacity: r.onDemandBaseCapacity ?? m.onDemandBaseCapacity,
      onDemandPercentageAboveBaseCapacity: r.onDemandPercentageAboveBaseCapacity ?? m.onDemandPercentageAboveBaseCapacity,
      spotAllocationStrategy,
      // The source's pools only where they fit the strategy (AWS takes pools with lowest-price only).
      spotInstancePools: r.spotInstancePools ?? (spotAllocationStrategy === 'lowest-price' ? m.spotInstancePools : undefined),
      // AWS keeps the order, not the priorities: the source's order becomes priorities 1, 2, …
      launchTemplateOverridesForInstanceType: r.launchTemplateOverridesForInstanceType?.length
        ? r.launchTemplateOverridesForInstanceType
        : m.overrides?.length
          ? m.overrides.map((o, i) => ({ ...o, priority: i + 1 }))
          : undefined,
    });
  }
  return dropUndefined(merged);
}

/** A field Clouddriver's validator refuses, with why. */
export interface LaunchSettingsProblem {
  readonly field: keyof LaunchSettings;
  readonly message: string;
}

/**
 * The checks BasicAmazonDeployDescriptionValidator makes on these fields (the per-device block
 * device rules live in the schema). A public IP needs a VPC subnet: Clouddriver asks for
 * `subnetType`; Bosun also takes explicit `subnetIds`, which select subnets as well.
 */
export function launchSettingsProblems(
  s: LaunchSettings,
  instanceType: string | undefined,
  subnets: { readonly subnetType?: string | undefined; readonly subnetIds?: readonly string[] | undefined },
): LaunchSettingsProblem[] {
  const problems: LaunchSettingsProblem[] = [];
  // Runs beside the fields' own checks: an override list that failed them (not a list, a null entry)
  // is already reported, and adds no instance type here.
  const overrides: readonly unknown[] = Array.isArray(s.launchTemplateOverridesForInstanceType)
    ? s.launchTemplateOverridesForInstanceType
    : [];
  const types = [
    instanceType,
    ...overrides.map((o) => (typeof o === 'object' && o !== null ? (o as InstanceTypeOverride).instanceType : undefined)),
  ];
  if (s.unlimitedCpuCredits !== undefined && !allBurstable(types)) {
    problems.push({
      field: 'unlimitedCpuCredits',
      message: `applies only when every instance type is burstable (t2, t3, t3a, t4g); got ${types.map((t) => t ?? '(none)').join(', ')}`,
    });
  }
  if (s.spotInstancePools !== undefined && s.spotInstancePools > 0 && s.spotAllocationStrategy !== 'lowest-price') {
    problems.push({
      field: 'spotInstancePools',
      message: `applies only with spotAllocationStrategy lowest-price (got ${s.spotAllocationStrategy ?? 'none'})`,
    });
  }
  if (s.associatePublicIpAddress === true && !subnets.subnetType && !subnets.subnetIds?.length) {
    problems.push({ field: 'associatePublicIpAddress', message: 'needs a VPC subnet: set subnetType (or subnetIds)' });
  }
  return problems;
}

/** Clouddriver's BlockDeviceRules for one device: null when it is valid. */
export function blockDeviceProblem(d: BlockDevice): string | null {
  if (d.virtualName && (d.deleteOnTermination !== undefined || d.iops || d.size || d.snapshotId || d.volumeType)) {
    return `ephemeral device ${d.deviceName} (${d.virtualName}) cannot take EBS settings`;
  }
  if (!d.virtualName && !d.size) return `EBS device ${d.deviceName} needs a size`;
  return null;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The notable launch settings in a few words for the task history, e.g. " (IMDSv2 required, spot up to 0.05)". */
export function describeLaunchSettings(s: LaunchSettings): string {
  const mixed = mixedInstancesOf(s);
  const spot = spotPriceOf(s);
  const parts = [
    s.requireIMDSv2 ? 'IMDSv2 required' : '',
    mixed ? `mixed instances${mixed.overrides ? ` of ${mixed.overrides.length} types` : ''}` : '',
    spot !== undefined ? `spot up to ${spot}` : '',
    s.associatePublicIpAddress ? 'public IP' : '',
    s.associateIPv6Address ? 'IPv6' : '',
    s.useAmiBlockDeviceMappings ? "the image's block devices" : s.blockDevices ? `${s.blockDevices.length} block devices` : '',
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
