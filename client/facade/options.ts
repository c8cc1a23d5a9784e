/** What a facade is built from (FacadeOptions) and the defaults of its limits. */
import type { Client } from '@temporalio/client';
import type { Router } from '../routing';
import type { TaskSettings } from '../../domain/task-input';
import type { Logger } from '../../runtime';
import type { AuthorizationPolicy } from './authorization';
import type { LegacyClouddriver } from './legacy';
import type { FacadeMetrics } from './metrics';

/** The onboarding flag as the facade uses it (client/routing's Router, or a stand-in in tests). */
export type RouteDecider = Pick<Router, 'decide' | 'status'>;

/** Limits applied before any work is done for a request. */
export interface FacadeLimits {
  /** Operations in one POST. */
  readonly maxOperations: number;
  /** JSON nesting of a body. */
  readonly maxJsonDepth: number;
}

export const DEFAULT_LIMITS: FacadeLimits = { maxOperations: 50, maxJsonDepth: 64 };

export interface RunningTasksSettings {
  /** Time between two lists while tasks are polled. */
  readonly refreshMs: number;
  /** Running tasks one list holds; more are described per poll. */
  readonly maxTasks: number;
}

export const DEFAULT_RUNNING_TASKS: RunningTasksSettings = { refreshMs: 1000, maxTasks: 10_000 };

export interface FacadeOptions {
  readonly client: Client;
  readonly taskQueue: string;
  readonly settings: TaskSettings;
  readonly logger: Logger;
  readonly maxBodyBytes?: number | undefined;
  /** The onboarding flag; absent = every supported operation runs on Temporal. */
  readonly router?: RouteDecider | undefined;
  /** The legacy Clouddriver; absent = not-onboarded requests get 503 and unknown paths 404. */
  readonly legacy?: LegacyClouddriver | undefined;
  readonly authorization?: AuthorizationPolicy | undefined;
  readonly metrics?: FacadeMetrics | undefined;
  /** Trace POSTs (client/facade/tracing.ts); the process's tracer provider is started by then (runtime/tracing.ts). */
  readonly tracing?: boolean | undefined;
  readonly limits?: Partial<FacadeLimits> | undefined;
  /**
   * How long one request may wait for Temporal before it answers 503 (Orca retries). Without it,
   * the client's own gRPC retries hold a request 20–40 s while Temporal is unreachable.
   */
  readonly temporalCallTimeoutMs?: number | undefined;
  /**
   * Ask the server to hand a new task's first workflow task straight back to a worker of this
   * process (eager workflow start), saving a trip through matching. Only for a client
   * built on the worker's NativeConnection (the SDK refuses the request otherwise); when no local
   * worker has a free slot, the SDK starts the workflow the ordinary way.
   */
  readonly eagerStart?: boolean | undefined;
  /** The list of running tasks that answers their polls (running-tasks.ts); refreshMs 0 = describe every poll. */
  readonly runningTasks?: Partial<RunningTasksSettings> | undefined;
}
