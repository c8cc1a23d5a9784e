import { z } from 'zod';
import type { OneServerGroupDescription } from './common';
import { accountOf, ON_OBJECTS, applicationOf, checkAccountAndGroup, descriptionBase, regionSchema, serverGroupNameSchema } from './common';
import { instanceIdSchema, MAX_INSTANCE_IDS } from './instances';
import { listIds } from '../instance-plans';

/**
 * Clouddriver's DetachInstancesDescription (`detachInstances`, legacy `detachInstancesDescription`):
 * instances of `asgName` in `region` leave the group, tagged `spinnaker:Detached`. Its validator
 * wants the region, the group and no empty id; the three flags are Java booleans, false when absent.
 */
export const detachInstancesSchema = z
  .looseObject({
    ...descriptionBase,
    asgName: serverGroupNameSchema.optional(),
    region: regionSchema.optional(),
    instanceIds: z
      .array(instanceIdSchema, { error: (iss) => (iss.input === undefined ? 'is required' : 'must be a list of EC2 instance ids') })
      .max(MAX_INSTANCE_IDS, { error: `must name at most ${MAX_INSTANCE_IDS} instances` }),
    decrementDesiredCapacity: z.boolean({ error: 'must be true or false' }).optional(),
    terminateDetachedInstances: z.boolean({ error: 'must be true or false' }).optional(),
    adjustMinIfNecessary: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine(checkAccountAndGroup('asgName'), ON_OBJECTS)
  .transform((d): DetachInstances => ({
    account: accountOf(d),
    targets: [{ serverGroupName: d.asgName!, region: d.region! }],
    instanceIds: [...new Set(d.instanceIds)],
    decrementDesiredCapacity: d.decrementDesiredCapacity ?? false,
    terminateDetachedInstances: d.terminateDetachedInstances ?? false,
    adjustMinIfNecessary: d.adjustMinIfNecessary ?? false,
    application: applicationOf(d),
  }));

/** The normalised description of `detachInstances`. */
export interface DetachInstances extends OneServerGroupDescription {
  /** Each id once, in the order given. */
  readonly instanceIds: readonly string[];
  readonly decrementDesiredCapacity: boolean;
  readonly terminateDetachedInstances: boolean;
  readonly adjustMinIfNecessary: boolean;
}

export function describeDetachInstances(d: DetachInstances): string {
  const [t] = d.targets;
  return `detach ${d.instanceIds.length} instance(s) from ${t.serverGroupName} in ${t.region}: ${listIds(d.instanceIds)}`;
}
