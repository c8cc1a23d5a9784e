import type { DeleteScalingPolicy } from '../../domain/operations/schemas/delete-scaling-policy';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/**
 * Clouddriver's DeleteScalingPolicyAtomicOperation, with its history lines: deletes the policy,
 * then each alarm AWS listed for it whose only action was the policy (or that has none left): an
 * alarm that also runs something else is kept. A policy that is not there is success, so a task
 * run again after a lost answer ends the same way; its alarms are then left alone, as in
 * Clouddriver, which looks at alarms only when it found the policy.
 */
export async function deleteScalingPolicyOperation(ctx: OperationContext, d: DeleteScalingPolicy): Promise<TaskOutput> {
  const [{ serverGroupName, region }] = d.targets;
  const ref = { account: d.account, region, serverGroupName, policyName: d.policyName };
  const where = `${d.policyName} of ${serverGroupName} in ${region}`;
  const policyDescription = `${d.policyName} in ${region} for ${d.account}`;

  ctx.log('Initializing Delete Scaling Policy Operation...');
  ctx.log('Looking up policy...');
  const policy = await ctx.call('describeScalingPolicy', `Describe scaling policy ${where}`, ref);
  ctx.log(`Deleting ${policyDescription}.`);
  const { deleted } = await ctx.call('deleteScalingPolicy', `Delete scaling policy ${where}`, ref);
  ctx.log(
    deleted || policy
      ? `Done deleting ${policyDescription}.`
      : `${serverGroupName} has no scaling policy ${d.policyName} in ${region}; nothing to delete.`,
  );
  if (!policy) return { resultObjects: [] };

  for (const alarmName of policy.alarmNames) {
    const alarmRef = { account: d.account, region, serverGroupName, alarmName };
    const alarm = await ctx.call('describeScalingPolicyAlarm', `Describe alarm ${alarmName}`, alarmRef);
    if (!alarm) continue;
    const orphaned = alarm.alarmActions.length === 0 || (alarm.alarmActions.length === 1 && alarm.alarmActions[0] === policy.policyArn);
    if (!orphaned) continue;
    ctx.log(`Deleting orphaned alarm ${alarmName}`);
    await ctx.call('deleteScalingPolicyAlarm', `Delete alarm ${alarmName} of ${where}`, alarmRef);
    ctx.log(`Done deleting orphaned alarm ${alarmName}`);
  }
  return { resultObjects: [] };
}
