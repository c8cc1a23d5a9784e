/**
 * deployWithStrategy end to end: the facade over HTTP, a real worker, the real AWS SDK against
 * moto. Each test deploys a source with createServerGroup first, then the strategy deploy, and
 * checks the effect in AWS (capacity, suspended processes, target-group registrations, tags).
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBosunCli } from '../client/cli/bosun';
import { ACCOUNT, REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { emulatorAl2023Image } from './support/instances';
import type { TaskJson } from './support/orca-client';
import { pollTask, post, waitForHistory } from './support/orca-client';
import { deployDescription } from './support/deploy-description';
import { createTargetGroup as createTargetGroupIn } from './support/target-groups';

const env = useTestEnv();
let amiName: string;

beforeAll(async () => {
  ({ name: amiName } = await emulatorAl2023Image(testAwsClients(env.aws).ec2));
});

const createTargetGroup = (name: string) => createTargetGroupIn(testAwsClients(env.aws), name);

const deploy = (app: string, tg: string, extra: Record<string, unknown> = {}) =>
  deployDescription(app, amiName, { stack: 'web', capacity: { min: 1, max: 4, desired: 2 }, targetGroups: [tg], ...extra });

async function group(name: string): Promise<AutoScalingGroup | undefined> {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.[0];
}

const suspended = (g: AutoScalingGroup | undefined) => (g?.SuspendedProcesses ?? []).map((p) => p.ProcessName).sort();
const tags = (g: AutoScalingGroup | undefined): Record<string, string | undefined> =>
  Object.fromEntries((g?.Tags ?? []).map((t): [string, string | undefined] => [t.Key ?? '', t.Value]));

async function registered(tgArn: string): Promise<string[]> {
  const out = await testAwsClients(env.aws).elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
  return (out.TargetHealthDescriptions ?? []).map((d): string => d.Target?.Id ?? '').sort();
}

const ids = (g: AutoScalingGroup | undefined) => (g?.Instances ?? []).map((i) => i.InstanceId!).sort();

/** A cluster with its source v000 deployed and in service behind a fresh target group. */
async function withSource(prefix: string) {
  const app = uniqueName(prefix);
  const tgName = uniqueName('tg');
  const tgArn = await createTargetGroup(tgName);
  const { task } = await env.run([{ createServerGroup: deploy(app, tgName) }]);
  expect(task.status.failed).toBe(false);
  return { app, tgName, tgArn, source: `${app}-web-v000`, next: `${app}-web-v001` };
}

async function start(body: unknown, key = uniqueName('req')): Promise<string> {
  const res = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, body);
  expect(res.status).toBe(200);
  return (res.body as { id: string }).id;
}

test('redblack with scaleDown: the new group in service, the source disabled and scaled down, Orca stage names on the history', async () => {
  const c = await withSource('rb');
  const id = await start([{ deployWithStrategy: deploy(c.app, c.tgName, { strategy: 'redblack', scaleDown: true }) }]);
  const task = await pollTask(env.facadeUrl, id, 60_000);
  expect(task.status).toMatchObject({ completed: true, failed: false });

  const fresh = await group(c.next);
  const old = await group(c.source);
  expect(fresh).toMatchObject({ MinSize: 1, DesiredCapacity: 2, MaxSize: 4 });
  expect(suspended(fresh)).toEqual([]);
  expect(suspended(old)).toEqual(['AddToLoadBalancer', 'Launch']);
  expect(old).toMatchObject({ MinSize: 0, DesiredCapacity: 0, MaxSize: 0 });
  expect(await registered(c.tgArn)).toEqual(expect.arrayContaining(ids(fresh)));

  const described = await env.client.workflow.getHandle(id).describe();
  expect(described.searchAttributes).toMatchObject({ BosunStrategy: ['redblack'], BosunDeployStep: ['succeeded'] });

  const lines = task.history.map((h) => h.status);
  expect(lines).toEqual(expect.arrayContaining(['Determine Source Server Group', 'Create Server Group', 'disableCluster', 'scaleDown']));
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(new RegExp(`^2 of 2 instances of ${c.next} up \\(2 of 2 instances up in target group ${c.tgName}\\)$`)),
    ]),
  );
  expect(task.resultObjects).toEqual(
    expect.arrayContaining([
      { ancestorServerGroupNameByRegion: { [REGION]: c.source } },
      expect.objectContaining({ serverGroupNames: [`${REGION}:${c.next}`] }),
      expect.objectContaining({
        'deploy.server.groups': { [REGION]: [c.next] },
        source: { serverGroupName: c.source, region: REGION, account: ACCOUNT },
      }),
    ]),
  );
});

test('rollingredblack whose new group never comes up by its load balancer: rolled back, the source exactly as it was and unpinned', async () => {
  const c = await withSource('rrb');
  const before = await group(c.source);
  const id = await start([
    {
      deployWithStrategy: deploy(c.app, c.tgName, {
        strategy: 'rollingredblack',
        targetPercentages: [50],
        // No classic load balancer is attached, so no instance is ever up by this provider.
        interestingHealthProviderNames: ['LoadBalancer'],
        waitTimeoutSeconds: 2,
      }),
    },
  ]);
  const task = await pollTask(env.facadeUrl, id, 60_000);
  expect(task.status).toMatchObject({ completed: true, failed: true });
  const exception = task.resultObjects.find((o) => o.type === 'EXCEPTION') as { message?: string; cause?: string } | undefined;
  expect(exception?.message).toContain('Rolled back the rollingredblack deploy');
  expect(task.history.map((h) => h.status)).toEqual(
    expect.arrayContaining([`Pin ${c.source}`, `Rolling back: restore ${c.source} to 1/2/4 and unpin it`]),
  );

  const after = await group(c.source);
  expect(after).toMatchObject({ MinSize: before!.MinSize, DesiredCapacity: before!.DesiredCapacity, MaxSize: before!.MaxSize });
  expect(suspended(after)).toEqual([]);
  expect(tags(after)['spinnaker:pinned_capacity']).toBeUndefined();
  expect(await registered(c.tgArn)).toEqual(expect.arrayContaining(ids(after)));
  expect(suspended(await group(c.next))).toEqual(['AddToLoadBalancer', 'Launch', 'Terminate']);
});

async function waitingFor(id: string, what: string): Promise<void> {
  await waitForHistory(env.facadeUrl, id, (s) => s.startsWith(`Waiting for approval ${what}`));
}

/** Starts a redblack deploy after `c`'s source with an approval gate before the cutover; answers the task id. */
const startGated = (c: { app: string; tgName: string }) =>
  start([
    {
      deployWithStrategy: deploy(c.app, c.tgName, {
        strategy: 'redblack',
        gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '5m' }],
      }),
    },
  ]);

test('an approval gate approved over HTTP: refused before it opens and for a stranger, accepted with a reason, then refused once passed', async () => {
  const c = await withSource('gate');
  const id = await startGated(c);
  const early = await post(`${env.facadeUrl}/task/${id}/skipWait`, {});
  expect([409]).toContain(early.status);
  await waitingFor(id, 'before cutover');
  const running = (await (await fetch(`${env.facadeUrl}/task/${id}`)).json()) as TaskJson;
  expect(running.status.completed).toBe(false);
  expect(running.history.at(-1)?.status).toMatch(/^Waiting for approval before cutover to /);

  const stranger = await post(`${env.facadeUrl}/task/${id}/approve`, {}, { 'x-spinnaker-accounts': 'prod' });
  expect(stranger.status).toBe(403);
  const skip = await post(`${env.facadeUrl}/task/${id}/skipWait`, {});
  expect(skip.status).toBe(409);
  expect((skip.body as { message: string }).message).toMatch(/no delay or sleep gate is open/);
  const bad = await post(`${env.facadeUrl}/task/${id}/approve`, { reason: 42 });
  expect(bad.status).toBe(400);

  const ok = await post(`${env.facadeUrl}/task/${id}/approve`, { reason: 'canary is green' });
  expect(ok.status).toBe(200);
  const task = await pollTask(env.facadeUrl, id, 60_000);
  expect(task.status.failed).toBe(false);
  expect(suspended(await group(c.source))).toEqual(['AddToLoadBalancer', 'Launch', 'Terminate']);
  const late = await post(`${env.facadeUrl}/task/${id}/rollback`, {});
  expect(late.status).toBe(409);
});

test('a rollback over HTTP at the gate: Failed as RolledBack, the source still serving, the new group out of traffic', async () => {
  const c = await withSource('gaterb');
  const id = await startGated(c);
  await waitingFor(id, 'before cutover');
  const waiting = await env.client.workflow.getHandle(id).describe();
  // The plan's cursor, as in the current details: the gate is before the cutover's disableCluster.
  expect(waiting.searchAttributes).toMatchObject({ BosunStrategy: ['redblack'], BosunDeployStep: ['Wait For Up Instances'] });
  const res = await post(`${env.facadeUrl}/task/${id}/rollback`, { reason: 'error rate up' });
  expect(res.status).toBe(200);
  const task = await pollTask(env.facadeUrl, id, 60_000);
  expect(task.status.failed).toBe(true);
  const exception = task.resultObjects.find((o) => o.type === 'EXCEPTION') as { message?: string } | undefined;
  expect(exception?.message).toContain('error rate up');
  const description = await env.client.workflow.getHandle(id).describe();
  expect(description.status.name).toBe('FAILED');
  expect(description.searchAttributes).toMatchObject({ BosunDeployStep: ['rolledBack'] });
  const source = await group(c.source);
  expect(suspended(source)).toEqual([]);
  expect(await registered(c.tgArn)).toEqual(expect.arrayContaining(ids(source)));
  expect(suspended(await group(c.next))).toEqual(['AddToLoadBalancer', 'Launch', 'Terminate']);
});

test('the same clientRequestId ten times starts one run; a bad strategy is a 400 naming the field; approve on another task type is a 400', async () => {
  const c = await withSource('idem');
  const key = uniqueName('req');
  const body = [{ deployWithStrategy: deploy(c.app, c.tgName, { strategy: 'highlander' }) }];
  const answers = await Promise.all(Array.from({ length: 10 }, () => post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, body)));
  const taskIds = new Set(answers.map((a) => (a.body as { id: string }).id));
  expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
  expect(taskIds.size).toBe(1);
  const task = await pollTask(env.facadeUrl, [...taskIds][0]!, 60_000);
  expect(task.status.failed).toBe(false);
  expect(await group(`${c.app}-web-v002`)).toBeUndefined();
  expect(await group(c.source)).toBeUndefined();

  const bad = await post(`${env.facadeUrl}/aws/ops`, [{ deployWithStrategy: deploy(c.app, c.tgName, { strategy: 'custom' }) }]);
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('strategy');

  const other = await env.run([
    { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: c.next, capacity: { min: 1, max: 4, desired: 1 } } },
  ]);
  const wrongType = await post(`${env.facadeUrl}/task/${other.id}/approve`, {});
  expect(wrongType.status).toBe(400);
});

test('the CLI approves a gate through the facade, and says why when there is none', async () => {
  const c = await withSource('cli');
  const id = await startGated(c);
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runBosunCli({
      argv: [...argv, '--facade', env.facadeUrl, '--by', 'test@example.com', '--accounts', ACCOUNT],
      env: { BOSUN_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'bosun-cli-')) },
      cwd: process.cwd(),
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  await waitingFor(id, 'before cutover');
  const skip = await cli('skip-wait', id);
  expect(skip).toMatchObject({ code: 1 });
  expect(skip.err).toMatch(/no delay or sleep gate is open/);
  const approve = await cli('approve', id, '--reason', 'from the CLI');
  expect(approve).toMatchObject({ code: 0 });
  expect(approve.out).toMatch(/approve of task .* accepted: approved by test@example.com: from the CLI/);
  expect((await pollTask(env.facadeUrl, id, 60_000)).status.failed).toBe(false);
});
