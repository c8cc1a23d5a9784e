/**
 * Reading tasks: one task in Clouddriver's task shape (from the caches when they can answer, else
 * from one describe) and who may act on it, and the list of running tasks `GET /task` answers.
 * Everything comes from Temporal alone: no database, and no worker needed to read a task.
 */
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { LRUCache } from 'lru-cache';
import { FailureType } from '../../domain/failures';
import { operationNames } from '../../domain/operations';
import type { OperationError } from '../../domain/result';
import { SearchAttributes } from '../../domain/search-attributes';
import type { ClouddriverTask } from '../../domain/task';
import { operationErrorOf, renderTask, taskMemoOf, TaskState } from '../../domain/task';
import type { TaskResult } from '../../domain/task-input';
import { ORCHESTRATION_WORKFLOW } from '../../domain/task-input';
import type { RunningTasks } from './running-tasks';
import type { TaskAccess } from './task-start';
import { ACCESS_MEMO_KEY } from './task-start';
import { isSafeName, runningTasksQuery } from './temporal-data';

const WORKFLOW_TYPES = new Set<string>([...operationNames, ORCHESTRATION_WORKFLOW]);

/** Every task workflow (an operation's or the orchestration's) ends with a TaskResult. */
type TaskWorkflow = () => Promise<TaskResult>;
type TaskHandle = WorkflowHandle<TaskWorkflow>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Running Bosun tasks on this task queue, as `GET /task` lists Clouddriver's running tasks.
 * With `accounts`, only tasks whose every account is among them (the caller's
 * X-SPINNAKER-ACCOUNTS); an empty list lists nothing.
 */
export async function listRunningTasks(
  client: Client,
  taskQueue: string,
  accounts?: readonly string[],
  limit = 500,
): Promise<ClouddriverTask[]> {
  const tasks: ClouddriverTask[] = [];
  const held = accounts ? new Set(accounts.filter(isSafeName)) : undefined;
  if (held?.size === 0) return [];
  // The primary account narrows the list in Temporal; the full set is checked below. A caller
  // holding very many accounts is filtered here only, so the query stays small.
  const query = runningTasksQuery(taskQueue, held && held.size <= 50 ? [...held] : undefined);
  for await (const wf of client.workflow.list({ query, pageSize: 100 })) {
    if (!WORKFLOW_TYPES.has(wf.type)) continue;
    if (held && !accessOf(wf.memo, wf.typedSearchAttributes.get(SearchAttributes.account)).accounts.every((a) => held.has(a))) continue;
    tasks.push(renderRunning(wf));
    if (tasks.length >= limit) break;
  }
  return tasks;
}

/** A running task from a list entry: the same JSON a describe of it renders. */
function renderRunning(wf: {
  readonly workflowId: string;
  readonly runId: string;
  readonly startTime: Date;
  readonly memo?: Record<string, unknown> | undefined;
}): ClouddriverTask {
  return renderTask({
    id: wf.workflowId,
    ownerId: `${wf.runId}@bosun`,
    startTimeMs: wf.startTime.getTime(),
    memo: taskMemoOf(wf.memo),
    state: TaskState.running,
    resultObjects: [],
  });
}

/** Whether a workflow type is a Bosun task's (an operation, or the orchestration of several). */
export function isTaskWorkflowType(type: string): boolean {
  return WORKFLOW_TYPES.has(type);
}

/** The accounts recorded at start; tasks started before they were recorded fall back to BosunAccount. */
function accessOf(memo: Record<string, unknown> | undefined, primaryAccount: string | undefined): TaskAccess {
  const access = memo?.[ACCESS_MEMO_KEY];
  if (isRecord(access) && Array.isArray(access.accounts)) {
    return { accounts: access.accounts.map(String), user: typeof access.user === 'string' ? access.user : undefined };
  }
  return { accounts: primaryAccount && primaryAccount !== 'unknown' ? [primaryAccount] : [] };
}

/** The task as Clouddriver would render it, or undefined when Temporal has no such Bosun task. */
export async function describeTask(client: Client, id: string): Promise<ClouddriverTask | undefined> {
  return (await inspectTask(client, id))?.task;
}

/**
 * Closed tasks as rendered, by run id. A closed run never changes (a re-run of a retryable failure
 * is a new run, with a new id), so its Clouddriver JSON is kept and a poll of a finished task costs
 * one Temporal call (describe) instead of two; keyed by run, every facade replica stays correct
 * without telling the others anything.
 */
export type ClosedTaskCache = LRUCache<string, ClouddriverTask>;

/** A bounded cache of closed tasks for one facade (`max` runs, least recently polled dropped first). */
export function createClosedTaskCache(max = 10_000): ClosedTaskCache {
  return new LRUCache<string, ClouddriverTask>({ max });
}

/**
 * The run each running task was last seen in, by task id: Orca polls a running task every few
 * seconds, and a describe that names the run skips the history service's lookup of the current
 * run (GetCurrentExecution, a database read on every poll; its mutable state and start event
 * come from the caches). A run that is no longer running may have been followed by a re-run, so
 * that answer is dropped and the task is described by id again (two calls, once per run).
 */
export type RunningRunCache = LRUCache<string, string>;

/** A bounded map of running tasks to their runs for one facade (`max` tasks, least recently polled dropped first). */
export function createRunningRunCache(max = 10_000): RunningRunCache {
  return new LRUCache<string, string>({ max });
}

/** What one facade remembers between polls (all optional: without them every poll asks Temporal). */
export interface TaskCaches {
  readonly closed?: ClosedTaskCache | undefined;
  readonly runs?: RunningRunCache | undefined;
  /** The latest list of running tasks (running-tasks.ts): a task in it costs no Temporal call. */
  readonly listed?: RunningTasks | undefined;
}

/**
 * The task, and who may act on it, from the caches when they can answer, else from one
 * describe(); undefined when Temporal has no such Bosun task.
 */
export async function inspectTask(
  client: Client,
  id: string,
  caches: TaskCaches = {},
): Promise<{ task: ClouddriverTask; access: TaskAccess } | undefined> {
  const { closed, runs: running, listed } = caches;
  const fromList = await listed?.lookup(id, (runId) => closed?.has(runId) ?? false);
  if (fromList) {
    return { task: renderRunning(fromList), access: accessOf(fromList.memo, fromList.primaryAccount) };
  }
  const knownRun = running?.get(id);
  let desc = knownRun ? await describeRun(client, id, knownRun) : undefined;
  if (knownRun && desc?.status.name !== 'RUNNING') {
    running?.delete(id);
    desc = undefined;
  }
  desc ??= await describeRun(client, id, undefined);
  if (!desc) return undefined;
  if (!WORKFLOW_TYPES.has(desc.type)) return undefined;
  const access = accessOf(desc.memo, desc.typedSearchAttributes.get(SearchAttributes.account));
  const isClosed = desc.status.name !== 'RUNNING' && desc.status.name !== 'CONTINUED_AS_NEW';
  if (desc.status.name === 'RUNNING') running?.set(id, desc.runId);
  const cached = isClosed ? closed?.get(desc.runId) : undefined;
  if (cached) return { task: cached, access };
  const task = await renderDescribed(client.workflow.getHandle<TaskWorkflow>(id), desc, id);
  if (isClosed) closed?.set(desc.runId, task);
  return { task, access };
}

/** One describe of the task's current run (no `runId`) or of the given run; undefined when there is none. */
async function describeRun(client: Client, id: string, runId: string | undefined): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(id, runId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

async function renderDescribed(handle: TaskHandle, desc: WorkflowExecutionDescription, id: string): Promise<ClouddriverTask> {
  const memo = taskMemoOf(desc.memo);
  const base = { id, ownerId: `${desc.runId}@bosun`, startTimeMs: desc.startTime.getTime(), memo };
  switch (desc.status.name) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return renderTask({ ...base, state: TaskState.running, resultObjects: [] });
    case 'COMPLETED': {
      // Runs from before failed tasks failed their workflows may still hold `{ ok: false }`.
      const result = await handle.result();
      return result.ok
        ? renderTask({ ...base, state: TaskState.succeeded, resultObjects: result.value.resultObjects })
        : renderTask({ ...base, state: TaskState.failed, resultObjects: [], error: result.error });
    }
    default:
      return renderTask({ ...base, state: TaskState.failed, resultObjects: [], ...(await closedError(handle, desc)) });
  }
}

/**
 * Why a workflow closed without a result: a failed task (its EXCEPTION is the failure's details),
 * a Bosun bug, a timeout, a cancellation or a termination. Reads the closed run's outcome from
 * the server, so no worker is needed.
 */
async function closedError(
  handle: TaskHandle,
  desc: WorkflowExecutionDescription,
): Promise<{ error: OperationError; failedAtMs?: number | undefined }> {
  const operation = desc.type;
  const status = desc.status.name;
  let message = `the task's workflow ended with status ${status}`;
  try {
    await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      const taskError = cause instanceof ApplicationFailure ? operationErrorOf(cause.details?.[0]) : undefined;
      if (taskError) return taskError;
      message = cause ? `${cause.message}` : err.message;
    } else if (err instanceof Error) {
      message = err.message;
    }
  }
  const type: FailureType =
    status === 'CANCELLED'
      ? FailureType.Cancelled
      : status === 'TERMINATED'
        ? FailureType.Terminated
        : status === 'TIMED_OUT'
          ? FailureType.TimedOut
          : FailureType.WorkflowFailed;
  // A workflow that failed or timed out may succeed when run again; a cancelled one was stopped on purpose.
  const retryable = status === 'FAILED' || status === 'TIMED_OUT';
  return { error: { type, message, operation, details: [], retryable } };
}
