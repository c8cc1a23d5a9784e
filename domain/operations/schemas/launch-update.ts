/**
 * What updateLaunchTemplate and updateLaunchConfig share: the user-data and instance-type
 * fields (same limits, same messages) and the normalised description the workflow receives.
 */
import { z } from 'zod';
import type { ServerGroupsDescription } from './common';
import type { LaunchTemplateChanges } from '../launch-template-versions';

/** AWS caps user data at 16 KiB before encoding, which is 21,848 base64 characters. */
const MAX_USER_DATA_BASE64 = 21_848;

export const base64UserDataSchema = z
  .string()
  .max(MAX_USER_DATA_BASE64, { error: `must be at most ${MAX_USER_DATA_BASE64} base64 characters (16 KiB of user data)` })
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, { error: 'must be base64-encoded' });

export const instanceTypeSchema = z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, { error: 'must be an EC2 instance type such as m5.large' });

/** The normalised update of the launch template or configuration of one or more groups. */
export interface LaunchUpdate<Changes> extends ServerGroupsDescription {
  /** An AMI name (or id) to resolve in each target's region. */
  readonly amiName?: string | undefined;
  readonly changes: Changes;
}

/** The changes both operations take as posted (a launch template's, but for the image and the append flag). */
type PostedChanges = Pick<
  LaunchTemplateChanges,
  'instanceType' | 'keyPair' | 'securityGroups' | 'iamRole' | 'base64UserData' | 'instanceMonitoring' | 'ebsOptimized'
>;

export function postedChangesOf(d: PostedChanges): PostedChanges {
  return {
    instanceType: d.instanceType,
    keyPair: d.keyPair,
    securityGroups: d.securityGroups,
    iamRole: d.iamRole,
    base64UserData: d.base64UserData,
    instanceMonitoring: d.instanceMonitoring,
    ebsOptimized: d.ebsOptimized,
  };
}

/** `update the <what> of <group> in <region>, …`, then the changes in words when there are any. */
export function describeLaunchUpdate(what: string, d: LaunchUpdate<unknown>, changes: string): string {
  const where = d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
  return `update the ${what} of ${where}${changes ? `: ${changes}` : ''}`;
}
