/**
 * Clean-up activities against fakes of the AWS calls, for AWS answers moto does not give: it
 * deletes a launch configuration a group still runs and a missing one without a word, answers a
 * missing launch template id by name (InvalidLaunchTemplateName.NotFoundException), never refuses
 * a snapshot an image uses, and lists nothing for a missing image id where AWS fails.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { FakeAnswer } from '../test/support/fake-aws';
import { fakeAwsProvider, raise, runActivity } from '../test/support/fake-aws';
import { createCleanupActivities } from './cleanup';

const fakeAws = (answers: Record<string, FakeAnswer>) => {
  const { provider, sent } = fakeAwsProvider(answers);
  return { activities: createCleanupActivities({ aws: provider }), sent };
};
const run = runActivity;
const where = { account: 'test', region: 'us-east-1' };

test('a launch configuration a group still runs fails the call for good with AWS ResourceInUse, as Clouddriver fails', async () => {
  const lc = { ...where, launchConfigurationName: 'app-v001-20240101' };
  const { activities } = fakeAws({
    DescribeLaunchConfigurationsCommand: () => ({ LaunchConfigurations: [{ LaunchConfigurationName: lc.launchConfigurationName }] }),
    DeleteLaunchConfigurationCommand: raise(
      'ResourceInUse',
      'Cannot delete launch configuration app-v001-20240101 because it is attached to AutoScalingGroup app-v001',
    ),
  });
  const err = await run(activities.deleteLaunchConfigurationByName, lc).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'ResourceInUse', nonRetryable: true });
});

test('a launch configuration deleted between the describe and the delete is success (ValidationError "not found")', async () => {
  const lc = { ...where, launchConfigurationName: 'app-v001-20240101' };
  const { activities } = fakeAws({
    DescribeLaunchConfigurationsCommand: () => ({ LaunchConfigurations: [{ LaunchConfigurationName: lc.launchConfigurationName }] }),
    DeleteLaunchConfigurationCommand: raise('ValidationError', 'Launch configuration name not found - app-v001-20240101'),
  });
  expect(await run(activities.deleteLaunchConfigurationByName, lc)).toEqual({ deleted: false });
});

test("a launch template id AWS does not know is success (InvalidLaunchTemplateId.NotFound, AWS's code by id)", async () => {
  const { activities } = fakeAws({
    DeleteLaunchTemplateCommand: raise(
      'InvalidLaunchTemplateId.NotFound',
      'The specified launch template, with template ID lt-0123456789abcdef0, does not exist.',
    ),
  });
  expect(await run(activities.deleteLaunchTemplateById, { ...where, launchTemplateId: 'lt-0123456789abcdef0' })).toEqual({
    deleted: false,
  });
});

test('a snapshot an image still uses fails for good (InvalidSnapshot.InUse), as Clouddriver rethrows it', async () => {
  const { activities } = fakeAws({
    DeleteSnapshotCommand: raise(
      'InvalidSnapshot.InUse',
      'The snapshot snap-0123456789abcdef0 is currently in use by ami-0123456789abcdef0',
    ),
  });
  const err = await run(activities.deleteEbsSnapshot, { ...where, snapshotId: 'snap-0123456789abcdef0' }).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'InvalidSnapshot.InUse', nonRetryable: true });
});

test('an image id AWS does not know is not found (AWS fails DescribeImages with InvalidAMIID.NotFound), and deregistering it again is success', async () => {
  const gone = raise('InvalidAMIID.NotFound', "The image id '[ami-0123456789abcdef0]' does not exist");
  const { activities } = fakeAws({ DescribeImagesCommand: gone, DeregisterImageCommand: gone });
  const ref = { ...where, imageId: 'ami-0123456789abcdef0' };
  expect(await run(activities.describeImageById, ref)).toEqual({ found: false });
  expect(await run(activities.deregisterImageById, ref)).toEqual({ deregistered: false });
});
