/**
 * The platform team's path: the onboarding flag file decides per application whether a task
 * runs on Temporal or goes, unchanged, to the legacy Clouddriver. A small upstream server stands
 * in for Clouddriver and records what reaches it. Real Temporal, real worker, real HTTP.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLegacyClouddriver } from '../client/facade/legacy';
import type { RouteDecider } from '../client/facade/server';
import type { Router, RoutingContext } from '../client/routing';
import {
  changeFlagFile,
  createRouter,
  emptyDocument,
  onboard,
  setKillSwitch,
  writeAtomically,
  formatFlagDocument,
  excludeAccount,
} from '../client/routing';
import { silentLogger } from '../runtime';
import type { TestEnv } from './harness';
import { ACCOUNT, REGION, startTestEnv, uniqueName } from './harness';
import { pollTask, post } from './support/orca-client';
import { makeServerGroup } from './support/server-group';
import type { StandInClouddriver } from './support/stand-in-clouddriver';
import { startStandInClouddriver } from './support/stand-in-clouddriver';

/** A stand-in for Clouddriver: answers like Clouddriver would. */
function startUpstream(): Promise<StandInClouddriver> {
  return startStandInClouddriver((req, res) => {
    const url = req.url ?? '';
    if (req.method === 'POST' && url.includes('/ops')) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-clouddriver': 'legacy' });
      res.end(JSON.stringify({ id: 'legacy-task-1', resourceUri: '/task/legacy-task-1' }));
    } else if (url === '/task/legacy-task-1') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'legacy-task-1', status: { completed: true, failed: false }, history: [], resultObjects: [] }));
    } else if (url === '/task') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ id: 'legacy-running', status: { completed: false } }]));
    } else if (url.startsWith('/applications/')) {
      // A streamed read API answer with a custom status and header.
      res.writeHead(203, { 'content-type': 'application/json', 'x-upstream-custom': 'kept' });
      res.write('[{"name":"');
      setTimeout(() => res.end('sg-v001"}]'), 20);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Not Found', message: `upstream has no ${url}` }));
    }
  });
}

let env: TestEnv;
let router: Router;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let flagFile: string;
const onboarded = uniqueName('onb');
const legacyApp = uniqueName('leg');

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-flags-'));
  flagFile = path.join(dir, 'routing.json');
  await writeAtomically(flagFile, formatFlagDocument(onboard(emptyDocument(), onboarded)));
  router = await createRouter({ flagFile, logger: silentLogger });
  upstream = await startUpstream();
  env = await startTestEnv({ facade: { router, legacy: createLegacyClouddriver(upstream.url) } });
});
afterAll(async () => {
  await env.close();
  await router.close();
  await upstream.close();
});

function resize(app: string) {
  return [{ resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: `${app}-v001`, capacity: { desired: 1 } } }];
}

async function waitForRoute(app: string, route: 'temporal' | 'legacy', account = ACCOUNT): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < 50; i++) {
    const d = (await (
      await fetch(`${env.facadeUrl}/routing?application=${app}&account=${account}&operation=resizeServerGroup`)
    ).json()) as { route: string };
    if (d.route === route) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${app} never routed to ${route}`);
}

test('an onboarded application runs on Temporal; another goes to Clouddriver byte for byte, headers and status kept', async () => {
  await makeServerGroup(env, { name: `${onboarded}-v001`, min: 0, max: 2, desired: 0 });
  const ours = await post(`${env.facadeUrl}/aws/ops`, resize(onboarded));
  expect(ours.status).toBe(200);
  expect((await pollTask(env.facadeUrl, (ours.body as { id: string }).id)).status.failed).toBe(false);

  const raw = `[ {"resizeServerGroup": {"credentials": "${ACCOUNT}", "region": "${REGION}", "serverGroupName": "${legacyApp}-v001", "capacity": {"desired": 1}, "extra": "kept as sent"}} ]`;
  const before = upstream.seen.length;
  const res = await fetch(`${env.facadeUrl}/aws/ops?clientRequestId=abc`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-spinnaker-user': 'ann@example.com',
      'x-spinnaker-accounts': 'test',
      'x-spinnaker-execution-id': 'e:s:t',
    },
    body: raw,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-clouddriver')).toBe('legacy');
  expect(await res.json()).toEqual({ id: 'legacy-task-1', resourceUri: '/task/legacy-task-1' });
  const seen = upstream.seen.slice(before);
  expect(seen).toHaveLength(1);
  expect(seen[0]).toMatchObject({ method: 'POST', url: '/aws/ops?clientRequestId=abc', body: raw });
  expect(seen[0]!.headers).toMatchObject({ 'x-spinnaker-user': 'ann@example.com', 'x-spinnaker-execution-id': 'e:s:t' });

  // Orca polls the legacy task through the facade; Bosun does not know it, so it goes upstream.
  const task = await fetch(`${env.facadeUrl}/task/legacy-task-1`);
  expect(task.status).toBe(200);
  expect(((await task.json()) as { id: string }).id).toBe('legacy-task-1');
});

test('Clouddriver read APIs Bosun does not implement are streamed through unchanged', async () => {
  const res = await fetch(`${env.facadeUrl}/applications/${legacyApp}/serverGroups?expand=true`, {
    headers: { 'x-spinnaker-user': 'ann' },
  });
  expect(res.status).toBe(203);
  expect(res.headers.get('x-upstream-custom')).toBe('kept');
  expect(await res.text()).toBe('[{"name":"sg-v001"}]');
  expect(upstream.seen.at(-1)).toMatchObject({ method: 'GET', url: `/applications/${legacyApp}/serverGroups?expand=true` });
  const missing = await fetch(`${env.facadeUrl}/no/such/path`);
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as { message: string }).message).toBe('upstream has no /no/such/path');
});

test('operations Bosun does not run go to Clouddriver whatever the flag says', async () => {
  const before = upstream.seen.length;
  const res = await post(`${env.facadeUrl}/aws/ops`, [{ upsertAmazonDNSDescription: { application: onboarded, credentials: ACCOUNT } }]);
  expect(res.status).toBe(200);
  expect(upstream.seen.length).toBe(before + 1);
});

test("GET /task merges Bosun's running tasks with Clouddriver's", async () => {
  const tasks = (await (await fetch(`${env.facadeUrl}/task`)).json()) as { id: string }[];
  expect(tasks.map((t) => t.id)).toContain('legacy-running');
});

test('an edit of the flag file changes the route of the next request, with no restart', async () => {
  const app = uniqueName('flip');
  expect((await post(`${env.facadeUrl}/aws/ops`, resize(app))).body).toMatchObject({ id: 'legacy-task-1' });

  await changeFlagFile({ file: flagFile, edit: (d) => onboard(d, app), who: 'test', action: 'onboard', args: { app }, reason: 'test' });
  const ms = await waitForRoute(app, 'temporal');
  const onTemporal = await post(`${env.facadeUrl}/aws/ops`, resize(app));
  expect((onTemporal.body as { id: string }).id).not.toBe('legacy-task-1');
  await pollTask(env.facadeUrl, (onTemporal.body as { id: string }).id);
  process.stdout.write(`flag edit seen by the facade after ${ms} ms\n`);

  // The kill switch sends everything back at once.
  await changeFlagFile({
    file: flagFile,
    edit: (d) => setKillSwitch(d, true),
    who: 'test',
    action: 'kill-switch',
    args: { on: true },
    reason: 'test',
  });
  await waitForRoute(app, 'legacy');
  expect((await post(`${env.facadeUrl}/aws/ops`, resize(app))).body).toMatchObject({ id: 'legacy-task-1' });
  await changeFlagFile({
    file: flagFile,
    edit: (d) => setKillSwitch(d, false),
    who: 'test',
    action: 'kill-switch',
    args: { on: false },
    reason: 'test',
  });
  await waitForRoute(app, 'temporal');
});

test('an excluded account keeps an onboarded application on Clouddriver for that account only', async () => {
  await changeFlagFile({
    file: flagFile,
    edit: (d) => excludeAccount(d, 'prod'),
    who: 'test',
    action: 'exclude-account',
    args: {},
    reason: 'test',
  });
  await waitForRoute(onboarded, 'legacy', 'prod');
  const d = (await (await fetch(`${env.facadeUrl}/routing?application=${onboarded}&account=prod&operation=resizeServerGroup`)).json()) as {
    route: string;
    rule: string;
  };
  expect(d).toMatchObject({ route: 'legacy', rule: 'legacy-account-excluded' });
  expect(
    (await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: { ...resize(onboarded)[0]!.resizeServerGroup, credentials: 'prod' } }]))
      .body,
  ).toMatchObject({
    id: 'legacy-task-1',
  });
});

test('a broken flag file keeps the last good rules and shows on /health; fixing it recovers', async () => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const good = readFileSync(flagFile, 'utf8');
  writeFileSync(flagFile, good.replace('"in"', '"inn"'));
  let health: { status: string; flags: { state: string; lastError?: string } } = { status: '', flags: { state: '' } };
  for (let i = 0; i < 40 && health.flags.state !== 'STALE'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    health = (await (await fetch(`${env.facadeUrl}/health`)).json()) as typeof health;
  }
  expect(health.status).toBe('DEGRADED');
  expect(health.flags.lastError).toContain("unknown operator 'inn'");
  // Routing did not change: the onboarded application still runs on Temporal.
  await waitForRoute(onboarded, 'temporal');
  writeFileSync(flagFile, good);
  for (let i = 0; i < 40 && health.flags.state !== 'READY'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    health = (await (await fetch(`${env.facadeUrl}/health`)).json()) as typeof health;
  }
  expect(health.status).toBe('UP');
});

test('routing decisions are counted on /metrics', async () => {
  const text = await (await fetch(`${env.facadeUrl}/metrics`)).text();
  expect(text).toMatch(/bosun_tasks_submitted_total\{route="legacy",outcome="forwarded"\} \d+/);
});

describe('without a legacy Clouddriver', () => {
  let bare: TestEnv;
  beforeAll(async () => {
    bare = await startTestEnv({ withWorker: false, facade: { router } });
  });
  afterAll(async () => {
    await bare.close();
  });

  test('a request for an application not onboarded gets a clear 503 and starts nothing', async () => {
    const res = await post(`${bare.facadeUrl}/aws/ops`, resize(uniqueName('nobody')));
    expect(res.status).toBe(503);
    expect((res.body as { message: string }).message).toMatch(/is not routed to Bosun: .* and no legacy Clouddriver is configured/);
    expect((await bare.client.workflow.count(`TaskQueue = '${bare.taskQueue}'`)).count).toBe(0);
  });

  test('an unknown task is a 404 and an unknown path a 404', async () => {
    expect((await fetch(`${bare.facadeUrl}/task/nope`)).status).toBe(404);
    expect((await fetch(`${bare.facadeUrl}/applications`)).status).toBe(404);
  });
});

test('a legacy Clouddriver that does not answer is a 502 naming it', async () => {
  const dead = await startTestEnv({ withWorker: false, facade: { router, legacy: createLegacyClouddriver('http://127.0.0.1:9') } });
  try {
    const res = await post(`${dead.facadeUrl}/aws/ops`, resize(uniqueName('dead')));
    expect(res.status).toBe(502);
    expect((res.body as { message: string }).message).toContain('the legacy Clouddriver at http://127.0.0.1:9 did not answer');
  } finally {
    await dead.close();
  }
});

test('a task is routed on every region it touches, and allowLaunch on its target account', async () => {
  const asked: RoutingContext[] = [];
  const stub: RouteDecider = {
    status: () => router.status(),
    decide: async (c) => {
      asked.push(c);
      return c.region === 'eu-west-1'
        ? { route: 'legacy', rule: 'legacy-region', reason: 'eu-west-1 stays on Clouddriver', flagState: 'READY' }
        : { route: 'temporal', rule: 'allowlisted', reason: 'test', flagState: 'READY' };
    },
  };
  const regional = await startTestEnv({ withWorker: false, facade: { router: stub, legacy: createLegacyClouddriver(upstream.url) } });
  try {
    const app = uniqueName('regions');
    const before = upstream.seen.length;
    const res = await post(`${regional.facadeUrl}/aws/ops`, [
      { allowLaunchDescription: { credentials: 'images', account: 'prod', amiName: 'x', region: REGION } },
      {
        createServerGroup: {
          credentials: ACCOUNT,
          application: app,
          availabilityZones: { [REGION]: ['us-east-1a'], 'eu-west-1': ['eu-west-1a'] },
          amiName: 'x',
          instanceType: 't3.micro',
          capacity: { min: 0, max: 1, desired: 0 },
        },
      },
    ]);
    expect(res.status).toBe(200);
    expect(upstream.seen.length).toBe(before + 1);
    expect(asked.map((c) => [c.operation, c.account, c.region])).toEqual([
      ['allowLaunchDescription', 'prod', REGION],
      ['createServerGroup', ACCOUNT, REGION],
      ['createServerGroup', ACCOUNT, 'eu-west-1'],
    ]);
    expect((await regional.client.workflow.count(`TaskQueue = '${regional.taskQueue}'`)).count).toBe(0);
  } finally {
    await regional.close();
  }
});
