import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { ActivityInput, ActivityOutput, OperationContext } from '../task-runner';

/**
 * The group a description targets, described; absent, the task fails (not retried) with
 * ServerGroupNotFound, saying what was left undone (`its launch template was not changed`).
 */
export async function describeTargetGroup(
  ctx: OperationContext,
  ref: ActivityInput<'describeServerGroup'>,
  undone: string,
): Promise<NonNullable<ActivityOutput<'describeServerGroup'>>> {
  const group = await ctx.call('describeServerGroup', `Describe ${ref.serverGroupName} in ${ref.region}`, ref);
  if (!group) {
    throw ApplicationFailure.nonRetryable(
      `server group ${ref.serverGroupName} not found in ${ref.region} (${ref.account}); ${undone}`,
      FailureType.ServerGroupNotFound,
    );
  }
  return group;
}

/**
 * The failure (not retried) of a change to a group that does not exist: "cannot <doing> <group>
 * in <region>: no such server group in account <account>".
 */
export function serverGroupNotFound(
  doing: string,
  ref: { readonly account: string; readonly region: string; readonly serverGroupName: string },
): ApplicationFailure {
  const { serverGroupName, region, account } = ref;
  return ApplicationFailure.nonRetryable(
    `cannot ${doing} ${serverGroupName} in ${region}: no such server group in account ${account}`,
    FailureType.ServerGroupNotFound,
    { serverGroupName, region, account },
  );
}

/** The group a description targets, described; absent, null after logging that there is nothing to `action`. */
export async function describeTargetGroupOrSkip(
  ctx: OperationContext,
  ref: ActivityInput<'describeServerGroup'>,
  action: string,
): Promise<ActivityOutput<'describeServerGroup'>> {
  const group = await ctx.call('describeServerGroup', `Describe ${ref.serverGroupName} in ${ref.region}`, ref);
  if (!group) ctx.log(`Server group ${ref.serverGroupName} not found in ${ref.region} (${ref.account}); nothing to ${action}`);
  return group;
}
