import { ApplicationFailure } from '@temporalio/workflow';
import type { DeleteSecurityGroup } from '../../domain/operations/schemas/security-groups';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/**
 * Clouddriver's DeleteSecurityGroupAtomicOperation, with its history lines, region by region. A
 * group that is not there is "There is no …" and success, so a task run again after a lost
 * answer ends the same way; a group something still uses fails the task with Clouddriver's
 * dependency message (the groups whose ingress rules still name it, when there are some).
 */
export async function deleteSecurityGroupOperation(ctx: OperationContext, d: DeleteSecurityGroup): Promise<TaskOutput> {
  ctx.log('Initializing Delete Security Group Operation...');
  for (const region of d.regions) {
    const what = `${d.securityGroupName} in ${region} ${d.vpcId ? `${d.vpcId} ` : ''}for ${d.account}`;
    const result = await ctx.call('deleteSecurityGroupByName', `Delete security group ${d.securityGroupName} in ${region}`, {
      account: d.account,
      region,
      securityGroupName: d.securityGroupName,
      vpcId: d.vpcId,
    });
    if (result.outcome === 'absent') {
      ctx.log(`There is no ${what}.`);
      continue;
    }
    ctx.log(`Deleting ${what}.`);
    if (result.outcome === 'dependency') {
      const message =
        'Failed deleting security group because of existing dependencies. ' +
        (result.dependents.length > 0
          ? `Ingress rules still exist on security group(s): ${result.dependents.join(', ')}.`
          : 'Unknown dependencies; instances and/or load balancers may still have the security group associated.');
      ctx.log(message);
      throw ApplicationFailure.nonRetryable(message, 'DependencyViolation', { region, groupId: result.groupId });
    }
    ctx.log(`Done deleting ${what}.`);
  }
  return { resultObjects: [] };
}
