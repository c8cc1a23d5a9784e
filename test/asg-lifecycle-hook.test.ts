/**
 * upsertAsgLifecycleHookDescription end to end: posted to the facade over HTTP, run by a real
 * worker on the real Temporal dev server, read back from moto. moto's DescribeLifecycleHooks
 * answers fixed role and notification ARNs and no metadata, so what the put sends for those is
 * checked against a fake client in activities/server-group-settings.test.ts.
 */
import { DescribeLifecycleHooksCommand } from '@aws-sdk/client-auto-scaling';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, cancelTask, REGION, testAwsClients, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

const { env, faults, runAsOrca, startHanging } = useOrcaTestEnv();

const ARNS = { roleARN: 'arn:aws:iam::123456789012:role/hooks', notificationTargetARN: 'arn:aws:sns:us-east-1:123456789012:hooks' };

/** The group's hooks as `name transition heartbeat result`. */
async function hooksOf(group: string): Promise<string[]> {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: group }));
  return (out.LifecycleHooks ?? [])
    .map((h) => `${h.LifecycleHookName} ${h.LifecycleTransition} ${h.HeartbeatTimeout} ${h.DefaultResult}`)
    .sort();
}

const makeGroup = async (prefix: string) => (await makeServerGroup(env, { prefix, min: 0, max: 1, desired: 0 })).name;

test('puts the hook under its cleaned name with the given settings; a re-post runs nothing again', async () => {
  const name = await makeGroup('hk');
  const body = [
    {
      upsertAsgLifecycleHookDescription: {
        credentials: ACCOUNT,
        region: REGION,
        serverGroupName: name,
        name: 'drain hook!',
        lifecycleTransition: 'EC2InstanceLaunching',
        heartbeatTimeout: '300',
        defaultResult: 'CONTINUE',
        notificationMetadata: '{"team":"a"}',
        ...ARNS,
      },
    },
  ];
  const { id, task, repost } = await runAsOrca(body, '/ops');

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(await hooksOf(name)).toEqual(['drain_hook_ autoscaling:EC2_INSTANCE_LAUNCHING 300 CONTINUE']);
  expect(task.history).toEqual(
    expect.arrayContaining([
      {
        phase: 'UPSERT_ASG_LIFECYCLE',
        status: `Creating lifecycle hook drain_hook_ on ${name} in ${REGION}: autoscaling:EC2_INSTANCE_LAUNCHING, heartbeat 300 s, default result CONTINUE, notifying ${ARNS.notificationTargetARN}`,
      },
    ]),
  );

  expect(await repost()).toBe(id);
  expect(faults.calls('putLifecycleHook', mentions(name))).toBe(1);
});

test("without a name or settings: Clouddriver's defaults under a derived name; a lost answer is put again", async () => {
  const name = await makeGroup('hkd');
  faults.loseAnswer('putLifecycleHook', mentions(name));
  const { task } = await env.run([
    { upsertAsgLifecycleHookDescription: { credentials: ACCOUNT, region: REGION, serverGroupName: name, ...ARNS } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('putLifecycleHook', mentions(name))).toBe(2);
  expect(await hooksOf(name)).toEqual([
    expect.stringMatching(new RegExp(`^${name}-lifecycle-[0-9a-f]{8} autoscaling:EC2_INSTANCE_TERMINATING 3600 ABANDON$`)),
  ]);
});

test('a task that fails after the hook deletes the hook it created, not one it updated', async () => {
  const name = await makeGroup('hkf');
  const kept = await env.run([
    { upsertAsgLifecycleHookDescription: { credentials: ACCOUNT, region: REGION, serverGroupName: name, name: 'kept', ...ARNS } },
  ]);
  expect(kept.task.status).toMatchObject({ failed: false });
  const missing = `${uniqueName('nogroup')}-v001`;

  const { task } = await env.run([
    {
      upsertAsgLifecycleHookDescription: {
        credentials: ACCOUNT,
        region: REGION,
        serverGroupName: name,
        name: 'kept',
        heartbeatTimeout: 60,
        ...ARNS,
      },
    },
    { upsertAsgLifecycleHookDescription: { credentials: ACCOUNT, region: REGION, serverGroupName: name, name: 'new', ...ARNS } },
    { upsertServerGroupTags: { credentials: ACCOUNT, region: REGION, serverGroupName: missing, tags: { a: 'b' } } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(await hooksOf(name)).toEqual(['kept autoscaling:EC2_INSTANCE_TERMINATING 60 ABANDON']);
  expect(faults.calls('deleteLifecycleHook', mentions(name))).toBe(1);
});

test('cancelling the task after the hook was put deletes the hook', async () => {
  const name = await makeGroup('hkc');
  const id = await startHanging('putServerGroupTags', mentions(name), [
    { upsertAsgLifecycleHookDescription: { credentials: ACCOUNT, region: REGION, serverGroupName: name, name: 'cancelled', ...ARNS } },
    { upsertServerGroupTags: { credentials: ACCOUNT, region: REGION, serverGroupName: name, tags: { a: 'b' } } },
  ]);
  expect(await hooksOf(name)).toHaveLength(1);
  await cancelTask(env, faults, id);
  expect(await hooksOf(name)).toEqual([]);
});

test('a missing group fails the task; bad input is a 400 that names the field', async () => {
  const missing = `${uniqueName('nogroup')}-v001`;
  const { task } = await env.run([
    { upsertAsgLifecycleHookDescription: { credentials: ACCOUNT, region: REGION, serverGroupName: missing, ...ARNS } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.history).toEqual(
    expect.arrayContaining([{ phase: 'UPSERT_ASG_LIFECYCLE', status: `No ASG named ${missing} found in ${REGION}` }]),
  );

  const ref = { credentials: ACCOUNT, region: REGION, serverGroupName: 'app-v001' };
  const errors = await badRequestErrors(
    `${env.facadeUrl}/ops`,
    [
      { upsertAsgLifecycleHookDescription: ref },
      { upsertAsgLifecycleHookDescription: { ...ref, ...ARNS, heartbeatTimeout: 7200, defaultResult: 'MAYBE' } },
      { upsertAsgLifecycleHookDescription: { ...ref, ...ARNS, lifecycleTransition: 'EC2InstanceLaunchError' } },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].upsertAsgLifecycleHookDescription.roleARN: is required',
      '[0].upsertAsgLifecycleHookDescription.notificationTargetARN: is required',
      '[1].upsertAsgLifecycleHookDescription.heartbeatTimeout: Heartbeat Timeout cannot be greater than 3600',
      '[1].upsertAsgLifecycleHookDescription.defaultResult: must be CONTINUE or ABANDON',
      '[2].upsertAsgLifecycleHookDescription.lifecycleTransition: EC2InstanceLaunchError is a notification, not a lifecycle hook (AWS refuses it in PutLifecycleHook)',
    ]),
  );
});
