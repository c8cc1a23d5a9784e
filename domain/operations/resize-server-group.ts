import { z } from 'zod';
import type { CapacityRequest } from '../capacity';
import { formatCapacity } from '../capacity';
import type { ServerGroupTarget } from './common';
import { capacityRequestSchema, descriptionBase, regionSchema, serverGroupNameSchema } from './common';

/**
 * Clouddriver's `ResizeAsgDescription`: the group is named by `serverGroupName` (or the legacy
 * `asgName`) with `region` (or `regions`), or as a list `asgs`. `constraints.capacity` is the
 * capacity the caller believes the group has now; the resize is refused if it has changed.
 */
export const resizeServerGroupSchema = z
  .looseObject({
    ...descriptionBase,
    serverGroupName: serverGroupNameSchema.optional(),
    asgName: serverGroupNameSchema.optional(),
    region: regionSchema.optional(),
    regions: z.array(regionSchema).optional(),
    asgs: z.array(z.looseObject({ serverGroupName: serverGroupNameSchema, region: regionSchema })).optional(),
    capacity: capacityRequestSchema,
    constraints: z.looseObject({ capacity: capacityRequestSchema.optional() }).optional(),
    waitForCapacity: z.boolean().optional(),
    waitTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.credentials && !d.account) {
      ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'is required (the account name)' });
    }
    if (targetsOf(d).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['serverGroupName'],
        message: 'is required: name the group with serverGroupName and region, or list them in asgs',
      });
    }
    // Run even when other fields are wrong, so one 400 names every problem at once.
  }, { when: () => true })
  .transform((d): ResizeServerGroup => ({
    account: (d.credentials ?? d.account)!,
    targets: targetsOf(d),
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

function targetsOf(d: {
  serverGroupName?: string | undefined;
  asgName?: string | undefined;
  region?: string | undefined;
  regions?: string[] | undefined;
  asgs?: { serverGroupName: string; region: string }[] | undefined;
}): ServerGroupTarget[] {
  // Also called on input that failed other checks: trust no shapes here.
  const asgs = Array.isArray(d.asgs) ? d.asgs.filter((a) => typeof a === 'object' && a !== null) : [];
  const targets: ServerGroupTarget[] = asgs.map((a) => ({ serverGroupName: a.serverGroupName, region: a.region }));
  const name = d.serverGroupName ?? d.asgName;
  const regions = d.region ? [d.region] : Array.isArray(d.regions) ? d.regions : [];
  if (name) for (const region of regions) targets.push({ serverGroupName: name, region });
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.region}:${t.serverGroupName}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function describeResize(d: ResizeServerGroup): string {
  const where = d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
  return `resize ${where} to ${formatCapacity(d.capacity)} (min/desired/max)`;
}
