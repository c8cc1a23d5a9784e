/**
 * `npm run chaos -- --temporal cluster`: the chaos run's Temporal is a production-shaped cluster
 * (infra/cluster: PostgreSQL, frontend, two history nodes, matching, worker service, 4 shards,
 * frontend with mTLS) instead of the dev server, and the process faults include kills of each of
 * its services. A killed service stays down for a while, then starts again on its ports and data;
 * the recovery time is until the cluster accepts a workflow start again.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ClusterService, TemporalCluster } from '../../infra/cluster/cluster';
import { removeClusterState, startCluster } from '../../infra/cluster/cluster';
import { TEMPORAL_SERVER_VERSION } from '../../infra/cluster/server-binary';
import { findFreeBasePort } from '../../infra/cluster/server-config';
import { PROJECT_ROOT } from '../../infra/tools';
import type { ClusterFault } from './schedule';
import { sleep } from '../../test/support/child-process';

/** Defaults of a cluster run, unless given on the command line. */
export const CLUSTER_RUN_DEFAULTS: Readonly<Record<string, unknown>> = {
  workers: 3,
  facades: 2,
  historyKills: 2,
  matchingKills: 1,
  frontendKills: 1,
  temporalWorkerKills: 1,
  postgresKills: 1,
  serverRestarts: 0,
  baseline: false,
  // Ten faults inside the first 50 s: the workload is over after about a minute.
  faultWindowEndMs: 45_000,
  faultMinGapMs: 3_500,
};

export interface ClusterStack {
  readonly cluster: TemporalCluster;
  readonly clusterFault: (kind: ClusterFault) => Promise<string>;
  readonly description: string;
  /** One line per fault: what was killed, how long it was down, how long until it served again. */
  readonly recoveries: { kind: ClusterFault; service: ClusterService; downMs: number; restartMs: number; servingAfterKillMs: number }[];
  stop(): Promise<void>;
}

export async function startClusterStack(opts: { downtimeMs: number; log: (line: string) => void }): Promise<ClusterStack> {
  // Emptied first (its database too), so every run starts alike.
  const dir = path.join(PROJECT_ROOT, '.state', 'chaos-cluster');
  removeClusterState(dir);
  const cluster = await startCluster({
    dir,
    basePort: await findFreeBasePort(),
    tls: true,
    namespace: 'default',
    log: (l) => opts.log(`cluster: ${l}`),
  });
  const connection = await Connection.connect(cluster.connectionOptions());
  const client = new Client({ connection, namespace: cluster.namespace });
  const recoveries: ClusterStack['recoveries'] = [];
  let historyTurn = 0;

  /** Until a workflow start goes through: history, persistence and the frontend all answer. */
  const untilServing = async (deadlineMs: number): Promise<void> => {
    while (Date.now() < deadlineMs) {
      try {
        const handle = await client.workflow.start('chaosCanary', {
          taskQueue: 'chaos-canary',
          workflowId: `canary-${randomUUID()}`,
          args: [],
        });
        await handle.terminate('canary').catch(() => undefined);
        return;
      } catch {
        await sleep(250);
      }
    }
    throw new Error('the cluster did not accept a workflow start within 120 s');
  };

  return {
    cluster,
    recoveries,
    description:
      `Bosun: 3 workers and 2 facades (Orca's requests take turns between them), real child processes, on a Temporal cluster: the real server ${TEMPORAL_SERVER_VERSION} built from the Go module proxy, ` +
      'PostgreSQL 15, frontend, 2 history nodes, matching and worker service as separate processes, 4 history shards, a frontend that requires client certificates (Bosun connects with TEMPORAL_TLS_*); ' +
      'real AWS SDK through the fault proxy to moto. SDK attempts 1: retries belong to Temporal. A cluster fault is a SIGKILL of one service (PostgreSQL: pg_ctl stop -m immediate); ' +
      'it stays down for the downtime, then starts again on the same ports and data. "back in" counts from the kill until the cluster accepted a workflow start again.',
    async clusterFault(kind) {
      const service: ClusterService =
        kind === 'history-kill'
          ? historyTurn++ % 2 === 0
            ? 'history-1'
            : 'history-2'
          : kind === 'matching-kill'
            ? 'matching'
            : kind === 'frontend-kill'
              ? 'frontend'
              : kind === 'temporal-worker-kill'
                ? 'worker'
                : 'postgres';
      const t0 = Date.now();
      await cluster.kill(service);
      await sleep(opts.downtimeMs);
      const restartMs = await cluster.start(service);
      await untilServing(Date.now() + 120_000);
      const servingAfterKillMs = Date.now() - t0;
      recoveries.push({ kind, service, downMs: opts.downtimeMs, restartMs, servingAfterKillMs });
      return `${service}: down ${(opts.downtimeMs / 1000).toFixed(1)} s, ready ${(restartMs / 1000).toFixed(1)} s after its restart, serving ${(servingAfterKillMs / 1000).toFixed(1)} s after the kill`;
    },
    async stop() {
      await connection.close().catch(() => undefined);
      await cluster.stop();
    },
  };
}
