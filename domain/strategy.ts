/**
 * The rules of Orca's deploy strategies that deployWithStrategy follows, as pure functions the
 * workflow and its tests share (bundled into the workflow sandbox: no zod, no I/O).
 */
import type { Capacity } from './capacity';
import type { HealthState } from './traffic-share';

export const STRATEGY_NAMES = ['redblack', 'highlander', 'rollingredblack', 'none'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export type GateAt = 'beforeCutover' | 'eachStep' | 'beforeScaleDown';

/** A pause the deploy makes: an approval a person gives, or a sleep; both bounded by `timeoutMs`. */
export interface Gate {
  readonly at: GateAt;
  readonly kind: 'approval' | 'sleep';
  /** Absent: an approval waits without bound, a sleep does not sleep. */
  readonly timeoutMs?: number | undefined;
  readonly onTimeout: 'rollback' | 'proceed';
}

export interface StrategyOptions {
  readonly strategy: StrategyName;
  readonly scaleDown: boolean;
  /** Orca's: keep at most this many groups in the cluster (redblack); -1 or 0 = no shrink. */
  readonly maxRemainingAsgs: number;
  readonly allowDeleteActive: boolean;
  readonly allowScaleDownActive: boolean;
  readonly delayBeforeDisableSec: number;
  readonly delayBeforeScaleDownSec: number;
  /** rollingredblack's steps; 100 is appended when missing (RollingRedBlackStrategy). */
  readonly targetPercentages: readonly number[];
  readonly targetHealthyDeployPercentage: number;
  /** Orca's filter of health providers; absent = every health counts (WaitForUpInstancesTask). */
  readonly interestingHealthProviderNames?: readonly string[] | undefined;
  /** rollingredblack's precondition: at most this many enabled groups before the deploy; -1 = off. */
  readonly maxInitialAsgs: number;
  readonly rollbackOnFailure: boolean;
  readonly destroyLatest: boolean;
  readonly copySourceScaling: boolean;
  readonly gates: readonly Gate[];
  readonly clusterLockTimeoutMs: number;
}

/** `90s`, `30m`, `2h`, `1d` (or plain seconds) in milliseconds; undefined when unreadable or over 7 days. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(m[1]) * unit);
  return ms <= 7 * 86_400_000 ? ms : undefined;
}

/** rollingredblack's steps: the requested percentages with 100 appended when it is not the last. */
export function rollingSteps(targetPercentages: readonly number[]): number[] {
  const steps = [...targetPercentages];
  if (steps.length === 0 || steps[steps.length - 1] !== 100) steps.push(100);
  return steps;
}

/**
 * The new group's capacity at step p of rollingredblack (ResizeStrategySupport, scale_to_server_group
 * with scalePct): ⌈p% of the reference's desired⌉, pinned (min = max = desired) below 100; at 100
 * the reference's capacity, with min unpinned to the reference's own min.
 */
export function rollingCapacity(reference: Capacity, p: number): Capacity {
  if (p >= 100) return { ...reference };
  const desired = Math.ceil((reference.desired * p) / 100);
  return { min: desired, desired, max: desired };
}

/** WaitForUpInstancesTask: round(desired × p%), never 0 unless 0% is asked for or nothing is desired. */
export function upTarget(desired: number, percentage: number): number {
  if (percentage <= 0 || desired <= 0) return 0;
  return Math.max(1, Math.round((desired * percentage) / 100));
}

/** One instance's healths by provider, as Clouddriver names them (`Amazon`, `TargetGroup`, `LoadBalancer`). */
export interface InstanceHealth {
  readonly instanceId: string;
  readonly healths: readonly {
    readonly type: 'Amazon' | 'TargetGroup' | 'LoadBalancer';
    readonly name: string;
    readonly state: HealthState;
  }[];
}

/**
 * HealthHelper.someAreUpAndNoneAreDownOrStarting over the interesting providers: some health is
 * Up, and none is Down, OutOfService, Starting or Draining. `[]` counts as healthy at once (Orca);
 * absent counts every provider.
 */
export function isUp(i: InstanceHealth, providers: readonly string[] | undefined): boolean {
  if (providers && providers.length === 0) return true;
  const relevant = providers ? i.healths.filter((h) => providers.includes(h.type)) : i.healths;
  return (
    relevant.some((h) => h.state === 'Up') && !relevant.some((h) => ['Down', 'OutOfService', 'Starting', 'Draining'].includes(h.state))
  );
}

/** How many instances are up, overall and per load balancer, in words for the task history. */
export function describeHealth(serverGroupName: string, instances: readonly InstanceHealth[], providers: readonly string[] | undefined) {
  const up = instances.filter((i) => isUp(i, providers)).length;
  const perBalancer = new Map<string, { up: number; total: number; type: string }>();
  for (const i of instances) {
    for (const h of i.healths) {
      if (h.type === 'Amazon' || (providers && !providers.includes(h.type))) continue;
      const e = perBalancer.get(h.name) ?? { up: 0, total: 0, type: h.type };
      e.total++;
      if (h.state === 'Up') e.up++;
      perBalancer.set(h.name, e);
    }
  }
  const parts = [...perBalancer.entries()].map(
    ([name, e]) => `${e.up} of ${e.total} instances up in ${e.type === 'TargetGroup' ? 'target group' : 'load balancer'} ${name}`,
  );
  return { up, message: `${up} of ${instances.length} instances of ${serverGroupName} up${parts.length ? ` (${parts.join('; ')})` : ''}` };
}

/**
 * TrafficGuard: a change that takes the cluster from some instances up to none is refused
 * (`min-capacity-ratio` 0, Orca's default); nothing up now means nothing to protect.
 */
export function trafficGuardProblem(clusterUpNow: number, clusterUpAfter: number, what: string, cluster: string): string | undefined {
  if (clusterUpNow === 0 || clusterUpAfter > 0) return undefined;
  return `${what} would leave the cluster ${cluster} with no instances up (${clusterUpNow} up now, ${clusterUpAfter} after)`;
}
