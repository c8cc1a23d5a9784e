/**
 * deleteScalingPolicy (legacy deleteScalingPolicyDescription) end to end: posted to the facade
 * over HTTP, run by a real worker on the real Temporal dev server, read back from moto. moto's
 * DescribePolicies does not list a policy's alarms, so the answer of describeScalingPolicy is
 * given the alarm names AWS would list; the alarms themselves are real moto alarms.
 */
import { DescribePoliciesCommand, PutScalingPolicyCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { makeServerGroup } from './support/server-group';
import { CPU_ALARM_IN_CLOUDWATCH } from './support/alarms';

const { env, faults, clients, runAsOrca } = useOrcaTestEnv();

async function putPolicy(group: string, policyName: string): Promise<string> {
  await clients().autoScaling.send(
    new PutScalingPolicyCommand({
      AutoScalingGroupName: group,
      PolicyName: policyName,
      AdjustmentType: 'ChangeInCapacity',
      ScalingAdjustment: 1,
    }),
  );
  const out = await clients().autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: group, PolicyNames: [policyName] }));
  return out.ScalingPolicies![0]!.PolicyARN!;
}

async function putAlarm(name: string, group: string, actions: string[]): Promise<void> {
  await clients().cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      ...CPU_ALARM_IN_CLOUDWATCH,
      Period: 60,
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: group }],
      AlarmActions: actions,
    }),
  );
}

async function alarmsNamed(names: string[]): Promise<string[]> {
  const out = await clients().cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
  return (out.MetricAlarms ?? []).map((a) => a.AlarmName!).sort();
}

async function policiesOf(group: string): Promise<string[]> {
  const out = await clients().autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: group }));
  return (out.ScalingPolicies ?? []).map((p) => p.PolicyName!);
}

test('deleteScalingPolicy deletes the policy and the alarms that ran only it; a re-post runs nothing again', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'dsp', min: 0, max: 2, desired: 0 });
  const arn = await putPolicy(name, 'scale-up');
  const only = `${name}-only`;
  const shared = `${name}-shared`;
  await putAlarm(only, name, [arn]);
  await putAlarm(shared, name, [arn, 'arn:aws:sns:us-east-1:123456789012:pager']);
  faults.rewriteAnswer('describeScalingPolicy', mentions(name), (p) => p && { ...p, alarmNames: [only, shared] });
  const body = [
    { deleteScalingPolicy: { credentials: ACCOUNT, region: REGION, serverGroupName: name, policyName: 'scale-up', cloudProvider: 'aws' } },
  ];
  const { id, task, repost } = await runAsOrca(body);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === 'DELETE_SCALING_POLICY')).toEqual([
    { phase: 'DELETE_SCALING_POLICY', status: 'Initializing Delete Scaling Policy Operation...' },
    { phase: 'DELETE_SCALING_POLICY', status: 'Looking up policy...' },
    { phase: 'DELETE_SCALING_POLICY', status: `Deleting scale-up in ${REGION} for ${ACCOUNT}.` },
    { phase: 'DELETE_SCALING_POLICY', status: `Done deleting scale-up in ${REGION} for ${ACCOUNT}.` },
    { phase: 'DELETE_SCALING_POLICY', status: `Deleting orphaned alarm ${only}` },
    { phase: 'DELETE_SCALING_POLICY', status: `Done deleting orphaned alarm ${only}` },
  ]);
  expect(await policiesOf(name)).toEqual([]);
  expect(await alarmsNamed([only, shared])).toEqual([shared]);
  expect((await env.client.workflow.getHandle(id).describe()).type).toBe('deleteScalingPolicy');

  expect(await repost()).toBe(id);
  expect(faults.calls('deleteScalingPolicy', mentions(name))).toBe(1);
});

test('the legacy deleteScalingPolicyDescription of a policy that is not there succeeds; a lost answer is deleted again', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'dspl', min: 0, max: 2, desired: 0 });
  await putPolicy(name, 'keep-me');
  await putPolicy(name, 'drop-me');
  faults.loseAnswer('deleteScalingPolicy', mentions(name));

  const dropped = await env.run([
    { deleteScalingPolicyDescription: { credentials: ACCOUNT, region: REGION, serverGroupName: name, policyName: 'drop-me' } },
  ]);
  expect(dropped.task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('deleteScalingPolicy', mentions(name))).toBe(2);
  expect(await policiesOf(name)).toEqual(['keep-me']);

  const absent = await env.run([
    { deleteScalingPolicyDescription: { credentials: ACCOUNT, region: REGION, serverGroupName: name, policyName: 'drop-me' } },
  ]);
  expect(absent.task.status).toMatchObject({ completed: true, failed: false });
  expect(absent.task.history).toEqual(
    expect.arrayContaining([
      { phase: 'DELETE_SCALING_POLICY', status: `${name} has no scaling policy drop-me in ${REGION}; nothing to delete.` },
    ]),
  );
  expect(await policiesOf(name)).toEqual(['keep-me']);
});

test('bad input is a 400 that names the field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [
      { deleteScalingPolicy: { credentials: ACCOUNT, region: REGION, serverGroupName: 'app-v001' } },
      { deleteScalingPolicyDescription: { credentials: ACCOUNT, policyName: 'p' } },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].deleteScalingPolicy.policyName: is required',
      '[1].deleteScalingPolicyDescription.serverGroupName: is required',
      '[1].deleteScalingPolicyDescription.region: is required',
    ]),
  );
});
