/**
 * `bosun watch` and `bosun tasks` against a running stack: the worker and the facade as their
 * own processes, the CLI spawned as a person runs it, with the same environment.
 */
import { ACCOUNT, REGION, testAwsProvider, uniqueName } from './harness';
import { pollTask, post } from './support/orca-client';
import type { ProcessStack } from './support/process-stack';
import { startProcessStack } from './support/process-stack';
import { makeServerGroup } from './support/server-group';
import { runCliProcess } from './support/bosun-cli';

const UI = 'http://temporal-ui.example:8233';

let stack: ProcessStack;
const aws = testAwsProvider();
beforeAll(async () => {
  stack = await startProcessStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  aws.destroy();
});

const bosun = (args: readonly string[]) => runCliProcess(args, { ...stack.env, TEMPORAL_UI_URL: UI }, 90_000);

async function submit(body: unknown): Promise<string> {
  const res = await post(`${stack.facadeUrl}/aws/ops`, body);
  if (res.status !== 200) throw new Error(`POST answered ${res.status}: ${JSON.stringify(res.body)}\n${stack.logs()}`);
  return (res.body as { id: string }).id;
}

/** A deploy of an image that does not exist: it fails once it looks the image up. */
function failingDeploy(application: string) {
  return {
    createServerGroup: {
      credentials: ACCOUNT,
      application,
      stack: 'main',
      availabilityZones: { [REGION]: ['us-east-1a'] },
      capacity: { min: 1, max: 1, desired: 1 },
      amiName: 'no-such-image',
      instanceType: 't3.micro',
    },
  };
}

test('watch follows a resize to its end: its steps, the numbers of its wait, its Temporal UI link; exit 0', async () => {
  const { name } = await makeServerGroup({ aws }, { prefix: 'watch', min: 1, max: 4, desired: 1 });
  const id = await submit([
    { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { desired: 2 } } },
  ]);
  const { code, stdout, stderr } = await bosun(['watch', id]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toMatch(
    new RegExp(`^following task ${id}\\n  Temporal UI: ${UI}/namespaces/default/workflows/${id}/[0-9a-f-]+/history\\n`),
  );
  expect(stdout).toContain('[RESIZE]');
  expect(stdout).toMatch(new RegExp(`${name} has 2 of 2 instances in service`));
  expect(stdout).toMatch(new RegExp(`✓ task ${id} succeeded`));
}, 120_000);

test('watch explains a failed deploy: why, what and where; exit 1', async () => {
  const id = await submit([failingDeploy(uniqueName('watchfail'))]);
  const { code, stdout } = await bosun(['watch', id]);
  expect(code).toBe(1);
  expect(stdout).toContain(`✗ task ${id} failed`);
  expect(stdout).toMatch(/\n {2}why: {3}\w*Image\w*/);
  expect(stdout).toMatch(/\n {2}what: {2}.*no-such-image/);
  expect(stdout).toMatch(/\n {2}where: after "/);
  expect(stdout).toMatch(/\n {2}retry: /);
}, 120_000);

test('watch of a task that does not exist says so; exit 1', async () => {
  const { code, stderr } = await bosun(['watch', 'no-such-task']);
  expect(code).toBe(1);
  expect(stderr).toContain('no Bosun task no-such-task');
}, 60_000);

test('tasks lists the tasks from visibility, filtered by application, failure and age', async () => {
  const ok = uniqueName('lista');
  const bad = uniqueName('listb');
  const { name } = await makeServerGroup({ aws }, { name: `${ok}-v001`, min: 1, max: 2, desired: 1 });
  const okId = await submit([
    { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { desired: 1 } } },
  ]);
  const badId = await submit([failingDeploy(bad)]);
  await Promise.all([pollTask(stack.facadeUrl, okId), pollTask(stack.facadeUrl, badId)]);

  // Visibility is eventually consistent: the listing follows within a second or two.
  const until = async (args: string[], seen: (out: string) => boolean) => {
    let last = { code: -1, stdout: '', stderr: '' };
    for (let i = 0; i < 20; i++) {
      last = await bosun(args);
      if (last.code === 0 && seen(last.stdout)) return last.stdout;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`bosun ${args.join(' ')}: ${JSON.stringify(last)}`);
  };
  const all = await until(['tasks', '--since', '1h'], (o) => o.includes(okId) && o.includes(badId));
  expect(all.split('\n')[0]).toMatch(/^TASK +OPERATION +APPLICATION +STATUS +STARTED +TOOK$/);
  expect(all).toMatch(new RegExp(`${okId} +resizeServerGroup +${ok} +SUCCEEDED`));
  expect(all).toMatch(new RegExp(`${badId} +createServerGroup +${bad} +FAILED`));

  const failed = await until(['tasks', '--failed'], (o) => o.includes(badId));
  expect(failed).not.toContain(okId);
  const byApp = await until(['tasks', '--app', ok], (o) => o.includes(okId));
  expect(byApp).not.toContain(badId);
  expect((await bosun(['tasks', '--app', ok, '--failed'])).stdout.trim()).toBe('no tasks match');
  expect((await bosun(['tasks', '--since', 'yesterday'])).code).toBe(2);
}, 120_000);
