/**
 * upsertAsgScheduledActionsDescription end to end: posted on `/ops` as Orca's
 * UpsertAsgScheduledActionsStage posts it, run by a real worker on the real Temporal dev server,
 * read back from moto.
 */
import { DescribeScheduledActionsCommand, PutScheduledUpdateGroupActionCommand } from '@aws-sdk/client-auto-scaling';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, testAwsClients, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

const { env, faults, runAsOrca } = useOrcaTestEnv();

/** The group's actions as `name recurrence min/max/desired`, sorted. */
async function actionsOf(group: string): Promise<string[]> {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: group }));
  return (out.ScheduledUpdateGroupActions ?? [])
    .map((a) => `${a.ScheduledActionName} ${a.Recurrence} ${a.MinSize}/${a.MaxSize}/${a.DesiredCapacity}`)
    .sort();
}

async function makeGroup(prefix: string, actions: Record<string, string> = {}): Promise<string> {
  const { name } = await makeServerGroup(env, { prefix, min: 0, max: 2, desired: 0 });
  for (const [actionName, recurrence] of Object.entries(actions)) {
    await testAwsClients(env.aws).autoScaling.send(
      new PutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: name,
        ScheduledActionName: actionName,
        Recurrence: recurrence,
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 0,
      }),
    );
  }
  return name;
}

const asgs = (...names: string[]) => names.map((serverGroupName) => ({ serverGroupName, region: REGION }));

test('updates the action with the same recurrence, adds the others and deletes the rest; a re-post runs nothing again', async () => {
  const name = await makeGroup('sch', { 'old-a': '0 1 * * *', 'old-b': '0 2 * * *' });
  const body = [
    {
      upsertAsgScheduledActionsDescription: {
        credentials: ACCOUNT,
        asgs: asgs(name),
        scheduledActions: [
          { recurrence: '0 1 * * *', minSize: 1, maxSize: 3, desiredCapacity: 2 },
          { recurrence: '30 5 * * 1', maxSize: 1 },
        ],
      },
    },
  ];

  const { id, task, repost } = await runAsOrca(body, '/ops');

  expect(task.status).toMatchObject({ completed: true, failed: false });
  const after = await actionsOf(name);
  expect(after).toEqual([
    'old-a 0 1 * * * 1/3/2',
    expect.stringMatching(new RegExp(`^${name}-[0-9a-f]{8} 30 5 \\* \\* 1 undefined/1/undefined$`)),
  ]);
  const added = after[1]!.split(' ')[0]!;
  expect(task.history.filter((h) => h.phase === 'UPSERT_ASG_SCHEDULED_ACTIONS')).toEqual([
    { phase: 'UPSERT_ASG_SCHEDULED_ACTIONS', status: `Initializing Upsert ASG Scheduled Actions operation for ${name} in ${REGION}...` },
    {
      phase: 'UPSERT_ASG_SCHEDULED_ACTIONS',
      status: 'Updating scheduled action old-a - recurrence: 0 1 * * *, min: 1, max: 3, desired: 2',
    },
    {
      phase: 'UPSERT_ASG_SCHEDULED_ACTIONS',
      status: `Adding scheduled action ${added} - recurrence: 30 5 * * 1, min: null, max: 1, desired: null`,
    },
    { phase: 'UPSERT_ASG_SCHEDULED_ACTIONS', status: 'Deleting old scheduled action old-b' },
    { phase: 'UPSERT_ASG_SCHEDULED_ACTIONS', status: `Finished Upsert ASG Scheduled Actions operation for ${name} in ${REGION}.` },
  ]);

  expect(await repost()).toBe(id);
  expect(faults.calls('putScheduledAction', mentions(name))).toBe(2);
});

test('an empty list deletes every action; a lost answer is put again under the same name', async () => {
  const name = await makeGroup('schl', { 'old-a': '0 1 * * *' });
  const cleared = await env.run(
    [{ upsertAsgScheduledActionsDescription: { credentials: ACCOUNT, asgs: asgs(name), scheduledActions: [] } }],
    { path: '/ops' },
  );
  expect(cleared.task.status).toMatchObject({ completed: true, failed: false });
  expect(await actionsOf(name)).toEqual([]);

  faults.loseAnswer('putScheduledAction', mentions(name));
  const added = await env.run([
    {
      upsertAsgScheduledActionsDescription: {
        credentials: ACCOUNT,
        asgs: asgs(name),
        scheduledActions: [{ recurrence: '0 9 * * *', desiredCapacity: 1 }],
      },
    },
  ]);
  expect(added.task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('putScheduledAction', mentions(name))).toBe(2);
  expect(await actionsOf(name)).toEqual([expect.stringMatching(new RegExp(`^${name}-[0-9a-f]{8} 0 9 \\* \\* \\* undefined/undefined/1$`))]);
});

test('a failure half-way deletes the actions the task added and names the missing group', async () => {
  const name = await makeGroup('schf', { 'old-a': '0 1 * * *' });
  const missing = `${uniqueName('nogroup')}-v001`;
  const { task } = await env.run([
    {
      upsertAsgScheduledActionsDescription: {
        credentials: ACCOUNT,
        asgs: asgs(name, missing),
        scheduledActions: [
          { recurrence: '0 1 * * *', minSize: 0, maxSize: 1 },
          { recurrence: '0 3 * * *', minSize: 0, maxSize: 1 },
        ],
      },
    },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.history).toEqual(
    expect.arrayContaining([{ phase: 'UPSERT_ASG_SCHEDULED_ACTIONS', status: `No ASG named ${missing} found in ${REGION}` }]),
  );
  // The added action is gone again; the update of old-a (a put replaces the whole action) stays.
  expect(await actionsOf(name)).toEqual(['old-a 0 1 * * * 0/1/undefined']);
  expect(faults.calls('deleteScheduledAction', mentions(name))).toBe(1);
});

test('bad input is a 400 that names the field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/ops`,
    [
      { upsertAsgScheduledActionsDescription: { credentials: ACCOUNT, serverGroupName: 'app-v001', region: REGION, scheduledActions: [] } },
      {
        upsertAsgScheduledActionsDescription: {
          credentials: ACCOUNT,
          asgs: asgs('app-v001'),
          scheduledActions: [{ minSize: 1 }, { recurrence: '0 1 * * *' }],
        },
      },
      {
        upsertAsgScheduledActionsDescription: {
          credentials: ACCOUNT,
          asgs: asgs('app-v001'),
          scheduledActions: [{ recurrence: '0 1 * * *', minSize: 3, maxSize: 1 }],
        },
      },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].upsertAsgScheduledActionsDescription.asgs: is required',
      '[1].upsertAsgScheduledActionsDescription.scheduledActions.0.recurrence: is required',
      '[1].upsertAsgScheduledActionsDescription.scheduledActions.1: must set at least one of minSize, maxSize, desiredCapacity',
      '[2].upsertAsgScheduledActionsDescription.scheduledActions.0.minSize: minSize 3 is greater than maxSize 1',
    ]),
  );
});
