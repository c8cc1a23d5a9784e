/**
 * The settings activities against a fake Auto Scaling client: moto does not implement
 * DisableMetricsCollection (an HTML 500) and its UpdateAutoScalingGroup ignores DefaultCooldown,
 * TerminationPolicies and CapacityRebalance, so what these send is checked here.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClientProvider, AwsClients } from './aws-clients';
import { createServerGroupSettingsActivities } from './server-group-settings';

interface Sent {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

function fakeProvider(group: object | undefined): { provider: AwsClientProvider; sent: Sent[] } {
  const sent: Sent[] = [];
  const autoScaling = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ command: command.constructor.name, input: command.input });
      if (command.constructor.name === 'DescribeAutoScalingGroupsCommand') return { AutoScalingGroups: group ? [group] : [] };
      return {};
    },
  };
  const provider: AwsClientProvider = {
    clientsFor: () => ({ autoScaling }) as unknown as AwsClients,
    account: () => undefined,
    destroy: () => undefined,
  };
  return { provider, sent };
}

const ref = { account: 'test', region: 'us-east-1', serverGroupName: 'app-v001' };
const group = { AutoScalingGroupName: 'app-v001', EnabledMetrics: [{ Metric: 'GroupMinSize' }, { Metric: 'GroupMaxSize' }] };

test('updateServerGroupSettings sends every given setting and leaves out the absent ones', async () => {
  const { provider, sent } = fakeProvider(group);
  const { updateServerGroupSettings } = createServerGroupSettingsActivities({ aws: provider });
  await new MockActivityEnvironment().run(updateServerGroupSettings, {
    ...ref,
    settings: { cooldown: 45, terminationPolicies: ['OldestInstance', 'Default'], capacityRebalance: true },
  });
  expect(sent).toEqual([
    {
      command: 'UpdateAutoScalingGroupCommand',
      input: {
        AutoScalingGroupName: 'app-v001',
        DefaultCooldown: 45,
        HealthCheckGracePeriod: undefined,
        HealthCheckType: undefined,
        TerminationPolicies: ['OldestInstance', 'Default'],
        CapacityRebalance: true,
      },
    },
  ]);
});

test('disableServerGroupMetrics names the metrics, and never sends an empty list (AWS reads it as every metric)', async () => {
  const { provider, sent } = fakeProvider(group);
  const { disableServerGroupMetrics } = createServerGroupSettingsActivities({ aws: provider });
  const env = new MockActivityEnvironment();
  await env.run(disableServerGroupMetrics, { ...ref, metrics: ['GroupMaxSize'] });
  await env.run(disableServerGroupMetrics, { ...ref, metrics: [] });
  expect(sent).toEqual([
    { command: 'DisableMetricsCollectionCommand', input: { AutoScalingGroupName: 'app-v001', Metrics: ['GroupMaxSize'] } },
  ]);
});

test('describeServerGroupSettings answers the enabled metrics, or null for a missing group', async () => {
  const env = new MockActivityEnvironment();
  const found = createServerGroupSettingsActivities({ aws: fakeProvider(group).provider });
  expect(await env.run(found.describeServerGroupSettings, ref)).toEqual({ enabledMetrics: ['GroupMinSize', 'GroupMaxSize'] });
  const missing = createServerGroupSettingsActivities({ aws: fakeProvider(undefined).provider });
  expect(await env.run(missing.describeServerGroupSettings, ref)).toBeNull();
});

test('putLifecycleHook sends the role, the notification target and the metadata (moto does not keep them)', async () => {
  const { provider, sent } = fakeProvider(group);
  const { putLifecycleHook } = createServerGroupSettingsActivities({ aws: provider });
  await new MockActivityEnvironment().run(putLifecycleHook, {
    ...ref,
    lifecycleHookName: 'drain',
    hook: {
      lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING' as const,
      roleArn: 'arn:aws:iam::1:role/r',
      notificationTargetArn: 'arn:aws:sns:us-east-1:1:t',
      notificationMetadata: 'md',
      heartbeatTimeoutSeconds: 600,
      defaultResult: 'CONTINUE' as const,
    },
  });
  expect(sent).toEqual([
    {
      command: 'PutLifecycleHookCommand',
      input: {
        AutoScalingGroupName: 'app-v001',
        LifecycleHookName: 'drain',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        RoleARN: 'arn:aws:iam::1:role/r',
        NotificationTargetARN: 'arn:aws:sns:us-east-1:1:t',
        NotificationMetadata: 'md',
        HeartbeatTimeout: 600,
        DefaultResult: 'CONTINUE',
      },
    },
  ]);
});
