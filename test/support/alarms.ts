/**
 * The CPU alarm the scaling-policy and alarm tests use, in Clouddriver's spelling (what a task
 * sends) and in CloudWatch's (what AWS holds once it is put): average CPU above 70 for two periods.
 */

/** As a task's `alarm` (upsertScalingPolicy) or upsertAlarmDescription sends it; no period (Clouddriver's default is 300 s). */
export const CPU_ALARM = {
  metricName: 'CPUUtilization',
  namespace: 'AWS/EC2',
  statistic: 'Average',
  comparisonOperator: 'GreaterThanThreshold',
  threshold: 70,
  evaluationPeriods: 2,
};

/** The same alarm as CloudWatch holds it (PutMetricAlarm's and DescribeAlarms' fields); no period. */
export const CPU_ALARM_IN_CLOUDWATCH = {
  MetricName: 'CPUUtilization',
  Namespace: 'AWS/EC2',
  Statistic: 'Average',
  ComparisonOperator: 'GreaterThanThreshold',
  Threshold: 70,
  EvaluationPeriods: 2,
} as const;
