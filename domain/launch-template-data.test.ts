import {
  blockDevicesFromImage,
  blockDevicesFromLaunchTemplate,
  launchTemplateDataOf,
  mixedInstancesFromPolicy,
  mixedInstancesPolicyOf,
} from './launch-template-data';

const base = { imageId: 'ami-1', instanceType: 'm5.large', securityGroupIds: ['sg-1', 'sg-2'], launch: {} };

test("a plain deploy: Clouddriver's defaults (type's volumes, EBS optimisation), groups on the primary interface", () => {
  expect(launchTemplateDataOf({ ...base, keyPair: 'k', iamRole: 'role', instanceMonitoring: false })).toEqual({
    ImageId: 'ami-1',
    InstanceType: 'm5.large',
    EbsOptimized: true,
    KeyName: 'k',
    IamInstanceProfile: { Name: 'role' },
    Monitoring: { Enabled: false },
    NetworkInterfaces: [{ Ipv6AddressCount: 0, Groups: ['sg-1', 'sg-2'], DeviceIndex: 0 }],
    BlockDeviceMappings: [{ DeviceName: '/dev/sdb', Ebs: { VolumeSize: 40, VolumeType: 'standard' } }],
  });
  // Burstable types get standard credits unless told otherwise; t3 has no default volumes.
  expect(launchTemplateDataOf({ ...base, instanceType: 't3.micro' })).toMatchObject({ CreditSpecification: { CpuCredits: 'standard' } });
  expect(launchTemplateDataOf({ ...base, instanceType: 't3.micro' }).BlockDeviceMappings).toBeUndefined();
});

test('every launch setting lands where Clouddriver puts it', () => {
  const data = launchTemplateDataOf({
    ...base,
    instanceType: 't3.micro',
    iamRole: 'arn:aws:iam::123456789012:instance-profile/app',
    ebsOptimized: false,
    launch: {
      blockDevices: [
        {
          deviceName: '/dev/sdb',
          size: 100,
          volumeType: 'gp3',
          throughput: 250,
          iops: 4000,
          deleteOnTermination: true,
          encrypted: true,
          kmsKeyId: 'key',
        },
        { deviceName: '/dev/sdc', virtualName: 'ephemeral0' },
      ],
      requireIMDSv2: true,
      associatePublicIpAddress: true,
      associateIPv6Address: true,
      spotPrice: '0.05',
      unlimitedCpuCredits: true,
      enableEnclave: true,
      placement: { tenancy: 'dedicated', groupName: 'pg', partitionNumber: 2 },
      licenseSpecifications: [{ arn: 'arn:lic' }],
      kernelId: 'aki-1',
      ramdiskId: 'ari-1',
    },
  });
  expect(data).toEqual({
    ImageId: 'ami-1',
    InstanceType: 't3.micro',
    KernelId: 'aki-1',
    RamDiskId: 'ari-1',
    EbsOptimized: false,
    IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/app' },
    Placement: { Tenancy: 'dedicated', GroupName: 'pg', PartitionNumber: 2 },
    LicenseSpecifications: [{ LicenseConfigurationArn: 'arn:lic' }],
    MetadataOptions: { HttpTokens: 'required' },
    InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.05' } },
    CreditSpecification: { CpuCredits: 'unlimited' },
    NetworkInterfaces: [{ AssociatePublicIpAddress: true, Ipv6AddressCount: 1, Groups: ['sg-1', 'sg-2'], DeviceIndex: 0 }],
    EnclaveOptions: { Enabled: true },
    BlockDeviceMappings: [
      {
        DeviceName: '/dev/sdb',
        Ebs: {
          VolumeSize: 100,
          DeleteOnTermination: true,
          VolumeType: 'gp3',
          Iops: 4000,
          Throughput: 250,
          Encrypted: true,
          KmsKeyId: 'key',
        },
      },
      { DeviceName: '/dev/sdc', VirtualName: 'ephemeral0' },
    ],
  });
});

test('a mixed group takes its spot price in the distribution, not the template; credits default on its override types', () => {
  const launch = {
    spotPrice: '0.3',
    onDemandBaseCapacity: 0,
    launchTemplateOverridesForInstanceType: [{ instanceType: 't3.large' }, { instanceType: 't3a.large' }],
  };
  const data = launchTemplateDataOf({ ...base, launch });
  expect(data.InstanceMarketOptions).toBeUndefined();
  expect(data.CreditSpecification).toEqual({ CpuCredits: 'standard' });
  expect(
    mixedInstancesPolicyOf(
      { overrides: [{ instanceType: 't3.large', weightedCapacity: '1' }], spotMaxPrice: '0.3', onDemandBaseCapacity: 0 },
      'lt-1',
    ),
  ).toEqual({
    LaunchTemplate: {
      LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '$Latest' },
      Overrides: [{ InstanceType: 't3.large', WeightedCapacity: '1' }],
    },
    InstancesDistribution: { OnDemandBaseCapacity: 0, SpotMaxPrice: '0.3' },
  });
});

test('useAmiBlockDeviceMappings takes the AMI devices; an explicit empty list means no devices', () => {
  const ami = blockDevicesFromImage([
    { DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-1', VolumeSize: 8, VolumeType: 'gp3', Encrypted: true, KmsKeyId: 'k' } },
  ]);
  expect(ami).toEqual([{ deviceName: '/dev/xvda', snapshotId: 'snap-1', size: 8, volumeType: 'gp3', kmsKeyId: 'k' }]);
  expect(launchTemplateDataOf({ ...base, launch: { useAmiBlockDeviceMappings: true }, amiBlockDevices: ami }).BlockDeviceMappings).toEqual([
    { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, VolumeType: 'gp3', SnapshotId: 'snap-1', KmsKeyId: 'k' } },
  ]);
  expect(launchTemplateDataOf({ ...base, launch: { blockDevices: [] } }).BlockDeviceMappings).toBeUndefined();
});

test("a source's devices and policy read back in deploy terms (no KMS key id from a template, as in Clouddriver)", () => {
  expect(
    blockDevicesFromLaunchTemplate([
      { DeviceName: '/dev/sdb', Ebs: { VolumeSize: 50, Encrypted: true, KmsKeyId: 'k', Throughput: 200 } },
      { DeviceName: '/dev/sdc', VirtualName: 'ephemeral0' },
    ]),
  ).toEqual([
    { deviceName: '/dev/sdb', size: 50, encrypted: true, throughput: 200 },
    { deviceName: '/dev/sdc', virtualName: 'ephemeral0' },
  ]);
  expect(
    mixedInstancesFromPolicy({
      LaunchTemplate: { Overrides: [{ InstanceType: 'm5.large', WeightedCapacity: '2' }] },
      InstancesDistribution: { SpotAllocationStrategy: 'capacity-optimized' },
    }),
  ).toEqual({ overrides: [{ instanceType: 'm5.large', weightedCapacity: '2' }], spotAllocationStrategy: 'capacity-optimized' });
});

test("the instances' volumes carry the application and cluster, and blockDeviceTags without aws: keys", () => {
  const data = launchTemplateDataOf({
    ...base,
    serverGroupName: 'app-main-canary-v007',
    launch: { blockDeviceTags: { team: 'x', 'aws:cloudformation:stack': 'y' } },
  });
  expect(data.TagSpecifications).toEqual([
    {
      ResourceType: 'volume',
      Tags: [
        { Key: 'spinnaker:application', Value: 'app' },
        { Key: 'spinnaker:cluster', Value: 'app-main-canary' },
        { Key: 'team', Value: 'x' },
      ],
    },
  ]);
});
