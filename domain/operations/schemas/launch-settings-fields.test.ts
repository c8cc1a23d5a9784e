import { cloneServerGroupSchema, createServerGroupSchema } from './create-server-group';

const base = {
  credentials: 'test',
  application: 'myapp',
  availabilityZones: { 'us-east-1': ['us-east-1a'] },
  capacity: { min: 1, max: 3, desired: 2 },
  amiName: 'my-ami-1.0',
  instanceType: 'm5.large',
};

test('a deploy keeps the launch settings it was given, and only those', () => {
  expect(createServerGroupSchema.parse(base).launch).toEqual({});
  const d = createServerGroupSchema.parse({
    ...base,
    requireIMDSv2: true,
    spotPrice: 0.5,
    blockDevices: [{ deviceName: '/dev/sdb', size: 10 }],
    launchTemplateOverridesForInstanceType: [{ instanceType: 'c5.large', weightedCapacity: 2, priority: 1 }],
  });
  expect(d.launch).toEqual({
    requireIMDSv2: true,
    spotPrice: '0.5',
    blockDevices: [{ deviceName: '/dev/sdb', size: 10 }],
    launchTemplateOverridesForInstanceType: [{ instanceType: 'c5.large', weightedCapacity: '2', priority: 1 }],
  });
});

test("a clone's overrides hold only the launch settings the caller sent", () => {
  const source = { region: 'us-east-1', asgName: 'myapp-v001' };
  expect(cloneServerGroupSchema.parse({ credentials: 'test', source }).overrides.launch).toBeUndefined();
  expect(cloneServerGroupSchema.parse({ credentials: 'test', source, requireIMDSv2: false, spotPrice: '' }).overrides.launch).toEqual({
    requireIMDSv2: false,
    spotPrice: '',
  });
});

test('launch settings Clouddriver refuses are refused by field', () => {
  const r = createServerGroupSchema.safeParse({
    ...base,
    unlimitedCpuCredits: false,
    blockDevices: [{ deviceName: '/dev/sdb', virtualName: 'ephemeral0', volumeType: 'gp3' }],
    launchTemplateOverridesForInstanceType: [{ weightedCapacity: '1' }],
  });
  expect(r.success).toBe(false);
  expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual([
    'blockDevices.0',
    'launchTemplateOverridesForInstanceType.0.instanceType',
    'unlimitedCpuCredits',
  ]);
});
