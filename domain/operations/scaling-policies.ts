/**
 * Scaling policies and alarms as Bosun configures them, their deterministic names and their
 * one-line descriptions. Zod-free, because workflow code uses it; the schemas that produce
 * these shapes live in `upsert-scaling-policy.ts`.
 */
import { shortHash } from '../hash';

export const AdjustmentType = {
  changeInCapacity: 'ChangeInCapacity',
  exactCapacity: 'ExactCapacity',
  percentChangeInCapacity: 'PercentChangeInCapacity',
} as const;
export type AdjustmentType = (typeof AdjustmentType)[keyof typeof AdjustmentType];

export interface Dimension {
  readonly name: string;
  readonly value: string;
}

export interface StepAdjustment {
  readonly scalingAdjustment: number;
  readonly lowerBound?: number | undefined;
  readonly upperBound?: number | undefined;
}

export type ScalingPolicyConfig =
  | {
      readonly kind: 'simple';
      readonly adjustmentType: AdjustmentType;
      readonly minAdjustmentMagnitude?: number | undefined;
      readonly scalingAdjustment: number;
      readonly cooldownSeconds?: number | undefined;
    }
  | {
      readonly kind: 'step';
      readonly adjustmentType: AdjustmentType;
      readonly minAdjustmentMagnitude?: number | undefined;
      readonly stepAdjustments: readonly StepAdjustment[];
      readonly estimatedInstanceWarmupSeconds?: number | undefined;
      readonly metricAggregationType?: 'Minimum' | 'Maximum' | 'Average' | undefined;
    }
  | {
      readonly kind: 'targetTracking';
      readonly targetValue: number;
      readonly disableScaleIn?: boolean | undefined;
      readonly predefinedMetric?: { readonly type: string; readonly resourceLabel?: string | undefined } | undefined;
      readonly customizedMetric?:
        | {
            readonly metricName: string;
            readonly namespace: string;
            readonly statistic: string;
            readonly unit?: string | undefined;
            readonly dimensions?: readonly Dimension[] | undefined;
          }
        | undefined;
      readonly estimatedInstanceWarmupSeconds?: number | undefined;
    };

export interface AlarmConfig {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly metricName: string;
  readonly namespace: string;
  readonly statistic: string;
  readonly comparisonOperator: string;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly periodSeconds: number;
  readonly unit?: string | undefined;
  /** Absent: the alarm watches the server group (`AutoScalingGroupName`), as Clouddriver does. */
  readonly dimensions?: readonly Dimension[] | undefined;
}

const POLICY_TYPES = { simple: 'SimpleScaling', step: 'StepScaling', targetTracking: 'TargetTrackingScaling' } as const;

/** The AWS `PolicyType` of a policy configuration. */
export function policyTypeOf(p: ScalingPolicyConfig): (typeof POLICY_TYPES)[keyof typeof POLICY_TYPES] {
  return POLICY_TYPES[p.kind];
}

/**
 * The name of a policy this task creates: `<group>-policy-<8 hex>`, the hash over group, task
 * and operation index, so a retry (or a resumed task) puts the same policy again instead of a
 * second one. AWS allows 255 characters; a very long group name is cut to fit.
 */
export function scalingPolicyName(serverGroupName: string, taskId: string, index: number): string {
  const suffix = `-policy-${shortHash(`${serverGroupName}|${taskId}|${index}`)}`;
  return `${serverGroupName.slice(0, 255 - suffix.length)}${suffix}`;
}

/** The alarm Bosun creates for a policy, when the caller names none and the policy has none yet. */
export function scalingAlarmName(policyName: string): string {
  const suffix = '-alarm';
  return `${policyName.slice(0, 255 - suffix.length)}${suffix}`;
}

const OPERATOR_SYMBOLS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: '>=',
  GreaterThanThreshold: '>',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
};

export function formatAlarm(a: AlarmConfig): string {
  const op = OPERATOR_SYMBOLS[a.comparisonOperator] ?? a.comparisonOperator;
  return `${a.statistic} ${a.namespace} ${a.metricName} ${op} ${a.threshold} for ${a.evaluationPeriods} x ${a.periodSeconds} s`;
}

function signed(n: number): string {
  return n >= 0 ? `+${n}` : String(n);
}

export function formatScalingPolicy(p: ScalingPolicyConfig): string {
  switch (p.kind) {
    case 'simple':
      return `simple scaling ${signed(p.scalingAdjustment)} (${p.adjustmentType}${p.cooldownSeconds !== undefined ? `, cooldown ${p.cooldownSeconds} s` : ''})`;
    case 'step': {
      const steps = p.stepAdjustments
        .map((s) => `[${s.lowerBound ?? '-inf'}, ${s.upperBound ?? '+inf'}): ${signed(s.scalingAdjustment)}`)
        .join('; ');
      return `step scaling ${steps} (${p.adjustmentType})`;
    }
    case 'targetTracking': {
      const metric = p.predefinedMetric?.type ?? `${p.customizedMetric?.namespace} ${p.customizedMetric?.metricName}`;
      return `target tracking ${metric} at ${p.targetValue}${p.disableScaleIn ? ' (no scale-in)' : ''}`;
    }
  }
}
