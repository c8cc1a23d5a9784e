import { z } from 'zod';
import type { OneServerGroupDescription } from './common';
import { accountOf, ON_OBJECTS, applicationOf, checkAccountAndGroup, descriptionBase, regionSchema, serverGroupNameSchema } from './common';

/** AWS allows at most 5 security groups per network interface by default, 16 at most. */
const MAX_SECURITY_GROUPS = 16;

/**
 * Clouddriver's UpdateInstancesDescription (`updateInstances`, legacy `updateInstancesDescription`):
 * the security groups of every instance of `serverGroupName` in `region` become
 * `securityGroups` (plus the launch configuration's, with `securityGroupsAppendOnly`). Its
 * validator wants the group and the region, and security groups when appending.
 */
export const updateInstancesSchema = z
  .looseObject({
    ...descriptionBase,
    serverGroupName: serverGroupNameSchema.optional(),
    region: regionSchema.optional(),
    securityGroups: z
      .array(z.string({ error: 'must be a security group id (a string)' }).min(1, { error: 'must not be empty' }), {
        error: 'must be a list of security group ids',
      })
      .max(MAX_SECURITY_GROUPS, { error: `must list at most ${MAX_SECURITY_GROUPS} security groups` })
      .optional(),
    securityGroupsAppendOnly: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((d, ctx) => {
    checkAccountAndGroup('serverGroupName')(d, ctx);
    if (d.securityGroupsAppendOnly === true && (d.securityGroups ?? []).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['securityGroups'], message: 'is required when securityGroupsAppendOnly is true' });
    }
  }, ON_OBJECTS)
  .transform((d): UpdateInstances => ({
    account: accountOf(d),
    targets: [{ serverGroupName: d.serverGroupName!, region: d.region! }],
    securityGroups: d.securityGroups ?? [],
    securityGroupsAppendOnly: d.securityGroupsAppendOnly ?? false,
    application: applicationOf(d),
  }));

/** The normalised description of `updateInstances`. */
export interface UpdateInstances extends OneServerGroupDescription {
  readonly securityGroups: readonly string[];
  readonly securityGroupsAppendOnly: boolean;
}

export function describeUpdateInstances(d: UpdateInstances): string {
  const [t] = d.targets;
  return `set the security groups of ${t.serverGroupName}'s instances in ${t.region} to ${d.securityGroups.join(', ') || '(none)'}${d.securityGroupsAppendOnly ? " and its launch configuration's" : ''}`;
}
