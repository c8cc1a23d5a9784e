import { z } from 'zod';
import type { RegionalDescription } from './common';
import {
  accountOf,
  ON_OBJECTS,
  applicationOf,
  checkAccount,
  checkAccountAndRegion,
  descriptionBase,
  regionSchema,
  serverGroupNameSchema,
} from './common';

const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
/** A CloudWatch statistic, of an alarm or of a scaling policy's metric. */
export const statisticSchema = z.enum(STATISTICS, { error: `must be one of ${STATISTICS.join(', ')}` });
/** The ComparisonOperator constants that compare with a static threshold (a scaling policy's alarm takes only these). */
export const THRESHOLD_COMPARISON_OPERATORS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
] as const;
/** The AWS SDK's ComparisonOperator constants (Clouddriver binds the SDK enum). */
const COMPARISON_OPERATORS = [
  ...THRESHOLD_COMPARISON_OPERATORS,
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
] as const;
/**
 * CloudWatch units: the AWS value (`Bytes/Second`) or the AWS SDK constant Jackson binds by name
 * (`BytesSecond`).
 */
const UNITS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'Seconds',
    'Microseconds',
    'Milliseconds',
    'Bytes',
    'Kilobytes',
    'Megabytes',
    'Gigabytes',
    'Terabytes',
    'Bits',
    'Kilobits',
    'Megabits',
    'Gigabits',
    'Terabits',
    'Percent',
    'Count',
    'Bytes/Second',
    'Kilobytes/Second',
    'Megabytes/Second',
    'Gigabytes/Second',
    'Terabytes/Second',
    'Bits/Second',
    'Kilobits/Second',
    'Megabits/Second',
    'Gigabits/Second',
    'Terabits/Second',
    'Count/Second',
    'None',
  ].flatMap((u) => [
    [u, u],
    [u.replace('/', ''), u],
  ]),
);

const MAX_ACTIONS = 5;

const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const arns = z
  .array(text(1024).regex(/^arn:/, { error: 'must be an ARN' }), { error: 'must be a list of ARNs' })
  .max(MAX_ACTIONS, { error: `must list at most ${MAX_ACTIONS} actions` });

const positiveInt = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be 1 or more' });

/**
 * Clouddriver's UpsertAlarmDescription (`upsertAlarmDescription`), with its validator's rules:
 * metricName, namespace, comparisonOperator, evaluationPeriods, threshold (not 0: Groovy's truth
 * refuses it) and statistic are required; period defaults to 300, actionsEnabled to true.
 */
export const upsertAlarmSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema.optional(),
    name: text(255).optional(),
    asgName: serverGroupNameSchema.optional(),
    actionsEnabled: z.boolean({ error: 'must be true or false' }).optional(),
    alarmDescription: z.string({ error: 'must be a string' }).max(1024, { error: 'must be at most 1024 characters' }).optional(),
    comparisonOperator: z.enum(COMPARISON_OPERATORS, { error: `must be one of ${COMPARISON_OPERATORS.join(', ')}` }).optional(),
    dimensions: z
      .array(z.looseObject({ name: text(255), value: text(1024) }), { error: 'must be a list of {name, value}' })
      .max(30, { error: 'must list at most 30 dimensions' })
      .optional(),
    evaluationPeriods: positiveInt.optional(),
    period: positiveInt.optional(),
    threshold: z.number({ error: 'must be a number' }).optional(),
    namespace: text(255).optional(),
    metricName: text(255).optional(),
    statistic: statisticSchema.optional(),
    unit: z
      .string({ error: 'must be a CloudWatch unit' })
      .refine((u) => u in UNITS, { error: 'must be a CloudWatch unit such as Percent, Count or Bytes/Second' })
      .optional(),
    alarmActionArns: arns.optional(),
    insufficientDataActionArns: arns.optional(),
    okActionArns: arns.optional(),
  })
  .superRefine((d, ctx) => {
    checkAccount(d, ctx);
    for (const field of ['region', 'metricName', 'namespace', 'comparisonOperator', 'evaluationPeriods', 'statistic'] as const) {
      if (d[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required' });
    }
    if (d.threshold === undefined) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'is required' });
    else if (d.threshold === 0) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'must not be 0 (Clouddriver refuses it)' });
  }, ON_OBJECTS)
  .transform((d): UpsertAlarm => ({
    account: accountOf(d),
    region: d.region!,
    name: d.name,
    asgName: d.asgName,
    alarm: {
      actionsEnabled: d.actionsEnabled ?? true,
      description: d.alarmDescription,
      comparisonOperator: d.comparisonOperator!,
      evaluationPeriods: d.evaluationPeriods!,
      periodSeconds: d.period ?? 300,
      threshold: d.threshold!,
      namespace: d.namespace!,
      metricName: d.metricName!,
      statistic: d.statistic!,
      unit: d.unit === undefined ? undefined : UNITS[d.unit],
      dimensions: (d.dimensions ?? []).map((x) => ({ name: x.name, value: x.value })),
      alarmActionArns: d.alarmActionArns ?? [],
      insufficientDataActionArns: d.insufficientDataActionArns ?? [],
      okActionArns: d.okActionArns ?? [],
    },
    application: applicationOf(d),
  }));

/** A CloudWatch metric alarm as PutMetricAlarm takes it. */
export interface MetricAlarmSettings {
  readonly actionsEnabled: boolean;
  readonly description?: string | undefined;
  readonly comparisonOperator: string;
  readonly evaluationPeriods: number;
  readonly periodSeconds: number;
  readonly threshold: number;
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: string;
  readonly unit?: string | undefined;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  readonly alarmActionArns: readonly string[];
  readonly insufficientDataActionArns: readonly string[];
  readonly okActionArns: readonly string[];
}

/** The normalised description of `upsertAlarmDescription`, before the operation adds the group's dimension and a prior policy's ARN. */
export interface UpsertAlarm extends RegionalDescription {
  /** Absent: a name derived from the group and the task. */
  readonly name?: string | undefined;
  /** The group the alarm watches (an `AutoScalingGroupName` dimension is added). */
  readonly asgName?: string | undefined;
  readonly alarm: MetricAlarmSettings;
}

/** Clouddriver's DeleteAlarmDescription (`deleteAlarmDescription`): alarm names in one region. */
export const deleteAlarmSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema.optional(),
    names: z
      .array(text(255), { error: (iss) => (iss.input === undefined ? 'is required' : 'must be a list of alarm names') })
      .min(1, { error: 'must name at least one alarm' })
      .max(100, { error: 'must name at most 100 alarms' }),
  })
  .superRefine(checkAccountAndRegion, ON_OBJECTS)
  .transform((d): DeleteAlarm => ({
    account: accountOf(d),
    region: d.region!,
    names: [...new Set(d.names)],
    application: applicationOf(d),
  }));

/** The normalised description of `deleteAlarmDescription`. */
export interface DeleteAlarm extends RegionalDescription {
  readonly names: readonly string[];
}

export function describeUpsertAlarm(d: UpsertAlarm): string {
  const a = d.alarm;
  return `put alarm ${d.name ?? '(new)'} in ${d.region}: ${a.statistic} ${a.namespace} ${a.metricName} ${a.comparisonOperator} ${a.threshold}${d.asgName ? ` for ${d.asgName}` : ''}`;
}

export function describeDeleteAlarm(d: DeleteAlarm): string {
  return `delete alarms ${d.names.join(', ')} in ${d.region}`;
}
