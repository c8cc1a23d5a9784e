import { parseOperation, resolveOperationKey } from '../index';
import { describeUpdateLaunchConfig, updateLaunchConfigSchema } from './update-launch-config';

const base = { credentials: 'test', region: 'us-east-1', asgName: 'myapp-main-v003' };

test('the modern and legacy keys name the operation, in its Clouddriver phase', () => {
  expect(resolveOperationKey('updateLaunchConfig')).toBe('updateLaunchConfig');
  expect(resolveOperationKey('modifyAsgLaunchConfigurationDescription')).toBe('updateLaunchConfig');
});

test('normalises a description, keeping the fields Clouddriver acts on', () => {
  const d = updateLaunchConfigSchema.parse({
    ...base,
    amiName: 'myapp-1.2.3',
    instanceType: 'm5.large',
    spotPrice: '',
    securityGroups: ['myapp', 'sg-0123456789abcdef0'],
    securityGroupsAppendOnly: true,
    blockDevices: [
      { deviceName: '/dev/sdb', size: 40, volumeType: 'gp3' },
      { deviceName: '/dev/sdc', virtualName: 'ephemeral0' },
    ],
  });
  expect(d).toMatchObject({
    account: 'test',
    targets: [{ serverGroupName: 'myapp-main-v003', region: 'us-east-1' }],
    amiName: 'myapp-1.2.3',
  });
  expect(Object.entries(d.changes).filter(([, v]) => v !== undefined)).toEqual([
    ['instanceType', 'm5.large'],
    ['securityGroups', ['myapp', 'sg-0123456789abcdef0']],
    ['securityGroupsAppendOnly', true],
    ['spotPrice', ''],
    ['blockDevices', expect.any(Array)],
  ]);
  expect(d.changes.blockDevices).toEqual(
    [
      { deviceName: '/dev/sdb', size: 40, volumeType: 'gp3' },
      { deviceName: '/dev/sdc', virtualName: 'ephemeral0' },
    ].map((b) => expect.objectContaining(b) as unknown),
  );
  expect(describeUpdateLaunchConfig(d)).toBe(
    'update the launch configuration of myapp-main-v003 in us-east-1: image myapp-1.2.3, instance type m5.large, security groups + myapp, sg-0123456789abcdef0, no spot price, 2 block devices',
  );
  // Nothing to change is no error: Clouddriver answers that no change was required.
  expect(updateLaunchConfigSchema.safeParse(base).success).toBe(true);
});

test('each wrong field is named', () => {
  const parsed = parseOperation('updateLaunchConfig', {
    region: 'us-east-1',
    asgName: 'app-v001',
    associatePublicIpAddress: true,
    securityGroups: [],
    blockDevices: [{ size: 10 }, { deviceName: '/dev/sdc', virtualName: 'ephemeral0', size: 10 }],
  });
  expect(!parsed.ok && parsed.errors).toEqual(
    expect.arrayContaining([
      'credentials: is required (the account name)',
      'associatePublicIpAddress: needs subnetType (the subnets the instances launch into)',
      'securityGroups: must list at least one security group',
      'blockDevices.0.deviceName: is required for a block device',
      'blockDevices.1: ephemeral block device /dev/sdc must not carry EBS settings',
    ]),
  );
});
