import { parseOperation } from '..';
import { partitionInstances, planDecrement, terminateInstanceAndDecrementSchema } from './instances';

const A = 'i-0123456789abcdef0';
const B = 'i-0fedcba9876543210';

test('terminate and reboot descriptions keep each id once, in order', () => {
  const parsed = parseOperation('terminateInstances', {
    credentials: 'test',
    region: 'us-east-1',
    instanceIds: [A, B, A],
    application: 'myapp',
  });
  expect(parsed).toEqual({
    ok: true,
    request: {
      name: 'terminateInstances',
      description: { account: 'test', region: 'us-east-1', instanceIds: [A, B], application: 'myapp' },
    },
  });
});

test('bad ids, an empty list and a missing account are each named', () => {
  expect(parseOperation('rebootInstances', { region: 'us-east-1', instanceIds: [A, 'i-xyz', 'web-1'] }, '[0].rebootInstances')).toEqual({
    ok: false,
    errors: expect.arrayContaining([
      '[0].rebootInstances.instanceIds.1: must be an EC2 instance id such as i-0123456789abcdef0',
      '[0].rebootInstances.instanceIds.2: must be an EC2 instance id such as i-0123456789abcdef0',
      '[0].rebootInstances.credentials: is required (the account name)',
    ]),
  });
  expect(parseOperation('terminateInstances', { credentials: 'test', region: 'us-east-1', instanceIds: [] })).toEqual({
    ok: false,
    errors: ['instanceIds: must name at least one instance'],
  });
  const many = Array.from({ length: 1001 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
  expect(parseOperation('terminateInstances', { credentials: 'test', region: 'us-east-1', instanceIds: many })).toEqual({
    ok: false,
    errors: ['instanceIds: must name at most 1000 instances'],
  });
});

test('the legacy terminate-and-decrement description names the group asgName and the instance instance', () => {
  const d = terminateInstanceAndDecrementSchema.parse({ credentials: 'test', region: 'us-east-1', asgName: 'myapp-v001', instance: A });
  expect(d).toEqual({
    account: 'test',
    region: 'us-east-1',
    serverGroupName: 'myapp-v001',
    instanceId: A,
    adjustMinIfNecessary: false,
    setMaxToNewDesired: false,
    application: undefined,
  });
  const bad = terminateInstanceAndDecrementSchema.safeParse({ credentials: 'test', region: 'us-east-1' });
  expect(bad.success).toBe(false);
  expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['instance', 'serverGroupName']));
});

test('ids are sorted into unknown, gone and live by what EC2 answered', () => {
  const C = 'i-00000000000000001';
  expect(
    partitionInstances(
      [A, B, C, 'i-00000000'],
      [
        { instanceId: B, state: 'terminated' },
        { instanceId: A, state: 'running' },
        { instanceId: C, state: 'shutting-down' },
      ],
    ),
  ).toEqual({ unknown: ['i-00000000'], gone: [B, C], live: [{ instanceId: A, state: 'running' }] });
});

describe('planDecrement', () => {
  test('above the minimum only desired drops', () => {
    expect(planDecrement({ min: 1, desired: 3, max: 4 }, false)).toEqual({ ok: true, after: { min: 1, desired: 2, max: 4 } });
  });
  test('at the minimum it refuses, naming desired and min', () => {
    expect(planDecrement({ min: 2, desired: 2, max: 4 }, false)).toEqual({
      ok: false,
      problem: 'desired capacity 2 would drop to 1, below the minimum of 2 (set adjustMinIfNecessary to lower the minimum to 1)',
    });
  });
  test('at the minimum with adjustMinIfNecessary it lowers min first', () => {
    expect(planDecrement({ min: 2, desired: 2, max: 4 }, true)).toEqual({ ok: true, after: { min: 1, desired: 1, max: 4 }, lowerMinTo: 1 });
  });
  test('a group at 0 cannot be decremented at all', () => {
    expect(planDecrement({ min: 0, desired: 0, max: 0 }, true)).toMatchObject({ ok: false, problem: expect.stringContaining('already 0') });
  });
});
