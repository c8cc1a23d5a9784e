import { z } from 'zod';
import type { Capacity } from '../capacity';
import { formatCapacity } from '../capacity';
import { accountOf, ALWAYS, descriptionBase, regionSchema, serverGroupNameSchema } from './common';

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

function checkAccount(d: { credentials?: string | undefined; account?: string | undefined }, ctx: z.core.$RefinementCtx): void {
  if (!d.credentials && !d.account) {
    ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'is required (the account name)' });
  }
}

/** Instances named by id in one region: Clouddriver's terminate and reboot descriptions. */
export interface InstancesInRegion {
  readonly account: string;
  readonly region: string;
  /** Each id once, in the order given. */
  readonly instanceIds: readonly string[];
  readonly application?: string | undefined;
}

/** Clouddriver's `TerminateInstancesDescription` and `RebootInstancesDescription`: the same fields. */
export const instancesInRegionSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema,
    instanceIds: instanceIdsSchema,
  })
  .superRefine(checkAccount, ALWAYS)
  .transform(
    (d): InstancesInRegion => ({
      account: accountOf(d),
      region: d.region,
      instanceIds: [...new Set(d.instanceIds)],
      application: d.application ?? d.moniker?.app,
    }),
  );

export function describeTerminateInstances(d: InstancesInRegion): string {
  return `terminate ${d.instanceIds.length} instance(s) in ${d.region}: ${listIds(d.instanceIds)}`;
}

export function describeRebootInstances(d: InstancesInRegion): string {
  return `reboot ${d.instanceIds.length} instance(s) in ${d.region}: ${listIds(d.instanceIds)}`;
}

/** `i-1, i-2, i-3 and 7 more`: history lines and summaries stay readable for 1000 ids. */
export function listIds(ids: readonly string[], shown = 10): string {
  if (ids.length <= shown) return ids.join(', ');
  return `${ids.slice(0, shown).join(', ')} and ${ids.length - shown} more`;
}

/** EC2 states in which an instance is gone or going: terminating it again changes nothing. */
const GONE_STATES = new Set(['shutting-down', 'terminated']);

export interface InstanceStateView {
  readonly instanceId: string;
  /** EC2's state name: pending, running, stopping, stopped, shutting-down, terminated. */
  readonly state: string;
}

export interface InstancePartition {
  /** Ids EC2 does not know (never existed, or terminated long enough ago to be forgotten). */
  readonly unknown: string[];
  /** Shutting down or terminated already. */
  readonly gone: string[];
  /** Everything else, with its state. */
  readonly live: InstanceStateView[];
}

/** Sorts the requested ids by what EC2 said about them, keeping the request's order. */
export function partitionInstances(requested: readonly string[], found: readonly InstanceStateView[]): InstancePartition {
  const byId = new Map(found.map((i) => [i.instanceId, i]));
  const result: InstancePartition = { unknown: [], gone: [], live: [] };
  for (const id of requested) {
    const i = byId.get(id);
    if (!i) result.unknown.push(id);
    else if (GONE_STATES.has(i.state)) result.gone.push(id);
    else result.live.push(i);
  }
  return result;
}

/** Clouddriver's `TerminateInstanceAndDecrementAsgDescription`. */
export interface TerminateInstanceAndDecrementServerGroup {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly instanceId: string;
  /** When the group sits at its minimum, lower the minimum by one instead of refusing. */
  readonly adjustMinIfNecessary: boolean;
  /** After the decrement, lower max to the new desired capacity (Orca's rolling deploys pin it). */
  readonly setMaxToNewDesired: boolean;
  readonly application?: string | undefined;
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
  }, ALWAYS)
  .transform(
    (d): TerminateInstanceAndDecrementServerGroup => ({
      account: accountOf(d),
      region: d.region,
      serverGroupName: (d.serverGroupName ?? d.asgName)!,
      instanceId: d.instance,
      adjustMinIfNecessary: d.adjustMinIfNecessary ?? false,
      setMaxToNewDesired: d.setMaxToNewDesired ?? false,
      application: d.application ?? d.moniker?.app,
    }),
  );

export function describeTerminateAndDecrement(d: TerminateInstanceAndDecrementServerGroup): string {
  return `terminate ${d.instanceId} in ${d.serverGroupName} in ${d.region} and decrement its desired capacity`;
}

/** Auto Scaling lifecycle states of an instance that is already on its way out. */
export function isLeavingGroup(lifecycleState: string): boolean {
  return lifecycleState.startsWith('Terminating') || lifecycleState === 'Terminated' || lifecycleState.startsWith('Detaching') || lifecycleState === 'Detached';
}

export type DecrementPlan =
  | { readonly ok: true; readonly after: Capacity; /** Set when min must drop first. */ readonly lowerMinTo?: number | undefined }
  | { readonly ok: false; readonly problem: string };

/**
 * What terminating one instance with a decrement does to the group's capacity. AWS refuses a
 * decrement below min with a ValidationError (the emulator does not), so Bosun decides first.
 */
export function planDecrement(current: Capacity, adjustMinIfNecessary: boolean): DecrementPlan {
  const desired = current.desired - 1;
  if (desired < 0) return { ok: false, problem: `its desired capacity is already 0 (${formatCapacity(current)} min/desired/max)` };
  if (desired >= current.min) return { ok: true, after: { ...current, desired } };
  if (!adjustMinIfNecessary) {
    return {
      ok: false,
      problem:
        `desired capacity ${current.desired} would drop to ${desired}, below the minimum of ${current.min} ` +
        `(set adjustMinIfNecessary to lower the minimum to ${desired})`,
    };
  }
  return { ok: true, after: { ...current, min: desired, desired }, lowerMinTo: desired };
}
