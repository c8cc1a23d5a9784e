/**
 * `POST /task/{id}/approve|rollback|skipWait`: a person acting on a running deployWithStrategy
 * through its Temporal Updates. Authorized like cancel (the caller must hold the task's
 * accounts); 200 once the workflow accepted the Update, 409 naming why when its validator
 * refused it (no gate open, the commit point passed), 400 for a task that takes no Updates.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { header, HttpError, parseJsonBody } from './http';
import type { TaskAccess } from './tasks';

/** The actions, by path segment, and the Update each one sends. */
export const TASK_UPDATES = { approve: 'approve', rollback: 'rollback', skipWait: 'skipWait' } as const;
export type TaskUpdateAction = keyof typeof TASK_UPDATES;

/** The workflow types that take these Updates. */
const UPDATABLE_TYPES: ReadonlySet<string> = new Set(['deployWithStrategy']);

export interface TaskUpdateDeps {
  readonly client: Client;
  /** The task and its accounts, or undefined when Temporal has no such task. */
  readonly find: (id: string) => Promise<{ readonly access: TaskAccess } | undefined>;
  /** Throws the 401/403 for a caller who may not act on the task (as for cancel). */
  readonly authorize: (req: FastifyRequest, id: string, access: TaskAccess, action: string) => void;
  /** Runs a Temporal call under the request's deadline. */
  readonly temporal: <T>(fn: () => Promise<T>) => Promise<T>;
  readonly maxJsonDepth: number;
  readonly taskIdPattern: string;
}

const MAX_REASON = 1000;

function reasonOf(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'Bad Request', 'the body must be a JSON object: {"reason": "…"}');
  }
  const reason = (body as { reason?: unknown }).reason;
  if (reason === undefined || reason === null) return undefined;
  if (typeof reason !== 'string') throw new HttpError(400, 'Bad Request', 'reason must be a string');
  if (reason.length > MAX_REASON) throw new HttpError(400, 'Bad Request', `reason must be at most ${MAX_REASON} characters`);
  return reason;
}

/** Registers the three routes on the facade's Fastify instance. */
export function registerTaskUpdateRoutes(app: FastifyInstance, deps: TaskUpdateDeps): void {
  const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: deps.taskIdPattern } } } as const;
  for (const action of Object.keys(TASK_UPDATES) as TaskUpdateAction[]) {
    app.post(`/task/:id/${action}`, { config: { route: action }, schema: { params } }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const raw = req.body as Buffer | undefined;
      const reason = reasonOf(raw && raw.length > 0 ? parseJsonBody(raw, deps.maxJsonDepth) : undefined);
      const existing = await deps.temporal(() => deps.find(id));
      if (!existing) throw new HttpError(404, 'Not Found', `task ${id} not found`);
      deps.authorize(req, id, existing.access, action);
      const handle = deps.client.workflow.getHandle(id);
      const description = await deps.temporal(() => handle.describe());
      if (!UPDATABLE_TYPES.has(description.type)) {
        throw new HttpError(
          400,
          'Bad Request',
          `task ${id} is a ${description.type}, which takes no ${action}; only deployWithStrategy tasks do`,
        );
      }
      if (description.status.name !== 'RUNNING') {
        throw new HttpError(
          409,
          'Conflict',
          `task ${id} has finished (${description.status.name.toLowerCase()}); there is nothing to ${action}`,
        );
      }
      const by = header(req, 'X-SPINNAKER-USER');
      try {
        const answer = await deps.temporal(() => handle.executeUpdate(TASK_UPDATES[action], { args: [{ reason, by }] }));
        req.log.info({ taskId: id, action, user: by ?? null }, `task ${action} accepted`);
        return reply.code(200).send({ id, resourceUri: `/task/${id}`, action, ...(answer as object) });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'Not Found', `task ${id} not found`);
        if (err instanceof WorkflowUpdateFailedError) {
          const why = err.cause?.message ?? err.message;
          throw new HttpError(409, 'Conflict', `${action} of task ${id} refused: ${why}`);
        }
        throw err;
      }
    });
  }
}
