/**
 * `npm run histories:record -- <set>`: runs every workflow type through the paths that matter
 * (success, business failure, compensation, cancellation during a wait, lost answers and
 * retries, multi-op orchestrations, resume of a retryable failure) against a fresh dev server
 * and moto, through the real facade, and writes each run's event history to
 * test/histories/<set>/<workflowType>-<path>.json. The replay test replays every set.
 *
 * Record a new set when workflow code changed on purpose; keep the old sets until no run of the
 * code that wrote them can still be open (see CONTRIBUTING.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  PutScalingPolicyCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Activities } from '../../activities';
import { defaultTaskSettings } from '../../domain/task-input';
import type { WaitStrategy } from '../../domain/waits';
import { FaultPlan, mentions } from '../faults';
import type { TestEnv } from '../harness';
import { ACCOUNT, REGION, startTestEnv, testAwsClients, uniqueName } from '../harness';
import { pollTask, post, waitForHistory } from '../support/orca-client';
import type { TaskJson } from '../support/orca-client';
import { asgsRef, makeServerGroup } from '../support/server-group';
import { startTestServers } from '../support/stack';
import { findTemporalCli } from '../../infra/tools';
import { HISTORIES_DIR, HISTORIES_PAYLOAD_KEY } from './histories';
import { emulatorAl2023Image, launchInstances } from '../support/instances';
import { CPU_ALARM } from '../support/alarms';
import { createTargetGroup } from '../support/target-groups';
import { deployDescription } from '../support/deploy-description';

interface Outcome {
  readonly failed: boolean;
  readonly retryable?: boolean;
}

interface Scenario {
  /** `<workflowType>-<path>`: the file name. */
  readonly name: string;
  /** Runs the task; answers its id (and the run to record, when not the latest). */
  run(ctx: Ctx): Promise<{ id: string; task: TaskJson; runId?: string }>;
  readonly expect: Outcome;
  /** The wait strategy the facade puts into the task; the default strategy unless told. */
  readonly strategy?: WaitStrategy;
}

interface Ctx {
  readonly env: TestEnv;
  readonly faults: FaultPlan;
  readonly amiName: string;
}

const ref = (serverGroupName: string) => ({ credentials: ACCOUNT, region: REGION, serverGroupName });
const group = async (ctx: Ctx, prefix: string, size = { min: 1, max: 4, desired: 1 }) => (await makeServerGroup(ctx.env, { prefix, ...size })).name;
const deploy = (ctx: Ctx, app: string, extra: Record<string, unknown> = {}) =>
  deployDescription(app, ctx.amiName, { capacity: { min: 1, max: 2, desired: 1 }, ...extra });
const cpuAlarm = { ...CPU_ALARM, period: 60 };
/** An upsertSecurityGroup of a fresh group `web-…` in the default VPC with `rules`. */
const upsertWebGroup = async (c: Ctx, rules: Record<string, unknown>) => ({
  upsertSecurityGroup: { credentials: ACCOUNT, region: REGION, vpcId: await defaultVpcId(c), name: uniqueName('web-'), description: 'histories', ...rules },
});

/** A deploy (waiting for 50 % healthy) of a fresh app named after `prefix` whose `activity` fails for good, so it rolls back. */
const deployFailingAt = async (c: Ctx, prefix: string, activity: keyof Activities) => {
  const app = uniqueName(prefix);
  c.faults.fail(activity, mentions(`${app}-main`));
  return c.env.run([{ createServerGroup: deploy(c, app, { waitForHealthyPercentage: 50 }) }]);
};

/** Scenario `<op>-success`: `op` on a fresh group named after `prefix` (as `refOf` names it: ref unless told), with `fields`. */
const succeedsOnGroup = (op: string, prefix: string, fields: Record<string, unknown> = {}, refOf: (name: string) => object = ref): Scenario => ({
  name: `${op}-success`,
  expect: { failed: false },
  run: async (c) => c.env.run([{ [op]: { ...refOf(await group(c, prefix)), ...fields } }]),
});

/** Subnets for load balancers (purpose LB_PURPOSE, target elb) in two zones, and a security group, made once a run. */
const LB_PURPOSE = 'external (histories)';
const LB_ZONES = [`${REGION}a`, `${REGION}b`];
let lbNetwork: Promise<{ vpcId: string; securityGroup: string }> | undefined;
const loadBalancerNetwork = (c: Ctx) =>
  (lbNetwork ??= (async () => {
    const { ec2 } = testAwsClients(c.env.aws);
    const vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.find((v) => v.IsDefault)!.VpcId!;
    const securityGroup = uniqueName('lb-sg-');
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: securityGroup, Description: 'histories', VpcId: vpcId }));
    for (const [i, zone] of LB_ZONES.entries()) {
      const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `172.31.${230 + i}.0/24`, AvailabilityZone: zone }));
      await ec2.send(
        new CreateTagsCommand({
          Resources: [subnet.Subnet!.SubnetId!],
          Tags: [{ Key: 'immutable_metadata', Value: JSON.stringify({ purpose: LB_PURPOSE, target: 'elb' }) }],
        }),
      );
    }
    return { vpcId, securityGroup };
  })());
const applicationLoadBalancer = async (c: Ctx, name: string, tg: string, extra: { tg2?: string; path?: string } = {}) => {
  const { vpcId, securityGroup } = await loadBalancerNetwork(c);
  const targetGroup = (n: string, port: number) => ({
    name: n,
    protocol: 'HTTP',
    port,
    healthCheckProtocol: 'HTTP',
    healthCheckPort: 'traffic-port',
    healthCheckPath: extra.path ?? '/health',
    attributes: { deregistrationDelay: 60 },
  });
  return {
    credentials: ACCOUNT,
    loadBalancerType: 'application',
    name,
    vpcId,
    subnetType: LB_PURPOSE,
    securityGroups: [securityGroup],
    availabilityZones: { [REGION]: LB_ZONES },
    targetGroups: [targetGroup(tg, 8080), ...(extra.tg2 ? [targetGroup(extra.tg2, 9090)] : [])],
    listeners: [
      {
        protocol: 'HTTP',
        port: 80,
        defaultActions: [{ targetGroupName: tg }],
        rules: [{ priority: '10', actions: [{ targetGroupName: tg }], conditions: [{ field: 'path-pattern', values: ['/api/*'] }] }],
      },
      ...(extra.tg2 ? [{ protocol: 'HTTP', port: 8081, defaultActions: [{ targetGroupName: extra.tg2 }] }] : []),
    ],
  };
};
const classicLoadBalancer = async (c: Ctx, name: string) => {
  const { vpcId, securityGroup } = await loadBalancerNetwork(c);
  return {
    credentials: ACCOUNT,
    name,
    vpcId,
    subnetType: LB_PURPOSE,
    securityGroups: [securityGroup],
    availabilityZones: { [REGION]: LB_ZONES },
    listeners: [{ externalProtocol: 'HTTP', externalPort: 80, internalPort: 7001 }],
    healthCheck: 'HTTP:7001/health',
  };
};
/** A cluster whose v000 is in service behind a fresh target group: the source of a strategy deploy. */
async function strategySource(c: Ctx, prefix: string): Promise<{ app: string; tg: string }> {
  const app = uniqueName(prefix);
  const tg = uniqueName('tg');
  await createTargetGroup(testAwsClients(c.env.aws), tg);
  await c.env.run([{ createServerGroup: deploy(c, app, { targetGroups: [tg] }) }]);
  return { app, tg };
}

/** A redblack deploy that waits at an approval gate, then gets `action` over HTTP. */
async function gatedDeploy(c: Ctx, action: 'approve' | 'rollback'): Promise<{ id: string; task: TaskJson }> {
  const { app, tg } = await strategySource(c, `gate${action.slice(0, 2)}`);
  const body = [{ deployWithStrategy: deploy(c, app, { targetGroups: [tg], strategy: 'redblack', gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '5m' }] }) }];
  const submitted = await post(`${c.env.facadeUrl}/aws/ops`, body);
  const id = (submitted.body as { id: string }).id;
  await waitForHistory(c.env.facadeUrl, id, (line) => line.startsWith('Waiting for approval'));
  const answer = await post(`${c.env.facadeUrl}/task/${id}/${action}`, { reason: 'recorded' });
  if (answer.status !== 200) throw new Error(`${action} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { id, task: await pollTask(c.env.facadeUrl, id, 60_000) };
}

const scenarios: Scenario[] = [
  { name: 'resizeServerGroup-success', expect: { failed: false }, run: async (c) => c.env.run([{ resizeServerGroup: { ...ref(await group(c, 'rs')), capacity: { desired: 2 } } }]) },
  {
    name: 'resizeServerGroup-lost-answers',
    expect: { failed: false },
    run: async (c) => {
      const name = await group(c, 'rsl');
      c.faults.loseAnswer('updateServerGroupCapacity', mentions(name)).loseAnswer('describeServerGroup', mentions(name));
      return c.env.run([{ resizeServerGroup: { ...ref(name), capacity: { desired: 2 } } }]);
    },
  },
  {
    // A constraint keeps the update a regular activity (bosun-resize-local-update).
    name: 'resizeServerGroup-constraint-met',
    expect: { failed: false },
    run: async (c) =>
      c.env.run([{ resizeServerGroup: { ...ref(await group(c, 'rsm')), capacity: { desired: 2 }, constraints: { capacity: { min: 1, max: 4, desired: 1 } } } }]),
  },
  {
    name: 'resizeServerGroup-constraint-violated',
    expect: { failed: true, retryable: false },
    run: async (c) => c.env.run([{ resizeServerGroup: { ...ref(await group(c, 'rsc')), capacity: { desired: 2 }, constraints: { capacity: { min: 3, max: 3, desired: 3 } } } }]),
  },
  {
    name: 'resizeServerGroup-cancelled-during-wait',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      const name = await group(c, 'rsx');
      c.faults.hang('waitForServerGroupCapacity', mentions(name));
      // moto settles at once: the check before the wait (bosun-resize-local-describes) must see
      // an unsettled group for the wait to run.
      c.faults.rewriteAnswer('describeServerGroup', mentions(name), (g) => g && { ...g, instances: [] }, 2);
      const { body } = await post(`${c.env.facadeUrl}/aws/ops`, [{ resizeServerGroup: { ...ref(name), capacity: { desired: 2 } } }]);
      const id = (body as { id: string }).id;
      await waitForHistory(c.env.facadeUrl, id, (s) => s.startsWith('Waiting for'));
      await post(`${c.env.facadeUrl}/task/${id}/cancel`, '');
      const task = await pollTask(c.env.facadeUrl, id);
      c.faults.release();
      return { id, task };
    },
  },
  {
    // The check before the wait finds the group unsettled, so the wait activity runs.
    name: 'resizeServerGroup-waited-after-check',
    expect: { failed: false },
    run: async (c) => {
      const name = await group(c, 'rsw');
      c.faults.rewriteAnswer('describeServerGroup', mentions(name), (g) => g && { ...g, instances: [] }, 2);
      return c.env.run([{ resizeServerGroup: { ...ref(name), capacity: { desired: 2 } } }]);
    },
  },
  {
    name: 'resizeServerGroup-retry-window-exhausted',
    expect: { failed: true, retryable: true },
    run: async (c) => {
      const name = await group(c, 'rsr');
      c.faults.failRetryably('updateServerGroupCapacity', mentions(name), 1000);
      const ran = await c.env.run([{ resizeServerGroup: { ...ref(name), capacity: { desired: 2 } } }], { headers: {} });
      c.faults.clear();
      resumable.set(name, ran.id);
      return ran;
    },
  },
  {
    name: 'resizeServerGroup-resumed-after-retryable-failure',
    expect: { failed: false },
    run: async (c) => {
      const id = [...resumable.values()][0]!;
      const res = await post(`${c.env.facadeUrl}/task/${id}:resume`, '');
      if (res.status !== 200) throw new Error(`resume answered ${res.status}: ${JSON.stringify(res.body)}`);
      const task = await pollTask(c.env.facadeUrl, id);
      return { id, task };
    },
  },
  succeedsOnGroup('enableServerGroup', 'en'),
  succeedsOnGroup('disableServerGroup', 'dis'),
  succeedsOnGroup('suspendAsgProcessesDescription', 'sus', { processes: ['Launch', 'AZRebalance'] }),
  succeedsOnGroup('resumeAsgProcessesDescription', 'res', { processes: ['Launch'] }),
  {
    name: 'disableServerGroup-partial',
    expect: { failed: false },
    run: async (c) => c.env.run([{ disableServerGroup: { ...ref(await group(c, 'dispct', { min: 2, max: 2, desired: 2 })), desiredPercentage: 50 } }]),
  },
  succeedsOnGroup('destroyServerGroup', 'des'),
  {
    name: 'destroyServerGroup-launch-configuration',
    expect: { failed: false },
    run: async (c) => c.env.run([{ destroyServerGroup: ref((await makeServerGroup(c.env, { prefix: 'deslc', launchConfiguration: {} })).name) }]),
  },
  {
    name: 'terminateInstances-success',
    expect: { failed: false },
    run: async (c) => {
      const g = await makeServerGroup(c.env, { prefix: 'ti', min: 0, max: 2, desired: 1 });
      return c.env.run([{ terminateInstances: { credentials: ACCOUNT, region: REGION, instanceIds: g.instanceIds } }]);
    },
  },
  {
    name: 'rebootInstances-success',
    expect: { failed: false },
    run: async (c) => {
      const g = await makeServerGroup(c.env, { prefix: 'rb', min: 1, max: 1, desired: 1 });
      return c.env.run([{ rebootInstances: { credentials: ACCOUNT, region: REGION, instanceIds: g.instanceIds } }]);
    },
  },
  {
    name: 'terminateInstanceAndDecrementServerGroup-success',
    expect: { failed: false },
    run: async (c) => {
      const g = await makeServerGroup(c.env, { prefix: 'tid', min: 1, max: 4, desired: 2 });
      return c.env.run([{ terminateInstanceAndDecrementServerGroup: { ...ref(g.name), instance: g.instanceIds[0] } }]);
    },
  },
  { name: 'createServerGroup-success', expect: { failed: false }, run: async (c) => c.env.run([{ createServerGroup: deploy(c, uniqueName('cs')) }]) },
  {
    name: 'createServerGroup-lost-answers',
    expect: { failed: false },
    run: async (c) => {
      const app = uniqueName('csl');
      for (const a of ['createServerGroupLaunchTemplate', 'createAutoScalingGroup', 'chooseServerGroupName'] as const) c.faults.loseAnswer(a, mentions(`${app}-main`));
      return c.env.run([{ createServerGroup: deploy(c, app) }]);
    },
  },
  {
    name: 'createServerGroup-image-not-found',
    expect: { failed: true, retryable: false },
    run: async (c) => c.env.run([{ createServerGroup: deploy(c, uniqueName('csi'), { amiName: 'no-such-image-*-1999' }) }]),
  },
  {
    name: 'createServerGroup-rolled-back-after-failure',
    expect: { failed: true, retryable: false },
    run: async (c) => deployFailingAt(c, 'csr', 'waitForServerGroupCapacity'),
  },
  {
    name: 'cloneServerGroup-success',
    expect: { failed: false },
    run: async (c) => {
      const app = uniqueName('cl');
      await c.env.run([{ createServerGroup: deploy(c, app) }]);
      return c.env.run([{ cloneServerGroup: { credentials: ACCOUNT, source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` }, capacity: { min: 0, max: 2, desired: 1 } } }]);
    },
  },
  {
    name: 'createServerGroup-target-healthy-not-waited',
    expect: { failed: false },
    run: async (c) => c.env.run([{ createServerGroup: deploy(c, uniqueName('cth'), { targetHealthyDeployPercentage: 100 }) }]),
  },
  {
    name: 'createServerGroup-copies-source-scaling',
    expect: { failed: false },
    run: async (c) => {
      const app = uniqueName('csc');
      await c.env.run([{ createServerGroup: deploy(c, app) }]);
      return c.env.run([{ createServerGroup: deploy(c, app, { source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` } }) }]);
    },
  },
  {
    name: 'createServerGroup-source-capacity',
    expect: { failed: false },
    run: async (c) => {
      const app = uniqueName('csu');
      await c.env.run([{ createServerGroup: deploy(c, app) }]);
      return c.env.run([{ createServerGroup: deploy(c, app, { source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000`, useSourceCapacity: true } }) }]);
    },
  },
  {
    name: 'cloneServerGroup-without-source',
    expect: { failed: false },
    run: async (c) => {
      const app = uniqueName('cln');
      await c.env.run([{ createServerGroup: deploy(c, app) }]);
      return c.env.run([{ cloneServerGroup: { credentials: ACCOUNT, application: app, stack: 'main', availabilityZones: { [REGION]: ['us-east-1a'] } } }]);
    },
  },
  {
    name: 'cloneServerGroup-missing-source-falls-back',
    expect: { failed: false },
    run: async (c) => {
      const app = uniqueName('clm');
      await c.env.run([{ createServerGroup: deploy(c, app) }]);
      return c.env.run([{ cloneServerGroup: { credentials: ACCOUNT, source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v042` } } }]);
    },
  },
  {
    name: 'createServerGroup-launch-settings',
    expect: { failed: false },
    run: async (c) =>
      c.env.run([
        {
          createServerGroup: deploy(c, uniqueName('mx'), {
            requireIMDSv2: true,
            blockDevices: [{ deviceName: '/dev/sdb', size: 20 }],
            spotPrice: '0.1',
            launchTemplateOverridesForInstanceType: [{ instanceType: 't3.small', priority: 2 }, { instanceType: 't3.micro', priority: 1 }],
          }),
        },
      ]),
  },
  {
    name: 'cloneServerGroup-launch-settings',
    expect: { failed: false },
    run: async (c) => {
      const app = uniqueName('cls');
      await c.env.run([{ createServerGroup: deploy(c, app, { requireIMDSv2: true, spotPrice: '0.1' }) }]);
      return c.env.run([{ cloneServerGroup: { credentials: ACCOUNT, source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` }, spotPrice: '' } }]);
    },
  },
  {
    name: 'cloneServerGroup-invalid-launch-settings',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      const app = uniqueName('cli');
      await c.env.run([{ createServerGroup: deploy(c, app) }]);
      return c.env.run([
        {
          cloneServerGroup: {
            credentials: ACCOUNT,
            source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` },
            instanceType: 'm5.large',
            unlimitedCpuCredits: true,
          },
        },
      ]);
    },
  },
  {
    name: 'allowLaunchDescription-success',
    expect: { failed: false },
    run: async (c) => c.env.run([{ allowLaunchDescription: { account: 'staging', credentials: ACCOUNT, amiName: c.amiName, region: REGION } }]),
  },
  succeedsOnGroup('updateLaunchTemplate', 'lt', { instanceType: 'm5.large', base64UserData: 'ZWNobyBoZWxsbw==' }),
  {
    name: 'updateLaunchTemplate-rolled-back-after-failure',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      const name = await group(c, 'ltr');
      c.faults.fail('pointServerGroupAtLaunchTemplateVersion', mentions(name));
      return c.env.run([{ updateLaunchTemplate: { ...ref(name), instanceType: 'm5.large' } }]);
    },
  },
  {
    name: 'updateLaunchConfig-success',
    expect: { failed: false },
    run: async (c) => {
      const name = (await makeServerGroup(c.env, { prefix: 'ulc', launchConfiguration: {} })).name;
      return c.env.run([{ updateLaunchConfig: { ...ref(name), instanceType: 'm5.large', securityGroups: ['default'] } }]);
    },
  },
  {
    name: 'updateLaunchConfig-rolled-back-after-failure',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      const name = (await makeServerGroup(c.env, { prefix: 'ulcr', launchConfiguration: {} })).name;
      c.faults.fail('pointServerGroupAtLaunchConfiguration', mentions(name));
      return c.env.run([{ updateLaunchConfig: { ...ref(name), instanceType: 'm5.large' } }]);
    },
  },
  succeedsOnGroup('upsertScalingPolicy', 'sp', { simple: { scalingAdjustment: 1 }, alarm: cpuAlarm }),
  {
    name: 'orchestration-allow-launch-then-deploy',
    expect: { failed: false },
    run: async (c) =>
      c.env.run([{ allowLaunchDescription: { account: ACCOUNT, credentials: ACCOUNT, amiName: c.amiName, region: REGION } }, { createServerGroup: deploy(c, uniqueName('or')) }]),
  },
  {
    name: 'orchestration-disable-resize-enable',
    expect: { failed: false },
    run: async (c) => {
      const name = await group(c, 'ore');
      return c.env.run([{ disableServerGroup: ref(name) }, { resizeServerGroup: { ...ref(name), capacity: { desired: 2 } } }, { enableServerGroup: ref(name) }]);
    },
  },
  {
    name: 'orchestration-stops-at-first-failure',
    expect: { failed: true, retryable: false },
    run: async (c) =>
      c.env.run([
        { allowLaunchDescription: { account: ACCOUNT, credentials: ACCOUNT, amiName: 'no-such-image-2000', region: REGION } },
        { createServerGroup: deploy(c, uniqueName('orf')) },
      ]),
  },
  // Waits driven by the workflow (a describe per poll, a timer between polls).
  {
    name: 'resizeServerGroup-timer-success',
    strategy: 'workflow-timer',
    expect: { failed: false },
    run: async (c) => c.env.run([{ resizeServerGroup: { ...ref(await group(c, 'rst')), capacity: { desired: 2 } } }]),
  },
  {
    name: 'resizeServerGroup-timer-capacity-not-reached',
    strategy: 'workflow-timer',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      const name = await group(c, 'rsn', { min: 1, max: 1, desired: 1 });
      const { autoScaling } = testAwsClients(c.env.aws);
      const g = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
      const instanceId = g.AutoScalingGroups![0]!.Instances![0]!.InstanceId!;
      await autoScaling.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Unhealthy' }));
      return c.env.run([{ resizeServerGroup: { ...ref(name), capacity: { desired: 1 }, waitTimeoutSeconds: 1 } }]);
    },
  },
  {
    name: 'destroyServerGroup-timer-success',
    strategy: 'workflow-timer',
    expect: { failed: false },
    run: async (c) => c.env.run([{ destroyServerGroup: ref(await group(c, 'dest')) }]),
  },
  {
    name: 'createServerGroup-timer-wait-for-health',
    strategy: 'workflow-timer',
    expect: { failed: false },
    run: async (c) => c.env.run([{ createServerGroup: deploy(c, uniqueName('cst'), { waitForHealthyPercentage: 100 }) }]),
  },
  {
    name: 'createServerGroup-timer-rolled-back-after-failure',
    strategy: 'workflow-timer',
    expect: { failed: true, retryable: false },
    // The poll's describe fails for good: the deploy rolls back (the rollback waits on the waits queue).
    run: async (c) => deployFailingAt(c, 'cstr', 'describeServerGroup'),
  },  // Server-group settings operations.
  succeedsOnGroup('upsertServerGroupTags', 'tg', { tags: { owner: 'team-a' } }),
  succeedsOnGroup('deleteAsgTagsDescription', 'tgd', { tagKeys: ['owner'] }),
  // moto does not implement DisableMetricsCollection: only metrics to enable.
  succeedsOnGroup('modifyAsgDescription', 'mod', { healthCheckType: 'ELB', healthCheckGracePeriod: 120, enabledMetrics: ['GroupMinSize'] }, asgsRef),
  {
    name: 'deleteScalingPolicy-success',
    expect: { failed: false },
    run: async (c) => {
      const name = await group(c, 'dsp');
      await testAwsClients(c.env.aws).autoScaling.send(
        new PutScalingPolicyCommand({ AutoScalingGroupName: name, PolicyName: 'scale-up', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 1 }),
      );
      return c.env.run([{ deleteScalingPolicy: { ...ref(name), policyName: 'scale-up' } }]);
    },
  },
  succeedsOnGroup('upsertAsgScheduledActionsDescription', 'sched', { scheduledActions: [{ recurrence: '0 8 * * *', minSize: 1, maxSize: 4, desiredCapacity: 2 }] }, asgsRef),
  succeedsOnGroup('upsertAsgLifecycleHookDescription', 'hook', { roleARN: 'arn:aws:iam::123456789012:role/hooks', notificationTargetARN: 'arn:aws:sns:us-east-1:123456789012:hooks' }),
  {
    name: 'upsertAlarmDescription-success',
    expect: { failed: false },
    run: async (c) =>
      c.env.run([{ upsertAlarmDescription: { credentials: ACCOUNT, region: REGION, asgName: await group(c, 'al'), name: uniqueName('alarm-'), ...cpuAlarm } }]),
  },
  {
    name: 'deleteAlarmDescription-success',
    expect: { failed: false },
    run: async (c) => c.env.run([{ deleteAlarmDescription: { credentials: ACCOUNT, region: REGION, names: [uniqueName('gone-alarm-')] } }]),
  },
  // Clean-up of single resources by name or id.
  {
    name: 'deleteLaunchConfiguration-success',
    expect: { failed: false },
    run: async (c) => {
      const name = uniqueName('lc-');
      const { autoScaling, ec2 } = testAwsClients(c.env.aws);
      const { imageId } = await emulatorAl2023Image(ec2);
      await autoScaling.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: name, ImageId: imageId, InstanceType: 't3.micro' }));
      return c.env.run([{ deleteLaunchConfiguration: { credentials: ACCOUNT, region: REGION, launchConfigurationName: name } }]);
    },
  },
  {
    name: 'deleteLaunchTemplate-success',
    expect: { failed: false },
    run: async (c) => {
      const { ec2 } = testAwsClients(c.env.aws);
      const { imageId } = await emulatorAl2023Image(ec2);
      const lt = await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: uniqueName('lt-'), LaunchTemplateData: { ImageId: imageId } }));
      return c.env.run([{ deleteLaunchTemplate: { credentials: ACCOUNT, region: REGION, launchTemplateId: lt.LaunchTemplate!.LaunchTemplateId! } }]);
    },
  },
  {
    name: 'deleteSnapshot-success',
    expect: { failed: false },
    run: async (c) => {
      const { ec2 } = testAwsClients(c.env.aws);
      const volume = await ec2.send(new CreateVolumeCommand({ Size: 1, AvailabilityZone: `${REGION}a` }));
      const snapshot = await ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId! }));
      return c.env.run([{ deleteSnapshot: { credentials: ACCOUNT, region: REGION, snapshotId: snapshot.SnapshotId! } }]);
    },
  },
  {
    name: 'deleteImage-success',
    expect: { failed: false },
    run: async (c) => {
      const { ec2 } = testAwsClients(c.env.aws);
      const [instanceId] = await launchInstances(testAwsClients(c.env.aws), 1);
      const image = await ec2.send(new CreateImageCommand({ InstanceId: instanceId!, Name: uniqueName('img-') }));
      return c.env.run([{ deleteImage: { credentials: ACCOUNT, region: REGION, imageId: image.ImageId! } }]);
    },
  },
  {
    name: 'orchestration-image-tags-then-allow-launch',
    expect: { failed: false },
    run: async (c) =>
      c.env.run([
        { upsertAmiTagsDescription: { credentials: ACCOUNT, amiName: c.amiName, regions: [REGION], tags: { stage: 'release' } } },
        { allowLaunchDescription: { account: ACCOUNT, credentials: ACCOUNT, amiName: c.amiName, region: REGION } },
      ]),
  },
  {
    name: 'upsertImageTags-no-image',
    expect: { failed: true, retryable: false },
    run: async (c) => c.env.run([{ upsertImageTags: { credentials: ACCOUNT, amiName: uniqueName('never-baked-'), regions: [REGION], tags: { a: 'b' } } }]),
  },
  {
    name: 'detachInstances-success',
    expect: { failed: false },
    run: async (c) => {
      const { name, instanceIds } = await makeServerGroup(c.env, { prefix: 'det', min: 1, max: 3, desired: 2 });
      return c.env.run([
        {
          detachInstances: {
            credentials: ACCOUNT,
            region: REGION,
            asgName: name,
            instanceIds: [instanceIds[0]],
            decrementDesiredCapacity: true,
            adjustMinIfNecessary: true,
            terminateDetachedInstances: true,
          },
        },
      ]);
    },
  },
  {
    // The detach fails: the tags put on the instance are removed again.
    name: 'detachInstances-untagged-after-failure',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      const { name, instanceIds } = await makeServerGroup(c.env, { prefix: 'detf', min: 0, max: 2, desired: 1 });
      c.faults.fail('detachInstancesFromServerGroup', mentions(name));
      return c.env.run([{ detachInstances: { credentials: ACCOUNT, region: REGION, asgName: name, instanceIds, terminateDetachedInstances: true } }]);
    },
  },
  {
    name: 'registerInstancesWithLoadBalancer-success',
    expect: { failed: false },
    run: async (c) => {
      const clients = testAwsClients(c.env.aws);
      const vpcs = await clients.ec2.send(new DescribeVpcsCommand({}));
      const name = uniqueName('tg');
      await clients.elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 8080, VpcId: vpcs.Vpcs?.[0]?.VpcId, TargetType: 'instance' }));
      const instanceIds = await launchInstances(clients, 1);
      return c.env.run([{ registerInstancesWithLoadBalancer: { credentials: ACCOUNT, region: REGION, instanceIds, targetGroupNames: [name] } }]);
    },
  },
  {
    name: 'deregisterInstancesFromLoadBalancer-success',
    expect: { failed: false },
    run: async (c) => {
      const clients = testAwsClients(c.env.aws);
      const name = uniqueName('elb');
      await clients.elb.send(
        new CreateLoadBalancerCommand({
          LoadBalancerName: name,
          Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 8080 }],
          AvailabilityZones: [`${REGION}a`],
        }),
      );
      const instanceIds = await launchInstances(clients, 1);
      await clients.elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: name, Instances: instanceIds.map((InstanceId) => ({ InstanceId })) }));
      return c.env.run([{ deregisterInstancesFromLoadBalancerDescription: { credentials: ACCOUNT, region: REGION, instanceIds, loadBalancerNames: [name] } }]);
    },
  },
  {
    name: 'updateInstances-success',
    expect: { failed: false },
    run: async (c) => {
      const { ec2 } = testAwsClients(c.env.aws);
      const vpcs = await ec2.send(new DescribeVpcsCommand({}));
      const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: uniqueName('sg-'), Description: 'histories', VpcId: vpcs.Vpcs?.find((v) => v.IsDefault)?.VpcId }));
      return c.env.run([{ updateInstances: { credentials: ACCOUNT, region: REGION, serverGroupName: await group(c, 'upi'), securityGroups: [sg.GroupId!] } }]);
    },
  },
  {
    name: 'deleteImage-not-found',
    expect: { failed: true, retryable: false },
    run: async (c) => c.env.run([{ deleteImage: { credentials: ACCOUNT, region: REGION, imageId: 'ami-0123456789abcdef0' } }]),
  },
  {
    name: 'deleteSecurityGroup-success',
    expect: { failed: false },
    run: async (c) => {
      const { ec2 } = testAwsClients(c.env.aws);
      const vpcs = await ec2.send(new DescribeVpcsCommand({}));
      const vpcId = vpcs.Vpcs?.find((v) => v.IsDefault)?.VpcId;
      const securityGroupName = uniqueName('sg-');
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: securityGroupName, Description: 'histories', VpcId: vpcId }));
      return c.env.run([{ deleteSecurityGroup: { credentials: ACCOUNT, regions: [REGION], securityGroupName, vpcId } }]);
    },
  },
  {
    name: 'deleteLoadBalancer-classic-success',
    expect: { failed: false },
    run: async (c) => {
      const name = uniqueName('elb');
      await testAwsClients(c.env.aws).elb.send(
        new CreateLoadBalancerCommand({
          LoadBalancerName: name,
          Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 8080 }],
          AvailabilityZones: [`${REGION}a`],
        }),
      );
      return c.env.run([{ deleteLoadBalancer: { credentials: ACCOUNT, regions: [REGION], loadBalancerName: name } }]);
    },
  },
  {
    name: 'deleteLoadBalancer-application-not-found',
    expect: { failed: false },
    run: async (c) =>
      c.env.run([{ deleteLoadBalancer: { credentials: ACCOUNT, regions: [REGION], loadBalancerName: uniqueName('alb'), loadBalancerType: 'application' } }]),
  },
  {
    name: 'upsertSecurityGroup-create',
    expect: { failed: false },
    run: async (c) => {
      const vpcId = await defaultVpcId(c);
      const source = uniqueName('src-');
      await testAwsClients(c.env.aws).ec2.send(new CreateSecurityGroupCommand({ GroupName: source, Description: 'histories', VpcId: vpcId }));
      const name = uniqueName('web-');
      return c.env.run([
        {
          upsertSecurityGroup: {
            credentials: ACCOUNT,
            region: REGION,
            vpcId,
            name,
            description: 'histories',
            tags: { team: 'edge' },
            ipIngress: [{ cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 80, endPort: 80, description: 'office' }],
            securityGroupIngress: [
              { name: source, ipProtocol: 'tcp', startPort: 7001, endPort: 7002 },
              { name, accountName: ACCOUNT, ipProtocol: 'tcp', startPort: 22, endPort: 22 },
            ],
          },
        },
      ]);
    },
  },
  {
    name: 'upsertSecurityGroup-update-add-remove',
    expect: { failed: false },
    run: async (c) => {
      const vpcId = await defaultVpcId(c);
      const { ec2 } = testAwsClients(c.env.aws);
      const name = uniqueName('web-');
      const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: 'histories', VpcId: vpcId }));
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sg.GroupId,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '172.16.0.0/12' }] },
          ],
        }),
      );
      return c.env.run([
        {
          upsertSecurityGroupDescription: {
            credentials: ACCOUNT,
            region: REGION,
            vpcId,
            name,
            description: 'histories',
            ipIngress: [
              { cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 80, endPort: 80, description: 'office' },
              { cidr: '192.168.0.0/16', ipProtocol: 'tcp', startPort: 8080, endPort: 8080 },
            ],
          },
        },
      ]);
    },
  },
  {
    name: 'upsertSecurityGroup-compensation',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      c.faults.fail('authorizeSecurityGroupIngress', mentions('198.51.100.0/24'));
      return c.env.run([await upsertWebGroup(c, { ipIngress: [{ cidr: '198.51.100.0/24', ipProtocol: 'tcp', startPort: 80, endPort: 80 }] })]);
    },
  },
  ...(['redblack', 'highlander', 'rollingredblack', 'none'] as const).map(
    (strategy): Scenario => ({
      name: `deployWithStrategy-${strategy}-success`,
      expect: { failed: false },
      run: async (c) => {
        const { app, tg } = await strategySource(c, strategy.slice(0, 6));
        const options = strategy === 'rollingredblack' ? { targetPercentages: [50] } : strategy === 'redblack' ? { scaleDown: true, maxRemainingAsgs: 2 } : {};
        return c.env.run([{ deployWithStrategy: deploy(c, app, { targetGroups: [tg], strategy, ...options }) }]);
      },
    }),
  ),
  {
    name: 'deployWithStrategy-rollingredblack-rolled-back',
    expect: { failed: true },
    run: async (c) => {
      const { app, tg } = await strategySource(c, 'rrbfail');
      // No classic load balancer: nothing is ever up by that provider, so the wait times out and rolls back.
      return c.env.run([
        {
          deployWithStrategy: deploy(c, app, {
            targetGroups: [tg],
            strategy: 'rollingredblack',
            targetPercentages: [50],
            interestingHealthProviderNames: ['LoadBalancer'],
            waitTimeoutSeconds: 1,
          }),
        },
      ]);
    },
  },
  {
    name: 'upsertSecurityGroup-missing-group',
    expect: { failed: true, retryable: false },
    run: async (c) =>
      c.env.run([await upsertWebGroup(c, { securityGroupIngress: [{ name: 'no-such-group', ipProtocol: 'tcp', startPort: 80, endPort: 80 }] })]),
  },
  {
    name: 'upsertLoadBalancer-application-created',
    expect: { failed: false },
    run: async (c) => {
      const name = uniqueName('alb-');
      c.faults.loseAnswer('createLoadBalancerV2', mentions(name));
      return c.env.run([{ upsertLoadBalancer: await applicationLoadBalancer(c, name, uniqueName('tg-')) }]);
    },
  },
  {
    name: 'upsertLoadBalancer-application-updated',
    expect: { failed: false },
    run: async (c) => {
      const name = uniqueName('alb-');
      const tg = uniqueName('tg-');
      await c.env.run([{ upsertLoadBalancer: await applicationLoadBalancer(c, name, tg) }]);
      return c.env.run([{ upsertAmazonLoadBalancerDescription: await applicationLoadBalancer(c, name, tg, { tg2: uniqueName('tg-'), path: '/ready' }) }]);
    },
  },
  {
    name: 'upsertLoadBalancer-application-rolled-back',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      const name = uniqueName('alb-');
      c.faults.rewriteAnswer('updateLoadBalancerV2', mentions(name), (r) => ({ ...r, errors: ['injected refusal'] }));
      return c.env.run([{ upsertLoadBalancer: await applicationLoadBalancer(c, name, uniqueName('tg-')) }]);
    },
  },
  {
    name: 'upsertLoadBalancer-classic-created',
    expect: { failed: false },
    run: async (c) => c.env.run([{ upsertLoadBalancer: await classicLoadBalancer(c, uniqueName('elb-')) }]),
  },
  {
    name: 'upsertLoadBalancer-classic-updated',
    expect: { failed: false },
    run: async (c) => {
      const name = uniqueName('elb-');
      await c.env.run([{ upsertLoadBalancer: await classicLoadBalancer(c, name) }]);
      const updated = await classicLoadBalancer(c, name);
      return c.env.run([{ upsertLoadBalancer: { ...updated, listeners: [{ externalProtocol: 'TCP', externalPort: 8443, internalPort: 8443 }] } }]);
    },
  },
  {
    name: 'upsertLoadBalancer-classic-rolled-back',
    expect: { failed: true, retryable: false },
    run: async (c) => {
      const name = uniqueName('elb-');
      c.faults.fail('configureClassicHealthCheck', mentions(name));
      return c.env.run([{ upsertLoadBalancer: await classicLoadBalancer(c, name) }]);
    },
  },
  {
    // The lease a second deploy of the cluster waited on (and asked who held it), ended when its holder closed.
    name: 'clusterLease-held',
    expect: { failed: false },
    run: async (c) => {
      const { app, tg } = await strategySource(c, 'lease');
      const gated = [{ deployWithStrategy: deploy(c, app, { targetGroups: [tg], strategy: 'redblack', gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '5m' }] }) }];
      const first = ((await post(`${c.env.facadeUrl}/aws/ops`, gated)).body as { id: string }).id;
      await waitForHistory(c.env.facadeUrl, first, (line) => line.startsWith('Waiting for approval'));
      const second = ((await post(`${c.env.facadeUrl}/aws/ops`, [{ deployWithStrategy: deploy(c, app, { targetGroups: [tg], strategy: 'redblack' }) }])).body as { id: string }).id;
      await waitForHistory(c.env.facadeUrl, second, (line) => line.startsWith('Waiting for the running deploy'));
      const leaseId = `lease:${ACCOUNT}:${REGION}:${app}-main`;
      const { runId } = await c.env.client.workflow.getHandle(leaseId).describe();
      await post(`${c.env.facadeUrl}/task/${first}/approve`, {});
      const task = await pollTask(c.env.facadeUrl, first, 60_000);
      await pollTask(c.env.facadeUrl, second, 60_000);
      return { id: leaseId, task, runId };
    },
  },
  {
    name: 'deployWithStrategy-gate-approved',
    expect: { failed: false },
    run: async (c) => gatedDeploy(c, 'approve'),
  },
  {
    name: 'deployWithStrategy-gate-rollback',
    expect: { failed: true },
    run: async (c) => gatedDeploy(c, 'rollback'),
  },
];

async function defaultVpcId(c: Ctx): Promise<string | undefined> {
  const vpcs = await testAwsClients(c.env.aws).ec2.send(new DescribeVpcsCommand({}));
  return vpcs.Vpcs?.find((v) => v.IsDefault)?.VpcId;
}

const resumable = new Map<string, string>();

async function main(): Promise<void> {
  const set = process.argv[2];
  if (!set || !/^[a-z0-9-]+$/.test(set)) throw new Error('usage: npm run histories:record -- <set name, e.g. v2>');
  const only = process.argv[3];
  const outDir = path.join(HISTORIES_DIR, set);
  mkdirSync(outDir, { recursive: true });
  const stack = await startTestServers(mkdtempSync(path.join(os.tmpdir(), 'bosun-script-')));
  const faults = new FaultPlan();
  // The update-launch-template rollback deletes a version: moto cannot, so that one call is a double.
  const activities = (real: Activities): Activities => ({ ...real, deleteLaunchTemplateVersion: async () => ({ deleted: true }) });
  // One env (facade and worker on their own task queue) per wait strategy: the facade puts the
  // strategy into every task it starts.
  const envs = new Map<WaitStrategy, TestEnv>();
  const envFor = async (strategy: WaitStrategy): Promise<TestEnv> => {
    const known = envs.get(strategy);
    if (known) return known;
    const settings = { awsRetryWindowMs: 4_000, pollIntervalMs: 200, waitStrategy: strategy };
    const started = await startTestEnv({ faults, activities, payloadKey: HISTORIES_PAYLOAD_KEY, settings });
    envs.set(strategy, started);
    return started;
  };
  const defaultStrategy = defaultTaskSettings.waitStrategy ?? 'activity';
  let problems = 0;
  try {
    const env = await envFor(defaultStrategy);
    const amiName = (await emulatorAl2023Image(testAwsClients(env.aws).ec2)).name;
    for (const s of scenarios) {
      if (only && !s.name.includes(only) && !(only.includes('resume') && s.name.includes('retry-window'))) continue;
      const started = Date.now();
      const ctx: Ctx = { env: await envFor(s.strategy ?? defaultStrategy), faults, amiName };
      const { id, task, runId } = await s.run(ctx);
      const outcome = { failed: task.status.failed, retryable: task.status.retryable };
      const ok = outcome.failed === s.expect.failed && (s.expect.retryable === undefined || outcome.retryable === s.expect.retryable);
      if (!ok) problems++;
      // The CLI's export is the JSON form Temporal's tools and the SDK's replayer agree on.
      const args = ['workflow', 'show', '--address', stack.temporal.address, '--workflow-id', id, '--output', 'json'];
      const json = execFileSync(findTemporalCli(), runId ? [...args, '--run-id', runId] : args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      const history = JSON.parse(json) as { events?: unknown[] };
      writeFileSync(path.join(outDir, `${s.name}.json`), `${JSON.stringify(history, null, 1)}\n`);
      const last = task.history[task.history.length - 1]?.status ?? '';
      process.stdout.write(`${ok ? 'ok  ' : 'BAD '} ${s.name}: ${history.events?.length ?? 0} events, ${Date.now() - started} ms, ${last}\n`);
    }
  } finally {
    for (const e of envs.values()) await e.close();
    await stack.stop();
  }
  if (problems > 0) throw new Error(`${problems} scenario(s) did not end as expected: fix them before committing the set`);
}

main().catch((err: unknown) => {
  process.stderr.write(`histories:record: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
