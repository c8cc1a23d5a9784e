/**
 * upsertImageTags (legacy upsertAmiTagsDescription) end to end: posted to the facade over HTTP,
 * run by a real worker on the real Temporal dev server, the tags read back from moto. moto never
 * refuses CreateTags, so the refusal path runs with the tagging activity failing before it calls
 * AWS (a stubbed activity through the FaultPlan).
 */
import { CreateImageCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { launchInstances } from './support/instances';

const { env, faults, clients, runAsOrca } = useOrcaTestEnv();

async function makeImage(): Promise<{ name: string; imageId: string }> {
  const [instanceId] = await launchInstances(clients(), 1);
  const name = uniqueName('baked-');
  const out = await clients().ec2.send(new CreateImageCommand({ InstanceId: instanceId!, Name: name }));
  return { name, imageId: out.ImageId! };
}

async function tagsOf(imageId: string): Promise<Record<string, string>> {
  const out = await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
  return Object.fromEntries((out.Images?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value!]));
}

test("upsertImageTags tags the image of that name with Clouddriver's history lines; a re-post runs nothing again", async () => {
  const { name, imageId } = await makeImage();
  const body = [
    {
      upsertImageTags: {
        credentials: ACCOUNT,
        amiName: name,
        regions: [REGION],
        tags: { stage: 'release', owner: 'team-a' },
        cloudProvider: 'aws',
      },
    },
  ];
  const { id, task, repost } = await runAsOrca(body);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === 'UPSERT_AMI_TAGS')).toEqual([
    { phase: 'UPSERT_AMI_TAGS', status: `Initializing Upsert AMI Tags operation for ${ACCOUNT}/${name}...` },
    { phase: 'UPSERT_AMI_TAGS', status: `Updating tags for ${imageId} in ${REGION}...` },
    { phase: 'UPSERT_AMI_TAGS', status: `Tags updated for ${imageId} in ${REGION}...` },
    { phase: 'UPSERT_AMI_TAGS', status: `Finished Upsert AMI Tags operation for ${ACCOUNT}/${name} (${imageId}) in ${REGION}.` },
  ]);
  expect(task.resultObjects).toEqual([]);
  expect(await tagsOf(imageId)).toEqual({ stage: 'release', owner: 'team-a' });
  expect((await env.client.workflow.getHandle(id).describe()).type).toBe('upsertImageTags');

  expect(await repost()).toBe(id);
  expect(faults.calls('tagImage', mentions(imageId))).toBe(1);
});

test("Orca's image-tagging task, legacy key then allowLaunchDescription, runs as one task through /ops; a lost answer tags again", async () => {
  const { name, imageId } = await makeImage();
  faults.loseAnswer('tagImage', mentions(imageId));
  const { task, id } = await env.run(
    [
      {
        upsertAmiTagsDescription: {
          credentials: ACCOUNT,
          amiName: name,
          regions: [REGION],
          tags: { appversion: 'app-1.0-h12', stage: 'candidate' },
        },
      },
      { allowLaunchDescription: { account: ACCOUNT, credentials: ACCOUNT, region: REGION, amiName: name } },
    ],
    { path: '/ops' },
  );
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('tagImage', mentions(imageId))).toBe(2);
  expect(await tagsOf(imageId)).toEqual({ appversion: 'app-1.0-h12', stage: 'candidate' });
  expect((await env.client.workflow.getHandle(id).describe()).type).toBe('orchestration');
  expect(task.history.map((h) => h.phase)).toEqual(expect.arrayContaining(['UPSERT_AMI_TAGS', 'ALLOW_LAUNCH']));
});

test('no tags skips the update and succeeds, as in Clouddriver', async () => {
  const { name, imageId } = await makeImage();
  const { task } = await env.run([{ upsertImageTags: { credentials: ACCOUNT, amiName: name, regions: [REGION], tags: {} } }]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history).toEqual(
    expect.arrayContaining([{ phase: 'UPSERT_AMI_TAGS', status: `Skipping empty tags update for ${imageId} in ${REGION}` }]),
  );
  expect(faults.calls('tagImage', mentions(imageId))).toBe(0);
});

test('an image name with no image fails the task with the "No AMI found" line', async () => {
  const name = uniqueName('never-baked-');
  const { task } = await env.run([{ upsertImageTags: { credentials: ACCOUNT, amiName: name, regions: [REGION], tags: { a: 'b' } } }]);
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(task.history).toEqual(
    expect.arrayContaining([{ phase: 'UPSERT_AMI_TAGS', status: `No AMI found for ${ACCOUNT}/${name} in ${REGION}.` }]),
  );
});

test('a refused CreateTags is logged with its reason and fails the task', async () => {
  const { name, imageId } = await makeImage();
  faults.fail('tagImage', mentions(imageId));
  const { task } = await env.run([{ upsertImageTags: { credentials: ACCOUNT, amiName: name, regions: [REGION], tags: { a: 'b' } } }]);
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(task.history).toEqual(
    expect.arrayContaining([
      { phase: 'UPSERT_AMI_TAGS', status: `Could not upsert AMI tags for ${imageId} in ${REGION}! Reason: injected failure in tagImage` },
    ]),
  );
  expect(task.history.some((h) => h.status.startsWith('Finished Upsert AMI Tags'))).toBe(false);
});

test('bad input is a 400 that names the field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [{ upsertImageTags: { credentials: ACCOUNT, regions: ['nowhere'], tags: { k: { nested: true } } } }],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].upsertImageTags.amiName: is required',
      expect.stringMatching(/^\[0\]\.upsertImageTags\.regions\.0: /),
      expect.stringMatching(/^\[0\]\.upsertImageTags\.tags\.k: /),
    ]),
  );
});
