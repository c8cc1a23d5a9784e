/**
 * upsertLoadBalancer end to end: posted to the facade over HTTP, run by a real worker on the
 * real Temporal dev server, the effect read back from moto. Application, network and classic load
 * balancers are created and then updated (only what differs changes); a re-post runs nothing
 * again; a lost answer converges; a failure half-way leaves nothing this task created and never
 * deletes what existed before.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateTagsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand as CreateClassicCommand,
  DescribeLoadBalancerAttributesCommand as DescribeClassicAttributesCommand,
  DescribeLoadBalancersCommand as DescribeClassicCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, cancelTask, REGION, uniqueName, useOrcaTestEnv } from './harness';
import { emulatorAl2023Image } from './support/instances';
import { badRequestErrors } from './support/orca-client';

const { env, faults, clients, runAsOrca, startHanging } = useOrcaTestEnv();

const ZONES = [`${REGION}a`, `${REGION}b`];
const PURPOSE = 'external (lbtest)';
let vpcId = '';
let securityGroup = '';
/** The subnet of PURPOSE in each zone that a load balancer gets: the one with the most free addresses. */
const chosenSubnets: string[] = [];

beforeAll(async () => {
  const { ec2 } = clients();
  vpcId = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!;
  securityGroup = uniqueName('lb-sg-');
  await ec2.send(new CreateSecurityGroupCommand({ GroupName: securityGroup, Description: 'load balancer test', VpcId: vpcId }));
  const meta = (target: string) => [{ Key: 'immutable_metadata', Value: JSON.stringify({ purpose: PURPOSE, target }) }];
  for (const [i, zone] of ZONES.entries()) {
    const big = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `172.31.${200 + i}.0/24`, AvailabilityZone: zone }));
    const small = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `172.31.${210 + i}.0/28`, AvailabilityZone: zone }));
    const forInstances = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `172.31.${220 + i}.0/24`, AvailabilityZone: zone }),
    );
    await ec2.send(new CreateTagsCommand({ Resources: [big.Subnet!.SubnetId!, small.Subnet!.SubnetId!], Tags: meta('elb') }));
    await ec2.send(new CreateTagsCommand({ Resources: [forInstances.Subnet!.SubnetId!], Tags: meta('ec2') }));
    chosenSubnets.push(big.Subnet!.SubnetId!);
  }
});

afterEach(() => faults.clear());

const lbOf = async (name: string) => {
  const out = await clients()
    .elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] }))
    .catch(() => ({ LoadBalancers: [] }));
  return out.LoadBalancers ?? [];
};

/** Creates application load balancer `name` with target group `tg` through Bosun; answers its ARN. */
async function createAlb(name: string, tg: string): Promise<string> {
  const created = await env.run([{ upsertLoadBalancer: alb({ name, tg }) }]);
  expect(created.task.status).toMatchObject({ completed: true, failed: false });
  return (await lbOf(name))[0]!.LoadBalancerArn!;
}

const targetGroupOf = async (name: string) => {
  const out = await clients()
    .elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] }))
    .catch(() => ({ TargetGroups: [] }));
  return out.TargetGroups?.[0];
};
const listenersOf = async (arn: string) =>
  (await clients().elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: arn }))).Listeners ?? [];
const rulesOf = async (listenerArn: string) =>
  ((await clients().elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? []).filter((r) => !r.IsDefault);
const tagsOf = async (arn: string) =>
  (await clients().elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions?.[0]?.Tags ?? [];
const classicOf = async (name: string) => {
  const out = await clients()
    .elb.send(new DescribeClassicCommand({ LoadBalancerNames: [name] }))
    .catch(() => ({ LoadBalancerDescriptions: [] }));
  return out.LoadBalancerDescriptions?.[0];
};

interface AlbOptions {
  name: string;
  tg: string;
  tg2?: string;
  healthCheckPath?: string;
  rulePath?: string;
  secondListener?: boolean;
}

/** An application load balancer's description as Deck posts it. */
function alb(o: AlbOptions) {
  const targetGroup = (name: string, port: number) => ({
    name,
    protocol: 'HTTP',
    port,
    targetType: 'instance',
    healthCheckProtocol: 'HTTP',
    healthCheckPort: 'traffic-port',
    healthCheckPath: o.healthCheckPath ?? '/health',
    healthCheckInterval: 10,
    healthCheckTimeout: 5,
    healthyThreshold: 3,
    unhealthyThreshold: 2,
    healthCheckMatcher: '200-299',
    attributes: { deregistrationDelay: 120, stickinessEnabled: true, stickinessDuration: 3600 },
  });
  return {
    credentials: ACCOUNT,
    cloudProvider: 'aws',
    loadBalancerType: 'application',
    name: o.name,
    vpcId,
    subnetType: PURPOSE,
    isInternal: false,
    securityGroups: [securityGroup],
    availabilityZones: { [REGION]: ZONES },
    idleTimeout: 120,
    targetGroups: [targetGroup(o.tg, 8080), ...(o.tg2 ? [targetGroup(o.tg2, 9090)] : [])],
    listeners: [
      {
        protocol: 'HTTP',
        port: 80,
        defaultActions: [{ type: 'forward', targetGroupName: o.tg }],
        rules: [
          {
            priority: '10',
            actions: [{ type: 'forward', targetGroupName: o.tg }],
            conditions: [{ field: 'path-pattern', values: [o.rulePath ?? '/api/*'] }],
          },
        ],
      },
      ...(o.secondListener && o.tg2 ? [{ protocol: 'HTTP', port: 8081, defaultActions: [{ targetGroupName: o.tg2 }], rules: [] }] : []),
    ],
  };
}

describe('upsertLoadBalancer: application', () => {
  test('creates the load balancer, target group, listener and rule as Clouddriver does; a re-post runs nothing again; a lost create answer adopts', async () => {
    const name = uniqueName('alb-');
    const tg = uniqueName('tg-');
    faults.loseAnswer('createLoadBalancerV2', mentions(name));
    const body = [{ upsertLoadBalancer: alb({ name, tg }) }];
    const { id, task, repost } = await runAsOrca(body);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect((await env.client.workflow.getHandle(id).describe()).type).toBe('upsertLoadBalancer');

    const lbs = await lbOf(name);
    expect(lbs).toHaveLength(1); // the lost answer's retry adopted the load balancer, made no second one
    const lb = lbs[0]!;
    expect(lb).toMatchObject({ Type: 'application', VpcId: vpcId });
    expect(lb.Scheme).not.toBe('internal');
    expect(lb.AvailabilityZones!.map((z) => z.SubnetId).sort()).toEqual([...chosenSubnets].sort());
    expect(await tagsOf(lb.LoadBalancerArn!)).toContainEqual({ Key: 'bosun:created-by-task', Value: `${id}/0` });
    const attrs = (await clients().elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn })))
      .Attributes;
    expect(attrs).toContainEqual({ Key: 'idle_timeout.timeout_seconds', Value: '120' });

    const group = (await targetGroupOf(tg))!;
    expect(group).toMatchObject({
      Protocol: 'HTTP',
      Port: 8080,
      HealthCheckPath: '/health',
      HealthyThresholdCount: 3,
      Matcher: { HttpCode: '200-299' },
    });
    const tgAttrs = (await clients().elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: group.TargetGroupArn })))
      .Attributes;
    expect(tgAttrs).toEqual(
      expect.arrayContaining([
        { Key: 'deregistration_delay.timeout_seconds', Value: '120' },
        { Key: 'stickiness.enabled', Value: 'true' },
        { Key: 'stickiness.lb_cookie.duration_seconds', Value: '3600' },
      ]),
    );
    const [listener] = await listenersOf(lb.LoadBalancerArn!);
    expect(listener).toMatchObject({
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: group.TargetGroupArn }],
    });
    const rules = await rulesOf(listener!.ListenerArn!);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ Priority: '10', Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }] });

    const lines = task.history.filter((h) => /ELB/.test(h.phase));
    expect(lines).toEqual(
      expect.arrayContaining([
        { phase: 'CREATE_ELB_V2', status: 'Initializing load balancer creation...' },
        { phase: 'CREATE_ELB_V2', status: `Beginning deployment to ${REGION} in [${ZONES.join(', ')}] for ${name}` },
        { phase: 'CREATE_ELB_V2', status: `Creating ${name} of type application in ${ACCOUNT}:${REGION}...` },
        { phase: 'UPSERT_ELB_V2', status: `Subnets: [[${chosenSubnets.join(', ')}]]` },
        { phase: 'UPSERT_ELB_V2', status: 'Creating load balancer.' },
        { phase: 'UPSERT_ELB_V2', status: `Security groups updated on ${name}.` },
        { phase: 'UPSERT_ELB_V2', status: `Setting idle timeout on ${name} to 120.` },
        { phase: 'UPSERT_ELB_V2', status: `Target group created in ${name} (${tg}:8080:HTTP).` },
        { phase: 'UPSERT_ELB_V2', status: `Modified target group ${tg} attributes.` },
        { phase: 'UPSERT_ELB_V2', status: `Listener added to ${name} (80:HTTP).` },
        { phase: 'CREATE_ELB_V2', status: `Done deploying ${name} to ${ACCOUNT} in ${REGION}.` },
        { phase: 'CREATE_ELB_V2', status: 'Done deploying load balancers.' },
      ]),
    );
    expect(task.resultObjects).toEqual([{ loadBalancers: { [REGION]: { name, dnsName: lb.DNSName } } }]);

    expect(await repost()).toBe(id);
    expect(faults.calls('createLoadBalancerV2', mentions(name))).toBe(2); // the lost answer and its retry
    expect(faults.calls('updateLoadBalancerV2', mentions(name))).toBe(1);
  });

  test('an update applies only the difference: health check changed, listener and target group added, then removed; unchanged rules stay', async () => {
    const name = uniqueName('alb-');
    const tg = uniqueName('tg-');
    const tg2 = uniqueName('tg-');
    const lbArn = await createAlb(name, tg);
    const [listener80] = await listenersOf(lbArn);
    const [rule] = await rulesOf(listener80!.ListenerArn!);
    const tgArn = (await targetGroupOf(tg))!.TargetGroupArn;

    // On the legacy key and /ops, as Orca posts an upsert of an existing load balancer.
    const grown = await env.run(
      [{ upsertAmazonLoadBalancerDescription: alb({ name, tg, tg2, healthCheckPath: '/ready', secondListener: true }) }],
      {
        path: '/ops',
      },
    );
    expect(grown.task.status).toMatchObject({ completed: true, failed: false });
    expect(grown.task.history.map((h) => h.status)).toEqual(
      expect.arrayContaining([
        `Found existing load balancer named ${name} in ${REGION}... Using that.`,
        `Target group updated in ${name} (${tg}:8080:HTTP).`,
        `Target group created in ${name} (${tg2}:9090:HTTP).`,
        `Listener ${listener80!.ListenerArn} updated (80:HTTP).`,
        `Listener added to ${name} (8081:HTTP).`,
      ]),
    );
    expect(grown.task.history.map((h) => h.status)).not.toContain(`Setting idle timeout on ${name} to 120.`);
    expect(await targetGroupOf(tg)).toMatchObject({ TargetGroupArn: tgArn, HealthCheckPath: '/ready' });
    const listeners = await listenersOf(lbArn);
    expect(listeners.map((l) => l.Port).sort()).toEqual([80, 8081]);
    expect(listeners.find((l) => l.Port === 80)!.ListenerArn).toBe(listener80!.ListenerArn);
    expect((await rulesOf(listener80!.ListenerArn!)).map((r) => r.RuleArn)).toEqual([rule!.RuleArn]);

    // The second listener and its target group go; the rule changes, so it is replaced.
    const shrunk = await env.run(alb({ name, tg, healthCheckPath: '/ready', rulePath: '/v2/*' }), { path: '/ops/upsertLoadBalancer' });
    expect(shrunk.task.status).toMatchObject({ completed: true, failed: false });
    expect(shrunk.task.history.map((h) => h.status)).toEqual(
      expect.arrayContaining([`Listener removed from ${name} (8081:HTTP).`, `Target group removed from ${name} (${tg2}:9090:HTTP).`]),
    );
    expect((await listenersOf(lbArn)).map((l) => l.ListenerArn)).toEqual([listener80!.ListenerArn]);
    expect(await targetGroupOf(tg2)).toBeUndefined();
    const [newRule] = await rulesOf(listener80!.ListenerArn!);
    expect(newRule!.RuleArn).not.toBe(rule!.RuleArn);
    expect(newRule).toMatchObject({ Priority: '10', Conditions: [{ Field: 'path-pattern', Values: ['/v2/*'] }] });
  });

  test('a failure half-way deletes the load balancer and target group this task created', async () => {
    const name = uniqueName('alb-');
    const tg = uniqueName('tg-');
    // AWS refused something after everything else was made: Clouddriver's "Failed to apply all load balancer updates".
    faults.rewriteAnswer('updateLoadBalancerV2', mentions(name), (r) => ({ ...r, errors: ['injected refusal'] }));
    const { task } = await env.run([{ upsertLoadBalancer: alb({ name, tg }) }]);
    expect(task.status).toMatchObject({ completed: true, failed: true });
    expect(JSON.stringify(task)).toContain('Failed to apply all load balancer updates');
    expect(await lbOf(name)).toEqual([]);
    expect(await targetGroupOf(tg)).toBeUndefined();
  });

  test('an update whose answer was lost is repeated and converges: nothing is made twice', async () => {
    const name = uniqueName('alb-');
    const tg = uniqueName('tg-');
    faults.loseAnswer('updateLoadBalancerV2', mentions(name));
    const { task } = await env.run([{ upsertLoadBalancer: alb({ name, tg }) }]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect(faults.calls('updateLoadBalancerV2', mentions(name))).toBe(2);
    const [lb] = await lbOf(name);
    const listeners = await listenersOf(lb!.LoadBalancerArn!);
    expect(listeners).toHaveLength(1);
    expect(await rulesOf(listeners[0]!.ListenerArn!)).toHaveLength(1);
    // The repeat reports what it found to do: the target group and listener are there already.
    expect(task.history.map((h) => h.status)).toContain(`Target group updated in ${name} (${tg}:8080:HTTP).`);
  });

  test('cancelling the task after the load balancer was created deletes it', async () => {
    const name = uniqueName('alb-');
    const id = await startHanging('updateLoadBalancerV2', mentions(name), [{ upsertLoadBalancer: alb({ name, tg: uniqueName('tg-') }) }]);
    expect(await lbOf(name)).toHaveLength(1);
    await cancelTask(env, faults, id);
    expect(await lbOf(name)).toEqual([]);
  });

  test('a failure while updating a load balancer that existed deletes only what this task added', async () => {
    const name = uniqueName('alb-');
    const tg = uniqueName('tg-');
    const tg2 = uniqueName('tg-');
    const lbArn = await createAlb(name, tg);

    faults.rewriteAnswer('updateLoadBalancerV2', mentions(tg2), (r) => ({ ...r, errors: ['injected refusal'] }));
    const { task } = await env.run([{ upsertLoadBalancer: alb({ name, tg, tg2, secondListener: true }) }]);
    expect(task.status).toMatchObject({ completed: true, failed: true });
    expect(task.history.map((h) => h.status)).toEqual(
      expect.arrayContaining([
        `Deleted listener 8081 (created by this task) in ${REGION}.`,
        `Deleted target group ${tg2} (created by this task) in ${REGION}.`,
      ]),
    );
    expect((await lbOf(name)).map((l) => l.LoadBalancerArn)).toEqual([lbArn]);
    expect((await listenersOf(lbArn)).map((l) => l.Port)).toEqual([80]);
    expect(await targetGroupOf(tg)).toBeDefined();
    expect(await targetGroupOf(tg2)).toBeUndefined();
  });

  test('a load balancer made by someone else is updated, never deleted by a failure', async () => {
    const name = uniqueName('alb-');
    const tg = uniqueName('tg-');
    const lb = await clients().elbv2.send(new CreateLoadBalancerCommand({ Name: name, Subnets: chosenSubnets, Type: 'application' }));
    const arn = lb.LoadBalancers![0]!.LoadBalancerArn!;
    const theirs = await clients().elbv2.send(new CreateTargetGroupCommand({ Name: tg, Protocol: 'HTTP', Port: 8080, VpcId: vpcId }));
    await clients().elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: arn,
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: theirs.TargetGroups![0]!.TargetGroupArn }],
      }),
    );
    faults.rewriteAnswer('updateLoadBalancerV2', mentions(name), (r) => ({ ...r, errors: ['injected refusal'] }));
    const { task } = await env.run([{ upsertLoadBalancer: alb({ name, tg }) }]);
    expect(task.status).toMatchObject({ completed: true, failed: true });
    expect((await lbOf(name)).map((l) => l.LoadBalancerArn)).toEqual([arn]);
    expect(await targetGroupOf(tg)).toMatchObject({ TargetGroupArn: theirs.TargetGroups![0]!.TargetGroupArn });
  });
});

describe('upsertLoadBalancer: network', () => {
  test('an internal network load balancer with a TCP target group, its attributes and listener', async () => {
    const name = uniqueName('nlb-');
    const tg = uniqueName('tg-');
    const { task } = await env.run([
      {
        upsertLoadBalancer: {
          credentials: ACCOUNT,
          loadBalancerType: 'network',
          name,
          vpcId,
          subnetType: PURPOSE,
          isInternal: true,
          availabilityZones: { [REGION]: ZONES },
          loadBalancingCrossZone: true,
          targetGroups: [
            {
              name: tg,
              protocol: 'TCP',
              port: 7000,
              healthCheckProtocol: 'TCP',
              healthCheckPort: 'traffic-port',
              healthyThreshold: 3,
              unhealthyThreshold: 3,
              attributes: { proxyProtocolV2: true },
            },
          ],
          listeners: [{ protocol: 'TCP', port: 7000, defaultActions: [{ type: 'forward', targetGroupName: tg }] }],
        },
      },
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    const [lb] = await lbOf(name);
    expect(lb).toMatchObject({ Type: 'network', Scheme: 'internal' });
    const attrs = (await clients().elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb!.LoadBalancerArn })))
      .Attributes;
    expect(attrs).toContainEqual({ Key: 'load_balancing.cross_zone.enabled', Value: 'true' });
    const group = (await targetGroupOf(tg))!;
    expect(group).toMatchObject({ Protocol: 'TCP', Port: 7000, HealthCheckProtocol: 'TCP' });
    const tgAttrs = (await clients().elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: group.TargetGroupArn })))
      .Attributes;
    expect(tgAttrs).toContainEqual({ Key: 'proxy_protocol_v2.enabled', Value: 'true' });
    expect(await listenersOf(lb!.LoadBalancerArn!)).toMatchObject([{ Port: 7000, Protocol: 'TCP' }]);
    expect(task.history.map((h) => h.status)).toEqual(
      expect.arrayContaining([
        `Creating ${name} of type network in ${ACCOUNT}:${REGION}...`,
        `Setting Cross-Zone Load Balancing on ${name} to true.`,
      ]),
    );
  });
});

describe('upsertLoadBalancer: classic', () => {
  const classic = (name: string, listeners: object[], healthCheck: string) => ({
    credentials: ACCOUNT,
    name,
    vpcId,
    subnetType: PURPOSE,
    securityGroups: [securityGroup],
    availabilityZones: { [REGION]: ZONES },
    listeners,
    healthCheck,
    healthInterval: 15,
    healthyThreshold: 4,
    connectionDraining: true,
    deregistrationDelay: 200,
  });

  test('creates with listeners, health check and attributes (CREATE_ELB); an update changes only the listeners that differ', async () => {
    const name = uniqueName('elb-');
    const http = { externalProtocol: 'HTTP', externalPort: 80, internalProtocol: 'HTTP', internalPort: 7001 };
    const { id, task } = await env.run([{ upsertLoadBalancer: classic(name, [http], 'HTTP:7001/health') }]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    const lb = (await classicOf(name))!;
    expect(lb.Subnets!.sort()).toEqual([...chosenSubnets].sort());
    expect(lb.ListenerDescriptions!.map((d) => d.Listener)).toEqual([
      { Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 7001 },
    ]);
    expect(lb.HealthCheck).toMatchObject({
      Target: 'HTTP:7001/health',
      Interval: 15,
      Timeout: 5,
      HealthyThreshold: 4,
      UnhealthyThreshold: 2,
    });
    const attrs = (await clients().elb.send(new DescribeClassicAttributesCommand({ LoadBalancerName: name }))).LoadBalancerAttributes;
    expect(attrs).toMatchObject({
      CrossZoneLoadBalancing: { Enabled: true },
      ConnectionDraining: { Enabled: true, Timeout: 200 },
      ConnectionSettings: { IdleTimeout: 60 },
    });
    expect(task.history.filter((h) => /ELB/.test(h.phase))).toEqual([
      { phase: 'CREATE_ELB', status: 'Initializing load balancer creation...' },
      { phase: 'CREATE_ELB', status: `Beginning deployment to ${REGION} in [${ZONES.join(', ')}] for ${name}` },
      { phase: 'CREATE_ELB', status: `Setting up listeners for ${name} in ${REGION}...` },
      { phase: 'CREATE_ELB', status: 'Appending listener HTTP:80 -> HTTP:7001' },
      { phase: 'CREATE_ELB', status: `Creating ${name} in ${ACCOUNT}:${REGION}...` },
      { phase: 'UPSERT_ELB', status: `Subnets: [[${chosenSubnets.join(', ')}]]` },
      { phase: 'UPSERT_ELB', status: 'Creating load balancer.' },
      { phase: 'CREATE_ELB', status: `Configuring healthcheck for ${name} in ${REGION}...` },
      { phase: 'CREATE_ELB', status: 'Healthcheck configured.' },
      { phase: 'CREATE_ELB', status: `Done deploying ${name} to ${ACCOUNT} in ${REGION}.` },
      { phase: 'CREATE_ELB', status: 'Done deploying load balancers.' },
    ]);
    expect(task.resultObjects).toEqual([{ loadBalancers: { [REGION]: { name, dnsName: lb.DNSName } } }]);
    expect(id).toBeTruthy();

    const tcp = { externalProtocol: 'TCP', externalPort: 8443, internalPort: 8443 };
    const updated = await env.run([{ upsertLoadBalancer: classic(name, [http, tcp], 'TCP:8443') }]);
    expect(updated.task.status).toMatchObject({ completed: true, failed: false });
    const statuses = updated.task.history.map((h) => h.status);
    expect(statuses).toEqual(
      expect.arrayContaining([
        `Found existing load balancer named ${name} in ${REGION}... Using that.`,
        `Security groups updated on ${name}.`,
        `Listener added to ${name} (8443:TCP:8443).`,
      ]),
    );
    expect(statuses.some((s) => s.startsWith('Listener removed'))).toBe(false);
    const after = (await classicOf(name))!;
    expect(after.ListenerDescriptions!.map((d) => d.Listener!.LoadBalancerPort).sort()).toEqual([80, 8443]);
    expect(after.HealthCheck).toMatchObject({ Target: 'TCP:8443' });

    const removed = await env.run([{ upsertLoadBalancer: classic(name, [tcp], 'TCP:8443') }]);
    expect(removed.task.history.map((h) => h.status)).toContain(`Listener removed from ${name} (80:HTTP:7001).`);
    expect((await classicOf(name))!.ListenerDescriptions!.map((d) => d.Listener!.LoadBalancerPort)).toEqual([8443]);
  });

  test('a deploy later in the same task attaches the classic load balancer, as BasicAmazonDeployHandler does with prior results', async () => {
    const name = uniqueName('elb-');
    const app = uniqueName('lbapp');
    const { name: amiName } = await emulatorAl2023Image(clients().ec2);
    const { task } = await env.run([
      { upsertLoadBalancer: classic(name, [{ externalProtocol: 'HTTP', externalPort: 80, internalPort: 7001 }], 'HTTP:7001/') },
      {
        createServerGroup: {
          credentials: ACCOUNT,
          application: app,
          availabilityZones: { [REGION]: [ZONES[0]] },
          capacity: { min: 0, max: 1, desired: 0 },
          amiName,
          instanceType: 't3.micro',
        },
      },
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    const group = (await clients().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${app}-v000`] })))
      .AutoScalingGroups?.[0];
    expect(group?.LoadBalancerNames).toEqual([name]);
  });

  test('a failure after the create deletes the classic load balancer this task made, never one that existed', async () => {
    const name = uniqueName('elb-');
    faults.fail('configureClassicHealthCheck', mentions(name));
    const { task } = await env.run([
      { upsertLoadBalancer: classic(name, [{ externalProtocol: 'HTTP', externalPort: 80, internalPort: 7001 }], 'HTTP:7001/') },
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: true });
    expect(await classicOf(name)).toBeUndefined();

    const existing = uniqueName('elb-');
    await clients().elb.send(
      new CreateClassicCommand({
        LoadBalancerName: existing,
        Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 7001 }],
        Subnets: chosenSubnets,
        SecurityGroups: [],
      }),
    );
    faults.fail('configureClassicHealthCheck', mentions(existing));
    const failed = await env.run([
      { upsertLoadBalancer: classic(existing, [{ externalProtocol: 'HTTP', externalPort: 80, internalPort: 7001 }], 'HTTP:7001/') },
    ]);
    expect(failed.task.status).toMatchObject({ completed: true, failed: true });
    expect(await classicOf(existing)).toBeDefined();
  });
});

test('bad input is a 400 that names each bad field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [
      { upsertLoadBalancer: { credentials: ACCOUNT, loadBalancerType: 'gateway', name: 'x', availabilityZones: { [REGION]: ZONES } } },
      {
        upsertAmazonLoadBalancerDescription: {
          credentials: ACCOUNT,
          loadBalancerType: 'application',
          name: 'y',
          availabilityZones: { [REGION]: ZONES },
          targetGroups: [{ name: 'tg', protocol: 'HTTP', port: 'eighty' }],
          listeners: [{ protocol: 'HTTP', port: 80, defaultActions: [{ targetGroupName: 'tg' }] }],
        },
      },
      {
        upsertLoadBalancer: {
          credentials: ACCOUNT,
          name: 'z',
          availabilityZones: { [REGION]: ZONES },
          listeners: [{ externalProtocol: 'HTTP', externalPort: 80, internalPort: 7001 }],
          deregistrationDelay: 9000,
        },
      },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].upsertLoadBalancer.loadBalancerType: must be classic, application or network',
      '[1].upsertAmazonLoadBalancerDescription.targetGroups.0.port: must be a port (a whole number from 1 to 65535)',
      '[2].upsertLoadBalancer.deregistrationDelay: must be from 1 to 3600 seconds',
    ]),
  );
});
