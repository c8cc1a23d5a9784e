/**
 * Security groups by name (deleteSecurityGroup). The delete looks first and treats "not there" as
 * done, so an attempt repeated after a lost answer ends as the first one did.
 */
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import { DeleteSecurityGroupCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { awsCall, awsErrorCode } from './aws-errors';
import type { ActivityDeps } from './deps';
import { allPages } from './paging';

export interface SecurityGroupByNameRef {
  readonly account: string;
  readonly region: string;
  readonly securityGroupName: string;
  readonly vpcId?: string | undefined;
}

/**
 * What a delete found: no such group, the group deleted, or AWS refusing it because something
 * still uses it (`dependents`: the groups whose ingress rules still name it).
 */
export type SecurityGroupDeletion =
  | { readonly outcome: 'absent' }
  | { readonly outcome: 'deleted'; readonly groupId: string }
  | { readonly outcome: 'dependency'; readonly groupId: string; readonly dependents: readonly string[] };

export function createSecurityGroupActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Clouddriver's DeleteSecurityGroupAtomicOperation in one region: the group whose name and
     * VPC match (a description without `vpcId` matches only a group without one, as Clouddriver's
     * `it.vpcId == description.vpcId`), deleted by id. InvalidGroup.NotFound is success;
     * DependencyViolation names the groups whose ingress rules still reference it.
     */
    async deleteSecurityGroupByName(input: SecurityGroupByNameRef): Promise<SecurityGroupDeletion> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const describeAll = (filters?: { Name: string; Values: string[] }[]): Promise<SecurityGroup[]> =>
        allPages(async (token) => {
          const out = await awsCall(`DescribeSecurityGroups in ${input.region}`, () =>
            ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters, NextToken: token })),
          );
          return { items: out.SecurityGroups ?? [], next: out.NextToken };
        });
      const named = await describeAll([{ Name: 'group-name', Values: [input.securityGroupName] }]);
      const group = named.find((g) => g.GroupName === input.securityGroupName && (g.VpcId ?? undefined) === input.vpcId);
      if (!group?.GroupId) return { outcome: 'absent' };
      const groupId = group.GroupId;
      try {
        await awsCall(`DeleteSecurityGroup ${groupId} in ${input.region}`, () =>
          ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })),
        );
      } catch (err) {
        const code = awsErrorCode(err);
        if (code === 'InvalidGroup.NotFound') return { outcome: 'deleted', groupId };
        if (code === 'DependencyViolation') {
          const all = await describeAll();
          const dependents = all
            .filter((sg) => (sg.IpPermissions ?? []).some((p) => (p.UserIdGroupPairs ?? []).some((pair) => pair.GroupId === groupId)))
            .map((sg) => sg.GroupName ?? sg.GroupId ?? '');
          return { outcome: 'dependency', groupId, dependents };
        }
        throw err;
      }
      return { outcome: 'deleted', groupId };
    },
  };
}
