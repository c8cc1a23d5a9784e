/**
 * Clouddriver's task endpoints: `GET /task` (running tasks), `GET /task/{id}` (Orca's poll),
 * `POST /task/{id}:resume` and `POST /task/{id}/cancel`. A task id Temporal does not know is the
 * legacy Clouddriver's (when one is configured); acting on a task needs its accounts
 * (authorization.ts).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authorizeTask, parseAccountsHeader } from '../authorization';
import type { FacadeContext } from '../context';
import { badRequest, notFound } from '../errors';
import { header, parseJsonBody } from '../http';
import { rawBody, taskParams } from '../schemas';
import { inspectTask, listRunningTasks } from '../task-read';
import { rerunTask } from '../task-start';
import type { TaskUpdateAction } from '../task-updates';
import { MAX_REASON, sendTaskUpdate, TASK_UPDATES } from '../task-updates';

export const taskRoutes: FastifyPluginAsyncZod<{ readonly context: FacadeContext }> = async (app, { context: ctx }) => {
  const { client, caches, legacy } = ctx;

  app.get('/task', { config: { route: 'task-list' } }, async (req, reply) => {
    // Like Clouddriver's write check: a caller sees the tasks of accounts it holds, no others.
    const held = ctx.policy.checkAccounts ? parseAccountsHeader(header(req, 'X-SPINNAKER-ACCOUNTS')) : undefined;
    const tasks: unknown[] = await ctx.temporal(() => listRunningTasks(client, ctx.taskQueue, held));
    if (legacy) {
      try {
        // Clouddriver applies its own authorization to the headers passed on.
        const upstream = await legacy.getJson('/task', req.headers);
        if (isList(upstream)) tasks.push(...upstream);
      } catch (err) {
        req.log.warn({ err }, 'legacy task list unavailable');
      }
    }
    return reply.send(tasks);
  });

  app.get('/task/:id', { config: { route: 'task' }, schema: { params: taskParams } }, async (req, reply) => {
    const { id } = req.params;
    const found = await ctx.temporal(() => inspectTask(client, id, caches));
    if (found) return reply.send(found.task);
    if (legacy) return ctx.toLegacy(reply, undefined, 'unknown task');
    throw notFound(`task ${id} not found`);
  });

  // Resume and cancel act on what Temporal says now: only the closed-task cache (a closed run never changes).
  app.post(
    '/task/:id(^[^/:]+)::resume',
    { config: { route: 'resume' }, schema: { params: taskParams, body: rawBody } },
    async (req, reply) => {
      const { id } = req.params;
      const existing = await ctx.temporal(() => inspectTask(client, id, { closed: caches.closed }));
      if (!existing) {
        if (legacy) return ctx.toLegacy(reply, req.body, 'unknown task');
        throw notFound(`task ${id} not found`);
      }
      authorizeTask(ctx.policy, req, id, existing.access.accounts, 'resume');
      if (!(existing.task.status.failed && existing.task.retryable)) {
        throw badRequest(`task ${id} did not fail retryably, so it cannot be resumed`);
      }
      await ctx.temporal(() => rerunTask(client, id));
      req.log.info({ taskId: id, user: header(req, 'X-SPINNAKER-USER') }, 'task resumed');
      return reply.send({ id, resourceUri: `/task/${id}` });
    },
  );

  app.post('/task/:id/cancel', { config: { route: 'cancel' }, schema: { params: taskParams } }, async (req, reply) => {
    const { id } = req.params;
    const existing = await ctx.temporal(() => inspectTask(client, id, { closed: caches.closed }));
    if (!existing) throw notFound(`task ${id} not found`);
    authorizeTask(ctx.policy, req, id, existing.access.accounts, 'cancel');
    const { task } = existing;
    if (!task.status.completed) {
      try {
        await ctx.temporal(() => client.workflow.getHandle(id).cancel());
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    req.log.info({ taskId: id, alreadyCompleted: task.status.completed, user: header(req, 'X-SPINNAKER-USER') }, 'task cancel requested');
    return reply.code(202).send({ id, resourceUri: `/task/${id}`, cancelRequested: !task.status.completed });
  });

  // A person acting on a running deployWithStrategy (task-updates.ts): authorized like cancel.
  for (const action of Object.keys(TASK_UPDATES) as TaskUpdateAction[]) {
    app.post(`/task/:id/${action}`, { config: { route: action }, schema: { params: taskParams, body: rawBody } }, async (req, reply) => {
      const { id } = req.params;
      const raw = req.body;
      const parsed = updateBody.safeParse(raw && raw.length > 0 ? parseJsonBody(raw, ctx.limits.maxJsonDepth) : {});
      if (!parsed.success) throw badRequest(`the body must be {"reason": "…"} (a string of at most ${MAX_REASON} characters)`);
      const existing = await ctx.temporal(() => inspectTask(client, id, { closed: caches.closed }));
      if (!existing) throw notFound(`task ${id} not found`);
      authorizeTask(ctx.policy, req, id, existing.access.accounts, action);
      const by = header(req, 'X-SPINNAKER-USER');
      const answer = await sendTaskUpdate(client, { id, action, reason: parsed.data.reason ?? undefined, by }, (fn) => ctx.temporal(fn));
      req.log.info({ taskId: id, action, user: by ?? null }, `task ${action} accepted`);
      return reply.send({ id, resourceUri: `/task/${id}`, action, ...answer });
    });
  }
};

/** The optional body of approve, rollback and skipWait. */
const updateBody = z.object({ reason: z.string().max(MAX_REASON).nullish() });

/** Array.isArray, without widening to any[]. */
function isList(value: unknown): value is unknown[] {
  return Array.isArray(value);
}
