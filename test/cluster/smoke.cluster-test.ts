/**
 * CI's cluster smoke (`.ci/run`): one deploy (createServerGroup) posted through the facade over
 * HTTP, run by a real worker against moto, on a real Temporal cluster (PostgreSQL, frontend,
 * 2 history nodes, matching, worker service; no TLS). While the deploy runs, the matching
 * service, the only one, so on the task's path for certain, is killed with `kill -9` and
 * started again; the task must still complete and not fail. Alone:
 * `npx jest -c jest.cluster.config.js test/cluster/smoke`.
 */
import path from 'node:path';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import type { AwsClients } from '../../activities/aws-clients';
import type { BosunSystem } from '../support/bosun-system';
import { startBosunSystem } from '../support/bosun-system';
import type { FaultProxy } from '../support/fault-proxy';
import { NO_FAULTS, startFaultProxy } from '../support/fault-proxy';
import type { TemporalCluster } from '../../infra/cluster/cluster';
import type { MotoServer } from '../../infra/stack';
import { freePort } from '../../infra/stack';
import { PROJECT_ROOT } from '../../infra/tools';
import { bootstrap } from '../../runtime';
import type { HttpAnswer } from './harness';
import {
  ACCOUNT,
  ACCOUNTS_JSON,
  getTask,
  REGION,
  sleep,
  startTestCluster,
  startTestMoto,
  waitForTask,
  writeWorkflowBundle,
} from './harness';

let cluster: TemporalCluster;
let moto: MotoServer;
let slowAws: FaultProxy;
let bosun: BosunSystem;
let connection: Connection;
let client: Client;
let facadeUrl: string;
const started = Date.now();

/** Runs `use` with the AWS clients of the test account in moto. */
async function withAws<T>(use: (aws: AwsClients) => Promise<T>): Promise<T> {
  const system = bootstrap({
    component: 'test',
    env: { AWS_ENDPOINT_URL: moto.endpoint, BOSUN_ACCOUNTS: ACCOUNTS_JSON, BOSUN_LOG_LEVEL: 'silent' },
  });
  try {
    return await use(system.aws().clientsFor(ACCOUNT, REGION));
  } finally {
    await system.close();
  }
}

async function postOps(body: unknown[], clientRequestId: string): Promise<HttpAnswer> {
  const res = await fetch(`${facadeUrl}/aws/ops?clientRequestId=${encodeURIComponent(clientRequestId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-spinnaker-user': 'cluster-smoke@example.com', 'x-spinnaker-accounts': ACCOUNT },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  moto = await startTestMoto('smoke');
  cluster = await startTestCluster('smoke', false);
  // Every AWS call takes up to 0.8 s longer: the deploy lasts long enough to kill matching in its middle.
  slowAws = await startFaultProxy({ target: moto.endpoint, profile: { ...NO_FAULTS, latency: 1, maxLatencyMs: 800, seed: 6 } });
  const { TEMPORAL_ADDRESS: _address, ...temporalEnv } = cluster.env;
  const port = await freePort();
  bosun = await startBosunSystem({
    temporalAddress: () => cluster.address,
    temporalEnv,
    awsEndpoint: slowAws.url,
    taskQueue: 'cluster-smoke',
    stateDir: path.join(PROJECT_ROOT, '.state', 'test-cluster-smoke-bosun'),
    facadePort: port,
    workflowBundle: await writeWorkflowBundle('smoke'),
    accounts: ACCOUNTS_JSON,
    pollInterval: '1s',
    retryWindow: '10m',
  });
  facadeUrl = `http://127.0.0.1:${port}`;
  connection = await Connection.connect(cluster.connectionOptions());
  client = new Client({ connection, namespace: cluster.namespace });
  process.stdout.write(
    `cluster smoke: cluster ready in ${(cluster.timings.totalMs / 1000).toFixed(1)} s, Bosun up ${((Date.now() - started) / 1000).toFixed(1)} s after the start\n`,
  );
}, 300_000);

afterAll(async () => {
  await connection?.close().catch(() => undefined);
  await bosun?.stop();
  await slowAws?.close();
  await cluster?.stop();
  await moto?.stop();
}, 90_000);

test('a deploy posted through the facade completes although matching is killed -9 while it runs', async () => {
  const amiName = await withAws(async (aws) => {
    const images = await aws.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['al2023-ami-2023*x86_64'] }] }));
    return images.Images?.find((i) => i.Name)?.Name;
  });
  expect(amiName).toBeDefined();
  const posted = await postOps(
    [
      {
        createServerGroup: {
          credentials: ACCOUNT,
          application: 'clustersmoke',
          stack: 'ci',
          availabilityZones: { [REGION]: [`${REGION}a`, `${REGION}b`] },
          capacity: { min: 1, max: 3, desired: 2 },
          amiName,
          instanceType: 't3.micro',
          waitForHealthyPercentage: 100,
          waitTimeoutSeconds: 300,
        },
      },
    ],
    'cluster-smoke-deploy',
  );
  expect(posted.status).toBe(200);
  const id = posted.body.id as string;

  // Until the worker is running one of the deploy's activities: the task is under way.
  const handle = client.workflow.getHandle(id);
  let running = false;
  for (let i = 0; i < 300 && !running; i++) {
    const desc = await handle.describe();
    running = desc.status.name === 'RUNNING' && (desc.raw.pendingActivities ?? []).some((a) => a.lastWorkerIdentity);
    if (!running) await sleep(100);
  }
  expect(running).toBe(true);
  expect((await getTask(facadeUrl, id)).body.status).toMatchObject({ completed: false });

  const killedAt = Date.now();
  await cluster.kill('matching');
  expect(cluster.isUp('matching')).toBe(false);
  await sleep(3000);
  const restartMs = await cluster.start('matching');

  const done = await waitForTask(() => facadeUrl, id, 180_000);
  expect(done.body.status).toMatchObject({ completed: true, failed: false });
  const name = 'clustersmoke-ci-v000';
  expect((done.body.resultObjects as Record<string, unknown>[])[0]).toMatchObject({ serverGroupNames: [`${REGION}:${name}`] });
  // It finished after the kill (the kill did not come too late to matter), and the group is in moto.
  const closed = (await handle.describe()).closeTime;
  expect(closed!.getTime()).toBeGreaterThan(killedAt);
  const groups = await withAws((aws) => aws.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })));
  expect(groups.AutoScalingGroups?.[0]).toMatchObject({ AutoScalingGroupName: name, DesiredCapacity: 2 });
  expect(bosun.unexpectedExits).toEqual([]);
  process.stdout.write(
    `cluster smoke: matching killed -9 mid-deploy, down 3 s, ready ${(restartMs / 1000).toFixed(1)} s after its restart; ` +
      `task ${id} completed ${((closed!.getTime() - killedAt) / 1000).toFixed(1)} s after the kill\n`,
  );
}, 240_000);
