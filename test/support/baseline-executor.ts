/**
 * The baseline: operations run the way legacy Clouddriver runs them. The AWS steps are Bosun's
 * own activity functions (called in-process through MockActivityEnvironment, so every describe,
 * create and wait is the same code), in the order the workflow's own operation functions make
 * them (the baseline runs those functions), so its step list is the workflow's by construction.
 * What surrounds the steps is Clouddriver's: the AWS SDK's
 * default retries (standard mode, 3 attempts) and nothing else, task state in memory, no
 * compensation, and any exception fails the task, not retryably (an SDK exception is not a
 * SpinnakerException, so Clouddriver marks it non-retryable and Orca does not resume it).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { OperationRequest } from '../../domain/operations';
import type { OperationError } from '../../domain/result';
import type { HistoryLine, TaskOutput } from '../../domain/task';
import { ORCHESTRATION_PHASE } from '../../domain/task';
import { defaultTaskSettings } from '../../domain/task-input';
import { phaseOf } from '../../domain/operations';
import { operationHandlers } from '../../workflows/operation-handlers';
import type { OperationContext, OperationHandler } from '../../workflows/task-runner';

export interface BaselineTask {
  readonly id: string;
  readonly requestId: string | undefined;
  readonly startTimeMs: number;
  readonly history: HistoryLine[];
  state: 'running' | 'succeeded' | 'failed';
  resultObjects: unknown[];
  error: OperationError | undefined;
}

const quietLogger = new DefaultLogger('ERROR');

export function createBaselineExecutor(activities: Activities, pollIntervalMs: number) {
  async function call<N extends keyof Activities>(
    name: N,
    input: Parameters<Activities[N]>[0],
  ): Promise<Awaited<ReturnType<Activities[N]>>> {
    const env = new MockActivityEnvironment({ activityType: name, heartbeatTimeoutMs: undefined }, { logger: quietLogger });
    const fn = activities[name] as unknown as (i: typeof input) => Promise<Awaited<ReturnType<Activities[N]>>>;
    return env.run<[typeof input], Awaited<ReturnType<Activities[N]>>, typeof fn>(fn, input);
  }

  /**
   * The operation context a workflow operation runs with, as the baseline provides it: the same
   * activity calls (summaries and the bound profiles ignored: the SDK's own retries are all there is), and
   * no compensation and no search attributes, as in legacy Clouddriver.
   */
  function operationContext(task: BaselineTask, index: number, prior: readonly TaskOutput[], log: (s: string) => void): OperationContext {
    return {
      taskId: task.id,
      index,
      settings: { ...defaultTaskSettings, pollIntervalMs },
      context: { cloudProvider: 'aws', requestId: task.requestId },
      priorOutputs: prior,
      log,
      call: (name, _summary, input) => call(name, input),
      // The baseline has no workflow tasks to save: a local call is the same direct call.
      callLocal: (name, _summary, input) => call(name, input),
      // Not a workflow: no history to stay compatible with, so the newest path of every patch.
      patched: () => true,
      onFailure: () => undefined,
      recordServerGroups: () => undefined,
    };
  }

  /** Runs the task's operations in order; the first exception fails the task (nothing is undone). */
  async function run(task: BaselineTask, operations: readonly OperationRequest[]): Promise<void> {
    const outputs: TaskOutput[] = [];
    for (const [index, op] of operations.entries()) {
      task.history.push({ phase: ORCHESTRATION_PHASE, status: `Processing op: ${op.name}` });
      const phase = phaseOf(op.name);
      const log = (status: string) => task.history.push({ phase, status });
      try {
        // Every operation runs the workflow's own code (workflows/operation-handlers.ts), so the
        // baseline's AWS steps are the workflow's by construction and cannot drift.
        const handler = operationHandlers[op.name] as OperationHandler<unknown>;
        outputs.push(await handler(operationContext(task, index, outputs, log), op.description));
      } catch (err) {
        const e = err as Error & { type?: string };
        task.error = { type: e.type ?? e.name ?? 'Error', message: e.message, operation: op.name, details: [], retryable: false };
        task.state = 'failed';
        return;
      }
    }
    task.history.push({ phase: ORCHESTRATION_PHASE, status: 'Orchestration completed.' });
    task.resultObjects = outputs.flatMap((o) => [...o.resultObjects]);
    task.state = 'succeeded';
  }

  return { run };
}
