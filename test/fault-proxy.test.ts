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

/** The error `call` ends in while the proxy injects `fault` into every request. */
async function errorUnder(fault: keyof typeof NO_FAULTS, call: () => Promise<unknown>): Promise<unknown> {
  proxy.setProfile({ ...NO_FAULTS, [fault]: 1 });
  return errorOf(call());
}

/** errorUnder, checked to be AWS's error `name` with HTTP status `httpStatusCode`. */
async function errorUnderAs(
  fault: keyof typeof NO_FAULTS,
  call: () => Promise<unknown>,
  name: string,
  httpStatusCode: number,
): Promise<unknown> {
  const err = await errorUnder(fault, call);
  expect(err).toMatchObject({ name, $metadata: { httpStatusCode } });
  return err;
}

const describeVpcs = () => new EC2Client(config()).send(new DescribeVpcsCommand({}));
const describeGroups = () => new AutoScalingClient(config()).send(new DescribeAutoScalingGroupsCommand({}));
const describeAlarms = () => new CloudWatchClient(config()).send(new DescribeAlarmsCommand({}));

test('with no faults, requests pass through unchanged', async () => {
  const out = await describeVpcs();
  expect(out.Vpcs?.length).toBeGreaterThan(0);
});

test('EC2 throttling arrives as RequestLimitExceeded, retryable', async () => {
  const err = await errorUnderAs('throttle', describeVpcs, 'RequestLimitExceeded', 400);
  expect(classifyAwsError(err).retryable).toBe(true);
});

test('Auto Scaling throttling and server faults arrive in the query-protocol error format', async () => {
  await errorUnderAs('throttle', describeGroups, 'Throttling', 400);
  const unavailable = await errorUnderAs('unavailable', describeGroups, 'ServiceUnavailable', 503);
  expect(classifyAwsError(unavailable).retryable).toBe(true);
});

test('CloudWatch faults arrive in its JSON protocol, so they are throttles and 5xx, not unreadable answers', async () => {
  const throttled = await errorUnderAs('throttle', describeAlarms, 'Throttling', 400);
  expect(classifyAwsError(throttled).retryable).toBe(true);
  const failed = await errorUnderAs('serverError', describeAlarms, 'InternalFailure', 500);
  expect(classifyAwsError(failed).retryable).toBe(true);
});

test('a reset connection is a retryable network error', async () => {
  const err = await errorUnder('reset', describeVpcs);
  expect(classifyAwsError(err).retryable).toBe(true);
  expect(proxy.counts.reset).toBeGreaterThan(0);
});

test('the same seed gives the same sequence', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
});
