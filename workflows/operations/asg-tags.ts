import type { DeleteAsgTags, UpsertServerGroupTags } from '../../domain/operations/schemas/asg-tags';
import type { ServerGroupTarget } from '../../domain/operations/schemas/common';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { serverGroupNotFound } from './target-group';

/**
 * Clouddriver's UpsertAsgTagsAtomicOperation, with its history lines. A missing group fails the
 * task at once (Clouddriver logs it, goes on with the other groups and fails only if the last
 * one failed); tags already put on earlier groups stay, as there: an upsert creates no resource.
 */
export async function upsertServerGroupTagsOperation(ctx: OperationContext, d: UpsertServerGroupTags): Promise<TaskOutput> {
  const descriptor = asgsDescriptor(d.targets);
  ctx.log(`Initializing Upsert ASG Tags operation for ${descriptor}...`);
  const keys = Object.keys(d.tags).join(', ');
  for (const { serverGroupName, region } of d.targets) {
    const where = `${serverGroupName} in ${region}`;
    ctx.log(`Creating tags for ${where}...`);
    const { found } = await ctx.call('putServerGroupTags', `Tag ${where}: ${keys}`, {
      account: d.account,
      region,
      serverGroupName,
      tags: d.tags,
    });
    if (!found) {
      ctx.log(`No ASG named ${serverGroupName} found in ${region}`);
      throw serverGroupNotFound('tag', { account: d.account, region, serverGroupName });
    }
    ctx.log(`Tags created for ${where}`);
  }
  ctx.log(`Finished Upsert ASG Tags operation for ${descriptor}.`);
  return { resultObjects: [] };
}

/**
 * Clouddriver's DeleteAsgTagsAtomicOperation: a group that does not exist has none of the tags,
 * so it is logged and skipped, and the task succeeds (as in Clouddriver).
 */
export async function deleteAsgTagsOperation(ctx: OperationContext, d: DeleteAsgTags): Promise<TaskOutput> {
  const descriptor = asgsDescriptor(d.targets);
  ctx.log(`Initializing Delete ASG Tags operation for ${descriptor}...`);
  for (const { serverGroupName, region } of d.targets) {
    const where = `${serverGroupName} in ${region}`;
    const { found } = await ctx.call('deleteServerGroupTags', `Delete tags ${d.tagKeys.join(', ')} of ${where}`, {
      account: d.account,
      region,
      serverGroupName,
      tagKeys: d.tagKeys,
    });
    ctx.log(found ? `Tags deleted for ${where}` : `No ASG named ${serverGroupName} found in ${region}`);
  }
  ctx.log(`Finished Delete ASG Tags operation for ${descriptor}.`);
  return { resultObjects: [] };
}

/** Clouddriver's descriptor of `asgs` in its history lines: a Groovy list of AsgDescription's `region:name`. */
export function asgsDescriptor(targets: readonly ServerGroupTarget[]): string {
  return `[${targets.map((t) => `${t.region}:${t.serverGroupName}`).join(', ')}]`;
}
