import { shortHash } from '../../domain/hash';
import type { UpsertAsgLifecycleHook } from '../../domain/operations/schemas/asg-lifecycle-hook';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { serverGroupNotFound } from './target-group';

/**
 * Clouddriver's UpsertAsgLifecycleHookAtomicOperation: puts one hook on one group, named as
 * given or `<group>-lifecycle-<id>`, cleaned as Clouddriver cleans hook names. Clouddriver writes
 * no history lines for it; Bosun's say what it did. A hook this task created is deleted again if
 * the task then fails or is cancelled; an existing hook it replaced is not restored. A missing
 * group fails the task (AWS refuses the put; Clouddriver's task fails the same way).
 */
export async function upsertAsgLifecycleHookOperation(ctx: OperationContext, d: UpsertAsgLifecycleHook): Promise<TaskOutput> {
  const [{ serverGroupName, region }] = d.targets;
  const where = `${serverGroupName} in ${region}`;
  const lifecycleHookName = cleanLifecycleHookName(d.name ?? generatedName(serverGroupName, ctx.taskId, ctx.index));
  const ref = { account: d.account, region, serverGroupName, lifecycleHookName };

  const before = await ctx.call('describeLifecycleHook', `Describe lifecycle hook ${lifecycleHookName} of ${where}`, ref);
  if (!before) {
    ctx.log(`No ASG named ${serverGroupName} found in ${region}`);
    throw serverGroupNotFound(`put lifecycle hook ${lifecycleHookName} on`, ref);
  }
  if (!before.exists) {
    // Registered before the put: a put whose answer never arrived may still have made it.
    ctx.onFailure(`delete lifecycle hook ${lifecycleHookName} of ${where}`, async () => {
      try {
        await ctx.call('deleteLifecycleHook', `Delete lifecycle hook ${lifecycleHookName} of ${where}`, ref);
      } catch (err) {
        ctx.log(`Could not delete lifecycle hook ${lifecycleHookName} of ${where}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }
  const h = d.hook;
  ctx.log(
    `${before.exists ? 'Updating' : 'Creating'} lifecycle hook ${lifecycleHookName} on ${where}: ${h.lifecycleTransition}, ` +
      `heartbeat ${h.heartbeatTimeoutSeconds} s, default result ${h.defaultResult}, notifying ${h.notificationTargetArn}`,
  );
  await ctx.call('putLifecycleHook', `Put lifecycle hook ${lifecycleHookName} on ${where}`, { ...ref, hook: h });
  ctx.log(`Lifecycle hook ${lifecycleHookName} is in place on ${where}`);
  return { resultObjects: [] };
}

/**
 * `<group>-lifecycle-<8 hex>` (Clouddriver: a random id), the hash over group, task and operation
 * index, so a retried step puts the same hook. AWS allows 255 characters.
 */
function generatedName(serverGroupName: string, taskId: string, index: number): string {
  const suffix = `-lifecycle-${shortHash(`${serverGroupName}|${taskId}|${index}`)}`;
  return `${serverGroupName.slice(0, 255 - suffix.length)}${suffix}`;
}

/** Clouddriver's AsgLifecycleHookWorker.cleanLifecycleHookName. */
function cleanLifecycleHookName(name: string): string {
  return name.replace(/[^A-Za-z0-9\-_/]/g, '_');
}
