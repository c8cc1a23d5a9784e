import { ApplicationFailure } from '@temporalio/common';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { awsCall, classifyAwsError } from './aws-errors';

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
  const e = new EC2ServiceException({ name: 'RequestLimitExceeded', $fault: 'client', $metadata: { httpStatusCode: 503 }, message: 'Request limit exceeded.' });
  expect(classifyAwsError(e).retryable).toBe(true);
});

test('connection resets and refusals are retryable', () => {
  expect(classifyAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toMatchObject({ retryable: true, type: 'ECONNRESET' });
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
