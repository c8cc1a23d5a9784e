import {
  DescribeAutoScalingInstancesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { EC2Client, Filter } from '@aws-sdk/client-ec2';
import { DescribeInstancesCommand, RebootInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { isLeavingGroup, listIds, MAX_INSTANCE_IDS, partitionInstances } from '../domain/operations/schemas/instances';
import { awsCall, isAwsNotFound } from './aws-errors';
import type { ServerGroupRef } from './server-group';
import type { ActivityDeps } from './deps';
import { allPages } from './paging';

/** An EC2 instance as Bosun's workflows see it. */
export interface InstanceSnapshot {
  readonly instanceId: string;
  /** EC2's state name: pending, running, stopping, stopped, shutting-down, terminated. */
  readonly state: string;
  /** From the `aws:autoscaling:groupName` tag Auto Scaling puts on its instances. */
  readonly serverGroupName?: string | undefined;
}

export interface InstancesRef {
  readonly account: string;
  readonly region: string;
  readonly instanceIds: readonly string[];
}

export interface TerminateInstancesResult {
  /** Ids this attempt asked EC2 to terminate. */
  readonly terminated: readonly string[];
  /** Shutting down or terminated before this attempt (by an earlier one, or by someone else). */
  readonly alreadyGone: readonly string[];
  readonly unknown: readonly string[];
}

export interface TerminateInGroupInput extends ServerGroupRef {
  readonly instanceId: string;
}

export type TerminateInGroupResult =
  | { readonly terminated: true }
  /** Nothing was called: the instance had already left the group, so its decrement already happened. */
  | { readonly terminated: false; readonly reason: string };

export interface SizeLimitsInput extends ServerGroupRef {
  readonly min?: number | undefined;
  readonly max?: number | undefined;
}

/** AWS accepts at most 200 values per DescribeInstances filter. */
const FILTER_VALUES = 200;

const AUTOSCALING_GROUP_TAG = 'aws:autoscaling:groupName';

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * Every instance matching `filters`, all pages. Filters rather than `InstanceIds`, because
 * DescribeInstances fails the whole call when one listed id is unknown, and an unknown id is
 * an answer here (never existed, or terminated long ago), not an error.
 */
export async function findInstances(ec2: EC2Client, what: string, filters: Filter[]): Promise<InstanceSnapshot[]> {
  return allPages(async (token) => {
    const out = await awsCall(`DescribeInstances ${what}`, () =>
      ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken: token })),
    );
    const items: InstanceSnapshot[] = [];
    for (const r of out.Reservations ?? []) {
      for (const i of r.Instances ?? []) {
        if (!i.InstanceId) continue;
        items.push({
          instanceId: i.InstanceId,
          state: i.State?.Name ?? 'unknown',
          serverGroupName: i.Tags?.find((t) => t.Key === AUTOSCALING_GROUP_TAG)?.Value,
        });
      }
    }
    return { items, next: out.NextToken };
  });
}

async function describeByIds(ec2: EC2Client, region: string, ids: readonly string[]): Promise<InstanceSnapshot[]> {
  const found: InstanceSnapshot[] = [];
  for (const part of chunks(ids, FILTER_VALUES)) {
    found.push(...(await findInstances(ec2, `${listIds(part, 3)} in ${region}`, [{ Name: 'instance-id', Values: part }])));
  }
  return found;
}

/** Activities on EC2 instances and their membership of a group: find, reboot, terminate, size limits. */
export function createInstanceActivities({ aws }: ActivityDeps) {
  return {
    /** The instances EC2 knows among `instanceIds`; unknown ids are simply absent. */
    async describeEc2Instances(input: InstancesRef): Promise<InstanceSnapshot[]> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      return describeByIds(ec2, input.region, input.instanceIds);
    },

    /**
     * Terminates the instances that are not already going. Describing first makes a repeat
     * attempt a no-op, and keeps unknown ids out of TerminateInstances, which would otherwise
     * fail for all ids because of one.
     */
    async terminateEc2Instances(input: InstancesRef): Promise<TerminateInstancesResult> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const { unknown, gone, live } = partitionInstances(input.instanceIds, await describeByIds(ec2, input.region, input.instanceIds));
      const ids = live.map((i) => i.instanceId);
      for (const part of chunks(ids, MAX_INSTANCE_IDS)) {
        await awsCall(`TerminateInstances ${listIds(part, 3)} in ${input.region}`, () =>
          ec2.send(new TerminateInstancesCommand({ InstanceIds: part })),
        );
      }
      return { terminated: ids, alreadyGone: gone, unknown };
    },

    /**
     * Reboots the instances. EC2 keeps no trace of a reboot, so a repeat after a lost answer
     * reboots again: at least once, never zero times. The workflow checks the ids first.
     */
    async rebootEc2Instances(input: InstancesRef): Promise<void> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      await awsCall(`RebootInstances ${listIds(input.instanceIds, 3)} in ${input.region}`, () =>
        ec2.send(new RebootInstancesCommand({ InstanceIds: [...input.instanceIds] })),
      );
    },

    /**
     * Terminates one instance of a group and decrements the group's desired capacity, at most
     * once. An instance that has left the group (or is leaving it) was terminated by an earlier
     * attempt whose answer was lost, so calling again would decrement a second time on AWS (or,
     * on the emulator, answer an HTML 500 that would be retried for hours): it is not called.
     */
    async terminateInstanceInServerGroup(input: TerminateInGroupInput): Promise<TerminateInGroupResult> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const where = `${input.instanceId} in ${input.serverGroupName} in ${input.region}`;
      const out = await awsCall(`DescribeAutoScalingInstances ${input.instanceId} in ${input.region}`, () =>
        autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [input.instanceId] })),
      );
      const member = out.AutoScalingInstances?.find((i) => i.InstanceId === input.instanceId);
      if (!member || member.AutoScalingGroupName !== input.serverGroupName) {
        return { terminated: false, reason: `${input.instanceId} is no longer in ${input.serverGroupName}` };
      }
      const state = member.LifecycleState ?? 'Unknown';
      if (isLeavingGroup(state))
        return { terminated: false, reason: `${input.instanceId} is already ${state} in ${input.serverGroupName}` };
      try {
        await awsCall(`TerminateInstanceInAutoScalingGroup ${where}`, () =>
          autoScaling.send(
            new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: input.instanceId, ShouldDecrementDesiredCapacity: true }),
          ),
        );
      } catch (err) {
        // It left the group between the describe and the call (a scale-in, say): nothing left to do.
        if (isAwsNotFound(err, 'instance')) {
          return { terminated: false, reason: `${input.instanceId} is no longer in ${input.serverGroupName}` };
        }
        throw err;
      }
      return { terminated: true };
    },

    /**
     * Sets only min and/or max. Absolute numbers, so a repeat sets the same ones; desired is
     * left out so a scaling activity between Bosun's describe and this call is not undone.
     */
    async setServerGroupSizeLimits(input: SizeLimitsInput): Promise<void> {
      if (input.min === undefined && input.max === undefined) {
        throw ApplicationFailure.nonRetryable(
          `no min or max given for ${input.serverGroupName} in ${input.region}`,
          FailureType.InvalidCapacity,
        );
      }
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const change = [input.min !== undefined ? `min ${input.min}` : '', input.max !== undefined ? `max ${input.max}` : '']
        .filter(Boolean)
        .join(', ');
      await awsCall(`UpdateAutoScalingGroup ${input.serverGroupName} in ${input.region} (${change})`, () =>
        autoScaling.send(
          new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: input.serverGroupName, MinSize: input.min, MaxSize: input.max }),
        ),
      );
    },
  };
}
