/**
 * modifyAsgDescription end to end: posted on `/ops` as Orca's ModifyAsgStage posts it, run by a
 * real worker on the real Temporal dev server, read back from moto. moto does not implement
 * DisableMetricsCollection (an HTML 500), so that one activity is a recording stub here; what it
 * sends to AWS is checked against a fake client in activities/server-group-settings.test.ts, as
 * are DefaultCooldown, TerminationPolicies and CapacityRebalance, which moto's
 * UpdateAutoScalingGroup ignores.
 */
import { DescribeAutoScalingGroupsCommand, EnableMetricsCollectionCommand } from '@aws-sdk/client-auto-scaling';
import type { MetricsInput } from '../activities/server-group-settings';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, testAwsClients, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { asgsRef, makeServerGroup } from './support/server-group';

const disabled: MetricsInput[] = [];
const enables: MetricsInput[] = [];
const { env, faults, runAsOrca } = useOrcaTestEnv({
  activities: (real) => ({
    ...real,
    enableServerGroupMetrics: async (input: MetricsInput) => {
      enables.push(input);
      return real.enableServerGroupMetrics(input);
    },
    disableServerGroupMetrics: async (input: MetricsInput) => {
      disabled.push(input);
    },
  }),
});

/** The metrics of each enableServerGroupMetrics call on the group. */
const enabled = (name: string) => enables.filter((i) => i.serverGroupName === name).map((i) => i.metrics);

async function groupOf(name: string) {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups![0]!;
}

async function makeGroup(prefix: string, metrics: string[] = []): Promise<string> {
  const { name } = await makeServerGroup(env, { prefix, min: 0, max: 1, desired: 0 });
  if (metrics.length > 0) {
    await testAwsClients(env.aws).autoScaling.send(
      new EnableMetricsCollectionCommand({ AutoScalingGroupName: name, Granularity: '1Minute', Metrics: metrics }),
    );
  }
  return name;
}

test('modifyAsgDescription sets the health check, enables wanted metrics and disables the rest; a re-post runs nothing again', async () => {
  const name = await makeGroup('mod', ['GroupMinSize', 'GroupMaxSize']);
  const body = [
    {
      modifyAsgDescription: {
        ...asgsRef(name),
        healthCheckType: 'ELB',
        healthCheckGracePeriod: '150',
        cooldown: 30,
        terminationPolicies: ['OldestInstance'],
        capacityRebalance: true,
        enabledMetrics: ['GroupMaxSize', 'GroupDesiredCapacity'],
      },
    },
  ];

  const { id, task, repost } = await runAsOrca(body, '/ops');

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === 'MODIFY_ASG')).toEqual([
    { phase: 'MODIFY_ASG', status: `Initializing Update ASG operation for [${REGION}:${name}]...` },
    { phase: 'MODIFY_ASG', status: `Updating ${name} in ${REGION}...` },
    { phase: 'MODIFY_ASG', status: `Disabling unselected Auto Scaling Group metrics for ${name} in ${REGION}...` },
    { phase: 'MODIFY_ASG', status: `Enabling selected Auto Scaling Group metrics for ${name} in ${REGION}...` },
    { phase: 'MODIFY_ASG', status: `Updated ${name} in ${REGION}...` },
    { phase: 'MODIFY_ASG', status: `Finished Update ASG operation for [${REGION}:${name}].` },
  ]);
  const g = await groupOf(name);
  expect(g.HealthCheckType).toBe('ELB');
  expect(g.HealthCheckGracePeriod).toBe(150);
  // Only the wanted metric not yet collected is enabled (moto's EnableMetricsCollection replaces
  // the group's list where AWS adds to it, so the group shows just that one).
  expect((g.EnabledMetrics ?? []).map((m) => m.Metric)).toContain('GroupDesiredCapacity');
  expect(enabled(name)).toEqual([['GroupDesiredCapacity']]);
  expect(disabled.filter((d) => d.serverGroupName === name).map((d) => d.metrics)).toEqual([['GroupMinSize']]);
  expect(faults.calls('updateServerGroupSettings', mentions(name))).toBe(1);
  const update = faults.calls(
    'updateServerGroupSettings',
    (i) => JSON.stringify(i).includes(name) && JSON.stringify(i).includes('"cooldown":30'),
  );
  expect(update).toBe(1);

  expect(await repost()).toBe(id);
  expect(faults.calls('updateServerGroupSettings', mentions(name))).toBe(1);
});

test('without enabledMetrics every enabled metric is disabled, as in Clouddriver; nothing is enabled', async () => {
  const name = await makeGroup('modm', ['GroupMinSize']);
  const { task } = await env.run([{ modifyAsgDescription: { ...asgsRef(name), cooldown: 60 } }], {
    path: '/ops',
  });
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(disabled.filter((d) => d.serverGroupName === name).map((d) => d.metrics)).toEqual([['GroupMinSize']]);
  expect(enabled(name)).toEqual([]);
});

test('a lost answer is sent again, and a missing group fails the task', async () => {
  const name = await makeGroup('modl');
  const missing = `${uniqueName('nogroup')}-v001`;
  faults.loseAnswer('updateServerGroupSettings', mentions(name));
  const { task } = await env.run([
    {
      modifyAsgDescription: {
        ...asgsRef(name, missing),
        healthCheckGracePeriod: 77,
      },
    },
  ]);
  expect(faults.calls('updateServerGroupSettings', mentions(name))).toBe(2);
  expect((await groupOf(name)).HealthCheckGracePeriod).toBe(77);
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.history).toEqual(expect.arrayContaining([{ phase: 'MODIFY_ASG', status: `No ASG named ${missing} found in ${REGION}` }]));
});

test('bad input is a 400 that names the field', async () => {
  const errors = await badRequestErrors(
    `${env.facadeUrl}/ops`,
    [
      { modifyAsgDescription: { credentials: ACCOUNT, serverGroupName: 'app-v001', region: REGION, cooldown: 10 } },
      {
        modifyAsgDescription: {
          ...asgsRef('app-v001'),
          cooldown: -1,
          capacityRebalance: 'maybe',
        },
      },
      {
        modifyAsgDescription: {
          ...asgsRef('app-v001'),
          enabledMetrics: 'GroupMinSize',
        },
      },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].modifyAsgDescription.asgs: is required',
      '[1].modifyAsgDescription.cooldown: must be 0 or more',
      '[1].modifyAsgDescription.capacityRebalance: must be true or false',
      expect.stringMatching(/^\[2\]\.modifyAsgDescription\.enabledMetrics: /),
    ]),
  );
});
