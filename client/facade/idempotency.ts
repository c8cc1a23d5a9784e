/**
 * Clouddriver's rule for a clientRequestId that already has a task: answer that task (running it
 * again only if it failed retryably), for a caller who may act on its accounts, whatever the
 * onboarding flag says now and whatever the new body names. So Orca's retry of a POST never
 * runs an operation twice.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorizeTask } from './authorization';
import type { FacadeContext } from './context';
import { header } from './http';
import { inspectTask } from './task-read';
import { rerunTask } from './task-start';

/**
 * Answers the POST from the task `id` when Temporal has it; true when it answered. (Not the reply
 * itself: a Fastify reply is thenable, and awaiting it would wait for the answer and yield undefined.)
 */
export async function answerExisting(
  ctx: FacadeContext,
  req: FastifyRequest,
  reply: FastifyReply,
  id: string,
  requestId: string,
): Promise<boolean> {
  const existing = await ctx.temporal(() => inspectTask(ctx.client, id, { closed: ctx.caches.closed }));
  if (!existing) return false;
  authorizeTask(ctx.policy, req, id, existing.access.accounts, 're-post');
  const { task } = existing;
  let outcome = 'existing';
  if (task.status.failed && task.retryable) {
    await ctx.temporal(() => rerunTask(ctx.client, id));
    outcome = 'started';
  }
  ctx.metrics.tasks.inc({ route: 'temporal', outcome });
  req.log.info(
    { taskId: id, requestId, user: header(req, 'X-SPINNAKER-USER') },
    outcome === 'started' ? 'retryable task run again for clientRequestId' : 'task exists for clientRequestId',
  );
  void reply.send({ id, resourceUri: `/task/${id}` });
  return true;
}
