/**
 * updateInstances: what it needs of the group, and the security groups of one instance.
 * ModifyInstanceAttribute sets the whole list, so a repeated attempt sets the same one.
 */
import { ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { awsCall } from './aws-errors';
import type { ServerGroupRef } from './server-group';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';

export interface GroupInstancesView {
  /** The group's subnets; empty for an EC2-Classic group. */
  readonly vpcZoneIdentifier: string;
  readonly instanceIds: string[];
  readonly launchConfigurationName?: string | undefined;
}

export interface InstanceSecurityGroupsInput {
  readonly account: string;
  readonly region: string;
  readonly instanceId: string;
  readonly securityGroupIds: readonly string[];
}

export function createInstanceSecurityGroupActivities({ aws }: ActivityDeps) {
  return {
    /** The group's subnets, instances (in AWS's order) and launch configuration; null when it does not exist. */
    async describeServerGroupInstances(input: ServerGroupRef): Promise<GroupInstancesView | null> {
      const found = await describeOneServerGroup(aws.clientsFor(input.account, input.region).autoScaling, input);
      if (!found || found.deleting) return null;
      const g = found.group;
      return {
        vpcZoneIdentifier: g.VPCZoneIdentifier ?? '',
        instanceIds: (g.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])),
        launchConfigurationName: g.LaunchConfigurationName || undefined,
      };
    },

    /** Sets the instance's security groups to exactly these. */
    async setInstanceSecurityGroups(input: InstanceSecurityGroupsInput): Promise<void> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      await awsCall(`ModifyInstanceAttribute ${input.instanceId} in ${input.region} (groups ${input.securityGroupIds.join(', ')})`, () =>
        ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: input.instanceId, Groups: [...input.securityGroupIds] })),
      );
    },
  };
}
