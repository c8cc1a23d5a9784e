/**
 * The worker's own Prometheus metrics (Bosun's, beside the SDK's that the runtime serves on
 * `worker.metricsAddress`): tasks by operation, application and failure type, task and activity
 * durations, activity retries, and every AWS call's attempt by service and API with its errors
 * and throttles. Served at `GET /metrics` of the worker's health endpoint. Labels are bounded:
 * operations, activities, services, APIs and failure types are finite sets of Bosun's code;
 * applications are the ones the process is told of (the flag file's onboarded ones, where the
 * entry point reads it) plus the first few others seen, then `other`.
 */
import { Registry } from 'prom-client';
import type { AwsCallRecord } from '../activities';
import { classifyAwsError, isAwsThrottling } from '../activities';
import { metricsOn } from '../runtime';

/** What workflow code reports through the `bosunMetrics` sink (workflows/task-metrics.ts). */
export interface TaskStarted {
  readonly operation: string;
  readonly application: string | undefined;
}
export interface TaskEnded extends TaskStarted {
  /** `succeeded`, or `failed` with the failure's type from domain/failures (`Canceled` for a cancellation). */
  readonly outcome: 'succeeded' | 'failed';
  readonly failureType?: string | undefined;
  /** From the run's start to its end, in workflow time. */
  readonly seconds: number;
}

/** `application` when it is unknown (a task whose description names none). */
export const UNKNOWN_APPLICATION = 'unknown';
/** Every application past the bound shares this value. */
export const OTHER_APPLICATION = 'other';
/** Applications not onboarded in the flag file that still get a label of their own, first come first served. */
export const DEFAULT_EXTRA_APPLICATIONS = 20;

/**
 * Bounds the `application` label: the onboarded applications (the flag file's allowlist, the
 * ones an on-call engineer asks about) always keep their name; of the others, the first
 * `extra` seen by this process do, and the rest count as `other`.
 */
export class ApplicationLabels {
  private readonly known = new Set<string>();
  private readonly seen = new Set<string>();
  constructor(private readonly extra = DEFAULT_EXTRA_APPLICATIONS) {}

  /** Adds applications that always keep their name (the flag file's onboarded ones). */
  know(applications: Iterable<string>): void {
    for (const a of applications) this.known.add(a);
  }

  of(application: string | undefined): string {
    if (!application) return UNKNOWN_APPLICATION;
    if (this.known.has(application) || this.seen.has(application)) return application;
    if (this.seen.size < this.extra) {
      this.seen.add(application);
      return application;
    }
    return OTHER_APPLICATION;
  }
}

/** Seconds: from a poll to a 2-hour retry window. */
const TASK_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
/** Seconds: a describe takes milliseconds, a wait for capacity up to 30 minutes. */
const ACTIVITY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800];
const AWS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How an AWS error counts in `bosun_aws_errors_total`'s `kind`: a small fixed set, not AWS's codes. */
export type AwsErrorKind = 'throttling' | 'server' | 'client' | 'network' | 'unexpected';

export function awsErrorKind(error: unknown): AwsErrorKind {
  if (isAwsThrottling(error)) return 'throttling';
  const c = classifyAwsError(error);
  if (c.unexpected) return 'unexpected';
  if (c.httpStatus === undefined) return 'network';
  return c.httpStatus >= 500 ? 'server' : 'client';
}

/** Builds the worker's metrics on `registry` (one per worker, so tests can run several). */
export function createWorkerMetrics(opts: { registry?: Registry; applications?: ApplicationLabels } = {}) {
  const registry = opts.registry ?? new Registry();
  const applications = opts.applications ?? new ApplicationLabels();
  const { counter, histogram } = metricsOn(registry);
  const tasksStarted = counter(
    'bosun_tasks_started_total',
    'Tasks (workflow runs) started, by operation (the workflow type) and application',
    ['operation', 'application'],
  );
  const tasksSucceeded = counter('bosun_tasks_succeeded_total', 'Tasks that succeeded, by operation and application', [
    'operation',
    'application',
  ]);
  const tasksFailed = counter(
    'bosun_tasks_failed_total',
    "Tasks that failed, by operation, application and failure type (domain/failures: the task's EXCEPTION cause)",
    ['operation', 'application', 'failure_type'],
  );
  const taskDuration = histogram(
    'bosun_task_duration_seconds',
    'Time from the start of a task to its end, by operation and outcome (succeeded or failed)',
    ['operation', 'outcome'],
    TASK_BUCKETS,
  );
  const activityDuration = histogram(
    'bosun_activity_duration_seconds',
    'Time of one activity attempt, by activity type and outcome (succeeded or failed)',
    ['activity', 'outcome'],
    ACTIVITY_BUCKETS,
  );
  const activityRetries = counter(
    'bosun_activity_retries_total',
    'Activity attempts after the first (a retry by Temporal after a failure or a timeout), by activity type',
    ['activity'],
  );
  const awsCalls = counter('bosun_aws_calls_total', 'AWS API requests (each HTTP attempt), by service and API', ['service', 'api']);
  const awsErrors = counter(
    'bosun_aws_errors_total',
    'AWS API requests that failed, by service, API and kind (throttling, server, client, network, unexpected)',
    ['service', 'api', 'kind'],
  );
  const awsThrottles = counter(
    'bosun_aws_throttles_total',
    'AWS API requests AWS throttled (Throttling, RequestLimitExceeded, HTTP 429, ...), by service and API',
    ['service', 'api'],
  );
  const awsDuration = histogram('bosun_aws_call_duration_seconds', 'Time of one AWS API request, by service', ['service'], AWS_BUCKETS);

  return {
    registry,
    applications,
    taskStarted(t: TaskStarted): void {
      tasksStarted.inc({ operation: t.operation, application: applications.of(t.application) });
    },
    taskEnded(t: TaskEnded): void {
      const labels = { operation: t.operation, application: applications.of(t.application) };
      if (t.outcome === 'succeeded') tasksSucceeded.inc(labels);
      else tasksFailed.inc({ ...labels, failure_type: t.failureType ?? 'Unknown' });
      taskDuration.observe({ operation: t.operation, outcome: t.outcome }, Math.max(0, t.seconds));
    },
    /** One activity attempt ended (`attempt` counts from 1). */
    activityAttempt(a: { activity: string; attempt: number; seconds: number; ok: boolean }): void {
      activityDuration.observe({ activity: a.activity, outcome: a.ok ? 'succeeded' : 'failed' }, a.seconds);
      if (a.attempt > 1) activityRetries.inc({ activity: a.activity });
    },
    /** The AWS clients' observer (activities/aws-clients.ts `onCall`). */
    awsCall: (c: AwsCallRecord): void => {
      const labels = { service: c.service, api: c.api };
      awsCalls.inc(labels);
      awsDuration.observe({ service: c.service }, c.seconds);
      if (c.error === undefined) return;
      const kind = awsErrorKind(c.error);
      awsErrors.inc({ ...labels, kind });
      if (kind === 'throttling') awsThrottles.inc(labels);
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
