import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { DetachInstances } from '../../domain/operations/schemas/detach-instances';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/** AWS detaches at most 20 instances per call. */
const MAX_DETACH = 20;
const DETACHABLE = new Set(['InService', 'Standby']);
const TAG_DETACHED = 'spinnaker:Detached';
const TAG_PENDING_TERMINATION = 'spinnaker:PendingTermination';

/**
 * Clouddriver's DetachInstancesAtomicOperation, with its history lines: of the named instances,
 * those in the group and in service (or standby) are tagged `spinnaker:Detached` (and
 * `spinnaker:PendingTermination` when they are to be terminated), detached 20 at a time, and
 * terminated if asked. A group that does not exist, or none of the instances in it, is nothing
 * to do. Decrementing below the group's min fails unless `adjustMinIfNecessary` lowers the min
 * first. If the task fails or is cancelled, the instances it tagged but did not detach lose the
 * tags again (Clouddriver leaves them).
 */
export async function detachInstancesOperation(ctx: OperationContext, d: DetachInstances): Promise<TaskOutput> {
  const [{ serverGroupName, region }] = d.targets;
  const ref = { account: d.account, region, serverGroupName };
  const group = await ctx.call('describeServerGroup', `Describe ${serverGroupName} in ${region}`, ref);
  if (!group) return { resultObjects: [] };

  const members = new Map(group.instances.map((i) => [i.instanceId, i]));
  const inGroup = d.instanceIds.filter((id) => members.has(id));
  if (inGroup.length === 0) return { resultObjects: [] };
  const valid = inGroup.filter((id) => {
    const lifecycleState = members.get(id)!.lifecycleState;
    if (DETACHABLE.has(lifecycleState)) return true;
    ctx.log(`Unable to detach instance ${id} (lifecycleState: ${lifecycleState}, asgName: ${serverGroupName})`);
    return false;
  });

  const { min, max, desired } = group.capacity;
  const newMin = desired - valid.length;
  if (d.decrementDesiredCapacity && newMin < min) {
    if (d.adjustMinIfNecessary) {
      if (newMin < 0) ctx.log('Cannot adjust min size below 0');
      else
        await ctx.call('setServerGroupSizeLimits', `Lower the min of ${serverGroupName} in ${region} to ${newMin}`, {
          ...ref,
          min: newMin,
        });
    } else {
      ctx.log('Cannot decrement ASG below minSize - set adjustMinIfNecessary to resize down minSize before detaching instances');
      throw ApplicationFailure.nonRetryable(
        `Invalid ASG capacity for detachInstances (min: ${min}, max: ${max}, desired: ${desired})`,
        FailureType.CapacityBelowMinimum,
        { serverGroupName, region, min, max, desired },
      );
    }
  }

  if (valid.length === 0) {
    ctx.log('No detachable instances');
    return { resultObjects: [] };
  }

  const ids = valid.join(', ');
  ctx.log(`Tagging instances (${ids}).`);
  const tags: Record<string, string> = { [TAG_DETACHED]: serverGroupName };
  // Workflow time: the same value when the workflow replays.
  if (d.terminateDetachedInstances) tags[TAG_PENDING_TERMINATION] = String(Date.now());
  // Registered before the tagging, whose answer may be lost after it happened: if the task fails
  // or is cancelled, the instances it did not detach lose the tags again, so nothing reads an
  // instance still serving in the group as detached or due for termination.
  const detached = new Set<string>();
  ctx.onFailure(`remove the detached tags from the instances of ${serverGroupName} not detached`, async () => {
    const still = valid.filter((id) => !detached.has(id));
    if (still.length === 0) return;
    try {
      await ctx.call('untagEc2Instances', `Remove the detached tags from ${still.join(', ')}`, {
        account: d.account,
        region,
        instanceIds: still,
        tagKeys: Object.keys(tags),
      });
      ctx.log(`Removed the detached tags from instances (${still.join(', ')}).`);
    } catch (err) {
      ctx.log(
        `Could not remove the detached tags from instances (${still.join(', ')}): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  });
  await ctx.call('tagEc2Instances', `Tag ${ids} as detached from ${serverGroupName}`, {
    account: d.account,
    region,
    instanceIds: valid,
    tags,
  });
  ctx.log(`Tagged instances (${ids}).`);

  for (let i = 0; i < valid.length; i += MAX_DETACH) {
    const batch = valid.slice(i, i + MAX_DETACH);
    const batchIds = batch.join(', ');
    ctx.log(`Detaching instances (${batchIds}) from ASG (${serverGroupName}).`);
    // An attempt whose answer was lost detached some of the batch already: those are out of the
    // group either way, so the whole batch counts as detached once the call returns.
    await ctx.call('detachInstancesFromServerGroup', `Detach ${batchIds} from ${serverGroupName} in ${region}`, {
      ...ref,
      instanceIds: batch,
      decrementDesiredCapacity: d.decrementDesiredCapacity,
    });
    for (const id of batch) detached.add(id);
    ctx.log(`Detached instances (${batchIds}) from ASG (${serverGroupName}).`);
  }

  if (d.terminateDetachedInstances) {
    ctx.log(`Terminating instances (${ids}).`);
    await ctx.call('terminateEc2Instances', `Terminate ${ids} in ${region}`, { account: d.account, region, instanceIds: valid });
    ctx.log(`Terminated instances (${ids}).`);
  }
  return { resultObjects: [] };
}
