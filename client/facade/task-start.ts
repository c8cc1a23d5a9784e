/**
 * Starting a task: a workflow whose id is the task id (a digest of the clientRequestId, so every
 * facade replica maps a key to the same task), with the memo, search attributes and priority
 * that task reads, lists and the Temporal UI use; and running a failed task again under its id.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Client, WorkflowOptions } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { OperationName, OperationRequest } from '../../domain/operations';
import { resolveOperationKey, summaryOf } from '../../domain/operations';
import { taskPriorityOf } from '../../domain/operations/catalog';
import { SearchAttributes, TaskStatusValue } from '../../domain/search-attributes';
import type { TaskMemo } from '../../domain/task';
import { ORCHESTRATION_PHASE, TASK_MEMO_KEY, taskMemoOf, withoutLineKeys } from '../../domain/task';
import type { TaskContext, TaskSettings } from '../../domain/task-input';
import type { DescriptionOf, OperationWorkflow } from '../../workflows';
import * as workflows from '../../workflows';
import type { TaskTargets } from './submission';
import { decodeArgs } from './temporal-data';

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
  const args = await decodeArgs(client, started.input?.payloads ?? []);
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
        (desc.typedSearchAttributes.get(SearchAttributes.operations) ?? []).flatMap((n) => {
          const name = resolveOperationKey(n);
          return name === n ? [name] : [];
        }),
      ),
    },
  });
}
