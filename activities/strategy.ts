/**
 * The reads deployWithStrategy decides on: every group of a cluster (its source, the groups to
 * disable, scale down or destroy) and the health of a group's instances by provider.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceHealthCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Context } from '@temporalio/activity';
import { parseServerGroupName } from '../domain/frigga';
import type { ServerGroupSnapshot } from '../domain/server-group';
import type { InstanceHealth } from '../domain/strategy';
import { classicLoadBalancerHealth, targetGroupHealth } from '../domain/traffic-share';
import type { HealthState } from '../domain/traffic-share';
import { awsCall, awsDescribe } from './aws-errors';
import type { ServerGroupRef } from './server-group';
import { toSnapshot } from './server-group';
import { clusterTagFilters } from './server-group-naming';
import type { ActivityDeps } from './deps';

export interface ClusterInput {
  readonly account: string;
  readonly region: string;
  readonly cluster: string;
}

/** A target group ARN's name (`…:targetgroup/<name>/<id>`), for history lines. */
function targetGroupName(arn: string): string {
  const m = /:targetgroup\/([^/]+)\//.exec(arn);
  return m ? m[1]! : arn;
}

/** Auto Scaling's view of an instance as Clouddriver's `Amazon` health. */
function amazonHealth(lifecycleState: string | undefined, healthStatus: string | undefined): HealthState {
  if (lifecycleState === 'InService') return healthStatus === 'Healthy' ? 'Up' : 'Down';
  if (lifecycleState?.startsWith('Pending')) return 'Starting';
  if (lifecycleState === 'Standby') return 'OutOfService';
  return 'Down';
}

export function createStrategyActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Every live group of the cluster in the region, oldest first (groups AWS is deleting are
     * left out). Reads the cluster's tagged groups, and the whole region when none carries the
     * tags (a cluster made outside Spinnaker), confirming each by its parsed name.
     */
    async describeCluster(input: ClusterInput): Promise<ServerGroupSnapshot[]> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      const read = async (filtered: boolean): Promise<AutoScalingGroup[]> => {
        const groups: AutoScalingGroup[] = [];
        let token: string | undefined;
        do {
          const out = await awsCall(`DescribeAutoScalingGroups (cluster ${input.cluster}) in ${input.region}`, () =>
            autoScaling.send(
              new DescribeAutoScalingGroupsCommand({
                ...(filtered ? { Filters: clusterTagFilters(input.cluster) } : {}),
                MaxRecords: 100,
                NextToken: token,
              }),
            ),
          );
          groups.push(
            ...(out.AutoScalingGroups ?? []).filter((g) => parseServerGroupName(g.AutoScalingGroupName ?? '')?.cluster === input.cluster),
          );
          token = out.NextToken;
          Context.current().heartbeat({ groups: groups.length });
        } while (token);
        return groups;
      };
      let groups = await read(true);
      if (groups.length === 0) groups = await read(false);
      return groups
        .filter((g) => !g.Status)
        .map((g) => toSnapshot(g, input.region))
        .sort((a, b) => (a.createdTimeMs ?? 0) - (b.createdTimeMs ?? 0) || a.serverGroupName.localeCompare(b.serverGroupName));
    },

    /**
     * The health of each instance of the group by provider: Auto Scaling (`Amazon`), each of its
     * target groups and classic load balancers. `null` when the group does not exist.
     */
    async describeGroupHealth(input: ServerGroupRef): Promise<InstanceHealth[] | null> {
      const { autoScaling, elbv2, elb } = aws.clientsFor(input.account, input.region);
      const out = await awsCall(`DescribeAutoScalingGroups ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [input.serverGroupName] })),
      );
      const group = out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === input.serverGroupName);
      if (!group || group.Status) return null;
      const healths = new Map<string, InstanceHealth['healths'][number][]>();
      const instances = (group.Instances ?? []).filter((i) => i.InstanceId);
      for (const i of instances)
        healths.set(i.InstanceId!, [{ type: 'Amazon', name: 'Amazon', state: amazonHealth(i.LifecycleState, i.HealthStatus) }]);
      for (const arn of group.TargetGroupARNs ?? []) {
        const th = await awsDescribe(
          `DescribeTargetHealth ${arn} in ${input.region}`,
          () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
          'targetGroup',
        );
        const byId = new Map((th?.TargetHealthDescriptions ?? []).map((d) => [d.Target?.Id, d.TargetHealth?.State]));
        // An instance its target group does not list is not registered: out of service there.
        for (const [id, list] of healths) {
          const state = byId.get(id);
          list.push({
            type: 'TargetGroup',
            name: targetGroupName(arn),
            state: state === undefined ? 'OutOfService' : targetGroupHealth(state),
          });
        }
      }
      for (const name of group.LoadBalancerNames ?? []) {
        const ih = await awsDescribe(
          `DescribeInstanceHealth ${name} in ${input.region}`,
          () => elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name })),
          'classicLoadBalancer',
        );
        const byId = new Map((ih?.InstanceStates ?? []).map((s) => [s.InstanceId, s]));
        for (const [id, list] of healths) {
          const s = byId.get(id);
          list.push({ type: 'LoadBalancer', name, state: s ? classicLoadBalancerHealth(s.State, s.Description) : 'OutOfService' });
        }
      }
      return [...healths.entries()].map(([instanceId, h]) => ({ instanceId, healths: h }));
    },
  };
}
