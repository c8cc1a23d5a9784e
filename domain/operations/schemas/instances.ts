import { z } from 'zod';
import type { RegionalDescription } from './common';
import { accountOf, ON_OBJECTS, applicationOf, checkAccount, descriptionBase, regionSchema, serverGroupNameSchema } from './common';
import { listIds } from '../instance-plans';

export type { DecrementPlan, InstancePartition, InstanceStateView } from '../instance-plans';
export { isLeavingGroup, listIds, partitionInstances, planDecrement } from '../instance-plans';

/** EC2 instance ids are `i-` and 8 (older) or 17 hex digits; anything else AWS calls malformed. */
export const instanceIdSchema = z
  .string({ error: 'must be an EC2 instance id (a string)' })
  .regex(/^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'must be an EC2 instance id such as i-0123456789abcdef0' });

/** TerminateInstances and RebootInstances take at most 1000 ids per call. */
export const MAX_INSTANCE_IDS = 1000;

const instanceIdsSchema = z
  .array(instanceIdSchema, { error: 'must be a list of EC2 instance ids' })
  .min(1, { error: 'must name at least one instance' })
  .max(MAX_INSTANCE_IDS, { error: `must name at most ${MAX_INSTANCE_IDS} instances` });

/** Instances named by id in one region: Clouddriver's terminate and reboot descriptions. */
export interface InstancesInRegion extends RegionalDescription {
  /** Each id once, in the order given. */
  readonly instanceIds: readonly string[];
}

/** Clouddriver's `TerminateInstancesDescription` and `RebootInstancesDescription`: the same fields. */
export const instancesInRegionSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema,
    instanceIds: instanceIdsSchema,
  })
  .superRefine(checkAccount, ON_OBJECTS)
  .transform((d): InstancesInRegion => ({
    account: accountOf(d),
    region: d.region,
    instanceIds: [...new Set(d.instanceIds)],
    application: applicationOf(d),
  }));

export function describeTerminateInstances(d: InstancesInRegion): string {
  return `terminate ${d.instanceIds.length} instance(s) in ${d.region}: ${listIds(d.instanceIds)}`;
}

export function describeRebootInstances(d: InstancesInRegion): string {
  return `reboot ${d.instanceIds.length} instance(s) in ${d.region}: ${listIds(d.instanceIds)}`;
}

/** Clouddriver's `TerminateInstanceAndDecrementAsgDescription`. */
export interface TerminateInstanceAndDecrementServerGroup extends RegionalDescription {
  readonly serverGroupName: string;
  readonly instanceId: string;
  /** When the group sits at its minimum, lower the minimum by one instead of refusing. */
  readonly adjustMinIfNecessary: boolean;
  /** After the decrement, lower max to the new desired capacity (Orca's rolling deploys pin it). */
  readonly setMaxToNewDesired: boolean;
}

export const terminateInstanceAndDecrementSchema = z
  .looseObject({
    ...descriptionBase,
    serverGroupName: serverGroupNameSchema.optional(),
    asgName: serverGroupNameSchema.optional(),
    region: regionSchema,
    instance: instanceIdSchema,
    adjustMinIfNecessary: z.boolean({ error: 'must be true or false' }).optional(),
    setMaxToNewDesired: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((d, ctx) => {
    checkAccount(d, ctx);
    if (!d.serverGroupName && !d.asgName) {
      ctx.addIssue({ code: 'custom', path: ['serverGroupName'], message: 'is required: the group the instance belongs to (or asgName)' });
    }
  }, ON_OBJECTS)
  .transform((d): TerminateInstanceAndDecrementServerGroup => ({
    account: accountOf(d),
    region: d.region,
    serverGroupName: (d.serverGroupName ?? d.asgName)!,
    instanceId: d.instance,
    adjustMinIfNecessary: d.adjustMinIfNecessary ?? false,
    setMaxToNewDesired: d.setMaxToNewDesired ?? false,
    application: applicationOf(d),
  }));

export function describeTerminateAndDecrement(d: TerminateInstanceAndDecrementServerGroup): string {
  return `terminate ${d.instanceId} in ${d.serverGroupName} in ${d.region} and decrement its desired capacity`;
}
