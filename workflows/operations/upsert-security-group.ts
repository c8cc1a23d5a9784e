import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { SecurityGroupIngress, UpsertSecurityGroup } from '../../domain/operations/schemas/upsert-security-group';
import type { IngressPermission } from '../../domain/security-group-rules';
import { awsHolds, computeRuleDelta, formatCreatedGroup, formatPermissions, ipIngressPermissions } from '../../domain/security-group-rules';
import { createdByValue } from '../../domain/task';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

/** Clouddriver prints each rule of a change up to this many, and only their number beyond. */
const MAX_RULES_FOR_STATUS = 50;

/**
 * Clouddriver's UpsertSecurityGroupAtomicOperation, with its phase (UPSERT_SG) and history lines:
 * the groups the rules name must exist (a rule naming the group itself may wait until it is
 * created); the group is created when missing; then the rules are brought to the description:
 * descriptions of matching CIDR rules updated, missing rules added, rules not asked for removed
 * unless `ingressAppendOnly`. Rules from prefix lists are neither added nor removed.
 *
 * Compensation: a group this task created is deleted again if the task fails or is cancelled
 * (also when a later operation of the task fails: Orca sends one upsert per region in one task),
 * so a failed upsert leaves no half-made group behind. Rule changes on a group that was already
 * there are not undone, as Clouddriver does not undo them: each one is on its own history line,
 * an upsert run again converges, and an undo would reopen rules the caller was closing (or, half
 * done, leave the group with neither its old rules nor the new ones).
 */
export async function upsertSecurityGroupOperation(ctx: OperationContext, d: UpsertSecurityGroup): Promise<TaskOutput> {
  const where = { account: d.account, region: d.region };
  const place = `${d.name}${d.vpcId ? ` in ${d.vpcId}` : ''} in ${d.region}`;
  const lookupInput = { ...where, name: d.name, vpcId: d.vpcId, ingress: d.securityGroupIngress };
  let lookup = await ctx.call('lookupSecurityGroupUpsert', `Look up security group ${place} and the groups its rules name`, lookupInput);
  const selfReferencing = lookup.missing.filter((m) => isSelfReference(d, m));
  failIfMissing(ctx, d, lookup.missing, selfReferencing.length, true);

  let groupId: string;
  let existing: readonly IngressPermission[];
  if (lookup.group) {
    groupId = lookup.group.groupId;
    existing = lookup.group.permissions;
  } else {
    ctx.log(`Creating Security Group ${d.name}`);
    const createdBy = createdByValue(ctx.taskId, ctx.index);
    // Registered before the create: a create whose answer never arrived may still have made it.
    ctx.onFailure(`delete security group ${place} created by this task`, async () => {
      const { deleted } = await ctx.call('deleteSecurityGroupCreatedByTask', `Delete security group ${place} (created by this task)`, {
        ...where,
        name: d.name,
        vpcId: d.vpcId,
        createdBy,
      });
      ctx.log(
        deleted ? `Deleted security group ${place}, created by this task` : `No security group ${place} created by this task to delete`,
      );
    });
    const created = await logAwsFailure(
      ctx,
      (m) => `Failed to create security group '${d.name}' in ${d.account}: ${m}`,
      ctx.call('createSecurityGroupForUpsert', `Create security group ${place}`, {
        ...where,
        name: d.name,
        description: d.description,
        vpcId: d.vpcId,
        tags: d.tags,
        createdBy,
      }),
    );
    groupId = created.groupId;
    if (created.created) {
      ctx.log(
        `Created Security Group ${formatCreatedGroup({ description: d.description, name: d.name, ownerId: created.ownerId, groupId, vpcId: d.vpcId })}`,
      );
      existing = [];
    } else {
      // Someone else made it between the look and the create (Clouddriver's InvalidGroup.Duplicate path).
      const again = await ctx.call('lookupSecurityGroupUpsert', `Look up security group ${place} again`, lookupInput);
      existing = again.group?.permissions ?? [];
    }
  }

  let wanted = [...ipIngressPermissions(d.ipIngress), ...lookup.groupPermissions];
  if (selfReferencing.length > 0) {
    ctx.log('Extracting ip permissions');
    lookup = await ctx.call('lookupSecurityGroupUpsert', `Look up the groups the rules of ${place} name`, lookupInput);
    failIfMissing(ctx, d, lookup.missing, 0, false);
    wanted = [...ipIngressPermissions(d.ipIngress), ...lookup.groupPermissions];
    ctx.log(`Extracted ip permissions (${formatConvertedIngress(wanted)})`);
  }

  const { toAdd, toRemove, toUpdate } = computeRuleDelta(wanted, existing);
  const change = { ...where, groupId };
  const tags = () =>
    ctx.call('updateSecurityGroupTagsForUpsert', `Tag security group ${groupId}`, { ...change, name: d.name, tags: d.tags });

  if (toUpdate.length > 0) {
    ctx.log(`Updating Ingress (${formatPermissions(toUpdate)})`);
    await logAwsFailure(
      ctx,
      (m) => `Error updating ingress to '${d.name}' - ${m}`,
      ctx.call('updateSecurityGroupIngressDescriptions', `Update ${toUpdate.length} rule description(s) of ${place}`, {
        ...change,
        permissions: toUpdate,
      }),
    );
    await tags();
    ctx.log(`Permissions updated to '${d.name}' (${rulesText(toUpdate, 'updated')}).`);
  }

  if (toAdd.length > 0) {
    ctx.log(`Adding Ingress (${formatPermissions(toAdd)})`);
    // A rule AWS already holds under another spelling (TCP for tcp, ports on an all-protocol
    // rule) is new to Clouddriver's comparison; AWS refuses it as a duplicate and the task fails
    // there, before anything is removed. Checked here on the look taken before any change, so an
    // attempt repeated after a lost answer may still find its own rules in place.
    const duplicate = toAdd.find((p) => awsHolds(existing, p));
    if (duplicate) {
      const message = `the specified rule ${formatPermissions([duplicate])} already exists`;
      ctx.log(`Error adding ingress to '${d.name}' - ${message}`);
      throw ApplicationFailure.nonRetryable(message, 'InvalidPermission.Duplicate', { groupId, region: d.region });
    }
    await logAwsFailure(
      ctx,
      (m) => `Error adding ingress to '${d.name}' - ${m}`,
      ctx.call('authorizeSecurityGroupIngress', `Authorize ${toAdd.length} ingress rule(s) on ${place}`, { ...change, permissions: toAdd }),
    );
    await tags();
    ctx.log(`Permissions added to '${d.name}' (${rulesText(toAdd, 'added')}).`);
  }

  if (toRemove.length > 0 && !d.ingressAppendOnly) {
    ctx.log(`Removing Ingress (${formatPermissions(toRemove)})`);
    await logAwsFailure(
      ctx,
      (m) => `Error removing ingress from ${d.name}: ${m}`,
      ctx.call('revokeSecurityGroupIngress', `Revoke ${toRemove.length} ingress rule(s) from ${place}`, {
        ...change,
        permissions: toRemove,
      }),
    );
    await tags();
    ctx.log(`Permissions removed from '${d.name}' (${rulesText(toRemove, 'removed')}).`);
  }
  return { resultObjects: [] };
}

/**
 * Clouddriver counts a missing group as the group itself only when the rule names its account
 * explicitly (`it.accountName == description.account`): a self-reference without `accountName`
 * to a group not created yet fails the task, there as here.
 */
function isSelfReference(d: UpsertSecurityGroup, m: SecurityGroupIngress): boolean {
  return m.name === d.name && m.accountName === d.account;
}

/** UpsertSecurityGroupAtomicOperation.convertDescriptionToIngress's refusal, with its message. */
function failIfMissing(
  ctx: OperationContext,
  d: UpsertSecurityGroup,
  missing: readonly SecurityGroupIngress[],
  selfReferencing: number,
  ignoreSelfReferencingRules: boolean,
): void {
  const anyMissing = missing.length > 0 && (!ignoreSelfReferencingRules || missing.length > selfReferencing);
  if (!anyMissing) return;
  const names = missing.map((m) => `'${m.name ?? m.id}' in '${m.accountName ?? d.account}' ${m.vpcId ?? d.vpcId ?? 'EC2-classic'}`);
  const message = `The following security groups do not exist: ${names.join(', ')} (ignoreSelfReferencingRules: ${ignoreSelfReferencingRules})`;
  ctx.log(message);
  throw ApplicationFailure.nonRetryable(message, FailureType.SecurityGroupNotFound, {
    missing: missing.map((m) => m.name ?? m.id),
    region: d.region,
  });
}

/** Clouddriver's history line for a failed AWS call (AWS's own message), then the failure as it was. */
async function logAwsFailure<T>(ctx: OperationContext, line: (awsMessage: string) => string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure) ctx.log(line(awsMessageOf(cause.message)));
    throw err;
  }
}

/** The AWS message inside `awsCall`'s "<call> failed: <code> (HTTP n): <message>". */
function awsMessageOf(message: string): string {
  return /failed: \S+(?: \(HTTP \d+\))?: ([\s\S]*)$/.exec(message)?.[1] ?? message;
}

function rulesText(ps: readonly IngressPermission[], verb: string): string {
  return ps.length > MAX_RULES_FOR_STATUS ? `${ps.length} rules ${verb}` : formatPermissions(ps);
}

/** Groovy's @Immutable toString of SecurityGroupIngressConverter.ConvertedIngress after a complete conversion. */
function formatConvertedIngress(ps: readonly IngressPermission[]): string {
  const pkg = 'com.netflix.spinnaker.clouddriver.aws.deploy.ops.securitygroup.SecurityGroupIngressConverter';
  return `${pkg}$ConvertedIngress(${formatPermissions(ps)}, ${pkg}$MissingSecurityGroups([], []))`;
}
