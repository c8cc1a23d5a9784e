/**
 * The two things the facade asks of Temporal: start a task (a workflow whose id is the task id)
 * and describe one in Clouddriver's task shape. Both work from Temporal alone: no database, and
 * no worker needed to read a task.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Client, WorkflowExecutionDescription, WorkflowOptions } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { arrayFromPayloads } from '@temporalio/common';
import { LRUCache } from 'lru-cache';
import { FailureType } from '../../domain/failures';
import type { OperationName, OperationRequest } from '../../domain/operations';
import { operationNames, summaryOf } from '../../domain/operations';
import { taskPriorityOf } from '../../domain/operations/catalog';
import type { OperationError } from '../../domain/result';
import { SearchAttributes, TaskStatusValue } from '../../domain/search-attributes';
import type { TaskTargets } from './submission';
import type { ClouddriverTask, TaskMemo } from '../../domain/task';
import {
  operationErrorOf,
  ORCHESTRATION_PHASE,
  renderTask,
  TASK_MEMO_KEY,
  taskMemoOf,
  TaskState,
  withoutLineKeys,
} from '../../domain/task';
import type { TaskContext, TaskResult, TaskSettings } from '../../domain/task-input';
import { ORCHESTRATION_WORKFLOW } from '../../domain/task-input';
import type { DescriptionOf, OperationWorkflow } from '../../workflows';
import * as workflows from '../../workflows';
import type { RunningTasks } from './running-tasks';

const WORKFLOW_TYPES = new Set<string>([...operationNames, ORCHESTRATION_WORKFLOW]);

/** Each operation's workflow function: a start names its workflow by it, so its input is type-checked. */
const operationWorkflows: { readonly [N in OperationName]: OperationWorkflow<N> } = workflows;

/**
 * The task id for an idempotency key: a UUID-shaped digest of `clientRequestId`, so every
 * facade replica maps the same key to the same workflow id without sharing any state.
 */
export function taskIdFor(clientRequestId: string | undefined): string {
  if (!clientRequestId) return randomUUID();
  const h = createHash('sha256').update(`bosun-task:${clientRequestId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/**
 * Who may act on a task: every account it writes to, recorded at start in a memo key of its own
 * (the task runner rewrites the task memo, never this one), so cancel, resume, a re-post and the
 * task list can be authorized like the start was.
 */
export const ACCESS_MEMO_KEY = 'bosunAccess';

export interface TaskAccess {
  readonly accounts: readonly string[];
  readonly user?: string | undefined;
}

export interface StartTaskInput {
  readonly operations: readonly OperationRequest[];
  readonly targets: TaskTargets;
  readonly context: TaskContext;
  readonly settings: TaskSettings;
  readonly taskQueue: string;
  /** Every account the task writes to (domain/submission accountsOf); defaults to the targets' accounts. */
  readonly accounts?: readonly string[];
  /** Request eager workflow start (FacadeOptions.eagerStart): only with a client on the worker's NativeConnection. */
  readonly eagerStart?: boolean;
}

/**
 * Starts the task's workflow. `existing` is set when a closed task already holds this
 * clientRequestId's id: the caller decides (after authorizing) whether to answer or re-run it.
 */
export async function startTask(
  client: Client,
  input: StartTaskInput,
): Promise<{ id: string; started: boolean; existing?: boolean; eagerlyStarted?: boolean }> {
  const id = taskIdFor(input.context.requestId);
  const single = input.operations.length === 1 ? input.operations[0] : undefined;
  const t = input.targets;
  const summary = input.operations.map(summaryOf).join('; ');
  const memo: TaskMemo = {
    history: [{ phase: ORCHESTRATION_PHASE, status: 'Initializing Orchestration Task' }],
    requestId: input.context.requestId,
    user: input.context.user,
  };
  const options: WorkflowOptions = {
    workflowId: id,
    taskQueue: input.taskQueue,
    memo: {
      [TASK_MEMO_KEY]: memo,
      [ACCESS_MEMO_KEY]: { accounts: [...(input.accounts ?? t.accounts)], user: input.context.user } satisfies TaskAccess,
    },
    staticSummary: summary.length > 400 ? `${summary.slice(0, 397)}...` : summary,
    staticDetails: [
      `user: ${input.context.user ?? 'anonymous'}`,
      input.context.executionId ? `Spinnaker execution: ${input.context.executionId}` : undefined,
      input.context.requestId ? `clientRequestId: ${input.context.requestId}` : undefined,
    ]
      .filter(Boolean)
      .join('\n'),
    typedSearchAttributes: [
      { key: SearchAttributes.application, value: t.application ?? 'unknown' },
      { key: SearchAttributes.account, value: t.accounts[0] ?? 'unknown' },
      { key: SearchAttributes.regions, value: [...t.regions] },
      { key: SearchAttributes.cloudProvider, value: input.context.cloudProvider },
      { key: SearchAttributes.operations, value: input.operations.map((o) => o.name) },
      { key: SearchAttributes.serverGroups, value: [...t.serverGroups] },
      { key: SearchAttributes.phase, value: ORCHESTRATION_PHASE },
      { key: SearchAttributes.taskStatus, value: TaskStatusValue.running },
    ],
    // A resize or disable posted in the middle of a thousand deploys goes ahead of them in the
    // task queues instead of waiting behind them (docs/performance.md, "Priority").
    priority: { priorityKey: taskPriorityOf(input.operations.map((o) => o.name)) },
    // Concurrent duplicates of one clientRequestId attach to the running task.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    ...(input.eagerStart ? { requestEagerStart: true } : {}),
  };
  try {
    let eagerlyStarted: boolean;
    if (single) eagerlyStarted = await startOperation(client, single, input, options);
    else {
      const args = [{ operations: input.operations, context: input.context, settings: input.settings }] as const;
      eagerlyStarted = (await client.workflow.start(workflows.orchestration, { ...options, args })).eagerlyStarted;
    }
    return { id, started: true, eagerlyStarted };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // A closed task took this key between the facade's lookup and this start: the facade
    // applies Clouddriver's rule to it, after checking the caller may act on it.
    return { id, started: false, existing: true };
  }
}

/** Starts a one-operation task by its workflow function, so the description must fit that workflow. */
async function startOperation<N extends OperationName>(
  client: Client,
  op: { readonly name: N; readonly description: DescriptionOf<N> },
  input: StartTaskInput,
  options: WorkflowOptions,
): Promise<boolean> {
  const args = [{ description: op.description, context: input.context, settings: input.settings }] as const;
  const workflow: OperationWorkflow<N> = operationWorkflows[op.name];
  return (await client.workflow.start(workflow, { ...options, args })).eagerlyStarted;
}

/** Runs a task again under its id with the input of its last run (a resume, or a re-post of a retryable failure). */
export async function rerunTask(client: Client, id: string): Promise<void> {
  const handle = client.workflow.getHandle(id);
  const [desc, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error(`task ${id} has no start event`);
  const args = await decodeInput(client, started.input?.payloads ?? []);
  const memo = taskMemoOf(desc.memo);
  const rerunMemo: TaskMemo = {
    ...memo,
    history: [
      ...(memo?.history ?? []),
      { phase: ORCHESTRATION_PHASE, status: 'Re-initializing Orchestration Task (failure is retryable)' },
    ],
  };
  await client.workflow.start(desc.type, {
    workflowId: id,
    taskQueue: desc.taskQueue,
    args,
    // The earlier run's per-line keys are folded into the one start entry: the new run numbers its lines after them.
    memo: { ...withoutLineKeys(desc.memo ?? {}), [TASK_MEMO_KEY]: rerunMemo },
    typedSearchAttributes: desc.typedSearchAttributes.updateCopy([
      { key: SearchAttributes.taskStatus, value: TaskStatusValue.running },
      { key: SearchAttributes.phase, value: ORCHESTRATION_PHASE },
    ]),
    staticSummary: (await desc.staticSummary()) ?? undefined,
    staticDetails: (await desc.staticDetails()) ?? undefined,
    // A failed task is a Failed workflow, and only a failed one may run again under its id. Runs
    // from before failed tasks failed their workflows closed Completed with `{ ok: false }`.
    workflowIdReusePolicy: desc.status.name === 'COMPLETED' ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY',
    // Two resumes at once: the second joins the run the first one started.
    workflowIdConflictPolicy: 'USE_EXISTING',
    // The same priority as its first run, from the operations it recorded.
    priority: {
      priorityKey: taskPriorityOf(
        (desc.typedSearchAttributes.get(SearchAttributes.operations) ?? []).filter((n): n is OperationName =>
          (operationNames as readonly string[]).includes(n),
        ),
      ),
    },
  });
}

const SAFE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

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
  let query = `TaskQueue = '${taskQueue.replace(/'/g, '')}' AND ExecutionStatus = 'Running'`;
  const held = accounts ? new Set(accounts.filter((a) => SAFE_NAME.test(a))) : undefined;
  if (held) {
    if (held.size === 0) return [];
    // The primary account narrows the list in Temporal; the full set is checked below. A caller
    // holding very many accounts is filtered here only, so the query stays small.
    if (held.size <= 50) query += ` AND ${SearchAttributes.account.name} IN (${[...held].map((a) => `'${a}'`).join(', ')})`;
  }
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
  const access = memo?.[ACCESS_MEMO_KEY] as Partial<TaskAccess> | undefined;
  if (access && Array.isArray(access.accounts)) return { accounts: access.accounts.map(String), user: access.user };
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
  const task = await renderDescribed(client.workflow.getHandle(id), desc, id);
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

async function renderDescribed(
  handle: ReturnType<Client['workflow']['getHandle']>,
  desc: WorkflowExecutionDescription,
  id: string,
): Promise<ClouddriverTask> {
  const memo = taskMemoOf(desc.memo);
  const base = { id, ownerId: `${desc.runId}@bosun`, startTimeMs: desc.startTime.getTime(), memo };
  switch (desc.status.name) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return renderTask({ ...base, state: TaskState.running, resultObjects: [] });
    case 'COMPLETED': {
      // Runs from before failed tasks failed their workflows may still hold `{ ok: false }`.
      const result = (await handle.result()) as TaskResult;
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
  handle: ReturnType<Client['workflow']['getHandle']>,
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

/** The start event's arguments through the client's codecs and payload converter (public SDK API only). */
async function decodeInput(client: Client, payloads: Payload[]): Promise<unknown[]> {
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  let decoded = payloads;
  // Codecs encode in order, so they decode in reverse.
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return arrayFromPayloads(payloadConverter, decoded);
}
