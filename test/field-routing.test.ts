/**
 * A field Bosun does not run never changes what a task does: the whole task goes to the legacy
 * Clouddriver (rule `unsupported-field`, in the metrics and GET /routing), or without one is
 * refused with a 400 that names the field. Values with no effect in Clouddriver, fields no
 * Clouddriver description defines, and Jackson's readings of scalars run on Bosun as usual.
 * Real Temporal, real worker, the facade over HTTP, a stand-in legacy Clouddriver.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { createLegacyClouddriver } from '../client/facade/legacy';
import type { TestEnv } from './harness';
import { ACCOUNT, REGION, startTestEnv, testAwsClients } from './harness';
import { post } from './support/orca-client';
import { makeServerGroup } from './support/server-group';
import type { StandInClouddriver } from './support/stand-in-clouddriver';
import { startStandInClouddriver } from './support/stand-in-clouddriver';

let withLegacy: TestEnv;
let alone: TestEnv;
let upstream: StandInClouddriver;

beforeAll(async () => {
  upstream = await startStandInClouddriver((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'legacy-1', resourceUri: '/task/legacy-1' }));
  });
  [withLegacy, alone] = await Promise.all([startTestEnv({ facade: { legacy: createLegacyClouddriver(upstream.url) } }), startTestEnv()]);
});
afterAll(async () => {
  await Promise.all([withLegacy.close(), alone.close()]);
  await upstream.close();
});

const template = (extra: Record<string, unknown>) => [
  { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, asgName: 'fieldapp-v001', instanceType: 'm5.large', ...extra } },
];

test('a task setting a field Bosun does not run goes whole, as sent, to the legacy Clouddriver', async () => {
  const body = JSON.stringify(template({ classicLinkVpcId: 'vpc-0abc', someOrcaField: 1 }));
  const before = upstream.seen.length;
  const res = await post(`${withLegacy.facadeUrl}/aws/ops`, body);
  expect(res).toEqual({ status: 200, body: { id: 'legacy-1', resourceUri: '/task/legacy-1' } });
  const forwarded = upstream.seen.slice(before);
  expect(forwarded.map((r) => [r.method, r.url, r.body])).toEqual([['POST', '/aws/ops', body]]);

  const metrics = await (await fetch(`${withLegacy.facadeUrl}/metrics`)).text();
  expect(metrics).toMatch(/bosun_routing_decisions_total\{route="legacy",rule="unsupported-field"\} 1/);
});

test('GET /routing names the fields of an operation that send its task to the legacy Clouddriver', async () => {
  const answer = (await (
    await fetch(`${withLegacy.facadeUrl}/routing?operation=modifyServerGroupLaunchTemplateDescription&application=x`)
  ).json()) as {
    unsupportedFields: Record<string, string>;
  };
  expect(Object.keys(answer.unsupportedFields)).toEqual(expect.arrayContaining(['classicLinkVpcId', 'userDataOverride']));
  expect(answer.unsupportedFields.classicLinkVpcId).toMatch(/ClassicLink/);
});

test('without a legacy Clouddriver the task is refused with a 400 naming the field, and nothing starts', async () => {
  const res = await post(`${alone.facadeUrl}/aws/ops`, template({ userDataOverride: { enabled: true, tokenizerName: 'default' } }));
  expect(res.status).toBe(400);
  const body = res.body as { message: string; errors: string[] };
  expect(body.errors).toEqual([expect.stringMatching(/^\[0\]\.updateLaunchTemplate\.userDataOverride: Bosun does not run this field/)]);
  expect(body.message).toMatch(/no legacy Clouddriver is configured/);

  const single = await post(
    `${alone.facadeUrl}/aws/ops/updateLaunchTemplate`,
    template({ classicLinkVpcSecurityGroups: ['sg-1'] })[0]!.updateLaunchTemplate,
  );
  expect(single.status).toBe(400);
  expect((single.body as { errors: string[] }).errors).toEqual([expect.stringMatching(/^classicLinkVpcSecurityGroups: /)]);
});

test('values with no effect, fields Clouddriver does not define, strings for numbers and nulls run on Bosun', async () => {
  const group = await makeServerGroup(withLegacy, { prefix: 'fieldapp', min: 1, max: 4 });
  const before = upstream.seen.length;
  const { task } = await withLegacy.run([
    {
      resizeServerGroup: {
        credentials: ACCOUNT,
        region: REGION,
        serverGroupName: group.name,
        // As SpEL-templated pipeline parameters arrive, with Orca's stage context around them.
        capacity: { min: '2', max: '4', desired: '3' },
        waitForCapacity: 'true',
        cloudProvider: null,
        moniker: null,
        refId: '3',
        requisiteStageRefIds: ['2'],
        stageEnabled: { type: 'expression' },
        interestingHealthProviderNames: ['Amazon'],
      },
    },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(upstream.seen.length).toBe(before);
  const asg = (
    await testAwsClients(withLegacy.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group.name] }))
  ).AutoScalingGroups![0]!;
  expect([asg.MinSize, asg.DesiredCapacity, asg.MaxSize]).toEqual([2, 3, 4]);
});

test('GET /routing says why an operation Bosun does not run goes to the legacy Clouddriver', async () => {
  const ask = async (operation: string) =>
    (await (await fetch(`${withLegacy.facadeUrl}/routing?operation=${operation}&application=x`)).json()) as {
      rule: string;
      reason: string;
    };
  expect(await ask('upsertEntityTags')).toMatchObject({ rule: 'unsupported-operation', reason: expect.stringMatching(/Elasticsearch/) });
  expect(await ask('disableInstancesInDiscoveryDescription')).toMatchObject({ reason: expect.stringMatching(/discovery/) });
  expect(await ask('upsertAmazonDNSDescription')).toMatchObject({ reason: expect.stringMatching(/Route 53/) });
  expect(await ask('createLambdaFunction')).toMatchObject({ rule: 'unsupported-operation', reason: expect.stringMatching(/Lambda/) });
});
