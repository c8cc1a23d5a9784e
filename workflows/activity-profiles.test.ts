import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { AwsClientProvider } from '../activities';
import { createActivities } from '../activities';
import { defaultTaskSettings } from '../domain/task-input';
import type { TaskSettings } from '../domain/task-input';
import { activityOptions, activityProfileOf, activityProfiles, localActivityOptions, localAttemptOptions } from './activity-profiles';

// Building the activities touches no AWS client: the provider is only asked inside a call.
const unusedAws: AwsClientProvider = {
  clientsFor: () => {
    throw new Error('no AWS in this test');
  },
  account: () => undefined,
  destroy: () => undefined,
};

const settingsCases: TaskSettings[] = [defaultTaskSettings, { awsRetryWindowMs: 60_000, pollIntervalMs: 100 }];

test.each(settingsCases)('every profile has a finite retry window and backoff cap (%o)', (settings) => {
  for (const [name, profile] of Object.entries(activityProfiles(settings))) {
    const bounded = (d: Duration | undefined) => (d === undefined ? NaN : msToNumber(d));
    expect({ name, scheduleToClose: Number.isFinite(bounded(profile.scheduleToCloseTimeout)) }).toEqual({ name, scheduleToClose: true });
    expect({ name, maximumInterval: Number.isFinite(bounded(profile.retry.maximumInterval)) }).toEqual({ name, maximumInterval: true });
    expect(bounded(profile.scheduleToCloseTimeout)).toBeLessThanOrEqual(settings.awsRetryWindowMs);
  }
});

test('every activity has a profile, and the table names no activity that does not exist', () => {
  const activities = Object.keys(createActivities({ aws: unusedAws })).sort();
  expect(Object.keys(activityProfileOf).sort()).toEqual(activities);
});

test('a wait with a deadline is bounded by that deadline plus a margin no longer than the retry window', () => {
  const now = 1_000_000;
  const input = { account: 'a', region: 'us-east-1', serverGroupName: 'app-v001', desired: 1, pollIntervalMs: 10_000 };
  const hours = (h: number) => h * 3_600_000;
  const bound = (settings: TaskSettings, deadlineMs: number) =>
    msToNumber(activityOptions(settings, 'waitForServerGroupCapacity', { ...input, deadlineMs }, now).scheduleToCloseTimeout!);

  // A 24-hour wait outlives the 2-hour retry window: its own deadline decides, plus 15 minutes.
  expect(bound(defaultTaskSettings, now + hours(24))).toBe(hours(24) + 15 * 60_000);
  expect(bound(defaultTaskSettings, now + 60_000)).toBe(60_000 + 15 * 60_000);
  // The margin never exceeds the retry window.
  expect(bound({ awsRetryWindowMs: 3_000, pollIntervalMs: 100 }, now + 60_000)).toBe(63_000);
  // A deadline already past (a retry resumed late) still leaves the margin for the last poll.
  expect(bound(defaultTaskSettings, now - 5_000)).toBe(15 * 60_000);
});

test('calls without a deadline take their profile unchanged', () => {
  const profiles = activityProfiles(defaultTaskSettings);
  expect(activityOptions(defaultTaskSettings, 'chooseServerGroupName', { account: 'a' }, 0)).toEqual(profiles.waitCall);
  expect(activityOptions(defaultTaskSettings, 'describeServerGroup', { deadlineMs: 5 }, 0)).toEqual(profiles.describeCall);
  expect(activityOptions(defaultTaskSettings, 'updateServerGroupCapacity', {}, 0)).toEqual(profiles.mutatingAwsCall);
});

test('a local activity keeps its own profile: a read retries like describeCall, the capacity update like mutatingAwsCall', () => {
  const profiles = activityProfiles(defaultTaskSettings);
  const pick = ({
    startToCloseTimeout,
    scheduleToCloseTimeout,
    retry,
  }: {
    startToCloseTimeout?: Duration;
    scheduleToCloseTimeout?: Duration;
    retry?: unknown;
  }) => ({
    startToCloseTimeout,
    scheduleToCloseTimeout,
    retry,
  });
  expect(pick(localActivityOptions(defaultTaskSettings, 'describeServerGroup'))).toEqual(pick(profiles.describeCall));
  expect(pick(localActivityOptions(defaultTaskSettings, 'updateServerGroupCapacity'))).toEqual(pick(profiles.mutatingAwsCall));
  expect(localActivityOptions(defaultTaskSettings, 'updateServerGroupCapacity').localRetryThreshold).toBe('10 seconds');
});

test('since the fallback patch a local activity makes three attempts in the worker, then the call becomes a regular activity', () => {
  for (const name of ['describeServerGroup', 'updateServerGroupCapacity'] as const) {
    const o = localAttemptOptions(defaultTaskSettings, name);
    const profile = activityProfiles(defaultTaskSettings)[activityProfileOf[name]];
    expect(o).toMatchObject({ startToCloseTimeout: 10_000, localRetryThreshold: 10_000 });
    expect(o.retry).toEqual({ ...profile.retry, maximumAttempts: 3 });
    // No backoff between the three attempts can become a server timer.
    const backoffs = [1, 2].map((n) => msToNumber(profile.retry.initialInterval) * profile.retry.backoffCoefficient ** (n - 1));
    expect(Math.max(...backoffs)).toBeLessThan(msToNumber(o.localRetryThreshold!));
  }
});
