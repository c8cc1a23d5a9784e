import { z } from 'zod';
import type { ServerGroupsDescription } from './common';
import { ON_OBJECTS, applicationOf, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupsOf } from './common';
import { statisticSchema, THRESHOLD_COMPARISON_OPERATORS } from './alarms';
import type { AlarmConfig, ScalingPolicyConfig } from '../scaling-policies';
import { AdjustmentType, formatAlarm, formatScalingPolicy } from '../scaling-policies';

export type { AlarmConfig, Dimension, ScalingPolicyConfig, StepAdjustment } from '../scaling-policies';
export { AdjustmentType, formatAlarm, formatScalingPolicy, policyTypeOf, scalingAlarmName, scalingPolicyName } from '../scaling-policies';

const int = z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' });
const bound = z.number({ error: 'must be a number' });
const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

/** Clouddriver sends CloudWatch dimensions as `{name, value}`. */
const dimensionsSchema = z
  .array(z.looseObject({ name: text(255), value: text(1024) }))
  .max(30, { error: 'must list at most 30 dimensions' });

const stepAdjustmentSchema = z
  .looseObject({
    scalingAdjustment: int,
    metricIntervalLowerBound: bound.optional(),
    metricIntervalUpperBound: bound.optional(),
  })
  .superRefine((s, ctx) => {
    const [lower, upper] = [s.metricIntervalLowerBound, s.metricIntervalUpperBound];
    if (typeof lower === 'number' && typeof upper === 'number' && lower >= upper) {
      ctx.addIssue({
        code: 'custom',
        path: ['metricIntervalUpperBound'],
        message: `must be greater than metricIntervalLowerBound (${upper} <= ${lower})`,
      });
    }
  }, ON_OBJECTS);

const targetTrackingSchema = z
  .looseObject({
    targetValue: z.number({ error: 'must be a number' }),
    disableScaleIn: z.boolean({ error: 'must be true or false' }).optional(),
    predefinedMetricSpecification: z
      .looseObject({
        predefinedMetricType: z.enum(
          ['ASGAverageCPUUtilization', 'ASGAverageNetworkIn', 'ASGAverageNetworkOut', 'ALBRequestCountPerTarget'],
          {
            error: 'must be ASGAverageCPUUtilization, ASGAverageNetworkIn, ASGAverageNetworkOut or ALBRequestCountPerTarget',
          },
        ),
        resourceLabel: text(1023).optional(),
      })
      .optional(),
    customizedMetricSpecification: z
      .looseObject({
        metricName: text(255),
        namespace: text(255),
        statistic: statisticSchema,
        unit: text(64).optional(),
        dimensions: dimensionsSchema.optional(),
      })
      .optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.predefinedMetricSpecification === undefined) === (t.customizedMetricSpecification === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'must set exactly one of predefinedMetricSpecification, customizedMetricSpecification' });
    }
  });

const alarmSchema = z
  .looseObject({
    /** Clouddriver lets callers name the alarm; otherwise Bosun derives it from the policy. */
    name: text(255).optional(),
    alarmDescription: text(1024).optional(),
    metricName: text(255),
    namespace: text(255),
    statistic: statisticSchema,
    comparisonOperator: z.enum(THRESHOLD_COMPARISON_OPERATORS, { error: `must be one of ${THRESHOLD_COMPARISON_OPERATORS.join(', ')}` }),
    threshold: z.number({ error: 'must be a number' }),
    evaluationPeriods: int.min(1, { error: 'must be 1 or more' }),
    period: int.min(10, { error: 'must be 10, 30 or a multiple of 60 seconds' }),
    unit: text(64).optional(),
    dimensions: dimensionsSchema.optional(),
  })
  .superRefine((a, ctx) => {
    // Runs even when other alarm fields are wrong (ON_OBJECTS), so trust no types here.
    const allowed = a.period === 10 || a.period === 30 || a.period % 60 === 0;
    if (Number.isInteger(a.period) && a.period >= 10 && !allowed) {
      ctx.addIssue({ code: 'custom', path: ['period'], message: `must be 10, 30 or a multiple of 60 seconds, got ${a.period}` });
    }
  }, ON_OBJECTS);

/**
 * Clouddriver's `UpsertAsgScalingPolicyDescription`: one of `simple`, `step` or
 * `targetTrackingConfiguration`, with an optional CloudWatch `alarm` that triggers it.
 */
export const upsertScalingPolicySchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    name: text(255).optional(),
    adjustmentType: z
      .enum([AdjustmentType.changeInCapacity, AdjustmentType.exactCapacity, AdjustmentType.percentChangeInCapacity], {
        error: 'must be ChangeInCapacity, ExactCapacity or PercentChangeInCapacity',
      })
      .optional(),
    minAdjustmentMagnitude: int.min(1, { error: 'must be 1 or more' }).optional(),
    simple: z.looseObject({ scalingAdjustment: int, cooldown: int.min(0, { error: 'must be 0 or more' }).optional() }).optional(),
    step: z
      .looseObject({
        stepAdjustments: z
          .array(stepAdjustmentSchema)
          .min(1, { error: 'must list at least one step adjustment' })
          .max(20, { error: 'must list at most 20 step adjustments (the AWS limit)' }),
        estimatedInstanceWarmup: int.min(0, { error: 'must be 0 or more' }).optional(),
        metricAggregationType: z.enum(['Minimum', 'Maximum', 'Average'], { error: 'must be Minimum, Maximum or Average' }).optional(),
      })
      .optional(),
    targetTrackingConfiguration: targetTrackingSchema.optional(),
    estimatedInstanceWarmup: int.min(0, { error: 'must be 0 or more' }).optional(),
    alarm: alarmSchema.optional(),
  })
  .superRefine(checkAccountAndTargets, ON_OBJECTS)
  .superRefine((d, ctx) => {
    const kinds = (['simple', 'step', 'targetTrackingConfiguration'] as const).filter((k) => d[k] !== undefined);
    if (kinds.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['simple'], message: 'one of simple, step or targetTrackingConfiguration is required' });
    } else if (kinds.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [kinds[1]!],
        message: `give only one of simple, step, targetTrackingConfiguration (got ${kinds.join(' and ')})`,
      });
    }
    if (d.targetTrackingConfiguration !== undefined) {
      if (d.alarm !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['alarm'],
          message: 'is not allowed with targetTrackingConfiguration: AWS creates and manages the alarms of a target tracking policy',
        });
      }
      if (d.adjustmentType !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['adjustmentType'], message: 'does not apply to a target tracking policy' });
      }
    }
    if (d.minAdjustmentMagnitude !== undefined && d.adjustmentType !== AdjustmentType.percentChangeInCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['minAdjustmentMagnitude'],
        message: `applies only when adjustmentType is PercentChangeInCapacity (got ${d.adjustmentType ?? 'none'})`,
      });
    }
  }, ON_OBJECTS)
  .transform((d): UpsertScalingPolicy => ({
    ...serverGroupsOf(d),
    policyName: d.name,
    policy: toPolicy(d),
    alarm: d.alarm && {
      name: d.alarm.name,
      description: d.alarm.alarmDescription,
      metricName: d.alarm.metricName,
      namespace: d.alarm.namespace,
      statistic: d.alarm.statistic,
      comparisonOperator: d.alarm.comparisonOperator,
      threshold: d.alarm.threshold,
      evaluationPeriods: d.alarm.evaluationPeriods,
      periodSeconds: d.alarm.period,
      unit: d.alarm.unit,
      dimensions: d.alarm.dimensions?.map((x) => ({ name: x.name, value: x.value })),
    },
    application: applicationOf(d),
  }));

function toPolicy(d: {
  adjustmentType?: AdjustmentType | undefined;
  minAdjustmentMagnitude?: number | undefined;
  estimatedInstanceWarmup?: number | undefined;
  simple?: { scalingAdjustment: number; cooldown?: number | undefined } | undefined;
  step?:
    | {
        stepAdjustments: {
          scalingAdjustment: number;
          metricIntervalLowerBound?: number | undefined;
          metricIntervalUpperBound?: number | undefined;
        }[];
        estimatedInstanceWarmup?: number | undefined;
        metricAggregationType?: 'Minimum' | 'Maximum' | 'Average' | undefined;
      }
    | undefined;
  targetTrackingConfiguration?: z.output<typeof targetTrackingSchema> | undefined;
}): ScalingPolicyConfig {
  // Clouddriver defaults the adjustment type the same way.
  const adjustmentType = d.adjustmentType ?? AdjustmentType.changeInCapacity;
  if (d.simple) {
    return {
      kind: 'simple',
      adjustmentType,
      minAdjustmentMagnitude: d.minAdjustmentMagnitude,
      scalingAdjustment: d.simple.scalingAdjustment,
      cooldownSeconds: d.simple.cooldown,
    };
  }
  if (d.step) {
    return {
      kind: 'step',
      adjustmentType,
      minAdjustmentMagnitude: d.minAdjustmentMagnitude,
      stepAdjustments: d.step.stepAdjustments.map((s) => ({
        scalingAdjustment: s.scalingAdjustment,
        lowerBound: s.metricIntervalLowerBound,
        upperBound: s.metricIntervalUpperBound,
      })),
      estimatedInstanceWarmupSeconds: d.step.estimatedInstanceWarmup ?? d.estimatedInstanceWarmup,
      metricAggregationType: d.step.metricAggregationType,
    };
  }
  const t = d.targetTrackingConfiguration!;
  const custom = t.customizedMetricSpecification;
  return {
    kind: 'targetTracking',
    targetValue: t.targetValue,
    disableScaleIn: t.disableScaleIn,
    predefinedMetric: t.predefinedMetricSpecification && {
      type: t.predefinedMetricSpecification.predefinedMetricType,
      resourceLabel: t.predefinedMetricSpecification.resourceLabel,
    },
    customizedMetric: custom && {
      metricName: custom.metricName,
      namespace: custom.namespace,
      statistic: custom.statistic,
      unit: custom.unit,
      dimensions: custom.dimensions?.map((x) => ({ name: x.name, value: x.value })),
    },
    estimatedInstanceWarmupSeconds: d.estimatedInstanceWarmup,
  };
}

/** The normalised description the workflow receives. */
export interface UpsertScalingPolicy extends ServerGroupsDescription {
  /** Set: update this existing policy. Absent: create one with a name derived from the task. */
  readonly policyName?: string | undefined;
  readonly policy: ScalingPolicyConfig;
  readonly alarm?: AlarmConfig | undefined;
}

export function describeUpsertScalingPolicy(d: UpsertScalingPolicy): string {
  const where = d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
  const what = d.policyName ? `update scaling policy ${d.policyName}` : 'create a scaling policy';
  return `${what} on ${where}: ${formatScalingPolicy(d.policy)}${d.alarm ? `, alarm when ${formatAlarm(d.alarm)}` : ''}`;
}
