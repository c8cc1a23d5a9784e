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
  expect(factsOf('resizeServerGroup', { credentials: 'prod', region: 'us-east-1' })).toMatchObject({ account: 'prod', region: 'us-east-1' });
  expect(factsOf('createServerGroup', { account: 'test', availabilityZones: { 'eu-west-1': [] } })).toMatchObject({ account: 'test', region: 'eu-west-1' });
  expect(factsOf('x', { regions: ['us-west-2'] }).region).toBe('us-west-2');
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
