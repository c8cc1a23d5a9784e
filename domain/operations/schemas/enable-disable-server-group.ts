import { z } from 'zod';
import type { ServerGroupsDescription } from './common';
import { ON_OBJECTS, applicationOf, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupsOf } from './common';

export { TRAFFIC_PROCESSES } from '../asg-process-names';

/**
 * Orca's rolling red/black and monitored deploys send `desiredPercentage` to take part of a
 * group's traffic away. Clouddriver's EnableDisablePercentageCategorizer accepts 0 to 100; 0 is
 * refused here because Clouddriver reads it as "no percentage" (Groovy truth) yet also skips
 * suspending processes, so a 0% disable would deregister every instance and leave the group
 * taking new ones: no pipeline asks for that.
 */
const disablePercentage = z
  .number({ error: 'must be a whole number from 1 to 100' })
  .int({ error: 'must be a whole number from 1 to 100' })
  .min(1, { error: 'must be a whole number from 1 to 100 (0% would disable nothing)' })
  .max(100, { error: 'must be a whole number from 1 to 100' });

const schemaWith = (percentage: z.ZodNumber | undefined) =>
  z
    .looseObject({
      ...descriptionBase,
      ...serverGroupRefShape,
      // Clouddriver's enable reads no percentage (AbstractEnableDisableAtomicOperation acts on it
      // only when disabling): there the field is ignored, as any field the schema does not define.
      ...(percentage ? { desiredPercentage: percentage.optional() } : {}),
    })
    .superRefine(checkAccountAndTargets, ON_OBJECTS)
    .transform((d): EnableDisableServerGroup => ({
      ...serverGroupsOf(d),
      application: applicationOf(d),
      ...(percentage && typeof d.desiredPercentage === 'number' ? { desiredPercentage: d.desiredPercentage } : {}),
    }));

/** Clouddriver's EnableDisableAsgDescription (`enableAsgDescription`). */
export const enableServerGroupSchema = schemaWith(undefined);
/** Clouddriver's EnableDisableAsgDescription (`disableAsgDescription`). */
export const disableServerGroupSchema = schemaWith(disablePercentage);

/** The normalised description the enable and disable workflows receive. */
export interface EnableDisableServerGroup extends ServerGroupsDescription {
  /**
   * Disable only: the share of the group's instances (1-100) that should end up out of its load
   * balancers. Below 100 processes stay as they are and only the chosen instances leave.
   */
  readonly desiredPercentage?: number | undefined;
}

export type EnableServerGroup = EnableDisableServerGroup;
export type DisableServerGroup = EnableDisableServerGroup;

export function describeEnable(d: EnableDisableServerGroup): string {
  return `enable ${where(d)}`;
}

export function describeDisable(d: EnableDisableServerGroup): string {
  const share = d.desiredPercentage !== undefined && d.desiredPercentage < 100 ? `${d.desiredPercentage}% of ` : '';
  return `disable ${share}${where(d)}`;
}

function where(d: EnableDisableServerGroup): string {
  return d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
}
