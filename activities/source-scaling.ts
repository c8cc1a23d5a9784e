/**
 * What a deploy with a source carries over besides the group's own settings: the source's scaling
 * policies with their CloudWatch alarms, and its scheduled actions (Clouddriver's
 * DefaultScalingPolicyCopier and AsgReferenceCopier, run by BasicAmazonDeployHandler when
 * `copySourceScalingPoliciesAndActions` is true, its default).
 *
 * Clouddriver names each copy with a random id (or, for a policy with an alarm, the time); here
 * that part is a hash of the source's own name, so a retried attempt writes the same names and
 * AWS's Put* calls, which create or update by name, leave one copy. The alarms are separate
 * CloudWatch resources that outlive the group: each carries the `bosun:created-by-task` tag, so a
 * rollback deletes exactly the ones its deploy made (`deleteCopiedAlarms`).
 */
import { createHash } from 'node:crypto';
import type { AutoScalingClient, ScalingPolicy, ScheduledUpdateGroupAction } from '@aws-sdk/client-auto-scaling';
import {
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
  PutScalingPolicyCommand,
  PutScheduledUpdateGroupActionCommand,
} from '@aws-sdk/client-auto-scaling';
import type { CloudWatchClient, Dimension, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DeleteAlarmsCommand, DescribeAlarmsCommand, ListTagsForResourceCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import type { SourceRef } from '../domain/operations/schemas/create-server-group';
import { CREATED_BY_TAG } from '../domain/task';
import { awsCall, isAwsNotFound } from './aws-errors';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';
import { allPages } from './paging';

export interface CopySourceScalingInput {
  readonly source: SourceRef;
  readonly target: SourceRef;
  readonly createdBy: string;
}

export interface CopiedScaling {
  /** False when the source group is gone: Clouddriver then copies nothing and deploys on. */
  readonly sourceFound: boolean;
  readonly policies: readonly string[];
  readonly alarms: readonly string[];
  readonly scheduledActions: readonly string[];
}

const ASG_DIMENSION = 'AutoScalingGroupName';
/** DescribeAlarms takes at most 100 names per call. */
const ALARM_NAMES_PER_CALL = 100;

/** The deploy activities that copy a source's scaling and delete the alarms a deploy copied. */
export function createSourceScalingActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Copies the source group's scaling policies (rewriting a target-tracking customized metric's
     * group dimension to the new group), the alarms those policies use (with the group dimension
     * and the policy actions pointed at the new group and its policies), and its scheduled
     * actions. Across regions or accounts, actions that name the source's region or account
     * (SNS topics, say) are dropped, as Clouddriver drops them.
     */
    async copySourceScaling(input: CopySourceScalingInput): Promise<CopiedScaling> {
      const src = aws.clientsFor(input.source.account, input.source.region);
      const tgt = aws.clientsFor(input.target.account, input.target.region);
      const sourceName = input.source.serverGroupName;
      const targetName = input.target.serverGroupName;
      if (!(await describeOneServerGroup(src.autoScaling, { ...input.source }))) {
        return { sourceFound: false, policies: [], alarms: [], scheduledActions: [] };
      }

      const policies = await allPolicies(src.autoScaling, sourceName, input.source.region);
      const alarmNames = [...new Set(policies.flatMap((p) => (p.Alarms ?? []).map((a) => a.AlarmName ?? '').filter(Boolean)))];
      const sourceAlarms = await alarmsNamed(src.cloudWatch, alarmNames, input.source.region);
      const alarmByName = new Map(sourceAlarms.map((a) => [a.AlarmName!, a]));

      const arnBySourceArn = new Map<string, string>();
      const copiedPolicies: string[] = [];
      for (const p of policies) {
        const firstAlarm = alarmByName.get(p.Alarms?.[0]?.AlarmName ?? '');
        const name = copiedPolicyName(p, sourceName, targetName, firstAlarm);
        const out = await awsCall(`PutScalingPolicy ${name} on ${targetName}`, () =>
          tgt.autoScaling.send(new PutScalingPolicyCommand(policyRequest(p, name, targetName))),
        );
        if (p.PolicyARN && out.PolicyARN) arnBySourceArn.set(p.PolicyARN, out.PolicyARN);
        copiedPolicies.push(name);
      }

      const sourceAccountId = aws.account(input.source.account)?.accountId;
      const targetAccountId = aws.account(input.target.account)?.accountId;
      const rewriteActions = (actions: readonly string[] | undefined): string[] => {
        let out = (actions ?? []).map((a) => arnBySourceArn.get(a) ?? a);
        if (input.source.region !== input.target.region) out = out.filter((a) => !a.includes(input.source.region));
        if (sourceAccountId && targetAccountId && sourceAccountId !== targetAccountId)
          out = out.filter((a) => !a.includes(sourceAccountId));
        return out;
      };
      const copiedAlarms: string[] = [];
      // AWS makes a target-tracking policy's alarms itself: copying them would duplicate them.
      for (const alarm of sourceAlarms.filter((a) => !a.AlarmName!.startsWith('TargetTracking-'))) {
        const name = `${targetName}-alarm-${idOf(sourceName, alarm.AlarmName!)}`;
        const dimensions: Dimension[] = (alarm.Dimensions ?? []).filter((d) => d.Name !== ASG_DIMENSION);
        if (alarm.Dimensions?.some((d) => d.Name === ASG_DIMENSION)) dimensions.push({ Name: ASG_DIMENSION, Value: targetName });
        await awsCall(`PutMetricAlarm ${name} for ${targetName}`, () =>
          tgt.cloudWatch.send(
            new PutMetricAlarmCommand({
              AlarmName: name,
              AlarmDescription: alarm.AlarmDescription,
              ActionsEnabled: alarm.ActionsEnabled,
              OKActions: rewriteActions(alarm.OKActions),
              AlarmActions: rewriteActions(alarm.AlarmActions),
              InsufficientDataActions: rewriteActions(alarm.InsufficientDataActions),
              MetricName: alarm.MetricName,
              Namespace: alarm.Namespace,
              Statistic: alarm.Statistic,
              ExtendedStatistic: alarm.ExtendedStatistic,
              Dimensions: dimensions,
              Period: alarm.Period,
              Unit: alarm.Unit,
              EvaluationPeriods: alarm.EvaluationPeriods,
              Threshold: alarm.Threshold,
              ComparisonOperator: alarm.ComparisonOperator,
              Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }],
            }),
          ),
        );
        copiedAlarms.push(name);
      }

      const copiedActions: string[] = [];
      for (const a of await allScheduledActions(src.autoScaling, sourceName, input.source.region)) {
        const name = `${targetName}-schedule-${idOf(sourceName, a.ScheduledActionName ?? '')}`;
        const start = a.StartTime ?? a.Time;
        await awsCall(`PutScheduledUpdateGroupAction ${name} on ${targetName}`, () =>
          tgt.autoScaling.send(
            new PutScheduledUpdateGroupActionCommand({
              AutoScalingGroupName: targetName,
              ScheduledActionName: name,
              EndTime: a.EndTime,
              Recurrence: a.Recurrence,
              MinSize: a.MinSize,
              MaxSize: a.MaxSize,
              DesiredCapacity: a.DesiredCapacity,
              // A start in the past is refused by AWS; Clouddriver sends it only when it is ahead.
              ...(start && start.getTime() > Date.now() ? { StartTime: start } : {}),
            }),
          ),
        );
        copiedActions.push(name);
      }
      return { sourceFound: true, policies: copiedPolicies, alarms: copiedAlarms, scheduledActions: copiedActions };
    },

    /**
     * Deletes the alarms `copySourceScaling` made for a group (named `<group>-alarm-…` and tagged
     * with this deploy), and no other. The group's policies and scheduled actions go with the group.
     */
    async deleteCopiedAlarms(input: {
      account: string;
      region: string;
      serverGroupName: string;
      createdBy: string;
    }): Promise<{ deleted: string[] }> {
      const c = aws.clientsFor(input.account, input.region);
      const ours: string[] = [];
      let NextToken: string | undefined;
      do {
        const out = await awsCall(`DescribeAlarms ${input.serverGroupName}-alarm-* in ${input.region}`, () =>
          c.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${input.serverGroupName}-alarm-`, NextToken })),
        );
        for (const a of out.MetricAlarms ?? []) {
          if (!a.AlarmArn || !a.AlarmName) continue;
          const tags = await awsCall(`ListTagsForResource ${a.AlarmName}`, () =>
            c.cloudWatch.send(new ListTagsForResourceCommand({ ResourceARN: a.AlarmArn })),
          );
          if (tags.Tags?.some((t) => t.Key === CREATED_BY_TAG && t.Value === input.createdBy)) ours.push(a.AlarmName);
        }
        NextToken = out.NextToken;
      } while (NextToken);
      for (let i = 0; i < ours.length; i += ALARM_NAMES_PER_CALL) {
        const batch = ours.slice(i, i + ALARM_NAMES_PER_CALL);
        await awsCall(`DeleteAlarms ${batch.join(', ')}`, () => c.cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: batch }))).catch(
          (err: unknown) => {
            if (isAwsNotFound(err, 'alarm')) return;
            throw err;
          },
        );
      }
      return { deleted: ours };
    },
  };
}

/** A short, stable stand-in for Clouddriver's random id: the same source item always gets the same copy name. */
function idOf(sourceGroup: string, item: string): string {
  return createHash('sha256').update(`${sourceGroup}\u0000${item}`).digest('hex').slice(0, 12);
}

/** Java's Double.toString for the values alarms hold (50 → "50.0"), as Clouddriver's name has it. */
function javaDouble(n: number | undefined): string {
  if (n === undefined) return 'null';
  return Number.isInteger(n) && Math.abs(n) < 1e7 ? n.toFixed(1) : String(n);
}

/** DefaultScalingPolicyCopier.PolicyNameGenerator, with a stable id where it puts the time or a random id. */
export function copiedPolicyName(
  policy: ScalingPolicy,
  sourceName: string,
  targetName: string,
  firstAlarm: MetricAlarm | undefined,
): string {
  const original = policy.PolicyName ?? '';
  const id = idOf(sourceName, original);
  if (!firstAlarm) {
    return original.includes(sourceName) ? original.split(sourceName).join(targetName) : [original, 'no-alarm', id].join('-');
  }
  const a = firstAlarm;
  // A policy name cannot hold ':', which namespaces and metric names may.
  return [targetName, a.Namespace, a.MetricName, a.ComparisonOperator, javaDouble(a.Threshold), a.EvaluationPeriods, a.Period, id]
    .join('-')
    .split(':')
    .join('-');
}

function policyRequest(p: ScalingPolicy, name: string, targetName: string) {
  const tt = p.TargetTrackingConfiguration;
  const custom = tt?.CustomizedMetricSpecification;
  return {
    AutoScalingGroupName: targetName,
    PolicyName: name,
    PolicyType: p.PolicyType,
    ScalingAdjustment: p.ScalingAdjustment,
    AdjustmentType: p.AdjustmentType,
    Cooldown: p.Cooldown,
    MinAdjustmentStep: p.MinAdjustmentStep,
    MinAdjustmentMagnitude: p.MinAdjustmentMagnitude,
    MetricAggregationType: p.MetricAggregationType,
    StepAdjustments: p.StepAdjustments,
    EstimatedInstanceWarmup: p.EstimatedInstanceWarmup,
    TargetTrackingConfiguration:
      tt && custom
        ? {
            ...tt,
            CustomizedMetricSpecification: {
              ...custom,
              Dimensions: custom.Dimensions?.map((d) => (d.Name === ASG_DIMENSION ? { ...d, Value: targetName } : d)),
            },
          }
        : tt,
    // Clouddriver sends no predictive configuration (AWS refuses such a policy without one).
    ...(p.PolicyType === 'PredictiveScaling' ? { PredictiveScalingConfiguration: p.PredictiveScalingConfiguration } : {}),
  };
}

async function allPolicies(as: AutoScalingClient, group: string, region: string): Promise<ScalingPolicy[]> {
  return allPages(async (NextToken) => {
    const out = await awsCall(`DescribePolicies of ${group} in ${region}`, () =>
      as.send(new DescribePoliciesCommand({ AutoScalingGroupName: group, NextToken })),
    );
    return { items: out.ScalingPolicies ?? [], next: out.NextToken };
  });
}

async function allScheduledActions(as: AutoScalingClient, group: string, region: string): Promise<ScheduledUpdateGroupAction[]> {
  return allPages(async (NextToken) => {
    const out = await awsCall(`DescribeScheduledActions of ${group} in ${region}`, () =>
      as.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: group, NextToken })),
    );
    return { items: out.ScheduledUpdateGroupActions ?? [], next: out.NextToken };
  });
}

async function alarmsNamed(cw: CloudWatchClient, names: readonly string[], region: string): Promise<MetricAlarm[]> {
  const all: MetricAlarm[] = [];
  for (let i = 0; i < names.length; i += ALARM_NAMES_PER_CALL) {
    const batch = names.slice(i, i + ALARM_NAMES_PER_CALL);
    const alarms = await allPages(async (NextToken) => {
      const out = await awsCall(`DescribeAlarms ${batch.join(', ')} in ${region}`, () =>
        cw.send(new DescribeAlarmsCommand({ AlarmNames: batch, NextToken })),
      );
      return { items: out.MetricAlarms ?? [], next: out.NextToken };
    });
    all.push(...alarms);
  }
  return all;
}
