import { z } from 'zod';
import type { RegionsDescription } from './common';
import {
  accountAndRegionsOf,
  ON_OBJECTS,
  applicationOf,
  checkAccountAndRegions,
  descriptionBase,
  regionListSchema,
  securityGroupNameSchema,
  vpcIdSchema,
} from './common';

/**
 * Clouddriver's DeleteSecurityGroupDescription (`deleteSecurityGroup`, legacy
 * `deleteSecurityGroupDescription`): a group by name, in an optional VPC, in each of `regions`.
 */
export const deleteSecurityGroupSchema = z
  .looseObject({
    ...descriptionBase,
    securityGroupName: securityGroupNameSchema,
    vpcId: vpcIdSchema.optional(),
    regions: regionListSchema.optional(),
  })
  // DeleteSecurityGroupDescriptionValidator: the account, and validateRegions.
  .superRefine(checkAccountAndRegions, ON_OBJECTS)
  .transform((d): DeleteSecurityGroup => ({
    ...accountAndRegionsOf(d),
    securityGroupName: d.securityGroupName,
    vpcId: d.vpcId,
    application: applicationOf(d),
  }));

export interface DeleteSecurityGroup extends RegionsDescription {
  readonly securityGroupName: string;
  readonly vpcId?: string | undefined;
}

export function describeDeleteSecurityGroup(d: DeleteSecurityGroup): string {
  return `delete security group ${d.securityGroupName}${d.vpcId ? ` in ${d.vpcId}` : ''} in ${d.regions.join(', ')}`;
}
