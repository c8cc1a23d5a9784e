import { parseOperation, unsupportedFieldsOf } from '.';
import { hasNoEffect, unsupportedFieldsIn } from './field-policy';

test('values with no effect in Clouddriver count as absent', () => {
  for (const v of [undefined, null, false, '', [], {}, { enabled: false, list: [] }]) expect(hasNoEffect(v)).toBe(true);
  for (const v of [true, 0, 'x', [1], { a: 'b' }]) expect(hasNoEffect(v)).toBe(false);
});

test('a routed field with an effect is named, under its modern or legacy key; one at its default is not', () => {
  const deploy = {
    credentials: 'test',
    application: 'app',
    classicLinkVpcId: 'vpc-1',
    legacyUdf: false,
    userDataOverride: { enabled: false, tokenizerName: 'default' },
  };
  expect(unsupportedFieldsOf('createServerGroup', deploy).map((f) => f.field)).toEqual(['classicLinkVpcId']);
  expect(unsupportedFieldsOf('basicAmazonDeployDescription', deploy).map((f) => f.field)).toEqual(['classicLinkVpcId']);
  expect(unsupportedFieldsOf('createServerGroup', { ...deploy, classicLinkVpcId: null }).map((f) => f.field)).toEqual([]);
  expect(
    unsupportedFieldsOf('createServerGroup', { ...deploy, classicLinkVpcId: null, userDataOverride: { enabled: true } }).map(
      (f) => f.field,
    ),
  ).toEqual(['userDataOverride']);
  expect(unsupportedFieldsOf('launchRocket', deploy)).toEqual([]);
});

test('nested and per-element routed fields', () => {
  const policy = { routed: { 'source.useSourceCapacity': { why: 'a' }, 'asgs[].extra': { why: 'b' } }, unused: {}, extensions: {} };
  expect(
    unsupportedFieldsIn(policy, { source: { useSourceCapacity: true }, asgs: [{ extra: false }, { extra: 'x' }] }).map((f) => f.field),
  ).toEqual(['source.useSourceCapacity', 'asgs[].extra']);
  expect(unsupportedFieldsIn(policy, { source: { useSourceCapacity: false }, asgs: [{ extra: null }] })).toEqual([]);
});

test('parsing refuses a routed field by name (for callers other than the facade, which forwards the task)', () => {
  const parsed = parseOperation(
    'updateLaunchTemplate',
    { credentials: 'test', region: 'us-east-1', asgName: 'app-v001', classicLinkVpcId: 'vpc-1' },
    '[0].updateLaunchTemplate',
  );
  expect(parsed).toEqual({
    ok: false,
    errors: [expect.stringMatching(/^\[0\]\.updateLaunchTemplate\.classicLinkVpcId: Bosun does not run this field \(EC2-Classic/)],
  });
});

test('a launch-template boolean Clouddriver writes whenever it is set routes the task even when false', () => {
  const update = { credentials: 'test', region: 'us-east-1', asgName: 'app-v001', instanceType: 't3.micro' };
  for (const field of ['unlimitedCpuCredits', 'associatePublicIpAddress', 'associateIPv6Address', 'enableEnclave']) {
    expect(unsupportedFieldsOf('updateLaunchTemplate', { ...update, [field]: false }).map((f) => f.field)).toEqual([field]);
    expect(unsupportedFieldsOf('updateLaunchTemplate', { ...update, [field]: 'true' }).map((f) => f.field)).toEqual([field]);
    expect(unsupportedFieldsOf('updateLaunchTemplate', { ...update, [field]: null })).toEqual([]);
  }
});
