/**
 * Clean-up of single resources by name or id (deleteLaunchConfiguration, deleteLaunchTemplate,
 * deleteSnapshot, deleteImage). Each delete looks first and treats "not there" as done, so an
 * attempt repeated after a lost answer ends as the first one did.
 */
import { DeleteLaunchConfigurationCommand, DescribeLaunchConfigurationsCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteLaunchTemplateCommand, DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { awsCall, awsDelete, hasAwsCode, isAwsNotFound } from './aws-errors';
import type { ActivityDeps } from './deps';

export interface NamedLaunchConfigurationRef {
  readonly account: string;
  readonly region: string;
  readonly launchConfigurationName: string;
}

export interface LaunchTemplateIdRef {
  readonly account: string;
  readonly region: string;
  readonly launchTemplateId: string;
}

export interface SnapshotRef {
  readonly account: string;
  readonly region: string;
  readonly snapshotId: string;
}

export interface ImageIdRef {
  readonly account: string;
  readonly region: string;
  readonly imageId: string;
}

export function createCleanupActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Deletes the launch configuration; one that is not there is success (Clouddriver ignores
     * "Launch configuration name not found"). One a group still runs fails with AWS's
     * ResourceInUse, as Clouddriver's delete does after its retries.
     */
    async deleteLaunchConfigurationByName(input: NamedLaunchConfigurationRef): Promise<{ deleted: boolean }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const out = await awsCall(`DescribeLaunchConfigurations ${input.launchConfigurationName} in ${input.region}`, () =>
        autoScaling.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [input.launchConfigurationName] })),
      );
      if (!out.LaunchConfigurations?.some((l) => l.LaunchConfigurationName === input.launchConfigurationName)) return { deleted: false };
      return {
        deleted: await awsDelete(
          `DeleteLaunchConfiguration ${input.launchConfigurationName} in ${input.region}`,
          () => autoScaling.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: input.launchConfigurationName })),
          (err) => isAwsNotFound(err, 'launchConfiguration'),
        ),
      };
    },

    /**
     * Deletes the launch template with all its versions; one that is not there is success
     * (Clouddriver ignores "does not exist"). AWS deletes a template a group still names; the
     * group then fails its next launch, as after Clouddriver's delete.
     */
    async deleteLaunchTemplateById(input: LaunchTemplateIdRef): Promise<{ deleted: boolean }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      return {
        deleted: await awsDelete(
          `DeleteLaunchTemplate ${input.launchTemplateId} in ${input.region}`,
          () => ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: input.launchTemplateId })),
          (err) => isAwsNotFound(err, 'launchTemplate'),
        ),
      };
    },

    /** Deletes the snapshot; one that is not there is success (InvalidSnapshot.NotFound, as Clouddriver ignores it). */
    async deleteEbsSnapshot(input: SnapshotRef): Promise<{ deleted: boolean }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      return {
        deleted: await awsDelete(
          `DeleteSnapshot ${input.snapshotId} in ${input.region}`,
          () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: input.snapshotId })),
          (err) => hasAwsCode(err, 'InvalidSnapshot.NotFound'),
        ),
      };
    },

    /** Whether the account can see an image of this id in the region (AWS answers InvalidAMIID.NotFound, moto an empty list). */
    async describeImageById(input: ImageIdRef): Promise<{ found: boolean }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      try {
        const out = await awsCall(`DescribeImages ${input.imageId} in ${input.region}`, () =>
          ec2.send(new DescribeImagesCommand({ ImageIds: [input.imageId] })),
        );
        return { found: (out.Images ?? []).some((i) => i.ImageId === input.imageId) };
      } catch (err) {
        if (isAwsNotFound(err, 'image')) return { found: false };
        throw err;
      }
    },

    /** Deregisters the image; one already gone is success (a repeat after a lost answer finds it so). */
    async deregisterImageById(input: ImageIdRef): Promise<{ deregistered: boolean }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      return {
        deregistered: await awsDelete(
          `DeregisterImage ${input.imageId} in ${input.region}`,
          () => ec2.send(new DeregisterImageCommand({ ImageId: input.imageId })),
          (err) => isAwsNotFound(err, 'image'),
        ),
      };
    },
  };
}
