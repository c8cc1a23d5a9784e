/**
 * Target groups and classic load balancers by name, as Clouddriver's TargetGroupLookupHelper and
 * LoadBalancerLookupHelper find them for the instance registration operations: the ones found,
 * and the names that name nothing.
 */
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsDescribe } from './aws-errors';
import type { ActivityDeps } from './deps';

export interface LoadBalancerNamesInput {
  readonly account: string;
  readonly region: string;
  readonly names: readonly string[];
}

export interface LoadBalancerLookup {
  /** Target group ARNs, or classic load balancer names, in the order asked. */
  readonly found: string[];
  readonly unknown: string[];
}

/** Asks for each name in turn (as Clouddriver does): what `findOne` answers is found, a name it answers nothing for is unknown. */
async function lookUpEach(names: readonly string[], findOne: (name: string) => Promise<string | undefined>): Promise<LoadBalancerLookup> {
  const found: string[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const hit = await findOne(name);
    if (hit) found.push(hit);
    else unknown.push(name);
  }
  return { found, unknown };
}

export function createLoadBalancerLookupActivities({ aws }: ActivityDeps) {
  return {
    /** Each name's target group ARN (one DescribeTargetGroups per name, as Clouddriver asks). */
    async findTargetGroupsByName(input: LoadBalancerNamesInput): Promise<LoadBalancerLookup> {
      const { elbv2 } = aws.clientsFor(input.account, input.region);
      return lookUpEach(input.names, async (name) => {
        const out = await awsDescribe(
          `DescribeTargetGroups ${name} in ${input.region}`,
          () => elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] })),
          'targetGroup',
          'classicLoadBalancer',
        );
        return out?.TargetGroups?.find((t) => t.TargetGroupName === name)?.TargetGroupArn;
      });
    },

    /** The classic load balancers of these names that exist. */
    async findClassicLoadBalancersByName(input: LoadBalancerNamesInput): Promise<LoadBalancerLookup> {
      const { elb } = aws.clientsFor(input.account, input.region);
      return lookUpEach(input.names, async (name) => {
        const out = await awsDescribe(
          `DescribeLoadBalancers ${name} in ${input.region}`,
          () => elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [name] })),
          'classicLoadBalancer',
        );
        return out?.LoadBalancerDescriptions?.some((l) => l.LoadBalancerName === name) ? name : undefined;
      });
    },
  };
}
