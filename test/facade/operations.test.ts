/**
 * The operations routes (client/facade/routes/operations.ts) over real HTTP against the real
 * Temporal dev server and a real worker: POST /ops, /aws/ops and /{cloudProvider}/ops/{operation}
 * with Orca-shaped payloads, Clouddriver's clientRequestId rules (also under concurrency),
 * authorization, fuzzed bodies, bad input named field by field, and where a task runs: on
 * Temporal, or unchanged at the legacy Clouddriver (the onboarding flag, and operations and fields
 * Bosun does not run).
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import fc from 'fast-check';
import { createLegacyClouddriver } from '../../client/facade/legacy';
import type { RouteDecider } from '../../client/facade/server';
import type { RoutingContext } from '../../client/routing';
import { excludeAccount, onboard, setKillSwitch } from '../../client/routing';
import { mentions } from '../faults';
import type { TestEnv } from '../harness';
import { ACCOUNT, REGION, startTestEnv, testAwsClients, uniqueName, useTestEnv } from '../harness';
import { pollTask, post } from '../support/orca-client';
import { makeServerGroup } from '../support/server-group';
import type { StandInClouddriver } from '../support/stand-in-clouddriver';
import { startStandInClouddriver } from '../support/stand-in-clouddriver';
import { editFlags, orcaHeaders, orcaResize, resize, useEnvWithoutLegacy, useOrcaEnv, useRoutedEnv, waitForRoute } from './setup';

const { env, faults, group } = useOrcaEnv();

describe("Orca's POSTs", () => {
  test.each([
    ['/ops', true],
    ['/aws/ops', true],
    ['/ops/resizeServerGroup', false],
    ['/aws/ops/resizeServerGroup', false],
  ])('POST %s starts a task Orca can poll', async (path, list) => {
    const name = await group('path');
    const body = list ? [{ resizeServerGroup: orcaResize(name, 2) }] : orcaResize(name, 2);
    const res = await post(`${env.facadeUrl}${path}`, body, orcaHeaders);
    expect(res.status).toBe(200);
    const { id, resourceUri } = res.body as { id: string; resourceUri: string };
    expect(resourceUri).toBe(`/task/${id}`);
    const task = await pollTask(env.facadeUrl, id);
    expect(Object.keys(task).sort()).toEqual([
      'history',
      'id',
      'outputs',
      'ownerId',
      'requestId',
      'resultObjects',
      'retryable',
      'sagaIds',
      'startTimeMs',
      'status',
    ]);
    expect(task.status).toEqual({
      phase: 'ORCHESTRATION',
      status: 'Orchestration completed.',
      complete: true,
      completed: true,
      failed: false,
      retryable: false,
    });
    const desc = await env.client.workflow.getHandle(id).describe();
    expect(desc.searchAttributes.BosunApplication).toEqual(['orcaapp']);
    expect(await desc.staticDetails()).toContain('Spinnaker execution: 01ABC:stage1:task1');
  });

  test('concurrent duplicates of one clientRequestId start exactly one workflow', async () => {
    const name = await group('dupes');
    const key = uniqueName('orca-');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, [{ resizeServerGroup: orcaResize(name, 3) }]),
      ),
    );
    const ids = new Set(answers.map((a) => (a.body as { id: string }).id));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const task = await pollTask(env.facadeUrl, id!);
    expect(task.requestId).toBe(key);
    expect((await env.client.workflow.count(`WorkflowId = '${id}'`)).count).toBe(1);
    expect(faults.calls('updateServerGroupCapacity', mentions(name))).toBe(1);
  });

  test('POST /ops with resizeAsgDescription and a capacity inside each asgs entry resizes each group to its own', async () => {
    const a = await group('entrya');
    const b = await group('entryb');
    const res = await post(
      `${env.facadeUrl}/ops`,
      [
        {
          resizeAsgDescription: {
            credentials: ACCOUNT,
            asgs: [
              { serverGroupName: a, region: REGION, capacity: { min: 1, max: 4, desired: 2 } },
              {
                asgName: b,
                region: REGION,
                capacity: { min: 0, max: 4, desired: 3 },
                constraints: { capacity: { min: 1, max: 4, desired: 1 } },
              },
            ],
          },
        },
      ],
      orcaHeaders,
    );
    expect(res.status).toBe(200);
    const task = await pollTask(env.facadeUrl, (res.body as { id: string }).id);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    const groups = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [a, b] }));
    const capacity = Object.fromEntries(
      (groups.AutoScalingGroups ?? []).map((g) => [g.AutoScalingGroupName, [g.MinSize, g.DesiredCapacity, g.MaxSize]]),
    );
    expect(capacity).toEqual({ [a]: [1, 2, 4], [b]: [0, 3, 4] });
  });
});

describe('authorization like Clouddriver', () => {
  test('no X-SPINNAKER-USER is refused with 401', async () => {
    const res = await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: orcaResize('authz-v001', 1) }], { 'x-spinnaker-user': '' });
    expect(res.status).toBe(401);
    expect((res.body as { message: string }).message).toContain('X-SPINNAKER-USER');
  });

  test('an account outside X-SPINNAKER-ACCOUNTS is refused with 403 naming it, and nothing starts', async () => {
    const before = (await env.client.workflow.count(`TaskQueue = '${env.taskQueue}'`)).count;
    const res = await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: { ...orcaResize('authz-v001', 1), credentials: 'prod' } }], {
      'x-spinnaker-accounts': 'test',
      'x-spinnaker-user': 'mallory@example.com',
    });
    expect(res.status).toBe(403);
    expect((res.body as { message: string }).message).toBe(
      'mallory@example.com may not write to account prod (X-SPINNAKER-ACCOUNTS grants: test)',
    );
    expect((await env.client.workflow.count(`TaskQueue = '${env.taskQueue}'`)).count).toBe(before);
  });

  test('a clone from an account the user may not write is refused too', async () => {
    const res = await post(
      `${env.facadeUrl}/aws/ops`,
      [{ cloneServerGroup: { credentials: 'test', source: { account: 'prod', region: REGION, asgName: 'x-v001' } } }],
      { 'x-spinnaker-accounts': 'test' },
    );
    expect(res.status).toBe(403);
    expect((res.body as { message: string }).message).toContain('account prod');
  });
});

test('fuzzed bodies never get a 5xx', async () => {
  const opKeys = [
    'resizeServerGroup',
    'createServerGroup',
    'cloneServerGroup',
    'destroyServerGroup',
    'enableServerGroup',
    'terminateInstances',
    'upsertScalingPolicy',
    'unknownOp',
  ];
  const description = fc.dictionary(
    fc.constantFrom(
      'credentials',
      'region',
      'serverGroupName',
      'asgName',
      'capacity',
      'availabilityZones',
      'amiName',
      'instanceIds',
      'asgs',
      'source',
      'application',
      'processes',
    ),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.array(fc.dictionary(fc.constantFrom(...opKeys), description, { minKeys: 1, maxKeys: 2 }), { maxLength: 3 }),
  );
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(body, fc.constantFrom('/aws/ops', '/ops/resizeServerGroup', '/aws/ops/createServerGroup'), async (b, path) => {
      const res = await post(`${env.facadeUrl}${path}?clientRequestId=${uniqueName('fuzz-')}`, JSON.stringify(b));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      // A valid body may start a task (200); anything else must be a 4xx that explains itself.
      if (res.status !== 200) {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(typeof (res.body as { message?: unknown }).message).toBe('string');
      }
    }),
    { numRuns: 150, seed: 20261126 },
  );
  expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
});

/** Bad input gets a 4xx that names the field and the problem, never a 500, and starts nothing. */
describe('bad input', () => {
  // No worker: nothing here may reach one.
  const bare = useTestEnv({ withWorker: false });

  interface ErrorBody {
    status: number;
    message: string;
    errors?: string[];
  }

  test('malformed JSON is a 400 that says so', async () => {
    const res = await post(`${bare.facadeUrl}/aws/ops`, '[{"resizeServerGroup": {');
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).message).toMatch(/^the request body is not valid JSON/);
  });

  test('an empty body is a 400', async () => {
    const res = await post(`${bare.facadeUrl}/aws/ops`, '');
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).message).toContain('empty');
  });

  test('missing and wrong fields are each named', async () => {
    const res = await post(`${bare.facadeUrl}/aws/ops`, [
      { resizeServerGroup: { region: 'us-east-1', serverGroupName: 'app-v001', capacity: { min: -1, desired: 'two' } } },
    ]);
    expect(res.status).toBe(400);
    const errors = (res.body as ErrorBody).errors ?? [];
    expect(errors).toEqual(
      expect.arrayContaining([
        '[0].resizeServerGroup.capacity.min: must be 0 or more',
        '[0].resizeServerGroup.capacity.desired: must be a whole number',
        '[0].resizeServerGroup.credentials: is required (the account name)',
      ]),
    );
  });

  test('a missing capacity and a bad region are named in the single-operation form', async () => {
    const res = await post(`${bare.facadeUrl}/aws/ops/resizeServerGroup`, {
      credentials: 'test',
      region: 'Mars',
      serverGroupName: 'app-v001',
    });
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).errors).toEqual(
      expect.arrayContaining(['region: must be an AWS region name such as us-east-1', 'capacity: is required']),
    );
  });

  test('min above max is refused before anything starts', async () => {
    const res = await post(`${bare.facadeUrl}/aws/ops`, [
      { resizeServerGroup: { credentials: 'test', region: 'us-east-1', serverGroupName: 'app-v001', capacity: { min: 5, max: 2 } } },
    ]);
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).errors).toContain('[0].resizeServerGroup.capacity.min: min 5 is greater than max 2');
  });

  test('an unknown operation is a 400 naming it and listing what Bosun runs', async () => {
    const list = await post(`${bare.facadeUrl}/aws/ops`, [{ deployTheMoon: {} }]);
    expect(list.status).toBe(400);
    expect((list.body as ErrorBody).message).toContain("unknown operation 'deployTheMoon'");
    expect((list.body as ErrorBody).message).toContain('resizeServerGroup');
    const single = await post(`${bare.facadeUrl}/aws/ops/deployTheMoon`, {});
    expect(single.status).toBe(400);
    expect((single.body as ErrorBody).message).toContain("unknown operation 'deployTheMoon'");
  });

  test('the list form refuses a non-list and an empty list', async () => {
    const obj = await post(`${bare.facadeUrl}/aws/ops`, { resizeServerGroup: {} });
    expect(obj.status).toBe(400);
    expect((obj.body as ErrorBody).message).toContain('must be a JSON list');
    const empty = await post(`${bare.facadeUrl}/aws/ops`, []);
    expect(empty.status).toBe(400);
    expect((empty.body as ErrorBody).message).toContain('empty');
  });

  test('an oversized body is a 413', async () => {
    const res = await post(`${bare.facadeUrl}/aws/ops`, JSON.stringify([{ resizeServerGroup: { pad: 'x'.repeat(2 * 1024 * 1024) } }]));
    expect(res.status).toBe(413);
  });

  test('none of the refused requests started a workflow', async () => {
    expect((await bare.client.workflow.count(`TaskQueue = '${bare.taskQueue}'`)).count).toBe(0);
  });
});

/**
 * The platform team's path: the onboarding flag file decides per application whether a task
 * runs on Temporal or goes, unchanged, to the legacy Clouddriver (a stand-in that records what
 * reaches it).
 */
describe('routing to the legacy Clouddriver', () => {
  const routed = useRoutedEnv();
  const { onboarded, legacyApp } = routed;

  test('an onboarded application runs on Temporal; another goes to Clouddriver byte for byte, headers and status kept', async () => {
    await makeServerGroup(routed.env, { name: `${onboarded}-v001`, min: 0, max: 2, desired: 0 });
    const ours = await post(`${routed.env.facadeUrl}/aws/ops`, resize(onboarded));
    expect(ours.status).toBe(200);
    expect((await pollTask(routed.env.facadeUrl, (ours.body as { id: string }).id)).status.failed).toBe(false);

    const raw = `[ {"resizeServerGroup": {"credentials": "${ACCOUNT}", "region": "${REGION}", "serverGroupName": "${legacyApp}-v001", "capacity": {"desired": 1}, "extra": "kept as sent"}} ]`;
    const before = routed.upstream.seen.length;
    const res = await fetch(`${routed.env.facadeUrl}/aws/ops?clientRequestId=abc`, {
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
    const seen = routed.upstream.seen.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/aws/ops?clientRequestId=abc', body: raw });
    expect(seen[0]!.headers).toMatchObject({ 'x-spinnaker-user': 'ann@example.com', 'x-spinnaker-execution-id': 'e:s:t' });

    // Orca polls the legacy task through the facade; Bosun does not know it, so it goes upstream.
    const task = await fetch(`${routed.env.facadeUrl}/task/legacy-task-1`);
    expect(task.status).toBe(200);
    expect(((await task.json()) as { id: string }).id).toBe('legacy-task-1');
  });

  test('operations Bosun does not run go to Clouddriver whatever the flag says', async () => {
    const before = routed.upstream.seen.length;
    const res = await post(`${routed.env.facadeUrl}/aws/ops`, [
      { upsertAmazonDNSDescription: { application: onboarded, credentials: ACCOUNT } },
    ]);
    expect(res.status).toBe(200);
    expect(routed.upstream.seen.length).toBe(before + 1);
  });

  test('an edit of the flag file changes the route of the next request, with no restart', async () => {
    const url = routed.env.facadeUrl;
    const app = uniqueName('flip');
    expect((await post(`${url}/aws/ops`, resize(app))).body).toMatchObject({ id: 'legacy-task-1' });

    await editFlags(routed.flagFile, 'onboard', { app }, (d) => onboard(d, app));
    const ms = await waitForRoute(url, app, 'temporal');
    const onTemporal = await post(`${url}/aws/ops`, resize(app));
    expect((onTemporal.body as { id: string }).id).not.toBe('legacy-task-1');
    await pollTask(url, (onTemporal.body as { id: string }).id);
    process.stdout.write(`flag edit seen by the facade after ${ms} ms\n`);

    // The kill switch sends everything back at once.
    await editFlags(routed.flagFile, 'kill-switch', { on: true }, (d) => setKillSwitch(d, true));
    await waitForRoute(url, app, 'legacy');
    expect((await post(`${url}/aws/ops`, resize(app))).body).toMatchObject({ id: 'legacy-task-1' });
    await editFlags(routed.flagFile, 'kill-switch', { on: false }, (d) => setKillSwitch(d, false));
    await waitForRoute(url, app, 'temporal');
  });

  test('an excluded account keeps an onboarded application on Clouddriver for that account only', async () => {
    const url = routed.env.facadeUrl;
    await editFlags(routed.flagFile, 'exclude-account', {}, (d) => excludeAccount(d, 'prod'));
    await waitForRoute(url, onboarded, 'legacy', 'prod');
    const d = (await (await fetch(`${url}/routing?application=${onboarded}&account=prod&operation=resizeServerGroup`)).json()) as {
      route: string;
      rule: string;
    };
    expect(d).toMatchObject({ route: 'legacy', rule: 'legacy-account-excluded' });
    expect(
      (await post(`${url}/aws/ops`, [{ resizeServerGroup: { ...resize(onboarded)[0]!.resizeServerGroup, credentials: 'prod' } }])).body,
    ).toMatchObject({
      id: 'legacy-task-1',
    });
  });

  describe('without a legacy Clouddriver', () => {
    const bare = useEnvWithoutLegacy(() => routed.router);

    test('a request for an application not onboarded gets a clear 503 and starts nothing', async () => {
      const res = await post(`${bare.facadeUrl}/aws/ops`, resize(uniqueName('nobody')));
      expect(res.status).toBe(503);
      expect((res.body as { message: string }).message).toMatch(/is not routed to Bosun: .* and no legacy Clouddriver is configured/);
      expect((await bare.client.workflow.count(`TaskQueue = '${bare.taskQueue}'`)).count).toBe(0);
    });
  });

  test('a legacy Clouddriver that does not answer is a 502 naming it', async () => {
    const dead = await startTestEnv({
      withWorker: false,
      facade: { router: routed.router, legacy: createLegacyClouddriver('http://127.0.0.1:9') },
    });
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
      status: () => routed.router.status(),
      decide: async (c) => {
        asked.push(c);
        return c.region === 'eu-west-1'
          ? { route: 'legacy', rule: 'legacy-region', reason: 'eu-west-1 stays on Clouddriver', flagState: 'READY' }
          : { route: 'temporal', rule: 'allowlisted', reason: 'test', flagState: 'READY' };
      },
    };
    const regional = await startTestEnv({
      withWorker: false,
      facade: { router: stub, legacy: createLegacyClouddriver(routed.upstream.url) },
    });
    try {
      const app = uniqueName('regions');
      const before = routed.upstream.seen.length;
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
      expect(routed.upstream.seen.length).toBe(before + 1);
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
});

/**
 * A field Bosun does not run never changes what a task does: the whole task goes to the legacy
 * Clouddriver (rule `unsupported-field`, in the metrics), or without one is refused with a 400
 * that names the field. Values with no effect in Clouddriver, fields no Clouddriver description
 * defines, and Jackson's readings of scalars run on Bosun as usual.
 */
describe('fields Bosun does not run', () => {
  let withLegacy: TestEnv;
  let upstream: StandInClouddriver;
  // The env of this file has no legacy Clouddriver.
  const alone = env;

  beforeAll(async () => {
    upstream = await startStandInClouddriver((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'legacy-1', resourceUri: '/task/legacy-1' }));
    });
    withLegacy = await startTestEnv({ facade: { legacy: createLegacyClouddriver(upstream.url) } });
  });
  afterAll(async () => {
    await withLegacy.close();
    await upstream.close();
  });

  const template = (extra: Record<string, unknown>) => [
    { updateLaunchTemplate: { credentials: ACCOUNT, region: REGION, asgName: 'fieldapp-v001', instanceType: 'm5.large', ...extra } },
  ];

  test('a task setting a field Bosun does not run goes whole, as sent, to the legacy Clouddriver', async () => {
    const body = JSON.stringify(template({ classicLinkVpcId: 'vpc-0abc', someOrcaField: 1 }));
    const before = upstream.seen.length;
    const res = await post(`${withLegacy.facadeUrl}/aws/ops`, body);
    expect(res).toEqual({ status: 200, body: { id: 'legacy-1', resourceUri: '/task/legacy-1' } });
    const forwarded = upstream.seen.slice(before);
    expect(forwarded.map((r) => [r.method, r.url, r.body])).toEqual([['POST', '/aws/ops', body]]);

    const metrics = await (await fetch(`${withLegacy.facadeUrl}/metrics`)).text();
    expect(metrics).toMatch(/bosun_routing_decisions_total\{route="legacy",rule="unsupported-field"\} 1/);
  });

  test('without a legacy Clouddriver the task is refused with a 400 naming the field, and nothing starts', async () => {
    const res = await post(`${alone.facadeUrl}/aws/ops`, template({ userDataOverride: { enabled: true, tokenizerName: 'default' } }));
    expect(res.status).toBe(400);
    const body = res.body as { message: string; errors: string[] };
    expect(body.errors).toEqual([expect.stringMatching(/^\[0\]\.updateLaunchTemplate\.userDataOverride: Bosun does not run this field/)]);
    expect(body.message).toMatch(/no legacy Clouddriver is configured/);

    const single = await post(
      `${alone.facadeUrl}/aws/ops/updateLaunchTemplate`,
      template({ classicLinkVpcSecurityGroups: ['sg-1'] })[0]!.updateLaunchTemplate,
    );
    expect(single.status).toBe(400);
    expect((single.body as { errors: string[] }).errors).toEqual([expect.stringMatching(/^classicLinkVpcSecurityGroups: /)]);
  });

  test('values with no effect, fields Clouddriver does not define, strings for numbers and nulls run on Bosun', async () => {
    const group = await makeServerGroup(withLegacy, { prefix: 'fieldapp', min: 1, max: 4 });
    const before = upstream.seen.length;
    const { task } = await withLegacy.run([
      {
        resizeServerGroup: {
          credentials: ACCOUNT,
          region: REGION,
          serverGroupName: group.name,
          // As SpEL-templated pipeline parameters arrive, with Orca's stage context around them.
          capacity: { min: '2', max: '4', desired: '3' },
          waitForCapacity: 'true',
          cloudProvider: null,
          moniker: null,
          refId: '3',
          requisiteStageRefIds: ['2'],
          stageEnabled: { type: 'expression' },
          interestingHealthProviderNames: ['Amazon'],
        },
      },
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect(upstream.seen.length).toBe(before);
    const asg = (
      await testAwsClients(withLegacy.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group.name] }))
    ).AutoScalingGroups![0]!;
    expect([asg.MinSize, asg.DesiredCapacity, asg.MaxSize]).toEqual([2, 3, 4]);
  });
});
