import { z } from 'zod';
import type { DeployDescription } from './create-server-group';
import { checkCreateServerGroup, clusterOf, createServerGroupFields, toDeployDescription } from './create-server-group';
import { ON_OBJECTS } from './common';
import type { Gate, StrategyName, StrategyOptions } from '../../strategy';
import { parseDuration, STRATEGY_NAMES } from '../../strategy';

/**
 * deployWithStrategy: Bosun's own operation. A createServerGroup description plus the strategy
 * fields of Orca's deploy stage (AbstractDeployStrategyStage's StageData), run as one durable
 * workflow instead of Orca's chain of separate tasks.
 */
export interface DeployWithStrategy {
  readonly deploy: DeployDescription;
  /** The cluster the deploy goes into (Frigga's app-stack-detail). */
  readonly cluster: string;
  readonly region: string;
  readonly options: StrategyOptions;
}

const seconds = z.number({ error: 'must be a number of seconds' }).int({ error: 'must be whole seconds' }).min(0).max(86_400);

const gateSchema = z.looseObject({
  at: z.enum(['beforeCutover', 'eachStep', 'beforeScaleDown'], { error: 'must be beforeCutover, eachStep or beforeScaleDown' }),
  kind: z.enum(['approval', 'sleep'], { error: 'must be approval or sleep' }),
  timeout: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, { error: 'must be a duration such as 90s, 30m or 2h (at most 7 days)' })
    .optional(),
  onTimeout: z.enum(['rollback', 'proceed'], { error: 'must be rollback or proceed' }).optional(),
});

export const strategyFields = {
  strategy: z
    .string()
    .optional()
    .refine((s) => s === undefined || s === '' || (STRATEGY_NAMES as readonly string[]).includes(s), {
      error: `must be one of ${STRATEGY_NAMES.join(', ')} (custom strategies run as gates here)`,
    }),
  scaleDown: z.boolean().optional(),
  maxRemainingAsgs: z.number().int().min(-1).max(1000).optional(),
  allowDeleteActive: z.boolean().optional(),
  allowScaleDownActive: z.boolean().optional(),
  delayBeforeDisableSec: seconds.optional(),
  delayBeforeCleanup: seconds.optional(),
  delayBeforeScaleDownSec: seconds.optional(),
  targetPercentages: z
    .array(z.number().int({ error: 'must be whole percentages' }).min(1).max(100))
    .max(20, { error: 'must list at most 20 steps' })
    .refine((ps) => ps.every((p, i) => i === 0 || p > ps[i - 1]!), { error: 'must rise strictly' })
    .optional(),
  interestingHealthProviderNames: z.array(z.string().min(1)).max(10).optional(),
  maxInitialAsgs: z.number().int().min(-1).max(1000).optional(),
  rollback: z.looseObject({ onFailure: z.boolean().optional(), destroyLatest: z.boolean().optional() }).optional(),
  gates: z.array(gateSchema).max(20, { error: 'must list at most 20 gates' }).optional(),
  /** Bosun: how long a deploy waits for a running deploy of the same cluster, in seconds (default 1800). */
  clusterLockTimeoutSec: seconds.optional(),
};

export const deployWithStrategySchema = z
  .looseObject({ ...createServerGroupFields, ...strategyFields })
  .superRefine((d, ctx) => {
    checkCreateServerGroup(d, ctx);
    const regions = Object.keys(d.availabilityZones ?? {});
    if (regions.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['availabilityZones'],
        message: `must name exactly one region for deployWithStrategy (a strategy runs per cluster and region, as Orca's deploy stage does); got ${regions.join(', ')}`,
      });
    }
    if (d.strategy === 'rollingredblack' && d.source?.useSourceCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['source', 'useSourceCapacity'],
        message: 'does not apply to rollingredblack, which grows the new group step by step to the source capacity',
      });
    }
  }, ON_OBJECTS)
  .transform((d): DeployWithStrategy => {
    const deploy = toDeployDescription(d);
    const gates: Gate[] = (d.gates ?? []).map((g) => ({
      at: g.at,
      kind: g.kind,
      timeoutMs: g.timeout === undefined ? undefined : parseDuration(g.timeout),
      onTimeout: g.onTimeout ?? (g.kind === 'sleep' ? 'proceed' : 'rollback'),
    }));
    const strategy = (d.strategy || 'none') as StrategyName;
    return {
      deploy,
      cluster: clusterOf(deploy),
      region: deploy.regions[0]?.region ?? '',
      options: {
        strategy,
        scaleDown: d.scaleDown ?? false,
        maxRemainingAsgs: d.maxRemainingAsgs ?? -1,
        allowDeleteActive: d.allowDeleteActive ?? false,
        allowScaleDownActive: d.allowScaleDownActive ?? false,
        // Orca's StageData: delayBeforeCleanup, falling back to delayBeforeDisableSec.
        delayBeforeDisableSec: d.delayBeforeCleanup ?? d.delayBeforeDisableSec ?? 0,
        delayBeforeScaleDownSec: d.delayBeforeScaleDownSec ?? 0,
        targetPercentages: d.targetPercentages ?? [],
        targetHealthyDeployPercentage: d.targetHealthyDeployPercentage ?? 100,
        interestingHealthProviderNames: d.interestingHealthProviderNames,
        maxInitialAsgs: d.maxInitialAsgs ?? 1,
        rollbackOnFailure: d.rollback?.onFailure ?? true,
        destroyLatest: d.rollback?.destroyLatest ?? false,
        copySourceScaling: d.copySourceScalingPoliciesAndActions !== false,
        gates,
        clusterLockTimeoutMs: (d.clusterLockTimeoutSec ?? 1800) * 1000,
      },
    };
  });

export function describeDeployWithStrategy(d: DeployWithStrategy): string {
  const c = d.deploy.capacity;
  return `${d.options.strategy} deploy of ${d.cluster} in ${d.region} (${d.deploy.account}) at ${c.min}/${c.desired}/${c.max}`;
}
