/**
 * Teardown against fakes of the AWS calls: moto deletes a group at once and answers some
 * not-found cases differently from AWS, so waiting and AWS's own error codes are tested here.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { fakeAwsProvider } from '../test/support/fake-aws';
import { createTeardownActivities } from './teardown';

const awsError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

const ref = { account: 'test', region: 'us-east-1', serverGroupName: 'myapp-v001' };
const group =
  (status?: string, instances = 0) =>
  () => ({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'myapp-v001',
        Status: status,
        Instances: Array.from({ length: instances }, (_, i) => ({ InstanceId: `i-${i}` })),
      },
    ],
  });
const noGroup = () => ({ AutoScalingGroups: [] });

test('waits while AWS terminates the instances, heartbeating what is left', async () => {
  const { provider, calls: sent } = fakeAwsProvider({
    DescribeAutoScalingGroupsCommand: [group('Delete in progress', 2), group('Delete in progress', 1), noGroup],
  });
  const env = new MockActivityEnvironment();
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  const { waitForServerGroupDeleted } = createTeardownActivities({ aws: provider });
  const result = await env.run(waitForServerGroupDeleted, { ...ref, deadlineMs: Date.now() + 10_000, pollIntervalMs: 5 });
  expect(result).toEqual({ message: 'myapp-v001 in us-east-1 is deleted' });
  expect(sent).toHaveLength(3);
  expect(beats).toEqual([
    'myapp-v001 in us-east-1 is Delete in progress with 2 instance(s) left',
    'myapp-v001 in us-east-1 is Delete in progress with 1 instance(s) left',
  ]);
});

test('gives up at the deadline with a non-retryable failure naming what it saw', async () => {
  const { provider } = fakeAwsProvider({ DescribeAutoScalingGroupsCommand: group('Delete in progress', 3) });
  const { waitForServerGroupDeleted } = createTeardownActivities({ aws: provider });
  await expect(
    new MockActivityEnvironment().run(waitForServerGroupDeleted, { ...ref, deadlineMs: Date.now() + 30, pollIntervalMs: 10 }),
  ).rejects.toMatchObject({
    type: 'ServerGroupNotDeleted',
    nonRetryable: true,
    message: 'timed out waiting for myapp-v001 to be deleted: myapp-v001 in us-east-1 is Delete in progress with 3 instance(s) left',
  });
});

test('a group AWS is already deleting is not deleted again', async () => {
  const { provider, calls: sent } = fakeAwsProvider({ DescribeAutoScalingGroupsCommand: group('Delete in progress', 1) });
  const { forceDeleteServerGroup } = createTeardownActivities({ aws: provider });
  await expect(new MockActivityEnvironment().run(forceDeleteServerGroup, ref)).resolves.toEqual({ outcome: 'alreadyDeleting' });
  expect(sent.map((s) => s.command)).toEqual(['DescribeAutoScalingGroupsCommand']);
});

test('a group that vanishes between describe and delete is success (AWS answers ValidationError)', async () => {
  const { provider, calls: sent } = fakeAwsProvider({
    DescribeAutoScalingGroupsCommand: group(undefined, 1),
    DeleteAutoScalingGroupCommand: () => {
      throw awsError('ValidationError', "AutoScalingGroup name not found - AutoScalingGroup 'myapp-v001' not found");
    },
  });
  const { forceDeleteServerGroup } = createTeardownActivities({ aws: provider });
  await expect(new MockActivityEnvironment().run(forceDeleteServerGroup, ref)).resolves.toEqual({ outcome: 'notFound' });
  expect(sent[1]).toEqual({ command: 'DeleteAutoScalingGroupCommand', input: { AutoScalingGroupName: 'myapp-v001', ForceDelete: true } });
});

test('AWS’s not-found codes for a launch template id count as already deleted', async () => {
  const { provider, calls: sent } = fakeAwsProvider({
    DescribeLaunchTemplatesCommand: () => {
      throw awsError('InvalidLaunchTemplateId.NotFound', 'The specified launch template, with template ID lt-0abc, does not exist.');
    },
  });
  const { deleteServerGroupLaunchTemplate } = createTeardownActivities({ aws: provider });
  await expect(
    new MockActivityEnvironment().run(deleteServerGroupLaunchTemplate, {
      ...ref,
      launchTemplateId: 'lt-0abc',
      launchTemplateName: 'myapp-v001',
    }),
  ).resolves.toEqual({ outcome: 'notFound', launchTemplateId: 'lt-0abc', launchTemplateName: 'myapp-v001' });
  expect(sent.map((s) => s.command)).toEqual(['DescribeLaunchTemplatesCommand']);
});

test('a template is deleted by id, named after the group, and a shared one is kept', async () => {
  const template = (name: string) => () => ({ LaunchTemplates: [{ LaunchTemplateId: 'lt-0abc', LaunchTemplateName: name }] });
  const own = fakeAwsProvider({ DescribeLaunchTemplatesCommand: template('myapp-v001'), DeleteLaunchTemplateCommand: () => ({}) });
  await expect(
    new MockActivityEnvironment().run(createTeardownActivities({ aws: own.provider }).deleteServerGroupLaunchTemplate, {
      ...ref,
      launchTemplateName: 'myapp-v001',
    }),
  ).resolves.toEqual({ outcome: 'deleted', launchTemplateId: 'lt-0abc', launchTemplateName: 'myapp-v001' });
  expect(own.calls[1]).toEqual({ command: 'DeleteLaunchTemplateCommand', input: { LaunchTemplateId: 'lt-0abc' } });

  const shared = fakeAwsProvider({ DescribeLaunchTemplatesCommand: template('myapp-base') });
  await expect(
    new MockActivityEnvironment().run(createTeardownActivities({ aws: shared.provider }).deleteServerGroupLaunchTemplate, {
      ...ref,
      launchTemplateId: 'lt-0abc',
    }),
  ).resolves.toEqual({ outcome: 'shared', launchTemplateId: 'lt-0abc', launchTemplateName: 'myapp-base' });
  expect(shared.sent).toEqual(['DescribeLaunchTemplatesCommand']);
});
