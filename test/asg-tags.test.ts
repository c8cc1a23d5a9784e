/**
 * upsertServerGroupTags (legacy upsertAsgTagsDescription) and deleteAsgTagsDescription end to
 * end: posted to the facade over HTTP, run by a real worker on the real Temporal dev server, and
 * read back from moto.
 */
import { CreateOrUpdateTagsCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, testAwsClients, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors, pollTask } from './support/orca-client';
import { asgsRef, makeServerGroup } from './support/server-group';

const { env, faults, runAsOrca } = useOrcaTestEnv();

/** The group's tags other than the ones every test group carries, as `key=value(propagate)`. */
async function tagsOf(name: string): Promise<string[]> {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return (out.AutoScalingGroups?.[0]?.Tags ?? [])
    .filter((t) => t.Key?.startsWith('t-'))
    .map((t) => `${t.Key}=${t.Value}${t.PropagateAtLaunch ? '' : '(not propagated)'}`)
    .sort();
}

async function makeGroup(prefix: string, tags: Record<string, string> = {}): Promise<string> {
  const { name } = await makeServerGroup(env, { prefix, min: 0, max: 1, desired: 0 });
  if (Object.keys(tags).length > 0) {
    await testAwsClients(env.aws).autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: Object.entries(tags).map(([Key, Value]) => ({
          ResourceId: name,
          ResourceType: 'auto-scaling-group',
          Key,
          Value,
          PropagateAtLaunch: false,
        })),
      }),
    );
  }
  return name;
}

test('upsertServerGroupTags puts and updates tags with PropagateAtLaunch, and a re-post with the same clientRequestId runs nothing again', async () => {
  const name = await makeGroup('tagup', { 't-keep': 'k', 't-owner': 'old' });
  const description = { credentials: ACCOUNT, serverGroupName: name, regions: [REGION], tags: { 't-owner': 'team-a', 't-cost': '42' } };

  const { id, task, repost } = await runAsOrca([{ upsertServerGroupTags: description }]);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history).toEqual(
    expect.arrayContaining([
      { phase: 'UPSERT_ASG_TAGS', status: `Initializing Upsert ASG Tags operation for [${REGION}:${name}]...` },
      { phase: 'UPSERT_ASG_TAGS', status: `Creating tags for ${name} in ${REGION}...` },
      { phase: 'UPSERT_ASG_TAGS', status: `Tags created for ${name} in ${REGION}` },
      { phase: 'UPSERT_ASG_TAGS', status: `Finished Upsert ASG Tags operation for [${REGION}:${name}].` },
    ]),
  );
  expect(await tagsOf(name)).toEqual(['t-cost=42', 't-keep=k(not propagated)', 't-owner=team-a']);
  const desc = await env.client.workflow.getHandle(id).describe();
  expect(desc.type).toBe('upsertServerGroupTags');

  expect(await repost()).toBe(id);
  await pollTask(env.facadeUrl, id);
  expect(faults.calls('putServerGroupTags', mentions(name))).toBe(1);
  expect((await env.client.workflow.count(`WorkflowId = '${id}'`)).count).toBe(1);
});

test('the legacy upsertAsgTagsDescription on /ops tags every group listed in asgs; a lost answer is put again', async () => {
  const first = await makeGroup('taga');
  const second = await makeGroup('tagb');
  faults.loseAnswer('putServerGroupTags', mentions(second));

  const { task } = await env.run(
    [
      {
        upsertAsgTagsDescription: {
          credentials: ACCOUNT,
          asgs: [
            { serverGroupName: first, region: REGION },
            { asgName: second, region: REGION },
          ],
          tags: { 't-env': 'prod' },
        },
      },
    ],
    { path: '/ops' },
  );

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(await tagsOf(first)).toEqual(['t-env=prod']);
  expect(await tagsOf(second)).toEqual(['t-env=prod']);
  expect(faults.calls('putServerGroupTags', mentions(second))).toBe(2);
});

test('tagging a group that does not exist fails the task and names the group', async () => {
  const missing = `${uniqueName('nogroup')}-v001`;
  const { task } = await env.run([
    { upsertServerGroupTags: { credentials: ACCOUNT, serverGroupName: missing, region: REGION, tags: { 't-a': 'b' } } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.history).toEqual(
    expect.arrayContaining([{ phase: 'UPSERT_ASG_TAGS', status: `No ASG named ${missing} found in ${REGION}` }]),
  );
  expect(String(task.resultObjects[0]?.message)).toContain(missing);
});

test('deleteAsgTagsDescription deletes the named tags; a group that does not exist is logged and skipped', async () => {
  const name = await makeGroup('tagdel', { 't-a': '1', 't-b': '2', 't-c': '3' });
  const missing = `${uniqueName('nogroup')}-v001`;
  const body = [
    {
      deleteAsgTagsDescription: {
        ...asgsRef(name, missing),
        tagKeys: ['t-a', 't-c', 't-absent'],
      },
    },
  ];

  const { id, task, repost } = await runAsOrca(body, '/ops');

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history).toEqual(
    expect.arrayContaining([
      { phase: 'DELETE_ASG_TAGS', status: `Initializing Delete ASG Tags operation for [${REGION}:${name}, ${REGION}:${missing}]...` },
      { phase: 'DELETE_ASG_TAGS', status: `Tags deleted for ${name} in ${REGION}` },
      { phase: 'DELETE_ASG_TAGS', status: `No ASG named ${missing} found in ${REGION}` },
      { phase: 'DELETE_ASG_TAGS', status: `Finished Delete ASG Tags operation for [${REGION}:${name}, ${REGION}:${missing}].` },
    ]),
  );
  expect(await tagsOf(name)).toEqual(['t-b=2(not propagated)']);

  expect(await repost()).toBe(id);
  expect(faults.calls('deleteServerGroupTags', mentions(name))).toBe(1);
});

test('bad tag input is a 400 that names the field', async () => {
  const ref = { credentials: ACCOUNT, region: REGION, serverGroupName: 'app-v001' };
  const errors = await badRequestErrors(
    `${env.facadeUrl}/aws/ops`,
    [
      { upsertServerGroupTags: { ...ref, tags: {} } },
      { upsertAsgTagsDescription: { ...ref, tags: { owner: '' } } },
      { upsertServerGroupTags: { credentials: ACCOUNT, tags: { a: 'b' } } },
      { deleteAsgTagsDescription: { ...ref, tagKeys: [] } },
      { deleteAsgTagsDescription: { ...ref, tagKeys: ['ok', ''] } },
      { deleteAsgTagsDescription: ref },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].upsertServerGroupTags.tags: must set at least one tag',
      '[1].upsertAsgTagsDescription.tags.owner: must not be empty',
      expect.stringMatching(/^\[2\]\.upsertServerGroupTags\.serverGroupName: is required/),
      '[3].deleteAsgTagsDescription.tagKeys: must name at least one tag key',
      '[4].deleteAsgTagsDescription.tagKeys.1: must not be empty',
      '[5].deleteAsgTagsDescription.tagKeys: is required',
    ]),
  );
});
