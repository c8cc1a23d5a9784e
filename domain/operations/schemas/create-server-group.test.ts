import { parseOperation, unsupportedFieldsOf } from '..';
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

test('a clone without a source group names the cluster and the regions whose newest group it clones', () => {
  const r = cloneServerGroupSchema.safeParse({ credentials: 'test', source: { region: 'us-east-1' } });
  expect(r.success).toBe(false);
  if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toEqual(['application', 'availabilityZones']);
  const ok = cloneServerGroupSchema.parse({ credentials: 'test', application: 'myapp', availabilityZones: { 'us-east-1': [] } });
  expect(ok.source).toBeUndefined();
  expect(ok.copySourceScalingPoliciesAndActions).toBe(true);
});

test('a named source needs its region', () => {
  const r = cloneServerGroupSchema.safeParse({ credentials: 'test', source: { asgName: 'myapp-main-v003' } });
  expect(r.success).toBe(false);
  if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toEqual(['source.region']);
});

test('createServerGroup: a complete source is the one to copy scaling from, unless copySourceScalingPoliciesAndActions is false', () => {
  const source = { account: 'prod', region: 'us-west-2', asgName: 'myapp-v001' };
  expect(createServerGroupSchema.parse({ ...base, source }).scalingSource).toEqual({
    account: 'prod',
    region: 'us-west-2',
    serverGroupName: 'myapp-v001',
  });
  expect(createServerGroupSchema.parse({ ...base, source, copySourceScalingPoliciesAndActions: false }).scalingSource).toBeUndefined();
  // Clouddriver needs account, region and name; with less there is no source (the deploy's account stands in for a missing one).
  expect(createServerGroupSchema.parse({ ...base, source: { region: 'us-west-2' } }).scalingSource).toBeUndefined();
});

test("lifecycle hooks take Clouddriver's Transition names (as Jackson reads them) and AWS's; a launch-error notification is routed", () => {
  const hooks = (...transitions: string[]) => ({
    ...base,
    lifecycleHooks: transitions.map((lifecycleTransition) => ({
      lifecycleTransition,
      roleARN: 'arn:aws:iam::1:role/r',
      notificationTargetARN: 'arn:aws:sns:us-east-1:1:t',
    })),
  });
  const parsed = parseOperation('createServerGroup', hooks('EC2InstanceLaunching', 'autoscaling:EC2_INSTANCE_TERMINATING'));
  expect(parsed).toMatchObject({
    ok: true,
    request: {
      description: {
        lifecycleHooks: [
          { lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
          { lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING' },
        ],
      },
    },
  });
  expect(unsupportedFieldsOf('createServerGroup', hooks('EC2InstanceLaunching')).map((f) => f.field)).toEqual([]);
  expect(unsupportedFieldsOf('createServerGroup', hooks('EC2InstanceLaunching', 'EC2InstanceLaunchError')).map((f) => f.field)).toEqual([
    'lifecycleHooks[].lifecycleTransition',
  ]);
  expect(parseOperation('createServerGroup', hooks('EC2InstanceStarting'))).toMatchObject({
    ok: false,
    errors: ['lifecycleHooks.0.lifecycleTransition: must be EC2InstanceLaunching or EC2InstanceTerminating'],
  });
});
