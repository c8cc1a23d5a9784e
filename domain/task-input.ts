import type { OperationRequest } from './operations';
import type { WorkflowResult } from './result';
import type { TaskOutput } from './task';
import type { WaitStrategy } from './waits';

/** Who asked and why; copied from Orca's headers. Never holds credentials. */
export interface TaskContext {
  readonly cloudProvider: string;
  readonly user?: string | undefined;
  /** Orca's `clientRequestId`, the idempotency key. */
  readonly requestId?: string | undefined;
  /** `X-SPINNAKER-EXECUTION-ID`: `execution:stage:task`, to find the pipeline from the UI. */
  readonly executionId?: string | undefined;
  readonly application?: string | undefined;
}

/**
 * Operator settings a workflow needs. They travel in the input because workflow code cannot
 * read the worker's configuration, and so every run records the settings it ran with.
 */
export interface TaskSettings {
  /** How long a mutating AWS call keeps being retried on transient errors (Netflix: 2 hours). */
  readonly awsRetryWindowMs: number;
  /** How often waits (for capacity, for health) look at AWS again. */
  readonly pollIntervalMs: number;
  /**
   * How waits avoid holding an activity slot (domain/waits.ts). Fixed for a run at its start, so
   * it replays the same way; absent in runs started before strategies existed, which wait as
   * `activity`.
   */
  readonly waitStrategy?: WaitStrategy | undefined;
}

export const defaultTaskSettings: TaskSettings = {
  awsRetryWindowMs: 2 * 60 * 60 * 1000,
  pollIntervalMs: 10_000,
  waitStrategy: 'task-queue',
};

/** Input of a single-operation workflow (`resizeServerGroup`, …). */
export interface OperationInput<D> {
  readonly description: D;
  readonly context: TaskContext;
  readonly settings: TaskSettings;
}

/** Input of the multi-operation workflow: the operations of one POST, run in order. */
export interface OrchestrationInput {
  readonly operations: readonly OperationRequest[];
  readonly context: TaskContext;
  readonly settings: TaskSettings;
}

export type TaskResult = WorkflowResult<TaskOutput>;

/** The workflow type a task runs as: the operation's name, or `orchestration` for several. */
export const ORCHESTRATION_WORKFLOW = 'orchestration';
