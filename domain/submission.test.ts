import { parseSubmission, taskTargets } from './submission';

const resize = { credentials: 'test', region: 'us-east-1', serverGroupName: 'myapp-main-v003', capacity: { min: 1, max: 3, desired: 2 } };

test('the list form yields operations in order, legacy keys mapped to modern names', () => {
  const s = parseSubmission([{ resizeServerGroup: resize }, { resizeAsgDescription: { ...resize, serverGroupName: 'other-v001' } }]);
  expect(s.ok).toBe(true);
  if (!s.ok) return;
  expect(s.operations.map((o) => o.name)).toEqual(['resizeServerGroup', 'resizeServerGroup']);
  expect(s.operations[0]!.description).toMatchObject({ account: 'test', targets: [{ serverGroupName: 'myapp-main-v003', region: 'us-east-1' }] });
});

test('the single form takes the operation from the path', () => {
  const s = parseSubmission(resize, 'resizeServerGroup');
  expect(s.ok && s.operations[0]!.description).toMatchObject({ capacity: { min: 1, max: 3, desired: 2 }, waitForCapacity: true });
});

test('asgs lists and the region list both name targets, without duplicates', () => {
  const s = parseSubmission(
    { credentials: 'test', asgName: 'a-v001', regions: ['us-east-1', 'us-west-2'], asgs: [{ serverGroupName: 'a-v001', region: 'us-east-1' }], capacity: { desired: 1 } },
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
  expect(parseSubmission([{ resizeServerGroup: { ...resize, type: 'resizeServerGroup', user: 'a', interestingHealthProviderNames: [] } }]).ok).toBe(true);
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
