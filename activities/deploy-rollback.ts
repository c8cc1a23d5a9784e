/**
 * Undoing a failed deploy in one region: what the deploy created, and nothing else.
 */
import { DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { Context } from '@temporalio/activity';
import { CREATED_BY_TAG } from '../domain/task';
import type { AwsClientProvider } from './aws-clients';
import { awsCall, isAwsNotFound } from './aws-errors';
import { describeLaunchTemplateByName, tagOf } from './deploy-ownership';
import { describeOneServerGroup } from './server-group-lookup';

export interface RollbackInput {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly createdBy: string;
}

/** The deploy activity that deletes what a failed deploy made. */
export function createDeployRollbackActivities({ aws }: { aws: AwsClientProvider }) {
  return {
    /**
     * Undoes a failed deploy in one region: force-deletes the group and its launch template,
     * but only what carries this deploy's tag, so a rollback can never touch someone else's.
     */
    async rollbackServerGroup(input: RollbackInput): Promise<{ deletedGroup: boolean; deletedTemplate: boolean }> {
      const c = aws.clientsFor(input.account, input.region);
      const ctx = Context.current();
      let deletedGroup = false;
      const found = await describeOneServerGroup(c.autoScaling, input);
      if (found && tagOf(found.group.Tags, CREATED_BY_TAG) === input.createdBy) {
        // A group AWS is already deleting is not deleted again, but still waited for.
        if (!found.deleting) {
          await awsCall(`DeleteAutoScalingGroup ${input.serverGroupName} in ${input.region}`, () =>
            c.autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: input.serverGroupName, ForceDelete: true })),
          ).catch((err: unknown) => {
            if (isAwsNotFound(err, 'autoScalingGroup')) return;
            throw err;
          });
        }
        deletedGroup = true;
        // The launch template cannot go while the group still uses it.
        for (;;) {
          // Deleting counts as still there: the template must wait until the group is gone.
          const still = (await describeOneServerGroup(c.autoScaling, input))?.group;
          if (!still) break;
          ctx.heartbeat(`waiting for ${input.serverGroupName} to be deleted (${still.Status ?? 'deleting'})`);
          await ctx.sleep(2000);
        }
      }
      let deletedTemplate = false;
      const template = await describeLaunchTemplateByName(c, input.serverGroupName, input.region);
      if (template && tagOf(template.Tags, CREATED_BY_TAG) === input.createdBy) {
        await awsCall(`DeleteLaunchTemplate ${input.serverGroupName} in ${input.region}`, () =>
          c.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.LaunchTemplateId })),
        ).catch((err: unknown) => {
          if (isAwsNotFound(err, 'launchTemplate')) return;
          throw err;
        });
        deletedTemplate = true;
      }
      return { deletedGroup, deletedTemplate };
    },
  };
}
