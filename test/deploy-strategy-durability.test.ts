/**
 * A deployWithStrategy wait outlives its workers: an approval gate, and a health wait whose
 * instances come up only later, each held while the worker (a child process) is SIGKILLed and
 * started again three times; after each restart the new worker answers the `status` query from
 * the replayed history, still waiting. Then the approval arrives (or the instances come up) and
 * the deploy completes. The held durations are printed (the figures in docs/strategies.md,
 * "Durability, measured"): measured, not asserted, since they are the machine's.
 *
 * The health wait is held by the proxy in front of moto (test/support/strategy-fuzz.ts): it
 * answers the group's target-group health as `unhealthy` until released, since moto's
 * instances are healthy at once.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DeployStatus } from '../workflows/deploy-control';
import { ACCOUNT, REGION, testAwsClients, uniqueName } from './harness';
import { sleep } from './support/child-process';
import { emulatorAl2023Image } from './support/instances';
import type { TaskJson } from './support/orca-client';
import { pollTask, post } from './support/orca-client';
import { actOn, useFuzzStack, waitForLine } from './support/strategy-fuzz';

const RESTARTS = 3;
const stack = useFuzzStack('strategy-durability');
let amiName: string;
let vpcId: string | undefined;
const aws = () => testAwsClients(stack().env.aws);

beforeAll(async () => {
  ({ name: amiName } = await emulatorAl2023Image(aws().ec2));
  vpcId = (await aws().ec2.send(new DescribeVpcsCommand({}))).Vpcs?.find((v) => v.IsDefault)?.VpcId;
});

async function group(name: string): Promise<AutoScalingGroup | undefined> {
  const out = await aws().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.[0];
}
const inTraffic = (g: AutoScalingGroup | undefined) => !(g?.SuspendedProcesses ?? []).some((p) => p.ProcessName === 'AddToLoadBalancer');

/** A cluster with its source v000 in service behind a fresh target group. */
async function withSource(prefix: string) {
  const app = uniqueName(prefix);
  const tgName = `${app}-tg`;
  await aws().elbv2.send(new CreateTargetGroupCommand({ Name: tgName, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }));
  const description = (extra: Record<string, unknown>) => ({
    credentials: ACCOUNT,
    application: app,
    stack: 'dur',
    availabilityZones: { [REGION]: ['us-east-1a'] },
    capacity: { min: 1, max: 4, desired: 2 },
    amiName,
    instanceType: 't3.micro',
    targetGroups: [tgName],
    ...extra,
  });
  const first = await stack().env.run([{ createServerGroup: description({}) }]);
  expect(first.task.status.failed).toBe(false);
  return { app, description, source: `${app}-dur-v000`, next: `${app}-dur-v001` };
}

async function start(body: unknown): Promise<string> {
  const res = await post(`${stack().env.facadeUrl}/aws/ops?clientRequestId=${uniqueName('dur')}`, body);
  expect(res.status).toBe(200);
  return (res.body as { id: string }).id;
}

/**
 * Kills the worker `RESTARTS` times while the task waits; after each restart, the new worker's
 * answer to the `status` query must still show the wait open, and the task must still be running.
 */
async function restartWhileWaiting(id: string, kind: 'approval' | 'health'): Promise<void> {
  const { env, worker } = stack();
  for (let i = 0; i < RESTARTS; i++) {
    await worker.killAndRestart();
    await worker.settled();
    const status = await env.client.workflow.getHandle(id).query<DeployStatus | null>('status');
    // A gate's wait stays open; a health wait is open between polls, so its step is what tells.
    if (kind === 'approval') expect(status?.waiting?.kind).toBe('approval');
    else expect(status && status.plan[status.step]).toBe('Wait For Up Instances');
    expect(status?.committed).toBe(false);
    const task = (await (await fetch(`${env.facadeUrl}/task/${id}`)).json()) as TaskJson;
    expect(task.status.completed).toBe(false);
    // Some waiting between restarts, so the new worker runs the wait's timers and polls for a while.
    await sleep(3000);
  }
}

const seconds = (ms: number) => Math.round(ms / 1000);

test(`an approval gate held across ${RESTARTS} worker restarts, then approved: the deploy completes`, async () => {
  const { env, worker } = stack();
  const c = await withSource('dgate');
  const id = await start([
    {
      deployWithStrategy: c.description({
        strategy: 'redblack',
        gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '30m' }],
      }),
    },
  ]);
  await waitForLine(env.facadeUrl, id, /^Waiting for approval before cutover/, 300_000);
  const opened = Date.now();
  const killsBefore = worker.kills;
  await restartWhileWaiting(id, 'approval');
  await actOn(env.facadeUrl, id, 'approve', 300_000);
  const held = Date.now() - opened;
  const task = await pollTask(env.facadeUrl, id, 300_000);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(inTraffic(await group(c.next))).toBe(true);
  expect(inTraffic(await group(c.source))).toBe(false);
  process.stdout.write(
    `\ngate held ${seconds(held)} s across ${worker.kills - killsBefore} worker restarts (each restart took ${worker.restartMs
      .slice(-RESTARTS)
      .map((ms) => (ms / 1000).toFixed(1))
      .join(', ')} s), then approved; the deploy completed\n`,
  );
}, 900_000);

test(`a health wait held across ${RESTARTS} worker restarts, its instances up only afterwards: the deploy completes`, async () => {
  const { env, worker, proxy } = stack();
  const c = await withSource('dhealth');
  proxy.holdHealth(c.app);
  let released: number | undefined;
  try {
    const id = await start([{ deployWithStrategy: c.description({ strategy: 'redblack', waitTimeoutSeconds: 1800 }) }]);
    await waitForLine(env.facadeUrl, id, new RegExp(`^Waiting for 2 of 2 instances of ${c.next} to be up`), 300_000);
    const opened = Date.now();
    const killsBefore = worker.kills;
    await restartWhileWaiting(id, 'health');
    const running = (await (await fetch(`${env.facadeUrl}/task/${id}`)).json()) as TaskJson;
    expect(running.history.map((h) => h.status)).toContain(
      `0 of 2 instances of ${c.next} up (0 of 2 instances up in target group ${c.app}-tg)`,
    );
    proxy.releaseHealth(c.app);
    released = Date.now();
    const task = await pollTask(env.facadeUrl, id, 300_000);
    const done = Date.now();
    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect(task.history.map((h) => h.status)).toContain(
      `2 of 2 instances of ${c.next} up (2 of 2 instances up in target group ${c.app}-tg)`,
    );
    expect(inTraffic(await group(c.source))).toBe(false);
    process.stdout.write(
      `\nhealth wait held ${seconds(released - opened)} s across ${worker.kills - killsBefore} worker restarts; ` +
        `the deploy completed ${((done - released) / 1000).toFixed(1)} s after the instances came up\n`,
    );
  } finally {
    if (released === undefined) proxy.releaseHealth(c.app);
  }
}, 900_000);
