import type { ActivityOptions } from '@temporalio/workflow';
import { patched, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TaskSettings } from '../domain/task-input';
import type { WaitStrategy } from '../domain/waits';
import { waitsTaskQueue } from '../domain/waits';
import { Patch } from './patches';

/** Activities that sleep between polls: the ones that must not hold a slot of the task queue. */
const WAITING_ACTIVITIES: ReadonlySet<keyof Activities> = new Set<keyof Activities>([
  'waitForServerGroupCapacity',
  'waitForServerGroupDeleted',
  // A compensation that deletes a group and waits for it to be gone before deleting its template.
  // It stays one activity under both new strategies (it is rare and already bounded by its own
  // deadline), but it waits on the waits queue, not in a slot of the task queue.
  'rollbackServerGroup',
]);

/**
 * The strategy this run's waits use. A run's settings fix it at its start; the patch keeps runs
 * that reached a wait under an older worker (or whose settings an older worker ignored) on the
 * path they took, so they replay. Called at every wait: `patched` answers the same for a whole run
 * once it has answered true.
 */
export function waitStrategyOf(settings: TaskSettings, isPatched: (id: Patch) => boolean): WaitStrategy {
  const wanted = settings.waitStrategy ?? 'activity';
  if (wanted === 'activity') return wanted;
  return isPatched(Patch.waitsHoldNoSlot) ? wanted : 'activity';
}

/**
 * Options that send a waiting activity to the waits queue (served by the waits worker, with its own
 * limit) when the run's strategy keeps waits off the task queue; nothing for any other activity.
 */
export function waitRouting(settings: TaskSettings, name: keyof Activities): Pick<ActivityOptions, 'taskQueue'> {
  if (!WAITING_ACTIVITIES.has(name) || waitStrategyOf(settings, patched) === 'activity') return {};
  return { taskQueue: waitsTaskQueue(workflowInfo().taskQueue) };
}
