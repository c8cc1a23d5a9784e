/**
 * upsertLoadBalancer's activities against a fake AWS client, for answers moto does not give:
 * AWS answers a rule's forward action with a ForwardConfig beside TargetGroupArn and a condition
 * with its own config beside Values (moto echoes what it was sent), throttles, and keeps a deleted
 * load balancer's target groups "in use" for a moment.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { FakeAnswer } from '../test/support/fake-aws';
import { awsError, fakeAwsProvider, raise, runActivity } from '../test/support/fake-aws';
import type { UpdateLoadBalancerV2Input } from './load-balancer-upsert';
import { createLoadBalancerUpsertActivities } from './load-balancer-upsert';

const where = { account: 'test', region: 'us-east-1' };
const LB = 'arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/1';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-tg/1';
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/1/1';
const CREATED_BY = 'task-1/0';

const fake = (answers: Record<string, FakeAnswer>) => {
  const { provider, sent } = fakeAwsProvider(answers);
  return { activities: createLoadBalancerUpsertActivities({ aws: provider }), sent };
};

/** An application load balancer as AWS describes it: one target group behind one listener with one rule. */
const awsAnswers = (extra: Record<string, FakeAnswer> = {}): Record<string, FakeAnswer> => ({
  DescribeLoadBalancersCommand: () => ({
    LoadBalancers: [
      {
        LoadBalancerArn: LB,
        LoadBalancerName: 'web',
        Type: 'application',
        VpcId: 'vpc-1',
        Scheme: 'internet-facing',
        IpAddressType: 'ipv4',
      },
    ],
  }),
  SetSecurityGroupsCommand: () => ({}),
  DescribeLoadBalancerAttributesCommand: () => ({
    Attributes: [
      { Key: 'idle_timeout.timeout_seconds', Value: '60' },
      { Key: 'deletion_protection.enabled', Value: 'false' },
    ],
  }),
  DescribeTargetGroupsCommand: () => ({ TargetGroups: [{ TargetGroupArn: TG, TargetGroupName: 'web-tg', Port: 8080, Protocol: 'HTTP' }] }),
  DescribeListenersCommand: () => ({ Listeners: [{ ListenerArn: LISTENER, Port: 80, Protocol: 'HTTP' }] }),
  DescribeRulesCommand: () => ({
    Rules: [
      { RuleArn: 'default', IsDefault: true, Priority: 'default', Actions: [], Conditions: [] },
      {
        RuleArn: 'rule-10',
        IsDefault: false,
        Priority: '10',
        Actions: [{ Type: 'forward', TargetGroupArn: TG, Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 1 }] } }],
        Conditions: [{ Field: 'path-pattern', Values: ['/api/*'], PathPatternConfig: { Values: ['/api/*'] } }],
      },
    ],
  }),
  ModifyTargetGroupCommand: () => ({}),
  ModifyListenerCommand: () => ({}),
  ...extra,
});

const update = (targetGroups: UpdateLoadBalancerV2Input['targetGroups'], rulePath = '/api/*'): UpdateLoadBalancerV2Input => ({
  ...where,
  loadBalancerArn: LB,
  securityGroupIds: ['sg-1'],
  targetGroups,
  listeners: [
    {
      protocol: 'HTTP',
      port: 80,
      defaultActions: [{ type: 'forward', targetGroupName: 'web-tg' }],
      rules: [
        {
          priority: 10,
          actions: [{ type: 'forward', targetGroupName: 'web-tg' }],
          conditions: [{ field: 'path-pattern', values: [rulePath] }],
        },
      ],
    },
  ],
  idleTimeout: 60,
  deletionProtection: false,
  ipAddressType: 'ipv4',
  createdBy: CREATED_BY,
});

const webTg = {
  name: 'web-tg',
  protocol: 'HTTP',
  port: 8080,
  targetType: 'instance',
  healthCheckProtocol: 'HTTP',
  healthCheckPath: '/health',
  healthCheckInterval: 10,
  healthCheckTimeout: 5,
  unhealthyThreshold: 2,
  healthyThreshold: 10,
  healthCheckMatcher: '200-299',
};

test('a rule AWS answers with a ForwardConfig and a PathPatternConfig is the described rule: it is left alone', async () => {
  const { activities, sent } = fake(awsAnswers());
  const report = await runActivity(activities.updateLoadBalancerV2, update([webTg]));
  expect(report.errors).toEqual([]);
  expect(sent).not.toContain('DeleteRuleCommand');
  expect(sent).not.toContain('CreateRuleCommand');
  expect(sent).not.toContain('ModifyLoadBalancerAttributesCommand');
});

test('a rule that differs replaces every rule of its listener, as Clouddriver does', async () => {
  const { activities, sent } = fake(awsAnswers({ DeleteRuleCommand: () => ({}), CreateRuleCommand: () => ({}) }));
  await runActivity(activities.updateLoadBalancerV2, update([webTg], '/v2/*'));
  expect(sent.filter((s) => s === 'DeleteRuleCommand')).toHaveLength(1);
  expect(sent.filter((s) => s === 'CreateRuleCommand')).toHaveLength(1);
});

test('throttling while creating a target group is retried, not reported as a refusal; a refusal is reported', async () => {
  const tg2 = { ...webTg, name: 'web-tg2', port: 9090 };
  /** web-tg exists, web-tg2 does not, and creating it fails with `createFails`. */
  const creatingFails = (createFails: FakeAnswer) =>
    fake(
      awsAnswers({
        DescribeTargetGroupsCommand: (input) =>
          input.Names
            ? raise('TargetGroupNotFoundException', 'not found')()
            : { TargetGroups: [{ TargetGroupArn: TG, TargetGroupName: 'web-tg', Port: 8080, Protocol: 'HTTP' }] },
        CreateTargetGroupCommand: createFails,
      }),
    );
  const throttled = creatingFails(raise('Throttling', 'Rate exceeded'));
  const err = await runActivity(throttled.activities.updateLoadBalancerV2, update([webTg, tg2])).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'Throttling', nonRetryable: false });

  const refused = creatingFails(raise('TooManyTargetGroups', 'too many'));
  const report = await runActivity(refused.activities.updateLoadBalancerV2, update([webTg, tg2]));
  expect(report.errors).toEqual([expect.stringContaining('Failed to create target group web-tg2 for web - reason:')]);
  // Listeners no longer described are not removed after a refusal (there are none here; no delete either way).
  expect(refused.sent).not.toContain('DeleteListenerCommand');
});

test("compensation: a target group of this task's deleted load balancer still in use is retried; one a listener that existed uses is kept", async () => {
  const tags = (arns: unknown) => ({
    TagDescriptions: (arns as string[]).map((ResourceArn) => ({
      ResourceArn,
      Tags: [{ Key: 'bosun:created-by-task', Value: ResourceArn === TG ? CREATED_BY : ownerOfLb }],
    })),
  });
  let ownerOfLb = CREATED_BY;
  const answers = (): Record<string, FakeAnswer> => ({
    DescribeLoadBalancersCommand: () => ({ LoadBalancers: [{ LoadBalancerArn: LB, LoadBalancerName: 'web' }] }),
    DescribeTagsCommand: (input) => tags(input.ResourceArns),
    DeleteLoadBalancerCommand: () => ({}),
    DescribeListenersCommand: () => ({ Listeners: [{ ListenerArn: LISTENER, Port: 80 }] }),
    DescribeRulesCommand: () => ({ Rules: [] }),
    DescribeTargetGroupsCommand: () => ({ TargetGroups: [{ TargetGroupArn: TG, TargetGroupName: 'web-tg' }] }),
    DeleteTargetGroupCommand: () => {
      throw awsError('ResourceInUseException', 'Target group is currently in use by a listener or a rule');
    },
  });
  const input = { ...where, name: 'web', targetGroupNames: ['web-tg'], createdBy: CREATED_BY };
  const ours = fake(answers());
  const err = await runActivity(ours.activities.deleteLoadBalancerV2CreatedByTask, input).catch((e: unknown) => e);
  expect(ours.sent).toContain('DeleteLoadBalancerCommand');
  expect(err).toMatchObject({ type: 'ResourceInUse', nonRetryable: false });

  ownerOfLb = 'someone-else';
  const theirs = fake(answers());
  expect(await runActivity(theirs.activities.deleteLoadBalancerV2CreatedByTask, input)).toEqual({
    deleted: [],
    kept: ['target group web-tg'],
  });
  expect(theirs.sent).not.toContain('DeleteLoadBalancerCommand');
  expect(theirs.sent).not.toContain('DeleteListenerCommand');
});

test('a repeated attempt adopts the target group its first attempt made before the listener existed (moto refuses a duplicate name)', async () => {
  const tg2 = { ...webTg, name: 'web-tg2', port: 9090 };
  const TG2 = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-tg2/2';
  const { activities, sent } = fake(
    awsAnswers({
      DescribeTargetGroupsCommand: (input) =>
        input.Names
          ? { TargetGroups: [{ TargetGroupArn: TG2, TargetGroupName: 'web-tg2', Port: 9090, Protocol: 'HTTP' }] }
          : { TargetGroups: [{ TargetGroupArn: TG, TargetGroupName: 'web-tg', Port: 8080, Protocol: 'HTTP' }] },
      DescribeTagsCommand: (input) => ({
        TagDescriptions: (input.ResourceArns as string[]).map((ResourceArn) => ({
          ResourceArn,
          Tags: [{ Key: 'bosun:created-by-task', Value: CREATED_BY }],
        })),
      }),
    }),
  );
  const report = await runActivity(activities.updateLoadBalancerV2, update([webTg, tg2]));
  expect(sent).not.toContain('CreateTargetGroupCommand');
  expect(report.lines).toContain('Target group created in web (web-tg2:9090:HTTP).');
});
