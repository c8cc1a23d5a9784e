/**
 * What the chaos scenarios work on that no step of theirs makes: for the clean-up scenario an
 * image to tag, and an image, a snapshot, a launch configuration, a launch template, a security
 * group and a classic load balancer to delete; for the instances scenario the security group its
 * instances move into; for the infrastructure scenario the security group its load balancers are in. Made directly in moto before the phase starts (not through the fault
 * proxy), named `fx-<app>-…` so the leak sweep of the run's prefix never counts them: the
 * end-state checks (end-state.ts) look at each one a succeeded step acted on.
 */
import { CreateLaunchConfigurationCommand, DescribeAutoScalingGroupsCommand, DescribePoliciesCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DescribeSubnetsCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeVpcsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { withMoto } from './sweep';
import type { AppFixture, GroupFacts, Scenario } from './workload';
import { REGION, SUBNET_PURPOSE, ZONES } from './workload';

/** The fixtures of every scenario that needs some, by application. */
export async function createFixtures(endpoint: string, scenarios: readonly Scenario[]): Promise<Map<string, AppFixture>> {
  const out = new Map<string, AppFixture>();
  const wanted = scenarios.filter((s) => s.template === 'cleanup' || s.template === 'instances' || s.template === 'infrastructure');
  if (wanted.length === 0) return out;
  return withMoto(endpoint, async ({ ec2, autoScaling: asg, elb }) => {
    const vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.find((v) => v.IsDefault)?.VpcId;
    const imageId = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }))).Images?.[0]?.ImageId;
    if (!vpcId || !imageId) throw new Error('moto has no default VPC or no Amazon image');
    if (wanted.some((s) => s.template === 'instances' || s.template === 'infrastructure')) {
      // Spinnaker's subnet convention, so the instances scenario's deploy lands in the VPC and the
      // infrastructure scenario's load balancers find a subnet in each zone (no target: any use).
      const subnets =
        (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: [...ZONES] }] }))).Subnets ?? [];
      const ids = subnets.filter((n) => n.DefaultForAz).map((n) => n.SubnetId!);
      await ec2.send(
        new CreateTagsCommand({
          Resources: ids,
          Tags: [{ Key: 'immutable_metadata', Value: JSON.stringify({ purpose: SUBNET_PURPOSE }) }],
        }),
      );
    }
    const securityGroup = async (name: string) =>
      (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: 'chaos fixture', VpcId: vpcId }))).GroupId!;
    for (const s of wanted) {
      const fx = `fx-${s.app}`;
      if (s.template === 'instances') {
        out.set(s.app, { instanceSecurityGroupId: await securityGroup(`${fx}-web`) });
        continue;
      }
      if (s.template === 'infrastructure') {
        const loadBalancerSecurityGroupName = `${fx}-lb`;
        await securityGroup(loadBalancerSecurityGroupName);
        out.set(s.app, { vpcId, loadBalancerSecurityGroupName });
        continue;
      }
      // Two images baked from one instance, which then goes.
      const instanceId = (await ec2.send(new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 })))
        .Instances![0]!.InstanceId!;
      const taggedImageName = `${fx}-tagged`;
      const taggedImageId = (await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: taggedImageName }))).ImageId!;
      const oldImageId = (await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: `${fx}-old` }))).ImageId!;
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      const volumeId = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 1 }))).VolumeId!;
      const snapshotId = (await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: `${fx} snapshot` }))).SnapshotId!;
      const launchConfigurationName = `${fx}-lc`;
      await asg.send(
        new CreateLaunchConfigurationCommand({
          LaunchConfigurationName: launchConfigurationName,
          ImageId: imageId,
          InstanceType: 't3.micro',
        }),
      );
      const launchTemplateId = (
        await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `${fx}-lt`, LaunchTemplateData: { ImageId: imageId } }))
      ).LaunchTemplate!.LaunchTemplateId!;
      const securityGroupName = `${fx}-sg`;
      await securityGroup(securityGroupName);
      const loadBalancerName = `${fx}-elb`;
      await elb.send(
        new CreateLoadBalancerCommand({
          LoadBalancerName: loadBalancerName,
          Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 8080 }],
          AvailabilityZones: [`${REGION}a`],
        }),
      );
      out.set(s.app, {
        taggedImageName,
        taggedImageId,
        oldImageId,
        snapshotId,
        launchConfigurationName,
        launchTemplateId,
        securityGroupName,
        vpcId,
        loadBalancerName,
      });
    }
    return out;
  });
}

/**
 * What Orca would read from Clouddriver's cache before a step that names instances or policies:
 * the group's in-service instances (sorted, so both systems pick alike) and its scaling policies.
 * Read from moto directly, not through the fault proxy.
 */
export function readGroupFacts(endpoint: string, group: string): Promise<GroupFacts> {
  return withMoto(endpoint, async ({ autoScaling: asg }) => {
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }))).AutoScalingGroups?.[0];
    const policies = (await asg.send(new DescribePoliciesCommand({ AutoScalingGroupName: group }))).ScalingPolicies ?? [];
    return {
      instanceIds: (g?.Instances ?? [])
        .filter((i) => i.LifecycleState === 'InService')
        .map((i) => i.InstanceId!)
        .sort(),
      policyNames: policies.map((p) => p.PolicyName!).sort(),
    };
  });
}
