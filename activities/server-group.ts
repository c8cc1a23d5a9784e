import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { ResumeProcessesCommand, SuspendProcessesCommand } from '@aws-sdk/client-auto-scaling';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Capacity, ConvergenceState } from '../domain/capacity';
import { capacityProblem, convergence, formatCapacity } from '../domain/capacity';
import { FailureType } from '../domain/failures';
import { waitOutcome } from '../domain/waits';
import type { AsgProcessName } from '../domain/operations/schemas/asg-processes';
import type { ServerGroupSnapshot } from '../domain/server-group';
import type { AwsClientProvider, RegionalRef } from './aws-clients';
import { awsCall } from './aws-errors';
import { createGroupPolls } from './group-polls';
import type { DescribedServerGroup } from './server-group-lookup';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';

export type { ServerGroupSnapshot } from '../domain/server-group';

export interface ServerGroupRef extends RegionalRef {
  readonly serverGroupName: string;
}

export interface UpdateCapacityInput extends ServerGroupRef {
  readonly capacity: Capacity;
}

export interface WaitForCapacityInput extends ServerGroupRef {
  readonly desired: number;
  /** When set, wait only until this many instances are healthy (not for an exact count). */
  readonly minHealthy?: number | undefined;
  /** Absolute epoch ms, computed once by the workflow, so a retried attempt keeps the same end. */
  readonly deadlineMs: number;
  readonly pollIntervalMs: number;
}

export interface ProcessesInput extends ServerGroupRef {
  readonly processes: readonly AsgProcessName[];
}

export interface ProcessesChange {
  /** False when the group does not exist (the caller decides whether that is fine). */
  readonly found: boolean;
  /** The processes this attempt changed; the rest already were as asked. */
  readonly changed: readonly AsgProcessName[];
}

/** Activities on one existing server group: describe, capacity, waiting, processes. */
export function createServerGroupActivities({ aws, groupPolls = createGroupPolls() }: ActivityDeps) {
  async function describe(ref: ServerGroupRef): Promise<ServerGroupSnapshot | null> {
    return live(await describeOneServerGroup(aws.clientsFor(ref.account, ref.region).autoScaling, ref), ref);
  }

  /** A wait's look: the same answer as `describe`, in a call it may share with other waits. */
  async function look(ref: ServerGroupRef): Promise<ServerGroupSnapshot | null> {
    return live(await groupPolls.look(aws.clientsFor(ref.account, ref.region).autoScaling, ref), ref);
  }

  return {
    /** Describes one server group; `null` when it does not exist (callers decide if that is fine). */
    async describeServerGroup(input: ServerGroupRef): Promise<ServerGroupSnapshot | null> {
      return describe(input);
    },

    /**
     * Sets min, max and desired in one call. Idempotent by nature: a repeat sets the same numbers.
     * Impossible capacities are refused here too, because the emulator would accept them.
     */
    async updateServerGroupCapacity(input: UpdateCapacityInput): Promise<void> {
      const problem = capacityProblem(input.capacity);
      if (problem) {
        throw ApplicationFailure.nonRetryable(
          `refusing to resize ${input.serverGroupName} in ${input.region} to ${formatCapacity(input.capacity)}: ${problem}`,
          FailureType.InvalidCapacity,
        );
      }
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      await awsCall(`UpdateAutoScalingGroup ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: input.serverGroupName,
            MinSize: input.capacity.min,
            MaxSize: input.capacity.max,
            DesiredCapacity: input.capacity.desired,
          }),
        ),
      );
    },

    /**
     * Polls until the group has exactly `desired` InService and Healthy instances, heartbeating
     * what it sees, so the UI shows progress and a dead worker is noticed within the heartbeat
     * timeout (the retry then resumes with the same deadline).
     */
    async waitForServerGroupCapacity(input: WaitForCapacityInput): Promise<ConvergenceState> {
      const ctx = Context.current();
      for (;;) {
        const group = await look(input);
        if (!group) throw waitOutcome.groupGone(input);
        const state = convergence(input.serverGroupName, input.desired, group.instances, input.minHealthy);
        ctx.heartbeat(state);
        if (state.converged) return state;
        if (Date.now() >= input.deadlineMs) throw waitOutcome.capacityNotReached(input, state);
        // Context.sleep ends early when the activity is cancelled.
        await ctx.sleep(Math.min(input.pollIntervalMs, Math.max(0, input.deadlineMs - Date.now())));
      }
    },

    /** Suspends the named processes that are not suspended yet (see changeProcesses). */
    async suspendProcesses(input: ProcessesInput): Promise<ProcessesChange> {
      return changeProcesses(aws, describe, input, 'suspend');
    },

    /** Resumes the named processes that are suspended (see changeProcesses). */
    async resumeProcesses(input: ProcessesInput): Promise<ProcessesChange> {
      return changeProcesses(aws, describe, input, 'resume');
    },
  };
}

/** A group being deleted is as good as gone for every operation that acts on a live group. */
function live(found: DescribedServerGroup | undefined, ref: ServerGroupRef): ServerGroupSnapshot | null {
  if (!found || found.deleting) return null;
  return toSnapshot(found.group, ref.region);
}

/** An Auto Scaling group as the snapshot workflows decide on. */
export function toSnapshot(g: AutoScalingGroup, region: string): ServerGroupSnapshot {
  const lt = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  return {
    serverGroupName: g.AutoScalingGroupName ?? '',
    region,
    capacity: { min: g.MinSize ?? 0, max: g.MaxSize ?? 0, desired: g.DesiredCapacity ?? 0 },
    instances: (g.Instances ?? []).map((i) => ({
      instanceId: i.InstanceId ?? '',
      lifecycleState: i.LifecycleState ?? 'Unknown',
      healthStatus: i.HealthStatus ?? 'Unknown',
    })),
    suspendedProcesses: (g.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? '').filter(Boolean),
    targetGroupArns: g.TargetGroupARNs ?? [],
    loadBalancerNames: g.LoadBalancerNames ?? [],
    launchTemplate: lt ? { id: lt.LaunchTemplateId, name: lt.LaunchTemplateName, version: lt.Version } : undefined,
    ...(g.LaunchConfigurationName ? { launchConfigurationName: g.LaunchConfigurationName } : {}),
    tags: Object.fromEntries((g.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ''])),
    createdTimeMs: g.CreatedTime ? g.CreatedTime.getTime() : undefined,
  };
}

/**
 * Describes first, then asks AWS only for what is still to do. moto answers Suspend/ResumeProcesses
 * on a missing group with an HTML 500 that would be retried for the whole window, and AWS reads
 * an empty process list as "every process", so neither call may go out blind.
 */
async function changeProcesses(
  aws: AwsClientProvider,
  describe: (ref: ServerGroupRef) => Promise<ServerGroupSnapshot | null>,
  input: ProcessesInput,
  change: 'suspend' | 'resume',
): Promise<ProcessesChange> {
  const group = await describe(input);
  if (!group) return { found: false, changed: [] };
  const suspended = new Set(group.suspendedProcesses);
  const changed = input.processes.filter((p) => (change === 'suspend' ? !suspended.has(p) : suspended.has(p)));
  if (changed.length === 0) return { found: true, changed };
  const { autoScaling } = aws.clientsFor(input.account, input.region);
  const params = { AutoScalingGroupName: input.serverGroupName, ScalingProcesses: changed };
  const where = `${changed.join(', ')} of ${input.serverGroupName} in ${input.region}`;
  if (change === 'suspend') {
    await awsCall(`SuspendProcesses ${where}`, () => autoScaling.send(new SuspendProcessesCommand(params)));
  } else {
    await awsCall(`ResumeProcesses ${where}`, () => autoScaling.send(new ResumeProcessesCommand(params)));
  }
  return { found: true, changed };
}
