/**
 * updateLaunchTemplate end to end: the facade over HTTP, a real worker and Temporal server, the
 * real AWS SDK against moto. moto has no DeleteLaunchTemplateVersions (it answers an HTML 500
 * that would be retried for the whole retry window), so the rollback's delete is replaced by a
 * recording fake and the tests check it was asked to delete the right version. On AWS the same
 * rollback really deletes it.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Activities } from '../activities';
import { ensureEmulatorServerGroup } from '../infra/demo';
import { FaultPlan, mentions } from './faults';
import type { TaskJson, TestEnv } from './harness';
import { ACCOUNT, pollTask, post, REGION, startTestEnv, testAwsClients, uniqueName } from './harness';

const faults = new FaultPlan();
/** Groups whose first pointing at a new version hangs until the task is cancelled. */
const hangPointing = new Set<string>();

function withTestDoubles(real: Activities): Activities {
  return faults.wrap({
    ...real,
    deleteLaunchTemplateVersion: async () => ({ deleted: true }),
    async pointServerGroupAtLaunchTemplateVersion(input) {
      if (hangPointing.has(input.serverGroupName) && input.onlyIfCurrentVersion === undefined) {
        const ctx = Context.current();
        // Heartbeats are throttled, so a cancellation may reach this late: the test also releases it.
        while (hangPointing.has(input.serverGroupName)) {
          ctx.heartbeat('hanging');
          await ctx.sleep(100);
        }
        throw ApplicationFailure.nonRetryable('released by the test', 'TestReleased');
      }
      return real.pointServerGroupAtLaunchTemplateVersion(input);
    },
  });
}

let env: TestEnv;
let image: { id: string; name: string };
beforeAll(async () => {
  env = await startTestEnv({ activities: withTestDoubles });
  const out = await testAwsClients(env.aws).ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-760aaa0f'] }));
  image = { id: out.Images![0]!.ImageId!, name: out.Images![0]!.Name! };
});
afterAll(async () => {
  await env.close();
});

async function makeGroup(prefix: string): Promise<string> {
  const name = `${uniqueName(prefix)}-v001`;
  await ensureEmulatorServerGroup(testAwsClients(env.aws), { name, region: REGION });
  return name;
}

async function groupTemplate(name: string) {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups![0]!.LaunchTemplate!;
}

async function versionsOf(launchTemplateId: string) {
  const out = await testAwsClients(env.aws).ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, MaxResults: 50 }));
  return out.LaunchTemplateVersions ?? [];
}

async function run(url: string, body: unknown): Promise<TaskJson & { id: string }> {
  const submit = await post(url, body);
  expect(submit.status).toBe(200);
  const id = (submit.body as { id: string }).id;
  return { ...(await pollTask(env.facadeUrl, id)), id };
}

test('a new version with only the changed fields, and the group pointed at it', async () => {
  const name = await makeGroup('ltapp');
  const task = await run(`${env.facadeUrl}/aws/ops`, [
    {
      updateLaunchTemplate: {
        credentials: ACCOUNT,
        region: REGION,
        serverGroupName: name,
        amiName: image.name,
        instanceType: 'm5.large',
        keyPair: 'ltapp-key',
        securityGroups: ['sg-0123456789abcdef0'],
        iamRole: 'ltapp-instance-profile',
        base64UserData: 'ZWNobyBoZWxsbw==',
        instanceMonitoring: true,
        ebsOptimized: false,
      },
    },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  const lines = task.history.filter((h) => h.phase === 'UPDATE_LAUNCH_TEMPLATE').map((h) => h.status);
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(new RegExp(`^Creating a version of launch template ${name}-lt from version 1 for ${name} in ${REGION}: image ${image.id} \\(`)),
      `Created version 2 of launch template ${name}-lt; pointing ${name} in ${REGION} at it (was $Latest)`,
      expect.stringMatching(new RegExp(`^Updated ${name} in ${REGION} to version 2 of launch template ${name}-lt: `)),
    ]),
  );
  expect(lines.join('\n')).not.toContain('ZWNobyBoZWxsbw==');

  const lt = await groupTemplate(name);
  expect(lt.Version).toBe('2');
  const versions = await versionsOf(lt.LaunchTemplateId!);
  expect(versions).toHaveLength(2);
  expect(versions[1]!.VersionDescription).toMatch(new RegExp(`^\\[bosun ${task.id}#0\\.0\\] image ${image.id}`));
  // moto ignores SourceVersion, so the new version holds exactly what Bosun sent: the changes.
  expect(versions[1]!.LaunchTemplateData).toEqual({
    ImageId: image.id,
    InstanceType: 'm5.large',
    KeyName: 'ltapp-key',
    SecurityGroupIds: ['sg-0123456789abcdef0'],
    IamInstanceProfile: { Name: 'ltapp-instance-profile' },
    UserData: 'ZWNobyBoZWxsbw==',
    Monitoring: { Enabled: true },
    EbsOptimized: false,
  });

  const desc = await env.client.workflow.getHandle(task.id).describe();
  expect(desc.type).toBe('updateLaunchTemplate');
  expect(desc.searchAttributes).toMatchObject({ BosunServerGroup: [name], BosunTaskStatus: ['SUCCEEDED'] });
});

test('lost answers are retried without a second version (legacy key, single-operation form)', async () => {
  const name = await makeGroup('ltlost');
  faults.loseAnswer('createLaunchTemplateVersion', mentions(name)).loseAnswer('pointServerGroupAtLaunchTemplateVersion', mentions(name));
  const task = await run(`${env.facadeUrl}/ops/modifyServerGroupLaunchTemplateDescription`, {
    credentials: ACCOUNT,
    region: REGION,
    asgName: name,
    instanceType: 'c5.xlarge',
  });
  expect(task.status.failed).toBe(false);
  expect(faults.calls('createLaunchTemplateVersion', mentions(name))).toBe(2);
  expect(faults.calls('pointServerGroupAtLaunchTemplateVersion', mentions(name))).toBe(2);
  expect(task.history.map((h) => h.status)).toContain(`Found version 2 of launch template ${name}-lt; pointing ${name} in ${REGION} at it (was $Latest)`);
  const lt = await groupTemplate(name);
  expect(lt.Version).toBe('2');
  expect((await versionsOf(lt.LaunchTemplateId!)).map((v) => v.VersionNumber)).toEqual([1, 2]);
});

test('when the group cannot be pointed at the new version, the version is deleted again', async () => {
  const name = await makeGroup('ltundo');
  faults.fail('pointServerGroupAtLaunchTemplateVersion', mentions(name));
  const task = await run(`${env.facadeUrl}/aws/ops`, [
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: name, ebsOptimized: true } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.resultObjects.find((r) => r.type === 'EXCEPTION')).toMatchObject({ operation: 'updateLaunchTemplate', cause: 'InjectedFailure' });
  expect(task.history.map((h) => h.status)).toEqual(
    expect.arrayContaining([
      `Rolling back: delete version 2 of launch template ${name}-lt made for ${name} in ${REGION}`,
      `Deleted version 2 of launch template ${name}-lt; ${name} in ${REGION} uses version $Latest again`,
    ]),
  );
  const lt = await groupTemplate(name);
  expect(lt.Version).toBe('$Latest');
  expect(
    faults.calls('deleteLaunchTemplateVersion', (i) => {
      const input = i as { launchTemplateId: string; versionNumber: number };
      return input.launchTemplateId === lt.LaunchTemplateId && input.versionNumber === 2;
    }),
  ).toBe(1);
  // The rollback looked before pointing the group back: it was never moved, so it stayed put.
  expect(faults.calls('pointServerGroupAtLaunchTemplateVersion', mentions(name))).toBe(2);
});

test('a task cancelled while pointing the group deletes the new version', async () => {
  const name = await makeGroup('ltcancel');
  hangPointing.add(name);
  const submit = await post(`${env.facadeUrl}/aws/ops`, [
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: name, instanceType: 'm5.large' } },
  ]);
  const id = (submit.body as { id: string }).id;
  for (let i = 0; i < 100; i++) {
    const t = (await (await fetch(`${env.facadeUrl}/task/${id}`)).json()) as TaskJson;
    if (t.history.some((h) => h.status.includes('; pointing '))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await post(`${env.facadeUrl}/task/${id}/cancel`, '')).status).toBe(202);
  const task = await pollTask(env.facadeUrl, id);
  hangPointing.delete(name);
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(task.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', cause: 'Cancelled' });
  expect(task.history.map((h) => h.status)).toEqual(
    expect.arrayContaining([
      `Rolling back: delete version 2 of launch template ${name}-lt made for ${name} in ${REGION}`,
      'Orchestration cancelled during updateLaunchTemplate.',
    ]),
  );
  const lt = await groupTemplate(name);
  expect(lt.Version).toBe('$Latest');
  expect(faults.calls('deleteLaunchTemplateVersion', (i) => (i as { launchTemplateId: string }).launchTemplateId === lt.LaunchTemplateId)).toBe(1);
});

test('security groups go on the primary network interface when the template defines interfaces', async () => {
  const name = `${uniqueName('ltnic')}-v001`;
  await testAwsClients(env.aws).ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${name}-lt`,
      LaunchTemplateData: {
        ImageId: image.id,
        InstanceType: 't3.micro',
        NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: ['sg-00000000000000001'] }],
      },
    }),
  );
  await ensureEmulatorServerGroup(testAwsClients(env.aws), { name, region: REGION });
  const task = await run(`${env.facadeUrl}/aws/ops/updateLaunchTemplate`, {
    credentials: ACCOUNT,
    region: REGION,
    serverGroupName: name,
    securityGroups: ['sg-00000000000000002', 'sg-00000000000000003'],
  });
  expect(task.status.failed).toBe(false);
  const data = (await versionsOf((await groupTemplate(name)).LaunchTemplateId!))[1]!.LaunchTemplateData!;
  expect(data.SecurityGroupIds).toBeUndefined();
  expect(data.NetworkInterfaces).toEqual([
    expect.objectContaining({ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: ['sg-00000000000000002', 'sg-00000000000000003'] }),
  ]);
});

test('an unknown AMI name and a missing group fail the task with an EXCEPTION that names them', async () => {
  const name = await makeGroup('ltnoami');
  const ghost = `${uniqueName('ltghost')}-v001`;
  const [noImage, noGroup] = await Promise.all([
    run(`${env.facadeUrl}/aws/ops`, [{ updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: name, amiName: 'no-such-ami-name' } }]),
    run(`${env.facadeUrl}/aws/ops`, [{ updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: ghost, instanceType: 'm5.large' } }]),
  ]);
  expect(noImage.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(noImage.resultObjects.find((r) => r.type === 'EXCEPTION')).toMatchObject({
    operation: 'updateLaunchTemplate',
    cause: 'ImageNotFound',
    message: `no available image named no-such-ami-name in ${REGION} (${ACCOUNT})`,
  });
  expect(noImage.history.at(-1)?.status).toBe(
    `Orchestration failed: updateLaunchTemplate | ImageNotFound: [no available image named no-such-ami-name in ${REGION} (${ACCOUNT})]`,
  );
  expect(await versionsOf((await groupTemplate(name)).LaunchTemplateId!)).toHaveLength(1);

  expect(noGroup.resultObjects.find((r) => r.type === 'EXCEPTION')).toMatchObject({
    cause: 'ServerGroupNotFound',
    message: `server group ${ghost} not found in ${REGION} (${ACCOUNT}); its launch template was not changed`,
  });
});

test('bad input is a 400 that names each field', async () => {
  const res = await post(`${env.facadeUrl}/aws/ops`, [
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: 'app-v001' } },
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: 'app-v001', securityGroups: ['default'], instanceType: 'huge' } },
  ]);
  expect(res.status).toBe(400);
  expect((res.body as { errors: string[] }).errors).toEqual(
    expect.arrayContaining([
      '[0].updateLaunchTemplate: must change at least one of imageId, amiName, instanceType, keyPair, securityGroups, iamRole, base64UserData, instanceMonitoring, ebsOptimized',
      '[1].updateLaunchTemplate.securityGroups.0: must be a security group id such as sg-0abc1234',
      '[1].updateLaunchTemplate.instanceType: must be an EC2 instance type such as m5.large',
    ]),
  );
});
