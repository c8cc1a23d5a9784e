import { DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteLaunchTemplateCommand, DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import { Context } from '@temporalio/activity';
import { launchTemplateBelongsTo } from '../domain/operations/schemas/destroy-server-group';
import { waitOutcome } from '../domain/waits';
import { awsCall, isAwsNotFound } from './aws-errors';
import { findInstances } from './instances';
import type { ServerGroupRef } from './server-group';
import { describeOneServerGroup } from './server-group-lookup';
import { createGroupPolls } from './group-polls';
import type { ActivityDeps } from './deps';

export interface ForceDeleteResult {
  /** `deleting`: this attempt asked for the delete; the others mean an earlier one (or someone else) did. */
  readonly outcome: 'deleting' | 'alreadyDeleting' | 'notFound';
}

export interface WaitForDeletedInput extends ServerGroupRef {
  /** Absolute epoch ms, computed once by the workflow, so a retried attempt keeps the same end. */
  readonly deadlineMs: number;
  readonly pollIntervalMs: number;
}

/** What a group that is still there looks like while it is deleted. */
export interface ServerGroupDeletionState {
  /** AWS's status (`Delete in progress`), null when it reports none. */
  readonly status: string | null;
  readonly instances: number;
}

export interface DeleteLaunchTemplateInput extends ServerGroupRef {
  readonly launchTemplateId?: string | undefined;
  readonly launchTemplateName?: string | undefined;
}

export interface DeleteLaunchTemplateResult {
  /** `shared`: its name does not follow the group's, so other groups may use it; it was kept. */
  readonly outcome: 'deleted' | 'notFound' | 'shared';
  readonly launchTemplateId?: string | undefined;
  readonly launchTemplateName?: string | undefined;
}

/** Activities that take a server group down: delete, wait until gone, its template, leftovers. */
export function createTeardownActivities({ aws, groupPolls = createGroupPolls() }: ActivityDeps) {
  return {
    /**
     * Force-deletes the group: AWS terminates its instances, then removes it. Described first,
     * so a repeat attempt finds the group gone or going and calls nothing (on the emulator a
     * missing group answers ValidationError, which is treated the same way).
     */
    async forceDeleteServerGroup(input: ServerGroupRef): Promise<ForceDeleteResult> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      // A group AWS is already deleting is there, and is not deleted twice.
      const found = await describeOneServerGroup(autoScaling, input);
      if (!found) return { outcome: 'notFound' };
      if (found.deleting) return { outcome: 'alreadyDeleting' };
      try {
        await awsCall(`DeleteAutoScalingGroup ${input.serverGroupName} in ${input.region}`, () =>
          autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: input.serverGroupName, ForceDelete: true })),
        );
      } catch (err) {
        if (isAwsNotFound(err, 'autoScalingGroup')) return { outcome: 'notFound' };
        throw err;
      }
      return { outcome: 'deleting' };
    },

    /**
     * One look at a group being deleted, for a wait the workflow drives with timers
     * (`workflow-timer`): null once it is gone altogether; a deleting group is still there.
     */
    async describeServerGroupDeletion(input: ServerGroupRef): Promise<ServerGroupDeletionState | null> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const group = (await describeOneServerGroup(autoScaling, input))?.group;
      if (!group) return null;
      return { status: group.Status ?? null, instances: group.Instances?.length ?? 0 };
    },

    /**
     * Polls until the group no longer exists, heartbeating what it sees, so a dead worker is
     * noticed within the heartbeat timeout and the retry resumes with the same deadline.
     */
    async waitForServerGroupDeleted(input: WaitForDeletedInput): Promise<{ readonly message: string }> {
      const ctx = Context.current();
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      for (;;) {
        // A deleting group is still there: this waits for it to be gone altogether. The look may
        // share its call with other waits (group-polls.ts).
        const group = (await groupPolls.look(autoScaling, input))?.group;
        if (!group) return { message: waitOutcome.deleted(input) };
        const left = group.Instances?.length ?? 0;
        const seen = waitOutcome.stillThere(input, group.Status, left);
        ctx.heartbeat(seen);
        if (Date.now() >= input.deadlineMs) throw waitOutcome.notDeleted(input, seen, group.Status, left);
        // Context.sleep ends early when the activity is cancelled.
        await ctx.sleep(Math.min(input.pollIntervalMs, Math.max(0, input.deadlineMs - Date.now())));
      }
    },

    /**
     * Deletes the group's launch template when its name says it belongs to this group, and
     * keeps it otherwise. Always by id: the emulator answers a missing *name* with
     * MissingParameter instead of not-found. Not found (a repeat attempt) is success.
     */
    async deleteServerGroupLaunchTemplate(input: DeleteLaunchTemplateInput): Promise<DeleteLaunchTemplateResult> {
      const notFound: DeleteLaunchTemplateResult = {
        outcome: 'notFound',
        launchTemplateId: input.launchTemplateId,
        launchTemplateName: input.launchTemplateName,
      };
      // Describing with neither would list every template in the region.
      if (!input.launchTemplateId && !input.launchTemplateName) return notFound;
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const what = `${input.launchTemplateName ?? input.launchTemplateId} in ${input.region}`;
      let template: { LaunchTemplateId?: string | undefined; LaunchTemplateName?: string | undefined } | undefined;
      try {
        const out = await awsCall(`DescribeLaunchTemplates ${what}`, () =>
          ec2.send(
            new DescribeLaunchTemplatesCommand(
              input.launchTemplateId
                ? { LaunchTemplateIds: [input.launchTemplateId] }
                : { LaunchTemplateNames: [input.launchTemplateName!] },
            ),
          ),
        );
        template = out.LaunchTemplates?.[0];
      } catch (err) {
        if (!isAwsNotFound(err, 'launchTemplate')) throw err;
      }
      if (!template?.LaunchTemplateId || !template.LaunchTemplateName) return notFound;
      const found = { launchTemplateId: template.LaunchTemplateId, launchTemplateName: template.LaunchTemplateName };
      if (!launchTemplateBelongsTo(input.serverGroupName, found.launchTemplateName)) return { outcome: 'shared', ...found };
      try {
        await awsCall(`DeleteLaunchTemplate ${found.launchTemplateName} (${found.launchTemplateId}) in ${input.region}`, () =>
          ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: found.launchTemplateId })),
        );
      } catch (err) {
        if (isAwsNotFound(err, 'launchTemplate')) return { outcome: 'notFound', ...found };
        throw err;
      }
      return { outcome: 'deleted', ...found };
    },

    /**
     * Instances still tagged with the group's name and not terminated: what a force delete left
     * behind (the tag is Auto Scaling's own, so it names only instances the group launched).
     */
    async findServerGroupLeftovers(input: ServerGroupRef): Promise<string[]> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const found = await findInstances(ec2, `of ${input.serverGroupName} in ${input.region}`, [
        { Name: 'tag:aws:autoscaling:groupName', Values: [input.serverGroupName] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ]);
      return found.map((i) => i.instanceId);
    },
  };
}
