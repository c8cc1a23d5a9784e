/**
 * The facade as an attacker sees it, over real sockets: malformed request lines and targets,
 * absolute-form and `..` proxy targets, CL/TE smuggling, oversized and deeply nested JSON, header
 * floods, unauthorized cancel / resume / list / re-post, a foreign-owner AMI, the codec endpoint
 * without credentials, Temporal down, and a fuzz over methods, paths, headers and bodies.
 * Every case asserts the exact refusal, that the process still serves, and that nothing changed
 * in AWS (no mutating AWS call from this suite's worker, the canary group untouched) and nothing
 * reached the legacy Clouddriver that should not have.
 */
import { randomBytes } from 'node:crypto';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeImagesCommand, RegisterImageCommand } from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import { createImageActivities } from '../../activities/images';
import { createCodecServer } from '../../client/facade/codec-endpoint';
import { createLegacyClouddriver } from '../../client/facade/legacy';
import type { Facade } from '../../client/facade/server';
import { createFacade } from '../../client/facade/server';
import type { Router } from '../../client/routing';
import { emptyDocument, formatFlagDocument, writeAtomically } from '../../client/routing';
import { createLogger, SecretsCodec, payloadKey, silentLogger } from '../../runtime';
import { FaultPlan, mentions } from '../faults';
import type { CommandRecorder, TestEnv } from '../harness';
import { ACCOUNT, recordAwsCommands, REGION, startTestEnv, testAwsClients, testAwsProvider, uniqueName } from '../harness';
import type { TaskJson } from '../support/orca-client';
import { pollTask, post } from '../support/orca-client';
import { makeServerGroup } from '../support/server-group';
import type { StandInClouddriver } from '../support/stand-in-clouddriver';
import { startStandInClouddriver } from '../support/stand-in-clouddriver';
import type { RawAnswer } from '../raw-http';
import { jsonOf, rawRequest } from '../raw-http';
import { flagRouter, waitForRoute } from './setup';

/** A stand-in Clouddriver (mounted under a base path, /cd, by the tests): every path is unknown to it. */
function startUpstream(): Promise<StandInClouddriver> {
  return startStandInClouddriver((req, res) => {
    res.writeHead(404, {
      'content-type': 'application/json',
      connection: 'close, x-upstream-private',
      'x-upstream-private': 'secret',
      'keep-alive': 'timeout=5',
    });
    res.end(JSON.stringify({ error: 'Not Found', message: `upstream has no ${req.url}` }));
  });
}

const faults = new FaultPlan();
const app = uniqueName('atk');
const canary = `${app}-canary-v001`;
let env: TestEnv;
let router: Router;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let recorder: CommandRecorder;

beforeAll(async () => {
  ({ router } = await flagRouter([app]));
  upstream = await startUpstream();
  // Image lookups by name as a deployment configured with no allowed owners runs them: the
  // deploying account's own images only (BOSUN_IMAGE_OWNERS=self).
  const imageAws = testAwsProvider();
  env = await startTestEnv({
    activities: (real) => faults.wrap({ ...real, ...createImageActivities({ aws: imageAws, imageOwners: [] }) }),
    settings: { awsRetryWindowMs: 3_000, pollIntervalMs: 100 },
    facade: { router, legacy: createLegacyClouddriver(`${upstream.url}/cd/`) },
  });
  await makeServerGroup(env, { name: canary, min: 1, max: 4, desired: 1 });
  recorder = recordAwsCommands(testAwsClients(env.aws));
});
afterAll(async () => {
  faults.release();
  await env.close();
  await router.close();
  await upstream.close();
});

const MUTATING = /^(?!Describe|Get|List)/;

/**
 * Runs `attack`, then checks what every case must leave behind: the facade still answers, no
 * mutating AWS call was made, the canary group is as it was, and (unless allowed) nothing
 * reached the legacy Clouddriver.
 */
async function unharmed<T>(attack: () => Promise<T>, opts: { upstreamMayBeCalled?: boolean } = {}): Promise<T> {
  const sentBefore = recorder.sent.length;
  const seenBefore = upstream.seen.length;
  const result = await attack();
  const health = await fetch(`${env.facadeUrl}/health`);
  expect(health.status).toBe(200);
  const mutations = recorder.sent.slice(sentBefore).filter((s) => MUTATING.test(s.command));
  expect(mutations.map((m) => m.command)).toEqual([]);
  const group = (await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [canary] })))
    .AutoScalingGroups?.[0];
  expect(group).toMatchObject({ MinSize: 1, MaxSize: 4, DesiredCapacity: 1 });
  if (!opts.upstreamMayBeCalled) expect(upstream.seen.slice(seenBefore)).toEqual([]);
  return result;
}

function expectRefusal(answer: RawAnswer, status: number, message: RegExp): void {
  expect({ status: answer.status, message: jsonOf(answer)?.message }).toEqual({ status, message: expect.stringMatching(message) });
  expect(answer.responses).toBe(1);
}

const line = (requestLine: string, headers: string[] = []) =>
  `${requestLine}\r\nHost: facade\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;

describe('malformed request lines and targets (raw socket)', () => {
  test.each([
    ['GET //[/x HTTP/1.1', 400, /names a host, not a path/],
    ['GET /task/%E0%A4%A HTTP/1.1', 400, /malformed percent-encoding|not a valid url|invalid/],
    ['GET * HTTP/1.1', 400, /only origin-form targets/],
    ['GET /task/abc\\..\\x HTTP/1.1', 400, /backslash/],
    ['GET /%00 HTTP/1.1', 400, /NUL/],
    ['GARBAGE', 400, /could not be parsed as HTTP\/1.1/],
    ['GET /health HTTP/9.9', 400, /could not be parsed as HTTP\/1.1/],
    ['GET /health HTTP/1.1 extra', 400, /could not be parsed as HTTP\/1.1/],
    [`GET /task/${'a'.repeat(300)} HTTP/1.1`, 400, /invalid request: params\/id must match pattern/],
    ['GET /task/%2e%2e HTTP/1.1', 400, /dot segments/],
    ['CONNECT 169.254.169.254:80 HTTP/1.1', 405, /CONNECT is refused/],
  ])('%s → %i', async (requestLine, status, message) => {
    const answer = await unharmed(() => rawRequest(env.facadeUrl, line(requestLine)));
    expectRefusal(answer, status, message);
  });
});

describe('proxy targets: only path + query, to the configured Clouddriver, under its base path', () => {
  test.each([
    ['GET http://169.254.169.254/latest/meta-data/iam HTTP/1.1', /only origin-form targets/],
    ['GET http://127.0.0.1:1/applications HTTP/1.1', /only origin-form targets/],
    ['GET https://evil.example/ HTTP/1.1', /only origin-form targets/],
    ['GET //evil.example/applications HTTP/1.1', /names a host, not a path/],
    ['GET /applications/../../admin HTTP/1.1', /dot segments/],
    ['GET /applications/%2e%2e/%2e%2e/admin HTTP/1.1', /dot segments/],
    ['GET /applications/..%2f..%2fadmin HTTP/1.1', /dot segments|encoded slash/],
    ['GET /applications/%2F%2Fevil HTTP/1.1', /encoded slash/],
    ['GET /./applications HTTP/1.1', /dot segments/],
  ])('%s is refused with 400 and never forwarded', async (requestLine, message) => {
    const answer = await unharmed(() => rawRequest(env.facadeUrl, line(requestLine)));
    expectRefusal(answer, 400, message);
  });

  test('a legitimate read goes to the base path with its query, and only there', async () => {
    const answer = await unharmed(() => rawRequest(env.facadeUrl, line('GET /applications/x/serverGroups?expand=true&q=%20a HTTP/1.1')), {
      upstreamMayBeCalled: true,
    });
    expect(answer.status).toBe(404);
    expect(upstream.seen.at(-1)).toMatchObject({ method: 'GET', url: '/cd/applications/x/serverGroups?expand=true&q=%20a' });
    expect(upstream.seen.at(-1)!.headers.host).toBe(new URL(upstream.url).host);
  });
});

describe('request smuggling (CL/TE) and hop-by-hop headers', () => {
  test('Content-Length together with Transfer-Encoding is refused by the parser', async () => {
    const smuggled =
      'POST /applications/x HTTP/1.1\r\nHost: f\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: f\r\n\r\n';
    expectRefusal(await unharmed(() => rawRequest(env.facadeUrl, smuggled)), 400, /could not be parsed/);
  });

  test('two different Content-Lengths are refused', async () => {
    const twice = 'POST /applications/x HTTP/1.1\r\nHost: f\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc';
    expectRefusal(await unharmed(() => rawRequest(env.facadeUrl, twice)), 400, /could not be parsed/);
  });

  test('an obfuscated Transfer-Encoding is refused', async () => {
    const obfuscated = 'POST /applications/x HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n';
    expectRefusal(await unharmed(() => rawRequest(env.facadeUrl, obfuscated)), 400, /could not be parsed/);
  });

  test('a chunked body on a GET (a request hidden inside) is refused, not forwarded unframed', async () => {
    const inner = 'GET /admin HTTP/1.1\r\nHost: cd\r\n\r\n';
    const chunked = `GET /applications/x HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked\r\n\r\n${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`;
    expectRefusal(await unharmed(() => rawRequest(env.facadeUrl, chunked)), 400, /a GET request may not carry a body/);
  });

  test('a chunked POST reaches Clouddriver with a Content-Length, and hop-by-hop and Connection-named headers are dropped both ways', async () => {
    const body = '{"hello":"world"}';
    const request =
      'POST /applications/x/tasks HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n' +
      'Connection: keep-alive, X-Secret-Hop\r\nX-Secret-Hop: leaked\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nTE: trailers\r\nUpgrade: websocket\r\n' +
      `X-Spinnaker-User: ann\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const answer = await unharmed(() => rawRequest(env.facadeUrl, request), { upstreamMayBeCalled: true });
    expect(answer.status).toBe(404);
    const seen = upstream.seen.at(-1)!;
    expect(seen).toMatchObject({ method: 'POST', url: '/cd/applications/x/tasks', body });
    expect(seen.headers['content-length']).toBe(String(body.length));
    expect(seen.headers['x-spinnaker-user']).toBe('ann');
    for (const h of ['transfer-encoding', 'x-secret-hop', 'keep-alive', 'proxy-authorization', 'te', 'upgrade'])
      expect(seen.headers[h]).toBeUndefined();
    // The upstream's own hop-by-hop headers do not come back either.
    expect(answer.headers['x-upstream-private']).toBeUndefined();
    expect(answer.headers['x-bosun-route']).toBe('legacy');
  });
});

describe('oversized and deeply nested JSON', () => {
  const postRaw = (body: string | Buffer, p = '/aws/ops') =>
    rawRequest(
      env.facadeUrl,
      Buffer.concat([
        Buffer.from(
          `POST ${p} HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\nX-Spinnaker-User: u\r\nX-Spinnaker-Accounts: test\r\nX-Spinnaker-Application: ${app}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
        ),
        Buffer.from(body),
      ]),
      10_000,
    );

  test('a body over the limit is a 413', async () => {
    expectRefusal(await unharmed(() => postRaw(`["${'x'.repeat(2 * 1024 * 1024)}"]`)), 413, /Request body is too large|too large/);
  });

  test('a declared Content-Length over the limit is refused before the body is read', async () => {
    const answer = await unharmed(() =>
      rawRequest(
        env.facadeUrl,
        `POST /aws/ops HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n[`,
      ),
    );
    expectRefusal(answer, 413, /too large/);
  });

  test('1 MiB of [{},{},…] is refused on the count, in a small answer, without stalling', async () => {
    const body = `[${Array.from({ length: 340_000 }, () => '{}').join(',')}]`;
    expect(body.length).toBeLessThan(1024 * 1024);
    const started = Date.now();
    const answer = await unharmed(() => postRaw(body));
    expectRefusal(answer, 400, /^a task may hold at most 50 operations, got \d+$/);
    expect(answer.body.length).toBeLessThan(2_000);
    // A hang guard, not a speed goal (those are benchmarks): ~1 s on an idle machine, well under
    // this on a loaded one.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('JSON nested 100,000 levels deep is refused before it is parsed', async () => {
    expectRefusal(await unharmed(() => postRaw(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)), 400, /nests deeper than 64 levels/);
    expectRefusal(
      await unharmed(() => postRaw(`[{"resizeServerGroup":${'{"a":'.repeat(70)}1${'}'.repeat(70)}}]`)),
      400,
      /nests deeper than 64 levels/,
    );
  });

  test('an asgs list over its maximum is refused naming the field, with a capped error list', async () => {
    const asgs = Array.from({ length: 5_000 }, (_, i) => ({ serverGroupName: `${app}-v${i}`, region: 'not a region' }));
    const answer = await unharmed(() =>
      postRaw(JSON.stringify([{ resizeServerGroup: { credentials: ACCOUNT, capacity: { desired: 1 }, asgs } }])),
    );
    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.body) as { errors: string[] };
    expect(body.errors).toContain(`[0].resizeServerGroup.asgs: must list at most 100 server groups`);
    expect(body.errors.length).toBeLessThanOrEqual(21);
    expect(answer.body.length).toBeLessThan(20_000);
  });

  test('prototype-poisoning keys are refused', async () => {
    expectRefusal(await unharmed(() => postRaw('[{"resizeServerGroup": {"__proto__": {"admin": true}}}]')), 400, /__proto__/);
  });

  test('a malformed clientRequestId is refused before any Temporal call', async () => {
    const answer = await unharmed(() => postRaw('[]', `/aws/ops?clientRequestId=${encodeURIComponent("x' OR 1=1 --")}`));
    expectRefusal(answer, 400, /querystring\/clientRequestId must match pattern/);
    expectRefusal(
      await unharmed(() => postRaw('[]', `/aws/ops?clientRequestId=${'a'.repeat(300)}`)),
      400,
      /clientRequestId must match pattern/,
    );
  });
});

describe('header floods', () => {
  test('one huge header is a 431', async () => {
    expectRefusal(
      await unharmed(() => rawRequest(env.facadeUrl, line('GET /health HTTP/1.1', [`X-Big: ${'a'.repeat(64 * 1024)}`]))),
      431,
      /headers are too large/,
    );
  });

  test('thousands of headers are a 431', async () => {
    const headers = Array.from({ length: 5_000 }, (_, i) => `X-H${i}: v`);
    expectRefusal(await unharmed(() => rawRequest(env.facadeUrl, line('GET /health HTTP/1.1', headers))), 431, /headers are too large/);
  });

  test('an X-SPINNAKER-ACCOUNTS with a thousand accounts is answered, not passed to Temporal as a query', async () => {
    const accounts = Array.from({ length: 1_000 }, (_, i) => `acct${i}`).join(',');
    const res = await unharmed(
      () => fetch(`${env.facadeUrl}/task`, { headers: { 'x-spinnaker-user': 'u', 'x-spinnaker-accounts': accounts } }),
      { upstreamMayBeCalled: true },
    );
    expect(res.status).toBe(200);
  });
});

describe('authorization of cancel, resume, list and re-post', () => {
  const alice = { 'x-spinnaker-user': 'alice@example.com', 'x-spinnaker-accounts': 'prod', 'x-spinnaker-application': app };
  const mallory = { 'x-spinnaker-user': 'mallory@example.com', 'x-spinnaker-accounts': ACCOUNT, 'x-spinnaker-application': app };
  let running: string;
  let failed: string;
  let failedKey: string;

  const resize = (name: string, account: string, desired: number) => [
    { resizeServerGroup: { credentials: account, region: REGION, serverGroupName: name, capacity: { min: 0, max: 4, desired } } },
  ];

  beforeAll(async () => {
    // Alice's prod task that is still running, and one that failed retryably.
    const hanging = `${app}-victim-v001`;
    await makeServerGroup(env, { name: hanging, min: 0, max: 4, desired: 0 });
    // Every attempt hangs: with a 3 s retry window the first attempt times out while these tests
    // run, and a second attempt that converged would end the task they need running.
    faults.hang('waitForServerGroupCapacity', mentions(hanging), 1000);
    // moto settles at once: the check before the wait must see an unsettled group for the wait to run.
    faults.rewriteAnswer('describeServerGroup', mentions(hanging), (g) => g && { ...g, instances: [] }, 2);
    running = (
      (await post(`${env.facadeUrl}/aws/ops?clientRequestId=${uniqueName('alice-')}`, resize(hanging, 'prod', 1), alice)).body as {
        id: string;
      }
    ).id;
    const flaky = `${app}-flaky-v001`;
    await makeServerGroup(env, { name: flaky, min: 0, max: 4, desired: 0 });
    faults.failRetryably('updateServerGroupCapacity', mentions(flaky), 1000);
    failedKey = uniqueName('alice-');
    failed = ((await post(`${env.facadeUrl}/aws/ops?clientRequestId=${failedKey}`, resize(flaky, 'prod', 2), alice)).body as { id: string })
      .id;
    expect((await pollTask(env.facadeUrl, failed)).status).toMatchObject({ failed: true, retryable: true });
    for (let i = 0; i < 50; i++) {
      const task = (await (await fetch(`${env.facadeUrl}/task/${running}`)).json()) as TaskJson;
      if (task.history.some((h) => h.status.startsWith('Waiting for'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  const runs = async (id: string) => (await env.client.workflow.count(`WorkflowId = '${id}'`)).count;
  const status = async (id: string) => (await env.client.workflow.getHandle(id).describe()).status.name;

  test('cancel without X-SPINNAKER-USER is a 401; by someone without the account a 403 naming it; the task keeps running', async () => {
    const anonymous = await unharmed(() => post(`${env.facadeUrl}/task/${running}/cancel`, '', { 'x-spinnaker-user': '' }));
    expect(anonymous.status).toBe(401);
    expect((anonymous.body as { message: string }).message).toContain('X-SPINNAKER-USER');
    const refused = await unharmed(() => post(`${env.facadeUrl}/task/${running}/cancel`, '', mallory));
    expect(refused.status).toBe(403);
    expect((refused.body as { message: string }).message).toBe(
      `cancel of task ${running} refused: mallory@example.com may not write to account prod (X-SPINNAKER-ACCOUNTS grants: test)`,
    );
    expect(await status(running)).toBe('RUNNING');
  });

  test("resume of someone else's retryable failure is a 403; nothing runs again", async () => {
    const refused = await unharmed(() => post(`${env.facadeUrl}/task/${failed}:resume`, '', mallory));
    expect(refused.status).toBe(403);
    expect((refused.body as { message: string }).message).toContain('may not write to account prod');
    expect(await runs(failed)).toBe(1);
  });

  test("a re-post with a prod task's clientRequestId, for an account the caller holds, is a 403 and re-runs nothing", async () => {
    const refused = await unharmed(() =>
      post(`${env.facadeUrl}/aws/ops?clientRequestId=${failedKey}`, resize(canary, ACCOUNT, 3), mallory),
    );
    expect(refused.status).toBe(403);
    expect((refused.body as { message: string }).message).toBe(
      `re-post of task ${failed} refused: mallory@example.com may not write to account prod (X-SPINNAKER-ACCOUNTS grants: test)`,
    );
    expect(await runs(failed)).toBe(1);
  });

  test('GET /task lists only tasks on accounts the caller holds', async () => {
    const list = async (headers: Record<string, string>) =>
      ((await (await fetch(`${env.facadeUrl}/task`, { headers })).json()) as { id: string }[]).map((t) => t.id);
    expect(await unharmed(() => list(mallory), { upstreamMayBeCalled: true })).not.toContain(running);
    expect(await unharmed(() => list({}), { upstreamMayBeCalled: true })).not.toContain(running);
    expect(await unharmed(() => list(alice), { upstreamMayBeCalled: true })).toContain(running);
  });

  test('the owner may cancel', async () => {
    const res = await post(`${env.facadeUrl}/task/${running}/cancel`, '', alice);
    expect(res.status).toBe(202);
    faults.release();
    await pollTask(env.facadeUrl, running);
  });
});

describe('clientRequestId before routing', () => {
  test('a flag flip between two identical POSTs answers the existing task and runs nothing twice', async () => {
    const flipApp = uniqueName('flip');
    const name = `${flipApp}-v001`;
    await makeServerGroup(env, { name, min: 0, max: 4, desired: 0 });
    const { flagFile, router: flipRouter } = await flagRouter([flipApp]);
    const facade = createFacade({
      client: env.client,
      taskQueue: env.taskQueue,
      settings: { awsRetryWindowMs: 3_000, pollIntervalMs: 100 },
      logger: silentLogger,
      router: flipRouter,
      legacy: createLegacyClouddriver(upstream.url),
    });
    const url = await facade.listen(0, '127.0.0.1');
    try {
      const key = uniqueName('orca-');
      const body = [
        { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { min: 0, max: 4, desired: 1 } } },
      ];
      const first = await post(`${url}/aws/ops?clientRequestId=${key}`, body);
      expect(first.status).toBe(200);
      const id = (first.body as { id: string }).id;
      await pollTask(url, id);
      // Offboarded between Orca's POST and its retry.
      await writeAtomically(flagFile, formatFlagDocument(emptyDocument()));
      await waitForRoute(url, flipApp, 'legacy');
      const seenBefore = upstream.seen.length;
      const again = await post(`${url}/aws/ops?clientRequestId=${key}`, body);
      expect(again).toMatchObject({ status: 200, body: { id, resourceUri: `/task/${id}` } });
      expect(upstream.seen.length).toBe(seenBefore);
      expect((await env.client.workflow.count(`WorkflowId = '${id}'`)).count).toBe(1);
      expect(faults.calls('updateServerGroupCapacity', mentions(name))).toBe(1);
      // A new key for the same application now goes to the legacy Clouddriver.
      await post(`${url}/aws/ops?clientRequestId=${uniqueName('orca-')}`, body);
      expect(upstream.seen.slice(seenBefore).map((x) => `${x.method} ${x.url}`)).toEqual([
        expect.stringMatching(/^POST \/aws\/ops\?clientRequestId=orca-/),
      ]);
    } finally {
      await facade.close();
      await flipRouter.close();
    }
  });
});

describe('images found by name', () => {
  test("an image of that name owned by a stranger is not used; the account's own image of the same name is", async () => {
    const clients = testAwsClients(env.aws);
    // moto's public images belong to other accounts (Amazon's, here a stranger's: only the
    // account itself is an allowed owner in this suite); take one by its name.
    const foreign = (await clients.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['suse-sles-12-sp3-*'] }] })))
      .Images?.[0];
    expect(foreign?.OwnerId).toBeDefined();
    expect(foreign!.OwnerId).not.toBe('123456789012');
    const deploy = (stack: string) => ({
      credentials: ACCOUNT,
      application: app,
      stack,
      availabilityZones: { [REGION]: ['us-east-1a'] },
      capacity: { min: 0, max: 1, desired: 0 },
      amiName: foreign!.Name,
      instanceType: 't3.micro',
    });
    const stranger = uniqueName('ami');
    const task = await unharmed(async () => {
      const res = await post(`${env.facadeUrl}/aws/ops`, [{ createServerGroup: deploy(stranger) }]);
      expect(res.status).toBe(200);
      return pollTask(env.facadeUrl, (res.body as { id: string }).id);
    });
    expect(task.status).toMatchObject({ failed: true, retryable: false });
    expect(task.resultObjects[0]).toMatchObject({
      type: 'EXCEPTION',
      cause: 'ImageNotFound',
      message: `image ${foreign!.Name} not found in ${REGION} (${ACCOUNT})`,
    });
    const groups = await clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${app}-${stranger}-v000`] }),
    );
    expect(groups.AutoScalingGroups).toEqual([]);

    // The account publishes its own image under the same name: that one is used.
    const own = await clients.ec2.send(
      new RegisterImageCommand({ Name: foreign!.Name, RootDeviceName: '/dev/sda1', Architecture: 'x86_64' }),
    );
    const mine = uniqueName('ami');
    const res = await post(`${env.facadeUrl}/aws/ops`, [{ createServerGroup: deploy(mine) }]);
    const done = await pollTask(env.facadeUrl, (res.body as { id: string }).id);
    expect(done.status.failed).toBe(false);
    expect(done.history.map((h) => h.status)).toContain(`Resolved image ${foreign!.Name} to ${own.ImageId}`);
    expect(done.history.map((h) => h.status).join('\n')).not.toContain(foreign!.ImageId);
  });
});

describe('the codec endpoint', () => {
  const token = randomBytes(24).toString('hex');
  let codecUrl: string;
  let close: () => Promise<void>;
  const codec = new SecretsCodec(payloadKey(randomBytes(32)));

  beforeAll(async () => {
    const server = await createCodecServer({ codec, token, corsOrigins: ['https://temporal-ui.example'], logger: silentLogger });
    codecUrl = await server.listen(0, '127.0.0.1');
    close = () => server.close();
  });
  afterAll(async () => close());

  const sealed = async () => {
    const [p] = await codec.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"base64UserData":"c2VjcmV0"}') },
    ]);
    return {
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(p!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(p!.data!).toString('base64'),
        },
      ],
    };
  };
  const decode = async (headers: Record<string, string>) =>
    fetch(`${codecUrl}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(await sealed()),
    });

  test('is not on the Orca-facing listener', async () => {
    const res = await unharmed(
      () =>
        fetch(`${env.facadeUrl}/codec/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ payloads: [] }),
        }),
      {
        upstreamMayBeCalled: true,
      },
    );
    expect(res.status).toBe(404);
    expect(upstream.seen.at(-1)?.url).toBe('/cd/codec/decode');
  });

  test('refuses a caller without the token, or with a wrong one, with 401', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${token}x` },
      { authorization: token },
      { cookie: `token=${token}` },
    ];
    for (const headers of attempts) {
      const res = await decode(headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toBe('the codec endpoint needs Authorization: Bearer <token>');
    }
  });

  test('answers a caller with the token, and CORS only for the allowed origin', async () => {
    const ok = await decode({ authorization: `Bearer ${token}`, origin: 'https://temporal-ui.example' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://temporal-ui.example');
    const body = (await ok.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toContain('c2VjcmV0');
    const evil = await fetch(`${codecUrl}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('Temporal unreachable', () => {
  let down: Facade;
  let url: string;
  let connection: Connection;
  beforeAll(async () => {
    // No gRPC retries in this client, so the test does not wait out the SDK's backoff.
    connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500, interceptors: [] });
    down = createFacade({
      client: new Client({ connection }),
      taskQueue: 'nowhere',
      settings: { awsRetryWindowMs: 1000, pollIntervalMs: 100 },
      logger: silentLogger,
    });
    url = await down.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await down.close();
    await connection.close();
  });

  test('a valid POST and a task read are 503 naming Temporal; /health still answers', async () => {
    const body = [{ resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: canary, capacity: { desired: 1 } } }];
    const started = await post(`${url}/aws/ops`, body);
    expect(started.status).toBe(503);
    expect((started.body as { message: string }).message).toMatch(/^Temporal did not answer/);
    const read = await fetch(`${url}/task/00000000-0000-4000-8000-000000000000`);
    expect(read.status).toBe(503);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  }, 60_000);

  test("with the SDK's own gRPC retries on, the per-request deadline still answers 503, naming the cause", async () => {
    // The default client retries UNAVAILABLE for 20–40 s; the facade's deadline cuts that short.
    const retrying = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const facade = createFacade({
      client: new Client({ connection: retrying }),
      taskQueue: 'nowhere',
      settings: { awsRetryWindowMs: 1000, pollIntervalMs: 100 },
      logger: silentLogger,
      temporalCallTimeoutMs: 1500,
    });
    const at = await facade.listen(0, '127.0.0.1');
    try {
      const t0 = Date.now();
      const read = await fetch(`${at}/task/00000000-0000-4000-8000-000000000000`);
      const waited = Date.now() - t0;
      expect(read.status).toBe(503);
      expect(((await read.json()) as { message: string }).message).toMatch(
        /^Temporal did not answer \(nothing was started or changed by this request; retry it\): .+/,
      );
      // Well under the SDK's own retry budget (20 s and more), which is what this test would wait without the deadline.
      expect(waited).toBeLessThan(15_000);
    } finally {
      await facade.close();
      await retrying.close();
    }
  }, 60_000);
});

describe('HTTP-level fuzz', () => {
  test('random methods, paths, headers and bodies: no 5xx, no crash, nothing changed in AWS', async () => {
    const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'G ET', 'get', '');
    const segment = fc.oneof(
      fc.constantFrom(
        'aws',
        'ops',
        'task',
        'resizeServerGroup',
        'cancel',
        ':resume',
        '..',
        '.',
        '',
        '%2e%2e',
        '%2F',
        '%',
        '%zz',
        '%E0%A4%A',
        '~',
        '*',
        '\\',
        'health',
        'routing',
        'metrics',
      ),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    const target = fc.oneof(
      fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join('/')}`),
      fc
        .tuple(fc.constantFrom('/aws/ops', '/ops', '/task/', '/task', '/routing'), fc.string({ maxLength: 30 }))
        .map(([a, b]) => `${a}${b}`),
      fc.constantFrom('http://169.254.169.254/', '//x', '*', 'x', ''),
    );
    const headerName = fc.oneof(
      fc.constantFrom(
        'Content-Type',
        'Transfer-Encoding',
        'Content-Length',
        'Connection',
        'X-Spinnaker-User',
        'X-Spinnaker-Accounts',
        'X-Spinnaker-Application',
        'Expect',
        'Upgrade',
        'Host',
        'Origin',
      ),
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/),
    );
    const headerValue = fc.oneof(
      fc.constantFrom('application/json', 'chunked', '0', '-1', '99999999999', 'close', 'test', '100-continue', ''),
      fc.string({ maxLength: 40 }),
    );
    const body = fc.oneof(
      fc.constant(''),
      fc.json({ maxDepth: 4 }),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const statuses = new Map<number, number>();
    const sentBefore = recorder.sent.length;
    await fc.assert(
      fc.asyncProperty(
        methods,
        target,
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
        body,
        async (method, path, headers, payload) => {
          const bytes = Buffer.concat([
            Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: f\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}`, 'latin1'),
            Buffer.from(
              headers.some(([n]) => /^content-length$/i.test(n))
                ? '\r\n'
                : `Content-Length: ${Buffer.byteLength(payload, 'latin1')}\r\n\r\n`,
              'latin1',
            ),
            Buffer.from(payload, 'latin1'),
          ]);
          const answer = await rawRequest(env.facadeUrl, bytes, 1_000, 20);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          // Every request gets an answer (an incomplete one may time out the request: 408/400), never a 5xx.
          if (answer.status === 0) return;
          expect(answer.status).toBeGreaterThanOrEqual(100);
          expect(answer.status).toBeLessThan(500);
        },
      ),
      { numRuns: 250, seed: 20261130 },
    );
    expect((await fetch(`${env.facadeUrl}/health`)).status).toBe(200);
    const mutations = recorder.sent.slice(sentBefore).filter((s) => MUTATING.test(s.command));
    expect(mutations).toEqual([]);
    process.stdout.write(`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}\n`);
  }, 300_000);
});

describe('a Bosun bug', () => {
  test('is a 500 with a request id, and the log line with that id names the error', async () => {
    const lines: string[] = [];
    const broken = createFacade({
      client: env.client,
      taskQueue: env.taskQueue,
      settings: { awsRetryWindowMs: 1000, pollIntervalMs: 100 },
      logger: createLogger('info', {}, (l) => lines.push(l)),
      router: {
        status: () => router.status(),
        decide: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'route')");
        },
      },
    });
    const url = await broken.listen(0, '127.0.0.1');
    try {
      const res = await post(`${url}/aws/ops`, [
        { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: canary, capacity: { desired: 1 } } },
      ]);
      expect(res.status).toBe(500);
      const body = res.body as { message: string; requestId: string };
      expect(body.message).toBe(`Bosun failed to answer (request id ${body.requestId}); the facade's log has the details under this id`);
      const logged = lines
        .map((l) => JSON.parse(l) as { requestId?: string; msg: string; err?: { message: string } })
        .find((l) => l.requestId === body.requestId && l.err);
      expect(logged).toMatchObject({
        msg: 'Bosun bug: unexpected error while answering a request',
        err: { message: "Cannot read properties of undefined (reading 'route')" },
      });
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      await broken.close();
    }
  });
});
