/**
 * Orca's rolling push (deploy strategy `rollingpush`) of a launch-template group behind a target
 * group, posted to the facade task by task as Orca posts them, in Orca's order:
 *
 * 1. RollingPushStrategy adds an `updateLaunchTemplate` stage (setLaunchTemplate) and a
 *    `rollingPush` stage, both with the deploy stage's whole context plus region, asgName,
 *    `source`, … (RollingPushStrategy.groovy:69-102).
 * 2. UpdateLaunchTemplateTask posts `[allowLaunchDescription, updateLaunchTemplate]` to
 *    `/aws/ops` (AbstractUpdateLaunchSettingsTask.groovy:62-78; allowLaunch only when the
 *    credentials are not Orca's default bake account), then a cache refresh.
 * 3. Per batch of `termination.concurrentRelaunches` instances (RollingPushStage.java:61-87):
 *    DisableInstancesTask posts `[disableInstancesInDiscovery, deregisterInstancesFromLoadBalancer]`
 *    as ONE task to `/ops`, always both, each with the whole stage context
 *    (DisableInstancesTask.groovy:60); TerminateInstancesTask posts `[terminateInstances]` with the
 *    context plus `instanceIds` to `/aws/ops` (TerminateInstancesTask.groovy:76-77); a cache
 *    refresh; WaitForNewUpInstancesLaunchTask reads the group until as many new instances are up.
 *
 * Bosun has no discovery integration, so the disable task (one task, one system) goes whole to
 * the legacy Clouddriver, a stand-in here; everything else runs on Bosun. Orca's reads of the
 * group (DetermineTerminationCandidatesTask, WaitForNewUpInstancesLaunchTask) are Clouddriver
 * cache reads, which the facade forwards; the test reads moto directly in their place.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AttachLoadBalancerTargetGroupsCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createLegacyClouddriver } from '../client/facade/legacy';
import type { Router } from '../client/routing';
import { createRouter, emptyDocument, formatFlagDocument, onboard, writeAtomically } from '../client/routing';
import { silentLogger } from '../runtime';
import type { TestEnv } from './harness';
import { ACCOUNT, REGION, startTestEnv, testAwsClients, uniqueName } from './harness';
import { emulatorAl2023Image } from './support/instances';
import type { TaskJson } from './support/orca-client';
import { pollTask, post } from './support/orca-client';
import { makeServerGroup } from './support/server-group';
import type { StandInClouddriver } from './support/stand-in-clouddriver';
import { startStandInClouddriver } from './support/stand-in-clouddriver';
import { registeredTargets } from './support/target-groups';

/** Orca's `default.bake.account`: the account images are baked in (allowLaunch shares them from there). */
const BAKE_ACCOUNT = 'prod';

let env: TestEnv;
let router: Router;
let legacy: StandInClouddriver;
const app = uniqueName('push');
let legacyTasks = 0;

/** Clouddriver's answers: a task per posted operation list (completed at once), 200 to a cache refresh. */
function startLegacy(): Promise<StandInClouddriver> {
  return startStandInClouddriver((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && /^\/(aws\/)?ops(\?|$)/.test(req.url)) {
      const id = `legacy-${++legacyTasks}`;
      json(200, { id, resourceUri: `/task/${id}` });
    } else if (req.method === 'GET' && req.url.startsWith('/task/legacy-')) {
      const id = req.url.slice('/task/'.length);
      json(200, { id, status: { completed: true, failed: false, phase: 'ORCHESTRATION', status: 'done' }, history: [], resultObjects: [] });
    } else if (req.method === 'POST' && req.url.startsWith('/cache/aws/serverGroup')) {
      json(200, {});
    } else {
      json(404, { error: 'Not Found', message: `the stand-in has no ${req.method} ${req.url}` });
    }
  });
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-push-flags-'));
  const flagFile = path.join(dir, 'routing.json');
  await writeAtomically(flagFile, formatFlagDocument(onboard(emptyDocument(), app)));
  router = await createRouter({ flagFile, logger: silentLogger });
  legacy = await startLegacy();
  env = await startTestEnv({ facade: { router, legacy: createLegacyClouddriver(legacy.url) } });
});
afterAll(async () => {
  await env.close();
  await router.close();
  await legacy.close();
});

const clients = () => testAwsClients(env.aws);

async function groupOf(name: string) {
  const out = await clients().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups![0]!;
}

/** The group's in-service instances, oldest first (DetermineTerminationCandidatesTask's default order). */
async function instancesOldestFirst(name: string): Promise<string[]> {
  const ids = ((await groupOf(name)).Instances ?? []).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!);
  if (ids.length === 0) return [];
  const out = await clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return out
    .Reservations!.flatMap((r) => r.Instances!)
    .sort((a, b) => a.LaunchTime!.getTime() - b.LaunchTime!.getTime() || a.AmiLaunchIndex! - b.AmiLaunchIndex!)
    .map((i) => i.InstanceId!);
}

const targetsOf = (arn: string) => registeredTargets(clients(), arn);

/**
 * Posts as Orca's KatoService does (with a clientRequestId: a digest of the stage and the body)
 * and answers the task id and which system took it.
 */
async function submit(path: string, body: unknown): Promise<{ id: string; legacy: boolean; task: TaskJson; clientRequestId: string }> {
  const clientRequestId = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const res = await post(`${env.facadeUrl}${path}?clientRequestId=${clientRequestId}`, body);
  expect(res.status).toBe(200);
  const id = (res.body as { id: string }).id;
  return { id, legacy: id.startsWith('legacy-'), task: await pollTask(env.facadeUrl, id, 60_000), clientRequestId };
}

/** Orca's forceCacheRefresh (ServerGroupCacheForceRefreshTask): a Clouddriver cache call, forwarded. */
async function refreshCache(serverGroupName: string): Promise<void> {
  const res = await post(`${env.facadeUrl}/cache/aws/serverGroup`, {
    asgName: serverGroupName,
    serverGroupName,
    region: REGION,
    account: ACCOUNT,
  });
  expect(res.status).toBe(200);
}

test("Orca's rolling push of a launch-template group runs on Bosun except the discovery step, whose task goes whole to Clouddriver", async () => {
  const ec2 = clients().ec2;
  // The group runs an older Amazon image; the push rolls it to the baked one.
  const baked = await emulatorAl2023Image(ec2);
  const older = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 20 }))).Images!.find(
    (i) => i.ImageId !== baked.imageId,
  )!.ImageId!;
  const sg = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] })))
    .SecurityGroups![0]!.GroupId!;
  const vpc = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0]!.VpcId!;
  const tgName = uniqueName('tg');
  const tgArn = (
    await clients().elbv2.send(
      new CreateTargetGroupCommand({ Name: tgName, Protocol: 'HTTP', Port: 7001, VpcId: vpc, TargetType: 'instance' }),
    )
  ).TargetGroups![0]!.TargetGroupArn!;

  const cluster = `${app}-main`;
  const asgName = `${cluster}-v001`;
  const group = await makeServerGroup(env, {
    name: asgName,
    min: 2,
    max: 2,
    launchTemplateName: asgName,
    launchTemplateData: { ImageId: older, InstanceType: 't3.micro', SecurityGroupIds: [sg] },
  });
  await clients().autoScaling.send(new AttachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: asgName, TargetGroupARNs: [tgArn] }));
  const original = await instancesOldestFirst(asgName);
  expect(original).toHaveLength(2);
  expect(await targetsOf(tgArn)).toEqual([...original].sort());

  // The deploy stage's context as Deck builds it for a rolling push of this cluster.
  const deployContext = {
    name: 'Deploy in us-east-1',
    type: 'createServerGroup',
    application: app,
    account: ACCOUNT,
    cloudProvider: 'aws',
    provider: 'aws',
    strategy: 'rollingpush',
    termination: { order: 'oldest', relaunchAllInstances: true, concurrentRelaunches: 1, totalRelaunches: 0 },
    capacity: { min: 2, max: 2, desired: 2 },
    availabilityZones: { [REGION]: [`${REGION}a`] },
    healthCheckType: 'EC2',
    healthCheckGracePeriod: 600,
    cooldown: 10,
    instanceMonitoring: false,
    ebsOptimized: false,
    terminationPolicies: ['Default'],
    subnetType: 'internal (vpc0)',
    securityGroups: [sg],
    loadBalancers: [],
    targetGroups: [tgName],
    instanceType: 't3.micro',
    spotPrice: '',
    tags: {},
    enabledMetrics: [],
    suspendedProcesses: [],
    useAmiBlockDeviceMappings: false,
    copySourceCustomBlockDeviceMappings: false,
    setLaunchTemplate: true,
    requireIMDSv2: false,
    moniker: { app, cluster },
    amiName: baked.name,
  };
  // RollingPushStrategy.composeAfterStages: the context both synthetic stages start from.
  const modifyCtx = {
    ...deployContext,
    region: REGION,
    regions: [REGION],
    asgName,
    'deploy.server.groups': { [REGION]: [asgName] },
    useSourceCapacity: true,
    credentials: ACCOUNT,
    source: { asgName, account: ACCOUNT, region: REGION, useSourceCapacity: true },
  };

  // updateLaunchTemplate stage: UpdateLaunchTemplateTask, then monitorModification and forceCacheRefresh.
  const update = await submit('/aws/ops', [
    { allowLaunchDescription: { account: ACCOUNT, credentials: BAKE_ACCOUNT, region: REGION, amiName: baked.name } },
    { updateLaunchTemplate: { ...modifyCtx, amiName: baked.name, asgName } },
  ]);
  expect(update.legacy).toBe(false);
  expect(update.task.status).toMatchObject({ completed: true, failed: false });
  await refreshCache(asgName);

  // rollingPush stage: determineTerminationCandidates.
  const knownInstanceIds = [...original];
  let terminationInstanceIds = [...original];
  let pushCtx: Record<string, unknown> = {
    ...modifyCtx,
    terminationInstanceIds,
    knownInstanceIds,
    skipRemainingWait: true,
    waitTime: 0,
  };
  const disableTasks: string[] = [];
  const terminateTasks: string[] = [];
  while (terminationInstanceIds.length > 0) {
    // determineCurrentPhaseTerminations
    const instanceIds = terminationInstanceIds.slice(0, 1);
    terminationInstanceIds = terminationInstanceIds.slice(1);
    pushCtx = {
      ...pushCtx,
      instanceIds,
      terminationInstanceIds,
      'terminate.instance.ids': [],
      'terminate.remaining.instances': [],
    };

    // disableInstances: one task of two operations, to /ops (no cloud provider in the path).
    const before = legacy.seen.length;
    const disableBody = [{ disableInstancesInDiscovery: pushCtx }, { deregisterInstancesFromLoadBalancer: pushCtx }];
    const disable = await submit('/ops', disableBody);
    expect(disable.legacy).toBe(true);
    const forwarded = legacy.seen.slice(before).filter((r) => r.method === 'POST');
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.url).toBe(`/ops?clientRequestId=${disable.clientRequestId}`);
    expect(JSON.parse(forwarded[0]!.body)).toEqual(disableBody);
    disableTasks.push(disable.id);
    pushCtx = {
      ...pushCtx,
      'notification.type': 'disableinstances',
      'kato.last.task.id': { id: disable.id },
      interestingHealthProviderNames: ['Discovery', 'LoadBalancer'],
    };

    // terminateInstances, on Bosun.
    const terminate = await submit('/aws/ops', [{ terminateInstances: { ...pushCtx, instanceIds } }]);
    expect(terminate.legacy).toBe(false);
    expect(terminate.task.status).toMatchObject({ completed: true, failed: false });
    terminateTasks.push(terminate.id);
    pushCtx = {
      ...pushCtx,
      'notification.type': 'terminateinstances',
      'terminate.account.name': ACCOUNT,
      'terminate.region': REGION,
      'terminate.instance.ids': instanceIds,
      'kato.last.task.id': { id: terminate.id },
    };
    await refreshCache(asgName);

    // waitForNewInstances: as many new instances up as were terminated.
    let fresh: string[] = [];
    for (let i = 0; i < 100 && fresh.length < instanceIds.length; i++) {
      fresh = (await instancesOldestFirst(asgName)).filter((id) => !knownInstanceIds.includes(id));
      if (fresh.length < instanceIds.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect(fresh.length).toBeGreaterThanOrEqual(instanceIds.length);
    knownInstanceIds.push(...fresh);
    pushCtx = { ...pushCtx, knownInstanceIds };
  }

  // One disable task per batch went to Clouddriver; every other task is Bosun's.
  expect(disableTasks).toEqual(['legacy-1', 'legacy-2']);
  expect(terminateTasks).toHaveLength(2);
  expect(legacy.seen.filter((r) => r.method === 'POST' && r.url.includes('ops'))).toHaveLength(2);

  // Why, as the platform team asks it.
  const ask = async (operation: string) =>
    (await (
      await fetch(`${env.facadeUrl}/routing?application=${app}&account=${ACCOUNT}&region=${REGION}&operation=${operation}`)
    ).json()) as {
      route: string;
      rule: string;
      reason: string;
    };
  expect(await ask('disableInstancesInDiscovery')).toMatchObject({
    route: 'legacy',
    rule: 'unsupported-operation',
    reason: expect.stringMatching(/discovery/),
  });
  for (const operation of ['updateLaunchTemplate', 'allowLaunchDescription', 'deregisterInstancesFromLoadBalancer', 'terminateInstances']) {
    expect(await ask(operation)).toMatchObject({ route: 'temporal' });
  }
  const metrics = await (await fetch(`${env.facadeUrl}/metrics`)).text();
  expect(metrics).toMatch(/bosun_routing_decisions_total\{route="legacy",rule="unsupported-operation"\} 2\n/);
  expect(metrics).toMatch(/bosun_routing_decisions_total\{route="temporal",rule="[a-z-]+"\} 3\n/);

  // The effect in AWS: a new launch-template version on the baked image, the group on it, every
  // instance replaced, none of the old ones left in the target group.
  const lt = (await groupOf(asgName)).LaunchTemplate!;
  const versions = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: group.launchTemplateId })))
    .LaunchTemplateVersions!;
  expect(versions.length).toBeGreaterThanOrEqual(2);
  const latest = versions.reduce((a, b) => (a.VersionNumber! > b.VersionNumber! ? a : b));
  expect(latest.LaunchTemplateData).toMatchObject({ ImageId: baked.imageId, InstanceType: 't3.micro' });
  expect(lt.LaunchTemplateId).toBe(group.launchTemplateId);

  const now = await instancesOldestFirst(asgName);
  expect(now).toHaveLength(2);
  expect(now.filter((id) => original.includes(id))).toEqual([]);
  const running = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: now }))).Reservations!.flatMap((r) => r.Instances!);
  expect(running.map((i) => i.ImageId)).toEqual([baked.imageId, baked.imageId]);

  const registered = await targetsOf(tgArn);
  expect(registered.filter((id) => original.includes(id))).toEqual([]);
  // AWS registers an instance Auto Scaling launches with the group's target groups; moto does so
  // only when the group is next updated, so a no-op update stands in for it.
  await clients().autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: asgName, DesiredCapacity: 2 }));
  expect(await targetsOf(tgArn)).toEqual([...now].sort());
});

test('a rolling push whose context sets unlimitedCpuCredits to false sends its updateLaunchTemplate task whole to Clouddriver, which writes CpuCredits standard', async () => {
  const asgName = `${app}-credits-v001`;
  const body = [
    { allowLaunchDescription: { account: ACCOUNT, credentials: BAKE_ACCOUNT, region: REGION, amiName: 'any-image' } },
    {
      updateLaunchTemplate: {
        application: app,
        credentials: ACCOUNT,
        region: REGION,
        regions: [REGION],
        asgName,
        strategy: 'rollingpush',
        instanceType: 't3.micro',
        amiName: 'any-image',
        unlimitedCpuCredits: false,
        source: { asgName, account: ACCOUNT, region: REGION, useSourceCapacity: true },
      },
    },
  ];
  const before = legacy.seen.length;
  const res = await post(`${env.facadeUrl}/aws/ops`, body);
  expect(res.status).toBe(200);
  expect((res.body as { id: string }).id).toMatch(/^legacy-/);
  const forwarded = legacy.seen.slice(before);
  expect(forwarded.map((r) => [r.method, r.url])).toEqual([['POST', '/aws/ops']]);
  expect(JSON.parse(forwarded[0]!.body)).toEqual(body);

  const answer = (await (
    await fetch(`${env.facadeUrl}/routing?operation=updateLaunchTemplate&application=${app}&account=${ACCOUNT}`)
  ).json()) as {
    unsupportedFields: Record<string, string>;
  };
  expect(Object.keys(answer.unsupportedFields)).toContain('unlimitedCpuCredits');
  const metrics = await (await fetch(`${env.facadeUrl}/metrics`)).text();
  expect(metrics).toMatch(/bosun_routing_decisions_total\{route="legacy",rule="unsupported-field"\} 1\n/);
});
