import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  patched,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureType } from '../domain/failures';
import type { OperationRequest } from '../domain/operations';
import type { OperationName } from '../domain/operations/catalog';
import { phaseOf } from '../domain/operations/catalog';
import type { OperationError } from '../domain/result';
import { failed, ok } from '../domain/result';
import { SearchAttributes, TaskStatusValue } from '../domain/search-attributes';
import type { HistoryLine, TaskOutput } from '../domain/task';
import { failureLine, ORCHESTRATION_PHASE, taskLineKey, taskMemoOf } from '../domain/task';
import type { TaskContext, TaskResult, TaskSettings } from '../domain/task-input';
import type { LocalActivityName } from './activity-profiles';
import { activityOptions, localActivityOptions, localAttemptOptions } from './activity-profiles';
import { Patch } from './patches';
import { waitRouting } from './wait-routing';

type ActivityName = keyof Activities;
export type ActivityInput<N extends ActivityName> = Parameters<Activities[N]>[0];
export type ActivityOutput<N extends ActivityName> = Awaited<ReturnType<Activities[N]>>;

/** What an operation's code may use: its own history line, activities, compensation. */
export interface OperationContext {
  /** The task id (= workflow id): the seed of every name and tag this task creates. */
  readonly taskId: string;
  /** The operation's position in its task, so two operations of one task never share a name. */
  readonly index: number;
  readonly settings: TaskSettings;
  readonly context: TaskContext;
  /** Outputs of the operations that ran before this one in the same task. */
  readonly priorOutputs: readonly TaskOutput[];
  /**
   * Appends a history line in this operation's phase (and shows it as the UI's current details);
   * `phase` names another one where Clouddriver picks the phase by what it finds (deleteLoadBalancer).
   */
  log(status: string, phase?: string): void;
  /** Runs an activity under its own profile (`activityProfileOf`), with a summary the UI shows on the timeline. */
  call<N extends ActivityName>(name: N, summary: string, input: ActivityInput<N>): Promise<ActivityOutput<N>>;
  /**
   * Runs an activity as a local activity: in the worker that runs the workflow task, inside that
   * task, so a short call costs no workflow-task round trip. Three attempts there
   * (`localAttemptOptions`); if AWS is still in trouble, the same call continues as a regular
   * activity for the retry window. Only reads and absolute setters may run this way (a local
   * activity runs again when its workflow task is retried), hence the narrower name type
   * (`LocalActivityName`). Changing a call to or from a local one changes the workflow's
   * commands: behind `patched()`.
   */
  callLocal<N extends LocalActivityName>(name: N, summary: string, input: ActivityInput<N>): Promise<ActivityOutput<N>>;
  /**
   * Temporal's `patched(id)` in a workflow: whether this run takes the path introduced with the
   * patch (workflows/patches.ts). Operation code asks here rather than importing `patched`, so
   * the same code also runs outside a workflow (the chaos baseline runs the newest paths).
   */
  patched(id: Patch): boolean;
  /** Registers an undo step; run in reverse order, uncancellable, if the task fails or is cancelled. */
  onFailure(description: string, undo: () => Promise<void>): void;
  /** Adds server groups this task created to the `BosunServerGroup` search attribute. */
  recordServerGroups(names: readonly string[]): void;
}

export type OperationHandler<D> = (ctx: OperationContext, description: D) => Promise<TaskOutput>;

export type OperationHandlers = {
  [N in OperationName]: OperationHandler<Extract<OperationRequest, { name: N }>['description']>;
};

/**
 * Runs a Clouddriver task: its operations in order, each a plain function in this one workflow
 * (no child workflows). History lines go to the memo, one key per line, so the facade can render the task from
 * `describe()` without a worker. Business failures become a failed result; infrastructure
 * failures are retried by the activity profiles; cancellation compensates and then cancels.
 */
export async function runTask(
  handlers: OperationHandlers,
  operations: readonly OperationRequest[],
  context: TaskContext,
  settings: TaskSettings,
): Promise<TaskResult> {
  const history: HistoryLine[] = [];
  const compensations: { description: string; undo: () => Promise<void> }[] = [];
  let phase = ORCHESTRATION_PHASE;

  const log = (linePhase: string, status: string) => {
    const line = { phase: linePhase, status };
    history.push(line);
    // One small memo key per line keeps history linear in its lines (GET /task merges them, see
    // taskMemoOf). Not a patch: it is the same command as the whole-memo rewrite it replaces
    // (replay compares commands, not memo contents), and a run that straddles the deploy renders
    // correctly because taskMemoOf lays the keyed lines over the old whole-memo entry by index.
    upsertMemo({ [taskLineKey(history.length - 1)]: line });
    setCurrentDetails(status);
    if (linePhase !== phase) {
      phase = linePhase;
      upsertSearchAttributes([{ key: SearchAttributes.phase, value: phase }]);
    }
  };
  const setStatus = (value: string) => upsertSearchAttributes([{ key: SearchAttributes.taskStatus, value }]);

  // The facade writes the first lines into the start memo (and, when a retryable failure is run
  // again, the earlier run's lines), so the task's history reads as one story across runs.
  const started = taskMemoOf(workflowInfo().memo)?.history ?? [];
  history.push(...started);
  if (history.length === 0) log(ORCHESTRATION_PHASE, 'Initializing Orchestration Task');

  const outputs: TaskOutput[] = [];
  const taskId = workflowInfo().workflowId;
  let serverGroups: string[] = [...(workflowInfo().typedSearchAttributes.get(SearchAttributes.serverGroups) ?? [])];
  /** `retryWindowMs`: what is left of the retry window when local attempts used part of it. */
  const callActivity = <N extends ActivityName>(
    name: N,
    summary: string,
    input: ActivityInput<N>,
    retryWindowMs?: number,
  ): Promise<ActivityOutput<N>> => {
    const options = {
      ...activityOptions(settings, name, input, Date.now()),
      ...waitRouting(settings, name),
      ...(retryWindowMs === undefined ? {} : { scheduleToCloseTimeout: retryWindowMs }),
    };
    const fn = proxyActivities<Activities>(options)[name] as unknown as {
      executeWithOptions(o: object, a: unknown[]): Promise<ActivityOutput<N>>;
    };
    return fn.executeWithOptions({ ...options, summary }, [input]);
  };
  const callLocalActivity = async <N extends LocalActivityName>(
    name: N,
    summary: string,
    input: ActivityInput<N>,
  ): Promise<ActivityOutput<N>> => {
    const patchedRun = patched(Patch.localActivityFallback);
    // Runs that started before the fallback: the local activity retries for the whole window.
    const options = patchedRun ? localAttemptOptions(settings, name) : localActivityOptions(settings, name);
    const fn = proxyLocalActivities<Activities>(options)[name] as unknown as {
      executeWithOptions(o: object, a: unknown[]): Promise<ActivityOutput<N>>;
    };
    const startedAt = Date.now();
    try {
      return await fn.executeWithOptions({ ...options, summary }, [input]);
    } catch (err) {
      // AWS in trouble for longer than the local attempts: the same call as a regular activity,
      // retried by the server for the rest of the window and visible as pending in the UI.
      if (!patchedRun || !worthARegularAttempt(err)) throw err;
      const windowLeft = Math.max(1000, settings.awsRetryWindowMs - (Date.now() - startedAt));
      return callActivity(name, summary, input, windowLeft);
    }
  };
  for (const [index, op] of operations.entries()) {
    log(ORCHESTRATION_PHASE, `Processing op: ${op.name}`);
    const opPhase = phaseOf(op.name);
    const ctx: OperationContext = {
      taskId,
      index,
      settings,
      context,
      priorOutputs: outputs,
      log: (status, phase) => log(phase ?? opPhase, status),
      call: (name, summary, input) => callActivity(name, summary, input),
      callLocal: (name, summary, input) => callLocalActivity(name, summary, input),
      patched: (id) => patched(id),
      onFailure: (description, undo) => compensations.push({ description, undo }),
      recordServerGroups: (names) => {
        const all = [...new Set([...serverGroups, ...names])];
        if (all.length === serverGroups.length) return;
        serverGroups = all;
        upsertSearchAttributes([{ key: SearchAttributes.serverGroups, value: serverGroups }]);
      },
    };
    try {
      const handler = handlers[op.name] as OperationHandler<unknown>;
      outputs.push(await handler(ctx, op.description));
      log(ORCHESTRATION_PHASE, 'Orchestration completed.');
    } catch (err) {
      if (isCancellation(err)) {
        await compensate(compensations, log);
        log(ORCHESTRATION_PHASE, `Orchestration cancelled during ${op.name}.`);
        setStatus(TaskStatusValue.canceled);
        throw err;
      }
      const error = toOperationError(op.name, err);
      if (!error) throw err; // a bug in Bosun: fail the workflow task so it is fixed and replayed, not lost
      await compensate(compensations, log);
      const line = failureLine(error);
      log(line.phase, line.status);
      setStatus(TaskStatusValue.failed);
      return failed(error);
    }
  }
  setStatus(TaskStatusValue.succeeded);
  return ok({ resultObjects: outputs.flatMap((o) => o.resultObjects) });
}

async function compensate(
  compensations: { description: string; undo: () => Promise<void> }[],
  log: (phase: string, status: string) => void,
): Promise<void> {
  if (compensations.length === 0) return;
  await CancellationScope.nonCancellable(async () => {
    for (const c of [...compensations].reverse()) {
      log(ORCHESTRATION_PHASE, `Rolling back: ${c.description}`);
      try {
        await c.undo();
      } catch (err) {
        // One failed undo must not hide the original failure or skip the other undo steps;
        // the line tells an engineer exactly what may be left behind.
        const why = err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
        log(ORCHESTRATION_PHASE, `Rollback step failed, left behind: ${c.description}: ${why}`);
      }
    }
  });
  compensations.length = 0;
}

/**
 * Maps what an operation threw to the task's failure. Undefined means "not a failure Bosun
 * understands" (a programming error), which must not be reported as an AWS problem.
 */
export function toOperationError(operation: string, err: unknown): OperationError | undefined {
  if (err instanceof ApplicationFailure) {
    return {
      type: err.type ?? FailureType.ApplicationFailure,
      message: err.message,
      operation,
      details: detailsOf(err),
      retryable: false,
    };
  }
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      // Non-retryable means AWS (or Bosun) refused the request as wrong; a retryable error that
      // still surfaced here outlasted the retry window, so running the task later may succeed.
      const exhausted = !cause.nonRetryable;
      return {
        type: cause.type ?? FailureType.ApplicationFailure,
        message: exhausted ? `${cause.message} (still failing when the retry window ran out)` : cause.message,
        operation,
        details: [`activity ${err.activityType} failed (retry state ${err.retryState})`, ...detailsOf(cause)],
        retryable: exhausted,
      };
    }
    if (cause instanceof TimeoutFailure) {
      const last = cause.cause instanceof ApplicationFailure ? `; last error: ${cause.cause.message}` : '';
      return {
        type: FailureType.RetryWindowExhausted,
        message: `${err.activityType} did not succeed within its retry window (${cause.timeoutType})${last}`,
        operation,
        details: [],
        retryable: true,
      };
    }
    return {
      type: cause?.name ?? FailureType.ActivityFailure,
      message: cause?.message ?? err.message,
      operation,
      details: [`activity ${err.activityType} failed`],
      retryable: true,
    };
  }
  return undefined;
}

function detailsOf(f: ApplicationFailure): string[] {
  return (f.details ?? []).flatMap((d) => (typeof d === 'string' ? [d] : [JSON.stringify(d)]));
}

/**
 * Whether a local activity's failure should get the regular activity's retries: yes when AWS was
 * in trouble (a retryable failure, an attempt that timed out); no for a business failure
 * (non-retryable) and for cancellation, which the regular activity would only repeat.
 */
function worthARegularAttempt(err: unknown): boolean {
  if (isCancellation(err)) return false;
  // A local activity's last failure arrives as it is; a regular activity's inside an ActivityFailure.
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (failure instanceof ApplicationFailure) return !failure.nonRetryable;
  return failure instanceof TimeoutFailure;
}
