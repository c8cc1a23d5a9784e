/**
 * upsertAlarmDescription and deleteAlarmDescription end to end: posted to the facade over HTTP,
 * run by a real worker on the real Temporal dev server, read back from moto's CloudWatch.
 */
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, testAwsClients, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { makeServerGroup } from './support/server-group';
import { CPU_ALARM, CPU_ALARM_IN_CLOUDWATCH } from './support/alarms';

const { env, faults, runAsOrca } = useOrcaTestEnv();

async function alarms(names: string[]): Promise<MetricAlarm[]> {
  const out = await testAwsClients(env.aws).cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
  return out.MetricAlarms ?? [];
}

const makeGroup = async (prefix: string) => (await makeServerGroup(env, { prefix, min: 0, max: 2, desired: 0 })).name;

test('upsertAlarmDescription puts an alarm on the group with Clouddriver defaults under a derived name; a re-post runs nothing again', async () => {
  const group = await makeGroup('al');
  const body = [
    {
      upsertAlarmDescription: {
        credentials: ACCOUNT,
        region: REGION,
        asgName: group,
        ...CPU_ALARM,
        unit: 'Percent',
        dimensions: [{ name: 'Team', value: 'a' }],
        okActionArns: ['arn:aws:sns:us-east-1:123456789012:ok'],
      },
    },
  ];
  const { id, task, repost } = await runAsOrca(body, '/ops');

  expect(task.status).toMatchObject({ completed: true, failed: false });
  const alarmName = (task.resultObjects[0] as { alarmName: string }).alarmName;
  expect(alarmName).toMatch(new RegExp(`^${group}-alarm-[0-9a-f]{8}$`));
  const [alarm] = await alarms([alarmName]);
  expect(alarm).toMatchObject({
    ...CPU_ALARM_IN_CLOUDWATCH,
    Period: 300,
    Unit: 'Percent',
    ActionsEnabled: true,
    OKActions: ['arn:aws:sns:us-east-1:123456789012:ok'],
  });
  expect(alarm!.Dimensions).toEqual([
    { Name: 'Team', Value: 'a' },
    { Name: 'AutoScalingGroupName', Value: group },
  ]);
  expect(task.history).toEqual(expect.arrayContaining([{ phase: 'UPSERT_ALARM', status: `Alarm ${alarmName} is in place in ${REGION}` }]));

  expect(await repost()).toBe(id);
  expect(faults.calls('putMetricAlarm', mentions(alarmName))).toBe(1);
});

test('after an upsertScalingPolicy in the same task the alarm also runs that policy', async () => {
  const group = await makeGroup('alp');
  const alarmName = uniqueName('alarm-');
  const { task } = await env.run([
    { upsertScalingPolicy: { credentials: ACCOUNT, region: REGION, serverGroupName: group, simple: { scalingAdjustment: 1 } } },
    {
      upsertAlarmDescription: {
        credentials: ACCOUNT,
        region: REGION,
        name: alarmName,
        ...CPU_ALARM,
        alarmActionArns: ['arn:aws:sns:us-east-1:123456789012:pager'],
      },
    },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  const policyArn = (task.resultObjects[0] as { policyArn: string }).policyArn;
  const [alarm] = await alarms([alarmName]);
  expect(alarm!.AlarmActions).toEqual(['arn:aws:sns:us-east-1:123456789012:pager', policyArn]);
});

test('a task that fails after the alarm deletes the alarm it created', async () => {
  const alarmName = uniqueName('alarm-');
  const missing = `${uniqueName('nogroup')}-v001`;
  const { task } = await env.run([
    { upsertAlarmDescription: { credentials: ACCOUNT, region: REGION, name: alarmName, ...CPU_ALARM } },
    { upsertServerGroupTags: { credentials: ACCOUNT, region: REGION, serverGroupName: missing, tags: { a: 'b' } } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(faults.calls('putMetricAlarm', mentions(alarmName))).toBe(1);
  expect(await alarms([alarmName])).toEqual([]);
});

test('deleteAlarmDescription deletes the named alarms; names already gone are success; a re-post runs nothing again', async () => {
  const names = [uniqueName('alarm-a-'), uniqueName('alarm-b-')];
  for (const AlarmName of names) {
    await testAwsClients(env.aws).cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName,
        MetricName: 'CPUUtilization',
        Namespace: 'AWS/EC2',
        Statistic: 'Average',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 1,
        EvaluationPeriods: 1,
        Period: 60,
      }),
    );
  }
  const gone = uniqueName('alarm-gone-');
  const body = [{ deleteAlarmDescription: { credentials: ACCOUNT, region: REGION, names: [...names, gone] } }];
  const { id, task, repost } = await runAsOrca(body, '/ops');

  expect(task.status).toMatchObject({ completed: true, failed: false });
  const what = `${names.join(', ')}, ${gone} in ${REGION} for ${ACCOUNT}`;
  expect(task.history.filter((h) => h.phase === 'DELETE_ALARM')).toEqual([
    { phase: 'DELETE_ALARM', status: 'Initializing Delete Alarm Operation...' },
    { phase: 'DELETE_ALARM', status: `Deleting ${what}.` },
    { phase: 'DELETE_ALARM', status: `Done deleting ${what}.` },
  ]);
  expect(await alarms(names)).toEqual([]);

  expect(await repost()).toBe(id);
  expect(faults.calls('deleteMetricAlarms', mentions(gone))).toBe(1);
});

test('bad input is a 400 that names the field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/ops`,
    [
      { upsertAlarmDescription: { credentials: ACCOUNT, region: REGION, metricName: 'CPUUtilization' } },
      {
        upsertAlarmDescription: { credentials: ACCOUNT, region: REGION, ...CPU_ALARM, threshold: 0, statistic: 'Median', unit: 'Furlongs' },
      },
      { deleteAlarmDescription: { credentials: ACCOUNT, region: REGION, names: [] } },
      { deleteAlarmDescription: { credentials: ACCOUNT, names: ['a'] } },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].upsertAlarmDescription.namespace: is required',
      '[0].upsertAlarmDescription.comparisonOperator: is required',
      '[0].upsertAlarmDescription.evaluationPeriods: is required',
      '[0].upsertAlarmDescription.threshold: is required',
      '[0].upsertAlarmDescription.statistic: is required',
      '[1].upsertAlarmDescription.threshold: must not be 0 (Clouddriver refuses it)',
      '[1].upsertAlarmDescription.statistic: must be one of SampleCount, Average, Sum, Minimum, Maximum',
      '[1].upsertAlarmDescription.unit: must be a CloudWatch unit such as Percent, Count or Bytes/Second',
      '[2].deleteAlarmDescription.names: must name at least one alarm',
      '[3].deleteAlarmDescription.region: is required',
    ]),
  );
});
