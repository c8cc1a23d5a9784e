/**
 * Choosing the next name reads the cluster's groups, not the application's or the region's:
 * against moto (which ANDs several tag filters on DescribeAutoScalingGroups, as AWS does), with
 * more than one page of the cluster's groups and pages of other applications' and sibling
 * clusters' groups, counted on the wire. A group of the cluster made outside Spinnaker (without
 * the moniker tags) still counts, through the fallback to the region scan.
 */
import type { Tag } from '@aws-sdk/client-auto-scaling';
import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClients } from '../activities';
import { createServerGroupNamingActivities } from '../activities/server-group-naming';
import { parseServerGroupName } from '../domain/frigga';
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

/** The moniker tags Bosun's deploy (and Clouddriver's, with addAppStackDetailTags) puts on a group of `cluster`. */
function tagsOf(cluster: string): Tag[] {
  const n = parseServerGroupName(cluster)!;
  return [
    { Key: 'spinnaker:application', Value: n.app },
    ...(n.stack ? [{ Key: 'spinnaker:stack', Value: n.stack }] : []),
    ...(n.detail ? [{ Key: 'spinnaker:details', Value: n.detail }] : []),
  ];
}

const seq = (cluster: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `${cluster}-v${String(from + i).padStart(3, '0')}`);
const describeInputs = () => recorder.sent.filter((s) => s.command === 'DescribeAutoScalingGroupsCommand').map((s) => s.input);
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
  await makeGroups(seq(cluster, 0, 105), tagsOf(cluster));
  const other = `${uniqueName('other')}-main`;
  await makeGroups(seq(other, 0, 250), tagsOf(other));

  const before = describes();
  // The newest group is the ancestor Clouddriver reports.
  await expect(choose(cluster)).resolves.toEqual({ serverGroupName: `${cluster}-v105`, sequence: 105, ancestor: `${cluster}-v104` });
  // Two pages of the cluster's groups and one read of the candidate names, whatever else the region holds.
  expect(describes() - before).toBe(3);
});

test("an application's many other clusters are not read: one page of the cluster's tags and one of names", async () => {
  const app = uniqueName('nm');
  const cluster = `${app}-main`;
  await makeGroups(seq(cluster, 0, 3), tagsOf(cluster));
  // 160 groups of the application in sibling clusters: reading by the application tag alone takes two pages.
  for (const sibling of [`${app}-canary`, `${app}-staging`, `${app}-main-blue`, `${app}--worker`, app]) {
    await makeGroups(seq(sibling, 0, 32), tagsOf(sibling));
  }

  const before = describeInputs().length;
  await expect(choose(cluster)).resolves.toMatchObject({ serverGroupName: `${cluster}-v003`, sequence: 3 });
  const sent = describeInputs().slice(before);
  expect(sent).toHaveLength(2);
  expect(sent[0]).toMatchObject({
    Filters: [
      { Name: 'tag:spinnaker:application', Values: [app] },
      { Name: 'tag:spinnaker:stack', Values: ['main'] },
    ],
  });
  expect(sent[1]).toMatchObject({ AutoScalingGroupNames: expect.arrayContaining([`${cluster}-v003`]) });
});

test('sibling clusters of the application never influence the number', async () => {
  const app = uniqueName('nm');
  // Other stack, other details, no stack at all, details without a stack: each its own cluster.
  await makeGroups(seq(`${app}-main`, 0, 5), tagsOf(`${app}-main`));
  await makeGroups(seq(`${app}-main-blue`, 40, 2), tagsOf(`${app}-main-blue`));
  await makeGroups(seq(`${app}-other`, 70, 1), tagsOf(`${app}-other`));
  await makeGroups(seq(app, 20, 2), tagsOf(app));
  await makeGroups(seq(`${app}--worker`, 90, 1), tagsOf(`${app}--worker`));

  await expect(choose(`${app}-main`)).resolves.toMatchObject({ serverGroupName: `${app}-main-v005`, sequence: 5 });
  await expect(choose(`${app}-main-blue`)).resolves.toMatchObject({ serverGroupName: `${app}-main-blue-v042`, sequence: 42 });
  await expect(choose(`${app}-main-green`)).resolves.toMatchObject({ serverGroupName: `${app}-main-green-v000`, sequence: 0 });
  // No stack: only the application tag filters, so the name decides which groups are the cluster's.
  await expect(choose(app)).resolves.toMatchObject({ serverGroupName: `${app}-v022`, sequence: 22 });
  await expect(choose(`${app}--worker`)).resolves.toMatchObject({ serverGroupName: `${app}--worker-v091`, sequence: 91 });
  await expect(choose(`${app}--blue`)).resolves.toMatchObject({ serverGroupName: `${app}--blue-v000`, sequence: 0 });
  // A number taken in a sibling cluster is free in this one.
  await expect(choose(`${app}-other`, { sequence: 3 })).resolves.toMatchObject({ serverGroupName: `${app}-other-v003`, sequence: 3 });
  await expect(choose(`${app}-main`, { sequence: 3 })).rejects.toMatchObject({ type: 'ServerGroupExists' });
});

test("Clouddriver's rule: the highest number plus one, wrapping after 999 and skipping numbers taken", async () => {
  const app = uniqueName('nm');
  const gaps = `${app}-gaps`;
  await makeGroups([`${gaps}-v000`, `${gaps}-v007`], tagsOf(gaps));
  await expect(choose(gaps)).resolves.toMatchObject({ serverGroupName: `${gaps}-v008`, sequence: 8 });

  const wrap = `${app}-wrap`;
  await makeGroups([`${wrap}-v998`, `${wrap}-v999`, `${wrap}-v000`, `${wrap}-v001`], tagsOf(wrap));
  await expect(choose(wrap)).resolves.toMatchObject({ serverGroupName: `${wrap}-v002`, sequence: 2 });
});

test('a group of the cluster without the moniker tags is still taken (the region is read then)', async () => {
  const app = uniqueName('nm');
  const cluster = `${app}-main`;
  await makeGroups(seq(cluster, 0, 2), tagsOf(cluster));
  await makeGroups([`${cluster}-v004`], []); // made outside Spinnaker
  // Only the application tag (e.g. written by hand): the stack filter misses it, the fallback does not.
  await makeGroups([`${cluster}-v006`], [{ Key: 'spinnaker:application', Value: app }]);

  const before = describes();
  await expect(choose(cluster)).resolves.toMatchObject({ serverGroupName: `${cluster}-v007`, sequence: 7 });
  expect(describes() - before).toBeGreaterThan(2);
  await expect(choose(cluster, { sequence: 4 })).rejects.toMatchObject({ type: 'ServerGroupExists' });
});

test("a deploy's own group from a lost answer keeps its name, found by its tags or untagged", async () => {
  const app = uniqueName('nm');
  const cluster = `${app}-main`;
  await makeGroups(seq(cluster, 0, 1), tagsOf(cluster));
  await makeGroups([`${cluster}-v001`], [{ Key: 'bosun:created-by-task', Value: 'naming-test' }]);
  // Its own group is not its ancestor.
  await expect(choose(cluster)).resolves.toEqual({ serverGroupName: `${cluster}-v001`, sequence: 1, ancestor: `${cluster}-v000` });

  const tagged = `${app}-tagged`;
  await makeGroups(seq(tagged, 0, 3), tagsOf(tagged));
  await makeGroups([`${tagged}-v003`], [...tagsOf(tagged), { Key: 'bosun:created-by-task', Value: 'naming-test' }]);
  const before = describes();
  await expect(choose(tagged)).resolves.toEqual({ serverGroupName: `${tagged}-v003`, sequence: 3, ancestor: `${tagged}-v002` });
  expect(describes() - before).toBe(1);
});
