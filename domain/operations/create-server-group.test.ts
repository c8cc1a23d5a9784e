import { cloneServerGroupSchema, clusterOf, createServerGroupSchema, describeDeploy } from './create-server-group';

const base = {
  credentials: 'test',
  application: 'myapp',
  stack: 'main',
  availabilityZones: { 'us-east-1': ['us-east-1a'], 'eu-west-1': [] },
  capacity: { min: 1, max: 3, desired: 2 },
  amiName: 'my-ami-1.0',
  instanceType: 'm5.large',
};

test('a deploy is normalised: one region per availabilityZones key, defaults filled', () => {
  const d = createServerGroupSchema.parse(base);
  expect(d).toMatchObject({
    account: 'test',
    application: 'myapp',
    stack: 'main',
    regions: [
      { region: 'us-east-1', zones: ['us-east-1a'] },
      { region: 'eu-west-1', zones: [] },
    ],
    securityGroups: [],
    suspendedProcesses: [],
    startDisabled: false,
    waitTimeoutSeconds: 1800,
  });
  expect(clusterOf(d)).toBe('myapp-main');
  expect(describeDeploy(d)).toBe('deploy myapp-main in us-east-1, eu-west-1 at 1/2/3 (min/desired/max) from my-ami-1.0');
});

test('moniker.app stands in for application, and a detail without a stack makes app--detail', () => {
  const { application: _a, stack: _s, ...rest } = base;
  const d = createServerGroupSchema.parse({ ...rest, moniker: { app: 'fromMoniker' }, freeFormDetails: 'canary' });
  expect(clusterOf(d)).toBe('fromMoniker--canary');
});

test('a stack with a dash is refused: dashes separate the parts of a name', () => {
  const r = createServerGroupSchema.safeParse({ ...base, stack: 'a-b' });
  expect(r.success).toBe(false);
});

test('a clone keeps only the fields the caller sent as overrides', () => {
  const c = cloneServerGroupSchema.parse({
    credentials: 'test',
    source: { region: 'us-east-1', asgName: 'myapp-main-v003' },
    capacity: { min: 0, max: 1, desired: 1 },
    stack: '',
  });
  expect(c.source).toEqual({ account: 'test', region: 'us-east-1', serverGroupName: 'myapp-main-v003' });
  expect(c.overrides).toEqual({ capacity: { min: 0, max: 1, desired: 1 }, stack: undefined });
  expect(Object.keys(c.overrides)).toEqual(['stack', 'capacity']);
});

test('a clone needs a source group', () => {
  const r = cloneServerGroupSchema.safeParse({ credentials: 'test', source: { region: 'us-east-1' } });
  expect(r.success).toBe(false);
  if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toContain('source.asgName');
});
