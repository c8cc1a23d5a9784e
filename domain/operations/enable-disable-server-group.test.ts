import { disableServerGroupSchema, enableServerGroupSchema } from './enable-disable-server-group';

test('disable accepts the whole-group percentage Orca sends and refuses a partial one', () => {
  const base = { credentials: 'test', serverGroupName: 'app-v001', region: 'us-east-1' };
  expect(disableServerGroupSchema.parse({ ...base, desiredPercentage: 100 })).toEqual({
    account: 'test',
    targets: [{ serverGroupName: 'app-v001', region: 'us-east-1' }],
    application: undefined,
  });
  expect(disableServerGroupSchema.safeParse({ ...base, desiredPercentage: 25 }).success).toBe(false);
});

test('enable takes the legacy asgName and regions and keeps the application Orca names', () => {
  expect(
    enableServerGroupSchema.parse({ credentials: 'test', asgName: 'app-v001', regions: ['eu-west-1'], moniker: { app: 'app' } }),
  ).toEqual({
    account: 'test',
    targets: [{ serverGroupName: 'app-v001', region: 'eu-west-1' }],
    application: 'app',
  });
});
