/**
 * What the facade's end-to-end suites share: Orca's payloads and headers, an onboarding flag file
 * and the router that reads it, a stand-in legacy Clouddriver that answers as Clouddriver would,
 * and an env whose facade routes between the two (`useRoutedEnv`).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLegacyClouddriver } from '../../client/facade/legacy';
import type { FlagDocument, Router } from '../../client/routing';
import { changeFlagFile, createRouter, emptyDocument, formatFlagDocument, onboard, writeAtomically } from '../../client/routing';
import { silentLogger } from '../../runtime';
import type { TestEnv, TestEnvOptions } from '../harness';
import { ACCOUNT, readThrough, REGION, uniqueName, useTestEnv } from '../harness';
import type { StandInClouddriver } from '../support/stand-in-clouddriver';
import { startStandInClouddriver } from '../support/stand-in-clouddriver';
import { makeServerGroup } from '../support/server-group';
import { orcaGroupRef } from '../support/orca-client';
import { FaultPlan } from '../faults';

/** What Orca's KatoService sends for a resize stage. */
export function orcaResize(name: string, desired: number) {
  return {
    ...orcaGroupRef(name),
    capacity: { min: 1, max: 4, desired },
    type: 'resizeServerGroup',
    interestingHealthProviderNames: ['Amazon'],
  };
}

export const orcaHeaders = { 'x-spinnaker-application': 'orcaapp', 'x-spinnaker-execution-id': '01ABC:stage1:task1' };

/**
 * An env with a fault plan and a short retry window, so a task can fail retryably within a test.
 * `group` makes a server group (min 1, max 4, desired 1) and answers its name.
 */
export function useOrcaEnv(): { env: TestEnv; faults: FaultPlan; group: (prefix: string) => Promise<string> } {
  const faults = new FaultPlan();
  const env = useTestEnv({ faults, settings: { awsRetryWindowMs: 3_000, pollIntervalMs: 100 } });
  const group = async (prefix: string) => (await makeServerGroup(env, { prefix, min: 1, max: 4, desired: 1 })).name;
  return { env, faults, group };
}

/** A worker-less env whose facade routes with `router()` and has no legacy Clouddriver (started in a `beforeAll`). */
export function useEnvWithoutLegacy(router: () => Router): TestEnv {
  return useTestEnv({
    withWorker: false,
    get facade() {
      return { router: router() };
    },
  });
}

/** A one-operation task body resizing `${app}-v001` to 1. */
export function resize(app: string) {
  return [{ resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: `${app}-v001`, capacity: { desired: 1 } } }];
}

/** A flag file onboarding `apps`, in a fresh temporary folder, and a router reading it. */
export async function flagRouter(apps: string[]): Promise<{ flagFile: string; router: Router }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-flags-'));
  const flagFile = path.join(dir, 'routing.json');
  await writeAtomically(flagFile, formatFlagDocument(apps.reduce(onboard, emptyDocument())));
  return { flagFile, router: await createRouter({ flagFile, logger: silentLogger }) };
}

/** Edits the flag file as an operator's CLI would (locked, validated, audited). */
export async function editFlags(flagFile: string, action: string, args: Record<string, unknown>, edit: (d: FlagDocument) => FlagDocument) {
  await changeFlagFile({ file: flagFile, edit, who: 'test', action, args, reason: 'test' });
}

/** Waits until the facade's GET /routing says `route` for `app`; answers how long that took. */
export async function waitForRoute(facadeUrl: string, app: string, route: 'temporal' | 'legacy', account = ACCOUNT): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < 50; i++) {
    const d = (await (await fetch(`${facadeUrl}/routing?application=${app}&account=${account}&operation=resizeServerGroup`)).json()) as {
      route: string;
    };
    if (d.route === route) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${app} never routed to ${route}`);
}

/** A stand-in for Clouddriver: answers like Clouddriver would. */
export function startClouddriverStandIn(): Promise<StandInClouddriver> {
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

/**
 * The platform team's setup: a flag file onboarding one application (`onboarded`; `legacyApp` is
 * not), its router, the stand-in Clouddriver as the legacy one, and an env whose facade routes
 * between them. Started in a `beforeAll`, closed in an `afterAll`; read inside tests and later hooks.
 */
export interface RoutedEnv {
  readonly env: TestEnv;
  readonly router: Router;
  readonly upstream: StandInClouddriver;
  readonly flagFile: string;
  readonly onboarded: string;
  readonly legacyApp: string;
}

export function useRoutedEnv(opts: Omit<TestEnvOptions, 'facade'> = {}): RoutedEnv {
  const onboarded = uniqueName('onb');
  const legacyApp = uniqueName('leg');
  let started: Omit<RoutedEnv, 'env' | 'onboarded' | 'legacyApp'> | undefined;
  const current = () => {
    if (!started) throw new Error('the routed env starts in beforeAll: use it inside a test or a later hook');
    return started;
  };
  beforeAll(async () => {
    const { flagFile, router } = await flagRouter([onboarded]);
    started = { flagFile, router, upstream: await startClouddriverStandIn() };
  });
  // Hooks run in the order they are declared: the env starts after the router and the stand-in
  // and closes before them.
  const env = useTestEnv({
    ...opts,
    get facade() {
      return { router: current().router, legacy: createLegacyClouddriver(current().upstream.url) };
    },
  });
  afterAll(async () => {
    await started?.router.close();
    await started?.upstream.close();
  });
  return readThrough(current, ['router', 'upstream', 'flagFile'], { env, onboarded, legacyApp });
}
