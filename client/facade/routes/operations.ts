/**
 * `POST /ops`, `/ops/{operation}`, `/{cloudProvider}/ops` and `/{cloudProvider}/ops/{operation}`:
 * Clouddriver's operations endpoints. A POST is checked in this order, each step before any work
 * the next one does: the body's limits (size by Fastify, depth and count here) and JSON parse;
 * its clientRequestId's existing task (idempotency.ts); where the task runs (routing-decision.ts);
 * each operation's description (submission.ts, naming every bad field); the caller's accounts
 * (authorization.ts); then the task's workflow starts (task-start.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { accountsOf, parseSubmission, taskTargets } from '../submission';
import { authorize, refusal } from '../authorization';
import type { FacadeContext } from '../context';
import { badRequest } from '../errors';
import { header, parseJsonBody } from '../http';
import { answerExisting } from '../idempotency';
import { routeSubmission } from '../routing-decision';
import { opsParams, opsQuery, rawBody } from '../schemas';
import { startTask, taskIdFor } from '../task-start';

export const operationRoutes: FastifyPluginAsyncZod<{ readonly context: FacadeContext }> = async (app, { context }) => {
  const route = { config: { route: 'ops' }, schema: { querystring: opsQuery, params: opsParams, body: rawBody } };
  for (const url of ['/ops', '/ops/:operation', '/:cloudProvider/ops', '/:cloudProvider/ops/:operation']) {
    app.post(url, route, (req, reply) =>
      postOperations(context, req, reply, {
        cloudProvider: req.params.cloudProvider ?? 'aws',
        opInPath: req.params.operation,
        requestId: req.query.clientRequestId || undefined,
        raw: req.body,
      }),
    );
  }
};

interface OperationsPost {
  readonly cloudProvider: string;
  /** The operation named in the path (`/ops/{operation}`): the body is then one description. */
  readonly opInPath: string | undefined;
  readonly requestId: string | undefined;
  /** The body as the client sent it: parsed here, or forwarded unchanged. */
  readonly raw: Buffer | undefined;
}

async function postOperations(ctx: FacadeContext, req: FastifyRequest, reply: FastifyReply, post: OperationsPost): Promise<FastifyReply> {
  const { cloudProvider, opInPath, requestId, raw } = post;
  const { limits } = ctx;
  const user = header(req, 'X-SPINNAKER-USER');
  if (cloudProvider !== 'aws') return ctx.toLegacy(reply, raw, `Bosun runs aws operations, not ${cloudProvider}`);

  // Limits before work: depth and size bound the parse, the count bounds everything after it.
  const body = parseJsonBody(raw, limits.maxJsonDepth);
  if (opInPath === undefined && Array.isArray(body) && body.length > limits.maxOperations) {
    throw badRequest(`a task may hold at most ${limits.maxOperations} operations, got ${body.length}`);
  }
  // Idempotency before routing: a key that has a Bosun task is answered from it even if the
  // flag now sends the application elsewhere, so Orca's retry never runs an operation twice.
  if (requestId && (await answerExisting(ctx, req, reply, taskIdFor(requestId), requestId))) return reply;

  const route = await routeSubmission(ctx, req, { body, opInPath, cloudProvider });
  if (route.route === 'legacy') return ctx.toLegacy(reply, raw, route.why);

  const submission = parseSubmission(body, opInPath, { maxOperations: limits.maxOperations });
  if (!submission.ok) {
    throw badRequest(
      `invalid operation: ${submission.errors.slice(0, 5).join('; ')}${submission.errors.length > 5 ? '; …' : ''}`,
      submission.errors,
    );
  }
  const accounts = accountsOf(submission.operations);
  const auth = authorize(ctx.policy, { user, accountsHeader: header(req, 'X-SPINNAKER-ACCOUNTS'), accounts });
  if (!auth.ok) {
    req.log.warn({ user: user ?? null, accounts, status: auth.status, action: 'start' }, 'start refused');
    throw refusal(auth);
  }

  const targets = taskTargets(submission.operations, header(req, 'X-SPINNAKER-APPLICATION'));
  const context = {
    cloudProvider,
    user,
    requestId,
    executionId: header(req, 'X-SPINNAKER-EXECUTION-ID'),
    application: targets.application,
  };
  const { id, started, existing, eagerlyStarted } = await ctx.temporal(() =>
    startTask(ctx.client, {
      operations: submission.operations,
      targets,
      context,
      settings: ctx.settings,
      taskQueue: ctx.taskQueue,
      accounts,
      eagerStart: ctx.eagerStart,
    }),
  );
  if (existing && requestId && (await answerExisting(ctx, req, reply, id, requestId))) return reply;
  ctx.metrics.tasks.inc({ route: 'temporal', outcome: started ? 'started' : 'existing' });
  req.log.info(
    {
      taskId: id,
      operations: submission.operations.map((o) => o.name),
      application: targets.application,
      user,
      requestId,
      // Whether this worker process got the first workflow task with the start (FacadeOptions.eagerStart).
      ...(ctx.eagerStart ? { eagerlyStarted: eagerlyStarted ?? false } : {}),
    },
    started ? 'task started' : 'task exists for clientRequestId',
  );
  return reply.send({ id, resourceUri: `/task/${id}` });
}
