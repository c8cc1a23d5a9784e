import { applicationOf, factsOf, operationEntries, taskApplication } from './routing-facts';

test('the application comes from the description, else from a server group name', () => {
  expect(applicationOf({ application: 'a1' })).toBe('a1');
  expect(applicationOf({ moniker: { app: 'm1' } })).toBe('m1');
  expect(applicationOf({ serverGroupName: 'sg-main-v001' })).toBe('sg');
  expect(applicationOf({ asgName: 'legacy-v002' })).toBe('legacy');
  expect(applicationOf({ asgs: [{ serverGroupName: 'listed-x-v003', region: 'r' }] })).toBe('listed');
  expect(applicationOf({ source: { asgName: 'src-v001' } })).toBe('src');
  expect(applicationOf({ instanceIds: ['i-1'] })).toBeUndefined();
  expect(applicationOf('not an object')).toBeUndefined();
});

test('account and region are read from every form Clouddriver accepts', () => {
  expect(factsOf('resizeServerGroup', { credentials: 'prod', region: 'us-east-1' })).toMatchObject({
    account: 'prod',
    regions: ['us-east-1'],
  });
  expect(factsOf('createServerGroup', { account: 'test', availabilityZones: { 'eu-west-1': [] } })).toMatchObject({
    account: 'test',
    regions: ['eu-west-1'],
  });
  expect(factsOf('x', { regions: ['us-west-2'] }).regions).toEqual(['us-west-2']);
});

test('every region of an operation is a routing fact, not only the first', () => {
  expect(factsOf('createServerGroup', { availabilityZones: { 'us-east-1': [], 'eu-west-1': [] } }).regions).toEqual([
    'us-east-1',
    'eu-west-1',
  ]);
  expect(
    factsOf('resizeServerGroup', { asgs: [{ region: 'us-east-1' }, { region: 'us-west-2' }, { region: 'us-east-1' }] }).regions,
  ).toEqual(['us-east-1', 'us-west-2']);
  expect(factsOf('disableServerGroup', { serverGroupName: 'a-v001', regions: ['us-east-1', 'ap-south-1'] }).regions).toEqual([
    'us-east-1',
    'ap-south-1',
  ]);
});

test('allowLaunch is routed on its target account, not on the account that owns the image', () => {
  expect(factsOf('allowLaunchDescription', { credentials: 'images', account: 'prod', region: 'us-east-1' }).account).toBe('prod');
  expect(factsOf('resizeServerGroup', { credentials: 'test', account: 'other' }).account).toBe('test');
});

test('entries of both POST forms; anything else is undefined', () => {
  expect(operationEntries([{ a: 1 }, { b: 2, c: 3 }])).toEqual([
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);
  expect(operationEntries({ x: 1 }, 'resize')).toEqual([['resize', { x: 1 }]]);
  expect(operationEntries({ x: 1 })).toBeUndefined();
  expect(operationEntries([1])).toBeUndefined();
});

test('the header names the task application before any description does', () => {
  const facts = [factsOf('a', { application: 'fromdesc' })];
  expect(taskApplication(facts, 'fromheader')).toBe('fromheader');
  expect(taskApplication(facts)).toBe('fromdesc');
});
