import { z } from 'zod';
import type { RegionsDescription } from './common';
import { accountOf, ALWAYS, applicationOf, checkAccountAndRegions, descriptionBase, regionListSchema } from './common';

/**
 * Clouddriver's DeleteSecurityGroupDescription (`deleteSecurityGroup`, legacy
 * `deleteSecurityGroupDescription`): a group by name, in an optional VPC, in each of `regions`.
 */
export const deleteSecurityGroupSchema = z
  .looseObject({
    ...descriptionBase,
    securityGroupName: z
      .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a security group name (a string)') })
      .min(1, { error: 'must not be empty' })
      .max(255, { error: 'must be at most 255 characters' }),
    vpcId: z
      .string({ error: 'must be a VPC id (a string)' })
      .regex(/^vpc-[0-9a-f]+$/, { error: 'must be a VPC id such as vpc-0123456789abcdef0' })
      .optional(),
    regions: regionListSchema.optional(),
  })
  // DeleteSecurityGroupDescriptionValidator: the account, and validateRegions.
  .superRefine(checkAccountAndRegions, ALWAYS)
  .transform((d): DeleteSecurityGroup => ({
    account: accountOf(d),
    regions: [...new Set(d.regions ?? [])],
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
