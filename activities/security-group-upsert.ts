/**
 * upsertSecurityGroup's AWS calls, after Clouddriver's SecurityGroupLookupFactory: the group and
 * the groups its rules name (looked up by name in their own account, in the region of the
 * upsert), the group created when missing, and its ingress rules authorized, revoked and
 * described. Each call looks before it changes, so an attempt repeated after a lost answer ends
 * as the first one did: a rule already there is authorized, a rule already gone is revoked, and
 * a group this task created (tagged `bosun:created-by-task`) is adopted, not made twice.
 */
import type { EC2Client, IpPermission, SecurityGroup, Tag } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type { SecurityGroupIngress, UpsertSecurityGroup } from '../domain/operations/schemas/upsert-security-group';
import type { IngressPermission } from '../domain/security-group-rules';
import { awsHolds, flattenPermissions } from '../domain/security-group-rules';
import { CREATED_BY_TAG } from '../domain/task';
import { awsCall, awsErrorCode } from './aws-errors';
import { tagOf } from './deploy-ownership';
import type { RegionalRef } from './aws-clients';
import type { ActivityDeps } from './deps';
import { allPages } from './paging';

/** The group an upsert names: by name, in its VPC (absent = outside a VPC). */
type UpsertTarget = Pick<UpsertSecurityGroup, 'account' | 'region' | 'name' | 'vpcId'>;

/** The group being upserted, as the lookup found it. */
export interface UpsertTargetGroup {
  readonly groupId: string;
  readonly ownerId?: string | undefined;
  readonly vpcId?: string | undefined;
  /** Its ingress, flattened as Clouddriver flattens it (prefix-list rules left out). */
  readonly permissions: readonly IngressPermission[];
}

export interface SecurityGroupUpsertLookup {
  readonly group?: UpsertTargetGroup | undefined;
  /** The `securityGroupIngress` rules, each with the group it names resolved, in order. */
  readonly groupPermissions: readonly IngressPermission[];
  /** Entries whose group was not found (only with a `vpcId`; outside a VPC a name is used as is). */
  readonly missing: readonly SecurityGroupIngress[];
}

export interface RuleChange extends RegionalRef {
  readonly groupId: string;
  readonly permissions: readonly IngressPermission[];
}

const toAws = (p: IngressPermission): IpPermission => ({
  IpProtocol: p.ipProtocol,
  FromPort: p.fromPort,
  ToPort: p.toPort,
  ...(p.ipv4Ranges.length > 0 ? { IpRanges: p.ipv4Ranges.map((r) => ({ CidrIp: r.cidrIp, Description: r.description })) } : {}),
  ...(p.ipv6Ranges.length > 0 ? { Ipv6Ranges: p.ipv6Ranges.map((r) => ({ CidrIpv6: r.cidrIpv6, Description: r.description })) } : {}),
  ...(p.userIdGroupPairs.length > 0
    ? {
        UserIdGroupPairs: p.userIdGroupPairs.map((x) => ({
          UserId: x.userId,
          GroupId: x.groupId,
          GroupName: x.groupName,
          VpcId: x.vpcId,
          Description: x.description,
        })),
      }
    : {}),
});

async function describeGroups(ec2: EC2Client, what: string, filters: { Name: string; Values: string[] }[]): Promise<SecurityGroup[]> {
  return allPages(async (token) => {
    const out = await awsCall(`DescribeSecurityGroups ${what}`, () =>
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters, NextToken: token })),
    );
    return { items: out.SecurityGroups ?? [], next: out.NextToken };
  });
}

/** Clouddriver's getSecurityGroupByName: the name in exactly that VPC (none matches only a group outside any VPC). */
async function groupByName(ec2: EC2Client, region: string, name: string, vpcId: string | undefined): Promise<SecurityGroup | undefined> {
  const groups = await describeGroups(ec2, `${name} in ${region}`, [{ Name: 'group-name', Values: [name] }]);
  return groups.find((g) => g.GroupName === name && (g.VpcId ?? undefined) === vpcId);
}

async function groupById(ec2: EC2Client, region: string, groupId: string): Promise<SecurityGroup | undefined> {
  const groups = await describeGroups(ec2, `${groupId} in ${region}`, [{ Name: 'group-id', Values: [groupId] }]);
  return groups.find((g) => g.GroupId === groupId);
}

export function createSecurityGroupUpsertActivities({ aws }: ActivityDeps) {
  /**
   * Clouddriver's getAccountIdForName: the account's id, or the name itself for an account it
   * does not know. An account configured without an id gets it from AWS (the owner of its groups).
   */
  const accountIdFor = async (accountName: string, region: string): Promise<string> => {
    const account = aws.account(accountName);
    if (!account) return accountName;
    if (account.accountId) return account.accountId;
    const { ec2 } = aws.clientsFor(accountName, region);
    const groups = await describeGroups(ec2, `default in ${region}`, [{ Name: 'group-name', Values: ['default'] }]);
    return groups.find((g) => g.OwnerId)?.OwnerId ?? accountName;
  };

  return {
    /**
     * The group by name and VPC, and SecurityGroupIngressConverter's conversion of
     * `securityGroupIngress`: an id is used as given; a name is looked up in `accountName` (default
     * the upsert's account; an account Bosun does not have finds nothing) in `vpcId` (default the
     * upsert's); the rule's account id is `accountId`, else that account's. A name not found is
     * missing when the upsert has a VPC, else used by name (EC2-Classic).
     */
    async lookupSecurityGroupUpsert(
      input: UpsertTarget & { readonly ingress: readonly SecurityGroupIngress[] },
    ): Promise<SecurityGroupUpsertLookup> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const groupPermissions: IngressPermission[] = [];
      const missing: SecurityGroupIngress[] = [];
      const ids = new Map<string, string>();
      for (const ingress of input.ingress) {
        const accountName = ingress.accountName ?? input.account;
        let accountId = ingress.accountId ?? ids.get(accountName);
        if (accountId === undefined) {
          accountId = await accountIdFor(accountName, input.region);
          ids.set(accountName, accountId);
        }
        const rule = {
          ipProtocol: ingress.ipProtocol,
          fromPort: ingress.startPort,
          toPort: ingress.endPort,
          ipv4Ranges: [],
          ipv6Ranges: [],
        };
        const pair = (groupId: string) => ({ userId: accountId, groupId, ...(ingress.vpcId ? { vpcId: ingress.vpcId } : {}) });
        if (ingress.id) {
          groupPermissions.push({ ...rule, userIdGroupPairs: [pair(ingress.id)] });
          continue;
        }
        const name = ingress.name ?? '';
        const source = aws.account(accountName)
          ? await groupByName(aws.clientsFor(accountName, input.region).ec2, input.region, name, ingress.vpcId ?? input.vpcId)
          : undefined;
        if (source?.GroupId) groupPermissions.push({ ...rule, userIdGroupPairs: [pair(source.GroupId)] });
        else if (input.vpcId) missing.push(ingress);
        else groupPermissions.push({ ...rule, userIdGroupPairs: [{ userId: accountId, groupName: name }] });
      }
      const group = await groupByName(ec2, input.region, input.name, input.vpcId);
      return {
        group: group?.GroupId
          ? {
              groupId: group.GroupId,
              ownerId: group.OwnerId,
              vpcId: group.VpcId,
              permissions: flattenPermissions(group.IpPermissions ?? []),
            }
          : undefined,
        groupPermissions,
        missing,
      };
    },

    /**
     * SecurityGroupLookup.createSecurityGroup: the group with its description in its VPC, tagged
     * `Name` and the description's tags (and Bosun's `bosun:created-by-task`) as it is made. A
     * group of that name already there is used (`created: false`), as Clouddriver does on
     * InvalidGroup.Duplicate, unless this task made it: a repeated attempt adopts its own group.
     */
    async createSecurityGroupForUpsert(
      input: UpsertTarget & Pick<UpsertSecurityGroup, 'description' | 'tags'> & { readonly createdBy: string },
    ): Promise<{ groupId: string; ownerId?: string | undefined; created: boolean }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const found = async () => {
        const g = await groupByName(ec2, input.region, input.name, input.vpcId);
        return g?.GroupId
          ? { groupId: g.GroupId, ownerId: g.OwnerId, created: tagOf(g.Tags, CREATED_BY_TAG) === input.createdBy }
          : undefined;
      };
      const before = await found();
      if (before) return before;
      const tags: Tag[] = Object.entries({ Name: input.name, ...input.tags, [CREATED_BY_TAG]: input.createdBy }).map(([Key, Value]) => ({
        Key,
        Value,
      }));
      try {
        const out = await awsCall(`CreateSecurityGroup ${input.name} in ${input.vpcId ?? input.region}`, () =>
          ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: input.name,
              Description: input.description,
              VpcId: input.vpcId,
              TagSpecifications: [{ ResourceType: 'security-group', Tags: tags }],
            }),
          ),
        );
        const ownerId = aws.account(input.account)?.accountId ?? out.SecurityGroupArn?.split(':')[4];
        return { groupId: out.GroupId!, ownerId, created: true };
      } catch (err) {
        if (awsErrorCode(err) !== 'InvalidGroup.Duplicate') throw err;
        const after = await found();
        if (after) return after;
        // Clouddriver's second lookup finds nothing either (a group without vpcId is looked for
        // outside any VPC, and AWS made it in the default VPC): its Optional.get() fails.
        throw ApplicationFailure.nonRetryable(
          `security group ${input.name} already exists in ${input.region}, but not ${input.vpcId ? `in ${input.vpcId}` : 'outside a VPC'} ` +
            '(name the VPC it is in with vpcId)',
          'InvalidGroup.Duplicate',
        );
      }
    },

    /** Compensation: deletes the group named so only if this task created it (its tag); gone is done. */
    async deleteSecurityGroupCreatedByTask(input: UpsertTarget & { readonly createdBy: string }): Promise<{ deleted: boolean }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const g = await groupByName(ec2, input.region, input.name, input.vpcId);
      if (!g?.GroupId || tagOf(g.Tags, CREATED_BY_TAG) !== input.createdBy) return { deleted: false };
      const groupId = g.GroupId;
      try {
        await awsCall(`DeleteSecurityGroup ${groupId} in ${input.region}`, () =>
          ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })),
        );
      } catch (err) {
        if (awsErrorCode(err) !== 'InvalidGroup.NotFound') throw err;
      }
      return { deleted: true };
    },

    /** SecurityGroupUpdater.updateIngress: UpdateSecurityGroupRuleDescriptionsIngress (setting the same text twice is harmless). */
    async updateSecurityGroupIngressDescriptions(input: RuleChange): Promise<void> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      await awsCall(`UpdateSecurityGroupRuleDescriptionsIngress ${input.groupId} in ${input.region}`, () =>
        ec2.send(
          new UpdateSecurityGroupRuleDescriptionsIngressCommand({ GroupId: input.groupId, IpPermissions: input.permissions.map(toAws) }),
        ),
      );
    },

    /**
     * SecurityGroupUpdater.addIngress: the rules the group does not hold yet (an attempt after a
     * lost answer finds them there), then one by one if AWS still says one is a duplicate.
     */
    async authorizeSecurityGroupIngress(input: RuleChange): Promise<{ authorized: number }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const authorize = (ps: readonly IngressPermission[]) =>
        awsCall(`AuthorizeSecurityGroupIngress ${input.groupId} in ${input.region}`, () =>
          ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: input.groupId, IpPermissions: ps.map(toAws) })),
        );
      return { authorized: await changeIngress(ec2, input, 'add', authorize, 'InvalidPermission.Duplicate') };
    },

    /** SecurityGroupUpdater.removeIngress: the rules still there (one by one if AWS says one is gone). */
    async revokeSecurityGroupIngress(input: RuleChange): Promise<{ revoked: number }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const revoke = (ps: readonly IngressPermission[]) =>
        awsCall(`RevokeSecurityGroupIngress ${input.groupId} in ${input.region}`, () =>
          ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: input.groupId, IpPermissions: ps.map(toAws) })),
        );
      return { revoked: await changeIngress(ec2, input, 'remove', revoke, 'InvalidPermission.NotFound') };
    },

    /**
     * SecurityGroupUpdater.updateTags after a rule change: `Name` and the description's tags set
     * again (Clouddriver deletes and re-creates those keys; CreateTags overwrites them alike).
     * Clouddriver logs a failure and carries on; so does this, for any refusal AWS will not
     * change its mind about (throttling and the like are still retried).
     */
    async updateSecurityGroupTagsForUpsert(
      input: RegionalRef & Pick<UpsertSecurityGroup, 'name' | 'tags'> & { readonly groupId: string },
    ): Promise<{ tagged: boolean; reason?: string }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const tags = Object.entries({ Name: input.name, ...input.tags }).map(([Key, Value]) => ({ Key, Value }));
      try {
        await awsCall(`CreateTags ${input.groupId} in ${input.region}`, () =>
          ec2.send(new CreateTagsCommand({ Resources: [input.groupId], Tags: tags })),
        );
        return { tagged: true };
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable) return { tagged: false, reason: err.message };
        throw err;
      }
    },
  };
}

/** The group's ingress as AWS holds it now, flattened; a group that is gone fails the call. */
async function heldPermissions(ec2: EC2Client, input: RuleChange): Promise<IngressPermission[]> {
  const g = await groupById(ec2, input.region, input.groupId);
  if (!g) {
    throw ApplicationFailure.nonRetryable(
      `security group ${input.groupId} is gone from ${input.region}; its rules cannot be changed`,
      FailureType.SecurityGroupNotFound,
    );
  }
  return flattenPermissions(g.IpPermissions ?? []);
}

/**
 * Adds the change's rules the group does not hold yet, or removes those it still holds, so an
 * attempt after a lost answer finds its work done; answers how many rules it sent.
 */
async function changeIngress(
  ec2: EC2Client,
  input: RuleChange,
  change: 'add' | 'remove',
  apply: (ps: readonly IngressPermission[]) => Promise<unknown>,
  tolerated: string,
): Promise<number> {
  const held = await heldPermissions(ec2, input);
  const todo = input.permissions.filter((p) => awsHolds(held, p) === (change === 'remove'));
  if (todo.length > 0) await allThenEach(todo, apply, tolerated);
  return todo.length;
}

/**
 * Applies the rules in one call; when AWS refuses it with `tolerated` (one rule already added,
 * or already gone), one call per rule, each ignoring that refusal.
 */
async function allThenEach(
  permissions: readonly IngressPermission[],
  apply: (ps: readonly IngressPermission[]) => Promise<unknown>,
  tolerated: string,
): Promise<void> {
  try {
    await apply(permissions);
  } catch (err) {
    if (awsErrorCode(err) !== tolerated) throw err;
    for (const p of permissions) {
      await apply([p]).catch((e: unknown) => {
        if (awsErrorCode(e) !== tolerated) throw e;
      });
    }
  }
}
