/**
 * upsertScalingPolicy end to end: the facade over HTTP, a real worker and Temporal server, the
 * real AWS SDK against moto (Auto Scaling and CloudWatch). The point besides the happy path:
 * never a policy without its alarm, and never a second policy or alarm after a retry.
 */
import { DescribePoliciesCommand, PutScalingPolicyCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { FaultPlan, mentions, timesEach } from './faults';
import { ACCOUNT, REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { makeServerGroup } from './support/server-group';
import { CPU_ALARM, CPU_ALARM_IN_CLOUDWATCH } from './support/alarms';

const faults = new FaultPlan();
const env = useTestEnv({ faults });

const cpuAlarm = { ...CPU_ALARM, period: 60 };

const makeGroup = async (prefix: string) => (await makeServerGroup(env, { prefix })).name;

/** A scaling policy description for server group `name` in the test account and region, with `fields`. */
const onGroup = (name: string, fields: Record<string, unknown>) => ({
  credentials: ACCOUNT,
  region: REGION,
  serverGroupName: name,
  ...fields,
});

/** Runs one upsertScalingPolicy of `onGroup(name, fields)`. */
const upsertPolicy = (name: string, fields: Record<string, unknown>) => env.run([{ upsertScalingPolicy: onGroup(name, fields) }]);

async function policiesOf(group: string) {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: group }));
  return out.ScalingPolicies ?? [];
}

async function alarmsOf(group: string) {
  const out = await testAwsClients(env.aws).cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: group }));
  return out.MetricAlarms ?? [];
}

test('a step policy and the alarm that runs it', async () => {
  const name = await makeGroup('spapp');
  const { task } = await upsertPolicy(name, {
    adjustmentType: 'PercentChangeInCapacity',
    minAdjustmentMagnitude: 2,
    step: {
      stepAdjustments: [
        { scalingAdjustment: 10, metricIntervalLowerBound: 0, metricIntervalUpperBound: 20 },
        { scalingAdjustment: 30, metricIntervalLowerBound: 20 },
      ],
      estimatedInstanceWarmup: 120,
    },
    alarm: cpuAlarm,
  });
  expect(task.status).toMatchObject({ completed: true, failed: false });

  const policies = await policiesOf(name);
  expect(policies).toHaveLength(1);
  const policy = policies[0]!;
  expect(policy.PolicyName).toMatch(new RegExp(`^${name}-policy-[0-9a-f]{8}$`));
  expect(policy).toMatchObject({
    PolicyType: 'StepScaling',
    AdjustmentType: 'PercentChangeInCapacity',
    MinAdjustmentMagnitude: 2,
    EstimatedInstanceWarmup: 120,
    StepAdjustments: [
      { ScalingAdjustment: 10, MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20 },
      { ScalingAdjustment: 30, MetricIntervalLowerBound: 20 },
    ],
  });

  const alarms = await alarmsOf(name);
  expect(alarms).toHaveLength(1);
  expect(alarms[0]).toMatchObject({
    AlarmName: `${policy.PolicyName}-alarm`,
    AlarmActions: [policy.PolicyARN],
    ...CPU_ALARM_IN_CLOUDWATCH,
    Period: 60,
    Dimensions: [{ Name: 'AutoScalingGroupName', Value: name }],
  });

  const lines = task.history.filter((h) => h.phase === 'UPSERT_SCALING_POLICY').map((h) => h.status);
  expect(lines).toEqual([
    `Creating scaling policy ${policy.PolicyName} on ${name} in ${REGION}: step scaling [0, 20): +10; [20, +inf): +30 (PercentChangeInCapacity)`,
    `Creating alarm ${policy.PolicyName}-alarm: when Average AWS/EC2 CPUUtilization > 70 for 2 x 60 s, run ${policy.PolicyName}`,
    `Scaling policy ${policy.PolicyName} is in place on ${name} in ${REGION} with alarm ${policy.PolicyName}-alarm`,
  ]);
  expect(task.resultObjects).toEqual([
    {
      serverGroupName: name,
      region: REGION,
      policyName: policy.PolicyName,
      policyArn: policy.PolicyARN,
      alarmName: `${policy.PolicyName}-alarm`,
    },
  ]);
});

test('the legacy key updates a policy by name; target tracking needs no alarm', async () => {
  const name = await makeGroup('spupd');
  await testAwsClients(env.aws).autoScaling.send(
    new PutScalingPolicyCommand({
      AutoScalingGroupName: name,
      PolicyName: 'scale-up',
      PolicyType: 'SimpleScaling',
      AdjustmentType: 'ChangeInCapacity',
      ScalingAdjustment: 1,
    }),
  );
  const [{ task: update }, { task: tracking }] = await Promise.all([
    env.run(
      onGroup(name, {
        name: 'scale-up',
        adjustmentType: 'ExactCapacity',
        simple: { scalingAdjustment: 3, cooldown: 120 },
        alarm: { ...cpuAlarm, name: `${name}-high-cpu` },
      }),
      { path: '/ops/upsertScalingPolicyDescription' },
    ),
    env.run(
      onGroup(name, {
        targetTrackingConfiguration: {
          targetValue: 55,
          predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
        },
      }),
      { path: '/aws/ops/upsertScalingPolicy' },
    ),
  ]);
  expect(update.status.failed).toBe(false);
  expect(tracking.status.failed).toBe(false);
  const policies = await policiesOf(name);
  expect(policies).toHaveLength(2);
  const scaleUp = policies.find((p) => p.PolicyName === 'scale-up');
  expect(scaleUp).toMatchObject({ PolicyType: 'SimpleScaling', AdjustmentType: 'ExactCapacity', ScalingAdjustment: 3, Cooldown: 120 });
  expect(policies.find((p) => p.PolicyName !== 'scale-up')).toMatchObject({
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingConfiguration: { TargetValue: 55, PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' } },
  });
  expect(await alarmsOf(name)).toEqual([expect.objectContaining({ AlarmName: `${name}-high-cpu`, AlarmActions: [scaleUp!.PolicyARN] })]);
  expect(update.history.map((h) => h.status)).toContain(
    `Updating scaling policy scale-up on ${name} in ${REGION}: simple scaling +3 (ExactCapacity, cooldown 120 s)`,
  );
});

test('lost answers are retried without a second policy or alarm', async () => {
  const name = await makeGroup('splost');
  const lost = ['putScalingPolicy', 'putScalingPolicyAlarm'] as const;
  faults.loseAnswers(lost, mentions(name));
  const { task } = await upsertPolicy(name, {
    simple: { scalingAdjustment: 1 },
    alarm: cpuAlarm,
  });
  expect(task.status.failed).toBe(false);
  expect(faults.callsOf(lost, mentions(name))).toEqual(timesEach(lost, 2));
  const policies = await policiesOf(name);
  expect(policies).toHaveLength(1);
  expect(await alarmsOf(name)).toEqual([expect.objectContaining({ AlarmActions: [policies[0]!.PolicyARN] })]);
});

test('when the alarm cannot be put, the policy this task created is deleted: never a policy without its alarm', async () => {
  const name = await makeGroup('spundo');
  faults.fail('putScalingPolicyAlarm', mentions(name));
  const { task } = await upsertPolicy(name, {
    simple: { scalingAdjustment: 2 },
    alarm: cpuAlarm,
  });
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.resultObjects.find((r) => r.type === 'EXCEPTION')).toMatchObject({
    operation: 'upsertScalingPolicy',
    cause: 'InjectedFailure',
  });
  expect(await policiesOf(name)).toEqual([]);
  expect(await alarmsOf(name)).toEqual([]);
  const statuses = task.history.map((h) => h.status);
  const policyName = statuses.find((s) => s.startsWith('Creating scaling policy '))!.split(' ')[3]!;
  expect(statuses).toEqual(
    expect.arrayContaining([
      `Rolling back: delete alarm ${policyName}-alarm of ${name} in ${REGION}`,
      `No alarm ${policyName}-alarm of ${name} in ${REGION} to delete`,
      `Rolling back: delete scaling policy ${policyName} of ${name} in ${REGION}`,
      `Deleted scaling policy ${policyName} of ${name} in ${REGION}`,
    ]),
  );
  expect(statuses.at(-1)).toMatch(/^Orchestration failed: upsertScalingPolicy \| InjectedFailure: \[/);
});

test('a policy name that does not exist and a missing group fail with an EXCEPTION that names them', async () => {
  const name = await makeGroup('spnone');
  const ghost = `${uniqueName('spghost')}-v001`;
  const [{ task: noPolicy }, { task: noGroup }] = await Promise.all([
    upsertPolicy(name, {
      name: 'nope',
      simple: { scalingAdjustment: 1 },
    }),
    upsertPolicy(ghost, { simple: { scalingAdjustment: 1 } }),
  ]);
  expect(noPolicy.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(noPolicy.resultObjects.find((r) => r.type === 'EXCEPTION')).toMatchObject({
    cause: 'ScalingPolicyNotFound',
    message: `${name} in ${REGION} has no scaling policy named nope to update; leave out name to create a policy`,
  });
  expect(noGroup.resultObjects.find((r) => r.type === 'EXCEPTION')).toMatchObject({
    cause: 'ServerGroupNotFound',
    message: `server group ${ghost} not found in ${REGION} (${ACCOUNT}); no scaling policy was put`,
  });
  expect(await policiesOf(name)).toEqual([]);
  expect(await policiesOf(ghost)).toEqual([]);
});

test('bad input is a 400 that names each field', async () => {
  const errors = await badRequestErrors(`${env.facadeUrl}/aws/ops`, [
    {
      upsertScalingPolicy: onGroup('app-v001', {
        targetTrackingConfiguration: {
          targetValue: 50,
          predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
        },
        alarm: cpuAlarm,
      }),
    },
    { upsertScalingPolicy: onGroup('app-v001', { adjustmentType: 'Double' }) },
  ]);
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].upsertScalingPolicy.alarm: is not allowed with targetTrackingConfiguration: AWS creates and manages the alarms of a target tracking policy',
      '[1].upsertScalingPolicy.adjustmentType: must be ChangeInCapacity, ExactCapacity or PercentChangeInCapacity',
      '[1].upsertScalingPolicy.simple: one of simple, step or targetTrackingConfiguration is required',
    ]),
  );
});
