import type { ModifyAsg } from '../../domain/operations/schemas/modify-asg';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { serverGroupNotFound } from './target-group';
import { asgsDescriptor } from './asg-tags';

/**
 * Clouddriver's ModifyAsgAtomicOperation, with its history lines: metrics no longer wanted are
 * disabled, wanted ones not yet collected are enabled (at 1Minute), then the group's settings
 * are updated. A missing group fails the task at once (Clouddriver logs it, goes on with the
 * other groups and fails only if the last one failed); settings already changed on earlier
 * groups stay, as there: nothing was created.
 */
export async function modifyAsgOperation(ctx: OperationContext, d: ModifyAsg): Promise<TaskOutput> {
  const descriptor = asgsDescriptor(d.targets);
  ctx.log(`Initializing Update ASG operation for ${descriptor}...`);
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    const group = await ctx.call('describeServerGroupSettings', `Describe ${where}`, ref);
    if (!group) {
      ctx.log(`No ASG named ${serverGroupName} found in ${region}`);
      throw serverGroupNotFound('update', ref);
    }
    ctx.log(`Updating ${where}...`);

    const toDisable = group.enabledMetrics.filter((m) => !d.enabledMetrics.includes(m));
    if (toDisable.length > 0) {
      ctx.log(`Disabling unselected Auto Scaling Group metrics for ${where}...`);
      await ctx.call('disableServerGroupMetrics', `Disable metrics ${toDisable.join(', ')} of ${where}`, { ...ref, metrics: toDisable });
    }
    const toEnable = d.enabledMetrics.filter((m) => !group.enabledMetrics.includes(m));
    if (toEnable.length > 0) {
      ctx.log(`Enabling selected Auto Scaling Group metrics for ${where}...`);
      await ctx.call('enableServerGroupMetrics', `Enable metrics ${toEnable.join(', ')} of ${where}`, { ...ref, metrics: toEnable });
    }

    await ctx.call('updateServerGroupSettings', `Update ${where}`, { ...ref, settings: d.settings });
    ctx.log(`Updated ${where}...`);
  }
  ctx.log(`Finished Update ASG operation for ${descriptor}.`);
  return { resultObjects: [] };
}
