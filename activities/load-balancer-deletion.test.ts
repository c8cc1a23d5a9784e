/**
 * The listener and target-group deletes of deleteLoadBalancer against a fake ELBv2 client: a
 * refusal is reported (Clouddriver writes "Failed deleting …" and goes on), but throttling is not
 * a refusal, which moto never answers.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClientProvider, AwsClients } from './aws-clients';
import { createLoadBalancerDeletionActivities } from './load-balancer-deletion';

function fakeAws(answer: () => unknown) {
  const send = async () => answer();
  const provider: AwsClientProvider = {
    clientsFor: () => ({ elbv2: { send } }) as unknown as AwsClients,
    account: () => undefined,
    destroy: () => undefined,
  };
  return createLoadBalancerDeletionActivities({ aws: provider });
}

const raise = (name: string, status: number) => () => {
  throw Object.assign(new Error(name), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
};
const ref = { account: 'test', region: 'us-east-1', targetGroupArn: 'arn:tg' };
const run = <I, O>(fn: (input: I) => Promise<O>, input: I) => new MockActivityEnvironment().run(fn, input);

test('a refused target group delete is reported, a gone one is deleted, throttling is retried', async () => {
  expect(await run(fakeAws(raise('ResourceInUse', 400)).deleteTargetGroupByArn, ref)).toEqual({ deleted: false });
  expect(await run(fakeAws(raise('TargetGroupNotFound', 400)).deleteTargetGroupByArn, ref)).toEqual({ deleted: true });
  const err = await run(fakeAws(raise('Throttling', 400)).deleteTargetGroupByArn, ref).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ nonRetryable: false });
});
