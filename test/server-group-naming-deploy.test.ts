/**
 * The tags a real deploy writes are the ones naming filters on: through the facade, a worker and
 * moto, a deploy into a cluster of an application that already has sibling clusters finds the
 * cluster's previous group with one tag-filtered read, and never falls back to the region scan
 * (which it would if the deploy's tags and naming's filters disagreed).
 */
import { ACCOUNT, REGION, testAwsClients, uniqueName, useAwsCommandRecorder, useTestEnv } from './harness';
import { emulatorAl2023Image } from './support/instances';

const env = useTestEnv();
const recorder = useAwsCommandRecorder(env);
let amiName: string;

beforeAll(async () => {
  ({ name: amiName } = await emulatorAl2023Image(testAwsClients(env.aws).ec2));
});

function deploy(app: string, stack: string | undefined, freeFormDetails: string | undefined) {
  return [
    {
      createServerGroup: {
        credentials: ACCOUNT,
        application: app,
        ...(stack ? { stack } : {}),
        ...(freeFormDetails ? { freeFormDetails } : {}),
        availabilityZones: { [REGION]: ['us-east-1a'] },
        capacity: { min: 0, max: 1, desired: 0 },
        amiName,
        instanceType: 't3.micro',
      },
    },
  ];
}

type Describe = { Filters?: { Name: string; Values: string[] }[]; AutoScalingGroupNames?: string[] };
const describesSince = (from: number) =>
  recorder.sent
    .slice(from)
    .filter((s) => s.command === 'DescribeAutoScalingGroupsCommand')
    .map((s) => s.input as Describe);

test("a deploy into one of an application's clusters reads the cluster by the tags deploys write", async () => {
  const app = uniqueName('nmd');
  for (const [stack, details] of [
    ['main', 'blue'],
    ['main', undefined],
    [undefined, 'blue'],
    ['main', 'blue'],
  ] as const) {
    const { task } = await env.run(deploy(app, stack, details));
    expect(task.status).toMatchObject({ completed: true, failed: false });
  }

  const from = recorder.sent.length;
  const { task } = await env.run(deploy(app, 'main', 'blue'));
  expect(task.resultObjects).toContainEqual(expect.objectContaining({ serverGroupNames: [`${REGION}:${app}-main-blue-v002`] }));
  const reads = describesSince(from);
  const filtered = reads.filter((r) => r.Filters);
  expect(filtered).toEqual([
    expect.objectContaining({
      Filters: [
        { Name: 'tag:spinnaker:application', Values: [app] },
        { Name: 'tag:spinnaker:stack', Values: ['main'] },
        { Name: 'tag:spinnaker:details', Values: ['blue'] },
      ],
    }),
  ]);
  // No read of the whole region: the tags found every group of the cluster.
  expect(reads.filter((r) => !r.Filters && !r.AutoScalingGroupNames)).toEqual([]);
});
