/**
 * The admin routes (client/facade/routes/admin.ts) over real HTTP, on a facade that routes
 * between Temporal and a stand-in legacy Clouddriver: GET /openapi.json, /metrics (requests,
 * tasks and routing decisions), /health (the flag file's state) and /routing (why a task would go
 * to the legacy Clouddriver).
 */
import { pollTask, post } from '../support/orca-client';
import { makeServerGroup } from '../support/server-group';
import { resize, useRoutedEnv, waitForRoute } from './setup';

const routed = useRoutedEnv();
const { env, onboarded, legacyApp } = routed;

test('the OpenAPI description lists every operation with its schema', async () => {
  const doc = (await (await fetch(`${env.facadeUrl}/openapi.json`)).json()) as {
    paths: Record<string, unknown>;
    components: { schemas: Record<string, unknown> };
  };
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/ops', '/{cloudProvider}/ops/{operation}', '/task/{id}', '/task/{id}:resume']),
  );
  expect(Object.keys(doc.components.schemas)).toEqual(
    expect.arrayContaining(['resizeServerGroup', 'createServerGroup', 'destroyServerGroup', 'Task']),
  );
});

test('metrics count requests and tasks', async () => {
  await makeServerGroup(env, { name: `${onboarded}-v001`, min: 0, max: 2, desired: 0 });
  const started = await post(`${env.facadeUrl}/aws/ops`, resize(onboarded));
  await pollTask(env.facadeUrl, (started.body as { id: string }).id);
  const text = await (await fetch(`${env.facadeUrl}/metrics`)).text();
  expect(text).toMatch(/bosun_http_requests_total\{method="POST",route="ops",status="200"\} \d+/);
  expect(text).toMatch(/bosun_tasks_submitted_total\{route="temporal",outcome="started"\} \d+/);
});

test('routing decisions are counted on /metrics', async () => {
  expect((await post(`${env.facadeUrl}/aws/ops`, resize(legacyApp))).body).toMatchObject({ id: 'legacy-task-1' });
  const text = await (await fetch(`${env.facadeUrl}/metrics`)).text();
  expect(text).toMatch(/bosun_tasks_submitted_total\{route="legacy",outcome="forwarded"\} \d+/);
});

test('a broken flag file keeps the last good rules and shows on /health; fixing it recovers', async () => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const good = readFileSync(routed.flagFile, 'utf8');
  writeFileSync(routed.flagFile, good.replace('"in"', '"inn"'));
  let health: { status: string; flags: { state: string; lastError?: string } } = { status: '', flags: { state: '' } };
  for (let i = 0; i < 40 && health.flags.state !== 'STALE'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    health = (await (await fetch(`${env.facadeUrl}/health`)).json()) as typeof health;
  }
  expect(health.status).toBe('DEGRADED');
  expect(health.flags.lastError).toContain("unknown operator 'inn'");
  // Routing did not change: the onboarded application still runs on Temporal.
  await waitForRoute(env.facadeUrl, onboarded, 'temporal');
  writeFileSync(routed.flagFile, good);
  for (let i = 0; i < 40 && health.flags.state !== 'READY'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    health = (await (await fetch(`${env.facadeUrl}/health`)).json()) as typeof health;
  }
  expect(health.status).toBe('UP');
});

describe('GET /routing', () => {
  test('names the fields of an operation that send its task to the legacy Clouddriver', async () => {
    const answer = (await (
      await fetch(`${env.facadeUrl}/routing?operation=modifyServerGroupLaunchTemplateDescription&application=x`)
    ).json()) as {
      unsupportedFields: Record<string, string>;
    };
    expect(Object.keys(answer.unsupportedFields)).toEqual(expect.arrayContaining(['classicLinkVpcId', 'userDataOverride']));
    expect(answer.unsupportedFields.classicLinkVpcId).toMatch(/ClassicLink/);
  });

  test('says why an operation Bosun does not run goes to the legacy Clouddriver', async () => {
    const ask = async (operation: string) =>
      (await (await fetch(`${env.facadeUrl}/routing?operation=${operation}&application=x`)).json()) as {
        rule: string;
        reason: string;
      };
    expect(await ask('upsertEntityTags')).toMatchObject({ rule: 'unsupported-operation', reason: expect.stringMatching(/Elasticsearch/) });
    expect(await ask('disableInstancesInDiscoveryDescription')).toMatchObject({ reason: expect.stringMatching(/discovery/) });
    expect(await ask('upsertAmazonDNSDescription')).toMatchObject({ reason: expect.stringMatching(/Route 53/) });
    expect(await ask('createLambdaFunction')).toMatchObject({ rule: 'unsupported-operation', reason: expect.stringMatching(/Lambda/) });
  });
});
