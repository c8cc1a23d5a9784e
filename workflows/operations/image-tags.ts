import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { UpsertImageTags } from '../../domain/operations/schemas/image-tags';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/**
 * Clouddriver's UpsertAmiTagsAtomicOperation, with its history lines: in each region, every image
 * the account can see named `amiName` gets the tags (CreateTags is an upsert, so a repeat writes
 * the same). A region without such an image, or an image whose tagging AWS refuses, is logged and
 * the other regions and images are still tagged; the task then fails, as Clouddriver's
 * `task.fail()` fails it at the end. Tags replaced on the way are not put back: Clouddriver's
 * operation creates nothing, and keeps no copy of them either.
 */
export async function upsertImageTagsOperation(ctx: OperationContext, d: UpsertImageTags): Promise<TaskOutput> {
  const descriptor = `${d.account}/${d.amiName}`;
  ctx.log(`Initializing Upsert AMI Tags operation for ${descriptor}...`);
  const problems: string[] = [];
  let missing = false;
  let refusal: string | undefined;
  const tagKeys = Object.keys(d.tags);

  for (const region of d.regions) {
    const { imageIds } = await ctx.call('findImagesByName', `Find images named ${d.amiName} in ${region}`, {
      account: d.account,
      region,
      name: d.amiName,
    });
    if (imageIds.length === 0) {
      ctx.log(`No AMI found for ${descriptor} in ${region}.`);
      problems.push(`no image named ${d.amiName} in ${region}`);
      missing = true;
      continue;
    }
    for (const imageId of imageIds) {
      if (tagKeys.length === 0) {
        ctx.log(`Skipping empty tags update for ${imageId} in ${region}`);
      } else {
        ctx.log(`Updating tags for ${imageId} in ${region}...`);
        try {
          await ctx.call('tagImage', `Tag ${imageId} in ${region}: ${tagKeys.join(', ')}`, {
            account: d.account,
            region,
            imageId,
            tags: d.tags,
          });
        } catch (err) {
          const reason = messageOf(err);
          ctx.log(`Could not upsert AMI tags for ${imageId} in ${region}! Reason: ${reason}`);
          problems.push(`could not tag ${imageId} in ${region}: ${reason}`);
          refusal ??= typeOf(err);
          continue;
        }
        ctx.log(`Tags updated for ${imageId} in ${region}...`);
      }
      ctx.log(`Finished Upsert AMI Tags operation for ${descriptor} (${imageId}) in ${region}.`);
    }
  }

  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `cannot tag image ${d.amiName} in every region: ${problems.join('; ')}`,
      missing ? FailureType.ImageNotFound : (refusal ?? FailureType.InvalidDescription),
      { amiName: d.amiName, account: d.account },
    );
  }
  return { resultObjects: [] };
}

/** The AWS (or Bosun) message of an activity's failure, not Temporal's "Activity task failed". */
function messageOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** The failure type of an activity's failure: AWS's error code for a refused call. */
function typeOf(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
