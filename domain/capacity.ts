/**
 * Capacity of a server group (an Auto Scaling group): min, desired, max.
 * Every message a person reads prints capacity as `min/desired/max`, the order Spinnaker's
 * UI uses, so "2/3/4" means min 2, desired 3, max 4.
 */
export interface Capacity {
  readonly min: number;
  readonly max: number;
  readonly desired: number;
}

/** A capacity request: Clouddriver accepts partial capacity; absent fields keep their current value. */
export interface CapacityRequest {
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  readonly desired?: number | undefined;
}

export function formatCapacity(c: CapacityRequest): string {
  const part = (n: number | undefined) => (n === undefined ? '_' : String(n));
  return `${part(c.min)}/${part(c.desired)}/${part(c.max)}`;
}

/** Fills the fields a request leaves out from the group's current capacity. */
export function resolveCapacity(current: Capacity, requested: CapacityRequest): Capacity {
  return {
    min: requested.min ?? current.min,
    max: requested.max ?? current.max,
    desired: requested.desired ?? current.desired,
  };
}

/**
 * Why a capacity is impossible, or undefined when it is fine. AWS refuses these with a
 * ValidationError; the emulator accepts them, so Bosun checks before it calls.
 */
export function capacityProblem(c: Capacity): string | undefined {
  if (c.min > c.max) return `min ${c.min} is greater than max ${c.max}`;
  if (c.desired < c.min) return `desired ${c.desired} is less than min ${c.min}`;
  if (c.desired > c.max) return `desired ${c.desired} is greater than max ${c.max}`;
  return undefined;
}

export function sameCapacity(a: Capacity, b: CapacityRequest): boolean {
  return (
    (b.min === undefined || a.min === b.min) &&
    (b.max === undefined || a.max === b.max) &&
    (b.desired === undefined || a.desired === b.desired)
  );
}

/** The instance states the Auto Scaling API reports that count as serving. */
export interface InstanceState {
  readonly instanceId: string;
  readonly lifecycleState: string;
  readonly healthStatus: string;
}

export interface ConvergenceState {
  readonly converged: boolean;
  readonly inService: number;
  readonly total: number;
  readonly desired: number;
  /** One line for the task history and the activity heartbeat. */
  readonly message: string;
}

/**
 * Whether a group has settled at its desired capacity: exactly `desired` instances, all
 * InService and Healthy. Instances still Pending or Terminating keep it unsettled, so a
 * scale-in is only done once the surplus instances are gone.
 */
export function convergence(
  serverGroup: string,
  desired: number,
  instances: readonly InstanceState[],
  /** When set, enough healthy instances is enough (a deploy's waitForHealthyPercentage). */
  minHealthy?: number,
): ConvergenceState {
  const live = instances.filter((i) => !i.lifecycleState.startsWith('Terminated'));
  const inService = live.filter((i) => i.lifecycleState === 'InService' && i.healthStatus === 'Healthy').length;
  const converged = minHealthy !== undefined ? inService >= minHealthy : inService === desired && live.length === desired;
  const message = converged
    ? `${serverGroup} has ${inService} of ${desired} instances in service`
    : `${serverGroup} has ${inService} of ${desired} instances in service (${live.length} in the group)`;
  return { converged, inService, total: live.length, desired, message };
}

/** How many healthy instances make `percentage` of `desired` (rounded up, as Orca does). */
export function healthyTarget(desired: number, percentage: number): number {
  return Math.ceil((desired * percentage) / 100);
}
