/**
 * What the cluster tests share: a Temporal cluster of their own (infra/cluster, built server
 * cached outside git), moto, a prebuilt workflow bundle, Bosun's processes started the way the
 * chaos run starts them, and Orca-style HTTP calls.
 */
import { writeWorkflowBundle as bundleInto } from '../../worker/workflow-bundle';
import path from 'node:path';
import type { TemporalCluster } from '../../infra/cluster/cluster';
import { removeClusterState, startCluster } from '../../infra/cluster/cluster';
import { findFreeBasePort } from '../../infra/cluster/server-config';
import { ensureEmulatorServerGroup } from '../../infra/demo';
import type { MotoServer } from '../../infra/stack';
import { freePort, startMoto } from '../../infra/stack';
import { PROJECT_ROOT } from '../../infra/tools';
import { bootstrap } from '../../runtime';

export const REGION = 'us-east-1';
export const ACCOUNT = 'test';
export const ACCOUNTS_JSON = JSON.stringify([{ name: ACCOUNT, accountId: '123456789012' }]);

/** A cluster in `.state/test-cluster-<name>`, emptied first (its database too), so every run starts alike. */
export async function startTestCluster(name: string, tls: boolean): Promise<TemporalCluster> {
  const dir = path.join(PROJECT_ROOT, '.state', `test-cluster-${name}`);
  removeClusterState(dir);
  return startCluster({ dir, basePort: await findFreeBasePort(), tls, namespace: 'default' });
}

export async function startTestMoto(name: string): Promise<MotoServer> {
  return startMoto({ port: await freePort(), logFile: path.join(PROJECT_ROOT, '.state', `test-cluster-${name}-moto.log`) });
}

/** The workflow bundle every worker of a test loads (bundling once saves seconds per worker). */
export async function writeWorkflowBundle(name: string): Promise<string> {
  return bundleInto(path.join(PROJECT_ROOT, '.state', `test-cluster-${name}-bundle.js`));
}

/** Server groups in moto for the tests to resize. */
export async function makeGroups(motoEndpoint: string, names: readonly string[]): Promise<void> {
  const bosun = bootstrap({
    component: 'test',
    env: { AWS_ENDPOINT_URL: motoEndpoint, BOSUN_ACCOUNTS: ACCOUNTS_JSON, BOSUN_LOG_LEVEL: 'silent' },
  });
  try {
    const clients = bosun.aws().clientsFor(ACCOUNT, REGION);
    for (const name of names) await ensureEmulatorServerGroup(clients, { name, region: REGION, min: 1, max: 4, desired: 1 });
  } finally {
    await bosun.close();
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(url: string, init: RequestInit, timeoutMs = 60_000): Promise<HttpAnswer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

/** POST /aws/ops as Orca does: a resize of `group` to `desired`. */
export function postResize(facadeUrl: string, group: string, desired: number, clientRequestId: string): Promise<HttpAnswer> {
  return call(`${facadeUrl}/aws/ops?clientRequestId=${encodeURIComponent(clientRequestId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-spinnaker-user': 'cluster-test@example.com', 'x-spinnaker-accounts': ACCOUNT },
    body: JSON.stringify([
      { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: group, capacity: { min: 1, max: 4, desired } } },
    ]),
  });
}

export function getTask(facadeUrl: string, id: string): Promise<HttpAnswer> {
  return call(`${facadeUrl}/task/${encodeURIComponent(id)}`, { method: 'GET' });
}

/** Polls GET /task/{id} until it is completed; returns the last answer. */
export async function waitForTask(facadeUrl: () => string, id: string, timeoutMs: number): Promise<HttpAnswer> {
  const deadline = Date.now() + timeoutMs;
  let last: HttpAnswer | undefined;
  while (Date.now() < deadline) {
    try {
      last = await getTask(facadeUrl(), id);
      if (last.status === 200 && (last.body.status as { completed?: boolean }).completed) return last;
    } catch {
      // A facade restarting or a timeout: poll again, as Orca does.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`task ${id} not completed within ${timeoutMs} ms (last answer: ${JSON.stringify(last)?.slice(0, 400)})`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
