/**
 * Bosun on a Temporal cluster whose frontend requires client certificates: a client without one
 * is refused; Bosun's worker and facade connect with the TEMPORAL_TLS_* settings alone and run a
 * task end to end; the composition root's client (the one the CLI and `npm start` use) connects too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { TemporalCluster } from '../../infra/cluster/cluster';
import type { MotoServer } from '../../infra/stack';
import { PROJECT_ROOT } from '../../infra/tools';
import { bootstrap } from '../../runtime';
import type { BosunSystem } from '../support/bosun-system';
import { startBosunSystem } from '../support/bosun-system';
import { freePort } from '../../infra/stack';
import { ACCOUNTS_JSON, makeGroups, postResize, startTestCluster, startTestMoto, waitForTask, writeWorkflowBundle } from './harness';

let cluster: TemporalCluster;
let moto: MotoServer;
let bosun: BosunSystem | undefined;

beforeAll(async () => {
  moto = await startTestMoto('mtls');
  cluster = await startTestCluster('mtls', true);
}, 240_000);

afterAll(async () => {
  await bosun?.stop();
  await cluster?.stop();
  await moto?.stop();
}, 60_000);

async function systemInfo(options: Parameters<typeof Connection.connect>[0]): Promise<void> {
  const connection = await Connection.connect(options);
  try {
    await connection.workflowService.getSystemInfo({});
  } finally {
    await connection.close();
  }
}

test('a client without a client certificate is refused; one with it is served', async () => {
  const certs = cluster.certs!;
  const ca = readFileSync(certs.caCert);
  // TLS with the right CA but no certificate of its own: the handshake is refused.
  await expect(
    systemInfo({
      address: cluster.address,
      connectTimeout: 3000,
      tls: { serverRootCACertificate: ca, serverNameOverride: certs.serverName },
    }),
  ).rejects.toThrow();
  // Plain text to a TLS frontend.
  await expect(systemInfo({ address: cluster.address, connectTimeout: 3000 })).rejects.toThrow();
  // With Bosun's client certificate.
  await expect(systemInfo(cluster.connectionOptions())).resolves.toBeUndefined();
}, 60_000);

test("the namespace has Bosun's search attributes on PostgreSQL visibility", async () => {
  const connection = await Connection.connect(cluster.connectionOptions());
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace: cluster.namespace });
    expect(Object.keys(listed.customAttributes ?? {})).toEqual(
      expect.arrayContaining(['BosunApplication', 'BosunRegion', 'BosunTaskStatus', 'BosunServerGroup']),
    );
  } finally {
    await connection.close();
  }
}, 30_000);

test('the composition root connects with the TEMPORAL_TLS_* settings alone', async () => {
  const root = bootstrap({
    component: 'test',
    env: { ...cluster.env, BOSUN_LOG_LEVEL: 'silent', BOSUN_STATE_DIR: path.join(cluster.dir, 'bosun') },
  });
  try {
    const client = await root.client();
    const ns = await client.workflowService.describeNamespace({ namespace: cluster.namespace });
    expect(ns.namespaceInfo?.name).toBe(cluster.namespace);
  } finally {
    await root.close();
  }
  // Without the client certificate settings the same root is refused.
  const { TEMPORAL_TLS_CLIENT_CERT_PATH: _c, TEMPORAL_TLS_CLIENT_KEY_PATH: _k, ...noCert } = cluster.env;
  const refused = bootstrap({
    component: 'test',
    env: { ...noCert, BOSUN_LOG_LEVEL: 'silent', BOSUN_STATE_DIR: path.join(cluster.dir, 'bosun') },
  });
  try {
    await expect(refused.client().then((c) => c.workflowService.getSystemInfo({}))).rejects.toThrow();
  } finally {
    await refused.close();
  }
}, 60_000);

test('a worker and a facade started with TEMPORAL_TLS_* run a task end to end', async () => {
  const group = 'clustertls-main-v001';
  await makeGroups(moto.endpoint, [group]);
  const { TEMPORAL_ADDRESS: _a, ...tlsEnv } = cluster.env;
  bosun = await startBosunSystem({
    temporalAddress: () => cluster.address,
    temporalEnv: tlsEnv,
    awsEndpoint: moto.endpoint,
    taskQueue: 'cluster-mtls',
    stateDir: path.join(PROJECT_ROOT, '.state', 'test-cluster-mtls-bosun'),
    facadePort: await freePort(),
    workflowBundle: await writeWorkflowBundle('mtls'),
    accounts: ACCOUNTS_JSON,
    pollInterval: '1s',
    retryWindow: '10m',
  });
  const sys = bosun;
  const posted = await postResize(sys.url, group, 3, 'cluster-mtls-1');
  expect(posted.status).toBe(200);
  const done = await waitForTask(() => sys.url, posted.body.id as string, 60_000);
  expect(done.body.status).toMatchObject({ completed: true, failed: false });
}, 180_000);
