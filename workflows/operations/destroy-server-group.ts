import type { ServerGroupRef } from '../../activities';
import type { DestroyServerGroup } from '../../domain/operations';
import { listIds } from '../../domain/operations/instance-plans';
import type { TaskOutput } from '../../domain/task';
import { Patch } from '../patches';
import type { OperationContext } from '../task-runner';
import { describeTargetGroupOrSkip } from './target-group';
import { waitForDeleted } from '../waits';

/**
 * Clouddriver's DestroyAsgAtomicOperation, made durable: describe (missing = nothing to do),
 * force-delete, wait until AWS has really removed the group, delete its own launch template or
 * its launch configuration, then terminate any instance the group left behind. Each step is
 * safe to repeat.
 */
export async function destroyServerGroupOperation(ctx: OperationContext, d: DestroyServerGroup): Promise<TaskOutput> {
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const group = await describeTargetGroupOrSkip(ctx, ref, 'destroy');
    if (!group) {
      // Also the answer for a group that is still being deleted (say, by a destroy that timed
      // out waiting): what such a destroy left behind is cleaned up, quietly when there is none.
      // Bosun's deploys name the template exactly after the group.
      await deleteLaunchTemplate(ctx, ref, { name: serverGroupName }, true);
      await terminateLeftovers(ctx, ref);
      continue;
    }

    const count = group.instances.length;
    ctx.log(`Force deleting ${serverGroupName} in ${region} and its ${count} instance(s)`);
    await ctx.call('forceDeleteServerGroup', `Force delete ${serverGroupName} in ${region} (${count} instances)`, ref);
    const { message } = await waitForDeleted(ctx, `Wait for ${serverGroupName} in ${region} to be deleted`, {
      ...ref,
      deadlineMs: Date.now() + d.waitTimeoutSeconds * 1000,
      pollIntervalMs: ctx.settings.pollIntervalMs,
    });
    ctx.log(message);
    // Only once the group is gone: a group whose deletion stalls keeps a template it can use.
    if (group.launchTemplate) await deleteLaunchTemplate(ctx, ref, group.launchTemplate, false);
    else if (group.launchConfigurationName && ctx.patched(Patch.destroyDeletesLaunchConfiguration)) {
      await deleteLaunchConfiguration(ctx, ref, group.launchConfigurationName);
    }
    await terminateLeftovers(ctx, ref);
    ctx.log(`Destroyed ${serverGroupName} in ${region}`);
  }
  return { resultObjects: [] };
}

async function deleteLaunchTemplate(
  ctx: OperationContext,
  ref: ServerGroupRef,
  lt: { readonly id?: string | undefined; readonly name?: string | undefined },
  onlyIfFound: boolean,
): Promise<void> {
  const label = lt.name ?? lt.id;
  if (!label) return;
  const { serverGroupName, region } = ref;
  const result = await ctx.call('deleteServerGroupLaunchTemplate', `Delete launch template ${label} of ${serverGroupName} in ${region}`, {
    ...ref,
    launchTemplateId: lt.id,
    launchTemplateName: lt.name,
  });
  const named = `${result.launchTemplateName ?? label}${result.launchTemplateId ? ` (${result.launchTemplateId})` : ''}`;
  switch (result.outcome) {
    case 'deleted':
      ctx.log(`Deleted launch template ${named} of ${serverGroupName} in ${region}`);
      break;
    case 'notFound':
      if (!onlyIfFound) ctx.log(`Launch template ${named} of ${serverGroupName} is already gone from ${region}`);
      break;
    case 'shared':
      ctx.log(
        `Kept launch template ${named} in ${region}: its name does not start with ${serverGroupName}, so other server groups may use it`,
      );
      break;
  }
}

/**
 * Clouddriver deletes a group's launch configuration whatever its name. AWS refuses to delete
 * one that another group still runs: that one is kept, and said so, and the destroy succeeds.
 */
async function deleteLaunchConfiguration(ctx: OperationContext, ref: ServerGroupRef, launchConfigurationName: string): Promise<void> {
  const { serverGroupName, region } = ref;
  const result = await ctx.call(
    'deleteLaunchConfiguration',
    `Delete launch configuration ${launchConfigurationName} of ${serverGroupName} in ${region}`,
    { ...ref, launchConfigurationName },
  );
  switch (result.outcome) {
    case 'deleted':
      ctx.log(`Deleted launch configuration ${launchConfigurationName} of ${serverGroupName} in ${region}`);
      break;
    case 'notFound':
      ctx.log(`Launch configuration ${launchConfigurationName} of ${serverGroupName} is already gone from ${region}`);
      break;
    case 'inUse':
      ctx.log(`Kept launch configuration ${launchConfigurationName} in ${region}: other server groups still use it`);
      break;
  }
}

async function terminateLeftovers(ctx: OperationContext, ref: ServerGroupRef): Promise<void> {
  const { serverGroupName, region } = ref;
  const leftovers = await ctx.call('findServerGroupLeftovers', `Find instances ${serverGroupName} left in ${region}`, ref);
  if (leftovers.length === 0) return;
  ctx.log(`Terminating ${leftovers.length} instance(s) ${serverGroupName} left behind in ${region}: ${listIds(leftovers)}`);
  await ctx.call('terminateEc2Instances', `Terminate ${leftovers.length} leftover instances of ${serverGroupName} in ${region}`, {
    account: ref.account,
    region,
    instanceIds: leftovers,
  });
}
