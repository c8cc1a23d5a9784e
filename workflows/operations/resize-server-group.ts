import { ApplicationFailure } from '@temporalio/workflow';
import { capacityProblem, formatCapacity, resolveCapacity, sameCapacity } from '../../domain/capacity';
import { FailureType } from '../../domain/failures';
import type { ResizeServerGroup } from '../../domain/operations';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { waitForCapacity } from '../waits';

/**
 * Clouddriver's ResizeAsgAtomicOperation, made durable: describe (missing = nothing to do),
 * check the caller's capacity constraint, update, then wait until the group has settled.
 */
export async function resizeServerGroupOperation(ctx: OperationContext, d: ResizeServerGroup): Promise<TaskOutput> {
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const group = await ctx.call('describeServerGroup', `Describe ${serverGroupName} in ${region}`, ref);
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
    await ctx.call('updateServerGroupCapacity', `Resize ${serverGroupName} in ${region} from ${change}`, {
      ...ref,
      capacity: wanted,
    });
    if (d.waitForCapacity) {
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
