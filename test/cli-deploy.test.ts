/**
 * `bosun deploy --file body.json` against a running stack: the worker and the facade as their own
 * processes, the CLI spawned as a person runs it. It posts the deployWithStrategy through the
 * facade, then follows the task to its end with `watch`; the exit code is the deploy's outcome.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deployBody } from '../client/cli/bosun';
import { ACCOUNT, REGION, testAwsClients, testAwsProvider, uniqueName } from './harness';
import { emulatorAl2023Image } from './support/instances';
import type { ProcessStack } from './support/process-stack';
import { startProcessStack } from './support/process-stack';
import { runCliProcess } from './support/bosun-cli';

let stack: ProcessStack;
let amiName: string;
const aws = testAwsProvider();
beforeAll(async () => {
  stack = await startProcessStack();
  ({ name: amiName } = await emulatorAl2023Image(testAwsClients(aws).ec2));
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  aws.destroy();
});

const bosun = (args: readonly string[]) => runCliProcess(args, stack.env, 150_000);

function bodyFile(body: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bosun-deploy-')), 'body.json');
  writeFileSync(file, JSON.stringify(body));
  return file;
}

function description(app: string, image: string) {
  return {
    credentials: ACCOUNT,
    application: app,
    stack: 'cli',
    availabilityZones: { [REGION]: ['us-east-1a'] },
    capacity: { min: 1, max: 2, desired: 1 },
    amiName: image,
    instanceType: 't3.micro',
  };
}

const deployArgs = (file: string) => [
  'deploy',
  '--file',
  file,
  '--facade',
  stack.facadeUrl,
  '--by',
  'cli@example.com',
  '--accounts',
  ACCOUNT,
];

async function groupsOf(cluster: string) {
  // By name: the shared emulator holds every test's groups, more than one unfiltered page.
  const names = [0, 1, 2, 3].map((n) => `${cluster}-v${String(n).padStart(3, '0')}`);
  const out = await testAwsClients(aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }));
  return (out.AutoScalingGroups ?? [])
    .map((g) => ({
      name: g.AutoScalingGroupName!,
      disabled: (g.SuspendedProcesses ?? []).some((p) => p.ProcessName === 'AddToLoadBalancer'),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

test('deploy --file posts a deployWithStrategy through the facade and watches it to success; a second red/black disables the first; exit 0', async () => {
  const app = uniqueName('clidep');
  const first = await bosun(deployArgs(bodyFile({ deployWithStrategy: { ...description(app, amiName), strategy: 'redblack' } })));
  expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
  const id = /deploy started: task (\S+)/.exec(first.stdout)?.[1];
  expect(id).toBeDefined();
  expect(first.stdout).toContain(`following task ${id}`);
  expect(first.stdout).toMatch(new RegExp(`✓ task ${id} succeeded`));

  // The bare description (no operation key) is accepted too.
  const second = await bosun(deployArgs(bodyFile({ ...description(app, amiName), strategy: 'redblack' })));
  expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
  expect(await groupsOf(`${app}-cli`)).toEqual([
    { name: `${app}-cli-v000`, disabled: true },
    { name: `${app}-cli-v001`, disabled: false },
  ]);
}, 300_000);

test('deploy --file of a deploy that fails: watched to its failure, explained; exit 1', async () => {
  const app = uniqueName('clifail');
  const res = await bosun(deployArgs(bodyFile([{ deployWithStrategy: { ...description(app, 'no-such-image'), strategy: 'highlander' } }])));
  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(/✗ task \S+ failed/);
  expect(res.stdout).toContain('no-such-image');
}, 200_000);

test('deploy refuses what it cannot post: no --file (usage, 2), a bad strategy (the facade names the field, 1)', async () => {
  const none = await bosun(['deploy', '--facade', stack.facadeUrl]);
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('needs --file');
  const bad = await bosun(
    deployArgs(bodyFile({ deployWithStrategy: { ...description(uniqueName('clibad'), amiName), strategy: 'blue' } })),
  );
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/refused it \(400\).*strategy/);
}, 120_000);

test('deployBody takes a description, {deployWithStrategy: …} or a list of one, and nothing else', () => {
  const d = { application: 'app', strategy: 'redblack', capacity: { min: 1, max: 1, desired: 1 } };
  const want = { body: [{ deployWithStrategy: d }], application: 'app' };
  expect(deployBody(d)).toEqual(want);
  expect(deployBody({ deployWithStrategy: d })).toEqual(want);
  expect(deployBody([{ deployWithStrategy: d }])).toEqual(want);
  expect(() => deployBody([d, d])).toThrow(/list of one/);
  expect(() => deployBody({ createServerGroup: d })).toThrow(/names the operation 'createServerGroup'/);
});
