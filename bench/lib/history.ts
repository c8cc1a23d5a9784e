/**
 * Where a workflow's time went, read from its event history (server timestamps): workflow tasks
 * waiting for a worker and being processed, activities waiting for a slot and running. The
 * difference between these and the total is time between tasks (the server's own hand-offs).
 */
import type { temporal } from '@temporalio/proto';
import { temporal as proto } from '@temporalio/proto';
import { median } from './stats';
import { round } from '../../test/support/child-process';

type History = temporal.api.history.v1.IHistory;
type Timestamp = temporal.api.history.v1.IHistoryEvent['eventTime'];

const E = proto.api.enums.v1.EventType;

function msOf(ts: Timestamp): number {
  if (!ts) return NaN;
  const s = ts.seconds;
  const seconds = typeof s === 'number' ? s : s ? s.toNumber() : 0;
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

export interface ActivitySpan {
  readonly type: string;
  /** Scheduled to started: waiting in the task queue for a worker's free activity slot. */
  readonly queueMs: number;
  /** Started to completed: the activity itself (its AWS calls), plus reporting the result. */
  readonly execMs: number;
  readonly attempt: number;
}

export interface Timeline {
  readonly totalMs: number;
  readonly workflowTasks: number;
  /** Scheduled to started, summed over the workflow's workflow tasks. */
  readonly wftQueueMs: number;
  /** Started to completed, summed: the worker replaying/advancing the workflow code and answering. */
  readonly wftExecMs: number;
  readonly activities: readonly ActivitySpan[];
  readonly activityQueueMs: number;
  readonly activityExecMs: number;
  /** Everything else: the server between one task's completion and the next one's scheduling. */
  readonly otherMs: number;
  /** Workflow tasks that timed out (a sticky task not picked up in time, or a worker too slow to answer). */
  readonly wftTimeouts: number;
  /** Activity attempts beyond the first (timeouts and retried errors). */
  readonly activityRetries: number;
  /** Local activities (their markers): they run inside a workflow task, so their time is in wftExecMs. */
  readonly localActivities: number;
}

export function timelineOf(history: History): Timeline {
  const events = history.events ?? [];
  const at = new Map<number, { type: number; ms: number; name?: string | undefined }>();
  for (const e of events)
    at.set(Number(e.eventId), {
      type: e.eventType ?? 0,
      ms: msOf(e.eventTime),
      name: e.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined,
    });
  const first = events[0];
  const last = events[events.length - 1];
  const totalMs = first && last ? msOf(last.eventTime) - msOf(first.eventTime) : NaN;

  let wftQueueMs = 0;
  let wftExecMs = 0;
  let workflowTasks = 0;
  let wftTimeouts = 0;
  let localActivities = 0;
  const activities: ActivitySpan[] = [];
  const startedAttempt = new Map<number, number>();
  for (const e of events) {
    const t = e.eventType;
    if (t === E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) wftTimeouts++;
    if (t === E.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity') localActivities++;
    if (t === E.EVENT_TYPE_ACTIVITY_TASK_STARTED) startedAttempt.set(Number(e.eventId), e.activityTaskStartedEventAttributes?.attempt ?? 1);
    // A task's end (completed, failed or timed out) names its scheduled and started events.
    const wft = e.workflowTaskCompletedEventAttributes ?? e.workflowTaskFailedEventAttributes ?? e.workflowTaskTimedOutEventAttributes;
    const act = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    const scheduled = at.get(Number((wft ?? act)?.scheduledEventId));
    const started = at.get(Number((wft ?? act)?.startedEventId));
    if (!scheduled || !started) continue;
    const queueMs = started.ms - scheduled.ms;
    const execMs = msOf(e.eventTime) - started.ms;
    if (wft) {
      wftQueueMs += queueMs;
      wftExecMs += execMs;
      workflowTasks++;
    } else {
      activities.push({
        type: scheduled.name ?? 'unknown',
        queueMs,
        execMs,
        attempt: startedAttempt.get(Number(act?.startedEventId)) ?? 1,
      });
    }
  }
  const activityQueueMs = activities.reduce((s, a) => s + a.queueMs, 0);
  const activityExecMs = activities.reduce((s, a) => s + a.execMs, 0);
  return {
    totalMs,
    workflowTasks,
    wftQueueMs,
    wftExecMs,
    activities,
    activityQueueMs,
    activityExecMs,
    otherMs: totalMs - wftQueueMs - wftExecMs - activityQueueMs - activityExecMs,
    wftTimeouts,
    activityRetries: activities.reduce((s, a) => s + a.attempt - 1, 0),
    localActivities,
  };
}

export interface TimelineSummary {
  readonly workflows: number;
  readonly medianTotalMs: number;
  readonly medianWorkflowTasks: number;
  readonly medianWftQueueMs: number;
  readonly medianWftExecMs: number;
  readonly medianActivityQueueMs: number;
  readonly medianActivityExecMs: number;
  readonly medianOtherMs: number;
  readonly medianLocalActivities: number;
  /** Over all sampled workflows. */
  readonly wftTimeouts: number;
  readonly activityRetries: number;
  /** Per activity type: median queue and execution time, and the most attempts seen. */
  readonly byActivity: readonly {
    readonly type: string;
    readonly count: number;
    readonly medianQueueMs: number;
    readonly medianExecMs: number;
    readonly maxAttempt: number;
  }[];
}

export function summarizeTimelines(timelines: readonly Timeline[]): TimelineSummary {
  const med = (f: (t: Timeline) => number) => round(median(timelines.map(f)), 1);
  const byType = new Map<string, ActivitySpan[]>();
  for (const t of timelines) for (const a of t.activities) byType.set(a.type, [...(byType.get(a.type) ?? []), a]);
  return {
    workflows: timelines.length,
    medianTotalMs: med((t) => t.totalMs),
    medianWorkflowTasks: med((t) => t.workflowTasks),
    medianWftQueueMs: med((t) => t.wftQueueMs),
    medianWftExecMs: med((t) => t.wftExecMs),
    medianActivityQueueMs: med((t) => t.activityQueueMs),
    medianActivityExecMs: med((t) => t.activityExecMs),
    medianOtherMs: med((t) => t.otherMs),
    medianLocalActivities: med((t) => t.localActivities),
    wftTimeouts: timelines.reduce((s, t) => s + t.wftTimeouts, 0),
    activityRetries: timelines.reduce((s, t) => s + t.activityRetries, 0),
    byActivity: [...byType].map(([type, spans]) => ({
      type,
      count: spans.length,
      medianQueueMs: round(median(spans.map((s) => s.queueMs)), 1),
      medianExecMs: round(median(spans.map((s) => s.execMs)), 1),
      maxAttempt: Math.max(...spans.map((s) => s.attempt)),
    })),
  };
}
