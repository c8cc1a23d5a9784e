import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { DeleteImage, DeleteLaunchConfiguration, DeleteLaunchTemplate, DeleteSnapshot } from '../../domain/operations/schemas/cleanup';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/**
 * Clouddriver's DeleteAmazonLaunchConfigurationAtomicOperation, with its history lines. A
 * configuration that is not there is success (Clouddriver ignores "not found"), so a task run
 * again after a lost answer ends the same way.
 */
export async function deleteLaunchConfigurationOperation(ctx: OperationContext, d: DeleteLaunchConfiguration): Promise<TaskOutput> {
  const { launchConfigurationName, region } = d;
  ctx.log(`Deleting launch config ${launchConfigurationName} in ${region}`);
  await ctx.call('deleteLaunchConfigurationByName', `Delete launch configuration ${launchConfigurationName} in ${region}`, {
    account: d.account,
    region,
    launchConfigurationName,
  });
  ctx.log(`Finished Delete Launch Config operation for ${launchConfigurationName}`);
  return { resultObjects: [] };
}

/**
 * Clouddriver's DeleteLaunchTemplateAtomicOperation, with its history lines. A template that is
 * not there is success (Clouddriver ignores "does not exist"), so a repeat ends the same way.
 * Clouddriver's first line prints the description with Java's default toString (class@hash);
 * Bosun names its fields there instead.
 */
export async function deleteLaunchTemplateOperation(ctx: OperationContext, d: DeleteLaunchTemplate): Promise<TaskOutput> {
  const { launchTemplateId, region } = d;
  ctx.log(
    `Initializing Delete Launch Template operation for DeleteAmazonLaunchTemplateDescription(account=${d.account}, launchTemplateId=${launchTemplateId}, region=${region})`,
  );
  await ctx.call('deleteLaunchTemplateById', `Delete launch template ${launchTemplateId} in ${region}`, {
    account: d.account,
    region,
    launchTemplateId,
  });
  ctx.log(`Launch Template ${launchTemplateId} in ${region}`);
  return { resultObjects: [] };
}

/**
 * Clouddriver's DeleteAmazonSnapshotAtomicOperation, with its history lines: a snapshot that is
 * not there is success (InvalidSnapshot.NotFound is ignored); one an image still uses fails
 * with AWS's InvalidSnapshot.InUse, as there. The first line names the description's fields
 * where Clouddriver prints Java's default toString (class@hash).
 */
export async function deleteSnapshotOperation(ctx: OperationContext, d: DeleteSnapshot): Promise<TaskOutput> {
  const { snapshotId, region } = d;
  ctx.log(
    `Initializing Delete Snapshot operation for DeleteAmazonSnapshotDescription(account=${d.account}, snapshotId=${snapshotId}, region=${region})`,
  );
  await ctx.call('deleteEbsSnapshot', `Delete snapshot ${snapshotId} in ${region}`, { account: d.account, region, snapshotId });
  ctx.log(`Deleted Snapshot ${snapshotId} in ${region}`);
  return { resultObjects: [] };
}

/**
 * Clouddriver's DeleteAmazonImageAtomicOperation, with its history lines. Clouddriver fails on an
 * image that is not there (DeregisterImage's InvalidAMIID error is not caught), so the image is
 * looked up first and a missing one fails the task; the deregister itself treats "gone" as done,
 * so an attempt repeated after a lost answer succeeds. Its snapshots stay, as in Clouddriver.
 */
export async function deleteImageOperation(ctx: OperationContext, d: DeleteImage): Promise<TaskOutput> {
  const { imageId, region } = d;
  const ref = { account: d.account, region, imageId };
  ctx.log(
    `Initializing Delete Image operation for DeleteAmazonImageDescription(account=${d.account}, imageId=${imageId}, region=${region})`,
  );
  const { found } = await ctx.call('describeImageById', `Describe image ${imageId} in ${region}`, ref);
  if (!found) {
    throw ApplicationFailure.nonRetryable(
      `The image id '[${imageId}]' does not exist in ${region} of ${d.account}`,
      FailureType.ImageNotFound,
      ref,
    );
  }
  await ctx.call('deregisterImageById', `Deregister image ${imageId} in ${region}`, ref);
  ctx.log(`Deleted Image ${imageId} in ${region}`);
  return { resultObjects: [] };
}
