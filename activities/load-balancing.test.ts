/**
 * chooseInstancesToDisable against fakes of the health calls: moto reports every registered
 * target healthy, so the states that make an instance count as already disabled (unhealthy,
 * draining, out of a classic ELB) are given here as AWS reports them.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClientProvider, AwsClients } from './aws-clients';
import { createLoadBalancingActivities } from './load-balancing';

function fakeAws(answers: Record<string, (input: Record<string, unknown>) => unknown>): AwsClientProvider {
  const send = async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const a = answers[cmd.constructor.name];
    if (!a) throw new Error(`unexpected ${cmd.constructor.name}`);
    return a(cmd.input);
  };
  return {
    clientsFor: () => ({ elbv2: { send }, elb: { send } }) as unknown as AwsClients,
    account: () => undefined,
    destroy: () => undefined,
  };
}

const target = (Id: string, State: string) => ({ Target: { Id, Port: 8080 }, TargetHealth: { State } });

test('instances unhealthy or draining in a target group, or out of a classic ELB, count as disabled; the rest are chosen by id', async () => {
  const aws = fakeAws({
    DescribeTargetHealthCommand: (input) =>
      input.TargetGroupArn === 'tg-a'
        ? {
            TargetHealthDescriptions: [
              target('i-1', 'healthy'),
              target('i-2', 'unhealthy'),
              target('i-3', 'healthy'),
              target('i-4', 'healthy'),
              target('i-5', 'healthy'),
              target('i-6', 'healthy'),
            ],
          }
        : { TargetHealthDescriptions: [target('i-3', 'draining'), target('i-4', 'healthy')] },
    DescribeInstanceHealthCommand: () => ({
      InstanceStates: [
        {
          InstanceId: 'i-5',
          State: 'OutOfService',
          Description: 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.',
        },
        { InstanceId: 'i-6', State: 'InService' },
      ],
    }),
  });
  const { chooseInstancesToDisable } = createLoadBalancingActivities({ aws });
  const input = {
    account: 'test',
    region: 'us-east-1',
    serverGroupName: 'app-v001',
    // i-7 is in no load balancer at all: nothing sends it traffic.
    instanceIds: ['i-7', 'i-6', 'i-5', 'i-4', 'i-3', 'i-2', 'i-1', 'i-8'],
    targetGroupArns: ['tg-a', 'tg-b'],
    loadBalancerNames: ['clb'],
  };
  const env = new MockActivityEnvironment();
  // In traffic: i-1, i-4, i-6. Out: i-2 (unhealthy), i-3 (draining), i-5 (failing the ELB), i-7, i-8 (in none).
  // 75% of 8 = 6; 5 are out, so one more: the lowest id in traffic.
  expect(await env.run(chooseInstancesToDisable, { ...input, desiredPercentage: 75 })).toEqual({
    instanceIds: ['i-1'],
    alreadyDisabled: 5,
  });
  expect(await env.run(chooseInstancesToDisable, { ...input, desiredPercentage: 50 })).toEqual({ instanceIds: [], alreadyDisabled: 5 });
  expect(await env.run(chooseInstancesToDisable, { ...input, desiredPercentage: 100 })).toEqual({
    instanceIds: ['i-1', 'i-4', 'i-6'],
    alreadyDisabled: 5,
  });
});

test('a target group or classic ELB that no longer exists gives no health', async () => {
  const notFound = (name: string) => () => {
    throw Object.assign(new Error('gone'), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
  };
  const aws = fakeAws({
    DescribeTargetHealthCommand: notFound('TargetGroupNotFoundException'),
    DescribeInstanceHealthCommand: notFound('LoadBalancerNotFound'),
  });
  const { chooseInstancesToDisable } = createLoadBalancingActivities({ aws });
  const out = await new MockActivityEnvironment().run(chooseInstancesToDisable, {
    account: 'test',
    region: 'us-east-1',
    serverGroupName: 'app-v001',
    instanceIds: ['i-1', 'i-2'],
    targetGroupArns: ['tg-gone'],
    loadBalancerNames: ['clb-gone'],
    desiredPercentage: 50,
  });
  expect(out).toEqual({ instanceIds: [], alreadyDisabled: 2 });
});
