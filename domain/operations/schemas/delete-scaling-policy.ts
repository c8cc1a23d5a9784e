import { z } from 'zod';
import type { OneServerGroupDescription } from './common';
import {
  accountOf,
  ON_OBJECTS,
  applicationOf,
  checkAccountAndGroup,
  descriptionBase,
  regionSchema,
  requiredString,
  serverGroupNameSchema,
} from './common';

/**
 * Clouddriver's DeleteScalingPolicyDescription (`deleteScalingPolicy`, legacy
 * `deleteScalingPolicyDescription`): one policy of one group in one region, all three required.
 */
export const deleteScalingPolicySchema = z
  .looseObject({
    ...descriptionBase,
    serverGroupName: serverGroupNameSchema.optional(),
    region: regionSchema.optional(),
    policyName: z
      .string({ error: requiredString('a scaling policy name') })
      .min(1, { error: 'must not be empty' })
      .max(255, { error: 'must be at most 255 characters' }),
  })
  .superRefine(checkAccountAndGroup('serverGroupName'), ON_OBJECTS)
  .transform((d): DeleteScalingPolicy => ({
    account: accountOf(d),
    targets: [{ serverGroupName: d.serverGroupName!, region: d.region! }],
    policyName: d.policyName,
    application: applicationOf(d),
  }));

/** The normalised description of `deleteScalingPolicy`. */
export interface DeleteScalingPolicy extends OneServerGroupDescription {
  readonly policyName: string;
}

export function describeDeleteScalingPolicy(d: DeleteScalingPolicy): string {
  const [t] = d.targets;
  return `delete scaling policy ${d.policyName} of ${t.serverGroupName} in ${t.region}`;
}
