/**
 * updateLaunchConfig end to end: the facade over HTTP, a real worker and Temporal server, the
 * real AWS SDK against moto, for groups built from a launch configuration.
 */
import { DescribeAutoScalingGroupsCommand, DescribeLaunchConfigurationsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { FaultPlan, mentions } from './faults';
import { ACCOUNT, REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { emulatorAl2023Image } from './support/instances';
import { badRequestErrors } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

const faults = new FaultPlan();
const env = useTestEnv({ faults });
const aws = () => testAwsClients(env.aws);

async function defaultVpc(): Promise<string> {
  const out = await aws().ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  return out.Vpcs![0]!.VpcId!;
}

async function securityGroupId(name: string): Promise<string> {
  const out = await aws().ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: [name] },
        { Name: 'vpc-id', Values: [await defaultVpc()] },
      ],
    }),
  );
  return out.SecurityGroups![0]!.GroupId!;
}

async function launchConfigurationOf(group: string): Promise<string | undefined> {
  const out = await aws().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
  return out.AutoScalingGroups?.[0]?.LaunchConfigurationName;
}

async function launchConfiguration(name: string) {
  const out = await aws().autoScaling.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [name] }));
  return out.LaunchConfigurations?.[0];
}

/** A group on a launch configuration with the settings an older application's group has. */
async function makeLcGroup(prefix: string) {
  const sg = await securityGroupId('default');
  const g = await makeServerGroup(env, {
    prefix,
    launchConfiguration: {
      KeyName: 'old-key',
      SecurityGroups: [sg],
      UserData: 'ZWNobyBvbGQ=',
      InstanceMonitoring: { Enabled: true },
      BlockDeviceMappings: [{ DeviceName: '/dev/sdb', Ebs: { VolumeSize: 40, VolumeType: 'gp3' } }],
      MetadataOptions: { HttpTokens: 'required' },
    },
  });
  return { ...g, lc: g.launchConfigurationName!, sg };
}

const statuses = (task: { history: { status: string }[] }) => task.history.map((h) => h.status);

test('a new launch configuration from the current one with the changes laid over it, the group swapped onto it, the old one kept', async () => {
  const g = await makeLcGroup('ulc');
  const web = uniqueName('web');
  const webId = (await aws().ec2.send(new CreateSecurityGroupCommand({ GroupName: web, Description: 'web', VpcId: await defaultVpc() })))
    .GroupId!;
  const image = await emulatorAl2023Image(aws().ec2);

  const { id, task } = await env.run([
    {
      updateLaunchConfig: {
        credentials: ACCOUNT,
        region: REGION,
        asgName: g.name,
        amiName: image.name,
        instanceType: 'm5.large',
        iamRole: 'ulc-profile',
        securityGroups: [web],
        securityGroupsAppendOnly: true,
        instanceMonitoring: false,
        spotPrice: '0.05',
      },
    },
  ]);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  const created = (task.resultObjects[0] as { launchConfigurationName: string }).launchConfigurationName;
  expect(task.resultObjects).toEqual([{ launchConfigurationName: created }]);
  // The fixture's name ends in a timestamp; the new one replaces it with the task's time.
  expect(created).toMatch(new RegExp(`^${g.name}-\\d{14}$`));
  expect(task.history.filter((h) => h.phase === 'MODIFY_ASG_LAUNCH_CONFIGURATION').map((h) => h.status)).toEqual([
    'Initializing operation...',
    `Creating launch configuration ${created} from ${g.lc} for ${g.name} in ${REGION}: image ${image.imageId} (${image.name}), instance type m5.large, security groups + ${webId}, IAM role ulc-profile, detailed monitoring off, spot price 0.05`,
    `Created launch configuration ${created}; pointing ${g.name} in ${REGION} at it (was ${g.lc})`,
    `completed for ${g.name} in ${REGION}.`,
  ]);
  expect(await launchConfigurationOf(g.name)).toBe(created);
  expect(await launchConfiguration(created)).toMatchObject({
    ImageId: image.imageId,
    InstanceType: 'm5.large',
    IamInstanceProfile: 'ulc-profile',
    SpotPrice: '0.05',
    InstanceMonitoring: { Enabled: false },
    // Kept from the current configuration.
    KeyName: 'old-key',
    SecurityGroups: [g.sg, webId],
    UserData: 'ZWNobyBvbGQ=',
    BlockDeviceMappings: [
      expect.objectContaining({ DeviceName: '/dev/sdb', Ebs: expect.objectContaining({ VolumeSize: 40, VolumeType: 'gp3' }) }),
    ],
    MetadataOptions: expect.objectContaining({ HttpTokens: 'required' }),
  });
  // Clouddriver leaves the old configuration in place.
  expect(await launchConfiguration(g.lc)).toBeDefined();

  const desc = await env.client.workflow.getHandle(id).describe();
  expect(desc.type).toBe('updateLaunchConfig');
  expect(await desc.staticSummary()).toMatch(
    `update the launch configuration of ${g.name} in ${REGION}: image ${image.name}, instance type m5.large`,
  );
});

test("Orca's pair [allowLaunchDescription, updateLaunchConfig]: the image the first resolved is the one the configuration gets", async () => {
  const g = await makeLcGroup('ulcallow');
  const image = await emulatorAl2023Image(aws().ec2);
  const lookups = faults.calls('resolveLaunchTemplateImage', mentions(image.name));
  const { task } = await env.run([
    { allowLaunchDescription: { account: ACCOUNT, credentials: ACCOUNT, amiName: image.name, region: REGION } },
    { updateLaunchConfig: { credentials: ACCOUNT, region: REGION, asgName: g.name, amiName: image.name, cloudProvider: 'aws' } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('resolveLaunchTemplateImage', mentions(image.name))).toBe(lookups);
  const created = (task.resultObjects[1] as { launchConfigurationName: string }).launchConfigurationName;
  expect(await launchConfiguration(created)).toMatchObject({ ImageId: image.imageId, KeyName: 'old-key' });
});

test('the legacy key with nothing that differs makes no configuration and answers the current one, as Clouddriver does', async () => {
  const g = await makeLcGroup('ulcsame');
  const { task } = await env.run(
    { credentials: ACCOUNT, region: REGION, asgName: g.name, keyPair: 'old-key', securityGroups: [g.sg] },
    { path: '/ops/modifyAsgLaunchConfigurationDescription' },
  );
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.resultObjects).toEqual([{ launchConfigurationName: g.lc }]);
  expect(statuses(task)).toContain(`No changes required for launch configuration on ${g.name} in ${REGION}`);
  expect(faults.calls('createLaunchConfiguration', mentions(g.name))).toBe(0);
});

test('when the swap fails, the new configuration is deleted and the group stays on its own', async () => {
  const g = await makeLcGroup('ulcfail');
  faults.fail('pointServerGroupAtLaunchConfiguration', mentions(g.name));

  const { task } = await env.run([
    { updateLaunchConfig: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name, instanceType: 'm5.large' } },
  ]);

  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  const line = statuses(task).find((s) => s.startsWith('Deleted launch configuration '));
  expect(line).toMatch(new RegExp(`^Deleted launch configuration ${g.name}-\\d{14}; ${g.name} in ${REGION} uses ${g.lc} again$`));
  const made = line!.split(' ')[3]!.replace(/;$/, '');
  expect(await launchConfiguration(made)).toBeUndefined();
  expect(await launchConfigurationOf(g.name)).toBe(g.lc);
});

test('a create whose answer was lost adopts the configuration it made: one configuration, the group on it', async () => {
  const g = await makeLcGroup('ulclost');
  faults.loseAnswer('createLaunchConfiguration', mentions(g.name)).loseAnswer('pointServerGroupAtLaunchConfiguration', mentions(g.name));

  const { task } = await env.run([
    { updateLaunchConfig: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name, ebsOptimized: true } },
  ]);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('createLaunchConfiguration', mentions(g.name))).toBe(2);
  const created = (task.resultObjects[0] as { launchConfigurationName: string }).launchConfigurationName;
  expect(await launchConfigurationOf(g.name)).toBe(created);
  expect(await launchConfiguration(created)).toMatchObject({ EbsOptimized: true, KeyName: 'old-key' });
  const all = await aws().autoScaling.send(new DescribeLaunchConfigurationsCommand({}));
  expect(
    (all.LaunchConfigurations ?? [])
      .filter((l) => l.LaunchConfigurationName?.startsWith(`${g.name}-`))
      .map((l) => l.LaunchConfigurationName)
      .sort(),
  ).toEqual([g.lc, created].sort());
});

test('a launch-template group, and a security group not in the VPC, are failures that name them; nothing changes', async () => {
  const lt = await makeServerGroup(env, { prefix: 'ulclt' });
  const a = await env.run([
    { updateLaunchConfig: { credentials: ACCOUNT, region: REGION, serverGroupName: lt.name, instanceType: 'm5.large' } },
  ]);
  expect(a.task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(a.task.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', operation: 'updateLaunchConfig', cause: 'NoLaunchConfiguration' });

  const g = await makeLcGroup('ulcsg');
  const b = await env.run([
    { updateLaunchConfig: { credentials: ACCOUNT, region: REGION, serverGroupName: g.name, securityGroups: ['no-such-group'] } },
  ]);
  expect(b.task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(b.task.resultObjects[0]).toMatchObject({ cause: 'SecurityGroupNotFound' });
  expect(b.task.resultObjects[0]?.message).toMatch(/^security group no-such-group not found in vpc-/);
  expect(await launchConfigurationOf(g.name)).toBe(g.lc);
});

test('bad descriptions are 400s that name each field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [
      {
        updateLaunchConfig: {
          credentials: ACCOUNT,
          region: REGION,
          asgName: 'app-v001',
          associatePublicIpAddress: true,
          blockDevices: [{ deviceName: '/dev/sdb' }],
        },
      },
      { updateLaunchConfig: { region: REGION, instanceMonitoring: 'yes' } },
    ],
    { 'x-spinnaker-accounts': ACCOUNT },
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].updateLaunchConfig.associatePublicIpAddress: needs subnetType (the subnets the instances launch into)',
      '[0].updateLaunchConfig.blockDevices.0.size: is required for an EBS block device',
      '[1].updateLaunchConfig.credentials: is required (the account name)',
      '[1].updateLaunchConfig.instanceMonitoring: must be true or false',
    ]),
  );
});
