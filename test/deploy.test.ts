/**
 * createServerGroup, cloneServerGroup and allowLaunchDescription end to end: the facade over
 * HTTP, a real worker, the real AWS SDK against moto. Faults are injected by input, so each
 * test's groups are its own.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand, DescribeLifecycleHooksCommand } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplate } from '@aws-sdk/client-ec2';
import { DescribeImageAttributeCommand, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { createCodecServer } from '../client/facade/codec-endpoint';
import { silentLogger } from '../runtime';
import { FaultPlan, mentions } from './faults';
import { ACCOUNT, cancelTask, REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { badRequestErrors, post } from './support/orca-client';
import { emulatorAl2023Image } from './support/instances';
import { deployDescription } from './support/deploy-description';
import { createTargetGroup as createTargetGroupIn } from './support/target-groups';

const faults = new FaultPlan();
const env = useTestEnv({ faults });
let amiName: string;
let amiId: string;

beforeAll(async () => {
  ({ name: amiName, imageId: amiId } = await emulatorAl2023Image(testAwsClients(env.aws).ec2));
});

const deploy = (app: string, extra: Record<string, unknown> = {}) =>
  deployDescription(app, amiName, {
    availabilityZones: { [REGION]: ['us-east-1a', 'us-east-1b'] },
    capacity: { min: 1, max: 3, desired: 2 },
    ...extra,
  });

/** Every page: the whole suite shares one moto, which soon holds more than one page of each. */
async function groupsOf(cluster: string, region = REGION) {
  const all: AutoScalingGroup[] = [];
  let NextToken: string | undefined;
  do {
    const out = await testAwsClients(env.aws, region).autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, NextToken }),
    );
    all.push(...(out.AutoScalingGroups ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  return all.filter((g) => g.AutoScalingGroupName?.startsWith(`${cluster}-v`));
}

async function templatesOf(cluster: string) {
  const all: LaunchTemplate[] = [];
  let NextToken: string | undefined;
  do {
    const out = await testAwsClients(env.aws).ec2.send(new DescribeLaunchTemplatesCommand({ MaxResults: 200, NextToken }));
    all.push(...(out.LaunchTemplates ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  return all.filter((t) => t.LaunchTemplateName?.startsWith(`${cluster}-v`));
}

const createTargetGroup = (name: string) => createTargetGroupIn(testAwsClients(env.aws), name);

test('createServerGroup creates the launch template and a fully configured group, and reports what Orca reads', async () => {
  const app = uniqueName('dep');
  const tgName = uniqueName('tg');
  const tgArn = await createTargetGroup(tgName);
  const { task } = await env.run([
    {
      createServerGroup: deploy(app, {
        tags: { team: 'payments' },
        suspendedProcesses: ['AZRebalance'],
        targetGroups: [tgName],
        lifecycleHooks: [{ lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', heartbeatTimeout: 120 }],
        waitForHealthyPercentage: 100,
      }),
    },
  ]);
  const name = `${app}-main-v000`;
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.resultObjects).toEqual([
    {
      serverGroupNames: [`${REGION}:${name}`],
      serverGroupNameByRegion: { [REGION]: name },
      deployedNames: [name],
      deployedNamesByLocation: { [REGION]: [name] },
      createdArtifacts: [],
      deployments: [
        {
          cloudProvider: 'aws',
          account: ACCOUNT,
          location: REGION,
          serverGroupName: name,
          capacity: { min: 1, max: 3, desired: 2 },
          metadata: {},
        },
      ],
      messages: [],
    },
  ]);
  expect(task.history.filter((h) => h.phase === 'DEPLOY').map((h) => h.status)).toEqual(
    expect.arrayContaining([
      `Creating server group ${name} in ${REGION} (us-east-1a, us-east-1b, 1 target groups, 0 load balancers)`,
      `Setting capacity of ${name} in ${REGION} to 1/2/3 (min/desired/max)`,
      `${name} has 2 of 2 instances in service`,
      `Deployed ${name} in ${REGION}`,
    ]),
  );

  const [group] = await groupsOf(`${app}-main`);
  expect(group).toMatchObject({ AutoScalingGroupName: name, MinSize: 1, MaxSize: 3, DesiredCapacity: 2, TargetGroupARNs: [tgArn] });
  expect(group!.Instances).toHaveLength(2);
  expect(group!.SuspendedProcesses?.map((p) => p.ProcessName)).toEqual(['AZRebalance']);
  const tags = Object.fromEntries((group!.Tags ?? []).map((t) => [t.Key, t.Value]));
  expect(tags).toMatchObject({
    team: 'payments',
    'spinnaker:application': app,
    'spinnaker:stack': 'main',
    'bosun:created-by-task': `${task.id}/0`,
  });
  const hooks = await testAwsClients(env.aws).autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: name }));
  expect(hooks.LifecycleHooks?.map((h) => h.LifecycleTransition)).toEqual(['autoscaling:EC2_INSTANCE_TERMINATING']);
  const [lt] = await templatesOf(`${app}-main`);
  const version = await testAwsClients(env.aws).ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt!.LaunchTemplateId }),
  );
  expect(version.LaunchTemplateVersions?.[0]?.LaunchTemplateData).toMatchObject({ ImageId: amiId, InstanceType: 't3.micro' });

  const desc = await env.client.workflow.getHandle(task.id).describe();
  expect(desc.searchAttributes.BosunServerGroup).toEqual([name]);
  expect(desc.searchAttributes.BosunApplication).toEqual([app]);
  // A deploy is bulk work: Temporal's default priority, behind resizes and disables.
  expect(desc.raw.workflowExecutionInfo?.priority?.priorityKey).toBe(3);

  // The next deploy in the cluster takes the next sequence number.
  const { task: second } = await env.run([{ basicAmazonDeployDescription: deploy(app) }]);
  expect(second.resultObjects[1]).toMatchObject({ serverGroupNames: [`${REGION}:${app}-main-v001`] });
});

test('one server group per region key of availabilityZones', async () => {
  const app = uniqueName('multi');
  const { task } = await env.run([
    {
      createServerGroup: deploy(app, { imageId: undefined, availabilityZones: { [REGION]: ['us-east-1a'], 'us-west-2': ['us-west-2a'] } }),
    },
  ]);
  expect(task.status.failed).toBe(false);
  expect(task.resultObjects[0]).toMatchObject({
    serverGroupNames: [`${REGION}:${app}-main-v000`, `us-west-2:${app}-main-v000`],
    serverGroupNameByRegion: { [REGION]: `${app}-main-v000`, 'us-west-2': `${app}-main-v000` },
  });
  expect(await groupsOf(`${app}-main`, 'us-west-2')).toHaveLength(1);
});

test('bad deploy descriptions are refused with every field named', async () => {
  const errors = await badRequestErrors(`${env.facadeUrl}/aws/ops`, [
    {
      createServerGroup: {
        credentials: ACCOUNT,
        application: 'bad-app',
        capacity: { min: 3, max: 1, desired: 2 },
        suspendedProcesses: ['Nap'],
      },
    },
  ]);
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].createServerGroup.application: may hold only letters, digits and . _ ~ ^',
      expect.stringContaining('[0].createServerGroup.availabilityZones: is required'),
      '[0].createServerGroup.capacity.min: min 3 is greater than max 1',
      '[0].createServerGroup.amiName: is required (an AMI name or id)',
      '[0].createServerGroup.instanceType: is required',
      expect.stringContaining('[0].createServerGroup.suspendedProcesses.0: must be one of Launch'),
    ]),
  );
});

test('an image that does not exist fails the deploy before anything is created', async () => {
  const app = uniqueName('noimg');
  const { task } = await env.run([{ createServerGroup: deploy(app, { amiName: 'no-such-image-*-1999' }) }]);
  expect(task.status).toMatchObject({ failed: true, retryable: false });
  expect(task.resultObjects[0]).toMatchObject({
    type: 'EXCEPTION',
    cause: 'ImageNotFound',
    message: `image no-such-image-*-1999 not found in ${REGION} (${ACCOUNT})`,
  });
  expect(await groupsOf(`${app}-main`)).toHaveLength(0);
  expect(await templatesOf(`${app}-main`)).toHaveLength(0);
});

test('a missing target group is named and nothing is created', async () => {
  const app = uniqueName('notg');
  const { task } = await env.run([{ createServerGroup: deploy(app, { targetGroups: ['no-such-tg'] }) }]);
  expect(task.resultObjects[0]).toMatchObject({ cause: 'DeployResourceNotFound' });
  expect(String(task.resultObjects[0]!.message)).toContain("not found: target group 'no-such-tg'");
  expect(await groupsOf(`${app}-main`)).toHaveLength(0);
});

test('lost answers from AWS never make a second template, group or name', async () => {
  const app = uniqueName('idem');
  faults.loseAnswer('createServerGroupLaunchTemplate', mentions(`${app}-main`));
  faults.loseAnswer('createAutoScalingGroup', mentions(`${app}-main`));
  faults.loseAnswer('chooseServerGroupName', mentions(`${app}-main`));
  const { task } = await env.run([{ createServerGroup: deploy(app) }]);
  expect(task.status.failed).toBe(false);
  expect(faults.calls('createAutoScalingGroup', mentions(`${app}-main`))).toBe(2);
  expect(faults.calls('createServerGroupLaunchTemplate', mentions(`${app}-main`))).toBe(2);
  const groups = await groupsOf(`${app}-main`);
  expect(groups.map((g) => g.AutoScalingGroupName)).toEqual([`${app}-main-v000`]);
  expect(groups[0]!.Instances).toHaveLength(2);
  expect(await templatesOf(`${app}-main`)).toHaveLength(1);
});

test('a failure after the group was created rolls back the group and its launch template', async () => {
  const app = uniqueName('rollback');
  faults.fail('waitForServerGroupCapacity', mentions(`${app}-main`));
  const { task } = await env.run([{ createServerGroup: deploy(app, { waitForHealthyPercentage: 50 }) }]);
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(task.resultObjects[0]).toMatchObject({ cause: 'InjectedFailure' });
  expect(task.history.map((h) => h.status)).toEqual(
    expect.arrayContaining([
      `Rolling back: delete ${app}-main-v000 and its launch template in ${REGION}`,
      `Rolled back ${app}-main-v000 in ${REGION}: group deleted, launch template deleted`,
    ]),
  );
  expect(await groupsOf(`${app}-main`)).toHaveLength(0);
  expect(await templatesOf(`${app}-main`)).toHaveLength(0);
});

test('cloneServerGroup copies the source group and lets explicit fields win', async () => {
  const app = uniqueName('clone');
  const tgName = uniqueName('tgc');
  const tgArn = await createTargetGroup(tgName);
  await env.run([
    { createServerGroup: deploy(app, { targetGroups: [tgName], tags: { team: 'search' }, suspendedProcesses: ['AZRebalance'] }) },
  ]);
  const { task } = await env.run(
    {
      credentials: ACCOUNT,
      source: { account: ACCOUNT, region: REGION, asgName: `${app}-main-v000` },
      capacity: { min: 0, max: 5, desired: 1 },
      instanceType: 'm5.large',
    },
    { path: '/aws/ops/cloneServerGroup' },
  );
  expect(task.status.failed).toBe(false);
  expect(task.resultObjects[1]).toMatchObject({ serverGroupNames: [`${REGION}:${app}-main-v001`] });
  const clone = (await groupsOf(`${app}-main`)).find((g) => g.AutoScalingGroupName === `${app}-main-v001`)!;
  expect(clone).toMatchObject({ MinSize: 0, MaxSize: 5, DesiredCapacity: 1, TargetGroupARNs: [tgArn] });
  expect(clone.SuspendedProcesses?.map((p) => p.ProcessName)).toEqual(['AZRebalance']);
  expect(Object.fromEntries((clone.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
    team: 'search',
    'bosun:created-by-task': `${task.id}/0`,
  });
  const lt = (await templatesOf(`${app}-main`)).find((t) => t.LaunchTemplateName === `${app}-main-v001`)!;
  const version = await testAwsClients(env.aws).ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.LaunchTemplateId }),
  );
  expect(version.LaunchTemplateVersions?.[0]?.LaunchTemplateData).toMatchObject({ ImageId: amiId, InstanceType: 'm5.large' });
});

test('cloning a group that does not exist fails with its name', async () => {
  const { task } = await env.run([
    { copyLastAsgDescription: { credentials: ACCOUNT, source: { region: REGION, asgName: 'ghost-main-v042' } } },
  ]);
  expect(task.resultObjects[0]).toMatchObject({
    cause: 'ServerGroupNotFound',
    message: `source server group ghost-main-v042 not found in ${REGION} (${ACCOUNT}), nor any other group of ghost-main, and the request lacks availabilityZones, capacity, amiName, instanceType to deploy without one`,
  });
});

test('allowLaunchDescription then createServerGroup in one task: the deploy uses the image resolved before it', async () => {
  const app = uniqueName('allow');
  const { task } = await env.run([
    { allowLaunchDescription: { account: 'staging', credentials: ACCOUNT, amiName, region: REGION } },
    { createServerGroup: deploy(app, { credentials: ACCOUNT }) },
  ]);
  expect(task.status.failed).toBe(false);
  const statuses = task.history.map((h) => h.status);
  expect(statuses).toEqual(
    expect.arrayContaining([
      'Processing op: allowLaunchDescription',
      expect.stringContaining(`Allowed staging to launch ${amiId}`),
      'Processing op: createServerGroup',
    ]),
  );
  expect(task.resultObjects).toEqual([
    { amiName, amiId, region: REGION },
    expect.objectContaining({ serverGroupNames: [`${REGION}:${app}-main-v000`] }),
  ]);
  const perms = await testAwsClients(env.aws).ec2.send(
    new DescribeImageAttributeCommand({ ImageId: amiId, Attribute: 'launchPermission' }),
  );
  expect(perms.LaunchPermissions).toEqual(expect.arrayContaining([{ UserId: '210987654321' }]));
  const desc = await env.client.workflow.getHandle(task.id).describe();
  expect(desc.type).toBe('orchestration');
  expect(desc.searchAttributes.BosunOperation).toEqual(['allowLaunchDescription', 'createServerGroup']);

  // A deploy in the account the image was resolved for reuses it without resolving again.
  const { task: reuse } = await env.run([
    { allowLaunchDescription: { account: ACCOUNT, credentials: ACCOUNT, amiName, region: REGION } },
    { createServerGroup: deploy(`${app}x`) },
  ]);
  expect(reuse.history.map((h) => h.status)).toContain(`Using ${amiId} for ${amiName}, resolved earlier in this task`);
});

test('the first failing operation stops the task: later operations never run', async () => {
  const app = uniqueName('stop');
  const { task } = await env.run([
    { allowLaunchDescription: { account: ACCOUNT, credentials: ACCOUNT, amiName: 'no-such-image-2000', region: REGION } },
    { createServerGroup: deploy(app) },
  ]);
  expect(task.status.failed).toBe(true);
  expect(task.resultObjects[0]).toMatchObject({ operation: 'allowLaunchDescription', cause: 'ImageNotFound' });
  expect(task.history.map((h) => h.status)).not.toContain('Processing op: createServerGroup');
  expect(await groupsOf(`${app}-main`)).toHaveLength(0);
});

test('cancelling a deploy while it waits rolls back what it created', async () => {
  const app = uniqueName('cancel');
  faults.hang('waitForServerGroupCapacity', mentions(`${app}-main`));
  const res = await post(`${env.facadeUrl}/aws/ops`, [{ createServerGroup: deploy(app, { waitForHealthyPercentage: 100 }) }]);
  const id = (res.body as { id: string }).id;
  await faults.untilCalled('waitForServerGroupCapacity', mentions(`${app}-main`));
  expect(await groupsOf(`${app}-main`)).toHaveLength(1);
  const task = await cancelTask(env, faults, id);
  expect(task.history.map((h) => h.status)).toContain(`Rolled back ${app}-main-v000 in ${REGION}: group deleted, launch template deleted`);
  expect(await groupsOf(`${app}-main`)).toHaveLength(0);
  expect(await templatesOf(`${app}-main`)).toHaveLength(0);
});

test('user data reaches AWS but never Temporal in clear; the codec endpoint decodes it for the UI', async () => {
  const app = uniqueName('secret');
  const userData = Buffer.from('#!/bin/sh\nexport DB_PASSWORD=hunter2\n').toString('base64');
  const { task } = await env.run([{ createServerGroup: deploy(app, { base64UserData: userData }) }]);
  expect(task.status.failed).toBe(false);
  const [lt] = await templatesOf(`${app}-main`);
  const version = await testAwsClients(env.aws).ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt!.LaunchTemplateId }),
  );
  expect(version.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData).toBe(userData);

  const history = await env.client.workflow.getHandle(task.id).fetchHistory();
  // Every stored payload as text: without the codec, the JSON input (and activity inputs) would hold it.
  const stored = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
  expect(stored).toContain('"encryption-key-id"');
  expect(stored).not.toContain(userData);

  const started = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  expect(Buffer.from(started.metadata!.encoding!).toString()).toBe('binary/encrypted');
  // The codec endpoint is its own listener with a token (client/facade/codec-endpoint.ts), never the Orca one.
  const token = 'a-test-token-of-at-least-32-characters';
  const codec = await createCodecServer({
    codec: env.client.options.loadedDataConverter.payloadCodecs[0]!,
    token,
    corsOrigins: [],
    logger: silentLogger,
  });
  const codecUrl = await codec.listen(0, '127.0.0.1');
  try {
    const res = await post(
      `${codecUrl}/decode`,
      {
        payloads: [
          {
            metadata: Object.fromEntries(Object.entries(started.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
            data: Buffer.from(started.data!).toString('base64'),
          },
        ],
      },
      { authorization: `Bearer ${token}` },
    );
    expect(res.status).toBe(200);
    const decoded = (res.body as { payloads: { data: string }[] }).payloads[0]!;
    expect(Buffer.from(decoded.data, 'base64').toString()).toContain(userData);
  } finally {
    await codec.close();
  }
});
