import { z } from 'zod';
import type { CapacityRequest } from '../capacity';
import { formatCapacity } from '../capacity';
import type { ServerGroupTarget } from './common';
import { accountOf, ALWAYS, capacityRequestSchema, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupTargets } from './common';

/**
 * Clouddriver's `ResizeAsgDescription`: the group is named by `serverGroupName` (or the legacy
 * `asgName`) with `region` (or `regions`), or as a list `asgs`. `constraints.capacity` is the
 * capacity the caller believes the group has now; the resize is refused if it has changed.
 */
export const resizeServerGroupSchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    capacity: capacityRequestSchema,
    constraints: z.looseObject({ capacity: capacityRequestSchema.optional() }).optional(),
    waitForCapacity: z.boolean().optional(),
    waitTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
  })
  .superRefine(checkAccountAndTargets, ALWAYS)
  .transform((d): ResizeServerGroup => ({
    account: accountOf(d),
    targets: serverGroupTargets(d),
    capacity: d.capacity,
    constraints: d.constraints?.capacity,
    waitForCapacity: d.waitForCapacity ?? true,
    waitTimeoutSeconds: d.waitTimeoutSeconds ?? 1800,
    application: d.application ?? d.moniker?.app,
  }));

/** The normalised description the workflow receives. */
export interface ResizeServerGroup {
  readonly account: string;
  readonly targets: readonly ServerGroupTarget[];
  readonly capacity: CapacityRequest;
  /** When set, the group's current capacity must match before Bosun resizes it. */
  readonly constraints?: CapacityRequest | undefined;
  readonly waitForCapacity: boolean;
  readonly waitTimeoutSeconds: number;
  readonly application?: string | undefined;
}

export function describeResize(d: ResizeServerGroup): string {
  const where = d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
  return `resize ${where} to ${formatCapacity(d.capacity)} (min/desired/max)`;
}
