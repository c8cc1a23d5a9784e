import type { DeleteLaunchConfiguration, DeleteLaunchTemplate } from '../../domain/operations/cleanup';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/**
 * Clouddriver's DeleteAmazonLaunchConfigurationAtomicOperation, with its history lines. A
 * configuration that is not there is success (Clouddriver ignores "not found"), so a task run
 * again after a lost answer ends the same way.
 */
export async function deleteLaunchConfigurationOperation(ctx: OperationContext, d: DeleteLaunchConfiguration): Promise<TaskOutput> {
  const { launchConfigurationName, region } = d;
  ctx.log(`Deleting launch config ${launchConfigurationName} in ${region}`);
  await ctx.call('deleteLaunchConfigurationByName', `Delete launch configuration ${launchConfigurationName} in ${region}`, {
    account: d.account,
    region,
    launchConfigurationName,
  });
  ctx.log(`Finished Delete Launch Config operation for ${launchConfigurationName}`);
  return { resultObjects: [] };
}

/**
 * Clouddriver's DeleteLaunchTemplateAtomicOperation, with its history lines. A template that is
 * not there is success (Clouddriver ignores "does not exist"), so a repeat ends the same way.
 * Clouddriver's first line prints the description with Java's default toString (class@hash);
 * Bosun names its fields there instead.
 */
export async function deleteLaunchTemplateOperation(ctx: OperationContext, d: DeleteLaunchTemplate): Promise<TaskOutput> {
  const { launchTemplateId, region } = d;
  ctx.log(
    `Initializing Delete Launch Template operation for DeleteAmazonLaunchTemplateDescription(account=${d.account}, launchTemplateId=${launchTemplateId}, region=${region})`,
  );
  await ctx.call('deleteLaunchTemplateById', `Delete launch template ${launchTemplateId} in ${region}`, {
    account: d.account,
    region,
    launchTemplateId,
  });
  ctx.log(`Launch Template ${launchTemplateId} in ${region}`);
  return { resultObjects: [] };
}
