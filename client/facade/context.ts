/**
 * What the app module (server.ts) builds once and hands to every route plugin: the Temporal
 * client and what a task starts with, the onboarding flag, the legacy Clouddriver,
 * authorization, limits, metrics, the caches task reads share, and the two helpers every route
 * uses (a deadline on Temporal calls; the hand-off to the legacy Clouddriver).
 */
import type { Client } from '@temporalio/client';
import type { FastifyReply } from 'fastify';
import type { RoutingDecision } from '../routing';
import type { TaskSettings } from '../../domain/task-input';
import type { AuthorizationPolicy } from './authorization';
import { serviceUnavailable } from './errors';
import type { LegacyClouddriver } from './legacy';
import type { FacadeMetrics } from './metrics';
import type { FacadeLimits, FacadeOptions, RouteDecider } from './options';
import { DEFAULT_LIMITS, DEFAULT_RUNNING_TASKS } from './options';
import { RunningTasks } from './running-tasks';
import type { TaskCaches } from './task-read';
import { createClosedTaskCache, createRunningRunCache, isTaskWorkflowType } from './task-read';

export interface FacadeContext {
  readonly client: Client;
  readonly taskQueue: string;
  readonly settings: TaskSettings;
  readonly eagerStart: boolean;
  /** The onboarding flag; absent = every supported operation runs on Temporal (ALL_TEMPORAL). */
  readonly router: RouteDecider | undefined;
  readonly legacy: LegacyClouddriver | undefined;
  readonly policy: AuthorizationPolicy;
  readonly limits: FacadeLimits;
  readonly metrics: FacadeMetrics;
  /** Closed tasks, running tasks' runs and the list of running tasks (task-read.ts, running-tasks.ts). */
  readonly caches: Required<TaskCaches>;
  /** Runs a request's Temporal calls under one deadline; past it they fail as DEADLINE_EXCEEDED, answered 503. */
  temporal<T>(fn: () => Promise<T>): Promise<T>;
  /** Forwards the request to the legacy Clouddriver with `body`; without one, a 503 saying `why`. */
  toLegacy(reply: FastifyReply, body: Buffer | undefined, why: string): FastifyReply;
}

/** The decision when no onboarding flag is configured. */
export const ALL_TEMPORAL: RoutingDecision = {
  route: 'temporal',
  rule: 'no-flag',
  reason: 'no onboarding flag is configured: every supported operation runs on Temporal',
  flagState: 'READY',
};

export function createContext(opts: FacadeOptions, metrics: FacadeMetrics): FacadeContext {
  const temporalCallTimeoutMs = opts.temporalCallTimeoutMs ?? 10_000;
  const legacy = opts.legacy;
  return {
    client: opts.client,
    taskQueue: opts.taskQueue,
    settings: opts.settings,
    eagerStart: opts.eagerStart ?? false,
    router: opts.router,
    legacy,
    policy: opts.authorization ?? { requireUser: true, checkAccounts: true },
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    metrics,
    caches: {
      // Finished tasks never change: Orca's polls of them cost one Temporal call (task-read.ts).
      closed: createClosedTaskCache(),
      // Running tasks' polls name the run they were last seen in, saving Temporal a database read (task-read.ts).
      runs: createRunningRunCache(),
      // Running tasks' polls are answered from one list a second while Orca polls (running-tasks.ts).
      listed: new RunningTasks({
        client: opts.client,
        taskQueue: opts.taskQueue,
        refreshMs: opts.runningTasks?.refreshMs ?? DEFAULT_RUNNING_TASKS.refreshMs,
        maxTasks: opts.runningTasks?.maxTasks ?? DEFAULT_RUNNING_TASKS.maxTasks,
        callTimeoutMs: temporalCallTimeoutMs,
        isTaskType: isTaskWorkflowType,
        logger: opts.logger.child({ module: 'running-tasks' }),
        metrics,
      }),
    },
    temporal: (fn) => opts.client.withDeadline(Date.now() + temporalCallTimeoutMs, fn),
    toLegacy(reply, body, why) {
      if (!legacy) throw serviceUnavailable(`${why}, and no legacy Clouddriver is configured (BOSUN_LEGACY_CLOUDDRIVER_URL)`);
      reply.request.bosunRoute = 'legacy';
      return legacy.forward(reply, body);
    },
  };
}
