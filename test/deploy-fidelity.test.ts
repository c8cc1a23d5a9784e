/**
 * createServerGroup and cloneServerGroup build the launch template and the mixed-instances policy
 * as Clouddriver does (BasicAmazonDeployHandler, LaunchTemplateService, the Asg builders,
 * CopyLastAsgAtomicOperation): end to end through the facade, a real worker and moto, checked
 * with DescribeLaunchTemplateVersions and DescribeAutoScalingGroups.
 */
import type { AutoScalingGroup, CreateAutoScalingGroupCommandInput } from '@aws-sdk/client-auto-scaling';
import {
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import type { ResponseLaunchTemplateData } from '@aws-sdk/client-ec2';
import {
  CreateLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { ACCOUNT, REGION, testAwsClients, uniqueName, useAwsCommandRecorder, useTestEnv } from './harness';
import { emulatorAl2023Image } from './support/instances';
import { badRequestErrors } from './support/orca-client';
import { deployDescription } from './support/deploy-description';

const env = useTestEnv();
const recorder = useAwsCommandRecorder(env);
let amiName: string;
let amiId: string;
let subnetA: string;
let defaultSg: string;

beforeAll(async () => {
  const { ec2 } = testAwsClients(env.aws);
  ({ name: amiName, imageId: amiId } = await emulatorAl2023Image(ec2));
  const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1a'] }] }));
  subnetA = subnets.Subnets![0]!.SubnetId!;
  const sgs = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }));
  defaultSg = sgs.SecurityGroups![0]!.GroupId!;
});

const deploy = (app: string, extra: Record<string, unknown> = {}) => deployDescription(app, amiName, extra);

async function groupOrNone(name: string): Promise<AutoScalingGroup | undefined> {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.[0];
}

async function group(name: string): Promise<AutoScalingGroup> {
  const g = await groupOrNone(name);
  if (!g) throw new Error(`${name} not found`);
  return g;
}

/** The CreateAutoScalingGroup request Bosun sent for a group. */
function createRequest(name: string): CreateAutoScalingGroupCommandInput {
  const sent = recorder.sent.filter(
    (s) => s.command === 'CreateAutoScalingGroupCommand' && (s.input as CreateAutoScalingGroupCommandInput).AutoScalingGroupName === name,
  );
  expect(sent).toHaveLength(1);
  return sent[0]!.input as CreateAutoScalingGroupCommandInput;
}

/** The data of the launch template Bosun made for a group (named after it). */
async function templateData(name: string, region = REGION): Promise<ResponseLaunchTemplateData> {
  const out = await testAwsClients(env.aws, region).ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name, Versions: ['$Latest'] }),
  );
  // moto echoes the template's own tags into its data; AWS does not.
  const { TagSpecifications, ...data } = out.LaunchTemplateVersions![0]!.LaunchTemplateData!;
  const kept = (TagSpecifications ?? []).filter((t) => t.ResourceType !== 'launch-template');
  return kept.length ? { ...data, TagSpecifications: kept } : data;
}

async function clone(body: Record<string, unknown>) {
  const { task } = await env.run([{ cloneServerGroup: { credentials: ACCOUNT, ...body } }]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  return task;
}

const everyLaunchSetting = {
  subnetIds: [] as string[],
  blockDevices: [
    { deviceName: '/dev/sdb', size: 100, volumeType: 'gp3', iops: 3000, throughput: 250, deleteOnTermination: true },
    { deviceName: '/dev/sdc', size: 20, encrypted: true, kmsKeyId: 'alias/app' },
  ],
  requireIMDSv2: true,
  associatePublicIpAddress: true,
  associateIPv6Address: true,
  spotPrice: '0.05',
  unlimitedCpuCredits: true,
  enableEnclave: false,
  placement: { tenancy: 'default', groupName: 'app-pg' },
  licenseSpecifications: [{ arn: 'arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-1' }],
  kernelId: 'aki-0123abcd',
  ramdiskId: 'ari-0123abcd',
  blockDeviceTags: { backup: 'daily', 'aws:reserved': 'dropped' },
};

/** Clouddriver's default volume tags (DefaultAmazonResourceTagger), plus any blockDeviceTags. */
function volumeTags(app: string, extra: Record<string, string> = {}) {
  const tags = { 'spinnaker:application': app, 'spinnaker:cluster': `${app}-main`, ...extra };
  return [{ ResourceType: 'volume', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }];
}

test('createServerGroup puts every launch setting into the launch template, where Clouddriver puts it', async () => {
  const app = uniqueName('ltall');
  const { task } = await env.run([
    { createServerGroup: deploy(app, { ...everyLaunchSetting, subnetIds: [subnetA], securityGroups: [defaultSg], keyPair: 'app-key' }) },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.map((h) => h.status)).toContain(
    `Creating launch template ${app}-main-v000 in ${REGION} with ${amiId} on t3.micro (IMDSv2 required, spot up to 0.05, public IP, IPv6, 2 block devices)`,
  );
  const g = await group(`${app}-main-v000`);
  expect(g.Instances).toHaveLength(1);
  expect(g.MixedInstancesPolicy).toBeUndefined();
  expect(await templateData(`${app}-main-v000`)).toEqual({
    ImageId: amiId,
    InstanceType: 't3.micro',
    KernelId: 'aki-0123abcd',
    RamDiskId: 'ari-0123abcd',
    EbsOptimized: true,
    KeyName: 'app-key',
    Placement: { Tenancy: 'default', GroupName: 'app-pg' },
    LicenseSpecifications: [{ LicenseConfigurationArn: everyLaunchSetting.licenseSpecifications[0]!.arn }],
    MetadataOptions: { HttpTokens: 'required' },
    InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.05' } },
    CreditSpecification: { CpuCredits: 'unlimited' },
    // The security groups move onto the primary interface, next to the address choices.
    NetworkInterfaces: [{ AssociatePublicIpAddress: true, Ipv6AddressCount: 1, Groups: [defaultSg], DeviceIndex: 0 }],
    EnclaveOptions: { Enabled: false },
    BlockDeviceMappings: [
      {
        DeviceName: '/dev/sdb',
        Ebs: { VolumeSize: 100, VolumeType: 'gp3', Iops: 3000, Throughput: 250, DeleteOnTermination: true },
      },
      { DeviceName: '/dev/sdc', Ebs: { VolumeSize: 20, Encrypted: true, KmsKeyId: 'alias/app' } },
    ],
    TagSpecifications: volumeTags(app, { backup: 'daily' }),
  });
});

test("without blockDevices a deploy gets Clouddriver's default volumes for its type, or the AMI's with useAmiBlockDeviceMappings", async () => {
  const app = uniqueName('ltdef');
  await env.run([{ createServerGroup: deploy(app, { instanceType: 'm5.large' }) }]);
  const plain = await templateData(`${app}-main-v000`);
  expect(plain.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/sdb', Ebs: { VolumeSize: 40, VolumeType: 'standard' } }]);
  expect(plain).toMatchObject({ EbsOptimized: true, NetworkInterfaces: [{ DeviceIndex: 0, Ipv6AddressCount: 0 }] });
  // m5 is not burstable: no credit specification at all.
  expect(plain.CreditSpecification).toBeUndefined();
  expect(plain.MetadataOptions).toBeUndefined();

  await env.run([{ createServerGroup: deploy(app, { instanceType: 'm5.large', useAmiBlockDeviceMappings: true }) }]);
  const fromAmi = await templateData(`${app}-main-v001`);
  const image = (await testAwsClients(env.aws).ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images![0]!;
  const rootDevice = image.BlockDeviceMappings![0]!;
  expect(fromAmi.BlockDeviceMappings).toEqual([
    {
      DeviceName: rootDevice.DeviceName,
      Ebs: expect.objectContaining({ VolumeSize: rootDevice.Ebs!.VolumeSize, SnapshotId: rootDevice.Ebs!.SnapshotId }),
    },
  ]);

  // t3.micro: no default volumes, standard CPU credits unless asked (Clouddriver's default).
  await env.run([{ createServerGroup: deploy(app, { stack: 'burst' }) }]);
  const burst = await templateData(`${app}-burst-v000`);
  expect(burst.BlockDeviceMappings).toBeUndefined();
  expect(burst.CreditSpecification).toEqual({ CpuCredits: 'standard' });
});

const mixed = {
  instanceType: 'm5.large',
  spotPrice: '0.3',
  // Makes a mixed group but is not sent: Clouddriver's builder never sets it (AWS's prioritized applies).
  onDemandAllocationStrategy: 'lowest-price',
  onDemandBaseCapacity: 1,
  onDemandPercentageAboveBaseCapacity: 25,
  spotAllocationStrategy: 'lowest-price',
  spotInstancePools: 3,
  launchTemplateOverridesForInstanceType: [
    { instanceType: 'c5.large', weightedCapacity: '1' },
    { instanceType: 'm5.xlarge', weightedCapacity: 2, priority: 1 },
    { instanceType: 'm5.large', weightedCapacity: '1', priority: 2 },
  ],
};

const expectedPolicy = {
  Overrides: [
    { InstanceType: 'm5.xlarge', WeightedCapacity: '2' },
    { InstanceType: 'm5.large', WeightedCapacity: '1' },
    { InstanceType: 'c5.large', WeightedCapacity: '1' },
  ],
  InstancesDistribution: {
    OnDemandBaseCapacity: 1,
    OnDemandPercentageAboveBaseCapacity: 25,
    SpotAllocationStrategy: 'lowest-price',
    SpotInstancePools: 3,
    SpotMaxPrice: '0.3',
  },
};

/*
 * moto keeps a MixedInstancesPolicy only until the group's next UpdateAutoScalingGroup (its update
 * sets the policy to whatever that call carries, so a capacity change erases it; AWS keeps it).
 * Bosun creates every group at 0 and then sets its capacity, so these tests check the
 * CreateAutoScalingGroup request Bosun sent (recorded) and that moto accepted it, and build the
 * mixed-instances source of a clone directly in moto.
 */
test('mixed-instances fields make a MixedInstancesPolicy: overrides by priority, the distribution, the spot price in it', async () => {
  const app = uniqueName('mip');
  const { task } = await env.run([{ createServerGroup: deploy(app, mixed) }]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  const request = createRequest(`${app}-main-v000`);
  expect(request.LaunchTemplate).toBeUndefined();
  expect(request.MixedInstancesPolicy).toEqual({
    LaunchTemplate: {
      LaunchTemplateSpecification: { LaunchTemplateId: expect.stringMatching(/^lt-/), Version: '$Latest' },
      Overrides: expectedPolicy.Overrides,
    },
    InstancesDistribution: expectedPolicy.InstancesDistribution,
  });
  expect((await group(`${app}-main-v000`)).Instances).toHaveLength(1);
  // The template of a mixed group carries no market options: the distribution decides.
  const data = await templateData(`${app}-main-v000`);
  expect(data.InstanceMarketOptions).toBeUndefined();
  expect(data.InstanceType).toBe('m5.large');
});

test('cloning a mixed-instances spot group keeps its overrides and distribution; request fields win', async () => {
  const app = uniqueName('mipc');
  const source = `${app}-main-v000`;
  const { ec2, autoScaling } = testAwsClients(env.aws);
  const lt = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${source}-src`,
      LaunchTemplateData: {
        ImageId: amiId,
        InstanceType: 'm5.large',
        MetadataOptions: { HttpTokens: 'required' },
        NetworkInterfaces: [{ DeviceIndex: 0, Groups: [defaultSg] }],
      },
    }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: source,
      MinSize: 0,
      MaxSize: 4,
      DesiredCapacity: 0,
      AvailabilityZones: ['us-east-1a'],
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId, Version: '$Latest' },
          Overrides: expectedPolicy.Overrides,
        },
        InstancesDistribution: { ...expectedPolicy.InstancesDistribution, OnDemandAllocationStrategy: 'lowest-price' },
      },
    }),
  );
  await clone({ source: { account: ACCOUNT, region: REGION, asgName: source } });
  const copied = createRequest(`${app}-main-v001`);
  expect(copied.LaunchTemplate).toBeUndefined();
  expect(copied.MixedInstancesPolicy).toMatchObject({
    LaunchTemplate: { Overrides: expectedPolicy.Overrides },
    InstancesDistribution: expectedPolicy.InstancesDistribution,
  });
  const data = await templateData(`${app}-main-v001`);
  expect(data).toMatchObject({ InstanceType: 'm5.large', MetadataOptions: { HttpTokens: 'required' } });
  expect(data.InstanceMarketOptions).toBeUndefined();

  // Pools that do not fit the request's strategy are dropped (AWS takes them with lowest-price only).
  await clone({
    source: { account: ACCOUNT, region: REGION, asgName: source },
    spotAllocationStrategy: 'capacity-optimized',
    onDemandBaseCapacity: 0,
    launchTemplateOverridesForInstanceType: [{ instanceType: 'c5.large' }, { instanceType: 'c5.xlarge', weightedCapacity: '2' }],
  });
  const { SpotInstancePools: _pools, ...rest } = expectedPolicy.InstancesDistribution;
  expect(createRequest(`${app}-main-v002`).MixedInstancesPolicy).toMatchObject({
    LaunchTemplate: { Overrides: [{ InstanceType: 'c5.large' }, { InstanceType: 'c5.xlarge', WeightedCapacity: '2' }] },
    InstancesDistribution: { ...rest, SpotAllocationStrategy: 'capacity-optimized', OnDemandBaseCapacity: 0 },
  });
  expect(createRequest(`${app}-main-v002`).MixedInstancesPolicy?.InstancesDistribution?.SpotInstancePools).toBeUndefined();
});

test('a clone of an IMDSv2, public-IP, spot group is the same; request fields win over the source', async () => {
  const app = uniqueName('ltc');
  await env.run([
    { createServerGroup: deploy(app, { ...everyLaunchSetting, subnetIds: [subnetA], securityGroups: [defaultSg], keyPair: 'app-key' }) },
  ]);
  await clone({ source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` }, instanceType: 't3.small' });
  const copy = await templateData(`${app}-main-v001`);
  expect(copy).toMatchObject({
    InstanceType: 't3.small',
    KeyName: 'app-key',
    KernelId: 'aki-0123abcd',
    RamDiskId: 'ari-0123abcd',
    EbsOptimized: true,
    MetadataOptions: { HttpTokens: 'required' },
    InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.05' } },
    CreditSpecification: { CpuCredits: 'unlimited' },
    NetworkInterfaces: [{ AssociatePublicIpAddress: true, Ipv6AddressCount: 1, Groups: [defaultSg], DeviceIndex: 0 }],
    EnclaveOptions: { Enabled: false },
  });
  // Custom devices are copied; Clouddriver's copy keeps no KMS key id (AsgConfigHelper).
  expect(copy.BlockDeviceMappings).toEqual([
    { DeviceName: '/dev/sdb', Ebs: { VolumeSize: 100, VolumeType: 'gp3', Iops: 3000, Throughput: 250, DeleteOnTermination: true } },
    { DeviceName: '/dev/sdc', Ebs: { VolumeSize: 20, Encrypted: true } },
  ]);
  // Placement, licenses and volume tags are the request's only, as in Clouddriver's clone.
  expect(copy.TagSpecifications).toEqual(volumeTags(app));
  expect(copy.Placement).toBeUndefined();
  expect(copy.LicenseSpecifications).toBeUndefined();
  expect((await group(`${app}-main-v001`)).VPCZoneIdentifier).toBe(subnetA);

  await clone({
    source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` },
    requireIMDSv2: false,
    spotPrice: '',
    associatePublicIpAddress: false,
    blockDevices: [{ deviceName: '/dev/sdf', size: 10 }],
  });
  const changed = await templateData(`${app}-main-v002`);
  expect(changed.MetadataOptions).toBeUndefined();
  expect(changed.InstanceMarketOptions).toBeUndefined();
  expect(changed.NetworkInterfaces).toEqual([
    { AssociatePublicIpAddress: false, Ipv6AddressCount: 1, Groups: [defaultSg], DeviceIndex: 0 },
  ]);
  expect(changed.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 10 } }]);
});

test('a clone of a launch-configuration group gets a launch template carrying everything the configuration had', async () => {
  const app = uniqueName('lcsrc');
  const source = `${app}-main-v000`;
  const { autoScaling } = testAwsClients(env.aws);
  await autoScaling.send(
    new CreateLaunchConfigurationCommand({
      LaunchConfigurationName: `${source}-lc`,
      ImageId: amiId,
      InstanceType: 'm5.large',
      KeyName: 'legacy-key',
      SecurityGroups: [defaultSg],
      IamInstanceProfile: 'legacy-role',
      UserData: Buffer.from('#!/bin/bash\necho legacy').toString('base64'),
      SpotPrice: '0.2',
      InstanceMonitoring: { Enabled: false },
      EbsOptimized: false,
      AssociatePublicIpAddress: true,
      MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [{ DeviceName: '/dev/sdb', Ebs: { VolumeSize: 80, VolumeType: 'gp3', DeleteOnTermination: true } }],
    }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: source,
      LaunchConfigurationName: `${source}-lc`,
      MinSize: 0,
      MaxSize: 2,
      DesiredCapacity: 1,
      VPCZoneIdentifier: subnetA,
    }),
  );
  await clone({ source: { account: ACCOUNT, region: REGION, asgName: source } });
  const g = await group(`${app}-main-v001`);
  expect(g.LaunchTemplate).toBeDefined();
  expect(g).toMatchObject({ MinSize: 0, MaxSize: 2, DesiredCapacity: 1, VPCZoneIdentifier: subnetA });
  expect(await templateData(`${app}-main-v001`)).toEqual({
    ImageId: amiId,
    InstanceType: 'm5.large',
    EbsOptimized: false,
    KeyName: 'legacy-key',
    IamInstanceProfile: { Name: 'legacy-role' },
    Monitoring: { Enabled: false },
    UserData: Buffer.from('#!/bin/bash\necho legacy').toString('base64'),
    InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.2' } },
    MetadataOptions: { HttpTokens: 'required' },
    NetworkInterfaces: [{ AssociatePublicIpAddress: true, Ipv6AddressCount: 0, Groups: [defaultSg], DeviceIndex: 0 }],
    BlockDeviceMappings: [{ DeviceName: '/dev/sdb', Ebs: { VolumeSize: 80, VolumeType: 'gp3', DeleteOnTermination: true } }],
    TagSpecifications: volumeTags(app),
  });
});

test('a clone into another region leaves the key pair out (key pairs are per region), as Clouddriver does', async () => {
  const app = uniqueName('keyx');
  await env.run([{ createServerGroup: deploy(app, { keyPair: 'app-key', requireIMDSv2: true }) }]);
  await clone({
    source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` },
    availabilityZones: { 'us-west-2': ['us-west-2a'] },
    amiName,
  });
  const copy = await templateData(`${app}-main-v000`, 'us-west-2');
  expect(copy.KeyName).toBeUndefined();
  expect(copy.MetadataOptions).toEqual({ HttpTokens: 'required' });
  await clone({ source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` } });
  expect((await templateData(`${app}-main-v001`)).KeyName).toBe('app-key');
});

test("Clouddriver's validator rules on launch settings are 400s naming the field", async () => {
  const errors = await badRequestErrors(`${env.facadeUrl}/aws/ops`, [
    {
      createServerGroup: deploy('badlt', {
        instanceType: 'm5.large',
        unlimitedCpuCredits: true,
        spotInstancePools: 2,
        spotAllocationStrategy: 'capacity-optimized',
        associatePublicIpAddress: true,
        blockDevices: [{ deviceName: '/dev/sdb' }, { deviceName: '/dev/sdc', virtualName: 'ephemeral0', size: 10 }],
        placement: { tenancy: 'shared' },
      }),
    },
  ]);
  expect(errors).toEqual(
    expect.arrayContaining([
      expect.stringContaining('[0].createServerGroup.unlimitedCpuCredits: applies only when every instance type is burstable'),
      expect.stringContaining('[0].createServerGroup.spotInstancePools: applies only with spotAllocationStrategy lowest-price'),
      expect.stringContaining('[0].createServerGroup.associatePublicIpAddress: needs a VPC subnet'),
      '[0].createServerGroup.blockDevices.0: EBS device /dev/sdb needs a size',
      '[0].createServerGroup.blockDevices.1: ephemeral device /dev/sdc (ephemeral0) cannot take EBS settings',
      expect.stringContaining('[0].createServerGroup.placement.tenancy'),
    ]),
  );
});

test('a clone whose merged settings break the rules fails before it creates anything', async () => {
  const app = uniqueName('badc');
  await env.run([{ createServerGroup: deploy(app) }]);
  const { task } = await env.run([
    {
      cloneServerGroup: {
        credentials: ACCOUNT,
        source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` },
        instanceType: 'm5.large',
        unlimitedCpuCredits: true,
      },
    },
  ]);
  expect(task.status).toMatchObject({ failed: true, retryable: false });
  expect(task.resultObjects[0]).toMatchObject({ cause: 'InvalidDescription', message: expect.stringContaining('unlimitedCpuCredits') });
  expect(await groupOrNone(`${app}-main-v001`)).toBeUndefined();
});
