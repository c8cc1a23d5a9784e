/**
 * Tells the worker's metrics (worker/metrics.ts) when a task starts and ends, through a sink:
 * sink calls are not commands (replay compares none of them) and are not made again when a
 * history is replayed, so each run counts once however often it is replayed.
 */
import type { Sinks } from '@temporalio/workflow';
import { ApplicationFailure, isCancellation, proxySinks, workflowInfo } from '@temporalio/workflow';
import { FailureType, isFailureType } from '../domain/failures';
import type { TaskContext, TaskResult } from '../domain/task-input';

/** What the worker's `bosunMetrics` sink receives. */
export interface TaskMetricsSinks extends Sinks {
  bosunMetrics: {
    taskStarted(t: { operation: string; application: string | undefined }): void;
    taskEnded(t: {
      operation: string;
      application: string | undefined;
      outcome: 'succeeded' | 'failed';
      failureType: string | undefined;
      seconds: number;
    }): void;
  };
}

const { bosunMetrics } = proxySinks<TaskMetricsSinks>();

/** Runs a task's workflow body, reporting its start and its end (a failure with its type). */
export async function measuredTask(context: TaskContext, run: () => Promise<TaskResult>): Promise<TaskResult> {
  const info = workflowInfo();
  const operation = info.workflowType;
  const application = context.application;
  bosunMetrics.taskStarted({ operation, application });
  const seconds = () => Math.max(0, (Date.now() - info.runStartTime.getTime()) / 1000);
  try {
    const result = await run();
    bosunMetrics.taskEnded({
      operation,
      application,
      outcome: result.ok ? 'succeeded' : 'failed',
      failureType: result.ok ? undefined : failureTypeOf(result.error.type),
      seconds: seconds(),
    });
    return result;
  } catch (err) {
    // A Bosun bug (anything but a failure or a cancellation) fails the workflow task, not the
    // task: the run stays open and is retried, so it has not ended.
    if (isCancellation(err) || err instanceof ApplicationFailure) {
      const failureType = isCancellation(err) ? FailureType.Cancelled : failureTypeOf((err as ApplicationFailure).type);
      bosunMetrics.taskEnded({ operation, application, outcome: 'failed', failureType, seconds: seconds() });
    }
    throw err;
  }
}

function failureTypeOf(type: unknown): string {
  return typeof type === 'string' && isFailureType(type) ? type : FailureType.AwsRequestFailed;
}
