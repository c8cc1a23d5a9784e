import { parseOperation } from '../index';
import { describeUpsertScalingPolicy, scalingAlarmName, scalingPolicyName, upsertScalingPolicySchema } from './upsert-scaling-policy';
import { CPU_ALARM } from '../../../test/support/alarms';

const base = { credentials: 'test', region: 'us-east-1', serverGroupName: 'myapp-main-v003' };
const alarm = { ...CPU_ALARM, period: 60 };

function errorsOf(description: Record<string, unknown>): string[] {
  const parsed = parseOperation('upsertScalingPolicy', description);
  return parsed.ok ? [] : parsed.errors;
}

test('a step policy with an alarm normalises and reads well', () => {
  const d = upsertScalingPolicySchema.parse({
    ...base,
    adjustmentType: 'PercentChangeInCapacity',
    minAdjustmentMagnitude: 2,
    step: {
      stepAdjustments: [
        { scalingAdjustment: 10, metricIntervalLowerBound: 0, metricIntervalUpperBound: 20 },
        { scalingAdjustment: 30, metricIntervalLowerBound: 20 },
      ],
    },
    alarm,
  });
  expect(d.policy).toEqual({
    kind: 'step',
    adjustmentType: 'PercentChangeInCapacity',
    minAdjustmentMagnitude: 2,
    stepAdjustments: [
      { scalingAdjustment: 10, lowerBound: 0, upperBound: 20 },
      { scalingAdjustment: 30, lowerBound: 20, upperBound: undefined },
    ],
    estimatedInstanceWarmupSeconds: undefined,
    metricAggregationType: undefined,
  });
  expect(describeUpsertScalingPolicy(d)).toBe(
    'create a scaling policy on myapp-main-v003 in us-east-1: step scaling [0, 20): +10; [20, +inf): +30 (PercentChangeInCapacity), alarm when Average AWS/EC2 CPUUtilization > 70 for 2 x 60 s',
  );
});

test('simple policies default to ChangeInCapacity, as in Clouddriver', () => {
  const d = upsertScalingPolicySchema.parse({ ...base, name: 'scale-up', simple: { scalingAdjustment: -1, cooldown: 300 } });
  expect(d.policyName).toBe('scale-up');
  expect(d.policy).toMatchObject({ kind: 'simple', adjustmentType: 'ChangeInCapacity', scalingAdjustment: -1, cooldownSeconds: 300 });
  expect(describeUpsertScalingPolicy(d)).toBe(
    'update scaling policy scale-up on myapp-main-v003 in us-east-1: simple scaling -1 (ChangeInCapacity, cooldown 300 s)',
  );
});

test('exactly one kind of policy is required', () => {
  expect(errorsOf(base)).toContain('simple: one of simple, step or targetTrackingConfiguration is required');
  expect(errorsOf({ ...base, simple: { scalingAdjustment: 1 }, step: { stepAdjustments: [{ scalingAdjustment: 1 }] } })).toContain(
    'step: give only one of simple, step, targetTrackingConfiguration (got simple and step)',
  );
});

test('target tracking refuses an alarm and an adjustment type, and needs one metric', () => {
  const errors = errorsOf({
    ...base,
    adjustmentType: 'ChangeInCapacity',
    targetTrackingConfiguration: { targetValue: 50 },
    alarm,
  });
  expect(errors).toEqual(
    expect.arrayContaining([
      'alarm: is not allowed with targetTrackingConfiguration: AWS creates and manages the alarms of a target tracking policy',
      'adjustmentType: does not apply to a target tracking policy',
      'targetTrackingConfiguration: must set exactly one of predefinedMetricSpecification, customizedMetricSpecification',
    ]),
  );
  expect(
    errorsOf({
      ...base,
      targetTrackingConfiguration: { targetValue: 50, predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' } },
    }),
  ).toEqual([]);
});

test('bad numbers are named with what was given', () => {
  const errors = errorsOf({
    ...base,
    adjustmentType: 'ExactCapacity',
    minAdjustmentMagnitude: 1,
    step: { stepAdjustments: [{ scalingAdjustment: 1, metricIntervalLowerBound: 10, metricIntervalUpperBound: 5 }] },
    alarm: { ...alarm, period: 20, statistic: 'Median' },
  });
  expect(errors).toEqual(
    expect.arrayContaining([
      'minAdjustmentMagnitude: applies only when adjustmentType is PercentChangeInCapacity (got ExactCapacity)',
      'step.stepAdjustments.0.metricIntervalUpperBound: must be greater than metricIntervalLowerBound (5 <= 10)',
      'alarm.period: must be 10, 30 or a multiple of 60 seconds, got 20',
      'alarm.statistic: must be one of SampleCount, Average, Sum, Minimum, Maximum',
    ]),
  );
});

test('derived names are deterministic per group, task and operation, and fit in 255 characters', () => {
  const a = scalingPolicyName('myapp-main-v003', 'task-1', 0);
  expect(a).toMatch(/^myapp-main-v003-policy-[0-9a-f]{8}$/);
  expect(scalingPolicyName('myapp-main-v003', 'task-1', 0)).toBe(a);
  expect(scalingPolicyName('myapp-main-v003', 'task-1', 1)).not.toBe(a);
  expect(scalingPolicyName('myapp-main-v003', 'task-2', 0)).not.toBe(a);
  const long = scalingPolicyName('g'.repeat(255), 'task-1', 0);
  expect(long).toHaveLength(255);
  expect(scalingAlarmName(long)).toHaveLength(255);
  expect(scalingAlarmName(a)).toBe(`${a}-alarm`);
});
