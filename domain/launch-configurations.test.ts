import type { LaunchConfigurationSettings } from './launch-configurations';
import {
  applyLaunchConfigurationChanges,
  formatLaunchConfigurationChanges,
  nextLaunchConfigurationName,
  sameLaunchConfigurationSettings,
} from './launch-configurations';

const current: LaunchConfigurationSettings = {
  imageId: 'ami-1',
  instanceType: 't3.micro',
  keyPair: 'k',
  securityGroups: ['sg-a'],
  instanceMonitoring: true,
  spotPrice: '0.1',
  blockDevices: [{ deviceName: '/dev/sdb', size: 40 }],
};

test('each field given replaces the current value; security groups append when asked; an empty spot price removes it', () => {
  const next = applyLaunchConfigurationChanges(current, {
    instanceType: 'm5.large',
    spotPrice: '',
    securityGroups: ['sg-b'],
    securityGroupsAppendOnly: true,
  });
  expect(next).toEqual({ ...current, instanceType: 'm5.large', spotPrice: undefined, securityGroups: ['sg-a', 'sg-b'] });
  expect(applyLaunchConfigurationChanges(current, { securityGroups: ['sg-b', 'sg-b'] }).securityGroups).toEqual(['sg-b']);
  expect(applyLaunchConfigurationChanges(current, { instanceMonitoring: false }).instanceMonitoring).toBe(false);
});

test('settings that would not differ make no new configuration', () => {
  expect(
    sameLaunchConfigurationSettings(current, applyLaunchConfigurationChanges(current, { keyPair: 'k', securityGroups: ['sg-a'] })),
  ).toBe(true);
  expect(sameLaunchConfigurationSettings(current, { ...current, ebsOptimized: undefined })).toBe(true);
  expect(sameLaunchConfigurationSettings(current, applyLaunchConfigurationChanges(current, { ebsOptimized: true }))).toBe(false);
});

test("the new name replaces the current name's last part with the time, as Clouddriver's builder does", () => {
  const t = Date.UTC(2026, 11, 7, 3, 4, 5);
  expect(nextLaunchConfigurationName('app-main-v001-01012024120000', t)).toBe('app-main-v001-12072026030405');
  expect(nextLaunchConfigurationName('plain', t)).toBe('plain-12072026030405');
  // Never the current name (a second update within the same second).
  expect(nextLaunchConfigurationName('app-v001-12072026030405', t)).toBe('app-v001-12072026030406');
});

test('changes read as one phrase without the user data', () => {
  expect(
    formatLaunchConfigurationChanges({
      instanceType: 'm5.large',
      base64UserData: 'ZWNobw==',
      securityGroups: ['sg-b'],
      securityGroupsAppendOnly: true,
    }),
  ).toBe('instance type m5.large, security groups + sg-b, user data (8 base64 characters)');
});
