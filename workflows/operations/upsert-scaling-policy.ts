import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { UpsertScalingPolicy } from '../../domain/operations/schemas/upsert-scaling-policy';
import { formatAlarm, formatScalingPolicy, scalingAlarmName, scalingPolicyName } from '../../domain/operations/scaling-policies';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { describeTargetGroup } from './target-group';

/**
 * Clouddriver's UpsertAsgScalingPolicyAtomicOperation, made durable and all-or-nothing: a policy
 * this task creates is deleted again if its alarm (or anything later in the task) fails, so the
 * task never leaves a policy without its alarm. Updating an existing policy is not undone.
 */
export async function upsertScalingPolicyOperation(ctx: OperationContext, d: UpsertScalingPolicy): Promise<TaskOutput> {
  const resultObjects: Record<string, string>[] = [];
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    await describeTargetGroup(ctx, ref, 'no scaling policy was put');

    const policyName = d.policyName ?? scalingPolicyName(serverGroupName, ctx.taskId, ctx.index);
    const policyRef = { ...ref, policyName };
    let existingAlarms: readonly string[] = [];
    if (d.policyName) {
      const existing = await ctx.call('describeScalingPolicy', `Describe scaling policy ${policyName} of ${where}`, policyRef);
      if (!existing) {
        throw ApplicationFailure.nonRetryable(
          `${where} has no scaling policy named ${policyName} to update; leave out name to create a policy`,
          FailureType.ScalingPolicyNotFound,
        );
      }
      existingAlarms = existing.alarmNames;
    } else {
      // Registered before the put: a put whose answer never arrived may still have made the policy.
      ctx.onFailure(`delete scaling policy ${policyName} of ${where}`, () =>
        undo(ctx, `scaling policy ${policyName} of ${where}`, () =>
          ctx.call('deleteScalingPolicy', `Delete scaling policy ${policyName} of ${where}`, policyRef),
        ),
      );
    }

    const policyText = formatScalingPolicy(d.policy);
    ctx.log(`${d.policyName ? 'Updating' : 'Creating'} scaling policy ${policyName} on ${where}: ${policyText}`);
    const { policyArn } = await ctx.call('putScalingPolicy', `Put scaling policy ${policyName} on ${where}: ${policyText}`, {
      ...policyRef,
      policy: d.policy,
    });

    let alarmName: string | undefined;
    if (d.alarm) {
      alarmName = d.alarm.name ?? existingAlarms[0] ?? scalingAlarmName(policyName);
      const alarmRef = { ...ref, alarmName };
      const before = await ctx.call('describeScalingPolicyAlarm', `Describe alarm ${alarmName}`, alarmRef);
      if (!before) {
        // Registered after the policy's undo, so it runs first: no alarm ever points at a deleted policy.
        ctx.onFailure(`delete alarm ${alarmName} of ${where}`, () =>
          undo(ctx, `alarm ${alarmName} of ${where}`, () =>
            ctx.call('deleteScalingPolicyAlarm', `Delete alarm ${alarmName} of ${where}`, alarmRef),
          ),
        );
      }
      const alarmText = `when ${formatAlarm(d.alarm)}, run ${policyName}`;
      ctx.log(`${before ? 'Updating' : 'Creating'} alarm ${alarmName}: ${alarmText}`);
      await ctx.call('putScalingPolicyAlarm', `Put alarm ${alarmName}: ${alarmText}`, { ...alarmRef, alarm: d.alarm, policyArn });
    }

    ctx.log(`Scaling policy ${policyName} is in place on ${where}${alarmName ? ` with alarm ${alarmName}` : ''}`);
    resultObjects.push({ serverGroupName, region, policyName, policyArn, ...(alarmName ? { alarmName } : {}) });
  }
  return { resultObjects };
}

/** An undo step that reports its own failure instead of hiding the task's real one. */
async function undo(ctx: OperationContext, what: string, step: () => Promise<{ deleted: boolean }>): Promise<void> {
  try {
    const { deleted } = await step();
    ctx.log(deleted ? `Deleted ${what}` : `No ${what} to delete`);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    ctx.log(`Could not delete ${what}; delete it by hand: ${cause instanceof Error ? cause.message : String(err)}`);
  }
}
