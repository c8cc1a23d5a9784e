/**
 * Undoing a failed deploy in one region: what the deploy created, and nothing else.
 */
import { DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../domain/failures';
import { CREATED_BY_TAG } from '../domain/task';
import { awsDelete, isAwsNotFound } from './aws-errors';
import { describeLaunchTemplateByName, tagOf } from './deploy-ownership';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';

export interface RollbackInput {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly createdBy: string;
  /**
   * Absolute epoch ms, computed once by the workflow: past it, the rollback stops waiting for the
   * group to go and fails, naming what is left. Absent in rollbacks scheduled before it existed.
   */
  readonly deadlineMs?: number | undefined;
}

/** How long a rollback scheduled without a deadline waits for its group to be deleted. */
export const DEFAULT_ROLLBACK_WAIT_MS = 10 * 60 * 1000;

/** The deploy activity that deletes what a failed deploy made. */
export function createDeployRollbackActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Undoes a failed deploy in one region: force-deletes the group and its launch template,
     * but only what carries this deploy's tag, so a rollback can never touch someone else's.
     */
    async rollbackServerGroup(input: RollbackInput): Promise<{ deletedGroup: boolean; deletedTemplate: boolean }> {
      const c = aws.clientsFor(input.account, input.region);
      const ctx = Context.current();
      const deadlineMs = input.deadlineMs ?? ctx.info.scheduledTimestampMs + DEFAULT_ROLLBACK_WAIT_MS;
      let deletedGroup = false;
      const found = await describeOneServerGroup(c.autoScaling, input);
      if (found && tagOf(found.group.Tags, CREATED_BY_TAG) === input.createdBy) {
        // A group AWS is already deleting is not deleted again, but still waited for.
        if (!found.deleting) {
          await awsDelete(
            `DeleteAutoScalingGroup ${input.serverGroupName} in ${input.region}`,
            () => c.autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: input.serverGroupName, ForceDelete: true })),
            (err) => isAwsNotFound(err, 'autoScalingGroup'),
          );
        }
        deletedGroup = true;
        // The launch template cannot go while the group still uses it.
        for (;;) {
          // Deleting counts as still there: the template must wait until the group is gone.
          const still = (await describeOneServerGroup(c.autoScaling, input))?.group;
          if (!still) break;
          const seen = `${input.serverGroupName} in ${input.region} is ${still.Status ?? 'being deleted'} with ${still.Instances?.length ?? 0} instance(s) left`;
          ctx.heartbeat(`waiting for the group to be deleted: ${seen}`);
          // A rollback runs in a non-cancellable scope: it must end on its own, and say what it left.
          if (Date.now() >= deadlineMs) {
            throw ApplicationFailure.nonRetryable(
              `gave up waiting for ${input.serverGroupName} to be deleted before deleting its launch template: ${seen}`,
              FailureType.ServerGroupNotDeleted,
              { status: still.Status ?? null, instances: still.Instances?.length ?? 0 },
            );
          }
          await ctx.sleep(Math.min(2000, Math.max(0, deadlineMs - Date.now())));
        }
      }
      let deletedTemplate = false;
      const template = await describeLaunchTemplateByName(c, input.serverGroupName, input.region);
      if (template && tagOf(template.Tags, CREATED_BY_TAG) === input.createdBy) {
        await awsDelete(
          `DeleteLaunchTemplate ${input.serverGroupName} in ${input.region}`,
          () => c.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.LaunchTemplateId })),
          (err) => isAwsNotFound(err, 'launchTemplate'),
        );
        deletedTemplate = true;
      }
      return { deletedGroup, deletedTemplate };
    },
  };
}
