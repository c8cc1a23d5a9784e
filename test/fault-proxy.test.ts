/**
 * The fault proxy answers in AWS's own wire formats, so the real SDK deserialises the errors
 * and Bosun classifies them as it would on AWS.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { classifyAwsError } from '../activities/aws-errors';
import type { FaultProxy } from './support/fault-proxy';
import { NO_FAULTS, seededRandom, startFaultProxy } from './support/fault-proxy';

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy({ target: process.env.BOSUN_TEST_AWS_ENDPOINT!, profile: NO_FAULTS });
});
afterAll(async () => {
  await proxy.close();
});

const config = () => ({
  region: 'us-east-1',
  endpoint: proxy.url,
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  maxAttempts: 1,
});

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err;
  }
}

test('with no faults, requests pass through unchanged', async () => {
  const out = await new EC2Client(config()).send(new DescribeVpcsCommand({}));
  expect(out.Vpcs?.length).toBeGreaterThan(0);
});

test('EC2 throttling arrives as RequestLimitExceeded, retryable', async () => {
  proxy.setProfile({ ...NO_FAULTS, throttle: 1 });
  const err = await errorOf(new EC2Client(config()).send(new DescribeVpcsCommand({})));
  expect(err).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 400 } });
  expect(classifyAwsError(err).retryable).toBe(true);
});

test('Auto Scaling throttling and server faults arrive in the query-protocol error format', async () => {
  proxy.setProfile({ ...NO_FAULTS, throttle: 1 });
  const throttled = await errorOf(new AutoScalingClient(config()).send(new DescribeAutoScalingGroupsCommand({})));
  expect(throttled).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
  proxy.setProfile({ ...NO_FAULTS, unavailable: 1 });
  const unavailable = await errorOf(new AutoScalingClient(config()).send(new DescribeAutoScalingGroupsCommand({})));
  expect(unavailable).toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
  expect(classifyAwsError(unavailable).retryable).toBe(true);
});

test('CloudWatch faults arrive in its JSON protocol, so they are throttles and 5xx, not unreadable answers', async () => {
  proxy.setProfile({ ...NO_FAULTS, throttle: 1 });
  const throttled = await errorOf(new CloudWatchClient(config()).send(new DescribeAlarmsCommand({})));
  expect(throttled).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
  expect(classifyAwsError(throttled).retryable).toBe(true);
  proxy.setProfile({ ...NO_FAULTS, serverError: 1 });
  const failed = await errorOf(new CloudWatchClient(config()).send(new DescribeAlarmsCommand({})));
  expect(failed).toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
  expect(classifyAwsError(failed).retryable).toBe(true);
});

test('a reset connection is a retryable network error', async () => {
  proxy.setProfile({ ...NO_FAULTS, reset: 1 });
  const err = await errorOf(new EC2Client(config()).send(new DescribeVpcsCommand({})));
  expect(classifyAwsError(err).retryable).toBe(true);
  expect(proxy.counts.reset).toBeGreaterThan(0);
});

test('the same seed gives the same sequence', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
});
