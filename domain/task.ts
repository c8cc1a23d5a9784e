import type { OperationError } from './result';

/** The task phase Clouddriver's orchestration processor uses for its own lines. */
export const ORCHESTRATION_PHASE = 'ORCHESTRATION';

export interface HistoryLine {
  readonly phase: string;
  readonly status: string;
}

/**
 * What a task workflow keeps in its memo, so `GET /task/{id}` can render history from
 * `describe()` alone, with no worker running (a query would need one).
 */
export interface TaskMemo {
  readonly history: readonly HistoryLine[];
  readonly requestId?: string | undefined;
  readonly user?: string | undefined;
}

export const TASK_MEMO_KEY = 'bosunTask';

/**
 * Each history line a workflow appends goes into a memo key of its own (`bosunTaskLine:00007`
 * for line 7), so one line costs one small memo upsert; rewriting the whole `bosunTask` memo per
 * line made a task's history grow with the square of its lines. `TASK_MEMO_KEY` keeps the lines
 * the facade wrote at start (and on a re-run, the earlier runs' lines), requestId and user.
 */
export const TASK_LINE_KEY_PREFIX = 'bosunTaskLine:';

/** The memo key of history line `index` (0-based, counting the start memo's lines). */
export function taskLineKey(index: number): string {
  return `${TASK_LINE_KEY_PREFIX}${String(index).padStart(5, '0')}`;
}

/**
 * The task memo from a workflow's whole memo (what `describe()` and the list API answer): the
 * `bosunTask` entry with every per-line key laid over it by index. Runs recorded before lines
 * had keys of their own carry all their lines in `bosunTask`; a run that changed over mid-way
 * has both, and the index puts each line in its place.
 */
export function taskMemoOf(memo: Readonly<Record<string, unknown>> | undefined): TaskMemo | undefined {
  const base = memo?.[TASK_MEMO_KEY] as TaskMemo | undefined;
  const lines = Object.entries(memo ?? {}).filter(([key]) => key.startsWith(TASK_LINE_KEY_PREFIX));
  if (lines.length === 0) return base;
  const history: HistoryLine[] = [...(base?.history ?? [])];
  for (const [key, line] of lines) history[Number(key.slice(TASK_LINE_KEY_PREFIX.length))] = line as HistoryLine;
  return { ...base, history: history.filter((h): h is HistoryLine => h !== undefined) };
}

/** The memo without its per-line keys (a re-run starts from one `bosunTask` entry holding every line). */
export function withoutLineKeys(memo: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(memo).filter(([key]) => !key.startsWith(TASK_LINE_KEY_PREFIX)));
}

/** What an operation hands back for the task's `resultObjects` and to later operations. */
export interface TaskOutput {
  readonly resultObjects: readonly unknown[];
  /** Images an operation resolved (allowLaunchDescription), for a following deploy in the same task. */
  readonly resolvedImages?: readonly ResolvedImage[] | undefined;
  /**
   * Classic load balancers an upsertLoadBalancer made or updated, by region: a following deploy in
   * the same task attaches them (BasicAmazonDeployHandler reads prior UpsertAmazonLoadBalancerResults).
   */
  readonly classicLoadBalancers?: readonly { readonly region: string; readonly name: string }[] | undefined;
}

export interface ResolvedImage {
  readonly account: string;
  readonly region: string;
  /** The name or id the request used. */
  readonly amiName: string;
  readonly imageId: string;
}

/**
 * The tag Bosun puts on everything it creates: `<taskId>/<operation index>`. A retried attempt
 * recognises its own resources by it (moto even replaces a group silently on a duplicate name),
 * and compensation deletes only what carries it.
 */
export const CREATED_BY_TAG = 'bosun:created-by-task';

export function createdByValue(taskId: string, index: number): string {
  return `${taskId}/${index}`;
}

/** The Clouddriver task as Orca reads it (clouddriver-core `Task`, serialised by Jackson). */
export interface ClouddriverTask {
  readonly id: string;
  readonly requestId: string | null;
  readonly ownerId: string;
  readonly startTimeMs: number;
  readonly status: {
    readonly phase: string;
    readonly status: string;
    readonly complete: boolean;
    readonly completed: boolean;
    readonly failed: boolean;
    readonly retryable: boolean;
  };
  readonly history: readonly HistoryLine[];
  readonly resultObjects: readonly unknown[];
  readonly sagaIds: readonly unknown[];
  readonly retryable: boolean;
  readonly outputs: readonly unknown[];
}

export const TaskState = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export interface TaskView {
  readonly id: string;
  readonly ownerId: string;
  readonly startTimeMs: number;
  readonly memo: TaskMemo | undefined;
  readonly state: TaskState;
  readonly resultObjects: readonly unknown[];
  /** Set when the task failed; rendered as Clouddriver's EXCEPTION result object. */
  readonly error?: OperationError | undefined;
  /** When it failed (the EXCEPTION's `timestamp`); the run's start when Temporal does not say. */
  readonly failedAtMs?: number | undefined;
}

/** Clouddriver's EXCEPTION result object (kork `ExceptionSummary` plus `type` and `operation`). */
export function exceptionResult(error: OperationError, timestampMs: number): Record<string, unknown> {
  return {
    type: 'EXCEPTION',
    operation: error.operation,
    cause: error.type,
    message: error.message,
    details: [error.message, ...error.details].map((message) => ({ message, retryable: error.retryable })),
    timestamp: timestampMs,
    retryable: error.retryable,
  };
}

/** The history line Clouddriver appends when an operation fails. */
export function failureLine(error: OperationError): HistoryLine {
  return {
    phase: ORCHESTRATION_PHASE,
    status: `Orchestration failed: ${error.operation} | ${error.type}: [${error.message}]`,
  };
}

/** Renders the task JSON Orca polls, from what Temporal stores about the workflow. */
export function renderTask(view: TaskView): ClouddriverTask {
  const history: HistoryLine[] = [...(view.memo?.history ?? [])];
  if (history.length === 0) history.push({ phase: ORCHESTRATION_PHASE, status: 'Initializing Orchestration Task' });
  const resultObjects: unknown[] = [...view.resultObjects];
  if (view.state === TaskState.failed && view.error) {
    const line = failureLine(view.error);
    if (!history.some((h) => h.status === line.status)) history.push(line);
    if (!resultObjects.some((r) => isException(r))) resultObjects.push(exceptionResult(view.error, view.failedAtMs ?? view.startTimeMs));
  }
  const last = history[history.length - 1]!;
  const completed = view.state !== TaskState.running;
  const failed = view.state === TaskState.failed;
  const retryable = failed && (view.error?.retryable ?? false);
  return {
    id: view.id,
    requestId: view.memo?.requestId ?? null,
    ownerId: view.ownerId,
    startTimeMs: view.startTimeMs,
    status: { phase: last.phase, status: last.status, complete: completed, completed, failed, retryable },
    history,
    resultObjects,
    sagaIds: [],
    retryable,
    outputs: [],
  };
}

/**
 * The task's error back from the EXCEPTION object a Failed workflow carries as its failure's
 * details (see `exceptionResult`), so a failed task renders from Temporal alone.
 */
export function operationErrorOf(exception: unknown): { error: OperationError; failedAtMs: number | undefined } | undefined {
  if (!isException(exception)) return undefined;
  const e = exception as {
    operation?: unknown;
    cause?: unknown;
    message?: unknown;
    details?: unknown;
    retryable?: unknown;
    timestamp?: unknown;
  };
  if (typeof e.operation !== 'string' || typeof e.cause !== 'string' || typeof e.message !== 'string') return undefined;
  const details = Array.isArray(e.details) ? e.details.map((d) => String((d as { message?: unknown }).message)) : [];
  return {
    // exceptionResult puts the message first among its details.
    error: { type: e.cause, message: e.message, operation: e.operation, details: details.slice(1), retryable: e.retryable === true },
    failedAtMs: typeof e.timestamp === 'number' ? e.timestamp : undefined,
  };
}

function isException(r: unknown): boolean {
  return typeof r === 'object' && r !== null && (r as { type?: unknown }).type === 'EXCEPTION';
}
