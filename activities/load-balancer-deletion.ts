/**
 * deleteLoadBalancer: Clouddriver's DeleteAmazonLoadBalancerClassicAtomicOperation and
 * DeleteAmazonLoadBalancerV2AtomicOperation, one AWS call per activity so the workflow writes
 * Clouddriver's line after each step. Every delete treats "gone" as done, so an attempt repeated
 * after a lost answer ends as the first one did.
 */
import { DeleteLoadBalancerCommand as DeleteClassicLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import {
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsCall, awsErrorCode, classifyAwsError } from './aws-errors';
import type { RegionalRef } from './aws-clients';
import type { ActivityDeps } from './deps';
import { allPages } from './paging';

/** What the V2 delete needs to know before it deletes anything. */
export type LoadBalancerV2ForDeletion =
  | { readonly found: false }
  | {
      readonly found: true;
      readonly loadBalancerArn: string;
      readonly loadBalancerName: string;
      readonly deletionProtection: boolean;
      readonly listenerArns: readonly string[];
      readonly targetGroupArns: readonly string[];
    };

/**
 * The outcome of deleting a listener or a target group: Clouddriver catches any AWS refusal
 * there (a target group another load balancer still uses, say), writes "Failed deleting …" and
 * goes on. Throttling and outages are retried here instead of being taken for a refusal.
 */
async function deleteOrRefused(what: string, call: () => Promise<unknown>, gone: readonly string[]): Promise<{ deleted: boolean }> {
  try {
    await awsCall(what, call);
    return { deleted: true };
  } catch (err) {
    const code = awsErrorCode(err);
    // Gone already (most often: this delete's own answer was lost) is what the delete wanted.
    if (code !== undefined && gone.includes(code)) return { deleted: true };
    if (isRetryable(err)) throw err;
    return { deleted: false };
  }
}

function isRetryable(err: unknown): boolean {
  const failure = err as { nonRetryable?: unknown };
  if (typeof failure.nonRetryable === 'boolean') return !failure.nonRetryable;
  return classifyAwsError(err).retryable;
}

export function createLoadBalancerDeletionActivities({ aws }: ActivityDeps) {
  return {
    /**
     * The load balancer by name with its deletion protection, listeners and target groups (read
     * before anything is deleted: a deleted listener no longer ties its target groups to the load
     * balancer). Clouddriver takes any AWS error of the describe for "not found".
     */
    async describeLoadBalancerV2ForDeletion(
      input: RegionalRef & { readonly loadBalancerName: string },
    ): Promise<LoadBalancerV2ForDeletion> {
      const { elbv2 } = aws.clientsFor(input.account, input.region);
      let arn: string | undefined;
      let name = input.loadBalancerName;
      try {
        const out = await awsCall(`DescribeLoadBalancers ${input.loadBalancerName} in ${input.region}`, () =>
          elbv2.send(new DescribeLoadBalancersCommand({ Names: [input.loadBalancerName] })),
        );
        arn = out.LoadBalancers?.[0]?.LoadBalancerArn;
        name = out.LoadBalancers?.[0]?.LoadBalancerName ?? name;
      } catch (err) {
        if (isRetryable(err)) throw err;
      }
      if (!arn) return { found: false };
      const loadBalancerArn = arn;
      const attributes = await awsCall(`DescribeLoadBalancerAttributes ${name} in ${input.region}`, () =>
        elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancerArn })),
      );
      const protection = attributes.Attributes?.find((a) => a.Key === 'deletion_protection.enabled');
      const targetGroupArns = await allPages(async (Marker) => {
        const out = await awsCall(`DescribeTargetGroups of ${name} in ${input.region}`, () =>
          elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: loadBalancerArn, Marker })),
        );
        return { items: (out.TargetGroups ?? []).flatMap((t) => (t.TargetGroupArn ? [t.TargetGroupArn] : [])), next: out.NextMarker };
      });
      const listenerArns = await allPages(async (Marker) => {
        const out = await awsCall(`DescribeListeners of ${name} in ${input.region}`, () =>
          elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn, Marker })),
        );
        return { items: (out.Listeners ?? []).flatMap((l) => (l.ListenerArn ? [l.ListenerArn] : [])), next: out.NextMarker };
      });
      return {
        found: true,
        loadBalancerArn,
        loadBalancerName: name,
        deletionProtection: protection?.Value === 'true',
        listenerArns,
        targetGroupArns,
      };
    },

    async deleteListenerByArn(input: RegionalRef & { readonly listenerArn: string }): Promise<{ deleted: boolean }> {
      const { elbv2 } = aws.clientsFor(input.account, input.region);
      return deleteOrRefused(
        `DeleteListener ${input.listenerArn}`,
        () => elbv2.send(new DeleteListenerCommand({ ListenerArn: input.listenerArn })),
        ['ListenerNotFound', 'ListenerNotFoundException'],
      );
    },

    async deleteTargetGroupByArn(input: RegionalRef & { readonly targetGroupArn: string }): Promise<{ deleted: boolean }> {
      const { elbv2 } = aws.clientsFor(input.account, input.region);
      return deleteOrRefused(
        `DeleteTargetGroup ${input.targetGroupArn}`,
        () => elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: input.targetGroupArn })),
        ['TargetGroupNotFound', 'TargetGroupNotFoundException'],
      );
    },

    /** AWS deletes a load balancer that is gone already without a word. */
    async deleteLoadBalancerV2ByArn(input: RegionalRef & { readonly loadBalancerArn: string }): Promise<void> {
      const { elbv2 } = aws.clientsFor(input.account, input.region);
      await awsCall(`DeleteLoadBalancer ${input.loadBalancerArn}`, () =>
        elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: input.loadBalancerArn })),
      );
    },

    /** AWS (and Clouddriver, which does not look first) deletes a missing classic load balancer without a word. */
    async deleteClassicLoadBalancerByName(input: RegionalRef & { readonly loadBalancerName: string }): Promise<void> {
      const { elb } = aws.clientsFor(input.account, input.region);
      await awsCall(`DeleteLoadBalancer ${input.loadBalancerName} in ${input.region}`, () =>
        elb.send(new DeleteClassicLoadBalancerCommand({ LoadBalancerName: input.loadBalancerName })),
      );
    },
  };
}
