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
    /**
     * Read-only calls: cheap to repeat, so retry quickly. Each attempt is one SDK call (or a few
     * pages), so a short start-to-close hands the call to another worker soon after a crash.
     */
    describeCall: {
      startToCloseTimeout: '20 seconds',
      scheduleToCloseTimeout: window,
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
    /**
     * Calls that change AWS: each is idempotent. 30 s per attempt (measured under chaos: a 2-minute
     * timeout stalled a task for 2 minutes after a worker was killed mid-call); backoff capped at
     * 1 minute so a burst of throttling does not leave a task idle for many minutes.
     */
    mutatingAwsCall: {
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: window,
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
    /**
     * Long polls (waiting for capacity or health). The activity ends itself at its own deadline;
     * the heartbeat timeout is what notices a dead worker and hands the wait to another one.
     */
    waitCall: {
      startToCloseTimeout: window,
      // Waits heartbeat on every poll; three missed polls (at least 20 s) mean the worker is gone.
      heartbeatTimeout: Math.max(20_000, settings.pollIntervalMs * 3),
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
  } as const satisfies Record<string, ActivityOptions>;
}

export type ActivityProfiles = ReturnType<typeof activityProfiles>;
export type ActivityProfileName = keyof ActivityProfiles;
