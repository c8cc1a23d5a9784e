import { ApplicationFailure } from '@temporalio/workflow';
import type { ConvergenceState } from '../../domain/capacity';
import { capacityProblem, convergence, formatCapacity, resolveCapacity, sameCapacity } from '../../domain/capacity';
import { FailureType } from '../../domain/failures';
import type { ResizeServerGroup } from '../../domain/operations';
import type { TaskOutput } from '../../domain/task';
import { Patch } from '../patches';
import type { OperationContext } from '../task-runner';
import { waitForCapacity } from '../waits';

/**
 * Clouddriver's ResizeAsgAtomicOperation, made durable: describe (missing = nothing to do),
 * check the caller's capacity constraint, update, then wait until the group has settled.
 */
export async function resizeServerGroupOperation(ctx: OperationContext, d: ResizeServerGroup): Promise<TaskOutput> {
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const describeSummary = `Describe ${serverGroupName} in ${region}`;
    // A local read answers inside the workflow task that asked, saving a workflow-task round trip.
    const group = ctx.patched(Patch.resizeLocalDescribes)
      ? await ctx.callLocal('describeServerGroup', describeSummary, ref)
      : await ctx.call('describeServerGroup', describeSummary, ref);
    if (!group) {
      ctx.log(`Server group ${serverGroupName} not found in ${region} (${d.account}); nothing to resize`);
      continue;
    }
    const current = group.capacity;
    if (d.constraints && !sameCapacity(current, d.constraints)) {
      throw ApplicationFailure.nonRetryable(
        `refusing to resize ${serverGroupName} in ${region}: expected its capacity to be ${formatCapacity(d.constraints)} but it is ${formatCapacity(current)} (min/desired/max)`,
        FailureType.CapacityConstraintViolated,
        { expected: d.constraints, actual: current },
      );
    }
    const wanted = resolveCapacity(current, d.capacity);
    const problem = capacityProblem(wanted);
    if (problem) {
      throw ApplicationFailure.nonRetryable(
        `refusing to resize ${serverGroupName} in ${region} from ${formatCapacity(current)} to ${formatCapacity(wanted)} (min/desired/max): ${problem}`,
        FailureType.InvalidCapacity,
      );
    }
    const change = `${formatCapacity(current)} to ${formatCapacity(wanted)}`;
    ctx.log(`Resizing ${serverGroupName} in ${region} from ${change} (min/desired/max)`);
    const update = { ...ref, capacity: wanted };
    const updateSummary = `Resize ${serverGroupName} in ${region} from ${change}`;
    // Without a constraint, running the update again after a retried workflow task is harmless
    // (absolute values), so it can run inside the workflow task like the describes (Patch doc).
    if (!d.constraints && ctx.patched(Patch.resizeLocalUpdate)) await ctx.callLocal('updateServerGroupCapacity', updateSummary, update);
    else await ctx.call('updateServerGroupCapacity', updateSummary, update);
    // One local look first: a group that has already settled needs no wait activity.
    const settled = d.waitForCapacity ? await settledAlready(ctx, ref, wanted.desired) : undefined;
    if (settled) ctx.log(settled.message);
    if (d.waitForCapacity && !settled) {
      ctx.log(`Waiting for ${serverGroupName} in ${region} to have ${wanted.desired} healthy instances`);
      const state = await waitForCapacity(ctx, `Wait for ${serverGroupName} in ${region} to reach ${wanted.desired} healthy instances`, {
        ...ref,
        desired: wanted.desired,
        deadlineMs: Date.now() + d.waitTimeoutSeconds * 1000,
        pollIntervalMs: ctx.settings.pollIntervalMs,
      });
      ctx.log(state.message);
    }
    ctx.log(`Resized ${serverGroupName} in ${region} to ${formatCapacity(wanted)} (min/desired/max)`);
  }
  return { resultObjects: [] };
}

/**
 * One local look before the long wait: a group that has already settled (the emulator, a resize
 * to the current size, a scale-in that AWS finishes at once) needs no wait activity and so no
 * further workflow task. Undefined means "schedule the wait", also for a group that is gone:
 * the wait reports that with its usual failure.
 */
async function settledAlready(
  ctx: OperationContext,
  ref: { account: string; region: string; serverGroupName: string },
  desired: number,
): Promise<ConvergenceState | undefined> {
  if (!ctx.patched(Patch.resizeLocalDescribes)) return undefined;
  const group = await ctx.callLocal('describeServerGroup', `Check whether ${ref.serverGroupName} in ${ref.region} has settled`, ref);
  if (!group) return undefined;
  const state = convergence(ref.serverGroupName, desired, group.instances);
  return state.converged ? state : undefined;
}
