/**
 * `bosun watch <task>` and `bosun tasks`: following a task from the terminal, from Temporal
 * itself (the facade is not needed). `watch` prints each step of the task's history as it is
 * written, with a progress bar for the numbers behind a wait ("3 of 4 instances healthy"), the
 * run's link in the Temporal UI, and at the end the failure explained; `tasks` lists tasks from
 * Temporal's visibility with Bosun's search attributes.
 */
import type { Client } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import type { BosunConfig } from '../../config';
import { SearchAttributes, TaskStatusValue } from '../../domain/search-attributes';
import type { ClouddriverTask, HistoryLine } from '../../domain/task';
import { describeTask, isTaskWorkflowType } from '../facade/task-read';

/** Where watch and tasks write: lines for people, and (for a terminal) the redrawn progress bar. */
export interface WatchIo {
  readonly out: (text: string) => void;
  /** The terminal the progress bar is drawn on; absent = no bar (a pipe, a log file). */
  readonly tty?: NodeJS.WriteStream | undefined;
}

/**
 * "myapp-v001 has 3 of 4 instances in service", "3 of 4 instances healthy": where a wait stands
 * (not "Waiting for 3 of 4 instances ... to be healthy", which is its target).
 */
const PROGRESS = /\b(\d+) of (\d+) instances? (?:are |is )?(?:in service|healthy)\b/;

/** The numbers a history line or a wait's heartbeat gives for its wait, if any. */
export function progressOf(status: string): { done: number; total: number } | undefined {
  const m = PROGRESS.exec(status);
  if (!m) return undefined;
  const [done, total] = [Number(m[1]), Number(m[2])];
  return total > 0 && done <= total ? { done, total } : undefined;
}

/**
 * The Temporal UI's page of a run: TEMPORAL_UI_URL when set, else the local stack's UI
 * (BOSUN_TEMPORAL_UI_PORT) unless Bosun talks to a cluster of its own (TEMPORAL_ADDRESS).
 */
export function temporalUiLink(
  config: Pick<BosunConfig, 'temporal'>,
  env: Readonly<Record<string, string | undefined>>,
  workflowId: string,
  runId: string,
): string | undefined {
  const base = env.TEMPORAL_UI_URL ?? (config.temporal.address ? undefined : `http://localhost:${config.temporal.localUiPort}`);
  if (!base) return undefined;
  return `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

interface Exception {
  readonly type?: string;
  readonly cause?: string;
  readonly message?: string;
  readonly operation?: string;
}

/** The end of a failed task, explained: what failed, why (its failure type), where, and whether a retry may help. */
export function explainFailure(task: ClouddriverTask): string[] {
  const exception = task.resultObjects.find((r): r is Exception => (r as Exception | undefined)?.type === 'EXCEPTION');
  const last = [...task.history].reverse().find((h) => !/fail|exception/i.test(h.status)) ?? task.history.at(-1);
  const lines = [`✗ task ${task.id} failed`];
  if (exception) {
    lines.push(`  why:   ${exception.cause ?? 'unknown'}${exception.operation ? ` (in ${exception.operation})` : ''}`);
    lines.push(`  what:  ${exception.message ?? '(no message)'}`);
  }
  if (last) lines.push(`  where: after "${last.status}" (${last.phase})`);
  lines.push(
    task.status.retryable
      ? '  retry: the failure is transient; Orca may retry the stage (the same clientRequestId re-runs the task)'
      : '  retry: not retryable as it stands; fix the cause above first',
  );
  return lines;
}

const lineOf = (h: HistoryLine) => `  [${h.phase}] ${h.status}`;

/**
 * What the task's running waits last reported: a wait activity heartbeats its state (e.g.
 * domain/capacity.ts ConvergenceState, whose message names the numbers) while the history only
 * gets a line when it ends.
 */
export async function waitProgress(client: Client, id: string): Promise<string[]> {
  const described = await client.workflow.getHandle(id).describe();
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  const messages: string[] = [];
  for (const pending of described.raw.pendingActivities ?? []) {
    let payloads = pending.heartbeatDetails?.payloads ?? [];
    if (payloads.length === 0) continue;
    for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
    const details: unknown = payloadConverter.fromPayload(payloads[0]!);
    const message = typeof details === 'string' ? details : (details as { message?: unknown } | null)?.message;
    if (typeof message === 'string') messages.push(message);
  }
  return messages;
}

/**
 * Follows a task until it ends: prints every new history line, drives the bar with the latest
 * line's numbers, and explains a failure. Returns whether the task succeeded (undefined: no such task).
 */
export async function watchTask(
  client: Client,
  id: string,
  opts: { io: WatchIo; link?: string | undefined; pollMs?: number; timeoutMs?: number },
): Promise<boolean | undefined> {
  const { io } = opts;
  let task = await describeTask(client, id);
  if (!task) return undefined;
  io.out(`following task ${id}${opts.link ? `\n  Temporal UI: ${opts.link}` : ''}`);
  const bar = io.tty
    ? new SingleBar(
        { stream: io.tty, barsize: 24, hideCursor: true, clearOnComplete: true },
        { format: '  {bar} {value}/{total} {step}', barCompleteChar: '█', barIncompleteChar: '░' },
      )
    : undefined;
  let barShown = false;
  let printed = 0;
  let lastWait: string | undefined;
  const showProgress = (status: string) => {
    const progress = progressOf(status);
    if (!bar || !progress) return;
    if (barShown) {
      bar.setTotal(progress.total);
      bar.update(progress.done, { step: status });
    } else bar.start(progress.total, progress.done, { step: status });
    barShown = true;
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 24 * 60 * 60 * 1000);
  try {
    for (;;) {
      const fresh = task.history.slice(printed);
      if (fresh.length > 0) {
        if (barShown) bar?.stop();
        barShown = false;
        for (const h of fresh) io.out(lineOf(h));
        printed = task.history.length;
        lastWait = undefined;
        if (!task.status.completed) showProgress(task.history.at(-1)!.status);
      }
      if (task.status.completed) break;
      // Between history lines: where the running wait stands, printed when it changes.
      const wait = (await waitProgress(client, id).catch(() => [])).find((m) => progressOf(m));
      if (wait && wait !== lastWait) {
        lastWait = wait;
        if (bar) showProgress(wait);
        else io.out(`    … ${wait}`);
      }
      if (Date.now() > deadline) throw new Error(`task ${id} is still running after ${opts.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
      task = (await describeTask(client, id)) ?? task;
    }
  } finally {
    if (barShown) bar?.stop();
  }
  if (task.status.failed) {
    for (const l of explainFailure(task)) io.out(l);
    return false;
  }
  io.out(`✓ task ${id} succeeded (${((Date.now() - task.startTimeMs) / 1000).toFixed(1)} s since it started)`);
  return true;
}

export interface TaskFilter {
  readonly application?: string | undefined;
  readonly failed?: boolean | undefined;
  /** Only tasks started since then. */
  readonly since?: Date | undefined;
  readonly taskQueue?: string | undefined;
  readonly limit?: number | undefined;
}

/** `1h`, `30m`, `2d`, `45s` → milliseconds; undefined when it is none of those. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** The visibility query for a filter (values are quoted; a quote in a value is dropped). */
export function tasksQuery(filter: TaskFilter): string {
  const q = (v: string) => `'${v.replace(/'/g, '')}'`;
  const parts: string[] = [];
  if (filter.taskQueue) parts.push(`TaskQueue = ${q(filter.taskQueue)}`);
  if (filter.application) parts.push(`${SearchAttributes.application.name} = ${q(filter.application)}`);
  if (filter.failed) parts.push(`${SearchAttributes.taskStatus.name} = ${q(TaskStatusValue.failed)}`);
  if (filter.since) parts.push(`StartTime > ${q(filter.since.toISOString())}`);
  return parts.join(' AND ');
}

export interface ListedTask {
  readonly id: string;
  readonly operation: string;
  readonly application: string;
  readonly status: string;
  readonly startTime: Date;
  readonly closeTime?: Date | undefined;
}

/** Bosun's tasks matching the filter, newest first, from Temporal's visibility. */
export async function listTasks(client: Client, filter: TaskFilter): Promise<ListedTask[]> {
  const out: ListedTask[] = [];
  const limit = filter.limit ?? 50;
  for await (const wf of client.workflow.list({ query: tasksQuery(filter), pageSize: Math.min(limit, 100) })) {
    if (!isTaskWorkflowType(wf.type)) continue;
    out.push({
      id: wf.workflowId,
      operation: wf.type,
      application: wf.typedSearchAttributes.get(SearchAttributes.application) ?? '-',
      status: wf.typedSearchAttributes.get(SearchAttributes.taskStatus) ?? wf.status.name,
      startTime: wf.startTime,
      closeTime: wf.closeTime,
    });
    if (out.length >= limit) break;
  }
  return out;
}

/** The table `bosun tasks` prints. */
export function formatTasks(tasks: readonly ListedTask[]): string {
  if (tasks.length === 0) return 'no tasks match';
  const rows = [
    ['TASK', 'OPERATION', 'APPLICATION', 'STATUS', 'STARTED', 'TOOK'],
    ...tasks.map((t) => [
      t.id,
      t.operation,
      t.application,
      t.status,
      t.startTime.toISOString().replace(/\.\d+Z$/, 'Z'),
      t.closeTime ? `${((t.closeTime.getTime() - t.startTime.getTime()) / 1000).toFixed(1)} s` : 'running',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
