/**
 * How a task waits for AWS to settle (a group's capacity, a group's deletion) without holding one
 * of the worker's activity slots for the whole wait. Bundled into the workflow
 * sandbox: nothing from Node, no zod, no I/O.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ConvergenceState } from './capacity';
import { FailureType } from './failures';

export const WaitStrategy = {
  /**
   * The wait is one heartbeating activity on the task's own queue: it holds one of the worker's
   * activity slots (BOSUN_MAX_CONCURRENT_ACTIVITIES) while it sleeps. What a run whose settings
   * carry no strategy does (it started before strategies existed); kept as the benchmark's baseline.
   */
  activity: 'activity',
  /**
   * The same heartbeating activity, on its own queue (`waitsTaskQueue`), served by a second worker
   * in the same process with its own, much larger limit (BOSUN_MAX_CONCURRENT_WAITS): a sleeping
   * wait costs a timer and a heartbeat, so many of them never crowd out a task's short calls.
   */
  taskQueue: 'task-queue',
  /**
   * The workflow polls: a short describe activity, then a durable timer, until the group has
   * settled or the deadline passed. No slot is held between polls; each poll adds events to the
   * task's history (see `timerPollIntervalMs`).
   */
  workflowTimer: 'workflow-timer',
} as const;

export type WaitStrategy = (typeof WaitStrategy)[keyof typeof WaitStrategy];

export const WAIT_STRATEGIES = Object.values(WaitStrategy) as [WaitStrategy, ...WaitStrategy[]];

/**
 * The task queue of the waits of tasks on `taskQueue`. Derived, not configured: the workflow
 * computes it from its own task queue, and every worker of that queue runs the waits worker on it,
 * so the two can never disagree.
 */
export function waitsTaskQueue(taskQueue: string): string {
  return `${taskQueue}-waits`;
}

/**
 * At most this many polls per workflow-timer wait. One poll is about 11 history events (a
 * describe's scheduled/started/completed, a timer's started/fired, two workflow tasks); Temporal
 * fails a run at 51,200 events, and Bosun's longest waits are 24 hours. 500 polls keep any wait
 * under about 5,500 events, so a multi-region deploy stays far from the limit.
 */
export const MAX_TIMER_POLLS_PER_WAIT = 500;

/**
 * The interval between a workflow-timer wait's polls: the task's poll interval, stretched for
 * waits so long that the poll interval would make more than MAX_TIMER_POLLS_PER_WAIT polls (a
 * 30-minute wait at 10 s keeps 10 s; a 24-hour wait polls every ~3 minutes).
 */
export function timerPollIntervalMs(pollIntervalMs: number, waitMs: number): number {
  return Math.max(pollIntervalMs, Math.ceil(Math.max(0, waitMs) / MAX_TIMER_POLLS_PER_WAIT));
}

/** What a wait is about, as both wait implementations (the activity and the workflow timer) see it. */
interface WaitTarget {
  readonly serverGroupName: string;
  readonly region: string;
}

/**
 * The outcomes of a wait, shared by the wait activities and the workflow-timer waits so that a
 * task fails with the same type, message and details whichever strategy it ran under.
 */
export const waitOutcome = {
  groupGone: (w: WaitTarget & { readonly desired: number }) =>
    ApplicationFailure.nonRetryable(
      `${w.serverGroupName} in ${w.region} disappeared while waiting for ${w.desired} instances`,
      FailureType.ServerGroupNotFound,
    ),
  capacityNotReached: (w: WaitTarget & { readonly desired: number; readonly minHealthy?: number | undefined }, state: ConvergenceState) =>
    ApplicationFailure.nonRetryable(
      `timed out waiting for ${w.serverGroupName} in ${w.region}: ${state.inService} of ${w.minHealthy ?? w.desired} instances in service`,
      FailureType.CapacityNotReached,
      state,
    ),
  deleted: (w: WaitTarget) => `${w.serverGroupName} in ${w.region} is deleted`,
  stillThere: (w: WaitTarget, status: string | null | undefined, instances: number) =>
    `${w.serverGroupName} in ${w.region} is ${status ?? 'still there'} with ${instances} instance(s) left`,
  notDeleted: (w: WaitTarget, seen: string, status: string | null | undefined, instances: number) =>
    ApplicationFailure.nonRetryable(
      `timed out waiting for ${w.serverGroupName} to be deleted: ${seen}`,
      FailureType.ServerGroupNotDeleted,
      {
        status: status ?? null,
        instances,
      },
    ),
};
