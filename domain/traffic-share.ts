/**
 * Which instances a partial disable takes out of its load balancers, as Clouddriver chooses
 * them (clouddriver-eureka AbstractEurekaSupport.getInstanceToModify and clouddriver-core
 * EnableDisablePercentageCategorizer), from live load-balancer health instead of Clouddriver's
 * cache.
 */

/** Clouddriver's HealthState of one instance in one health provider. */
export type HealthState = 'Up' | 'Down' | 'Starting' | 'OutOfService' | 'Draining' | 'Unknown';

/** Clouddriver's InstanceTargetGroupState: an ELBv2 target state as a HealthState. */
export function targetGroupHealth(state: string | undefined): HealthState {
  switch (state) {
    case 'healthy':
      return 'Up';
    case 'initial':
      return 'Starting';
    case 'unused':
      return 'OutOfService';
    case 'draining':
      return 'Draining';
    default:
      return 'Down';
  }
}

/** Clouddriver's InstanceLoadBalancerState: a classic ELB instance state as a HealthState. */
export function classicLoadBalancerHealth(state: string | undefined, description: string | undefined): HealthState {
  if (state === 'InService') return 'Up';
  if (description === 'Instance registration is still in progress') return 'Starting';
  if (description === 'Instance is not currently registered with the LoadBalancer.') return 'OutOfService';
  return 'Down';
}

/** Clouddriver's InstanceTargetGroups: one health over every target group the instance is in. */
export function overTargetGroups(states: readonly HealthState[]): HealthState | undefined {
  if (states.length === 0) return undefined;
  for (const s of ['Starting', 'Down', 'OutOfService', 'Draining'] as const) if (states.includes(s)) return s;
  return 'Up';
}

/** Clouddriver's InstanceLoadBalancers: one health over every classic load balancer the instance is in. */
export function overClassicLoadBalancers(states: readonly HealthState[]): HealthState | undefined {
  if (states.length === 0) return undefined;
  for (const s of ['Starting', 'Down', 'OutOfService'] as const) if (states.includes(s)) return s;
  return 'Up';
}

/**
 * Still taking traffic: some provider says Up and none says Down. Anything else (out of every
 * load balancer, draining, failing its checks) already counts as disabled.
 */
export function takesTraffic(healths: readonly (HealthState | undefined)[]): boolean {
  return healths.includes('Up') && !healths.includes('Down');
}

/**
 * EnableDisablePercentageCategorizer.getInstancesToModify: of `total` instances, ⌈total·p/100⌉
 * should be disabled; those already disabled count, and the rest come from the ones still
 * taking traffic, in the order given (callers sort them, so a retry chooses the same ones).
 */
export function instancesToDisable(alreadyDisabled: number, inTraffic: readonly string[], desiredPercentage: number): string[] {
  if (desiredPercentage < 0 || desiredPercentage > 100) throw new RangeError(`desired percentage ${desiredPercentage} is not within 0-100`);
  const total = alreadyDisabled + inTraffic.length;
  const wanted = Math.ceil((total * desiredPercentage) / 100);
  const more = alreadyDisabled > wanted ? 0 : wanted - alreadyDisabled;
  return inTraffic.slice(0, more);
}
