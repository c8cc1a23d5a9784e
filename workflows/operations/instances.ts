import { ApplicationFailure } from '@temporalio/workflow';
import { formatCapacity } from '../../domain/capacity';
import { FailureType } from '../../domain/failures';
import type { InstancesInRegion, TerminateInstanceAndDecrementServerGroup } from '../../domain/operations';
import { isLeavingGroup, listIds, partitionInstances, planDecrement } from '../../domain/operations/instance-plans';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/**
 * Clouddriver's TerminateInstancesAtomicOperation, made idempotent: ids that are unknown or
 * already terminated are what the caller wanted, so they are named and skipped, not errors.
 */
export async function terminateInstancesOperation(ctx: OperationContext, d: InstancesInRegion): Promise<TaskOutput> {
  const ref = { account: d.account, region: d.region, instanceIds: d.instanceIds };
  const found = await ctx.call('describeEc2Instances', `Describe ${d.instanceIds.length} instances in ${d.region}`, ref);
  const { unknown, gone, live } = partitionInstances(d.instanceIds, found);
  if (unknown.length > 0) ctx.log(`Skipping ${unknown.length} instance(s) unknown in ${d.region} (${d.account}): ${listIds(unknown)}`);
  if (gone.length > 0) ctx.log(`Skipping ${gone.length} instance(s) already terminated in ${d.region}: ${listIds(gone)}`);
  if (live.length === 0) {
    ctx.log(`None of the ${d.instanceIds.length} instance(s) is running in ${d.region}; nothing to terminate`);
    return { resultObjects: [] };
  }
  const ids = live.map((i) => i.instanceId);
  ctx.log(`Terminating ${ids.length} instance(s) in ${d.region}: ${listIds(ids)}`);
  await ctx.call('terminateEc2Instances', `Terminate ${ids.length} instances in ${d.region}`, { ...ref, instanceIds: ids });
  ctx.log(`Terminated ${ids.length} instance(s) in ${d.region}: ${listIds(ids)}`);
  return { resultObjects: [] };
}

/**
 * Clouddriver's RebootInstancesAtomicOperation. Unlike terminate, an id that cannot be rebooted
 * means the caller's picture is wrong, so the task fails before anything is rebooted.
 */
export async function rebootInstancesOperation(ctx: OperationContext, d: InstancesInRegion): Promise<TaskOutput> {
  const ref = { account: d.account, region: d.region, instanceIds: d.instanceIds };
  const found = await ctx.call('describeEc2Instances', `Describe ${d.instanceIds.length} instances in ${d.region}`, ref);
  const { unknown, gone, live } = partitionInstances(d.instanceIds, found);
  if (unknown.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `refusing to reboot: ${unknown.length} of ${d.instanceIds.length} instance(s) do not exist in ${d.region} (${d.account}): ${listIds(unknown)}; nothing was rebooted`,
      FailureType.InstancesNotFound,
      { unknown },
    );
  }
  // EC2 reboots only running instances (the emulator would even bring a terminated one back).
  const notRunning = [
    ...gone.map((id) => `${id} (terminated)`),
    ...live.filter((i) => i.state !== 'running').map((i) => `${i.instanceId} (${i.state})`),
  ];
  if (notRunning.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `refusing to reboot: ${notRunning.length} of ${d.instanceIds.length} instance(s) in ${d.region} are not running: ${listIds(notRunning)}; nothing was rebooted`,
      FailureType.InstancesNotRunning,
    );
  }
  ctx.log(`Rebooting ${d.instanceIds.length} instance(s) in ${d.region}: ${listIds(d.instanceIds)}`);
  await ctx.call('rebootEc2Instances', `Reboot ${d.instanceIds.length} instances in ${d.region}`, ref);
  ctx.log(`Rebooted ${d.instanceIds.length} instance(s) in ${d.region}: ${listIds(d.instanceIds)}`);
  return { resultObjects: [] };
}

/**
 * Clouddriver's TerminateInstanceAndDecrementAsgAtomicOperation. The danger is decrementing
 * twice, so the instance's membership is the record of what happened: an instance no longer in
 * the group has been terminated and counted, here or by the activity's own check on a retry.
 */
export async function terminateInstanceAndDecrementOperation(
  ctx: OperationContext,
  d: TerminateInstanceAndDecrementServerGroup,
): Promise<TaskOutput> {
  const { serverGroupName, region, instanceId } = d;
  const ref = { account: d.account, region, serverGroupName };
  const group = await ctx.call('describeServerGroup', `Describe ${serverGroupName} in ${region}`, ref);
  if (!group) {
    throw ApplicationFailure.nonRetryable(
      `cannot terminate ${instanceId}: server group ${serverGroupName} not found in ${region} (${d.account})`,
      FailureType.ServerGroupNotFound,
    );
  }
  const member = group.instances.find((i) => i.instanceId === instanceId);
  if (!member || isLeavingGroup(member.lifecycleState)) {
    const where = member ? `is already ${member.lifecycleState} in` : 'is no longer in';
    ctx.log(
      `${instanceId} ${where} ${serverGroupName} in ${region}; its capacity stays ${formatCapacity(group.capacity)} (min/desired/max), nothing to decrement`,
    );
    return { resultObjects: [] };
  }

  const current = group.capacity;
  const plan = planDecrement(current, d.adjustMinIfNecessary);
  if (!plan.ok) {
    throw ApplicationFailure.nonRetryable(
      `refusing to terminate ${instanceId} in ${serverGroupName} in ${region}: ${plan.problem}`,
      FailureType.CapacityBelowMinimum,
      { capacity: current },
    );
  }

  let terminated = false;
  if (plan.lowerMinTo !== undefined) {
    const min = plan.lowerMinTo;
    ctx.log(
      `Lowering the minimum of ${serverGroupName} in ${region} from ${current.min} to ${min} so its desired capacity can drop to ${plan.after.desired}`,
    );
    await ctx.call('setServerGroupSizeLimits', `Lower min of ${serverGroupName} in ${region} from ${current.min} to ${min}`, {
      ...ref,
      min,
    });
    // Put the minimum back if nothing was terminated, so a failed task leaves the group as it found it.
    ctx.onFailure(`restore the minimum of ${serverGroupName} in ${region} to ${current.min}`, async () => {
      if (terminated) return;
      await ctx.call('setServerGroupSizeLimits', `Restore min of ${serverGroupName} in ${region} to ${current.min}`, {
        ...ref,
        min: current.min,
      });
    });
  }

  const change = `${formatCapacity(current)} to ${formatCapacity(plan.after)}`;
  ctx.log(`Terminating ${instanceId} in ${serverGroupName} in ${region} and decrementing its capacity from ${change} (min/desired/max)`);
  const result = await ctx.call(
    'terminateInstanceInServerGroup',
    `Terminate ${instanceId} in ${serverGroupName} in ${region}, desired ${current.desired} to ${plan.after.desired}`,
    { ...ref, instanceId },
  );
  terminated = true;
  if (!result.terminated) {
    ctx.log(`${result.reason} by the time Bosun called AWS (an earlier attempt terminated it); desired capacity not decremented again`);
  }

  if (d.setMaxToNewDesired) {
    // Read the group again, as Clouddriver does: max follows the desired capacity AWS now has.
    const after = await ctx.call('describeServerGroup', `Describe ${serverGroupName} in ${region}`, ref);
    if (after && after.capacity.max !== after.capacity.desired) {
      const max = after.capacity.desired;
      ctx.log(`Lowering the maximum of ${serverGroupName} in ${region} from ${after.capacity.max} to the new desired capacity ${max}`);
      await ctx.call('setServerGroupSizeLimits', `Set max of ${serverGroupName} in ${region} to ${max}`, { ...ref, max });
    }
  }
  ctx.log(`Terminated ${instanceId} in ${serverGroupName} in ${region}`);
  return { resultObjects: [] };
}
