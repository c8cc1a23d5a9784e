import { z } from 'zod';
import type { ServerGroupsDescription } from './common';
import { accountOf, ON_OBJECTS, applicationOf, checkAccount, descriptionBase, requiredAsgsSchema, serverGroupTargets } from './common';

const seconds = z
  .number({ error: 'must be a whole number of seconds' })
  .int({ error: 'must be a whole number of seconds' })
  .min(0, { error: 'must be 0 or more' })
  .max(2_147_483_647, { error: 'is too large' });

const names = (what: string, max: number) =>
  z
    .array(
      z
        .string({ error: `must be ${what} (a string)` })
        .min(1, { error: 'must not be empty' })
        .max(255, { error: 'is too long' }),
      {
        error: `must be a list of ${what}s`,
      },
    )
    .max(max, { error: `must list at most ${max}` });

/**
 * Clouddriver's ModifyAsgDescription (`modifyAsgDescription`, sent by Orca's ModifyAsgStage on
 * `/ops`). It names groups only in `asgs`: no pre-processor turns `serverGroupName`/`region` into
 * `asgs` for it, so those are ignored here as there.
 */
export const modifyAsgSchema = z
  .looseObject({
    ...descriptionBase,
    asgs: requiredAsgsSchema,
    cooldown: seconds.optional(),
    healthCheckGracePeriod: seconds.optional(),
    healthCheckType: z
      .string({ error: 'must be a health check type such as EC2 or ELB' })
      .min(1, { error: 'must not be empty' })
      .max(32, { error: 'must be at most 32 characters' })
      .optional(),
    enabledMetrics: names('an Auto Scaling group metric name', 64).optional(),
    terminationPolicies: names('a termination policy', 16).optional(),
    capacityRebalance: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine(checkAccount, ON_OBJECTS)
  .transform((d): ModifyAsg => ({
    account: accountOf(d),
    targets: serverGroupTargets({ asgs: d.asgs }),
    settings: {
      cooldown: d.cooldown,
      healthCheckGracePeriod: d.healthCheckGracePeriod,
      healthCheckType: d.healthCheckType,
      terminationPolicies: d.terminationPolicies,
      capacityRebalance: d.capacityRebalance,
    },
    // Absent or empty both mean "no metrics": Clouddriver disables every enabled one (ModifyAsgAtomicOperation:79).
    enabledMetrics: [...new Set(d.enabledMetrics ?? [])],
    application: applicationOf(d),
  }));

/** The normalised description of `modifyAsgDescription`. */
export interface ModifyAsg extends ServerGroupsDescription {
  /** Absent settings are left as they are. */
  readonly settings: {
    readonly cooldown?: number | undefined;
    readonly healthCheckGracePeriod?: number | undefined;
    readonly healthCheckType?: string | undefined;
    readonly terminationPolicies?: readonly string[] | undefined;
    readonly capacityRebalance?: boolean | undefined;
  };
  /** The metrics collected afterwards: the others are disabled, these enabled. */
  readonly enabledMetrics: readonly string[];
}

export function describeModifyAsg(d: ModifyAsg): string {
  const s = d.settings;
  const parts = [
    s.cooldown !== undefined && `cooldown ${s.cooldown}s`,
    s.healthCheckType !== undefined && `health check ${s.healthCheckType}`,
    s.healthCheckGracePeriod !== undefined && `grace period ${s.healthCheckGracePeriod}s`,
    s.terminationPolicies?.length && `termination policies ${s.terminationPolicies.join(', ')}`,
    s.capacityRebalance !== undefined && `capacity rebalance ${s.capacityRebalance ? 'on' : 'off'}`,
    `metrics ${d.enabledMetrics.length > 0 ? d.enabledMetrics.join(', ') : 'none'}`,
  ].filter((p): p is string => typeof p === 'string');
  return `modify ${d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ')}: ${parts.join('; ')}`;
}
