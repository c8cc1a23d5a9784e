import { parseOperation } from '../index';
import {
  describeUpdateLaunchTemplate,
  hasVersionMarker,
  launchTemplateVersionDescription,
  launchTemplateVersionMarker,
  updateLaunchTemplateSchema,
} from './update-launch-template';

const base = { credentials: 'test', region: 'us-east-1', serverGroupName: 'myapp-main-v003' };

test('normalises a description and keeps only the fields that change', () => {
  const d = updateLaunchTemplateSchema.parse({ ...base, instanceType: 'm5.large', instanceMonitoring: false, cloudProvider: 'aws' });
  expect(d).toMatchObject({
    account: 'test',
    targets: [{ serverGroupName: 'myapp-main-v003', region: 'us-east-1' }],
    application: undefined,
  });
  expect(Object.entries(d.changes).filter(([, v]) => v !== undefined)).toEqual([
    ['instanceType', 'm5.large'],
    ['instanceMonitoring', false],
  ]);
  expect(describeUpdateLaunchTemplate(d)).toBe(
    'update the launch template of myapp-main-v003 in us-east-1: instance type m5.large, detailed monitoring off',
  );
});

test('the legacy key and asgName work', () => {
  const parsed = parseOperation('updateLaunchTemplate', {
    credentials: 'test',
    region: 'us-east-1',
    asgName: 'app-v001',
    amiName: 'my-ami',
  });
  expect(parsed.ok && parsed.request.description).toMatchObject({ amiName: 'my-ami', targets: [{ serverGroupName: 'app-v001' }] });
});

test('a description that changes nothing is refused, naming the fields it could change', () => {
  const parsed = parseOperation('updateLaunchTemplate', base, 'updateLaunchTemplate');
  expect(parsed.ok).toBe(false);
  expect(!parsed.ok && parsed.errors).toEqual([
    'updateLaunchTemplate: must change at least one of imageId, amiName, instanceType, keyPair, securityGroups, iamRole, base64UserData, instanceMonitoring, ebsOptimized',
  ]);
});

test('each wrong field is named', () => {
  const parsed = parseOperation('updateLaunchTemplate', {
    region: 'us-east-1',
    serverGroupName: 'app-v001',
    imageId: 'ubuntu',
    securityGroups: [''],
    base64UserData: 'not base64!',
    ebsOptimized: 'yes',
  });
  expect(!parsed.ok && parsed.errors).toEqual(
    expect.arrayContaining([
      'imageId: must be an AMI id such as ami-0abc1234',
      'securityGroups.0: must be a security group name or id',
      'base64UserData: must be base64-encoded',
      'ebsOptimized: must be true or false',
      'credentials: is required (the account name)',
    ]),
  );
});

test('user data is measured, never shown', () => {
  const d = updateLaunchTemplateSchema.parse({ ...base, base64UserData: 'c2VjcmV0PTE=' });
  expect(describeUpdateLaunchTemplate(d)).toBe(
    'update the launch template of myapp-main-v003 in us-east-1: user data (12 base64 characters)',
  );
});

test('the version marker tells operation 1 from operation 10 and survives truncation', () => {
  const m1 = launchTemplateVersionMarker('task-a', 1, 0);
  const description = launchTemplateVersionDescription(m1, 'x'.repeat(400));
  expect(description).toHaveLength(255);
  expect(hasVersionMarker(description, m1)).toBe(true);
  expect(hasVersionMarker(launchTemplateVersionDescription(launchTemplateVersionMarker('task-a', 10, 0), 'y'), m1)).toBe(false);
  expect(hasVersionMarker(launchTemplateVersionDescription(launchTemplateVersionMarker('task-a', 1, 1), 'y'), m1)).toBe(false);
  expect(hasVersionMarker(undefined, m1)).toBe(false);
  expect(hasVersionMarker(m1, m1)).toBe(true);
});
