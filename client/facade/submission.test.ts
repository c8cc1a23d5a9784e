import { parseSubmission, taskTargets } from './submission';

const resize = { credentials: 'test', region: 'us-east-1', serverGroupName: 'myapp-main-v003', capacity: { min: 1, max: 3, desired: 2 } };

test('the list form yields operations in order, legacy keys mapped to modern names', () => {
  const s = parseSubmission([{ resizeServerGroup: resize }, { resizeAsgDescription: { ...resize, serverGroupName: 'other-v001' } }]);
  expect(s.ok).toBe(true);
  if (!s.ok) return;
  expect(s.operations.map((o) => o.name)).toEqual(['resizeServerGroup', 'resizeServerGroup']);
  expect(s.operations[0]!.description).toMatchObject({
    account: 'test',
    targets: [{ serverGroupName: 'myapp-main-v003', region: 'us-east-1' }],
  });
});

test('the single form takes the operation from the path', () => {
  const s = parseSubmission(resize, 'resizeServerGroup');
  expect(s.ok && s.operations[0]!.description).toMatchObject({ capacity: { min: 1, max: 3, desired: 2 }, waitForCapacity: true });
});

test('asgs lists and the region list both name targets, without duplicates', () => {
  const s = parseSubmission(
    {
      credentials: 'test',
      asgName: 'a-v001',
      regions: ['us-east-1', 'us-west-2'],
      asgs: [{ serverGroupName: 'a-v001', region: 'us-east-1' }],
      capacity: { desired: 1 },
    },
    'resizeAsgDescription',
  );
  expect(s.ok && s.operations[0]!.description).toMatchObject({
    targets: [
      { serverGroupName: 'a-v001', region: 'us-east-1' },
      { serverGroupName: 'a-v001', region: 'us-west-2' },
    ],
  });
});

test('unknown fields Orca sends are kept out of the way, not refused', () => {
  expect(
    parseSubmission([{ resizeServerGroup: { ...resize, type: 'resizeServerGroup', user: 'a', interestingHealthProviderNames: [] } }]).ok,
  ).toBe(true);
});

test('every problem is reported with its path', () => {
  const s = parseSubmission([{ resizeServerGroup: { capacity: {} } }, 'nope', { launchRocket: {} }]);
  expect(s.ok).toBe(false);
  if (s.ok) return;
  expect(s.errors).toEqual(
    expect.arrayContaining([
      '[0].resizeServerGroup.capacity: must set at least one of min, max, desired',
      '[0].resizeServerGroup.credentials: is required (the account name)',
      expect.stringContaining('[0].resizeServerGroup.serverGroupName: is required'),
      expect.stringContaining('[1]: must be an object with one operation name as key'),
      expect.stringContaining("[2].launchRocket: unknown operation 'launchRocket'"),
    ]),
  );
});

test('the application comes from the header, else the description, else the server group name', () => {
  const s = parseSubmission([{ resizeServerGroup: resize }]);
  if (!s.ok) throw new Error('expected ok');
  expect(taskTargets(s.operations, 'fromheader').application).toBe('fromheader');
  expect(taskTargets(s.operations).application).toBe('myapp');
  const withApp = parseSubmission([{ resizeServerGroup: { ...resize, moniker: { app: 'monikerapp' } } }]);
  if (!withApp.ok) throw new Error('expected ok');
  expect(taskTargets(withApp.operations).application).toBe('monikerapp');
});

describe('resize with a capacity inside each asgs entry (Clouddriver ResizeAsgDescription)', () => {
  const entry = (name: string, desired: number, extra: Record<string, unknown> = {}) => ({
    serverGroupName: name,
    region: 'us-east-1',
    capacity: { min: 0, max: 5, desired },
    ...extra,
  });

  test('entries with one capacity become one resize with that capacity', () => {
    const s = parseSubmission([{ resizeAsgDescription: { credentials: 'test', asgs: [entry('a-v001', 2), entry('b-v001', 2)] } }]);
    expect(s.ok && s.operations.map((o) => o.description)).toEqual([
      expect.objectContaining({
        capacity: { min: 0, max: 5, desired: 2 },
        targets: [
          { serverGroupName: 'a-v001', region: 'us-east-1' },
          { serverGroupName: 'b-v001', region: 'us-east-1' },
        ],
      }),
    ]);
  });

  test('entries with different capacities become one resize per capacity, in order, each with its constraints', () => {
    const s = parseSubmission(
      {
        credentials: 'test',
        asgs: [
          entry('a-v001', 1),
          { asgName: 'b-v001', region: 'us-west-2', capacity: { desired: 3 }, constraints: { capacity: { desired: 1 } } },
          entry('c-v001', 1),
        ],
      },
      'resizeServerGroup',
    );
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    expect(s.operations.map((o) => o.description)).toEqual([
      expect.objectContaining({
        capacity: { min: 0, max: 5, desired: 1 },
        targets: [
          { serverGroupName: 'a-v001', region: 'us-east-1' },
          { serverGroupName: 'c-v001', region: 'us-east-1' },
        ],
      }),
      expect.objectContaining({
        capacity: { desired: 3 },
        constraints: { desired: 1 },
        targets: [{ serverGroupName: 'b-v001', region: 'us-west-2' }],
      }),
    ]);
  });

  test("a top-level capacity fills the entries that have none, as Clouddriver's pre-processor does", () => {
    const s = parseSubmission([
      {
        resizeServerGroup: {
          credentials: 'test',
          capacity: { desired: 4 },
          asgs: [entry('a-v001', 1), { serverGroupName: 'b-v001', region: 'us-east-1' }],
        },
      },
    ]);
    expect(s.ok && s.operations.map((o) => (o.description as { capacity: unknown }).capacity)).toEqual([
      { min: 0, max: 5, desired: 1 },
      { desired: 4 },
    ]);
  });

  test('no capacity anywhere is still named', () => {
    const s = parseSubmission([{ resizeServerGroup: { credentials: 'test', asgs: [{ serverGroupName: 'a-v001', region: 'us-east-1' }] } }]);
    expect(!s.ok && s.errors).toContain('[0].resizeServerGroup.capacity: is required');
  });
});

test('limits: too many operations and too many asgs are refused, and error lists are capped', () => {
  const many = parseSubmission(Array.from({ length: 51 }, () => ({ resizeServerGroup: resize })));
  expect(!many.ok && many.errors).toEqual(['a task may hold at most 50 operations, got 51']);
  const asgs = Array.from({ length: 101 }, (_, i) => ({ serverGroupName: `a-v${i}`, region: 'us-east-1' }));
  const big = parseSubmission([{ resizeServerGroup: { credentials: 'test', capacity: { desired: 1 }, asgs } }]);
  expect(!big.ok && big.errors).toContain('[0].resizeServerGroup.asgs: must list at most 100 server groups');
  const bad = parseSubmission(Array.from({ length: 50 }, () => ({ nope: {}, alsoNope: {} })));
  expect(!bad.ok && bad.errors.length).toBeLessThanOrEqual(51);
});
