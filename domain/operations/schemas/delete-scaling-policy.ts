import { z } from 'zod';
import type { ServerGroupTarget } from './common';
import { accountOf, ALWAYS, checkAccount, descriptionBase, regionSchema, serverGroupNameSchema } from './common';

/**
 * Clouddriver's DeleteScalingPolicyDescription (`deleteScalingPolicy`, legacy
 * `deleteScalingPolicyDescription`): one policy of one group in one region, all three required.
 */
export const deleteScalingPolicySchema = z
  .looseObject({
    ...descriptionBase,
    serverGroupName: serverGroupNameSchema.optional(),
    region: regionSchema.optional(),
    policyName: z
      .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a scaling policy name (a string)') })
      .min(1, { error: 'must not be empty' })
      .max(255, { error: 'must be at most 255 characters' }),
  })
  .superRefine((d, ctx) => {
    checkAccount(d, ctx);
    if (d.serverGroupName === undefined) ctx.addIssue({ code: 'custom', path: ['serverGroupName'], message: 'is required' });
    if (d.region === undefined) ctx.addIssue({ code: 'custom', path: ['region'], message: 'is required' });
  }, ALWAYS)
  .transform((d): DeleteScalingPolicy => ({
    account: accountOf(d),
    targets: [{ serverGroupName: d.serverGroupName!, region: d.region! }],
    policyName: d.policyName,
    application: d.application ?? d.moniker?.app,
  }));

/** The normalised description of `deleteScalingPolicy`. */
export interface DeleteScalingPolicy {
  readonly account: string;
  /** Exactly one group. */
  readonly targets: readonly [ServerGroupTarget];
  readonly policyName: string;
  readonly application?: string | undefined;
}

export function describeDeleteScalingPolicy(d: DeleteScalingPolicy): string {
  const [t] = d.targets;
  return `delete scaling policy ${d.policyName} of ${t.serverGroupName} in ${t.region}`;
}
