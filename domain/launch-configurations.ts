/**
 * Launch configurations as Clouddriver's updateLaunchConfig handles them
 * (ModifyAsgLaunchConfigurationOperation, DefaultLaunchConfigurationBuilder): the settings a
 * new one copies from the current one, the changes laid over them, and its name. Zod-free,
 * because workflow code uses it.
 */

import type { BlockDevice } from './launch-settings';
import { formatLaunchTemplateChanges, type LaunchTemplateChanges } from './operations/launch-template-versions';

export type { BlockDevice } from './launch-settings';

/**
 * What a launch configuration holds that Bosun copies into the next one: Clouddriver's
 * LaunchConfigurationSettings, plus the instance metadata options and tenancy, which
 * Clouddriver drops (a new configuration would then allow IMDSv1 again).
 */
export interface LaunchConfigurationSettings {
  readonly imageId: string;
  readonly instanceType: string;
  readonly keyPair?: string | undefined;
  /** Ids, or names for groups outside a VPC, as the configuration lists them. */
  readonly securityGroups: readonly string[];
  readonly iamRole?: string | undefined;
  readonly base64UserData?: string | undefined;
  readonly instanceMonitoring: boolean;
  readonly ebsOptimized?: boolean | undefined;
  readonly associatePublicIpAddress?: boolean | undefined;
  readonly spotPrice?: string | undefined;
  readonly kernelId?: string | undefined;
  readonly ramdiskId?: string | undefined;
  readonly blockDevices: readonly BlockDevice[];
  readonly metadataOptions?:
    | {
        readonly httpTokens?: string | undefined;
        readonly httpPutResponseHopLimit?: number | undefined;
        readonly httpEndpoint?: string | undefined;
      }
    | undefined;
  readonly placementTenancy?: string | undefined;
}

/**
 * The fields of ModifyAsgLaunchConfigurationDescription Bosun acts on: a launch template's
 * changes and those only a launch configuration has. Absent = keep. Security groups are ids
 * here (names are resolved in the group's VPC first); `spotPrice: ''` removes the spot price,
 * as in Clouddriver.
 */
export interface LaunchConfigurationChanges extends LaunchTemplateChanges {
  readonly associatePublicIpAddress?: boolean | undefined;
  readonly spotPrice?: string | undefined;
  readonly ramdiskId?: string | undefined;
  readonly blockDevices?: readonly BlockDevice[] | undefined;
}

/** Clouddriver's copyFromDescription: every field given replaces the current value. */
export function applyLaunchConfigurationChanges(
  current: LaunchConfigurationSettings,
  c: LaunchConfigurationChanges,
): LaunchConfigurationSettings {
  const securityGroups = c.securityGroups
    ? c.securityGroupsAppendOnly
      ? unique([...current.securityGroups, ...c.securityGroups])
      : unique(c.securityGroups)
    : current.securityGroups;
  return {
    ...current,
    ...(c.imageId !== undefined ? { imageId: c.imageId } : {}),
    ...(c.instanceType !== undefined ? { instanceType: c.instanceType } : {}),
    ...(c.keyPair !== undefined ? { keyPair: c.keyPair } : {}),
    ...(c.iamRole !== undefined ? { iamRole: c.iamRole } : {}),
    ...(c.base64UserData !== undefined ? { base64UserData: c.base64UserData } : {}),
    ...(c.instanceMonitoring !== undefined ? { instanceMonitoring: c.instanceMonitoring } : {}),
    ...(c.ebsOptimized !== undefined ? { ebsOptimized: c.ebsOptimized } : {}),
    ...(c.associatePublicIpAddress !== undefined ? { associatePublicIpAddress: c.associatePublicIpAddress } : {}),
    ...(c.spotPrice !== undefined ? { spotPrice: c.spotPrice === '' ? undefined : c.spotPrice } : {}),
    ...(c.ramdiskId !== undefined ? { ramdiskId: c.ramdiskId } : {}),
    ...(c.blockDevices !== undefined ? { blockDevices: c.blockDevices } : {}),
    securityGroups,
  };
}

/** Equal as launch configurations: Clouddriver makes no new one when nothing would differ. */
export function sameLaunchConfigurationSettings(a: LaunchConfigurationSettings, b: LaunchConfigurationSettings): boolean {
  return canonical(a) === canonical(b);
}

/**
 * The new configuration's name, as DefaultLaunchConfigurationBuilder makes it: the current
 * name up to its last `-`, then the time as MMddyyyyHHmmss (here the workflow's time, in UTC,
 * so a retried step names the same configuration and adopts it). Never the current name.
 */
export function nextLaunchConfigurationName(current: string, nowMs: number): string {
  const dash = current.lastIndexOf('-');
  const base = dash === -1 ? current : current.slice(0, dash);
  const stamp = (ms: number) => {
    const d = new Date(ms);
    const two = (n: number) => String(n).padStart(2, '0');
    return `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${d.getUTCFullYear()}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
  };
  const name = `${base}-${stamp(nowMs)}`;
  return name === current ? `${base}-${stamp(nowMs + 1000)}` : name;
}

/** One readable phrase for the changes: a launch template's, then those only a launch configuration has. */
export function formatLaunchConfigurationChanges(c: LaunchConfigurationChanges, amiName?: string): string {
  const parts: string[] = [];
  const shared = formatLaunchTemplateChanges(c, amiName);
  if (shared) parts.push(shared);
  if (c.associatePublicIpAddress !== undefined) parts.push(`public IP address ${c.associatePublicIpAddress ? 'on' : 'off'}`);
  if (c.spotPrice !== undefined) parts.push(c.spotPrice === '' ? 'no spot price' : `spot price ${c.spotPrice}`);
  if (c.ramdiskId) parts.push(`RAM disk ${c.ramdiskId}`);
  if (c.blockDevices) parts.push(`${c.blockDevices.length} block device${c.blockDevices.length === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** A stable text of the settings: absent and undefined fields read the same, key order does not matter. */
function canonical(s: LaunchConfigurationSettings): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => [k, sortKeys(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(sortKeys({ ...s, securityGroups: [...s.securityGroups].sort() }));
}
