import { z } from 'zod';
import type { RegionsDescription } from './common';
import {
  accountAndRegionsOf,
  ON_OBJECTS,
  applicationOf,
  checkAccount,
  descriptionBase,
  ec2TagsSchema,
  MAX_REGIONS,
  regionSchema,
  requiredString,
} from './common';

/**
 * Clouddriver's UpsertAmiTagsDescription (`upsertImageTags`, legacy `upsertAmiTagsDescription`):
 * the images named `amiName` in each of `regions` get `tags`. Clouddriver has no validator for
 * it: no regions tags nothing, and no tags (or an empty map) skips the update, both successfully.
 */
export const upsertImageTagsSchema = z
  .looseObject({
    ...descriptionBase,
    amiName: z.string({ error: requiredString('an image name') }).min(1, { error: 'must not be empty' }),
    regions: z
      .array(regionSchema)
      .max(MAX_REGIONS, { error: `must list at most ${MAX_REGIONS} regions` })
      .optional(),
    tags: ec2TagsSchema.optional(),
  })
  .superRefine(checkAccount, ON_OBJECTS)
  .transform((d): UpsertImageTags => ({
    // A region listed twice is tagged once.
    ...accountAndRegionsOf(d),
    amiName: d.amiName,
    tags: d.tags ?? {},
    application: applicationOf(d),
  }));

/** The normalised description of `upsertImageTags`. */
export interface UpsertImageTags extends RegionsDescription {
  readonly amiName: string;
  readonly tags: Readonly<Record<string, string>>;
}

export function describeUpsertImageTags(d: UpsertImageTags): string {
  return `tag image ${d.amiName} in ${d.regions.join(', ') || 'no region'}: ${Object.keys(d.tags).join(', ') || 'no tags'}`;
}
