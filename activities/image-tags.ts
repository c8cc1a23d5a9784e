/**
 * Image tags (upsertImageTags): the images of a name in a region, and CreateTags on one of them.
 * CreateTags replaces the values of the keys it names, so a repeated attempt writes the same.
 */
import { CreateTagsCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { awsCall } from './aws-errors';
import type { ActivityDeps } from './deps';

export interface ImagesByNameInput {
  readonly account: string;
  readonly region: string;
  readonly name: string;
}

export interface TagImageInput {
  readonly account: string;
  readonly region: string;
  readonly imageId: string;
  readonly tags: Readonly<Record<string, string>>;
}

export function createImageTagActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Every image the account can see with exactly this name, as Clouddriver's
     * UpsertAmiTagsAtomicOperation finds them (a name filter, no owner filter: an image the
     * account does not own is found, and AWS then refuses to tag it).
     */
    async findImagesByName(input: ImagesByNameInput): Promise<{ imageIds: string[] }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const out = await awsCall(`DescribeImages named ${input.name} in ${input.region}`, () =>
        ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: [input.name] }] })),
      );
      return { imageIds: (out.Images ?? []).filter((i) => i.ImageId && i.Name === input.name).map((i) => i.ImageId!) };
    },

    /** Puts the tags on the image (an upsert per key). */
    async tagImage(input: TagImageInput): Promise<{ tagged: number }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const tags = Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value }));
      await awsCall(`CreateTags ${input.imageId} in ${input.region}`, () =>
        ec2.send(new CreateTagsCommand({ Resources: [input.imageId], Tags: tags })),
      );
      return { tagged: tags.length };
    },
  };
}
