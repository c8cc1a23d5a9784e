/**
 * Auto Scaling policies and the CloudWatch alarms that trigger them. Puts are upserts by name,
 * deletes treat "already gone" as success, so every step may run again after a lost answer.
 */
import type {
  AutoScalingClient,
  MetricStatistic,
  MetricType,
  PutScalingPolicyCommandInput,
  ScalingPolicy,
} from '@aws-sdk/client-auto-scaling';
import { DeletePolicyCommand, DescribePoliciesCommand, PutScalingPolicyCommand } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchClient, ComparisonOperator, MetricAlarm, StandardUnit, Statistic } from '@aws-sdk/client-cloudwatch';
import { DeleteAlarmsCommand, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type { AlarmConfig, Dimension, ScalingPolicyConfig } from '../domain/operations/schemas/upsert-scaling-policy';
import { policyTypeOf } from '../domain/operations/schemas/upsert-scaling-policy';
import { awsCall, awsDelete, isAwsNotFound } from './aws-errors';
import type { ActivityDeps } from './deps';

export interface ScalingPolicyRef {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly policyName: string;
}

export interface ScalingPolicySnapshot {
  readonly policyName: string;
  readonly policyArn: string;
  readonly policyType: string | undefined;
  /** Alarms AWS lists as triggering this policy. */
  readonly alarmNames: readonly string[];
}

export interface PutScalingPolicyInput extends ScalingPolicyRef {
  readonly policy: ScalingPolicyConfig;
}

export interface ScalingAlarmRef {
  readonly account: string;
  readonly region: string;
  /** The group the alarm watches by default, and the one messages name. */
  readonly serverGroupName: string;
  readonly alarmName: string;
}

export interface PutScalingAlarmInput extends ScalingAlarmRef {
  readonly alarm: AlarmConfig;
  readonly policyArn: string;
}

async function findPolicy(autoScaling: AutoScalingClient, ref: ScalingPolicyRef): Promise<ScalingPolicy | undefined> {
  const out = await awsCall(`DescribePolicies ${ref.policyName} of ${ref.serverGroupName} in ${ref.region}`, () =>
    autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: ref.serverGroupName, PolicyNames: [ref.policyName] })),
  );
  return out.ScalingPolicies?.find((p) => p.PolicyName === ref.policyName && p.AutoScalingGroupName === ref.serverGroupName);
}

async function findAlarm(cloudWatch: CloudWatchClient, ref: ScalingAlarmRef): Promise<MetricAlarm | undefined> {
  const out = await awsCall(`DescribeAlarms ${ref.alarmName} in ${ref.region}`, () =>
    cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [ref.alarmName], AlarmTypes: ['MetricAlarm'] })),
  );
  return out.MetricAlarms?.find((a) => a.AlarmName === ref.alarmName);
}

const toAwsDimensions = (ds: readonly Dimension[]) => ds.map((d) => ({ Name: d.name, Value: d.value }));

/** The PutScalingPolicy request for a policy configuration. */
export function putScalingPolicyRequest(input: PutScalingPolicyInput): PutScalingPolicyCommandInput {
  const p = input.policy;
  const base = { AutoScalingGroupName: input.serverGroupName, PolicyName: input.policyName, PolicyType: policyTypeOf(p) };
  switch (p.kind) {
    case 'simple':
      return {
        ...base,
        AdjustmentType: p.adjustmentType,
        MinAdjustmentMagnitude: p.minAdjustmentMagnitude,
        ScalingAdjustment: p.scalingAdjustment,
        Cooldown: p.cooldownSeconds,
      };
    case 'step':
      return {
        ...base,
        AdjustmentType: p.adjustmentType,
        MinAdjustmentMagnitude: p.minAdjustmentMagnitude,
        StepAdjustments: p.stepAdjustments.map((s) => ({
          ScalingAdjustment: s.scalingAdjustment,
          MetricIntervalLowerBound: s.lowerBound,
          MetricIntervalUpperBound: s.upperBound,
        })),
        EstimatedInstanceWarmup: p.estimatedInstanceWarmupSeconds,
        MetricAggregationType: p.metricAggregationType,
      };
    case 'targetTracking':
      return {
        ...base,
        EstimatedInstanceWarmup: p.estimatedInstanceWarmupSeconds,
        TargetTrackingConfiguration: {
          TargetValue: p.targetValue,
          DisableScaleIn: p.disableScaleIn,
          PredefinedMetricSpecification: p.predefinedMetric && {
            PredefinedMetricType: p.predefinedMetric.type as MetricType,
            ResourceLabel: p.predefinedMetric.resourceLabel,
          },
          CustomizedMetricSpecification: p.customizedMetric && {
            MetricName: p.customizedMetric.metricName,
            Namespace: p.customizedMetric.namespace,
            Statistic: p.customizedMetric.statistic as MetricStatistic,
            Unit: p.customizedMetric.unit,
            Dimensions: p.customizedMetric.dimensions && toAwsDimensions(p.customizedMetric.dimensions),
          },
        },
      };
  }
}

/** Activities on a group's scaling policies and their CloudWatch alarms. */
export function createScalingPolicyActivities({ aws }: ActivityDeps) {
  return {
    /** One policy of a group by name; `null` when the group has no policy of that name. */
    async describeScalingPolicy(input: ScalingPolicyRef): Promise<ScalingPolicySnapshot | null> {
      const policy = await findPolicy(aws.clientsFor(input.account, input.region).autoScaling, input);
      if (!policy?.PolicyARN) return null;
      return {
        policyName: input.policyName,
        policyArn: policy.PolicyARN,
        policyType: policy.PolicyType,
        alarmNames: (policy.Alarms ?? []).map((a) => a.AlarmName ?? '').filter(Boolean),
      };
    },

    /**
     * Creates or updates the policy (PutScalingPolicy is an upsert by name) and returns its ARN.
     * AWS answers the ARN; moto does not, so it is then read back with DescribePolicies.
     */
    async putScalingPolicy(input: PutScalingPolicyInput): Promise<{ policyArn: string }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const out = await awsCall(`PutScalingPolicy ${input.policyName} on ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(new PutScalingPolicyCommand(putScalingPolicyRequest(input))),
      );
      const policyArn = out.PolicyARN ?? (await findPolicy(autoScaling, input))?.PolicyARN;
      if (!policyArn) {
        // Read-after-write lag: the next attempt puts the same policy again and looks once more.
        throw ApplicationFailure.retryable(
          `scaling policy ${input.policyName} on ${input.serverGroupName} in ${input.region} was put but DescribePolicies does not list it yet`,
          FailureType.PolicyNotVisibleYet,
        );
      }
      return { policyArn };
    },

    /** Deletes the policy; a policy that is not there is success. */
    async deleteScalingPolicy(input: ScalingPolicyRef): Promise<{ deleted: boolean }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      if (!(await findPolicy(autoScaling, input))) return { deleted: false };
      await awsCall(`DeletePolicy ${input.policyName} of ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(new DeletePolicyCommand({ AutoScalingGroupName: input.serverGroupName, PolicyName: input.policyName })),
      );
      return { deleted: true };
    },

    /** An alarm's actions, or `null` when no metric alarm has that name. */
    async describeScalingPolicyAlarm(input: ScalingAlarmRef): Promise<{ alarmActions: readonly string[] } | null> {
      const alarm = await findAlarm(aws.clientsFor(input.account, input.region).cloudWatch, input);
      return alarm ? { alarmActions: alarm.AlarmActions ?? [] } : null;
    },

    /**
     * Creates or updates the alarm (PutMetricAlarm is an upsert by name) so that it runs the
     * policy. An existing alarm keeps its other actions: PutMetricAlarm replaces lists whole.
     */
    async putScalingPolicyAlarm(input: PutScalingAlarmInput): Promise<void> {
      const { cloudWatch } = aws.clientsFor(input.account, input.region);
      const existing = await findAlarm(cloudWatch, input);
      const a = input.alarm;
      const dimensions = a.dimensions ?? [{ name: 'AutoScalingGroupName', value: input.serverGroupName }];
      await awsCall(`PutMetricAlarm ${input.alarmName} for ${input.serverGroupName} in ${input.region}`, () =>
        cloudWatch.send(
          new PutMetricAlarmCommand({
            AlarmName: input.alarmName,
            AlarmDescription: a.description ?? existing?.AlarmDescription,
            MetricName: a.metricName,
            Namespace: a.namespace,
            Statistic: a.statistic as Statistic,
            ComparisonOperator: a.comparisonOperator as ComparisonOperator,
            Threshold: a.threshold,
            EvaluationPeriods: a.evaluationPeriods,
            Period: a.periodSeconds,
            Unit: a.unit as StandardUnit | undefined,
            Dimensions: toAwsDimensions(dimensions),
            AlarmActions: [...new Set([...(existing?.AlarmActions ?? []), input.policyArn])],
            OKActions: existing?.OKActions,
            InsufficientDataActions: existing?.InsufficientDataActions,
          }),
        ),
      );
    },

    /** Deletes the alarm; an alarm that is not there is success. */
    async deleteScalingPolicyAlarm(input: ScalingAlarmRef): Promise<{ deleted: boolean }> {
      const { cloudWatch } = aws.clientsFor(input.account, input.region);
      if (!(await findAlarm(cloudWatch, input))) return { deleted: false };
      return {
        deleted: await awsDelete(
          `DeleteAlarms ${input.alarmName} in ${input.region}`,
          () => cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: [input.alarmName] })),
          (err) => isAwsNotFound(err, 'alarm'),
        ),
      };
    },
  };
}
