/**
 * The body Orca posts for a red/black deploy stage runs on Bosun, and does there what Clouddriver
 * does with it. The body is Orca's own: a real red/black stage context from Orca's test fixtures
 * (orca-clouddriver/src/test/resources/pipelinetrigger.json, "Deploy in us-east-1"), flattened and
 * completed as AmazonServerGroupCreator posts it (the whole stage context, `credentials`, the
 * baked image, `source` from DetermineSourceServerGroupTask, an allowLaunchDescription in front).
 * Only what names the emulator's world is swapped in: the image, the security group ids, the
 * instance type's family and the source group. No legacy Clouddriver is configured, so a field
 * Bosun could not run would be a 400 here, not a silent difference.
 */
import {
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  PutScalingPolicyCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { ACCOUNT, REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { emulatorAl2023Image } from './support/instances';

const env = useTestEnv();
const ZONES = ['us-east-1c', 'us-east-1d', 'us-east-1e'];
const SUBNET_TYPE = 'internal (vpc0)';

/** Spinnaker's convention for subnets chosen by purpose: `immutable_metadata` = {"purpose": …}. */
async function tagSubnetsWithPurpose(): Promise<void> {
  const { ec2 } = testAwsClients(env.aws);
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ZONES }] }))).Subnets ?? [];
  const ids = subnets.filter((s) => s.DefaultForAz).map((s) => s.SubnetId!);
  await ec2.send(
    new CreateTagsCommand({ Resources: ids, Tags: [{ Key: 'immutable_metadata', Value: JSON.stringify({ purpose: SUBNET_TYPE }) }] }),
  );
}

test("Orca's red/black createServerGroup body runs on Bosun: the new group is built as Clouddriver builds it and inherits the source's scaling policy", async () => {
  const clients = testAwsClients(env.aws);
  await tagSubnetsWithPurpose();
  const { name: amiName, imageId } = await emulatorAl2023Image(clients.ec2);
  const app = uniqueName('tracks');
  const cluster = `${app}-prod-flamegraph`;
  const sg = (await clients.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] })))
    .SecurityGroups![0]!.GroupId!;

  // The source: the cluster's current group (v038), autoscaled by a target-tracking policy.
  const source = `${cluster}-v038`;
  // Its own volumes, not its type's defaults: a deploy from it keeps them (copySourceCustomBlockDeviceMappings).
  const custom = { DeviceName: '/dev/sdc', Ebs: { VolumeSize: 50, VolumeType: 'gp3' as const, DeleteOnTermination: true } };
  await clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: source,
      LaunchTemplateData: { ImageId: imageId, InstanceType: 'm4.2xlarge', BlockDeviceMappings: [custom] },
    }),
  );
  await clients.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: source,
      LaunchTemplate: { LaunchTemplateName: source, Version: '$Latest' },
      MinSize: 1,
      MaxSize: 1,
      DesiredCapacity: 1,
      AvailabilityZones: ZONES,
      Tags: [{ Key: 'spinnaker:application', Value: app, PropagateAtLaunch: true, ResourceId: source, ResourceType: 'auto-scaling-group' }],
    }),
  );
  await clients.autoScaling.send(
    new PutScalingPolicyCommand({
      AutoScalingGroupName: source,
      PolicyName: `${source}-target-tracking-policy`,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' } },
    }),
  );

  const body = [
    { allowLaunchDescription: { account: ACCOUNT, credentials: ACCOUNT, region: REGION, amiName } },
    {
      createServerGroup: {
        spelEvaluator: 'v2',
        name: 'Deploy in us-east-1',
        completeOtherBranchesThenFail: true,
        failPipeline: false,
        stageEnabled: { type: 'expression', expression: "parameters.ami_us_east_1.trim() != ''" },
        type: 'createServerGroup',
        account: ACCOUNT,
        continuePipeline: false,
        application: app,
        strategy: 'redblack',
        capacity: { min: 1, max: 1, desired: 1 },
        targetHealthyDeployPercentage: 100,
        cooldown: 10,
        enabledMetrics: [],
        healthCheckType: 'EC2',
        healthCheckGracePeriod: 600,
        instanceMonitoring: true,
        ebsOptimized: true,
        iamRole: 'tracksInstanceProfile',
        terminationPolicies: ['Default'],
        subnetType: SUBNET_TYPE,
        availabilityZones: { [REGION]: ZONES },
        keyPair: 'nf-prod-keypair-a',
        suspendedProcesses: [],
        securityGroups: [sg],
        spotPrice: '',
        tags: {},
        useAmiBlockDeviceMappings: false,
        copySourceCustomBlockDeviceMappings: true,
        stack: 'prod',
        freeFormDetails: 'flamegraph',
        loadBalancers: [],
        useSourceCapacity: false,
        targetGroups: [],
        instanceType: 'm4.2xlarge',
        moniker: { app, stack: 'prod', detail: 'flamegraph', cluster },
        provider: 'aws',
        cloudProvider: 'aws',
        scaleDown: true,
        maxRemainingAsgs: 2,
        delayBeforeDisableSec: 60,
        stageDetails: { name: 'Deploy in us-east-1', type: 'createServerGroup', startTime: 1510251331579, isSynthetic: true },
        source: { asgName: source, serverGroupName: source, account: ACCOUNT, region: REGION, useSourceCapacity: false },
        amiName,
        imageId,
        credentials: ACCOUNT,
      },
    },
  ];
  const { task } = await env.run(body);
  expect(task.status).toMatchObject({ completed: true, failed: false });

  const deployed = task.resultObjects.find((r) => r.serverGroupNames) as { serverGroupNameByRegion: Record<string, string> } | undefined;
  const name = deployed?.serverGroupNameByRegion[REGION];
  expect(name).toBe(`${cluster}-v039`);
  // Clouddriver names the ancestor in its own result object.
  expect(task.resultObjects).toContainEqual(expect.objectContaining({ ancestorServerGroupNameByRegion: { [REGION]: source } }));

  const group = (await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name!] })))
    .AutoScalingGroups![0]!;
  expect([group.MinSize, group.DesiredCapacity, group.MaxSize, group.DefaultCooldown, group.HealthCheckGracePeriod]).toEqual([
    1, 1, 1, 10, 600,
  ]);
  expect(group.AvailabilityZones?.sort()).toEqual(ZONES);

  const lt = group.LaunchTemplate!;
  const version = (
    await clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.LaunchTemplateId, Versions: [lt.Version ?? '$Latest'] }),
    )
  ).LaunchTemplateVersions![0]!.LaunchTemplateData!;
  expect(version).toMatchObject({
    ImageId: imageId,
    InstanceType: 'm4.2xlarge',
    KeyName: 'nf-prod-keypair-a',
    EbsOptimized: true,
    Monitoring: { Enabled: true },
  });
  expect(version.BlockDeviceMappings).toEqual([
    expect.objectContaining({ DeviceName: '/dev/sdc', Ebs: expect.objectContaining({ VolumeSize: 50, VolumeType: 'gp3' }) }),
  ]);

  // The source's autoscaling came along (copySourceScalingPoliciesAndActions defaults to true).
  const policies = (await clients.autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: name }))).ScalingPolicies ?? [];
  expect(policies.map((p) => p.PolicyType)).toEqual(['TargetTrackingScaling']);
});
