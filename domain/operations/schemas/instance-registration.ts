import { z } from 'zod';
import type { RegionalDescription } from './common';
import {
  accountOf,
  ON_OBJECTS,
  applicationOf,
  checkAccountAndRegion,
  descriptionBase,
  regionSchema,
  serverGroupNameSchema,
} from './common';
import { instanceIdSchema, MAX_INSTANCE_IDS } from './instances';
import { listIds } from '../instance-plans';

/** AWS's limit on target group names and classic load balancer names. */
const MAX_LB_NAME = 32;
const MAX_LOAD_BALANCERS = 50;

const names = (what: string) =>
  z
    .array(
      z
        .string({ error: `must be a ${what} name (a string)` })
        .min(1, { error: 'must not be empty' })
        .max(MAX_LB_NAME, { error: `must be at most ${MAX_LB_NAME} characters` }),
      { error: `must be a list of ${what} names` },
    )
    .max(MAX_LOAD_BALANCERS, { error: `must list at most ${MAX_LOAD_BALANCERS}` })
    .optional();

/**
 * Clouddriver's InstanceLoadBalancerRegistrationDescription and
 * InstanceTargetGroupRegistrationDescription, posted under one key: its converter picks target
 * groups when `targetGroupNames` is a non-empty list, classic load balancers otherwise. With
 * `asgName` (of a group that exists) the load balancers are the group's own and only the
 * instances in the group move; without it, the ones named. The validator wants the region and
 * at least one instance id.
 */
export const instanceRegistrationSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema.optional(),
    asgName: serverGroupNameSchema.optional(),
    instanceIds: z
      .array(instanceIdSchema, { error: (iss) => (iss.input === undefined ? 'is required' : 'must be a list of EC2 instance ids') })
      .min(1, { error: 'must name at least one instance' })
      .max(MAX_INSTANCE_IDS, { error: `must name at most ${MAX_INSTANCE_IDS} instances` }),
    loadBalancerNames: names('classic load balancer'),
    targetGroupNames: names('target group'),
  })
  .superRefine(checkAccountAndRegion, ON_OBJECTS)
  .transform((d): InstanceRegistration => {
    const targetGroups = (d.targetGroupNames ?? []).length > 0;
    return {
      account: accountOf(d),
      region: d.region!,
      asgName: d.asgName,
      instanceIds: d.instanceIds,
      kind: targetGroups ? 'targetGroups' : 'classic',
      names: targetGroups ? [...new Set(d.targetGroupNames)] : [...new Set(d.loadBalancerNames ?? [])],
      application: applicationOf(d),
    };
  });

/** The normalised description of `registerInstancesWithLoadBalancer` and `deregisterInstancesFromLoadBalancer`. */
export interface InstanceRegistration extends RegionalDescription {
  readonly asgName?: string | undefined;
  /** As given (Clouddriver's history lines list them so). */
  readonly instanceIds: readonly string[];
  /** Target groups when `targetGroupNames` is a non-empty list; classic load balancers otherwise. */
  readonly kind: 'targetGroups' | 'classic';
  /** The target group names, or the classic load balancer names; used only without a group. */
  readonly names: readonly string[];
}

function where(d: InstanceRegistration): string {
  const lbs = d.kind === 'targetGroups' ? 'target groups' : 'classic load balancers';
  return d.asgName ? `the ${lbs} of ${d.asgName} in ${d.region}` : `${lbs} ${d.names.join(', ') || '(none)'} in ${d.region}`;
}

export function describeRegisterInstances(d: InstanceRegistration): string {
  return `register ${listIds(d.instanceIds)} with ${where(d)}`;
}

export function describeDeregisterInstances(d: InstanceRegistration): string {
  return `deregister ${listIds(d.instanceIds)} from ${where(d)}`;
}
