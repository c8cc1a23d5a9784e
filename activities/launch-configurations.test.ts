/**
 * Launch-configuration activities against fakes of the AWS calls, for AWS answers moto does not
 * give: it deletes a configuration a group still runs, and a missing one, without a word.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { awsError, fakeAwsProvider } from '../test/support/fake-aws';
import { createLaunchConfigurationActivities } from './launch-configurations';

const input = { account: 'test', region: 'us-east-1', serverGroupName: 'myapp-v001', launchConfigurationName: 'myapp-v001-01012024000000' };
const listed = () => ({ LaunchConfigurations: [{ LaunchConfigurationName: input.launchConfigurationName }] });

test('a launch configuration another group still runs is kept: AWS answers ResourceInUse', async () => {
  const { provider, sent } = fakeAwsProvider({
    DescribeLaunchConfigurationsCommand: listed,
    DeleteLaunchConfigurationCommand: () => {
      throw awsError(
        'ResourceInUse',
        'Cannot delete launch configuration myapp-v001-01012024000000 because it is attached to AutoScalingGroup other-v002',
      );
    },
  });
  const { deleteLaunchConfiguration } = createLaunchConfigurationActivities({ aws: provider });
  expect(await new MockActivityEnvironment().run(deleteLaunchConfiguration, input)).toEqual({ outcome: 'inUse' });
  expect(sent).toEqual(['DescribeLaunchConfigurationsCommand', 'DeleteLaunchConfigurationCommand']);
});

test('one deleted between the describe and the delete is gone, as AWS says it: ValidationError "not found"', async () => {
  const { provider } = fakeAwsProvider({
    DescribeLaunchConfigurationsCommand: listed,
    DeleteLaunchConfigurationCommand: () => {
      throw awsError('ValidationError', 'Launch configuration name not found - myapp-v001-01012024000000');
    },
  });
  const { deleteLaunchConfiguration } = createLaunchConfigurationActivities({ aws: provider });
  expect(await new MockActivityEnvironment().run(deleteLaunchConfiguration, input)).toEqual({ outcome: 'notFound' });
});

test('metrics collection is turned off only when some metric is on', async () => {
  const group = (metrics: string[]) => () => ({
    AutoScalingGroups: [{ AutoScalingGroupName: 'myapp-v001', EnabledMetrics: metrics.map((Metric) => ({ Metric })) }],
  });
  const off = fakeAwsProvider({ DescribeAutoScalingGroupsCommand: group([]) });
  const env = new MockActivityEnvironment();
  expect(await env.run(createLaunchConfigurationActivities({ aws: off.provider }).disableServerGroupMetricsCollection, input)).toEqual({
    changed: false,
  });
  const on = fakeAwsProvider({
    DescribeAutoScalingGroupsCommand: group(['GroupInServiceInstances']),
    DisableMetricsCollectionCommand: () => ({}),
  });
  expect(await env.run(createLaunchConfigurationActivities({ aws: on.provider }).disableServerGroupMetricsCollection, input)).toEqual({
    changed: true,
  });
  expect(on.sent).toEqual(['DescribeAutoScalingGroupsCommand', 'DisableMetricsCollectionCommand']);
});
