import { shortHash } from '../../domain/hash';
import type { DeleteAlarm, UpsertAlarm } from '../../domain/operations/schemas/alarms';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/**
 * Clouddriver's UpsertAlarmAtomicOperation: puts one metric alarm, named as given or
 * `[<group>-]alarm-<id>`; with `asgName` it watches that group (an `AutoScalingGroupName`
 * dimension), and after an upsertScalingPolicy earlier in the same task it also runs that policy
 * (the last one's ARN is added to the alarm actions). Clouddriver writes no history lines for it;
 * Bosun's say what it did. An alarm this task created is deleted again if the task then fails or
 * is cancelled; an existing alarm it replaced is not restored. Result: `{alarmName}`.
 */
export async function upsertAlarmOperation(ctx: OperationContext, d: UpsertAlarm): Promise<TaskOutput> {
  const alarmName = d.name ?? `${d.asgName ? `${d.asgName}-` : ''}alarm-${shortHash(`${d.asgName ?? ''}|${ctx.taskId}|${ctx.index}`)}`;
  const groupDimension = d.asgName ? [{ name: 'AutoScalingGroupName', value: d.asgName }] : [];
  // Clouddriver appends the group's dimension; an identical one already given is not sent twice (AWS refuses duplicates).
  const dimensions = [
    ...d.alarm.dimensions,
    ...groupDimension.filter((g) => !d.alarm.dimensions.some((x) => x.name === g.name && x.value === g.value)),
  ];
  const policyArn = lastPolicyArn(ctx.priorOutputs);
  const alarmActionArns =
    policyArn && !d.alarm.alarmActionArns.includes(policyArn) ? [...d.alarm.alarmActionArns, policyArn] : d.alarm.alarmActionArns;
  const ref = { account: d.account, region: d.region, alarmNames: [alarmName] };

  const existing = await ctx.call('describeMetricAlarms', `Describe alarm ${alarmName} in ${d.region}`, ref);
  const exists = existing.includes(alarmName);
  if (!exists) {
    // Registered before the put: a put whose answer never arrived may still have made it.
    ctx.onFailure(`delete alarm ${alarmName} in ${d.region}`, async () => {
      try {
        await ctx.call('deleteMetricAlarms', `Delete alarm ${alarmName} in ${d.region}`, ref);
      } catch (err) {
        ctx.log(`Could not delete alarm ${alarmName} in ${d.region}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }
  const a = d.alarm;
  ctx.log(
    `${exists ? 'Updating' : 'Creating'} alarm ${alarmName} in ${d.region}: ${a.statistic} of ${a.namespace} ${a.metricName} ` +
      `${a.comparisonOperator} ${a.threshold} for ${a.evaluationPeriods} x ${a.periodSeconds} s` +
      `${policyArn ? `, running scaling policy ${policyArn}` : ''}`,
  );
  await ctx.call('putMetricAlarm', `Put alarm ${alarmName} in ${d.region}`, {
    account: d.account,
    region: d.region,
    alarmName,
    alarm: { ...a, dimensions, alarmActionArns },
  });
  ctx.log(`Alarm ${alarmName} is in place in ${d.region}`);
  return { resultObjects: [{ alarmName }] };
}

/** Clouddriver's DeleteAlarmAtomicOperation, with its history lines; alarms already gone are success. */
export async function deleteAlarmOperation(ctx: OperationContext, d: DeleteAlarm): Promise<TaskOutput> {
  const what = `${d.names.join(', ')} in ${d.region} for ${d.account}`;
  ctx.log('Initializing Delete Alarm Operation...');
  ctx.log(`Deleting ${what}.`);
  await ctx.call('deleteMetricAlarms', `Delete alarms ${d.names.join(', ')} in ${d.region}`, {
    account: d.account,
    region: d.region,
    alarmNames: d.names,
  });
  ctx.log(`Done deleting ${what}.`);
  return { resultObjects: [] };
}

/** The ARN of the last scaling policy an earlier operation of the task put (Clouddriver's UpsertScalingPolicyResult). */
function lastPolicyArn(priorOutputs: readonly TaskOutput[]): string | undefined {
  for (const output of [...priorOutputs].reverse()) {
    for (const r of [...output.resultObjects].reverse()) {
      const arn = (r as { policyArn?: unknown } | null)?.policyArn;
      if (typeof arn === 'string' && arn) return arn;
    }
  }
  return undefined;
}
