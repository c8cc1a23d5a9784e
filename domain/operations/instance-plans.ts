/**
 * What instance operations decide before they call AWS: which requested instances are still
 * live, what a decrement does to a group's capacity. Zod-free, because workflow code uses it.
 */
import type { Capacity } from '../capacity';
import { formatCapacity } from '../capacity';

/** `i-1, i-2, i-3 and 7 more`: history lines and summaries stay readable for 1000 ids. */
export function listIds(ids: readonly string[], shown = 10): string {
  if (ids.length <= shown) return ids.join(', ');
  return `${ids.slice(0, shown).join(', ')} and ${ids.length - shown} more`;
}

/** EC2 states in which an instance is gone or going: terminating it again changes nothing. */
const GONE_STATES = new Set(['shutting-down', 'terminated']);

export interface InstanceStateView {
  readonly instanceId: string;
  /** EC2's state name: pending, running, stopping, stopped, shutting-down, terminated. */
  readonly state: string;
}

export interface InstancePartition {
  /** Ids EC2 does not know (never existed, or terminated long enough ago to be forgotten). */
  readonly unknown: string[];
  /** Shutting down or terminated already. */
  readonly gone: string[];
  /** Everything else, with its state. */
  readonly live: InstanceStateView[];
}

/** Sorts the requested ids by what EC2 said about them, keeping the request's order. */
export function partitionInstances(requested: readonly string[], found: readonly InstanceStateView[]): InstancePartition {
  const byId = new Map(found.map((i) => [i.instanceId, i]));
  const result: InstancePartition = { unknown: [], gone: [], live: [] };
  for (const id of requested) {
    const i = byId.get(id);
    if (!i) result.unknown.push(id);
    else if (GONE_STATES.has(i.state)) result.gone.push(id);
    else result.live.push(i);
  }
  return result;
}

/** Auto Scaling lifecycle states of an instance that is already on its way out. */
export function isLeavingGroup(lifecycleState: string): boolean {
  return (
    lifecycleState.startsWith('Terminating') ||
    lifecycleState === 'Terminated' ||
    lifecycleState.startsWith('Detaching') ||
    lifecycleState === 'Detached'
  );
}

export type DecrementPlan =
  | { readonly ok: true; readonly after: Capacity; /** Set when min must drop first. */ readonly lowerMinTo?: number | undefined }
  | { readonly ok: false; readonly problem: string };

/**
 * What terminating one instance with a decrement does to the group's capacity. AWS refuses a
 * decrement below min with a ValidationError (the emulator does not), so Bosun decides first.
 */
export function planDecrement(current: Capacity, adjustMinIfNecessary: boolean): DecrementPlan {
  const desired = current.desired - 1;
  if (desired < 0) return { ok: false, problem: `its desired capacity is already 0 (${formatCapacity(current)} min/desired/max)` };
  if (desired >= current.min) return { ok: true, after: { ...current, desired } };
  if (!adjustMinIfNecessary) {
    return {
      ok: false,
      problem:
        `desired capacity ${current.desired} would drop to ${desired}, below the minimum of ${current.min} ` +
        `(set adjustMinIfNecessary to lower the minimum to ${desired})`,
    };
  }
  return { ok: true, after: { ...current, min: desired, desired }, lowerMinTo: desired };
}
