/**
 * Choosing the next name reads the application's groups, not the region's: against moto, with
 * more than one page of the cluster's groups and more than a page of other applications' groups,
 * counted on the wire. A group of the cluster made outside Spinnaker (no application tag) still
 * counts, through the fallback to the region scan.
 */
import type { Tag } from '@aws-sdk/client-auto-scaling';
import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClients } from '../activities';
import { createServerGroupNamingActivities } from '../activities/server-group-naming';
import type { CommandRecorder } from './harness';
import { ACCOUNT, recordAwsCommands, REGION, testAwsClients, testAwsProvider, uniqueName } from './harness';
import { emulatorImageId } from './support/instances';

const aws = testAwsProvider();
let clients: AwsClients;
let recorder: CommandRecorder;
let template: string;
const { chooseServerGroupName } = createServerGroupNamingActivities({ aws });

beforeAll(async () => {
  clients = testAwsClients(aws);
  recorder = recordAwsCommands(clients);
  template = uniqueName('naming-lt-');
  await clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: template,
      LaunchTemplateData: { ImageId: await emulatorImageId(clients), InstanceType: 't3.micro' },
    }),
  );
});

afterAll(() => aws.destroy());

/** Empty groups (no instances), so a hundred of them take seconds. */
async function makeGroups(names: readonly string[], tags: Tag[]): Promise<void> {
  for (const name of names) {
    await clients.autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateName: template, Version: '$Latest' },
        MinSize: 0,
        MaxSize: 0,
        DesiredCapacity: 0,
        AvailabilityZones: [`${REGION}a`],
        Tags: tags,
      }),
    );
  }
}

const seq = (cluster: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `${cluster}-v${String(from + i).padStart(3, '0')}`);
const describes = () => recorder.sent.filter((s) => s.command === 'DescribeAutoScalingGroupsCommand').length;
const choose = (cluster: string, extra: object = {}) =>
  new MockActivityEnvironment().run(chooseServerGroupName, {
    account: ACCOUNT,
    region: REGION,
    cluster,
    createdBy: 'naming-test',
    ...extra,
  });

test('more than a page of the cluster, pages of other applications: the next number in 3 reads', async () => {
  const app = uniqueName('nm');
  const cluster = `${app}-main`;
  await makeGroups(seq(cluster, 0, 105), [{ Key: 'spinnaker:application', Value: app }]);
  await makeGroups(seq(`${uniqueName('other')}-main`, 0, 250), [{ Key: 'spinnaker:application', Value: 'someone-else' }]);

  const before = describes();
  // The newest group is the ancestor Clouddriver reports.
  await expect(choose(cluster)).resolves.toEqual({ serverGroupName: `${cluster}-v105`, sequence: 105, ancestor: `${cluster}-v104` });
  // Two pages of the application's groups and one read of the candidate names, whatever else the region holds.
  expect(describes() - before).toBe(3);
});

test('a group of the cluster without the application tag is still taken (the region is read then)', async () => {
  const app = uniqueName('nm');
  const cluster = `${app}-main`;
  await makeGroups(seq(cluster, 0, 2), [{ Key: 'spinnaker:application', Value: app }]);
  await makeGroups([`${cluster}-v004`], []); // made outside Spinnaker

  const before = describes();
  await expect(choose(cluster)).resolves.toMatchObject({ serverGroupName: `${cluster}-v005`, sequence: 5 });
  expect(describes() - before).toBeGreaterThan(2);
  await expect(choose(cluster, { sequence: 4 })).rejects.toMatchObject({ type: 'ServerGroupExists' });
});

test("a deploy's own group from a lost answer keeps its name, even untagged by application", async () => {
  const app = uniqueName('nm');
  const cluster = `${app}-main`;
  await makeGroups(seq(cluster, 0, 1), [{ Key: 'spinnaker:application', Value: app }]);
  await makeGroups([`${cluster}-v001`], [{ Key: 'bosun:created-by-task', Value: 'naming-test' }]);
  // Its own group is not its ancestor.
  await expect(choose(cluster)).resolves.toEqual({ serverGroupName: `${cluster}-v001`, sequence: 1, ancestor: `${cluster}-v000` });
});
