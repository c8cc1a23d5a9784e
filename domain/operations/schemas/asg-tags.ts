import { z } from 'zod';
import type { ServerGroupsDescription, ServerGroupTarget } from './common';
import {
  ON_OBJECTS,
  applicationOf,
  checkAccountAndTargets,
  descriptionBase,
  MAX_TAG_KEY,
  MAX_TAG_VALUE,
  MAX_TAGS,
  serverGroupRefShape,
  serverGroupsOf,
} from './common';

const tagKey = z
  .string({ error: 'must be a tag key (a string)' })
  .min(1, { error: 'must not be empty' })
  .max(MAX_TAG_KEY, { error: `must be at most ${MAX_TAG_KEY} characters` });

/**
 * Clouddriver's UpsertAsgTagsDescription (`upsertServerGroupTags`, legacy `upsertAsgTagsDescription`):
 * `tags` is a map of key to value; its validator refuses an empty map and any empty key or value.
 */
export const upsertServerGroupTagsSchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    tags: z
      .record(
        z.string(),
        z
          .string({ error: 'must be a tag value (a string)' })
          .min(1, { error: 'must not be empty' })
          .max(MAX_TAG_VALUE, { error: `must be at most ${MAX_TAG_VALUE} characters` }),
        { error: (iss) => (iss.input === undefined ? 'is required' : 'must be a map of tag keys to values') },
      )
      .superRefine((tags, ctx) => {
        const keys = Object.keys(tags);
        if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'must set at least one tag' });
        // AWS allows 50 tags on a group: more in one request can never succeed.
        if (keys.length > MAX_TAGS) ctx.addIssue({ code: 'custom', message: `must set at most ${MAX_TAGS} tags` });
        for (const k of keys) {
          if (k.trim() === '') ctx.addIssue({ code: 'custom', message: 'must not have an empty tag key' });
          if (k.length > MAX_TAG_KEY) ctx.addIssue({ code: 'custom', path: [k], message: `key must be at most ${MAX_TAG_KEY} characters` });
        }
      }),
  })
  .superRefine(checkAccountAndTargets, ON_OBJECTS)
  .transform((d): UpsertServerGroupTags => ({
    ...serverGroupsOf(d),
    tags: d.tags,
    application: applicationOf(d),
  }));

/** The normalised description of `upsertServerGroupTags`. */
export interface UpsertServerGroupTags extends ServerGroupsDescription {
  /** Key to value, as posted; every tag is put with PropagateAtLaunch, as Clouddriver puts it. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Clouddriver's DeleteAsgTagsDescription (`deleteAsgTagsDescription`): its validator refuses an
 * empty key; an empty list would reach AWS as a DeleteTags without tags, which AWS refuses.
 */
export const deleteAsgTagsSchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    tagKeys: z
      .array(tagKey, { error: (iss) => (iss.input === undefined ? 'is required' : 'must be a list of tag keys') })
      .min(1, { error: 'must name at least one tag key' })
      .max(MAX_TAGS, { error: `must name at most ${MAX_TAGS} tag keys` }),
  })
  .superRefine(checkAccountAndTargets, ON_OBJECTS)
  .transform((d): DeleteAsgTags => ({
    ...serverGroupsOf(d),
    tagKeys: [...new Set(d.tagKeys)],
    application: applicationOf(d),
  }));

/** The normalised description of `deleteAsgTagsDescription`. */
export interface DeleteAsgTags extends ServerGroupsDescription {
  /** Named once each, in the order given. */
  readonly tagKeys: readonly string[];
}

export function describeUpsertServerGroupTags(d: UpsertServerGroupTags): string {
  return `tag ${where(d.targets)} with ${Object.entries(d.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}`;
}

export function describeDeleteAsgTags(d: DeleteAsgTags): string {
  return `delete tags ${d.tagKeys.join(', ')} of ${where(d.targets)}`;
}

function where(targets: readonly ServerGroupTarget[]): string {
  return targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
}
