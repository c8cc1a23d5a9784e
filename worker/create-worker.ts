import type { PayloadCodec } from '@temporalio/common';
import type { InjectedSinks, NativeConnection, State, WorkerOptions, WorkerStatus } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../activities';
import { createActivities } from '../activities';
import { imageOwners } from '../config';
import { waitsTaskQueue } from '../domain/waits';
import type { Bosun, DeploymentVersion, Tracing } from '../runtime';
import { TRACING_OFF } from '../runtime';
import { boundUnexpectedErrors } from '../activities/aws-errors';
import type { TaskMetricsSinks } from '../workflows/task-metrics';
import { cachedWorkflowBundle } from './bundle-cache';
import type { WorkerMetrics } from './metrics';

export interface BosunWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly activities: Activities;
  /** A prebuilt workflow bundle (tests build one per run); absent = bundle `workflows/` now. */
  readonly workflowBundle?: { readonly codePath: string } | undefined;
  readonly identity?: string | undefined;
  /** Encrypts payloads that may hold secrets (runtime/payload-codec.ts); the facade must use the same. */
  readonly payloadCodec?: PayloadCodec | undefined;
  /** Activity slots (BOSUN_MAX_CONCURRENT_ACTIVITIES); absent = the SDK's default. */
  readonly maxConcurrentActivities?: number | undefined;
  /** Slots of the waits worker on `<taskQueue>-waits` (BOSUN_MAX_CONCURRENT_WAITS); absent = 1000. */
  readonly maxConcurrentWaits?: number | undefined;
  /** Sticky workflow cache size (BOSUN_MAX_CACHED_WORKFLOWS, 50 by default); absent = the SDK's default. */
  readonly maxCachedWorkflows?: number | undefined;
  /**
   * The Worker Deployment version this worker polls as (docs/production.md,
   * "Deploying a new worker version"); absent = an unversioned worker, which gets the tasks no version claims.
   */
  readonly deployment?: DeploymentVersion | undefined;
  /** Bosun's worker metrics (worker/metrics.ts): tasks, activities; absent = not counted. */
  readonly metrics?: WorkerMetrics | undefined;
  /** Activity spans and the workflow spans' sink (runtime/tracing.ts); absent = off (the sink still answers). */
  readonly tracing?: Tracing | undefined;
}

/** Where the workflow code lives, for bundling. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** The workflow interceptors bundled with the workflows (traces of the runs started inside one). */
export const WORKFLOW_INTERCEPTORS_PATH = require.resolve('../workflows/tracing-interceptors');

/** Waits the waits worker runs at once when not configured (config `worker.maxConcurrentWaits`). */
export const DEFAULT_MAX_CONCURRENT_WAITS = 1000;

/**
 * Bosun's worker: the task queue's worker (workflows and every activity) and the waits worker
 * (activities only, on `<taskQueue>-waits`, with its own limit), run and stopped together. Waits
 * of runs with the `task-queue` or `workflow-timer` strategy are scheduled on the waits queue
 * (workflows/wait-routing.ts), so they never take the slots the task queue's short calls need.
 * Every worker of a task queue runs both, so a waits queue always has a poller where its tasks
 * run. It keeps no state; kill it and another worker finishes the work.
 */
export class BosunWorker {
  constructor(
    /** Polls the task queue: workflow tasks and every activity scheduled there. */
    readonly main: Worker,
    /** Polls the waits queue: only the waiting activities. */
    readonly waits: Worker,
  ) {}

  /** RUNNING only while both run: a stopped waits worker would leave waits unserved. */
  getState(): State {
    const main = this.main.getState();
    return main === 'RUNNING' ? this.waits.getState() : main;
  }

  /** The task queue worker's status (its slots); the waits worker's is `waits.getStatus()`. */
  getStatus(): WorkerStatus {
    return this.main.getStatus();
  }

  /** Starts draining both workers (a no-op for one that is not running). */
  shutdown(): void {
    for (const w of [this.main, this.waits]) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** Runs both until both stop; one that stops (or fails) stops the other, and a failure is rethrown. */
  async run(): Promise<void> {
    const results = await Promise.allSettled(
      [this.main, this.waits].map((w) =>
        w.run().finally(() => {
          this.shutdown();
        }),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }
}

/** Builds Bosun's worker (see BosunWorker): both Temporal workers, with the same connection, codec and version. */
export async function createBosunWorker(opts: BosunWorkerOptions): Promise<BosunWorker> {
  const tracing = opts.tracing ?? TRACING_OFF;
  const shared: WorkerOptions = {
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.payloadCodec ? { dataConverter: { payloadCodecs: [opts.payloadCodec] } } : {}),
    // A PINNED run's activities go to pollers of its own version, on every queue it uses: the
    // waits worker polls as the same version, or the waits of pinned runs would never start.
    ...(opts.deployment
      ? {
          workerDeploymentOptions: {
            version: { deploymentName: opts.deployment.deploymentName, buildId: opts.deployment.buildId },
            useWorkerVersioning: true,
            // Each workflow type declares its own behavior (workflows/index.ts); this is the fallback.
            defaultVersioningBehavior: 'PINNED',
          },
        }
      : {}),
    // Every error an activity throws is classified: an unexpected one (a TypeError, a credentials
    // error) fails its call after a few attempts instead of being retried for hours.
    // The activity's span (when traced) is outermost, so it records the error as classified.
    interceptors: {
      activity: [
        ...tracing.activityInterceptors,
        (ctx) => ({ inbound: { execute: (input, next) => boundUnexpectedErrors(ctx.info.activityType, () => next(input)) } }),
        ...(opts.metrics ? [measuringActivities(opts.metrics)] : []),
      ],
    },
    sinks: tracing.workflowSinks,
    // Wait for in-flight activities on shutdown, but not for ever: heartbeat timeouts hand long
    // waits to another worker anyway.
    shutdownGraceTime: '10 seconds',
  };
  const main = await Worker.create({
    ...shared,
    // A prebuilt bundle holds its workflow interceptors already (worker/workflow-bundle.ts).
    ...(opts.workflowBundle
      ? { workflowBundle: { codePath: opts.workflowBundle.codePath } }
      : { workflowsPath: WORKFLOWS_PATH, interceptors: { ...shared.interceptors, workflowModules: [WORKFLOW_INTERCEPTORS_PATH] } }),
    ...(opts.maxConcurrentActivities !== undefined ? { maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities } : {}),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    // Both sinks: the tasks' metrics and the traced runs' spans (without `exporter` every span of
    // a traced run is dropped, with an error logged per activation).
    sinks: { ...tracing.workflowSinks, ...taskMetricsSinks(opts.metrics) },
  });
  // No workflows: an activity-only worker, whose slots are the waits' own limit.
  const waits = await Worker.create({
    ...shared,
    taskQueue: waitsTaskQueue(opts.taskQueue),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentWaits ?? DEFAULT_MAX_CONCURRENT_WAITS,
    ...(opts.identity ? { identity: `${opts.identity}-waits` } : {}),
  });
  return new BosunWorker(main, waits);
}

type ActivityInterceptorFactory = NonNullable<NonNullable<WorkerOptions['interceptors']>['activity']>[number];

/** Times every activity attempt and counts the retries (attempt > 1), by activity type. */
function measuringActivities(metrics: WorkerMetrics): ActivityInterceptorFactory {
  return (ctx) => ({
    inbound: {
      execute: async (input, next) => {
        const started = performance.now();
        const report = (ok: boolean) =>
          metrics.activityAttempt({
            activity: ctx.info.activityType,
            attempt: ctx.info.attempt,
            seconds: (performance.now() - started) / 1000,
            ok,
          });
        try {
          const out: unknown = await next(input);
          report(true);
          return out;
        } catch (err) {
          report(false);
          throw err;
        }
      },
    },
  });
}

/**
 * The `bosunMetrics` sink workflow code reports task starts and ends to (workflows/task-metrics.ts).
 * Always registered, so a worker without metrics does not log an unregistered sink on every task.
 */
export function taskMetricsSinks(metrics: WorkerMetrics | undefined): InjectedSinks<TaskMetricsSinks> {
  return {
    bosunMetrics: {
      taskStarted: { fn: (_info, t) => metrics?.taskStarted(t) },
      taskEnded: { fn: (_info, t) => metrics?.taskEnded(t) },
    },
  };
}

/**
 * The worker an entry point runs (`npm run worker`, `npm start`), built from the composition root:
 * its native connection, the activities with real AWS clients, the payload codec and every
 * configured limit. `overrides` are what the entry point decides itself (e.g. a deployment version).
 */
export async function createConfiguredWorker(bosun: Bosun, overrides: Partial<BosunWorkerOptions> = {}): Promise<BosunWorker> {
  const { config } = bosun;
  return createBosunWorker({
    connection: await bosun.nativeConnection(),
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ aws: bosun.aws(), imageOwners: imageOwners(config) }),
    payloadCodec: bosun.payloadCodec,
    // A prebuilt bundle (BOSUN_WORKFLOW_BUNDLE), else the state folder's, built by a child process
    // when the workflow code changed: bundling in this process would keep ~200 MiB of webpack in it.
    workflowBundle: {
      codePath: config.worker.bundlePath ?? (await cachedWorkflowBundle({ stateDir: config.stateDir, logger: bosun.logger })),
    },
    identity: config.worker.identity,
    maxConcurrentActivities: config.worker.maxConcurrentActivities,
    maxConcurrentWaits: config.worker.maxConcurrentWaits,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    tracing: await bosun.tracing(),
    ...overrides,
  });
}
