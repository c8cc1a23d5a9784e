import { z } from 'zod';
import type { RegionsDescription } from './common';
import {
  accountAndRegionsOf,
  ON_OBJECTS,
  applicationOf,
  checkAccountAndRegions,
  descriptionBase,
  regionListSchema,
  requiredString,
} from './common';

/**
 * Clouddriver's DeleteAmazonLoadBalancerDescription (`deleteLoadBalancer`, legacy
 * `deleteAmazonLoadBalancerDescription`): a load balancer by name in each of `regions`. The
 * converter reads `loadBalancerType` from the raw input: absent is `classic`; exactly `classic`
 * runs DeleteAmazonLoadBalancerClassicAtomicOperation, any other value the V2 (application and
 * network) operation (DeleteAmazonLoadBalancerAtomicOperationConverter.groovy).
 */
export const deleteLoadBalancerSchema = z
  .looseObject({
    ...descriptionBase,
    loadBalancerName: z
      .string({ error: requiredString('a load balancer name') })
      .min(1, { error: 'must not be empty' })
      .max(255, { error: 'must be at most 255 characters' }),
    loadBalancerType: z.string({ error: 'must be classic, application or network' }).optional(),
    regions: regionListSchema.optional(),
  })
  // DeleteAmazonLoadBalancerDescriptionValidator: the account, and validateRegions.
  .superRefine(checkAccountAndRegions, ON_OBJECTS)
  .transform((d): DeleteLoadBalancer => ({
    ...accountAndRegionsOf(d),
    loadBalancerName: d.loadBalancerName,
    classic: (d.loadBalancerType ?? 'classic') === 'classic',
    application: applicationOf(d),
  }));

export interface DeleteLoadBalancer extends RegionsDescription {
  readonly loadBalancerName: string;
  /** The classic operation (ELB); otherwise the V2 one (application and network load balancers). */
  readonly classic: boolean;
}

export function describeDeleteLoadBalancer(d: DeleteLoadBalancer): string {
  return `delete ${d.classic ? 'classic ' : ''}load balancer ${d.loadBalancerName} in ${d.regions.join(', ')}`;
}
