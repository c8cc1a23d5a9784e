/**
 * The Clouddriver-compatible HTTP facade, on Fastify. Orca posts operations and polls tasks
 * exactly as it does against Clouddriver; the onboarding flag decides per task whether it runs
 * as a Temporal workflow or goes, unchanged, to the legacy Clouddriver (legacy.ts). The facade
 * holds no state: a task id is a workflow id, and everything it answers comes from Temporal (or
 * the legacy Clouddriver).
 *
 * Nothing a client sends may crash or wedge it: targets are checked before routing, bodies are
 * bounded in size and depth and parsed by the framework's rules, every error ends in one error
 * handler as a JSON 4xx (the client's mistake), 503 (Temporal unreachable) or 500 (a Bosun bug,
 * logged with the request id).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../runtime';
import type { Router, RoutingContext, RoutingDecision } from '../routing';
import type { AuthorizationPolicy } from '../../domain/authorization';
import { authorize, parseAccountsHeader } from '../../domain/authorization';
import { forwardedWhy, resolveOperationKey, routedFieldsOf, unsupportedFieldMessage, unsupportedFieldsOf } from '../../domain/operations';
import type { OperationFacts } from '../../domain/routing-facts';
import { factsOf, operationEntries, taskApplication } from '../../domain/routing-facts';
import { accountsOf, parseSubmission, taskTargets } from '../../domain/submission';
import type { TaskSettings } from '../../domain/task-input';
import { causeChain, errorBody, header, HttpError, isTemporalUnavailable, parseJsonBody, pathOf, sendError, targetProblem } from './http';
import type { LegacyClouddriver } from './legacy';
import type { FacadeMetrics } from './metrics';
import { createFacadeMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { CLIENT_REQUEST_ID_PATTERN, TASK_ID_PATTERN } from './patterns';
import type { TaskAccess } from './tasks';
import { RunningTasks } from './running-tasks';
import { registerTaskUpdateRoutes } from './task-updates';
import {
  createClosedTaskCache,
  createRunningRunCache,
  inspectTask,
  isTaskWorkflowType,
  listRunningTasks,
  rerunTask,
  startTask,
  taskIdFor,
} from './tasks';

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

export interface RunningTasksSettings {
  /** Time between two lists while tasks are polled. */
  readonly refreshMs: number;
  /** Running tasks one list holds; more are described per poll. */
  readonly maxTasks: number;
}

export const DEFAULT_RUNNING_TASKS: RunningTasksSettings = { refreshMs: 1000, maxTasks: 10_000 };

export interface Facade {
  readonly server: http.Server;
  readonly metrics: FacadeMetrics;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

const ALL_TEMPORAL: RoutingDecision = {
  route: 'temporal',
  rule: 'no-flag',
  reason: 'no onboarding flag is configured: every supported operation runs on Temporal',
  flagState: 'READY',
};

const taskParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: TASK_ID_PATTERN } } } as const;
const opsQuery = { type: 'object', properties: { clientRequestId: { type: 'string', pattern: CLIENT_REQUEST_ID_PATTERN } } } as const;
const opsParams = {
  type: 'object',
  properties: {
    cloudProvider: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    operation: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$' },
  },
} as const;
const short = { type: 'string', maxLength: 256 } as const;
const routingQuery = {
  type: 'object',
  properties: { application: short, account: short, region: short, cloudProvider: short, operation: short, user: short },
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** The metrics label of what answered: the route's name, or 'legacy' once forwarded. */
    bosunRoute: string;
  }
  interface FastifyContextConfig {
    route?: string;
  }
}

export function createFacade(opts: FacadeOptions): Facade {
  // Finished tasks never change: Orca's polls of them cost one Temporal call (tasks.ts).
  const closedTasks = createClosedTaskCache();
  // Running tasks' polls name the run they were last seen in, saving Temporal a database read (tasks.ts).
  const runningRuns = createRunningRunCache();
  const temporalCallTimeoutMs = opts.temporalCallTimeoutMs ?? 10_000;
  const metrics = opts.metrics ?? createFacadeMetrics();
  // Running tasks' polls are answered from one list a second while Orca polls (running-tasks.ts).
  const runningTasks = new RunningTasks({
    client: opts.client,
    taskQueue: opts.taskQueue,
    refreshMs: opts.runningTasks?.refreshMs ?? DEFAULT_RUNNING_TASKS.refreshMs,
    maxTasks: opts.runningTasks?.maxTasks ?? DEFAULT_RUNNING_TASKS.maxTasks,
    callTimeoutMs: temporalCallTimeoutMs,
    isTaskType: isTaskWorkflowType,
    logger: opts.logger.child({ module: 'running-tasks' }),
    metrics,
  });
  /** Runs a request's Temporal calls under one deadline; past it they fail as DEADLINE_EXCEEDED, answered 503. */
  const temporal = <T>(fn: () => Promise<T>): Promise<T> => opts.client.withDeadline(Date.now() + temporalCallTimeoutMs, fn);
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  const limits: FacadeLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const log = opts.logger.child({ module: 'facade' });
  const policy: AuthorizationPolicy = opts.authorization ?? { requireUser: true, checkAccounts: true };
  const legacy = opts.legacy;
  let closing = false;

  const app = Fastify({
    loggerInstance: log,
    // One line per request at debug (below); Fastify's two info lines per request would drown the rest.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: () => randomUUID(),
    // The request id is Bosun's own: a client-chosen one could collide or forge log lines.
    requestIdHeader: false,
    bodyLimit: limit,
    keepAliveTimeout: 65_000,
    // A client that trickles its request (slowloris) is cut off rather than holding a socket.
    requestTimeout: 30_000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // Malformed percent-encoding and the like, found while routing: the client's mistake.
    frameworkErrors: (err, _req, reply) => {
      void sendError(reply, new HttpError(400, 'Bad Request', `the request target is invalid: ${err.message}`));
    },
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => writeClientError(err, socket),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.decorateRequest('bosunRoute', '');

  // Every body is kept as the bytes sent: an operations POST is parsed by the route (after its
  // limits), and a forwarded request must reach Clouddriver exactly as the client sent it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    req.bosunRoute = req.routeOptions.config.route ?? 'unrouted';
    if (closing) reply.header('connection', 'close');
    const problem = targetProblem(req.url);
    if (problem)
      return sendError(
        reply,
        new HttpError(400, 'Bad Request', `refusing request target ${JSON.stringify(req.url.slice(0, 200))}: ${problem}`),
      );
    if (
      (req.method === 'GET' || req.method === 'HEAD') &&
      (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)
    ) {
      return sendError(reply, new HttpError(400, 'Bad Request', `a ${req.method} request may not carry a body`));
    }
    return undefined;
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', String(req.id));
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.bosunRoute || 'unrouted';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    req.log.debug(
      { method: req.method, path: pathOf(req.url).slice(0, 200), status: reply.statusCode, ms: Math.round(reply.elapsedTime), route },
      'request',
    );
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpError) {
      if (err.status >= 500) req.log.warn({ path: pathOf(req.url), status: err.status, message: err.message }, 'request failed');
      return sendError(reply, err);
    }
    if (err.validation) {
      return sendError(reply, new HttpError(400, 'Bad Request', `invalid request: ${err.message}`));
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, new HttpError(err.statusCode, statusText(err.statusCode), err.message));
    }
    if (isTemporalUnavailable(err)) {
      // The request was not taken; Orca retries the POST.
      req.log.error({ path: pathOf(req.url), error: err.message }, 'Temporal did not answer');
      return sendError(
        reply,
        new HttpError(
          503,
          'Service Unavailable',
          `Temporal did not answer (nothing was started or changed by this request; retry it): ${causeChain(err)}`,
        ),
      );
    }
    req.log.error({ err, path: pathOf(req.url) }, 'Bosun bug: unexpected error while answering a request');
    return sendError(
      reply,
      new HttpError(
        500,
        'Internal Server Error',
        `Bosun failed to answer (request id ${String(req.id)}); the facade's log has the details under this id`,
      ),
    );
  });

  /** One task, one route: Temporal only if the flag sends every operation, in every region, there. */
  async function routeTask(
    facts: readonly OperationFacts[],
    application: string | undefined,
    cloudProvider: string,
    user: string | undefined,
  ): Promise<RoutingDecision> {
    if (!opts.router) return ALL_TEMPORAL;
    let decision: RoutingDecision | undefined;
    for (const f of facts) {
      const regions: (string | undefined)[] = f.regions.length > 0 ? [...f.regions] : [undefined];
      for (const region of regions) {
        const d = await opts.router.decide({
          application,
          account: f.account ?? 'unknown',
          region,
          cloudProvider,
          operation: resolveOperationKey(f.key) ?? f.key,
          user,
        });
        if (d.route === 'legacy') return d;
        decision ??= d;
      }
    }
    return decision ?? ALL_TEMPORAL;
  }

  function toLegacy(reply: FastifyReply, body: Buffer | undefined, why: string): FastifyReply {
    if (!legacy) {
      throw new HttpError(503, 'Service Unavailable', `${why}, and no legacy Clouddriver is configured (BOSUN_LEGACY_CLOUDDRIVER_URL)`);
    }
    reply.request.bosunRoute = 'legacy';
    return legacy.forward(reply, body);
  }

  /**
   * Clouddriver's write check on an existing task: the caller needs a user and every account the
   * task writes to. A refusal names the account and is logged with the user.
   */
  function authorizeTask(req: FastifyRequest, id: string, access: TaskAccess, action: string): void {
    const user = header(req, 'X-SPINNAKER-USER');
    const auth = authorize(policy, { user, accountsHeader: header(req, 'X-SPINNAKER-ACCOUNTS'), accounts: access.accounts });
    if (auth.ok) return;
    req.log.warn({ user: user ?? null, taskId: id, action, accounts: access.accounts, status: auth.status }, `${action} refused`);
    throw new HttpError(
      auth.status,
      auth.status === 401 ? 'Unauthorized' : 'Forbidden',
      `${action} of task ${id} refused: ${auth.message}`,
    );
  }

  /**
   * A clientRequestId that already has a Bosun task: Clouddriver's rule (the same task, run again
   * only if it failed retryably), for a caller who may act on that task's accounts, whatever the
   * flag says now and whatever the new body names. True when it answered. (Not the reply itself:
   * a Fastify reply is thenable, and awaiting it would wait for the answer and yield undefined.)
   */
  async function answerExisting(req: FastifyRequest, reply: FastifyReply, id: string, requestId: string): Promise<boolean> {
    const existing = await temporal(() => inspectTask(opts.client, id, { closed: closedTasks }));
    if (!existing) return false;
    authorizeTask(req, id, existing.access, 're-post');
    const { task } = existing;
    let outcome = 'existing';
    if (task.status.failed && task.retryable) {
      await temporal(() => rerunTask(opts.client, id));
      outcome = 'started';
    }
    metrics.tasks.inc({ route: 'temporal', outcome });
    req.log.info(
      { taskId: id, requestId, user: header(req, 'X-SPINNAKER-USER') },
      outcome === 'started' ? 'retryable task run again for clientRequestId' : 'task exists for clientRequestId',
    );
    void reply.send({ id, resourceUri: `/task/${id}` });
    return true;
  }

  async function postOperations(
    req: FastifyRequest,
    reply: FastifyReply,
    cloudProvider: string,
    opInPath: string | undefined,
  ): Promise<FastifyReply> {
    const raw = req.body as Buffer | undefined;
    const user = header(req, 'X-SPINNAKER-USER');
    const requestId = (req.query as { clientRequestId?: string }).clientRequestId || undefined;
    if (cloudProvider !== 'aws') return toLegacy(reply, raw, `Bosun runs aws operations, not ${cloudProvider}`);

    // Limits before work: depth and size bound the parse, the count bounds everything after it.
    const body = parseJsonBody(raw, limits.maxJsonDepth);
    if (opInPath === undefined && Array.isArray(body) && body.length > limits.maxOperations) {
      throw new HttpError(400, 'Bad Request', `a task may hold at most ${limits.maxOperations} operations, got ${body.length}`);
    }
    // Idempotency before routing: a key that has a Bosun task is answered from it even if the
    // flag now sends the application elsewhere, so Orca's retry never runs an operation twice.
    if (requestId && (await answerExisting(req, reply, taskIdFor(requestId), requestId))) return reply;

    const entries = operationEntries(body, opInPath);
    const unknown = entries?.map(([k]) => k).filter((k) => !resolveOperationKey(k)) ?? [];
    if (unknown.length > 0 && legacy) {
      req.log.info({ route: 'legacy', rule: 'unsupported-operation', operations: unknown.slice(0, 10), user }, 'routed to legacy');
      metrics.routing.inc({ route: 'legacy', rule: 'unsupported-operation' });
      metrics.tasks.inc({ route: 'legacy', outcome: 'forwarded' });
      return toLegacy(reply, raw, 'unsupported operation');
    }
    if (entries && unknown.length === 0) {
      const facts = entries.map(([k, d]) => factsOf(k, d));
      const application = taskApplication(facts, header(req, 'X-SPINNAKER-APPLICATION'));
      const decision = await routeTask(facts, application, cloudProvider, user);
      req.log.info(
        {
          route: decision.route,
          rule: decision.rule,
          reason: decision.reason,
          application,
          operations: facts.map((f) => f.key),
          accounts: [...new Set(facts.map((f) => f.account))],
          user,
        },
        'routing decision',
      );
      if (decision.route === 'legacy') {
        metrics.routing.inc({ route: 'legacy', rule: decision.rule });
        metrics.tasks.inc({ route: 'legacy', outcome: 'forwarded' });
        return toLegacy(
          reply,
          raw,
          `application ${application ?? '(unknown)'} is not routed to Bosun: ${decision.reason} (rule ${decision.rule})`,
        );
      }
      // A field Bosun does not run would make the task do something else here than on
      // Clouddriver: the whole task goes there (one task, one system), or is refused by name.
      const unsupported = entries.flatMap(([key, d], i) =>
        unsupportedFieldsOf(key, d).map((f) => ({ ...f, at: opInPath === undefined ? `[${i}].${key}` : '' })),
      );
      if (unsupported.length > 0) {
        const fields = unsupported.map((f) => [f.at, f.field].filter(Boolean).join('.'));
        req.log.info({ route: 'legacy', rule: 'unsupported-field', fields: fields.slice(0, 10), application, user }, 'routing decision');
        if (!legacy) {
          const errors = unsupported.map((f) => unsupportedFieldMessage(f.at, f));
          throw new HttpError(
            400,
            'Bad Request',
            `${errors.slice(0, 3).join('; ')}${errors.length > 3 ? '; …' : ''}; and no legacy Clouddriver is configured (BOSUN_LEGACY_CLOUDDRIVER_URL)`,
            errors,
          );
        }
        metrics.routing.inc({ route: 'legacy', rule: 'unsupported-field' });
        metrics.tasks.inc({ route: 'legacy', outcome: 'forwarded' });
        return toLegacy(reply, raw, `Bosun does not run ${fields.join(', ')}`);
      }
      metrics.routing.inc({ route: 'temporal', rule: decision.rule });
    }

    const submission = parseSubmission(body, opInPath, { maxOperations: limits.maxOperations });
    if (!submission.ok) {
      throw new HttpError(
        400,
        'Bad Request',
        `invalid operation: ${submission.errors.slice(0, 5).join('; ')}${submission.errors.length > 5 ? '; …' : ''}`,
        submission.errors,
      );
    }
    const accounts = accountsOf(submission.operations);
    const auth = authorize(policy, { user, accountsHeader: header(req, 'X-SPINNAKER-ACCOUNTS'), accounts });
    if (!auth.ok) {
      req.log.warn({ user: user ?? null, accounts, status: auth.status, action: 'start' }, 'start refused');
      throw new HttpError(auth.status, auth.status === 401 ? 'Unauthorized' : 'Forbidden', auth.message);
    }

    const targets = taskTargets(submission.operations, header(req, 'X-SPINNAKER-APPLICATION'));
    const context = {
      cloudProvider,
      user,
      requestId,
      executionId: header(req, 'X-SPINNAKER-EXECUTION-ID'),
      application: targets.application,
    };
    const { id, started, existing, eagerlyStarted } = await temporal(() =>
      startTask(opts.client, {
        operations: submission.operations,
        targets,
        context,
        settings: opts.settings,
        taskQueue: opts.taskQueue,
        accounts,
        eagerStart: opts.eagerStart ?? false,
      }),
    );
    if (existing && requestId && (await answerExisting(req, reply, id, requestId))) return reply;
    metrics.tasks.inc({ route: 'temporal', outcome: started ? 'started' : 'existing' });
    req.log.info(
      {
        taskId: id,
        operations: submission.operations.map((o) => o.name),
        application: targets.application,
        user,
        requestId,
        // Whether this worker process got the first workflow task with the start (FacadeOptions.eagerStart).
        ...(opts.eagerStart ? { eagerlyStarted: eagerlyStarted ?? false } : {}),
      },
      started ? 'task started' : 'task exists for clientRequestId',
    );
    return reply.send({ id, resourceUri: `/task/${id}` });
  }

  app.get('/health', { config: { route: 'health' } }, async () => {
    const flags = opts.router?.status();
    const degraded = flags !== undefined && flags.state !== 'READY';
    return { status: degraded ? 'DEGRADED' : 'UP', flags: flags ?? { state: 'NONE' }, legacy: legacy?.url ?? null };
  });

  app.get('/metrics', { config: { route: 'metrics' } }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', { config: { route: 'openapi' } }, async () => openApiDocument());

  app.get('/routing', { config: { route: 'routing' }, schema: { querystring: routingQuery } }, async (req) => {
    const query = req.query as Record<string, string | undefined>;
    const q = (k: string) => query[k] || undefined;
    const operation = q('operation') ?? 'createServerGroup';
    const question: RoutingContext = {
      application: q('application'),
      account: q('account') ?? 'unknown',
      region: q('region'),
      cloudProvider: q('cloudProvider') ?? 'aws',
      operation: resolveOperationKey(operation) ?? operation,
      user: q('user'),
    };
    const decision = opts.router ? await opts.router.decide(question) : ALL_TEMPORAL;
    const name = resolveOperationKey(operation);
    return {
      question,
      ...decision,
      ...(name
        ? {}
        : { route: 'legacy', rule: 'unsupported-operation', reason: `Bosun does not run ${operation}: ${forwardedWhy(operation)}` }),
      // The fields of this operation that send a task to the legacy Clouddriver (rule unsupported-field).
      ...(name ? { unsupportedFields: routedFieldsOf(name) } : {}),
      legacyConfigured: Boolean(legacy),
      flags: opts.router?.status() ?? { state: 'NONE' },
    };
  });

  const opsRoute = { config: { route: 'ops' }, schema: { querystring: opsQuery, params: opsParams } };
  type OpsParams = { cloudProvider?: string; operation?: string };
  app.post('/ops', opsRoute, (req, reply) => postOperations(req, reply, 'aws', undefined));
  app.post('/ops/:operation', opsRoute, (req, reply) => postOperations(req, reply, 'aws', (req.params as OpsParams).operation));
  app.post('/:cloudProvider/ops', opsRoute, (req, reply) =>
    postOperations(req, reply, (req.params as OpsParams).cloudProvider ?? 'aws', undefined),
  );
  app.post('/:cloudProvider/ops/:operation', opsRoute, (req, reply) =>
    postOperations(req, reply, (req.params as OpsParams).cloudProvider ?? 'aws', (req.params as OpsParams).operation),
  );

  app.get('/task', { config: { route: 'task-list' } }, async (req, reply) => {
    // Like Clouddriver's write check: a caller sees the tasks of accounts it holds, no others.
    const held = policy.checkAccounts ? parseAccountsHeader(header(req, 'X-SPINNAKER-ACCOUNTS')) : undefined;
    const tasks: unknown[] = await temporal(() => listRunningTasks(opts.client, opts.taskQueue, held));
    if (legacy) {
      try {
        // Clouddriver applies its own authorization to the headers passed on.
        const upstream = await legacy.getJson('/task', req.headers);
        if (Array.isArray(upstream)) tasks.push(...(upstream as unknown[]));
      } catch (err) {
        req.log.warn({ error: (err as Error).message }, 'legacy task list unavailable');
      }
    }
    return reply.send(tasks);
  });

  app.post('/task/:id(^[^/:]+)::resume', { config: { route: 'resume' }, schema: { params: taskParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const existing = await temporal(() => inspectTask(opts.client, id, { closed: closedTasks }));
    if (!existing) {
      if (legacy) return toLegacy(reply, req.body as Buffer | undefined, 'unknown task');
      throw new HttpError(404, 'Not Found', `task ${id} not found`);
    }
    authorizeTask(req, id, existing.access, 'resume');
    if (!(existing.task.status.failed && existing.task.retryable))
      throw new HttpError(400, 'Bad Request', `task ${id} did not fail retryably, so it cannot be resumed`);
    await temporal(() => rerunTask(opts.client, id));
    req.log.info({ taskId: id, user: header(req, 'X-SPINNAKER-USER') }, 'task resumed');
    return reply.send({ id, resourceUri: `/task/${id}` });
  });

  app.post('/task/:id/cancel', { config: { route: 'cancel' }, schema: { params: taskParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const existing = await temporal(() => inspectTask(opts.client, id, { closed: closedTasks }));
    if (!existing) throw new HttpError(404, 'Not Found', `task ${id} not found`);
    authorizeTask(req, id, existing.access, 'cancel');
    const { task } = existing;
    if (!task.status.completed) {
      try {
        await temporal(() => opts.client.workflow.getHandle(id).cancel());
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    req.log.info({ taskId: id, alreadyCompleted: task.status.completed, user: header(req, 'X-SPINNAKER-USER') }, 'task cancel requested');
    return reply.code(202).send({ id, resourceUri: `/task/${id}`, cancelRequested: !task.status.completed });
  });

  registerTaskUpdateRoutes(app as unknown as FastifyInstance, {
    client: opts.client,
    find: (id) => inspectTask(opts.client, id, { closed: closedTasks }),
    authorize: authorizeTask,
    temporal,
    maxJsonDepth: limits.maxJsonDepth,
    taskIdPattern: TASK_ID_PATTERN,
  });

  app.get('/task/:id', { config: { route: 'task' }, schema: { params: taskParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const found = await temporal(() => inspectTask(opts.client, id, { closed: closedTasks, runs: runningRuns, listed: runningTasks }));
    if (found) return reply.send(found.task);
    if (legacy) return toLegacy(reply, undefined, 'unknown task');
    throw new HttpError(404, 'Not Found', `task ${id} not found`);
  });

  // Clouddriver's read APIs and everything else Bosun does not implement.
  app.setNotFoundHandler((req, reply) => {
    if (legacy) return toLegacy(reply, req.body as Buffer | undefined, 'not a Bosun route');
    return sendError(
      reply,
      new HttpError(
        404,
        'Not Found',
        `no route for ${req.method} ${pathOf(req.url).slice(0, 200)} (and no legacy Clouddriver is configured)`,
      ),
    );
  });

  // CONNECT (authority-form) never reaches Fastify; Node would drop the socket without a word.
  app.server.on('connect', (_req: http.IncomingMessage, socket: Socket) => {
    writeClientError(Object.assign(new Error('CONNECT is not served'), { code: 'CONNECT_REFUSED' }), socket);
  });

  const ready = (async () => {
    if (legacy) await legacy.register(app as unknown as FastifyInstance);
    await app.ready();
  })();

  return {
    server: app.server,
    metrics,
    async listen(port, host) {
      await ready;
      await app.listen({ port, host });
      const a = app.server.address() as AddressInfo;
      return `http://${a.address}:${a.port}`;
    },
    async close() {
      closing = true;
      // A client polling on a kept-alive connection would keep the server open for ever (seen
      // under chaos); give in-flight requests 2 s, then close every connection.
      const force = setTimeout(() => app.server.closeAllConnections(), 2000);
      force.unref();
      try {
        await ready.catch(() => undefined);
        await app.close();
      } finally {
        clearTimeout(force);
        await runningTasks.close();
      }
    },
  };
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    406: 'Not Acceptable',
    408: 'Request Timeout',
    413: 'Payload Too Large',
    414: 'URI Too Long',
    415: 'Unsupported Media Type',
    431: 'Request Header Fields Too Large',
  };
  return texts[status] ?? 'Bad Request';
}

/**
 * What Node's HTTP parser refused before Fastify saw a request (a malformed request line,
 * Content-Length with Transfer-Encoding, oversized headers): a JSON 4xx, then the socket closes.
 */
function writeClientError(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || (err.code === 'ECONNRESET' && !socket.readable)) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'CONNECT_REFUSED' ? 405 : 400;
  const message =
    status === 431
      ? 'the request headers are too large'
      : status === 408
        ? 'the request did not arrive in time'
        : status === 405
          ? 'CONNECT is refused: the facade is not a tunnel'
          : `the request could not be parsed as HTTP/1.1 (${err.code ?? 'malformed'})`;
  const body = JSON.stringify(errorBody(new HttpError(status, statusText(status), message), '', 'none'));
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\ncontent-type: application/json;charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon();
}
