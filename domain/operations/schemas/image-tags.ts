import { z } from 'zod';
import { accountOf, ALWAYS, descriptionBase, MAX_REGIONS, regionSchema } from './common';

/** AWS's limits on an EC2 tag, and on the tags of one resource. */
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
const MAX_TAGS = 50;

/**
 * Clouddriver's UpsertAmiTagsDescription (`upsertImageTags`, legacy `upsertAmiTagsDescription`):
 * the images named `amiName` in each of `regions` get `tags`. Clouddriver has no validator for
 * it: no regions tags nothing, and no tags (or an empty map) skips the update, both successfully.
 */
export const upsertImageTagsSchema = z
  .looseObject({
    ...descriptionBase,
    amiName: z
      .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be an image name (a string)') })
      .min(1, { error: 'must not be empty' }),
    regions: z
      .array(regionSchema)
      .max(MAX_REGIONS, { error: `must list at most ${MAX_REGIONS} regions` })
      .optional(),
    tags: z
      .record(
        z
          .string()
          .min(1, { error: 'must not be an empty tag key' })
          .max(MAX_TAG_KEY, { error: `must be at most ${MAX_TAG_KEY} characters` }),
        z.string({ error: 'must be a tag value (a string)' }).max(MAX_TAG_VALUE, { error: `must be at most ${MAX_TAG_VALUE} characters` }),
        { error: 'must be a map of tag keys to values' },
      )
      .refine((t) => Object.keys(t).length <= MAX_TAGS, { error: `must set at most ${MAX_TAGS} tags` })
      .optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.credentials && !d.account) ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'is required (the account name)' });
  }, ALWAYS)
  .transform((d): UpsertImageTags => ({
    account: accountOf(d),
    amiName: d.amiName,
    // A region listed twice is tagged once.
    regions: [...new Set(d.regions ?? [])],
    tags: d.tags ?? {},
    application: d.application ?? d.moniker?.app,
  }));

/** The normalised description of `upsertImageTags`. */
export interface UpsertImageTags {
  readonly account: string;
  readonly amiName: string;
  readonly regions: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly application?: string | undefined;
}

export function describeUpsertImageTags(d: UpsertImageTags): string {
  return `tag image ${d.amiName} in ${d.regions.join(', ') || 'no region'}: ${Object.keys(d.tags).join(', ') || 'no tags'}`;
}
