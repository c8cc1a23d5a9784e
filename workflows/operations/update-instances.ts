import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { UpdateInstances } from '../../domain/operations/schemas/update-instances';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/**
 * Clouddriver's UpdateInstancesAtomicOperation, with its history lines: every instance of the
 * group gets exactly `securityGroups` (plus its launch configuration's, with
 * `securityGroupsAppendOnly`). An instance AWS refuses is logged and the others still updated,
 * and the task succeeds, as there. A missing group, an EC2-Classic group, and appending for a
 * group without a launch configuration fail before anything changes (Clouddriver would then look
 * up a launch configuration named null). Nothing is created; a repeat sets the same groups.
 */
export async function updateInstancesOperation(ctx: OperationContext, d: UpdateInstances): Promise<TaskOutput> {
  const [{ serverGroupName, region }] = d.targets;
  const ref = { account: d.account, region, serverGroupName };
  ctx.log(`Initializing Update Instances operation for ${serverGroupName}...`);
  const group = await ctx.call('describeServerGroupInstances', `Describe ${serverGroupName} in ${region}`, ref);
  if (!group) {
    throw ApplicationFailure.nonRetryable(`Cannot find ASG named ${serverGroupName} in ${region}`, FailureType.ServerGroupNotFound, ref);
  }
  if (!group.vpcZoneIdentifier) {
    throw ApplicationFailure.nonRetryable('Cannot update security groups on instances in EC2 Classic', FailureType.InvalidDescription, ref);
  }

  let groups = d.securityGroups;
  if (d.securityGroupsAppendOnly) {
    const lc = group.launchConfigurationName
      ? await ctx.call('describeLaunchConfiguration', `Describe launch configuration ${group.launchConfigurationName}`, {
          account: d.account,
          region,
          launchConfigurationName: group.launchConfigurationName,
        })
      : null;
    if (!lc) {
      throw ApplicationFailure.nonRetryable(
        `Could not find launch config ${group.launchConfigurationName ?? `of ${serverGroupName} (it runs a launch template)`}`,
        FailureType.LaunchConfigurationNotFound,
        ref,
      );
    }
    groups = [...groups, ...lc.securityGroups];
  }

  for (const instanceId of group.instanceIds) {
    ctx.log(`Updating security groups for ${instanceId}...`);
    try {
      await ctx.call('setInstanceSecurityGroups', `Set the security groups of ${instanceId}: ${groups.join(', ')}`, {
        account: d.account,
        region,
        instanceId,
        securityGroupIds: groups,
      });
    } catch (err) {
      ctx.log(`Error updating ${instanceId}: ${messageOf(err)}`);
    }
  }
  ctx.log(`Updated ${group.instanceIds.length} instances in ${serverGroupName}/${region}`);
  return { resultObjects: [] };
}

/** The AWS (or Bosun) message of an activity's failure, not Temporal's "Activity task failed". */
function messageOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
