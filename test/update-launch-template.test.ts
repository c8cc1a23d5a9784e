/**
 * updateLaunchTemplate end to end: the facade over HTTP, a real worker and Temporal server, the
 * real AWS SDK against moto. moto has no DeleteLaunchTemplateVersions (it answers an HTML 500
 * that would be retried for the whole retry window), so the rollback's delete is replaced by a
 * recording fake and the tests check it was asked to delete the right version. On AWS the same
 * rollback really deletes it.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import type { Activities } from '../activities';
import { FaultPlan, mentions } from './faults';
import { ACCOUNT, cancelTask, REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { badRequestErrors, post, waitForHistory } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

const faults = new FaultPlan();

function withTestDoubles(real: Activities): Activities {
  return { ...real, deleteLaunchTemplateVersion: async () => ({ deleted: true }) };
}

const env = useTestEnv({ activities: withTestDoubles, faults });
let image: { id: string; name: string };
beforeAll(async () => {
  const out = await testAwsClients(env.aws).ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-760aaa0f'] }));
  image = { id: out.Images![0]!.ImageId!, name: out.Images![0]!.Name! };
});

const makeGroup = async (prefix: string) => (await makeServerGroup(env, { prefix })).name;

async function groupTemplate(name: string) {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups![0]!.LaunchTemplate!;
}

async function versionsOf(launchTemplateId: string) {
  const out = await testAwsClients(env.aws).ec2.send(
    new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, MaxResults: 50 }),
  );
  return out.LaunchTemplateVersions ?? [];
}

test('a new version with only the changed fields, and the group pointed at it', async () => {
  const name = await makeGroup('ltapp');
  const { task } = await env.run([
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
      expect.stringMatching(
        new RegExp(`^Creating a version of launch template ${name}-lt from version 1 for ${name} in ${REGION}: image ${image.id} \\(`),
      ),
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
  const { task } = await env.run(
    { credentials: ACCOUNT, region: REGION, asgName: name, instanceType: 'c5.xlarge' },
    { path: '/ops/modifyServerGroupLaunchTemplateDescription' },
  );
  expect(task.status.failed).toBe(false);
  expect(faults.calls('createLaunchTemplateVersion', mentions(name))).toBe(2);
  expect(faults.calls('pointServerGroupAtLaunchTemplateVersion', mentions(name))).toBe(2);
  expect(task.history.map((h) => h.status)).toContain(
    `Found version 2 of launch template ${name}-lt; pointing ${name} in ${REGION} at it (was $Latest)`,
  );
  const lt = await groupTemplate(name);
  expect(lt.Version).toBe('2');
  expect((await versionsOf(lt.LaunchTemplateId!)).map((v) => v.VersionNumber)).toEqual([1, 2]);
});

test('when the group cannot be pointed at the new version, the version is deleted again', async () => {
  const name = await makeGroup('ltundo');
  faults.fail('pointServerGroupAtLaunchTemplateVersion', mentions(name));
  const { task } = await env.run([
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: name, ebsOptimized: true } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.resultObjects.find((r) => r.type === 'EXCEPTION')).toMatchObject({
    operation: 'updateLaunchTemplate',
    cause: 'InjectedFailure',
  });
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
  // The first pointing at the new version hangs (the rollback's pointing names the version it expects).
  // Heartbeats are throttled, so a cancellation may reach it late: the test also releases it.
  faults.hang(
    'pointServerGroupAtLaunchTemplateVersion',
    (input) => mentions(name)(input) && (input as { onlyIfCurrentVersion?: unknown }).onlyIfCurrentVersion === undefined,
  );
  const submit = await post(`${env.facadeUrl}/aws/ops`, [
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: name, instanceType: 'm5.large' } },
  ]);
  const id = (submit.body as { id: string }).id;
  await waitForHistory(env.facadeUrl, id, (status) => status.includes('; pointing '));
  const task = await cancelTask(env, faults, id);
  expect(task.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', cause: 'Cancelled' });
  expect(task.history.map((h) => h.status)).toEqual(
    expect.arrayContaining([
      `Rolling back: delete version 2 of launch template ${name}-lt made for ${name} in ${REGION}`,
      'Orchestration cancelled during updateLaunchTemplate.',
    ]),
  );
  const lt = await groupTemplate(name);
  expect(lt.Version).toBe('$Latest');
  expect(
    faults.calls('deleteLaunchTemplateVersion', (i) => (i as { launchTemplateId: string }).launchTemplateId === lt.LaunchTemplateId),
  ).toBe(1);
});

test('security groups go on the primary network interface when the template defines interfaces', async () => {
  const { name } = await makeServerGroup(env, {
    prefix: 'ltnic',
    launchTemplateData: {
      ImageId: image.id,
      InstanceType: 't3.micro',
      NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: ['sg-00000000000000001'] }],
    },
  });
  const { task } = await env.run(
    { credentials: ACCOUNT, region: REGION, serverGroupName: name, securityGroups: ['sg-00000000000000002', 'sg-00000000000000003'] },
    { path: '/aws/ops/updateLaunchTemplate' },
  );
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
  const [{ task: noImage }, { task: noGroup }] = await Promise.all([
    env.run([{ updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: name, amiName: 'no-such-ami-name' } }]),
    env.run([{ updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: ghost, instanceType: 'm5.large' } }]),
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
  const errors = await badRequestErrors(`${env.facadeUrl}/aws/ops`, [
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: 'app-v001' } },
    {
      updateLaunchTemplate: {
        credentials: ACCOUNT,
        region: REGION,
        serverGroupName: 'app-v001',
        securityGroups: [{ id: 'sg-1' }],
        instanceType: 'huge',
      },
    },
  ]);
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].updateLaunchTemplate: must change at least one of imageId, amiName, instanceType, keyPair, securityGroups, iamRole, base64UserData, instanceMonitoring, ebsOptimized',
      '[1].updateLaunchTemplate.securityGroups.0: must be a security group name or id',
      '[1].updateLaunchTemplate.instanceType: must be an EC2 instance type such as m5.large',
    ]),
  );
});

test("security groups named as Deck names them are resolved in the group's VPC; securityGroupsAppendOnly adds them to the current ones", async () => {
  const aws = testAwsClients(env.aws);
  const vpcId = (await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!;
  const web = uniqueName('web');
  const webId = (await aws.ec2.send(new CreateSecurityGroupCommand({ GroupName: web, Description: 'web', VpcId: vpcId }))).GroupId!;
  const defaultId = (
    await aws.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'group-name', Values: ['default'] },
          { Name: 'vpc-id', Values: [vpcId] },
        ],
      }),
    )
  ).SecurityGroups![0]!.GroupId!;
  const name = (
    await makeServerGroup(env, {
      prefix: 'ltsg',
      launchTemplateData: { ImageId: image.id, InstanceType: 't3.micro', SecurityGroupIds: [defaultId] },
    })
  ).name;

  const replaced = await env.run([
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: name, securityGroups: [web] } },
  ]);
  expect(replaced.task.status).toMatchObject({ completed: true, failed: false });
  const lt = await groupTemplate(name);
  const versions = await versionsOf(lt.LaunchTemplateId!);
  expect(versions.find((v) => String(v.VersionNumber) === lt.Version)?.LaunchTemplateData?.SecurityGroupIds).toEqual([webId]);

  const appended = await env.run([
    {
      updateLaunchTemplate: {
        credentials: ACCOUNT,
        region: REGION,
        serverGroupName: name,
        securityGroups: ['default'],
        securityGroupsAppendOnly: true,
      },
    },
  ]);
  expect(appended.task.status).toMatchObject({ completed: true, failed: false });
  expect(appended.task.history.map((h) => h.status)).toContain(
    `Updated ${name} in ${REGION} to version 3 of launch template ${name}-lt: security groups + default`,
  );
  const after = await groupTemplate(name);
  expect(after.Version).toBe('3');
  const v3 = (await versionsOf(after.LaunchTemplateId!)).find((v) => v.VersionNumber === 3);
  expect(v3?.LaunchTemplateData?.SecurityGroupIds).toEqual([webId, defaultId]);

  const missing = await env.run([
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, serverGroupName: name, securityGroups: ['no-such-group'] } },
  ]);
  expect(missing.task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(missing.task.resultObjects[0]).toMatchObject({
    cause: 'SecurityGroupNotFound',
    message: expect.stringMatching(/^security group no-such-group not found in vpc-/),
  });
  expect((await groupTemplate(name)).Version).toBe('3');
});
