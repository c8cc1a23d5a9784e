import type { ActivityOptions } from '@temporalio/workflow';
import type { TaskSettings } from '../domain/task-input';

/**
 * Named option profiles for activities. Every AWS call uses one of these, so timeouts and
 * retries are decided in one place. The retry window (scheduleToClose) comes from the task's
 * settings: transient AWS trouble is retried with backoff for hours, not surfaced to Orca.
 */
export function activityProfiles(settings: TaskSettings) {
  const window = settings.awsRetryWindowMs;
  return {
    /** Read-only calls: cheap to repeat, so retry quickly. */
    describeCall: {
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: window,
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
    /** Calls that change AWS: each is idempotent, backoff grows to 5 minutes to ride out throttling. */
    mutatingAwsCall: {
      startToCloseTimeout: '2 minutes',
      scheduleToCloseTimeout: window,
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
    },
    /**
     * Long polls (waiting for capacity or health). The activity ends itself at its own deadline;
     * the heartbeat timeout is what notices a dead worker and hands the wait to another one.
     */
    waitCall: {
      startToCloseTimeout: window,
      heartbeatTimeout: '1 minute',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
  } as const satisfies Record<string, ActivityOptions>;
}

export type ActivityProfiles = ReturnType<typeof activityProfiles>;
export type ActivityProfileName = keyof ActivityProfiles;
