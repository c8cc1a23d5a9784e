import type { AutoScalingClient, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { awsCall } from './aws-errors';

/** The Status Auto Scaling gives a group between DeleteAutoScalingGroup and its disappearance. */
export const DELETE_IN_PROGRESS = 'Delete in progress';

/** One group as AWS describes it, and whether AWS is deleting it. */
export interface DescribedServerGroup {
  readonly group: AutoScalingGroup;
  /** Status is 'Delete in progress': the group still exists and holds its name, but is going. */
  readonly deleting: boolean;
}

/**
 * Describes one Auto Scaling group by exact name: `undefined` when it does not exist.
 *
 * The rule for a group that is being deleted (Status 'Delete in progress'): it is returned, with
 * `deleting: true`, and every caller says what that means for it. Operations that act on a
 * live group (describe, resize, enable, update, clone) treat it as gone; those that care whether
 * the name is still held (destroy and its wait, deploy's create and rollback) treat it as there.
 */
export async function describeOneServerGroup(
  autoScaling: Pick<AutoScalingClient, 'send'>,
  ref: { readonly serverGroupName: string; readonly region: string },
): Promise<DescribedServerGroup | undefined> {
  const name = ref.serverGroupName;
  const out = await awsCall(`DescribeAutoScalingGroups ${name} in ${ref.region}`, () =>
    autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })),
  );
  const group = out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
  return group ? { group, deleting: group.Status === DELETE_IN_PROGRESS } : undefined;
}
