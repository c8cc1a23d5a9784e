/**
 * Several Bosun workers and facades on one Temporal cluster (mTLS), as production scales them:
 * tasks posted to either facade spread over the three workers; a worker killed in the middle of
 * a task hands it to another; and while the cluster cannot answer, the facade says 503 with a
 * reason (Orca retries), starts nothing half-way, and the retried request lands on one task.
 */
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { startFaultProxy, NO_FAULTS } from '../support/fault-proxy';
import type { FaultProxy } from '../support/fault-proxy';
import type { BosunSystem } from '../support/bosun-system';
import { startBosunSystem } from '../support/bosun-system';
import type { TemporalCluster } from '../../infra/cluster/cluster';
import type { MotoServer } from '../../infra/stack';
import { freePort } from '../../infra/stack';
import { PROJECT_ROOT } from '../../infra/tools';
import { taskIdFor } from '../../client/facade/task-start';
import {
  ACCOUNTS_JSON,
  getTask,
  makeGroups,
  postResize,
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
let client: Client;
let connection: Connection;
const facadeUrls: string[] = [];
const GROUPS = [
  'clusterscale-a-v001',
  'clusterscale-b-v001',
  'clusterscale-c-v001',
  'clusterscale-d-v001',
  'clusterscale-e-v001',
  'clusterscale-f-v001',
];

beforeAll(async () => {
  moto = await startTestMoto('replicas');
  cluster = await startTestCluster('replicas', true);
  await makeGroups(moto.endpoint, GROUPS);
  // Every AWS call takes up to 1.5 s longer, so a task lasts long enough to kill its worker mid-way.
  slowAws = await startFaultProxy({ target: moto.endpoint, profile: { ...NO_FAULTS, latency: 1, maxLatencyMs: 1500, seed: 12 } });
  const { TEMPORAL_ADDRESS: _a, ...tlsEnv } = cluster.env;
  const ports = [await freePort(), await freePort()];
  bosun = await startBosunSystem({
    temporalAddress: () => cluster.address,
    temporalEnv: tlsEnv,
    awsEndpoint: slowAws.url,
    taskQueue: 'cluster-replicas',
    stateDir: path.join(PROJECT_ROOT, '.state', 'test-cluster-replicas-bosun'),
    facadePort: ports[0]!,
    extraFacadePorts: [ports[1]!],
    workers: 3,
    workflowBundle: await writeWorkflowBundle('replicas'),
    accounts: ACCOUNTS_JSON,
    pollInterval: '1s',
    retryWindow: '10m',
  });
  facadeUrls.push(...ports.map((p) => `http://127.0.0.1:${p}`));
  connection = await Connection.connect(cluster.connectionOptions());
  client = new Client({ connection, namespace: cluster.namespace });
}, 300_000);

afterAll(async () => {
  await connection?.close();
  await bosun?.stop();
  await slowAws?.close();
  await cluster?.stop();
  await moto?.stop();
}, 90_000);

/** Worker identities that completed workflow tasks or started activities of a workflow. */
async function identitiesOf(workflowId: string): Promise<{ identity: string; eventId: number; time: number }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const out: { identity: string; eventId: number; time: number }[] = [];
  for (const e of history.events ?? []) {
    const identity = e.workflowTaskCompletedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
    if (identity) out.push({ identity, eventId: Number(e.eventId), time: Number(e.eventTime?.seconds ?? 0) * 1000 });
  }
  return out;
}

test('tasks posted to two facades spread over three workers', async () => {
  expect(bosun.workerIdentities).toHaveLength(3);
  const ids: string[] = [];
  // Twelve resizes, two per group, taking turns between the facades.
  for (let i = 0; i < 12; i++) {
    const posted = await postResize(facadeUrls[i % 2]!, GROUPS[i % GROUPS.length]!, 1 + (i % 3), `spread-${i}`);
    expect(posted.status).toBe(200);
    ids.push(posted.body.id as string);
    if (i % GROUPS.length === GROUPS.length - 1)
      await Promise.all(ids.slice(-GROUPS.length).map((id, j) => waitForTask(() => facadeUrls[j % 2]!, id, 120_000)));
  }
  const workersSeen = new Set<string>();
  for (const id of ids) {
    const task = await getTask(facadeUrls[0]!, id);
    expect(task.body.status).toMatchObject({ completed: true, failed: false });
    for (const { identity } of await identitiesOf(id)) workersSeen.add(identity);
  }
  // Each of the three workers did part of the work.
  expect([...workersSeen].sort()).toEqual([...bosun.workerIdentities].sort());
}, 300_000);

test('a worker killed in the middle of a task hands it to another worker', async () => {
  const posted = await postResize(facadeUrls[1]!, GROUPS[0]!, 4, 'kill-mid-task');
  expect(posted.status).toBe(200);
  const id = posted.body.id as string;
  // Wait until a worker is running one of the task's activities, then kill exactly that worker.
  let victim: string | undefined;
  for (let i = 0; i < 200 && !victim; i++) {
    const desc = await client.workflow.getHandle(id).describe();
    victim = desc.raw.pendingActivities?.find((a) => a.lastWorkerIdentity)?.lastWorkerIdentity ?? undefined;
    if (!victim) await sleep(100);
  }
  expect(victim).toBeDefined();
  const killedAt = Date.now();
  await bosun.killWorkerWithIdentity(victim!, false);
  const done = await waitForTask(() => facadeUrls[0]!, id, 180_000);
  expect(done.body.status).toMatchObject({ completed: true, failed: false });
  // The work after the kill was done by the two workers still alive.
  const after = (await identitiesOf(id)).filter((e) => e.time * 1 >= Math.floor(killedAt / 1000) * 1000 + 1000);
  expect(after.length).toBeGreaterThan(0);
  expect(after.map((e) => e.identity)).not.toContain(victim);
  process.stdout.write(
    `killed ${victim} mid-task; the task finished ${((Date.now() - killedAt) / 1000).toFixed(1)} s later on ${[...new Set(after.map((e) => e.identity))].join(', ')}\n`,
  );
}, 240_000);

test('while the frontend is down the facade answers 503 with a reason and starts nothing; the retried POST lands on one task', async () => {
  const rid = 'frontend-down-1';
  const existing = (await postResize(facadeUrls[0]!, GROUPS[1]!, 2, 'before-outage')).body.id as string;
  await waitForTask(() => facadeUrls[0]!, existing, 120_000);
  await cluster.kill('frontend');
  try {
    const t0 = Date.now();
    const refused = await postResize(facadeUrls[0]!, GROUPS[1]!, 3, rid);
    expect(refused.status).toBe(503);
    expect(String(refused.body.message)).toMatch(/Temporal/);
    const poll = await getTask(facadeUrls[1]!, existing);
    expect(poll.status).toBe(503);
    process.stdout.write(`frontend down: POST answered ${refused.status} in ${Date.now() - t0} ms: ${String(refused.body.message)}\n`);
  } finally {
    await cluster.start('frontend');
  }
  // Nothing half-done: no task exists for the refused request.
  await expect(client.workflow.getHandle(taskIdFor(rid)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  // Orca retries the POST with the same clientRequestId: one task, and it runs.
  let retried = await postResize(facadeUrls[1]!, GROUPS[1]!, 3, rid);
  for (let i = 0; i < 20 && retried.status !== 200; i++) {
    await sleep(1000);
    retried = await postResize(facadeUrls[1]!, GROUPS[1]!, 3, rid);
  }
  expect(retried.status).toBe(200);
  expect(retried.body.id).toBe(taskIdFor(rid));
  const again = await postResize(facadeUrls[0]!, GROUPS[1]!, 3, rid);
  expect(again.body.id).toBe(taskIdFor(rid));
  const done = await waitForTask(() => facadeUrls[0]!, taskIdFor(rid), 120_000);
  expect(done.body.status).toMatchObject({ completed: true, failed: false });
  const runs = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${taskIdFor(rid)}'` })) runs.push(wf.runId);
  expect(runs).toHaveLength(1);
}, 300_000);

test('while PostgreSQL is down a poll answers 503 (never 404) and the task finishes once it is back', async () => {
  const posted = await postResize(facadeUrls[0]!, GROUPS[2]!, 3, 'postgres-down-1');
  expect(posted.status).toBe(200);
  const id = posted.body.id as string;
  await cluster.kill('postgres');
  try {
    const t0 = Date.now();
    const poll = await getTask(facadeUrls[1]!, id);
    expect(poll.status).toBe(503);
    process.stdout.write(`PostgreSQL down: GET /task answered ${poll.status} in ${Date.now() - t0} ms: ${String(poll.body.message)}\n`);
  } finally {
    await cluster.start('postgres');
  }
  const done = await waitForTask(() => facadeUrls[1]!, id, 180_000);
  expect(done.body.status).toMatchObject({ completed: true, failed: false });
}, 300_000);
