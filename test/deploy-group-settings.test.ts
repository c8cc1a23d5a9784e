/**
 * createServerGroup and cloneServerGroup carry the group-level settings Clouddriver carries, find
 * a clone's source as CopyLastAsgAtomicOperation does, copy a source's scaling policies and
 * scheduled actions as BasicAmazonDeployHandler does, and report Clouddriver's result objects:
 * end to end through the facade, a real worker and moto.
 *
 * moto's DescribePolicies answers no `Alarms` for a policy, so the alarm half of the copy is
 * tested with a recording fake client (activities/source-scaling.test.ts); the rollback's alarm
 * deletion runs here against moto's CloudWatch.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { PutLifecycleHookCommandInput } from '@aws-sdk/client-auto-scaling';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
  PutLifecycleHookCommand,
  PutScalingPolicyCommand,
  PutScheduledUpdateGroupActionCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSourceScalingActivities } from '../activities/source-scaling';
import { CREATED_BY_TAG } from '../domain/task';
import { FaultPlan, mentions } from './faults';
import { ACCOUNT, REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { emulatorAl2023Image } from './support/instances';
import { post } from './support/orca-client';
import { deployDescription } from './support/deploy-description';

const faults = new FaultPlan();
const env = useTestEnv({ faults });
let amiName: string;

beforeAll(async () => {
  ({ name: amiName } = await emulatorAl2023Image(testAwsClients(env.aws).ec2));
});

const deploy = (app: string, extra: Record<string, unknown> = {}) =>
  deployDescription(app, amiName, { capacity: { min: 0, max: 2, desired: 1 }, ...extra });

const as = () => testAwsClients(env.aws).autoScaling;

async function group(name: string): Promise<AutoScalingGroup | undefined> {
  return (await as().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
}

async function instanceTypeOf(name: string): Promise<string | undefined> {
  const g = await group(name);
  const out = await testAwsClients(env.aws).ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: g!.LaunchTemplate!.LaunchTemplateId, Versions: ['$Latest'] }),
  );
  return out.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.InstanceType;
}

const policiesOf = async (name: string) =>
  ((await as().send(new DescribePoliciesCommand({ AutoScalingGroupName: name }))).ScalingPolicies ?? []).map((p) => p.PolicyName);
const scheduledOf = async (name: string) =>
  (await as().send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: name }))).ScheduledUpdateGroupActions ?? [];

/** A source group with two scaling policies (one named after the group) and a scheduled action. */
async function sourceWithScaling(app: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { task } = await env.run([{ createServerGroup: deploy(app, extra) }]);
  expect(task.status.failed).toBe(false);
  const name = `${app}-main-v000`;
  for (const PolicyName of ['up', `${name}-down`]) {
    await as().send(
      new PutScalingPolicyCommand({
        AutoScalingGroupName: name,
        PolicyName,
        PolicyType: 'StepScaling',
        AdjustmentType: 'ChangeInCapacity',
        MetricAggregationType: 'Average',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: PolicyName === 'up' ? 1 : -1 }],
      }),
    );
  }
  await as().send(
    new PutScheduledUpdateGroupActionCommand({
      AutoScalingGroupName: name,
      ScheduledActionName: 'mornings',
      Recurrence: '0 8 * * *',
      MinSize: 1,
      MaxSize: 2,
      DesiredCapacity: 2,
    }),
  );
  return name;
}

describe('group-level settings on create', () => {
  test('capacityRebalance goes on the group; enabledMetrics are collected at 1Minute when instanceMonitoring is on', async () => {
    const app = uniqueName('gset');
    const metrics = ['GroupMinSize', 'GroupInServiceInstances'];
    const { task } = await env.run([
      { createServerGroup: deploy(app, { capacityRebalance: true, enabledMetrics: metrics, instanceMonitoring: true }) },
    ]);
    expect(task.status.failed).toBe(false);
    const g = await group(`${app}-main-v000`);
    expect(g?.CapacityRebalance).toBe(true);
    expect(g?.EnabledMetrics).toEqual(metrics.map((Metric) => ({ Metric, Granularity: '1Minute' })));
  });

  test('enabledMetrics without instanceMonitoring are not collected (AsgBuilder)', async () => {
    const app = uniqueName('gsnm');
    const { task } = await env.run([{ createServerGroup: deploy(app, { enabledMetrics: ['GroupMinSize'], instanceMonitoring: false }) }]);
    expect(task.status.failed).toBe(false);
    expect((await group(`${app}-main-v000`))?.EnabledMetrics ?? []).toEqual([]);
  });

  test('ignoreSequence names the group after its cluster; when that name is taken, the next is -v001', async () => {
    const app = uniqueName('gsig');
    const first = await env.run([{ createServerGroup: deploy(app, { ignoreSequence: true }) }]);
    expect(first.task.resultObjects).toEqual([expect.objectContaining({ serverGroupNames: [`${REGION}:${app}-main`] })]);
    expect(await group(`${app}-main`)).toBeDefined();
    const second = await env.run([{ createServerGroup: deploy(app, { ignoreSequence: true }) }]);
    expect(second.task.status.failed).toBe(false);
    expect(second.task.resultObjects).toEqual([
      { ancestorServerGroupNameByRegion: { [REGION]: `${app}-main` } },
      expect.objectContaining({ serverGroupNames: [`${REGION}:${app}-main-v001`] }),
    ]);
  });
});

describe('result objects', () => {
  test('a deploy into a cluster with groups reports its newest group as ancestor, before the DeploymentResult', async () => {
    const app = uniqueName('anc');
    const first = await env.run([{ createServerGroup: deploy(app) }]);
    // A first group has no ancestor: only the DeploymentResult, with every field Clouddriver's has.
    expect(first.task.resultObjects).toEqual([
      {
        serverGroupNames: [`${REGION}:${app}-main-v000`],
        serverGroupNameByRegion: { [REGION]: `${app}-main-v000` },
        deployedNames: [`${app}-main-v000`],
        deployedNamesByLocation: { [REGION]: [`${app}-main-v000`] },
        createdArtifacts: [],
        deployments: [
          {
            cloudProvider: 'aws',
            account: ACCOUNT,
            location: REGION,
            serverGroupName: `${app}-main-v000`,
            capacity: { min: 0, max: 2, desired: 1 },
            metadata: {},
          },
        ],
        messages: [],
      },
    ]);
    // Created later with a lower sequence: the newest by creation time is the ancestor, not the highest number.
    await env.run([{ createServerGroup: deploy(app, { sequence: 7 }) }]);
    await env.run([{ createServerGroup: deploy(app, { sequence: 3 }) }]);
    const next = await env.run([{ createServerGroup: deploy(app) }]);
    expect(next.task.resultObjects[0]).toEqual({ ancestorServerGroupNameByRegion: { [REGION]: `${app}-main-v003` } });
    expect(next.task.resultObjects[1]).toMatchObject({ serverGroupNames: [`${REGION}:${app}-main-v008`] });
  });

  test('an explicit sequence reports no ancestor (AutoScalingWorker names it without looking)', async () => {
    const app = uniqueName('ancs');
    await env.run([{ createServerGroup: deploy(app) }]);
    const { task } = await env.run([{ createServerGroup: deploy(app, { sequence: 5 }) }]);
    expect(task.resultObjects).toEqual([expect.objectContaining({ serverGroupNames: [`${REGION}:${app}-main-v005`] })]);
  });
});

describe('copying a source', () => {
  /** A source with its scaling, capacityRebalance, a collected metric and a `drain` lifecycle hook (`hook` adds to it). */
  async function sourceWithHook(app: string, hook: Partial<PutLifecycleHookCommandInput> = {}): Promise<string> {
    const source = await sourceWithScaling(app, { capacityRebalance: true, enabledMetrics: ['GroupMaxSize'], instanceMonitoring: true });
    await as().send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: source,
        LifecycleHookName: 'drain',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        ...hook,
      }),
    );
    return source;
  }

  test('clone copies capacityRebalance, enabled metrics, lifecycle hooks, scaling policies and scheduled actions', async () => {
    const app = uniqueName('cps');
    const source = await sourceWithHook(app, { HeartbeatTimeout: 90, DefaultResult: 'CONTINUE' });
    const { task } = await env.run([
      { cloneServerGroup: { credentials: ACCOUNT, source: { account: ACCOUNT, region: REGION, asgName: source } } },
    ]);
    expect(task.status.failed).toBe(false);
    const clone = `${app}-main-v001`;
    expect(task.resultObjects[0]).toEqual({ ancestorServerGroupNameByRegion: { [REGION]: source } });
    const g = await group(clone);
    expect(g?.CapacityRebalance).toBe(true);
    expect(g?.EnabledMetrics).toEqual([{ Metric: 'GroupMaxSize', Granularity: '1Minute' }]);
    const hooks = (await as().send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: clone }))).LifecycleHooks ?? [];
    expect(hooks).toEqual([
      expect.objectContaining({
        LifecycleHookName: `${clone}-lifecycle-0`,
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        HeartbeatTimeout: 90,
      }),
    ]);
    // A policy named after the source is renamed after the clone; another gets -no-alarm-<id>.
    const copied = await policiesOf(clone);
    expect(copied).toHaveLength(2);
    expect(copied).toEqual(expect.arrayContaining([`${clone}-down`, expect.stringMatching(/^up-no-alarm-[0-9a-f]{12}$/)]));
    const scheduled = await scheduledOf(clone);
    expect(scheduled).toEqual([
      expect.objectContaining({
        ScheduledActionName: expect.stringMatching(new RegExp(`^${clone}-schedule-[0-9a-f]{12}$`)) as unknown,
        Recurrence: '0 8 * * *',
        MinSize: 1,
        MaxSize: 2,
        DesiredCapacity: 2,
      }),
    ]);
    expect(task.history.map((h) => h.status)).toContain(
      `Copied 2 scaling policies, 0 alarms and 1 scheduled actions from ${source} (${REGION}) to ${clone}`,
    );
  });

  test("the clone request's own fields win: capacityRebalance, enabledMetrics, hooks; copySourceScalingPoliciesAndActions false copies none", async () => {
    const app = uniqueName('cpo');
    const source = await sourceWithHook(app);
    const { task } = await env.run([
      {
        cloneServerGroup: {
          credentials: ACCOUNT,
          source: { account: ACCOUNT, region: REGION, asgName: source },
          capacityRebalance: false,
          enabledMetrics: ['GroupDesiredCapacity'],
          lifecycleHooks: [{ name: 'warm', lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' }],
          copySourceScalingPoliciesAndActions: false,
        },
      },
    ]);
    expect(task.status.failed).toBe(false);
    const clone = `${app}-main-v001`;
    const g = await group(clone);
    expect(g?.CapacityRebalance).toBe(false);
    expect(g?.EnabledMetrics).toEqual([{ Metric: 'GroupDesiredCapacity', Granularity: '1Minute' }]);
    const hooks = (await as().send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: clone }))).LifecycleHooks ?? [];
    expect(hooks.map((h) => h.LifecycleHookName)).toEqual(['warm']);
    expect(await policiesOf(clone)).toEqual([]);
    expect(await scheduledOf(clone)).toEqual([]);
  });

  test('createServerGroup with a source copies its scaling policies and scheduled actions, once, even when an answer is lost', async () => {
    const app = uniqueName('cpc');
    const source = await sourceWithScaling(app);
    const target = `${app}-main-v001`;
    faults.loseAnswer('copySourceScaling', mentions(target));
    const { task } = await env.run([{ createServerGroup: deploy(app, { source: { account: ACCOUNT, region: REGION, asgName: source } }) }]);
    expect(task.status.failed).toBe(false);
    expect(faults.calls('copySourceScaling', mentions(target))).toBe(2);
    expect(await policiesOf(target)).toHaveLength(2);
    expect(await scheduledOf(target)).toHaveLength(1);
  });

  test('createServerGroup with copySourceScalingPoliciesAndActions false copies nothing', async () => {
    const app = uniqueName('cpf');
    const source = await sourceWithScaling(app);
    const { task } = await env.run([
      {
        createServerGroup: deploy(app, {
          source: { account: ACCOUNT, region: REGION, asgName: source },
          copySourceScalingPoliciesAndActions: false,
        }),
      },
    ]);
    expect(task.status.failed).toBe(false);
    expect(faults.calls('copySourceScaling', mentions(`${app}-main-v001`))).toBe(0);
    expect(await policiesOf(`${app}-main-v001`)).toEqual([]);
  });

  test('a failed deploy deletes the alarms it copied along with the group', async () => {
    const app = uniqueName('cpr');
    const source = await sourceWithScaling(app);
    const target = `${app}-main-v001`;
    faults.fail('waitForServerGroupCapacity', mentions(target));
    const { task } = await env.run([
      { createServerGroup: deploy(app, { source: { account: ACCOUNT, region: REGION, asgName: source }, waitForHealthyPercentage: 100 }) },
    ]);
    expect(task.status.failed).toBe(true);
    expect(task.history.map((h) => h.status)).toEqual(
      expect.arrayContaining([
        `Rolling back: delete the alarms copied for ${target} in ${REGION}`,
        `Deleted 0 alarms copied for ${target} in ${REGION}`,
        `Rolled back ${target} in ${REGION}: group deleted, launch template deleted`,
      ]),
    );
    expect(await group(target)).toBeUndefined();
  });

  test('deleteCopiedAlarms deletes the alarms named after the group that carry its deploy, and no other', async () => {
    const name = `${uniqueName('alm')}-main-v001`;
    const cw = testAwsClients(env.aws).cloudWatch;
    const put = (AlarmName: string, by: string) =>
      cw.send(
        new PutMetricAlarmCommand({
          AlarmName,
          MetricName: 'CPUUtilization',
          Namespace: 'AWS/EC2',
          Statistic: 'Average',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 50,
          ComparisonOperator: 'GreaterThanThreshold',
          Tags: [{ Key: CREATED_BY_TAG, Value: by }],
        }),
      );
    await put(`${name}-alarm-ours`, 'task-1/0');
    await put(`${name}-alarm-theirs`, 'task-2/0');
    const { deleteCopiedAlarms } = createSourceScalingActivities({ aws: env.aws });
    const out: { deleted: string[] } = await new MockActivityEnvironment().run(deleteCopiedAlarms, {
      account: ACCOUNT,
      region: REGION,
      serverGroupName: name,
      createdBy: 'task-1/0',
    });
    expect(out.deleted).toEqual([`${name}-alarm-ours`]);
    const left = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${name}-alarm-` }))).MetricAlarms ?? [];
    expect(left.map((a) => a.AlarmName)).toEqual([`${name}-alarm-theirs`]);
  });
});

describe('useSourceCapacity', () => {
  test('createServerGroup with source.useSourceCapacity deploys at the source capacity, not the request one', async () => {
    const app = uniqueName('usc');
    await env.run([{ createServerGroup: deploy(app, { capacity: { min: 1, max: 3, desired: 2 } }) }]);
    const { task } = await env.run([
      {
        createServerGroup: deploy(app, {
          capacity: { min: 0, max: 1, desired: 0 },
          source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000`, useSourceCapacity: true },
        }),
      },
    ]);
    expect(task.status.failed).toBe(false);
    expect(await group(`${app}-main-v001`)).toMatchObject({ MinSize: 1, MaxSize: 3, DesiredCapacity: 2 });
    expect(task.resultObjects[1]).toMatchObject({ deployments: [expect.objectContaining({ capacity: { min: 1, max: 3, desired: 2 } })] });
  });

  test('a source that is gone fails the deploy before anything is created', async () => {
    const app = uniqueName('usg');
    const { task } = await env.run([
      {
        createServerGroup: deploy(app, {
          source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v009`, useSourceCapacity: true },
        }),
      },
    ]);
    expect(task.status.failed).toBe(true);
    expect(task.resultObjects[0]).toMatchObject({
      cause: 'ServerGroupNotFound',
      message: `useSourceCapacity requested, but source ${app}-main-v009 was not found in ${REGION} (${ACCOUNT})`,
    });
    expect(await group(`${app}-main-v000`)).toBeUndefined();
  });

  test('without a source group it is refused by field', async () => {
    const res = await post(`${env.facadeUrl}/aws/ops`, [{ createServerGroup: deploy('usr', { source: { useSourceCapacity: true } }) }]);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('source.useSourceCapacity');
  });

  test("clone with source.useSourceCapacity takes the source's capacity over the request's", async () => {
    const app = uniqueName('ucl');
    await env.run([{ createServerGroup: deploy(app, { capacity: { min: 1, max: 3, desired: 2 } }) }]);
    const { task } = await env.run([
      {
        cloneServerGroup: {
          credentials: ACCOUNT,
          capacity: { min: 0, max: 1, desired: 0 },
          source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000`, useSourceCapacity: true },
        },
      },
    ]);
    expect(task.status.failed).toBe(false);
    expect(await group(`${app}-main-v001`)).toMatchObject({ MinSize: 1, MaxSize: 3, DesiredCapacity: 2 });
  });
});

describe('clone without a source', () => {
  test("clones the cluster's newest group by creation time in each target region", async () => {
    const app = uniqueName('cns');
    await env.run([{ createServerGroup: deploy(app, { sequence: 5, instanceType: 't3.micro' }) }]);
    await env.run([{ createServerGroup: deploy(app, { sequence: 1, instanceType: 't3.small' }) }]);
    const { task } = await env.run([
      { cloneServerGroup: { credentials: ACCOUNT, application: app, stack: 'main', availabilityZones: { [REGION]: ['us-east-1a'] } } },
    ]);
    expect(task.status.failed).toBe(false);
    expect(task.history.map((h) => h.status)).toContain(`Using ${REGION}/${app}-main-v001 as source`);
    expect(task.resultObjects[0]).toEqual({ ancestorServerGroupNameByRegion: { [REGION]: `${app}-main-v001` } });
    const cloned = (task.resultObjects[1] as { serverGroupNames: string[] }).serverGroupNames[0]!.split(':')[1]!;
    expect(await instanceTypeOf(cloned)).toBe('t3.small');
  });

  test('a cluster with no group fails naming the cluster and what the request lacks', async () => {
    const app = uniqueName('cne');
    const { task } = await env.run([
      { cloneServerGroup: { credentials: ACCOUNT, application: app, stack: 'main', availabilityZones: { [REGION]: ['us-east-1a'] } } },
    ]);
    expect(task.status.failed).toBe(true);
    expect(task.resultObjects[0]).toMatchObject({
      cause: 'ServerGroupNotFound',
      message: `cluster ${app}-main has no server group in ${REGION} (${ACCOUNT}) to clone, and the request lacks capacity, amiName, instanceType to deploy without one`,
    });
  });

  test('a cluster with no group and a complete request deploys the request as it is', async () => {
    const app = uniqueName('cnd');
    const { task } = await env.run([{ cloneServerGroup: deploy(app) }]);
    expect(task.status.failed).toBe(false);
    expect(task.resultObjects).toEqual([expect.objectContaining({ serverGroupNames: [`${REGION}:${app}-main-v000`] })]);
  });

  test('a named source that is gone: the newest group of its cluster is cloned instead', async () => {
    const app = uniqueName('cng');
    await env.run([{ createServerGroup: deploy(app, { instanceType: 't3.small' }) }]);
    const { task } = await env.run([
      { cloneServerGroup: { credentials: ACCOUNT, source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v042` } } },
    ]);
    expect(task.status.failed).toBe(false);
    expect(task.resultObjects[1]).toMatchObject({ serverGroupNames: [`${REGION}:${app}-main-v001`] });
    expect(await instanceTypeOf(`${app}-main-v001`)).toBe('t3.small');
  });

  test('without application or availabilityZones the request is refused by field', async () => {
    const res = await post(`${env.facadeUrl}/aws/ops`, [{ cloneServerGroup: { credentials: ACCOUNT } }]);
    expect(res.status).toBe(400);
    const text = JSON.stringify(res.body);
    expect(text).toContain('application');
    expect(text).toContain('availabilityZones');
  });
});
