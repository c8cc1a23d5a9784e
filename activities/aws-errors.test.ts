import { ApplicationFailure } from '@temporalio/common';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import type { AwsResourceKind } from './aws-errors';
import {
  awsCall,
  awsDescribe,
  boundUnexpectedErrors,
  classifyAwsError,
  hasAwsCode,
  isAwsNotFound,
  unexpectedFailure,
  UNEXPECTED_ERROR_ATTEMPTS,
} from './aws-errors';

function sdkError(name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') {
  return Object.assign(new Error(`${name} happened`), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

test.each([
  ['Throttling', 400],
  ['RequestLimitExceeded', 503],
  ['ResourceContentionFault', 500],
  ['ScalingActivityInProgressFault', 400],
  ['InternalError', 500],
  ['ServiceUnavailable', 503],
])('%s is retryable', (name, status) => {
  expect(classifyAwsError(sdkError(name, status))).toMatchObject({ retryable: true, type: name, httpStatus: status });
});

test.each([
  ['ValidationError', 400],
  ['InvalidAMIID.NotFound', 400],
  ['AlreadyExistsFault', 400],
  ['LimitExceededFault', 400],
  ['UnauthorizedOperation', 403],
])('%s is not retryable', (name, status) => {
  expect(classifyAwsError(sdkError(name, status))).toMatchObject({ retryable: false, type: name });
});

test('a modelled EC2 exception is classified by its code', () => {
  const e = new EC2ServiceException({
    name: 'RequestLimitExceeded',
    $fault: 'client',
    $metadata: { httpStatusCode: 503 },
    message: 'Request limit exceeded.',
  });
  expect(classifyAwsError(e).retryable).toBe(true);
});

test('connection resets and refusals are retryable', () => {
  expect(classifyAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toMatchObject({
    retryable: true,
    type: 'ECONNRESET',
  });
  expect(classifyAwsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).retryable).toBe(true);
  expect(classifyAwsError(Object.assign(new Error('timed out'), { name: 'TimeoutError' })).retryable).toBe(true);
});

test('an HTML 500 from a server that does not implement the call is a server fault (retryable)', () => {
  expect(classifyAwsError(Object.assign(new Error('char X'), { name: 'Error', $metadata: { httpStatusCode: 500 } })).retryable).toBe(true);
});

test('awsCall names the call and keeps the AWS code as the failure type', async () => {
  const retry = awsCall('UpdateAutoScalingGroup app-v001 in us-east-1', async () => {
    throw sdkError('Throttling', 400);
  });
  await expect(retry).rejects.toBeInstanceOf(ApplicationFailure);
  await expect(retry).rejects.toMatchObject({
    type: 'Throttling',
    nonRetryable: false,
    message: 'UpdateAutoScalingGroup app-v001 in us-east-1 failed: Throttling (HTTP 400): Throttling happened',
  });
  await expect(
    awsCall('x', async () => {
      throw sdkError('ValidationError', 400);
    }),
  ).rejects.toMatchObject({ type: 'ValidationError', nonRetryable: true });
});

/** What awsCall makes of an SDK error: the form most callers of isAwsNotFound see. */
async function failureOf(name: string, message = `${name} happened`): Promise<unknown> {
  return awsCall('DescribeSomething x in us-east-1', async () => {
    throw Object.assign(sdkError(name, 400), { message });
  }).catch((err: unknown) => err);
}

test.each<[AwsResourceKind, string, string | undefined]>([
  // AWS and the emulator name a missing group the same way: a ValidationError saying so.
  ['autoScalingGroup', 'ValidationError', "AutoScalingGroup name not found - AutoScalingGroup 'app-v001' not found"],
  ['launchTemplate', 'InvalidLaunchTemplateId.NotFound', undefined],
  ['launchTemplate', 'InvalidLaunchTemplateName.NotFoundException', undefined],
  ['launchTemplateVersion', 'InvalidLaunchTemplateId.VersionNotFound', undefined],
  ['launchTemplateVersion', 'InvalidLaunchTemplateName.NotFoundException', undefined],
  ['targetGroup', 'TargetGroupNotFoundException', undefined],
  ['targetGroup', 'TargetGroupNotFound', undefined],
  ['classicLoadBalancer', 'AccessPointNotFoundException', undefined],
  ['classicLoadBalancer', 'LoadBalancerNotFound', undefined],
  ['instance', 'InvalidInstanceID.NotFound', undefined],
  ['instance', 'ValidationError', 'Instance Id not found - No managed instance found for instance ID: i-0abc'],
  ['image', 'InvalidAMIID.NotFound', undefined],
  ['image', 'InvalidAMIID.Malformed', undefined],
  ['alarm', 'ResourceNotFound', undefined],
])('%s: %s is not found', async (kind, name, message) => {
  expect(isAwsNotFound(await failureOf(name, message), kind)).toBe(true);
  // A raw SDK error (a catch inside the awsCall callback) is recognised the same way.
  expect(isAwsNotFound(Object.assign(sdkError(name, 400), { message: message ?? 'x' }), kind)).toBe(true);
});

test.each<[AwsResourceKind, string, string | undefined]>([
  ['autoScalingGroup', 'ValidationError', 'Max bound, 1, must be greater than or equal to min bound, 3'],
  ['launchTemplate', 'InvalidLaunchTemplateId.VersionNotFound', undefined],
  ['launchTemplate', 'MissingParameter', undefined],
  ['targetGroup', 'AccessPointNotFoundException', undefined],
  ['image', 'Throttling', undefined],
  ['alarm', 'ValidationError', 'not found'],
])('%s: %s is not a not-found', async (kind, name, message) => {
  expect(isAwsNotFound(await failureOf(name, message), kind)).toBe(false);
});

test('awsDescribe answers null for a not-found of one of its kinds and throws any other failure as awsCall does', async () => {
  const failing = (name: string) => async (): Promise<string> => {
    throw sdkError(name, 400);
  };
  await expect(awsDescribe('DescribeTargetGroups tg in us-east-1', async () => 'found', 'targetGroup')).resolves.toBe('found');
  await expect(awsDescribe('x', failing('TargetGroupNotFound'), 'classicLoadBalancer', 'targetGroup')).resolves.toBeNull();
  await expect(awsDescribe('x', failing('TargetGroupNotFound'), 'classicLoadBalancer')).rejects.toMatchObject({
    type: 'TargetGroupNotFound',
    nonRetryable: true,
  });
  await expect(awsDescribe('x', failing('Throttling'), 'targetGroup')).rejects.toMatchObject({ type: 'Throttling', nonRetryable: false });
});

test('non-errors are never not-found, and hasAwsCode reads the failure type', async () => {
  expect(isAwsNotFound(undefined, 'image')).toBe(false);
  expect(isAwsNotFound('InvalidAMIID.NotFound', 'image')).toBe(false);
  expect(hasAwsCode(await failureOf('AlreadyExistsFault'), 'AlreadyExistsFault')).toBe(true);
  expect(hasAwsCode(await failureOf('AlreadyExistsFault'), 'ValidationError', 'LimitExceededFault')).toBe(false);
});

test('errors that are neither AWS answers nor network failures are unexpected, not throttling', () => {
  const credentials = Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
    tryNextLink: false,
  });
  for (const err of [new TypeError("Cannot read properties of undefined (reading 'min')"), credentials, 'a string']) {
    expect(classifyAwsError(err)).toMatchObject({ retryable: false, unexpected: true });
  }
  expect(classifyAwsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).unexpected).toBe(false);
  expect(classifyAwsError(sdkError('ValidationError', 400)).unexpected).toBe(false);
});

test("the SDK's wrapper of a transport failure (no HTTP answer) is network trouble, named after what it wraps", () => {
  const wrapper = (message: string) => Object.assign(new Error(message), { $metadata: { attempts: 1, totalRetryDelay: 0 } });
  expect(classifyAwsError(wrapper('AWS SDK error wrapper for TimeoutError: socket hang up'))).toMatchObject({
    retryable: true,
    unexpected: false,
    type: 'TimeoutError',
  });
  expect(classifyAwsError(wrapper('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:5000'))).toMatchObject({
    retryable: true,
    type: 'ECONNREFUSED',
  });
  // A bug that happens to pass through the SDK's middleware is still a bug.
  expect(classifyAwsError(Object.assign(new TypeError('x is not a function'), { $metadata: { attempts: 1 } }))).toMatchObject({
    retryable: false,
    unexpected: true,
  });
});

test('an unexpected error is tried a few times, then fails for good with a message that says why', async () => {
  const bug = () =>
    awsCall('PutScalingPolicy p of app-v001', async () => {
      throw new TypeError('x is not a function');
    });
  // Outside an activity the attempt counts as the first.
  await expect(bug()).rejects.toMatchObject({ type: 'UnexpectedError', nonRetryable: false });
  const last = unexpectedFailure('PutScalingPolicy p of app-v001 failed', new TypeError('x is not a function'), UNEXPECTED_ERROR_ATTEMPTS);
  expect(last).toMatchObject({ type: 'UnexpectedError', nonRetryable: true });
  expect(last.message).toBe(
    'PutScalingPolicy p of app-v001 failed: TypeError: x is not a function (an unexpected error, neither an AWS answer nor a network failure: gave up after 3 attempts; a Bosun bug or a configuration problem)',
  );
});

test('activity code throwing outside awsCall is classified too; its own failures pass unchanged', async () => {
  await expect(
    boundUnexpectedErrors('resizeIt', async () => {
      throw new RangeError('bad');
    }),
  ).rejects.toMatchObject({ type: 'UnexpectedError' });
  const own = ApplicationFailure.nonRetryable('no', 'ServerGroupNotFound');
  await expect(
    boundUnexpectedErrors('resizeIt', async () => {
      throw own;
    }),
  ).rejects.toBe(own);
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  await expect(
    boundUnexpectedErrors('resizeIt', async () => {
      throw reset;
    }),
  ).rejects.toBe(reset);
});
