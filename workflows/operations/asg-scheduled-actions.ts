import { shortHash } from '../../domain/hash';
import type { UpsertAsgScheduledActions } from '../../domain/operations/schemas/asg-scheduled-actions';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { serverGroupNotFound } from './target-group';

/**
 * Clouddriver's UpsertAsgScheduledActionsOperation, with its history lines. Per group: an action
 * whose recurrence the group already has updates that action (keeping its name); the others are
 * added under a new name; the group's actions matched by none are deleted. A missing group fails
 * the task at once (Clouddriver logs it and fails only if the last group failed). Actions this
 * task added are deleted again if the task then fails or is cancelled; updates and deletions are
 * not undone.
 */
export async function upsertAsgScheduledActionsOperation(ctx: OperationContext, d: UpsertAsgScheduledActions): Promise<TaskOutput> {
  const descriptor = d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
  ctx.log(`Initializing Upsert ASG Scheduled Actions operation for ${descriptor}...`);
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    const existing = await ctx.call('describeScheduledActions', `Describe scheduled actions of ${where}`, ref);
    if (!existing) {
      ctx.log(`No ASG named ${serverGroupName} found in ${region}`);
      throw serverGroupNotFound('set scheduled actions of', ref);
    }

    const updated = new Set<string>();
    for (const [i, action] of d.scheduledActions.entries()) {
      const match = existing.find((e) => e.recurrence === action.recurrence);
      const scheduledActionName = match?.scheduledActionName ?? scheduledActionNameFor(serverGroupName, ctx.taskId, ctx.index, i);
      if (match) {
        updated.add(match.scheduledActionName);
      } else {
        // Registered before the put: a put whose answer never arrived may still have made it.
        const actionRef = { ...ref, scheduledActionName };
        ctx.onFailure(`delete scheduled action ${scheduledActionName} of ${where}`, async () => {
          try {
            await ctx.call('deleteScheduledAction', `Delete scheduled action ${scheduledActionName} of ${where}`, actionRef);
          } catch (err) {
            ctx.log(
              `Could not delete scheduled action ${scheduledActionName} of ${where}: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
        });
      }
      ctx.log(
        `${match ? 'Updating' : 'Adding'} scheduled action ${scheduledActionName} - recurrence: ${action.recurrence}, ` +
          `min: ${text(action.minSize)}, max: ${text(action.maxSize)}, desired: ${text(action.desiredCapacity)}`,
      );
      await ctx.call('putScheduledAction', `Put scheduled action ${scheduledActionName} (${action.recurrence}) on ${where}`, {
        ...ref,
        action: { scheduledActionName, ...action },
      });
    }

    for (const old of existing.filter((e) => !updated.has(e.scheduledActionName))) {
      ctx.log(`Deleting old scheduled action ${old.scheduledActionName}`);
      await ctx.call('deleteScheduledAction', `Delete scheduled action ${old.scheduledActionName} of ${where}`, {
        ...ref,
        scheduledActionName: old.scheduledActionName,
      });
    }
  }
  ctx.log(`Finished Upsert ASG Scheduled Actions operation for ${descriptor}.`);
  return { resultObjects: [] };
}

/**
 * The name of an action this task adds: `<group>-<8 hex>` (Clouddriver: `<group>-<random id>`),
 * the hash over group, task, operation and position, so a retried step puts the same action.
 * AWS allows 255 characters; a very long group name is cut to fit.
 */
function scheduledActionNameFor(serverGroupName: string, taskId: string, index: number, position: number): string {
  const suffix = `-${shortHash(`${serverGroupName}|${taskId}|${index}|${position}`)}`;
  return `${serverGroupName.slice(0, 255 - suffix.length)}${suffix}`;
}

/** Groovy's rendering of an absent Integer in Clouddriver's line. */
function text(n: number | undefined): string {
  return n === undefined ? 'null' : String(n);
}
