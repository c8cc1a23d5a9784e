/**
 * deployWithStrategy's golden sequences: the workflow runs on the test run's dev server with its
 * activities stubbed by a small in-memory cluster, and each strategy's AWS-changing calls must come
 * in Orca's order (STRATEGIES.md §1). Also the saga: a failure before the commit point puts the
 * source back, a `rollback` Update, an approval gate, the traffic guard and a cleanup failure after
 * the commit point. Stubbed rather than moto because the cases need health states moto cannot give
 * (every moto instance is healthy at once) and failures at exact points.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../activities';
import type { DeployWithStrategy } from '../domain/operations';
import { parseOperation } from '../domain/operations';
import type { ServerGroupSnapshot } from '../domain/server-group';
import type { InstanceHealth } from '../domain/strategy';
import type { OperationInput } from '../domain/task-input';
import { uniqueName } from '../test/harness';
import { useWorkflowTestWorker } from '../test/support/workflow-test-worker';
import type { DeployStatus } from './deploy-control';

const taskQueue = uniqueName('strategy-');
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/abc';

interface FakeGroup {
  name: string;
  created: number;
  min: number;
  desired: number;
  max: number;
  suspended: Set<string>;
  /** Instances out of the target group. */
  out: Set<string>;
  tags: Record<string, string>;
  /** Instances that never become healthy (a bad build). */
  unhealthy?: boolean;
}

let groups: Map<string, FakeGroup>;
let calls: string[];
let failOn: ((call: string) => boolean) | undefined;
let clock = 0;

const ids = (g: FakeGroup) => Array.from({ length: g.desired }, (_, i) => `i-${g.name.slice(-4)}${i}`);
const snapshot = (g: FakeGroup): ServerGroupSnapshot => ({
  serverGroupName: g.name,
  region: 'us-east-1',
  capacity: { min: g.min, desired: g.desired, max: g.max },
  instances: ids(g).map((instanceId) => ({ instanceId, lifecycleState: 'InService', healthStatus: 'Healthy' })),
  suspendedProcesses: [...g.suspended],
  targetGroupArns: [TG],
  loadBalancerNames: [],
  launchTemplate: { name: g.name },
  tags: g.tags,
  createdTimeMs: g.created,
});
const group = (name: string) => {
  const g = groups.get(name);
  if (!g) throw new Error(`no group ${name}`);
  return g;
};

type Input = Record<string, unknown> & { serverGroupName?: string; region: string };
/** Each stub: what the activity does to the fake cluster. Reads are not recorded. */
const stubs: Record<string, (i: Input) => unknown> = {
  describeCluster: () => [...groups.values()].sort((a, b) => a.created - b.created).map(snapshot),
  describeServerGroup: (i) => (groups.has(i.serverGroupName!) ? snapshot(group(i.serverGroupName!)) : null),
  describeGroupHealth: (i): InstanceHealth[] | null => {
    const g = groups.get(i.serverGroupName!);
    if (!g) return null;
    return ids(g).map((instanceId) => ({
      instanceId,
      healths: [
        { type: 'Amazon', name: 'Amazon', state: g.unhealthy ? 'Starting' : 'Up' },
        { type: 'TargetGroup', name: 'web-tg', state: g.unhealthy ? 'Starting' : g.out.has(instanceId) ? 'OutOfService' : 'Up' },
      ],
    }));
  },
  resolveImage: () => ({ imageId: 'ami-0123456789abcdef0', name: 'img' }),
  resolveDeployResources: () => ({ subnetIds: [], targetGroupArns: [TG], securityGroupIds: [] }),
  chooseServerGroupName: () => {
    const n = Math.max(-1, ...[...groups.keys()].map((k) => Number(k.slice(-3)))) + 1;
    return { serverGroupName: `app-main-v${String(n).padStart(3, '0')}`, sequence: n };
  },
  createServerGroupLaunchTemplate: () => ({ launchTemplateId: 'lt-1', launchTemplateName: 'x' }),
  createAutoScalingGroup: (i) => {
    groups.set(i.serverGroupName!, {
      name: i.serverGroupName!,
      created: ++clock,
      min: 0,
      desired: 0,
      max: Number(i.maxSize),
      suspended: new Set(i.suspendedProcesses as string[]),
      out: new Set(),
      tags: {},
      unhealthy: unhealthyNext,
    });
    return {};
  },
  copySourceScaling: () => ({ sourceFound: true, policies: [], alarms: [], scheduledActions: [] }),
  deleteCopiedAlarms: () => ({ deleted: [] }),
  updateServerGroupCapacity: (i) => {
    const g = groups.get(i.serverGroupName!);
    if (g) Object.assign(g, i.capacity);
    return {};
  },
  suspendProcesses: (i) => {
    const g = groups.get(i.serverGroupName!);
    for (const p of i.processes as string[]) g?.suspended.add(p);
    return { found: !!g, changed: i.processes };
  },
  resumeProcesses: (i) => {
    const g = groups.get(i.serverGroupName!);
    for (const p of i.processes as string[]) g?.suspended.delete(p);
    return { found: !!g, changed: i.processes };
  },
  chooseInstancesToDisable: (i) => {
    const all = (i.instanceIds as string[]).slice().sort();
    const g = group(i.serverGroupName!);
    const already = all.filter((x) => g.out.has(x)).length;
    const wanted = Math.ceil((all.length * Number(i.desiredPercentage)) / 100);
    return { instanceIds: all.filter((x) => !g.out.has(x)).slice(0, Math.max(0, wanted - already)), alreadyDisabled: already };
  },
  deregisterInstancesFromTargetGroups: (i) => {
    for (const x of i.instanceIds as string[]) group(i.serverGroupName!).out.add(x);
    return { changed: (i.instanceIds as string[]).length, missing: [] };
  },
  registerInstancesWithTargetGroups: (i) => {
    for (const x of i.instanceIds as string[]) group(i.serverGroupName!).out.delete(x);
    return { changed: (i.instanceIds as string[]).length, missing: [] };
  },
  putServerGroupTags: (i) => {
    Object.assign(group(i.serverGroupName!).tags, i.tags);
    return { found: true };
  },
  deleteServerGroupTags: (i) => {
    for (const k of i.tagKeys as string[]) delete group(i.serverGroupName!).tags[k];
    return { found: true };
  },
  forceDeleteServerGroup: (i) => {
    groups.delete(i.serverGroupName!);
    return { deleted: true };
  },
  waitForServerGroupDeleted: () => ({ message: 'deleted' }),
  describeServerGroupDeletion: () => null,
  deleteServerGroupLaunchTemplate: () => ({ outcome: 'deleted' }),
  findServerGroupLeftovers: () => [],
  rollbackServerGroup: (i) => {
    const existed = groups.delete(i.serverGroupName!);
    return { deletedGroup: existed, deletedTemplate: true };
  },
};
let unhealthyNext = false;

const READS = /^(describe|resolve|choose|find|copySourceScaling)/;
function record(name: string, i: Input): void {
  if (READS.test(name)) return;
  const what =
    name === 'updateServerGroupCapacity'
      ? ` ${(i.capacity as { min: number; desired: number; max: number }).min}/${(i.capacity as { desired: number }).desired}/${(i.capacity as { max: number }).max}`
      : name.endsWith('Processes')
        ? ` ${(i.processes as string[]).join(',')}`
        : name.includes('Instances')
          ? ` ${(i.instanceIds as string[]).length}`
          : name.endsWith('Tags')
            ? ` ${Object.keys((i.tags as object | undefined) ?? {}).join(',')}${((i.tagKeys as string[] | undefined) ?? []).join(',')}`
            : '';
  calls.push(`${name} ${i.serverGroupName ?? ''}${what}`);
}

const activities = Object.fromEntries(
  Object.entries(stubs).map(([name, stub]) => [
    name,
    async (i: Input) => {
      record(name, i);
      const label = `${name} ${i.serverGroupName ?? ''}`;
      if (failOn?.(label)) throw ApplicationFailure.nonRetryable(`injected failure in ${label}`, 'Injected');
      return stub(i);
    },
  ]),
) as unknown as Activities;

const testEnv = useWorkflowTestWorker(taskQueue, () => activities);

/** v000 scaled down and disabled, v001 the enabled source at 2/4/6 behind web-tg. */
beforeEach(() => {
  calls = [];
  failOn = undefined;
  unhealthyNext = false;
  clock = 0;
  groups = new Map();
  const add = (name: string, c: [number, number, number], disabled: boolean) =>
    groups.set(name, {
      name,
      created: ++clock,
      min: c[0],
      desired: c[1],
      max: c[2],
      suspended: new Set(disabled ? ['Launch', 'Terminate', 'AddToLoadBalancer'] : []),
      out: new Set(),
      tags: {},
    });
  add('app-main-v000', [0, 0, 0], true);
  add('app-main-v001', [2, 4, 6], false);
});

function description(extra: Record<string, unknown>): DeployWithStrategy {
  const parsed = parseOperation('deployWithStrategy', {
    credentials: 'test',
    application: 'app',
    stack: 'main',
    availabilityZones: { 'us-east-1': ['us-east-1a'] },
    capacity: { min: 2, max: 6, desired: 4 },
    amiName: 'img',
    instanceType: 't3.micro',
    targetGroups: ['web-tg'],
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.request.description as DeployWithStrategy;
}

const input = (extra: Record<string, unknown>): OperationInput<DeployWithStrategy> => ({
  description: description(extra),
  context: { cloudProvider: 'aws', user: 'u' },
  settings: { awsRetryWindowMs: 3_000, pollIntervalMs: 100, waitStrategy: 'activity' },
});

function start(extra: Record<string, unknown>) {
  return testEnv.client.workflow.start('deployWithStrategy', { taskQueue, workflowId: uniqueName('strategy-'), args: [input(extra)] });
}

async function failureOf(handle: Awaited<ReturnType<typeof start>>): Promise<ApplicationFailure | undefined> {
  return handle.result().then(
    () => undefined,
    (err: unknown) => (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure ? err.cause : undefined),
  );
}

/** Waits until the deploy waits for an approval. */
async function waitForGate(h: Awaited<ReturnType<typeof start>>): Promise<DeployStatus | null> {
  for (let i = 0; i < 100; i++) {
    const s = await h.query<DeployStatus | null>('status');
    if (s?.waiting?.kind === 'approval') return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the deploy never opened an approval gate');
}

/** A redblack deploy with an approval gate before the cutover, waiting at it: its handle and its status there. */
async function startAtCutoverGate() {
  const h = await start({ strategy: 'redblack', gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '1m' }] });
  return { h, status: await waitForGate(h) };
}

/** Why an Update was refused: its validator's message. */
async function refusal(update: Promise<unknown>): Promise<string | undefined> {
  return update.then(
    () => undefined,
    (err: unknown) => {
      const e = err as { cause?: { message?: string }; message?: string };
      return e.cause?.message ?? e.message;
    },
  );
}

/** The create's calls, the same in every strategy but the size the group starts at. */
const create = (name: string, capacity: string) => [
  `createServerGroupLaunchTemplate ${name}`,
  `createAutoScalingGroup ${name}`,
  `updateServerGroupCapacity ${name} ${capacity}`,
];

/** disableServerGroup on a whole group: suspend Launch, Terminate, AddToLoadBalancer, then deregister. */
const disableWhole = (name: string, n: number) => [
  `suspendProcesses ${name} Launch,Terminate,AddToLoadBalancer`,
  `deregisterInstancesFromTargetGroups ${name} ${n}`,
];

describe('golden sequences (Orca order)', () => {
  test('none: create, wait for up instances, nothing else', async () => {
    const h = await start({ strategy: 'none' });
    await h.result();
    expect(calls).toEqual([...create('app-main-v002', '2/4/6')]);
  });

  test('redblack with maxRemainingAsgs 2, delays and scaleDown: shrink, wait, disableCluster, wait, scaleDownCluster', async () => {
    const h = await start({
      strategy: 'redblack',
      maxRemainingAsgs: 2,
      delayBeforeDisableSec: 1,
      delayBeforeScaleDownSec: 1,
      scaleDown: true,
    });
    const result = await h.result();
    expect(calls).toEqual([
      ...create('app-main-v002', '2/4/6'),
      // shrinkCluster{shrinkToSize: 2, allowDeleteActive: false}: v000 is the oldest and disabled.
      'forceDeleteServerGroup app-main-v000',
      'waitForServerGroupDeleted app-main-v000',
      'deleteServerGroupLaunchTemplate app-main-v000',
      // disableCluster{remainingEnabledServerGroups: 1}
      ...disableWhole('app-main-v001', 4),
      // scaleDownCluster: resume Terminate first, then 0/0/0.
      'resumeProcesses app-main-v001 Terminate',
      'updateServerGroupCapacity app-main-v001 0/0/0',
    ]);
    expect(result.ok).toBe(true);
    expect([...groups.keys()]).toEqual(['app-main-v001', 'app-main-v002']);
    expect(JSON.stringify(result)).toContain('"deploy.server.groups":{"us-east-1":["app-main-v002"]}');
  });

  test('redblack without scaleDown leaves the old group disabled at its size', async () => {
    await (await start({ strategy: 'redblack' })).result();
    expect(calls).toEqual([...create('app-main-v002', '2/4/6'), ...disableWhole('app-main-v001', 4)]);
    expect(group('app-main-v001').desired).toBe(4);
  });

  test('highlander: disableCluster, then destroy every older group', async () => {
    await (await start({ strategy: 'highlander' })).result();
    expect(calls).toEqual([
      ...create('app-main-v002', '2/4/6'),
      ...disableWhole('app-main-v001', 4),
      'forceDeleteServerGroup app-main-v000',
      'waitForServerGroupDeleted app-main-v000',
      'deleteServerGroupLaunchTemplate app-main-v000',
      'forceDeleteServerGroup app-main-v001',
      'waitForServerGroupDeleted app-main-v001',
      'deleteServerGroupLaunchTemplate app-main-v001',
    ]);
    expect([...groups.keys()]).toEqual(['app-main-v002']);
  });

  test('rollingredblack [25, 50]: pin, grow and disable the source step by step, unpin', async () => {
    const h = await start({ strategy: 'rollingredblack', targetPercentages: [25, 50], maxInitialAsgs: 1 });
    await h.result();
    expect(calls).toEqual([
      ...create('app-main-v002', '0/0/0'),
      // Pin the source: tag, then min = desired.
      'putServerGroupTags app-main-v001 spinnaker:pinned_capacity',
      'updateServerGroupCapacity app-main-v001 4/4/6',
      'updateServerGroupCapacity app-main-v002 1/1/1',
      'deregisterInstancesFromTargetGroups app-main-v001 1',
      'updateServerGroupCapacity app-main-v002 2/2/2',
      'deregisterInstancesFromTargetGroups app-main-v001 1',
      // 100%: the source's own capacity, min unpinned; then the whole disable.
      'updateServerGroupCapacity app-main-v002 2/4/6',
      'suspendProcesses app-main-v001 Launch,Terminate,AddToLoadBalancer',
      'deregisterInstancesFromTargetGroups app-main-v001 4',
      // Unpin the source: min back to 2, and its pin tag gone.
      'updateServerGroupCapacity app-main-v001 2/4/6',
      'deleteServerGroupTags app-main-v001 spinnaker:pinned_capacity',
    ]);
    expect(group('app-main-v001').tags).toEqual({});
  });

  test('rollingredblack with scaleDown scales the source down instead of unpinning it', async () => {
    await (await start({ strategy: 'rollingredblack', targetPercentages: [50], scaleDown: true })).result();
    expect(calls.slice(-4)).toEqual([
      'deregisterInstancesFromTargetGroups app-main-v001 4',
      'resumeProcesses app-main-v001 Terminate',
      'updateServerGroupCapacity app-main-v001 0/0/0',
      'deleteServerGroupTags app-main-v001 spinnaker:pinned_capacity',
    ]);
  });
});

describe('saga', () => {
  test('a new group that never becomes healthy at 50%: the source is back as it was, unpinned, the new group disabled', async () => {
    unhealthyNext = true;
    const h = await start({ strategy: 'rollingredblack', targetPercentages: [50], waitTimeoutSeconds: 1 });
    const failure = await failureOf(h);
    expect(failure?.type).toBe('RolledBack');
    expect(failure?.message).toContain('did not reach');
    const source = group('app-main-v001');
    expect([source.min, source.desired, source.max]).toEqual([2, 4, 6]);
    expect(source.tags).toEqual({});
    expect(source.suspended.size).toBe(0);
    expect(source.out.size).toBe(0);
    expect(group('app-main-v002').suspended.has('AddToLoadBalancer')).toBe(true);
  });

  test('rollback.destroyLatest deletes the new group instead', async () => {
    unhealthyNext = true;
    const h = await start({ strategy: 'redblack', waitTimeoutSeconds: 1, rollback: { onFailure: true, destroyLatest: true } });
    expect((await failureOf(h))?.type).toBe('RolledBack');
    expect(groups.has('app-main-v002')).toBe(false);
    expect(group('app-main-v001').suspended.size).toBe(0);
  });

  test('rollback.destroyLatest whose copied alarms cannot be deleted still deletes the new group, and names the alarms as left', async () => {
    unhealthyNext = true;
    failOn = (c) => c === 'deleteCopiedAlarms app-main-v002';
    const h = await start({ strategy: 'redblack', waitTimeoutSeconds: 1, rollback: { onFailure: true, destroyLatest: true } });
    const failure = await failureOf(h);
    expect(failure?.type).toBe('RolledBack');
    expect(failure?.message).toMatch(/rollback left: destroy app-main-v002 \(delete the alarms copied for app-main-v002 in us-east-1 \(/);
    expect(calls).toContain('rollbackServerGroup app-main-v002');
    expect(groups.has('app-main-v002')).toBe(false);
  });

  test('a failed disable during the cutover re-enables the source', async () => {
    failOn = (c) => c === 'deregisterInstancesFromTargetGroups app-main-v001';
    const h = await start({ strategy: 'redblack' });
    expect((await failureOf(h))?.type).toBe('RolledBack');
    expect(calls.slice(-4)).toEqual([
      'registerInstancesWithTargetGroups app-main-v001 4',
      'resumeProcesses app-main-v001 Launch,Terminate,AddToLoadBalancer',
      'suspendProcesses app-main-v002 Launch,Terminate,AddToLoadBalancer',
      'deregisterInstancesFromTargetGroups app-main-v002 4',
    ]);
    expect(group('app-main-v001').suspended.size).toBe(0);
  });

  test('after the commit point a failed scale-down is CleanupIncomplete and traffic stays on the new group', async () => {
    failOn = (c) => c === 'resumeProcesses app-main-v001';
    const h = await start({ strategy: 'redblack', scaleDown: true });
    const failure = await failureOf(h);
    expect(failure?.type).toBe('CleanupIncomplete');
    expect(failure?.message).toContain('left: scale down app-main-v001');
    expect(group('app-main-v002').suspended.size).toBe(0);
    expect(group('app-main-v001').suspended.has('AddToLoadBalancer')).toBe(true);
  });

  test('an approval gate: approve is refused before it opens, then approved', async () => {
    const { h, status } = await startAtCutoverGate();
    expect(status?.waiting?.label).toBe('approval before cutover to app-main-v002');
    expect(await refusal(h.executeUpdate('skipWait', { args: [{}] }))).toMatch(/no delay or sleep gate is open/);
    await h.executeUpdate('approve', { args: [{ reason: 'looks good' }] });
    expect((await h.result()).ok).toBe(true);
    expect(await refusal(h.executeUpdate('approve', { args: [{}] }))).toBeDefined();
    expect(group('app-main-v001').suspended.has('AddToLoadBalancer')).toBe(true);
  });

  test('at a gate after the commit point a rollback is refused, naming why', async () => {
    const h = await start({ strategy: 'redblack', scaleDown: true, gates: [{ at: 'beforeScaleDown', kind: 'approval', timeout: '1m' }] });
    await waitForGate(h);
    expect(await refusal(h.executeUpdate('rollback', { args: [{}] }))).toMatch(/the commit point has passed/);
    await h.executeUpdate('approve', { args: [{}] });
    expect((await h.result()).ok).toBe(true);
    expect(group('app-main-v001').desired).toBe(0);
  });

  test('a rollback Update at the gate rolls back', async () => {
    const { h } = await startAtCutoverGate();
    await h.executeUpdate('rollback', { args: [{ reason: 'bad canary' }] });
    const failure = await failureOf(h);
    expect(failure?.type).toBe('RolledBack');
    expect(failure?.message).toContain('bad canary');
    expect(group('app-main-v001').suspended.size).toBe(0);
    expect(group('app-main-v002').suspended.has('AddToLoadBalancer')).toBe(true);
  });

  test('a cancel at a rollingredblack gate runs the compensations: the source back at its size, unpinned, the new group disabled', async () => {
    const h = await start({
      strategy: 'rollingredblack',
      targetPercentages: [50],
      gates: [{ at: 'eachStep', kind: 'approval', timeout: '1m' }],
    });
    await waitForGate(h);
    expect(group('app-main-v001').tags['spinnaker:pinned_capacity']).toBeDefined();
    await h.cancel();
    await expect(h.result()).rejects.toThrow();
    expect((await h.describe()).status.name).toBe('CANCELLED');
    const source = group('app-main-v001');
    expect([source.min, source.desired, source.max]).toEqual([2, 4, 6]);
    expect(source.tags).toEqual({});
    expect(source.suspended.size).toBe(0);
    expect(group('app-main-v002').suspended.has('AddToLoadBalancer')).toBe(true);
  });

  test('an approval gate that times out with onTimeout rollback rolls back', async () => {
    const h = await start({
      strategy: 'redblack',
      gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '1s', onTimeout: 'rollback' }],
    });
    const failure = await failureOf(h);
    expect(failure?.type).toBe('RolledBack');
    expect(failure?.message).toContain('no approval before cutover');
  });

  test('the traffic guard refuses a cutover that would leave no instance up, with the numbers', async () => {
    // The new group's instances are up by Auto Scaling but out of its target group.
    const h = await start({ strategy: 'redblack', interestingHealthProviderNames: ['Amazon'], startDisabled: true });
    const failure = await failureOf(h);
    expect(failure?.type).toBe('RolledBack');
    expect(failure?.message).toMatch(
      /traffic guard: disabling app-main-v001 would leave the cluster app-main with no instances up \(4 up now, 0 after\)/,
    );
    expect(group('app-main-v001').suspended.size).toBe(0);
  });
});

describe('one deploy per cluster', () => {
  test('a second deploy waits for the first, then deploys from its new group', async () => {
    const first = await start({ strategy: 'redblack', gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '1m' }] });
    await waitForGate(first);
    const second = await start({ strategy: 'redblack' });
    let waiting: DeployStatus | null = null;
    // The holder's name arrives by signal, shown from the next retry of the lease on.
    for (let i = 0; i < 100 && !waiting?.waiting?.label.includes(first.workflowId); i++) {
      await new Promise((r) => setTimeout(r, 100));
      waiting = await second.query<DeployStatus | null>('status');
    }
    expect(waiting?.waiting?.label).toBe(`the running deploy of app-main (${first.workflowId})`);
    await first.executeUpdate('approve', { args: [{}] });
    expect((await first.result()).ok).toBe(true);
    expect((await second.result()).ok).toBe(true);
    const status = await second.query<DeployStatus | null>('status');
    expect(status).toMatchObject({ source: 'app-main-v002', newServerGroup: 'app-main-v003' });
    expect([...groups.values()].filter((g) => !g.suspended.has('AddToLoadBalancer')).map((g) => g.name)).toEqual(['app-main-v003']);
  });

  test('a deploy that waits longer than clusterLockTimeoutSec fails as ClusterBusy, naming the running one', async () => {
    const first = await start({ strategy: 'redblack', gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '1m' }] });
    await waitForGate(first);
    const second = await start({ strategy: 'redblack', clusterLockTimeoutSec: 1 });
    const failure = await failureOf(second);
    expect(failure?.type).toBe('ClusterBusy');
    expect(failure?.message).toContain(`task ${first.workflowId} still deploys into it`);
    await first.executeUpdate('rollback', { args: [{}] });
    expect((await failureOf(first))?.type).toBe('RolledBack');
  });
});
