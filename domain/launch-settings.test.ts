import { allBurstable, defaultBlockDevicesFor, defaultEbsOptimized } from './instance-types';
import type { SourceLaunchSettings } from './launch-settings';
import {
  blockDevicesFromSource,
  cloneLaunchSettings,
  describeLaunchSettings,
  launchSettingsProblems,
  mixedInstancesOf,
} from './launch-settings';

test("Clouddriver's per-type default block devices, with the unknown-type default for anything else", () => {
  expect(defaultBlockDevicesFor('m5.large')).toEqual([{ deviceName: '/dev/sdb', size: 40, volumeType: 'standard' }]);
  expect(defaultBlockDevicesFor('c5.4xlarge')).toEqual([{ deviceName: '/dev/sdb', size: 120, volumeType: 'standard' }]);
  expect(defaultBlockDevicesFor('m3.xlarge')).toEqual([
    { deviceName: '/dev/sdb', virtualName: 'ephemeral0' },
    { deviceName: '/dev/sdc', virtualName: 'ephemeral1' },
  ]);
  expect(defaultBlockDevicesFor('t3.micro')).toEqual([]);
  expect(defaultBlockDevicesFor('m7i.large')).toEqual([{ deviceName: '/dev/sdb', size: 20, volumeType: 'standard' }]);
  expect(defaultBlockDevicesFor(undefined)).toEqual([{ deviceName: '/dev/sdb', size: 20, volumeType: 'standard' }]);
  expect(defaultEbsOptimized('m5.large')).toBe(true);
  expect(defaultEbsOptimized('m5d.large')).toBe(false);
  expect(allBurstable(['t3.micro', 't4g.small'])).toBe(true);
  expect(allBurstable(['t3.micro', undefined])).toBe(false);
});

test('mixed instances: any mixed field makes one; overrides go by priority, unset last in the order given', () => {
  expect(mixedInstancesOf({ spotPrice: '0.1' })).toBeUndefined();
  expect(
    mixedInstancesOf({
      spotPrice: '0.3',
      onDemandBaseCapacity: 1,
      launchTemplateOverridesForInstanceType: [
        { instanceType: 'c4.large', weightedCapacity: '2' },
        { instanceType: 'c5.large', weightedCapacity: '2', priority: 2 },
        { instanceType: 'm5.large' },
        { instanceType: 'c5.xlarge', weightedCapacity: '4', priority: 1 },
      ],
    }),
  ).toEqual({
    overrides: [
      { instanceType: 'c5.xlarge', weightedCapacity: '4' },
      { instanceType: 'c5.large', weightedCapacity: '2' },
      { instanceType: 'c4.large', weightedCapacity: '2' },
      { instanceType: 'm5.large' },
    ],
    onDemandBaseCapacity: 1,
    spotMaxPrice: '0.3',
  });
  expect(mixedInstancesOf({ spotAllocationStrategy: 'capacity-optimized', spotPrice: '' })).toEqual({
    spotAllocationStrategy: 'capacity-optimized',
  });
});

test('a source with its type default devices gets the default of the requested type; custom devices are kept', () => {
  const defaults = [{ deviceName: '/dev/sdb', size: 40, volumeType: 'standard' }];
  expect(blockDevicesFromSource('c5.xlarge', 'm5.large', defaults)).toEqual([{ deviceName: '/dev/sdb', size: 80, volumeType: 'standard' }]);
  const custom = [{ deviceName: '/dev/sdb', size: 500, volumeType: 'gp3' }];
  expect(blockDevicesFromSource('c5.xlarge', 'm5.large', custom)).toEqual(custom);
  expect(blockDevicesFromSource('m5.large', 'm5.large', defaults)).toEqual(defaults);
  // As in Clouddriver: a request naming no type compares unequal and gets the unknown-type default.
  expect(blockDevicesFromSource(undefined, 't3.micro', [])).toEqual([{ deviceName: '/dev/sdb', size: 20, volumeType: 'standard' }]);
});

const templateSource: SourceLaunchSettings = {
  kind: 'launchTemplate',
  blockDevices: [{ deviceName: '/dev/sdb', size: 100, volumeType: 'gp3' }],
  requireIMDSv2: true,
  enableEnclave: false,
  associatePublicIpAddress: true,
  associateIPv6Address: false,
  spotPrice: '0.25',
  cpuCredits: 'unlimited',
  kernelId: 'aki-1',
  ramdiskId: 'ari-1',
};

test('a clone takes every launch setting from a template source that the request leaves out', () => {
  // Each setting as the source has it; the template's CPU credits become the request's boolean.
  const { kind: _kind, cpuCredits: _cpuCredits, ...copied } = templateSource;
  expect(cloneLaunchSettings({}, 't3.small', templateSource, 't3.micro')).toEqual({ ...copied, unlimitedCpuCredits: true });
});

test('request fields win; "" clears the spot price; CPU credits are copied only onto named burstable types', () => {
  const merged = cloneLaunchSettings(
    { requireIMDSv2: false, spotPrice: '', associatePublicIpAddress: false, placement: { tenancy: 'dedicated' } },
    'm5.large',
    templateSource,
    't3.micro',
  );
  expect(merged).toMatchObject({ requireIMDSv2: false, associatePublicIpAddress: false, placement: { tenancy: 'dedicated' } });
  expect(merged.spotPrice).toBeUndefined();
  expect(merged.unlimitedCpuCredits).toBeUndefined();
  expect(cloneLaunchSettings({}, undefined, templateSource, 't3.micro').unlimitedCpuCredits).toBeUndefined();
});

test('a mixed-instances source keeps its distribution and overrides (as priorities 1, 2, …); pools only with lowest-price', () => {
  const source: SourceLaunchSettings = {
    kind: 'mixedInstances',
    spotPrice: '0.3',
    mixed: {
      overrides: [{ instanceType: 'm5.large', weightedCapacity: '2' }, { instanceType: 'c5.large' }],
      onDemandAllocationStrategy: 'prioritized',
      onDemandBaseCapacity: 1,
      onDemandPercentageAboveBaseCapacity: 20,
      spotAllocationStrategy: 'lowest-price',
      spotInstancePools: 3,
      spotMaxPrice: '0.3',
    },
  };
  const merged = cloneLaunchSettings({}, undefined, source, 'm5.large');
  expect(merged).toMatchObject({
    onDemandAllocationStrategy: 'prioritized',
    onDemandBaseCapacity: 1,
    onDemandPercentageAboveBaseCapacity: 20,
    spotAllocationStrategy: 'lowest-price',
    spotInstancePools: 3,
    spotPrice: '0.3',
    launchTemplateOverridesForInstanceType: [
      { instanceType: 'm5.large', weightedCapacity: '2', priority: 1 },
      { instanceType: 'c5.large', priority: 2 },
    ],
  });
  expect(mixedInstancesOf(merged)?.overrides).toEqual([{ instanceType: 'm5.large', weightedCapacity: '2' }, { instanceType: 'c5.large' }]);
  // Kept in the description but never sent, as Clouddriver's builder leaves it out.
  expect(mixedInstancesOf(merged)?.onDemandAllocationStrategy).toBeUndefined();
  const other = cloneLaunchSettings({ spotAllocationStrategy: 'capacity-optimized' }, undefined, source, 'm5.large');
  expect(other.spotInstancePools).toBeUndefined();
});

test('a launch configuration source gives its IMDSv2 setting, public IP, spot price and devices (it has no enclave or credits)', () => {
  const merged = cloneLaunchSettings(
    {},
    undefined,
    {
      kind: 'launchConfiguration',
      requireIMDSv2: true,
      blockDevices: [{ deviceName: '/dev/sdb', size: 80, volumeType: 'gp3' }],
      associatePublicIpAddress: true,
      spotPrice: '0.2',
    },
    'm5.large',
  );
  expect(merged).toEqual({
    requireIMDSv2: true,
    blockDevices: [{ deviceName: '/dev/sdb', size: 80, volumeType: 'gp3' }],
    associatePublicIpAddress: true,
    spotPrice: '0.2',
  });
});

test("the validator's rules on launch settings", () => {
  expect(launchSettingsProblems({ unlimitedCpuCredits: true }, 'm5.large', {}).map((p) => p.field)).toEqual(['unlimitedCpuCredits']);
  expect(launchSettingsProblems({ unlimitedCpuCredits: true }, 't3.micro', {})).toEqual([]);
  expect(
    launchSettingsProblems(
      { unlimitedCpuCredits: false, launchTemplateOverridesForInstanceType: [{ instanceType: 'm5.large' }] },
      't3.micro',
      {},
    ).map((p) => p.field),
  ).toEqual(['unlimitedCpuCredits']);
  expect(launchSettingsProblems({ spotInstancePools: 2 }, 'm5.large', {}).map((p) => p.field)).toEqual(['spotInstancePools']);
  expect(launchSettingsProblems({ spotInstancePools: 2, spotAllocationStrategy: 'lowest-price' }, 'm5.large', {})).toEqual([]);
  expect(launchSettingsProblems({ associatePublicIpAddress: true }, 'm5.large', {}).map((p) => p.field)).toEqual([
    'associatePublicIpAddress',
  ]);
  expect(launchSettingsProblems({ associatePublicIpAddress: true }, 'm5.large', { subnetType: 'internal' })).toEqual([]);
});

test('the task history names the notable launch settings', () => {
  expect(describeLaunchSettings({})).toBe('');
  expect(
    describeLaunchSettings({
      requireIMDSv2: true,
      spotPrice: '0.05',
      associatePublicIpAddress: true,
      blockDevices: [{ deviceName: '/dev/sdb', size: 10 }],
      launchTemplateOverridesForInstanceType: [{ instanceType: 'm5.large' }, { instanceType: 'c5.large' }],
    }),
  ).toBe(' (IMDSv2 required, mixed instances of 2 types, spot up to 0.05, public IP, 1 block devices)');
});
