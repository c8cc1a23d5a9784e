/**
 * Security groups as Deck and Orca name them (names, or ids) turned into the ids a launch
 * template or a VPC launch configuration needs, in the VPC the group launches into.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { awsCall } from './aws-errors';

/** The VPC of the group's first subnet; undefined for a group outside a VPC (no subnets). */
export async function vpcOfSubnets(ec2: EC2Client, region: string, vpcZoneIdentifier: string | undefined): Promise<string | undefined> {
  const subnet = (vpcZoneIdentifier ?? '')
    .split(',')
    .map((s) => s.trim())
    .find(Boolean);
  if (!subnet) return undefined;
  const out = await awsCall(`DescribeSubnets ${subnet} in ${region}`, () => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet] })));
  return out.Subnets?.[0]?.VpcId;
}

/**
 * Ids for names (ids pass through), in `vpcId` when the group has one; every name that is not
 * found there is named in one non-retryable failure, before anything was changed.
 */
export async function resolveSecurityGroupIds(
  ec2: EC2Client,
  where: { readonly region: string; readonly serverGroupName: string; readonly vpcId: string | undefined },
  namesOrIds: readonly string[],
): Promise<string[]> {
  const names = [...new Set(namesOrIds.filter((g) => !g.startsWith('sg-')))];
  const byName = new Map<string, string>();
  if (names.length > 0) {
    const filters = [{ Name: 'group-name', Values: names }, ...(where.vpcId ? [{ Name: 'vpc-id', Values: [where.vpcId] }] : [])];
    const out = await awsCall(`DescribeSecurityGroups ${names.join(', ')} in ${where.vpcId ?? where.region}`, () =>
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters })),
    );
    for (const g of out.SecurityGroups ?? []) if (g.GroupName && g.GroupId) byName.set(g.GroupName, g.GroupId);
  }
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `security group${missing.length === 1 ? '' : 's'} ${missing.join(', ')} not found in ${where.vpcId ?? where.region} ` +
        `(the VPC of ${where.serverGroupName}); nothing was changed`,
      FailureType.SecurityGroupNotFound,
      { missing, region: where.region, vpcId: where.vpcId },
    );
  }
  return [...new Set(namesOrIds.map((g) => byName.get(g) ?? g))];
}
