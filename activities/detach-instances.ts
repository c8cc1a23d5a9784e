/**
 * detachInstances: tag instances, and take them out of their group. The detach describes the
 * group first and detaches only the instances still in it, so an attempt repeated after a lost
 * answer neither fails on instances already out nor lowers the desired capacity twice.
 */
import { DetachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTagsCommand, DeleteTagsCommand } from '@aws-sdk/client-ec2';
import { awsCall } from './aws-errors';
import type { ServerGroupRef } from './server-group';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';

export interface TagInstancesInput {
  readonly account: string;
  readonly region: string;
  readonly instanceIds: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface UntagInstancesInput {
  readonly account: string;
  readonly region: string;
  readonly instanceIds: readonly string[];
  readonly tagKeys: readonly string[];
}

export interface DetachFromGroupInput extends ServerGroupRef {
  readonly instanceIds: readonly string[];
  readonly decrementDesiredCapacity: boolean;
}

export function createDetachInstanceActivities({ aws }: ActivityDeps) {
  return {
    /** Puts the tags on the instances (an upsert per key: a repeat writes the same). */
    async tagEc2Instances(input: TagInstancesInput): Promise<void> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      await awsCall(`CreateTags ${input.instanceIds.join(', ')} in ${input.region}`, () =>
        ec2.send(
          new CreateTagsCommand({
            Resources: [...input.instanceIds],
            Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
    },

    /** Removes the tag keys from the instances (a key not there is no error: a repeat is harmless). */
    async untagEc2Instances(input: UntagInstancesInput): Promise<void> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      await awsCall(`DeleteTags ${input.tagKeys.join(', ')} of ${input.instanceIds.join(', ')} in ${input.region}`, () =>
        ec2.send(new DeleteTagsCommand({ Resources: [...input.instanceIds], Tags: input.tagKeys.map((Key) => ({ Key })) })),
      );
    },

    /** Detaches those of the instances still in the group (at most 20, AWS's limit per call); answers which. */
    async detachInstancesFromServerGroup(input: DetachFromGroupInput): Promise<{ detached: string[] }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const found = await describeOneServerGroup(autoScaling, input);
      const inGroup = new Set((found?.group.Instances ?? []).map((i) => i.InstanceId));
      const detach = input.instanceIds.filter((id) => inGroup.has(id));
      if (detach.length === 0) return { detached: [] };
      await awsCall(`DetachInstances ${detach.join(', ')} from ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(
          new DetachInstancesCommand({
            AutoScalingGroupName: input.serverGroupName,
            InstanceIds: detach,
            ShouldDecrementDesiredCapacity: input.decrementDesiredCapacity,
          }),
        ),
      );
      return { detached: detach };
    },
  };
}
