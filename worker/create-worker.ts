import type { PayloadCodec } from '@temporalio/common';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../activities';
import { createActivities } from '../activities';
import { imageOwners } from '../config';
import type { Bosun } from '../runtime';
import { boundUnexpectedErrors } from '../activities/aws-errors';
import { cachedWorkflowBundle } from './bundle-cache';

export interface BosunWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly activities: Activities;
  /** A prebuilt workflow bundle (tests build one per run); absent = bundle `workflows/` now. */
  readonly workflowBundle?: { readonly codePath: string } | undefined;
  readonly identity?: string | undefined;
  /** Encrypts payloads that may hold secrets (config/payload-codec.ts); the facade must use the same. */
  readonly payloadCodec?: PayloadCodec | undefined;
  /** Activity slots (BOSUN_MAX_CONCURRENT_ACTIVITIES); absent = the SDK's default. */
  readonly maxConcurrentActivities?: number | undefined;
  /** Sticky workflow cache size (BOSUN_MAX_CACHED_WORKFLOWS, 50 by default); absent = the SDK's default. */
  readonly maxCachedWorkflows?: number | undefined;
  /**
   * The Worker Deployment version this worker polls as (README, "Deploying a new worker
   * version"); absent = an unversioned worker, which gets the tasks no version claims.
   */
  readonly deployment?: WorkerDeploymentVersion | undefined;
}

/** A Worker Deployment version: the deployment's name and this build's id. */
export interface WorkerDeploymentVersion {
  readonly deploymentName: string;
  readonly buildId: string;
}

/** Where the workflow code lives, for bundling. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * The worker: polls the task queue, runs workflows in the sandbox and activities with the
 * injected AWS clients. It keeps no state; kill it and another worker finishes the work.
 */
export async function createBosunWorker(opts: BosunWorkerOptions): Promise<Worker> {
  const options: WorkerOptions = {
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.payloadCodec ? { dataConverter: { payloadCodecs: [opts.payloadCodec] } } : {}),
    ...(opts.workflowBundle ? { workflowBundle: { codePath: opts.workflowBundle.codePath } } : { workflowsPath: WORKFLOWS_PATH }),
    ...(opts.maxConcurrentActivities !== undefined ? { maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities } : {}),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
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
    interceptors: {
      activity: [(ctx) => ({ inbound: { execute: (input, next) => boundUnexpectedErrors(ctx.info.activityType, () => next(input)) } })],
    },
    // Wait for in-flight activities on shutdown, but not for ever: heartbeat timeouts hand long
    // waits to another worker anyway.
    shutdownGraceTime: '10 seconds',
  };
  return Worker.create(options);
}

/**
 * The worker an entry point runs (`npm run worker`, `npm start`), built from the composition root:
 * its native connection, the activities with real AWS clients, the payload codec and every
 * configured limit. `overrides` are what the entry point decides itself (e.g. a deployment version).
 */
export async function createConfiguredWorker(bosun: Bosun, overrides: Partial<BosunWorkerOptions> = {}): Promise<Worker> {
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
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    ...overrides,
  });
}
