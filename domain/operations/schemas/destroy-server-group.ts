import { z } from 'zod';
import { parseServerGroupName } from '../../frigga';
import type { ServerGroupsDescription } from './common';
import { ON_OBJECTS, applicationOf, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupsOf } from './common';

/**
 * Clouddriver's `DestroyAsgDescription`: the groups are named like resize's. The wait for the
 * group to disappear is Bosun's addition (Clouddriver fires and forgets); it bounds how long
 * AWS may take to terminate the group's instances before the launch template is deleted.
 */
export const destroyServerGroupSchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    waitTimeoutSeconds: z.number({ error: 'must be a number of seconds' }).int().min(1).max(86_400).optional(),
  })
  .superRefine(checkAccountAndTargets, ON_OBJECTS)
  .transform((d): DestroyServerGroup => ({
    ...serverGroupsOf(d),
    waitTimeoutSeconds: d.waitTimeoutSeconds ?? 1800,
    application: applicationOf(d),
  }));

/** The normalised description the workflow receives. */
export interface DestroyServerGroup extends ServerGroupsDescription {
  readonly waitTimeoutSeconds: number;
}

export function describeDestroy(d: DestroyServerGroup): string {
  return `destroy ${d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ')}`;
}

/**
 * Spinnaker names a group's own launch template after the group (`myapp-v001`, or
 * `myapp-v001-<suffix>`). Any other name may be shared with other groups, so destroying this
 * group must leave it alone. A name that is itself another versioned group's name
 * (`myapp-v002` for the unversioned group `myapp`) belongs to that group, not to this one.
 */
export function launchTemplateBelongsTo(serverGroupName: string, launchTemplateName: string): boolean {
  if (launchTemplateName === serverGroupName) return true;
  if (!launchTemplateName.startsWith(`${serverGroupName}-`)) return false;
  return parseServerGroupName(launchTemplateName)?.sequence === undefined;
}
