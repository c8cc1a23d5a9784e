import { parseOperation } from '..';
import { launchTemplateBelongsTo } from './destroy-server-group';

test('a group owns templates named after it, and no one else’s', () => {
  expect(launchTemplateBelongsTo('myapp-main-v003', 'myapp-main-v003')).toBe(true);
  expect(launchTemplateBelongsTo('myapp-main-v003', 'myapp-main-v003-20240101123456')).toBe(true);
  expect(launchTemplateBelongsTo('myapp-main-v003', 'myapp-main-v003-lt')).toBe(true);
  expect(launchTemplateBelongsTo('myapp-main-v003', 'myapp-main-v0031')).toBe(false);
  expect(launchTemplateBelongsTo('myapp-main-v003', 'myapp-base')).toBe(false);
  // Another versioned group's name: that group's template, even though it starts with ours.
  expect(launchTemplateBelongsTo('myapp-main', 'myapp-main-v002')).toBe(false);
  expect(launchTemplateBelongsTo('myapp', 'myapp-main-canary-v001')).toBe(false);
});

test('destroy takes groups the way resize does, legacy key included, with a default wait', () => {
  const parsed = parseOperation('destroyServerGroup', {
    credentials: 'test',
    asgs: [{ serverGroupName: 'a-v001', region: 'us-east-1' }],
    serverGroupName: 'a-v002',
    regions: ['us-west-2'],
  });
  expect(parsed.ok && parsed.request.description).toEqual({
    account: 'test',
    targets: [
      { serverGroupName: 'a-v001', region: 'us-east-1' },
      { serverGroupName: 'a-v002', region: 'us-west-2' },
    ],
    waitTimeoutSeconds: 1800,
    application: undefined,
  });
  expect(parseOperation('destroyServerGroup', { region: 'us-east-1' })).toEqual({
    ok: false,
    errors: expect.arrayContaining(['credentials: is required (the account name)', expect.stringMatching(/^serverGroupName: is required/)]),
  });
});
