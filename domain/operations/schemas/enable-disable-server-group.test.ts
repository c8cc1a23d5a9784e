import { disableServerGroupSchema, enableServerGroupSchema } from './enable-disable-server-group';

test('disable keeps the percentage Orca sends (1-100); enable reads none, as in Clouddriver', () => {
  const base = { credentials: 'test', serverGroupName: 'app-v001', region: 'us-east-1' };
  const targets = [{ serverGroupName: 'app-v001', region: 'us-east-1' }];
  expect(disableServerGroupSchema.parse({ ...base, desiredPercentage: 25 })).toEqual({
    account: 'test',
    targets,
    application: undefined,
    desiredPercentage: 25,
  });
  expect(disableServerGroupSchema.parse(base)).toEqual({ account: 'test', targets, application: undefined });
  for (const p of [0, 101, 12.5]) expect(disableServerGroupSchema.safeParse({ ...base, desiredPercentage: p }).success).toBe(false);
  expect(enableServerGroupSchema.parse({ ...base, desiredPercentage: 50 })).toEqual({ account: 'test', targets, application: undefined });
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
