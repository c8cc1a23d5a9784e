/**
 * The first step of a deploy: the names a description refers to (security groups, target
 * groups, classic load balancers, subnets by purpose), resolved to ids in the target region.
 */
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type { DeployDescription } from '../domain/operations/schemas/create-server-group';
import { awsCall, awsDescribe } from './aws-errors';
import { tagOf } from './deploy-ownership';
import type { ActivityDeps } from './deps';

/** What the deploy description names, and the region and zones to resolve it in. */
export interface DeployResourcesInput extends Pick<
  DeployDescription,
  'account' | 'securityGroups' | 'targetGroups' | 'loadBalancers' | 'subnetType' | 'subnetIds'
> {
  readonly region: string;
  readonly zones: readonly string[];
}

export interface DeployResources {
  readonly securityGroupIds: readonly string[];
  readonly targetGroupArns: readonly string[];
  /** Subnets to launch in; empty = use the zones (or the account's default subnets). */
  readonly subnetIds: readonly string[];
}

/** The deploy activity that resolves what a description names. */
export function createDeployResourceActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Resolves names a deploy refers to (security groups, target groups, classic load balancers,
     * subnets by purpose) and fails once, naming everything that is missing.
     */
    async resolveDeployResources(input: DeployResourcesInput): Promise<DeployResources> {
      const c = aws.clientsFor(input.account, input.region);
      const missing: string[] = [];

      const ids = input.securityGroups.filter((g) => g.startsWith('sg-'));
      const names = input.securityGroups.filter((g) => !g.startsWith('sg-'));
      const securityGroupIds = [...ids];
      if (names.length > 0) {
        const out = await awsCall(`DescribeSecurityGroups in ${input.region}`, () =>
          c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: names }] })),
        );
        for (const n of names) {
          const found = out.SecurityGroups?.find((g) => g.GroupName === n)?.GroupId;
          if (found) securityGroupIds.push(found);
          else missing.push(`security group '${n}'`);
        }
      }

      const targetGroupArns: string[] = [];
      for (const tg of input.targetGroups) {
        if (tg.startsWith('arn:')) {
          targetGroupArns.push(tg);
          continue;
        }
        const out = await awsDescribe(
          `DescribeTargetGroups ${tg} in ${input.region}`,
          () => c.elbv2.send(new DescribeTargetGroupsCommand({ Names: [tg] })),
          'targetGroup',
        );
        const arn = out?.TargetGroups?.[0]?.TargetGroupArn;
        if (arn) targetGroupArns.push(arn);
        else missing.push(`target group '${tg}'`);
      }

      for (const lb of input.loadBalancers) {
        const out = await awsDescribe(
          `DescribeLoadBalancers ${lb} in ${input.region}`,
          () => c.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [lb] })),
          'classicLoadBalancer',
        );
        if ((out?.LoadBalancerDescriptions ?? []).length === 0) missing.push(`classic load balancer '${lb}'`);
      }

      let subnetIds: string[] = [...(input.subnetIds ?? [])];
      if (subnetIds.length === 0 && input.subnetType) {
        // Spinnaker's convention: subnets carry `immutable_metadata` = {"purpose": "<subnetType>"}.
        const out = await awsCall(`DescribeSubnets in ${input.region}`, () => c.ec2.send(new DescribeSubnetsCommand({})));
        subnetIds = (out.Subnets ?? [])
          .filter((s) => {
            const meta = tagOf(s.Tags, 'immutable_metadata');
            let purpose: unknown;
            try {
              purpose = meta ? (JSON.parse(meta) as { purpose?: unknown }).purpose : undefined;
            } catch {
              purpose = undefined;
            }
            return purpose === input.subnetType && (input.zones.length === 0 || input.zones.includes(s.AvailabilityZone ?? ''));
          })
          .map((s) => s.SubnetId!)
          .filter(Boolean);
        if (subnetIds.length === 0) {
          missing.push(`subnets with purpose '${input.subnetType}'${input.zones.length ? ` in ${input.zones.join(', ')}` : ''}`);
        }
      }

      if (missing.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `cannot deploy in ${input.region} (${input.account}): not found: ${missing.join(', ')}`,
          FailureType.DeployResourceNotFound,
          { missing },
        );
      }
      return { securityGroupIds, targetGroupArns, subnetIds };
    },
  };
}
