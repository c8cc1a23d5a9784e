/**
 * The Clouddriver-compatible HTTP facade. Orca posts operations and polls tasks exactly as it
 * does against Clouddriver; the onboarding flag decides per task whether it runs as a Temporal
 * workflow or goes, unchanged, to the legacy Clouddriver. The facade holds no state: a task id
 * is a workflow id, and everything it answers comes from Temporal (or the legacy Clouddriver).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from '../../runtime';
import type { Router, RoutingContext, RoutingDecision } from '../routing';
import type { AuthorizationPolicy } from '../../domain/authorization';
import { authorize } from '../../domain/authorization';
import { resolveOperationKey } from '../../domain/operations';
import type { OperationFacts } from '../../domain/routing-facts';
import { factsOf, operationEntries, taskApplication } from '../../domain/routing-facts';
import { accountsOf, parseSubmission, taskTargets } from '../../domain/submission';
import type { TaskSettings } from '../../domain/task-input';
import { corsHeaders, handleCodec } from './codec-endpoint';
import { header, HttpError, parseJson, readBody, sendError, sendJson } from './http';
import type { LegacyClouddriver } from './legacy';
import type { FacadeMetrics } from './metrics';
import { createFacadeMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { describeTask, listRunningTasks, resumeTask, startTask } from './tasks';

/** The onboarding flag as the facade uses it (client/routing's Router, or a stand-in in tests). */
export type RouteDecider = Pick<Router, 'decide' | 'status'>;

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
  /** When set, `POST /codec/decode` lets the Temporal UI read encrypted payloads. */
  readonly payloadCodec?: PayloadCodec | undefined;
}

export interface Facade {
  readonly server: http.Server;
  readonly metrics: FacadeMetrics;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

const OPS_PATH = /^\/(?:([A-Za-z0-9_-]+)\/)?ops(?:\/([A-Za-z0-9_.-]+))?\/?$/;
const TASK_PATH = /^\/task\/([^/:]+)\/?$/;
const RESUME_PATH = /^\/task\/([^/:]+):resume\/?$/;
const CANCEL_PATH = /^\/task\/([^/:]+)\/cancel\/?$/;

const ALL_TEMPORAL: RoutingDecision = {
  route: 'temporal',
  rule: 'no-flag',
  reason: 'no onboarding flag is configured: every supported operation runs on Temporal',
  flagState: 'READY',
};

export function createFacade(opts: FacadeOptions): Facade {
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  const log = opts.logger.child({ module: 'facade' });
  const policy: AuthorizationPolicy = opts.authorization ?? { requireUser: true, checkAccounts: true };
  const metrics = opts.metrics ?? createFacadeMetrics();
  const legacy = opts.legacy;

  /** One task, one route: Temporal only if the flag sends every operation of the task there. */
  async function routeTask(facts: readonly OperationFacts[], application: string | undefined, cloudProvider: string, user: string | undefined): Promise<RoutingDecision> {
    if (!opts.router) return ALL_TEMPORAL;
    let decision: RoutingDecision | undefined;
    for (const f of facts) {
      const d = await opts.router.decide({
        application,
        account: f.account ?? 'unknown',
        region: f.region,
        cloudProvider,
        operation: resolveOperationKey(f.key) ?? f.key,
        user,
      });
      if (d.route === 'legacy') return d;
      decision ??= d;
    }
    return decision ?? ALL_TEMPORAL;
  }

  async function toLegacy(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer | undefined, why: string): Promise<void> {
    if (!legacy) {
      throw new HttpError(503, 'Service Unavailable', `${why}, and no legacy Clouddriver is configured (BOSUN_LEGACY_CLOUDDRIVER_URL)`);
    }
    await legacy.forward(req, res, body, 'legacy');
  }

  async function postOperations(req: http.IncomingMessage, res: http.ServerResponse, url: URL, cloudProvider: string, opInPath: string | undefined): Promise<string> {
    const raw = await readBody(req, limit);
    const user = header(req, 'X-SPINNAKER-USER');
    if (cloudProvider !== 'aws') {
      await toLegacy(req, res, raw, `Bosun runs aws operations, not ${cloudProvider}`);
      return 'legacy';
    }
    const body = parseJson(raw);
    const entries = operationEntries(body, opInPath);
    const unknown = entries?.map(([k]) => k).filter((k) => !resolveOperationKey(k)) ?? [];
    if (unknown.length > 0 && legacy) {
      log.info({ route: 'legacy', rule: 'unsupported-operation', operations: unknown, user }, 'routed to legacy');
      metrics.tasks.inc({ route: 'legacy', outcome: 'forwarded' });
      await legacy.forward(req, res, raw, 'legacy');
      return 'legacy';
    }
    if (entries && unknown.length === 0) {
      const facts = entries.map(([k, d]) => factsOf(k, d));
      const application = taskApplication(facts, header(req, 'X-SPINNAKER-APPLICATION'));
      const decision = await routeTask(facts, application, cloudProvider, user);
      log.info({
        route: decision.route,
        rule: decision.rule,
        reason: decision.reason,
        application,
        operations: facts.map((f) => f.key),
        accounts: [...new Set(facts.map((f) => f.account))],
        user,
      }, 'routing decision');
      if (decision.route === 'legacy') {
        metrics.tasks.inc({ route: 'legacy', outcome: 'forwarded' });
        await toLegacy(req, res, raw, `application ${application ?? '(unknown)'} is not routed to Bosun: ${decision.reason} (rule ${decision.rule})`);
        return 'legacy';
      }
    }

    const submission = parseSubmission(body, opInPath);
    if (!submission.ok) {
      throw new HttpError(400, 'Bad Request', `invalid operation: ${submission.errors.join('; ')}`, submission.errors);
    }
    const auth = authorize(policy, { user, accountsHeader: header(req, 'X-SPINNAKER-ACCOUNTS'), accounts: accountsOf(submission.operations) });
    if (!auth.ok) throw new HttpError(auth.status, auth.status === 401 ? 'Unauthorized' : 'Forbidden', auth.message);

    const targets = taskTargets(submission.operations, header(req, 'X-SPINNAKER-APPLICATION'));
    const requestId = url.searchParams.get('clientRequestId') || undefined;
    const context = { cloudProvider, user, requestId, executionId: header(req, 'X-SPINNAKER-EXECUTION-ID'), application: targets.application };
    const { id, started } = await startTask(opts.client, {
      operations: submission.operations,
      targets,
      context,
      settings: opts.settings,
      taskQueue: opts.taskQueue,
    });
    metrics.tasks.inc({ route: 'temporal', outcome: started ? 'started' : 'existing' });
    log.info(
      { taskId: id, operations: submission.operations.map((o) => o.name), application: targets.application, user, requestId },
      started ? 'task started' : 'task exists for clientRequestId',
    );
    sendJson(res, 200, { id, resourceUri: `/task/${id}` });
    return 'ops';
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<string> {
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'GET' && path === '/health') {
      const flags = opts.router?.status();
      const degraded = flags !== undefined && flags.state !== 'READY';
      sendJson(res, 200, { status: degraded ? 'DEGRADED' : 'UP', flags: flags ?? { state: 'NONE' }, legacy: legacy?.url ?? null });
      return 'health';
    }
    if (method === 'GET' && path === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
      return 'metrics';
    }
    if (opts.payloadCodec && (path === '/codec/decode' || path === '/codec/encode')) {
      if (method === 'OPTIONS') {
        res.writeHead(204, corsHeaders(req));
        res.end();
      } else if (method === 'POST') {
        await handleCodec(opts.payloadCodec, req, res, path.endsWith('decode') ? 'decode' : 'encode');
      } else {
        throw new HttpError(405, 'Method Not Allowed', `${path} accepts POST only`);
      }
      return 'codec';
    }
    if (method === 'GET' && path === '/openapi.json') {
      sendJson(res, 200, openApiDocument());
      return 'openapi';
    }
    if (method === 'GET' && path === '/routing') {
      const q = (k: string) => url.searchParams.get(k) || undefined;
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
      const supported = resolveOperationKey(operation) !== undefined;
      sendJson(res, 200, {
        question,
        ...decision,
        ...(supported ? {} : { route: 'legacy', rule: 'unsupported-operation', reason: `Bosun does not run ${operation}` }),
        legacyConfigured: Boolean(legacy),
        flags: opts.router?.status() ?? { state: 'NONE' },
      });
      return 'routing';
    }

    const ops = OPS_PATH.exec(path);
    if (ops && method === 'POST') return postOperations(req, res, url, ops[1] ?? 'aws', ops[2]);

    if (method === 'GET' && (path === '/task' || path === '/task/')) {
      const tasks: unknown[] = await listRunningTasks(opts.client, opts.taskQueue);
      if (legacy) {
        try {
          const upstream = await legacy.getJson('/task', req.headers);
          if (Array.isArray(upstream)) tasks.push(...(upstream as unknown[]));
        } catch (err) {
          log.warn({ error: (err as Error).message }, 'legacy task list unavailable');
        }
      }
      sendJson(res, 200, tasks);
      return 'task-list';
    }

    const resume = RESUME_PATH.exec(path);
    if (resume && method === 'POST') {
      const id = decodeURIComponent(resume[1]!);
      const outcome = await resumeTask(opts.client, id);
      if (outcome === 'not-found') {
        if (legacy) {
          await legacy.forward(req, res, undefined, 'legacy');
          return 'legacy';
        }
        throw new HttpError(404, 'Not Found', `task ${id} not found`);
      }
      if (outcome === 'not-retryable') throw new HttpError(400, 'Bad Request', `task ${id} did not fail retryably, so it cannot be resumed`);
      log.info({ taskId: id }, 'task resumed');
      sendJson(res, 200, { id, resourceUri: `/task/${id}` });
      return 'resume';
    }

    const cancel = CANCEL_PATH.exec(path);
    if (cancel && method === 'POST') {
      const id = decodeURIComponent(cancel[1]!);
      const task = await describeTask(opts.client, id);
      if (!task) throw new HttpError(404, 'Not Found', `task ${id} not found`);
      if (!task.status.completed) {
        try {
          await opts.client.workflow.getHandle(id).cancel();
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      log.info({ taskId: id, alreadyCompleted: task.status.completed }, 'task cancel requested');
      sendJson(res, 202, { id, resourceUri: `/task/${id}`, cancelRequested: !task.status.completed });
      return 'cancel';
    }

    const task = TASK_PATH.exec(path);
    if (task && method === 'GET') {
      const id = decodeURIComponent(task[1]!);
      const rendered = await describeTask(opts.client, id);
      if (rendered) {
        sendJson(res, 200, rendered);
        return 'task';
      }
      if (legacy) {
        await legacy.forward(req, res, undefined, 'legacy');
        return 'legacy';
      }
      throw new HttpError(404, 'Not Found', `task ${id} not found`);
    }

    // Clouddriver's read APIs and everything else Bosun does not implement.
    if (legacy) {
      await legacy.forward(req, res, undefined, 'legacy');
      return 'legacy';
    }
    throw new HttpError(404, 'Not Found', `no route for ${method} ${path} (and no legacy Clouddriver is configured)`);
  }

  let closing = false;
  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    // Orca polls on kept-alive connections; once closing, tell it to reconnect (to another replica).
    if (closing) res.setHeader('connection', 'close');
    const url = new URL(req.url ?? '/', 'http://facade.local');
    const done = (route: string) => {
      metrics.requests.inc({ method: req.method ?? 'GET', route, status: String(res.statusCode) });
      metrics.latency.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    };
    handle(req, res, url).then(done, (err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status >= 500) log.warn({ path: url.pathname, status: err.status, message: err.message }, 'request failed');
        if (!res.headersSent) sendError(res, err, url.pathname);
        done('error');
        return;
      }
      // Temporal unreachable or overloaded: the request was not taken; Orca retries the POST.
      const message = (err as Error)?.message ?? String(err);
      log.error({ path: url.pathname, error: message }, 'request failed');
      if (!res.headersSent) sendError(res, new HttpError(503, 'Service Unavailable', `Temporal did not answer: ${message}`), url.pathname);
      else res.destroy();
      done('error');
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    metrics,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          resolve(`http://${a.address}:${a.port}`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client polling on a kept-alive connection would keep the server open for ever
        // (seen under chaos); give in-flight requests 2 s, then close every connection.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
