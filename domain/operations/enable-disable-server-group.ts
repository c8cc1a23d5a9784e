import { z } from 'zod';
import type { ServerGroupTarget } from './common';
import { accountOf, ALWAYS, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupTargets } from './common';

export { TRAFFIC_PROCESSES } from './asg-process-names';

/**
 * Orca's rolling red/black sends `desiredPercentage` to move traffic part of the way. Bosun does
 * only whole groups so far; doing 100% when a pipeline asked for 25% would take the old group out
 * of service early, so anything else is refused.
 */
const desiredPercentage = z.number({ error: 'must be a number' }).refine((p) => p === 100, {
  error: (iss) => `${String(iss.input)}% is not supported: Bosun enables and disables whole groups only (100)`,
});

const enableDisableSchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    desiredPercentage: desiredPercentage.optional(),
  })
  .superRefine(checkAccountAndTargets, ALWAYS)
  .transform((d): EnableDisableServerGroup => ({
    account: accountOf(d),
    targets: serverGroupTargets(d),
    application: d.application ?? d.moniker?.app,
  }));

/** Clouddriver's EnableDisableAsgDescription (`enableAsgDescription`). */
export const enableServerGroupSchema = enableDisableSchema;
/** Clouddriver's EnableDisableAsgDescription (`disableAsgDescription`). */
export const disableServerGroupSchema = enableDisableSchema;

/** The normalised description the enable and disable workflows receive. */
export interface EnableDisableServerGroup {
  readonly account: string;
  readonly targets: readonly ServerGroupTarget[];
  readonly application?: string | undefined;
}

export type EnableServerGroup = EnableDisableServerGroup;
export type DisableServerGroup = EnableDisableServerGroup;

export function describeEnable(d: EnableDisableServerGroup): string {
  return `enable ${where(d)}`;
}

export function describeDisable(d: EnableDisableServerGroup): string {
  return `disable ${where(d)}`;
}

function where(d: EnableDisableServerGroup): string {
  return d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
}
