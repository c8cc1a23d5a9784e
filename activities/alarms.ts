/**
 * CloudWatch metric alarms by name (upsertAlarmDescription, deleteAlarmDescription). A put is
 * an upsert by name; a delete deletes only the alarms that exist, so a repeat is harmless.
 */
import type { ComparisonOperator, StandardUnit, Statistic } from '@aws-sdk/client-cloudwatch';
import { DeleteAlarmsCommand, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricAlarmSettings } from '../domain/operations/schemas/alarms';
import { awsCall } from './aws-errors';
import type { ActivityDeps } from './deps';
import { allPages } from './paging';

export interface AlarmsRef {
  readonly account: string;
  readonly region: string;
  readonly alarmNames: readonly string[];
}

export interface PutMetricAlarmInput {
  readonly account: string;
  readonly region: string;
  readonly alarmName: string;
  readonly alarm: MetricAlarmSettings;
}

/** DescribeAlarms takes at most 100 names per call. */
const PAGE = 100;

export function createAlarmActivities({ aws }: ActivityDeps) {
  async function existing(input: AlarmsRef): Promise<string[]> {
    const { cloudWatch } = aws.clientsFor(input.account, input.region);
    const found: string[] = [];
    for (let i = 0; i < input.alarmNames.length; i += PAGE) {
      const names = input.alarmNames.slice(i, i + PAGE);
      const alarms = await allPages(async (NextToken) => {
        const out = await awsCall(`DescribeAlarms ${names.join(', ')} in ${input.region}`, () =>
          cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm'], NextToken })),
        );
        return { items: out.MetricAlarms ?? [], next: out.NextToken };
      });
      found.push(...alarms.map((a) => a.AlarmName ?? '').filter((n) => names.includes(n)));
    }
    return found;
  }

  return {
    /** The names, of those given, that are metric alarms in the region. */
    async describeMetricAlarms(input: AlarmsRef): Promise<string[]> {
      return existing(input);
    },

    /** Creates or replaces the alarm (PutMetricAlarm is an upsert by name, lists replaced whole). */
    async putMetricAlarm(input: PutMetricAlarmInput): Promise<void> {
      const a = input.alarm;
      const { cloudWatch } = aws.clientsFor(input.account, input.region);
      await awsCall(`PutMetricAlarm ${input.alarmName} in ${input.region}`, () =>
        cloudWatch.send(
          new PutMetricAlarmCommand({
            AlarmName: input.alarmName,
            ActionsEnabled: a.actionsEnabled,
            AlarmDescription: a.description,
            ComparisonOperator: a.comparisonOperator as ComparisonOperator,
            EvaluationPeriods: a.evaluationPeriods,
            Period: a.periodSeconds,
            Threshold: a.threshold,
            Namespace: a.namespace,
            MetricName: a.metricName,
            Statistic: a.statistic as Statistic,
            Unit: a.unit as StandardUnit | undefined,
            Dimensions: a.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
            AlarmActions: [...a.alarmActionArns],
            InsufficientDataActions: [...a.insufficientDataActionArns],
            OKActions: [...a.okActionArns],
          }),
        ),
      );
    },

    /**
     * Deletes the alarms that exist of those named (AWS fails a DeleteAlarms naming a missing
     * one) and answers their names; none left is success.
     */
    async deleteMetricAlarms(input: AlarmsRef): Promise<{ deleted: string[] }> {
      const present = await existing(input);
      const { cloudWatch } = aws.clientsFor(input.account, input.region);
      for (let i = 0; i < present.length; i += PAGE) {
        const names = present.slice(i, i + PAGE);
        await awsCall(`DeleteAlarms ${names.join(', ')} in ${input.region}`, () =>
          cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: names })),
        );
      }
      return { deleted: present };
    },
  };
}
