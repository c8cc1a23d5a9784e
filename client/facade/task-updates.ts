/**
 * A person acting on a running deployWithStrategy through its Temporal Updates (`approve`,
 * `rollback`, `skipWait`): the workflow's validators decide, and their refusal comes back named.
 * The route (`POST /task/{id}/{action}`) is in routes/tasks.ts; it authorizes like cancel.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { badRequest, conflict, notFound } from './errors';

/** The actions, by path segment, and the Update each one sends. */
export const TASK_UPDATES = { approve: 'approve', rollback: 'rollback', skipWait: 'skipWait' } as const;
export type TaskUpdateAction = keyof typeof TASK_UPDATES;

/** The workflow types that take these Updates. */
const UPDATABLE_TYPES: ReadonlySet<string> = new Set(['deployWithStrategy']);

export const MAX_REASON = 1000;

/**
 * Sends the Update and returns the workflow's answer. 400 for a task of a type that takes no
 * Updates, 409 for a finished task or a validator's refusal (no gate open, commit point passed).
 */
export async function sendTaskUpdate(
  client: Client,
  input: { readonly id: string; readonly action: TaskUpdateAction; readonly reason?: string | undefined; readonly by?: string | undefined },
  temporal: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<object> {
  const { id, action } = input;
  const handle = client.workflow.getHandle(id);
  const description = await temporal(() => handle.describe());
  if (!UPDATABLE_TYPES.has(description.type)) {
    throw badRequest(`task ${id} is a ${description.type}, which takes no ${action}; only deployWithStrategy tasks do`);
  }
  if (description.status.name !== 'RUNNING') {
    throw conflict(`task ${id} has finished (${description.status.name.toLowerCase()}); there is nothing to ${action}`);
  }
  try {
    const answer: unknown = await temporal(() =>
      handle.executeUpdate(TASK_UPDATES[action], { args: [{ reason: input.reason, by: input.by }] }),
    );
    return typeof answer === 'object' && answer !== null ? answer : {};
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound(`task ${id} not found`);
    if (err instanceof WorkflowUpdateFailedError) throw conflict(`${action} of task ${id} refused: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}
