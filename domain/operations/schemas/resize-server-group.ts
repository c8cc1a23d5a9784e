import { z } from 'zod';
import type { CapacityRequest } from '../../capacity';
import { formatCapacity } from '../../capacity';
import type { ServerGroupsDescription } from './common';
import {
  ON_OBJECTS,
  applicationOf,
  capacityRequestSchema,
  checkAccountAndTargets,
  descriptionBase,
  serverGroupRefShape,
  serverGroupsOf,
} from './common';

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
  .superRefine(checkAccountAndTargets, ON_OBJECTS)
  .transform((d): ResizeServerGroup => ({
    ...serverGroupsOf(d),
    capacity: d.capacity,
    constraints: d.constraints?.capacity,
    waitForCapacity: d.waitForCapacity ?? true,
    waitTimeoutSeconds: d.waitTimeoutSeconds ?? 1800,
    application: applicationOf(d),
  }));

/** The normalised description the workflow receives. */
export interface ResizeServerGroup extends ServerGroupsDescription {
  readonly capacity: CapacityRequest;
  /** When set, the group's current capacity must match before Bosun resizes it. */
  readonly constraints?: CapacityRequest | undefined;
  readonly waitForCapacity: boolean;
  readonly waitTimeoutSeconds: number;
}

export function describeResize(d: ResizeServerGroup): string {
  const where = d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
  return `resize ${where} to ${formatCapacity(d.capacity)} (min/desired/max)`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Clouddriver's ResizeAsgDescription comes in two shapes: a top-level `capacity` (and
 * `constraints`) for every group named, or `asgs: [{serverGroupName, region, capacity,
 * constraints}]` with each group's own, and none at the top. Clouddriver's pre-processor moves a
 * top-level capacity into entries that lack one; this does the same the other way round: entries
 * that resolve to one capacity become one description with that capacity at the top, and
 * entries that differ become one description per capacity, in the order first seen (the task
 * then resizes them in that order and stops at the first failure, as Clouddriver does).
 * Anything not shaped like that is returned as it is, for the schema to explain.
 */
export function splitResizeByCapacity(raw: unknown): unknown[] {
  if (!isRecord(raw) || !Array.isArray(raw.asgs) || !raw.asgs.every(isRecord)) return [raw];
  const entries = raw.asgs;
  if (!entries.some((e) => e.capacity !== undefined || e.constraints !== undefined)) return [raw];
  const topKey = JSON.stringify([raw.capacity ?? null, raw.constraints ?? null]);
  const groups = new Map<string, { capacity: unknown; constraints: unknown; asgs: Record<string, unknown>[] }>();
  const named = raw.serverGroupName !== undefined || raw.asgName !== undefined;
  if (named) groups.set(topKey, { capacity: raw.capacity, constraints: raw.constraints, asgs: [] });
  for (const e of entries) {
    const capacity = e.capacity ?? raw.capacity;
    const constraints = e.constraints ?? raw.constraints;
    const key = JSON.stringify([capacity ?? null, constraints ?? null]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { capacity, constraints, asgs: [] }));
    group.asgs.push(e);
  }
  const { asgs: _asgs, capacity: _c, constraints: _k, serverGroupName, asgName, region, regions, ...rest } = raw;
  return [...groups.entries()].map(([key, g]) => ({
    ...rest,
    ...(key === topKey && named ? { serverGroupName, asgName, region, regions } : {}),
    ...(g.asgs.length > 0 ? { asgs: g.asgs } : {}),
    ...(g.capacity !== undefined ? { capacity: g.capacity } : {}),
    ...(g.constraints !== undefined ? { constraints: g.constraints } : {}),
  }));
}
