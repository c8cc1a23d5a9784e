import { DescribeImagesCommand, ModifyImageAttributeCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { awsCall, awsDescribe } from './aws-errors';
import type { ActivityDeps } from './deps';

export interface ImageRef {
  readonly account: string;
  readonly region: string;
  /** An AMI name or id, as Clouddriver's `amiName` accepts both. */
  readonly image: string;
}

export interface ResolvedImageInfo {
  readonly imageId: string;
  readonly name: string | undefined;
  readonly ownerId: string | undefined;
}

export interface AllowImageLaunchInput {
  readonly sourceAccount: string;
  readonly targetAccount: string;
  readonly region: string;
  readonly imageId: string;
}

/** Owners allowed when none are configured: Amazon's own images (the `amazon` alias cannot be claimed by anyone else). */
export const DEFAULT_IMAGE_OWNERS: readonly string[] = ['amazon'];

/** Activities on AMIs: resolving one (by id, or by name among allowed owners), sharing it with another account. */
export function createImageActivities({ aws, imageOwners = DEFAULT_IMAGE_OWNERS }: ActivityDeps) {
  const owners = [...new Set(['self', ...imageOwners])];
  return {
    /**
     * Resolves an AMI by id or by name (the newest image of that name owned by the account
     * itself, a configured account or an allowed owner). `null` when there is none: the
     * workflow turns that into a failure naming the image.
     */
    async resolveImage(input: ImageRef): Promise<ResolvedImageInfo | null> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const byId = /^ami-[0-9a-f]+$/.test(input.image);
      const out = await awsDescribe(
        `DescribeImages ${input.image} in ${input.region}`,
        () =>
          ec2.send(
            new DescribeImagesCommand(
              byId ? { ImageIds: [input.image] } : { Owners: owners, Filters: [{ Name: 'name', Values: [input.image] }] },
            ),
          ),
        'image',
      );
      const newest = [...(out?.Images ?? [])].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
      if (!newest?.ImageId) return null;
      return { imageId: newest.ImageId, name: newest.Name, ownerId: newest.OwnerId };
    },

    /**
     * Lets `targetAccount` launch an image the source account owns. Adding a launch permission
     * that is already there is a no-op in AWS, so a retry is harmless.
     */
    async allowImageLaunch(input: AllowImageLaunchInput): Promise<{ shared: boolean; reason: string }> {
      if (input.sourceAccount === input.targetAccount) return { shared: false, reason: 'source and target account are the same' };
      const target = aws.account(input.targetAccount);
      if (!target) {
        throw ApplicationFailure.nonRetryable(`account '${input.targetAccount}' is not configured in Bosun`, FailureType.UnknownAccount);
      }
      if (!target.accountId) {
        throw ApplicationFailure.nonRetryable(
          `account '${input.targetAccount}' has no accountId configured, so ${input.imageId} cannot be shared with it`,
          FailureType.AccountIdUnknown,
        );
      }
      const { ec2 } = aws.clientsFor(input.sourceAccount, input.region);
      await awsCall(`ModifyImageAttribute ${input.imageId} in ${input.region}`, () =>
        ec2.send(new ModifyImageAttributeCommand({ ImageId: input.imageId, LaunchPermission: { Add: [{ UserId: target.accountId }] } })),
      );
      return { shared: true, reason: `launch permission for ${target.accountId}` };
    },
  };
}
