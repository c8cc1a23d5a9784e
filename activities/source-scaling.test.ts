/**
 * The alarm half of copying a source's scaling (DefaultScalingPolicyCopier), with a recording
 * fake client: moto's DescribePolicies answers no `Alarms` for a policy, so against moto no
 * alarm is ever copied (test/deploy-group-settings.test.ts covers the rest there).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { CREATED_BY_TAG } from '../domain/task';
import type { AwsClientProvider, AwsClients } from './aws-clients';
import { createSourceScalingActivities } from './source-scaling';

const SOURCE_POLICY_ARN = 'arn:aws:autoscaling:us-east-1:111111111111:scalingPolicy:1:autoScalingGroupName/app-v001:policyName/up';
const newPolicyArn = (region: string, accountId: string) =>
  `arn:aws:autoscaling:${region}:${accountId}:scalingPolicy:2:autoScalingGroupName/app-v002:policyName/new`;

interface Sent {
  readonly client: string;
  readonly command: string;
  readonly input: Record<string, unknown>;
}

function fakeAws(targetRegion: string, targetAccountId = '111111111111') {
  const sent: Sent[] = [];
  const answers: Record<string, unknown> = {
    DescribeAutoScalingGroupsCommand: { AutoScalingGroups: [{ AutoScalingGroupName: 'app-v001' }] },
    DescribePoliciesCommand: {
      ScalingPolicies: [
        {
          PolicyName: 'up',
          PolicyARN: SOURCE_POLICY_ARN,
          PolicyType: 'StepScaling',
          AdjustmentType: 'ChangeInCapacity',
          StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
          Alarms: [{ AlarmName: 'app-v001-cpu-high' }],
        },
        {
          PolicyName: 'tt',
          PolicyARN: 'arn:tt',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingConfiguration: {
            TargetValue: 50,
            CustomizedMetricSpecification: {
              MetricName: 'Load',
              Namespace: 'App',
              Statistic: 'Average',
              Dimensions: [
                { Name: 'AutoScalingGroupName', Value: 'app-v001' },
                { Name: 'Tier', Value: 'web' },
              ],
            },
          },
          Alarms: [{ AlarmName: 'TargetTracking-app-v001-AlarmHigh' }],
        },
      ],
    },
    DescribeAlarmsCommand: {
      MetricAlarms: [
        {
          AlarmName: 'app-v001-cpu-high',
          Namespace: 'AWS/EC2',
          MetricName: 'CPUUtilization',
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 80,
          EvaluationPeriods: 2,
          Period: 60,
          Statistic: 'Average',
          ActionsEnabled: true,
          Dimensions: [
            { Name: 'AutoScalingGroupName', Value: 'app-v001' },
            { Name: 'Other', Value: 'x' },
          ],
          AlarmActions: [SOURCE_POLICY_ARN, 'arn:aws:sns:us-east-1:111111111111:pager'],
          OKActions: [],
        },
        { AlarmName: 'TargetTracking-app-v001-AlarmHigh', Namespace: 'AWS/EC2', MetricName: 'CPUUtilization' },
      ],
    },
    PutScalingPolicyCommand: { PolicyARN: newPolicyArn(targetRegion, targetAccountId) },
    DescribeScheduledActionsCommand: { ScheduledUpdateGroupActions: [] },
  };
  const client = (name: string) => ({
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ client: name, command: cmd.constructor.name, input: cmd.input });
      return answers[cmd.constructor.name] ?? {};
    },
  });
  const aws: AwsClientProvider = {
    clientsFor: (account, region) =>
      ({ autoScaling: client(`as:${account}:${region}`), cloudWatch: client(`cw:${account}:${region}`) }) as unknown as AwsClients,
    account: (name) => ({ name, accountId: name === 'prod' ? targetAccountId : '111111111111' }),
    destroy: () => undefined,
  };
  return { aws, sent };
}

const input = (targetRegion: string, targetAccount = 'test') => ({
  source: { account: 'test', region: 'us-east-1', serverGroupName: 'app-v001' },
  target: { account: targetAccount, region: targetRegion, serverGroupName: 'app-v002' },
  createdBy: 'task-9/0',
});

test('policies are renamed after the new group, alarms point at it and its policies, and target-tracking alarms are left to AWS', async () => {
  const { aws, sent } = fakeAws('us-east-1');
  const { copySourceScaling } = createSourceScalingActivities({ aws });
  const out = await new MockActivityEnvironment().run(copySourceScaling, input('us-east-1'));

  const policies = sent.filter((s) => s.command === 'PutScalingPolicyCommand').map((s) => s.input);
  // With an alarm: [target, namespace, metric, comparison, threshold (as Java prints it), periods, period, id], ':' → '-'.
  expect(policies[0]).toMatchObject({
    AutoScalingGroupName: 'app-v002',
    PolicyName: expect.stringMatching(/^app-v002-AWS\/EC2-CPUUtilization-GreaterThanThreshold-80\.0-2-60-[0-9a-f]{12}$/) as unknown,
    PolicyType: 'StepScaling',
    StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
  });
  // A target-tracking policy's customized metric follows the new group; other dimensions stay.
  expect(policies[1]).toMatchObject({
    PolicyName: expect.stringMatching(/^app-v002-AWS\/EC2-CPUUtilization-.*/) as unknown,
    TargetTrackingConfiguration: {
      CustomizedMetricSpecification: {
        Dimensions: [
          { Name: 'AutoScalingGroupName', Value: 'app-v002' },
          { Name: 'Tier', Value: 'web' },
        ],
      },
    },
  });

  const alarms = sent.filter((s) => s.command === 'PutMetricAlarmCommand');
  expect(alarms).toHaveLength(1);
  expect(alarms[0]).toMatchObject({
    client: 'cw:test:us-east-1',
    input: {
      AlarmName: expect.stringMatching(/^app-v002-alarm-[0-9a-f]{12}$/) as unknown,
      // The group dimension is removed and put back last, naming the new group.
      Dimensions: [
        { Name: 'Other', Value: 'x' },
        { Name: 'AutoScalingGroupName', Value: 'app-v002' },
      ],
      AlarmActions: [newPolicyArn('us-east-1', '111111111111'), 'arn:aws:sns:us-east-1:111111111111:pager'],
      Threshold: 80,
      Tags: [{ Key: CREATED_BY_TAG, Value: 'task-9/0' }],
    },
  });
  expect(out).toMatchObject({ sourceFound: true, alarms: [alarms[0]!.input.AlarmName] });

  // A retry writes the same names: each Put replaces what the first attempt wrote.
  const again = fakeAws('us-east-1');
  await new MockActivityEnvironment().run(createSourceScalingActivities({ aws: again.aws }).copySourceScaling, input('us-east-1'));
  const names = (s: Sent[]) => s.filter((x) => x.command.startsWith('Put')).map((x) => x.input.PolicyName ?? x.input.AlarmName);
  expect(names(again.sent)).toEqual(names(sent));
});

test("across regions and accounts, actions naming the source's region or account are dropped", async () => {
  const { aws, sent } = fakeAws('us-west-2', '222222222222');
  const { copySourceScaling } = createSourceScalingActivities({ aws });
  await new MockActivityEnvironment().run(copySourceScaling, input('us-west-2', 'prod'));
  const alarm = sent.find((s) => s.command === 'PutMetricAlarmCommand')!;
  expect(alarm.client).toBe('cw:prod:us-west-2');
  // The source policy's ARN becomes the new policy's; the SNS topic names the source's region and account.
  expect(alarm.input.AlarmActions).toEqual([newPolicyArn('us-west-2', '222222222222')]);
});

test('a source that is gone copies nothing (Clouddriver deploys on without a copy)', async () => {
  const { aws, sent } = fakeAws('us-east-1');
  const answers = aws.clientsFor('test', 'us-east-1');
  const original = answers.autoScaling.send.bind(answers.autoScaling);
  const gone: AwsClientProvider = {
    ...aws,
    clientsFor: (a, r) =>
      ({
        ...aws.clientsFor(a, r),
        autoScaling: {
          send: async (cmd: { constructor: { name: string } }) =>
            cmd.constructor.name === 'DescribeAutoScalingGroupsCommand' ? { AutoScalingGroups: [] } : original(cmd as never),
        },
      }) as unknown as AwsClients,
  };
  const out = await new MockActivityEnvironment().run(createSourceScalingActivities({ aws: gone }).copySourceScaling, input('us-east-1'));
  expect(out).toEqual({ sourceFound: false, policies: [], alarms: [], scheduledActions: [] });
  expect(sent.filter((s) => s.command.startsWith('Put'))).toEqual([]);
});
