/**
 * Scale: 100 and 1,000 createServerGroup tasks into one region submitted at once through the
 * facade, run by one worker (a child process, so its CPU and memory are its own) against moto,
 * each level on a fresh Temporal dev server and a fresh moto. Reports the time until every task
 * finished, tasks/s, peak worker RSS, and CPU of the Temporal server, moto, the worker and this
 * process. In the middle of each level (when half its tasks have closed) one resizeServerGroup
 * goes to a group made before the level: how long a small operation takes while the system is
 * busy with deploys (POST to workflow closed). Each level is bounded (5 minutes up to 500 tasks,
 * 10 above; 2 in --quick); a level that does not finish says how far it got and where its tasks
 * were waiting, rather than pretending.
 *
 * With --scale-one-app each level runs twice, side by side: its deploys into as many applications
 * (one cluster each), then the same number into ONE application, each deploy into its own cluster
 * of it (ten stacks, details per deploy, as a fleet's clusters are). Naming reads a deploy's
 * cluster, so the one application should take about as long (target: within 1.5x).
 */
import { statSync } from 'node:fs';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { AwsClients } from '../activities';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { BenchContext } from './lib/context';
import { FacadeHttp } from '../test/support/orca-client';
import { runClosedLoop, sleep } from './lib/load';
import type { Timeline, TimelineSummary } from './lib/history';
import { summarizeTimelines, timelineOf } from './lib/history';
import { cpuSecondsOf, round, threadCpuOf } from '../test/support/child-process';
import type { BenchmarkResult } from './lib/report';
import { resultOf } from './lib/report';
import { cpuVerdict, persistenceNote, requireMeasured, resourcesTable } from './lib/report';
import type { BenchStack, TemporalDb } from '../test/support/bench-stack';
import { ACCOUNT, REGION, startBenchStack, workflowBundle } from '../test/support/bench-stack';
import { summarize } from './lib/stats';
import type { PersistenceUse } from './lib/temporal-metrics';
import { TemporalMetricsWindow } from './lib/temporal-metrics';
import type { WindowUsage } from './lib/usage';
import { UsageWindow } from './lib/usage';
import type { WorkerPeaks } from '../test/support/worker-process';
import type { WorkerTuning } from '../test/support/worker-protocol';
import { emulatorAl2023Image } from '../test/support/instances';

const SUBMIT_CONCURRENCY = 32;
const WARMUP_TASKS = 5;
const ACTIVITY_SLOTS_DEFAULT = 100;

/**
 * How long a level may run: 1,000 deploys need more than the 5 minutes that bound the smaller
 * levels, but a level must still end by itself (a stuck run says how far it got).
 */
export function levelBoundMs(tasks: number, quick: boolean): number {
  if (quick) return 120_000;
  return tasks > 500 ? 600_000 : 300_000;
}

/** The probe resize: one small operation submitted while a level's deploys are half done. */
export interface Probe {
  readonly group: string;
  /** Seconds after the level's first POST that the probe was posted. */
  readonly postedAtSecond: number;
  /** Level tasks closed when the probe went out. */
  readonly closedBefore: number;
  readonly postMs: number;
  /** POST sent to the workflow's close time; undefined when it had not closed by the level's end. */
  readonly closedSeconds: number | undefined;
  readonly status: string;
}

interface Level {
  readonly tasks: number;
  /** Every deploy of the level into one application (its own cluster of it) rather than one application each. */
  readonly oneApp: boolean;
  readonly tuning: WorkerTuning | undefined;
  /** Set when this level ran on the other SQLite mode than the benchmark's (a control run). */
  readonly controlDb: TemporalDb | undefined;
  readonly finished: boolean;
  readonly closed: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Submission start to the last workflow's close time. */
  readonly makespanSeconds: number;
  readonly tasksPerSecond: number;
  readonly submitSeconds: number;
  readonly submitLatency: ReturnType<typeof summarize>;
  readonly taskLatency: ReturnType<typeof summarize>;
  readonly resources: WindowUsage;
  readonly persistence: PersistenceUse | undefined;
  readonly worker: WorkerPeaks | undefined;
  readonly workerThreads: readonly { readonly thread: string; readonly cpuSeconds: number }[];
  readonly timelines: TimelineSummary;
  readonly progress: readonly { readonly second: number; readonly closed: number }[];
  readonly stall: readonly string[];
  /** One full-region DescribeAutoScalingGroups scan after the level: how moto's reads grow with the groups it holds. */
  readonly regionScan: { readonly groups: number; readonly pages: number; readonly ms: number };
  readonly probe: Probe | undefined;
}

function resize(group: string) {
  return [
    {
      resizeServerGroup: {
        credentials: ACCOUNT,
        serverGroupName: group,
        asgName: group,
        region: REGION,
        regions: [REGION],
        cloudProvider: 'aws',
        // One more instance than the warm-up deploy asked for, so the resize really changes AWS and waits for it.
        capacity: { min: 1, max: 3, desired: 3 },
      },
    },
  ];
}

/** The group a warm-up deploy of `app` created (the probe's target: made before the level, not part of it). */
async function groupOf(c: AwsClients, app: string): Promise<string> {
  let token: string | undefined;
  do {
    const out = await c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, NextToken: token }));
    const g = out.AutoScalingGroups?.find((x) => x.AutoScalingGroupName?.startsWith(`${app}-`));
    if (g?.AutoScalingGroupName) return g.AutoScalingGroupName;
    token = out.NextToken;
  } while (token);
  throw new Error(`no group of the warm-up application ${app} in moto`);
}

/** The createServerGroup POST body every scale benchmark sends (bench-scaleout.ts too); cluster `app-main` unless told. */
export function deploy(app: string, amiName: string, cluster: { stack: string; detail?: string } = { stack: 'main' }) {
  return [
    {
      createServerGroup: {
        credentials: ACCOUNT,
        application: app,
        stack: cluster.stack,
        ...(cluster.detail ? { freeFormDetails: cluster.detail } : {}),
        availabilityZones: { [REGION]: ['us-east-1a', 'us-east-1b'] },
        capacity: { min: 1, max: 3, desired: 2 },
        amiName,
        instanceType: 't3.micro',
        tags: { team: 'bench' },
        waitForHealthyPercentage: 100,
      },
    },
  ];
}

/** The progress sample nearest each full minute. */
function minuteMarks(progress: readonly { second: number; closed: number }[]): { second: number; closed: number }[] {
  const marks: { second: number; closed: number }[] = [];
  for (let m = 60; m <= (progress[progress.length - 1]?.second ?? 0); m += 60) {
    const p = progress.find((x) => x.second >= m);
    if (p) marks.push(p);
  }
  return marks;
}

export async function countOf(client: Client, query: string): Promise<number> {
  return (await client.workflow.count(query)).count;
}

/**
 * Every group in the region, 100 per page: what naming read for every deploy before it asked for
 * the application's groups only, and still what a cluster without the application tag falls back
 * to; moto also walks every group to answer a filtered read. Timed once after a level, with
 * nothing else running, to show how it grows with the groups.
 */
async function fullRegionScan(c: AwsClients): Promise<{ groups: number; pages: number; ms: number }> {
  const t0 = performance.now();
  let groups = 0;
  let pages = 0;
  let token: string | undefined;
  do {
    const out = await c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, NextToken: token }));
    groups += out.AutoScalingGroups?.length ?? 0;
    pages++;
    token = out.NextToken;
  } while (token);
  return { groups, pages, ms: round(performance.now() - t0) };
}

/** Waits until a process uses (almost) no CPU for a second: done with the requests it had queued. */
async function waitUntilIdle(pid: number, maxMs: number): Promise<void> {
  const started = performance.now();
  let last = cpuSecondsOf(pid) ?? 0;
  while (performance.now() - started < maxMs) {
    await sleep(1000);
    const now = cpuSecondsOf(pid) ?? 0;
    if (now - last < 0.05) return;
    last = now;
  }
}

/** Where unfinished tasks are: their pending activities by type and state, with the last failure. */
async function stallReport(stack: BenchStack, sample: number): Promise<string[]> {
  const byKey = new Map<string, number>();
  const failures = new Set<string>();
  let n = 0;
  for await (const wf of stack.client.workflow.list({
    query: `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Running'`,
    pageSize: sample,
  })) {
    const d = await stack.client.workflow.getHandle(wf.workflowId).describe();
    const pending = d.raw.pendingActivities ?? [];
    const wft = d.raw.pendingWorkflowTask;
    if (wft) {
      const state = (temporal.api.enums.v1.PendingWorkflowTaskState[wft.state ?? 0] ?? String(wft.state)).replace(
        'PENDING_WORKFLOW_TASK_STATE_',
        '',
      );
      const key = `workflow task ${state} attempt ${wft.attempt}`;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    for (const p of pending) {
      const state = temporal.api.enums.v1.PendingActivityState[p.state ?? 0] ?? String(p.state);
      const key = `${p.activityType?.name} ${state.replace('PENDING_ACTIVITY_STATE_', '')} attempt ${p.attempt}`;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
      if (p.lastFailure?.message) failures.add(p.lastFailure.message.slice(0, 200));
    }
    if (++n >= sample) break;
  }
  return [
    `pending work of ${n} running tasks: ${[...byKey].map(([k, v]) => `${v}x ${k}`).join('; ') || 'none'}`,
    ...(failures.size ? [`last failures: ${[...failures].slice(0, 3).join(' | ')}`] : []),
  ];
}

/** When the probe closed, from its workflow's close time (what Orca's next poll would see). */
async function probeOutcome(
  client: Client,
  group: string,
  sent: Promise<{ id: string; postedAt: number; second: number; closedBefore: number; postMs: number }> | undefined,
): Promise<Probe | undefined> {
  const p = await sent?.catch(() => undefined);
  if (!p) return undefined;
  // A level can finish right after the probe went out; give the probe its own (bounded) time to close.
  const handle = client.workflow.getHandle(p.id);
  let d = await handle.describe();
  for (const until = Date.now() + 120_000; !d.closeTime && Date.now() < until; d = await handle.describe()) await sleep(250);
  const bosun = d.searchAttributes.BosunTaskStatus;
  return {
    group,
    postedAtSecond: p.second,
    closedBefore: p.closedBefore,
    postMs: round(p.postMs),
    closedSeconds: d.closeTime ? round((d.closeTime.getTime() - p.postedAt) / 1000, 2) : undefined,
    status: Array.isArray(bosun) && bosun.length ? String(bosun[0]) : d.status.name,
  };
}

/**
 * Deploy `i` of a level: its own application, or (one-app) its own cluster of the level's one
 * application: ten stacks, the details telling the deploys of a stack apart.
 */
function levelDeploy(tasks: number, i: number, oneApp: boolean, amiName: string) {
  return oneApp ? deploy(`s${tasks}one`, amiName, { stack: `st${i % 10}`, detail: `d${i}` }) : deploy(`s${tasks}n${i}`, amiName);
}

async function runLevel(
  ctx: BenchContext,
  tasks: number,
  boundMs: number,
  tuning: WorkerTuning | undefined,
  controlDb?: TemporalDb,
  oneApp = false,
): Promise<Level> {
  const label = `${tasks}${oneApp ? '-one-app' : ''}${tuning ? '-tuned' : ''}${controlDb ? `-${controlDb}` : ''}`;
  const stack = await startBenchStack({
    dir: `${ctx.runDir}/scale-${label}`,
    temporalDb: controlDb ?? ctx.temporalDb,
    temporalConfig: ctx.temporalConfig,
    moto: true,
    worker: { tuning },
  });
  const http = new FacadeHttp(stack.facadeUrl, SUBMIT_CONCURRENCY);
  try {
    const amiName = (await emulatorAl2023Image(stack.awsClients().ec2)).name;

    ctx.log(`scale ${label}: warming up`);
    const warm = await runClosedLoop(WARMUP_TASKS, WARMUP_TASKS, async (i) => {
      const { id } = await http.submit(deploy(`warm${i}`, amiName));
      await stack.client.workflow.getHandle(id).result();
    });
    if (warm.errors) throw new Error(`warm-up deploys failed: ${warm.firstError}`);
    const warmClosed = await countOf(stack.client, `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus != 'Running'`);
    const probeGroup = await groupOf(stack.awsClients(), 'warm0');

    ctx.log(
      `scale ${label}: submitting ${tasks} createServerGroup tasks${oneApp ? ' into one application' : ''} (${SUBMIT_CONCURRENCY} POSTs in flight), bound ${boundMs / 1000} s`,
    );
    stack.worker?.resetStatus();
    const threadsBefore = stack.worker ? threadCpuOf(stack.worker.pid) : new Map<string, number>();
    const usage = UsageWindow.start(stack.watched());
    const metrics = await TemporalMetricsWindow.start(stack.temporalMetricsUrl);
    const t0wall = Date.now();
    const t0 = performance.now();
    const submitted = new Map<string, number>();
    const submit = runClosedLoop(tasks, SUBMIT_CONCURRENCY, async (i) => {
      const postedAt = Date.now();
      const { id } = await http.submit(levelDeploy(tasks, i, oneApp, amiName));
      submitted.set(id, postedAt);
    }).then((r) => ({ ...r, seconds: (performance.now() - t0) / 1000 }));

    const progress: { second: number; closed: number }[] = [];
    let closed = 0;
    let submitDone: Awaited<typeof submit> | undefined;
    void submit.then((r) => (submitDone = r));
    // The probe goes out when half the level has closed, or at half the bound if that comes first
    // (a level that crawls still gets its probe). Its own POST does not count as one of the level's.
    let probeSent: Promise<{ id: string; postedAt: number; second: number; closedBefore: number; postMs: number }> | undefined;
    let probeId: string | undefined;
    const notProbe = () => (probeId ? ` AND WorkflowId != '${probeId}'` : '');
    while (performance.now() - t0 < boundMs) {
      await sleep(1000);
      closed = (await countOf(stack.client, `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus != 'Running'${notProbe()}`)) - warmClosed;
      const second = Math.round((performance.now() - t0) / 1000);
      progress.push({ second, closed });
      if (second % 15 === 0) ctx.log(`scale ${label}: ${second} s, ${closed} of ${tasks} finished`);
      if (!probeSent && (closed >= Math.ceil(tasks / 2) || performance.now() - t0 >= boundMs / 2)) {
        const closedBefore = closed;
        const postedAt = Date.now();
        ctx.log(`scale ${label}: probe resizeServerGroup of ${probeGroup} at ${second} s (${closed} of ${tasks} finished)`);
        probeSent = http.submit(resize(probeGroup)).then(({ id, ms }) => {
          probeId = id;
          return { id, postedAt, second, closedBefore, postMs: ms };
        });
        // A failed probe POST is reported, not fatal: the level's own numbers still stand.
        probeSent.catch((err: unknown) => ctx.log(`scale ${label}: probe POST failed: ${(err as Error).message}`));
      }
      if (submitDone && closed >= tasks) break;
    }
    const submitResult = await submit;
    const resources = usage.stop();
    const persistence = await metrics.stop();
    const probe = await probeOutcome(stack.client, probeGroup, probeSent);
    const worker = stack.worker?.peaks(tuning?.maxConcurrentActivityTaskExecutions ?? ACTIVITY_SLOTS_DEFAULT);
    const threadsAfter = stack.worker ? threadCpuOf(stack.worker.pid) : new Map<string, number>();
    const finished = closed >= tasks;
    if (submitResult.errors) ctx.log(`scale ${label}: ${submitResult.errors} submissions failed: ${submitResult.firstError}`);

    const stall = finished ? [] : await stallReport(stack, 25);
    // Stop the worker and let moto finish what it was asked, so the scan below runs on an idle moto.
    await stack.worker?.stop();
    if (stack.moto) await waitUntilIdle(stack.moto.pid, 60_000);
    const regionScan = await fullRegionScan(stack.awsClients());

    // Close times and outcomes of the measured tasks (not the warm-up).
    let lastClose = 0;
    const taskMs: number[] = [];
    const closedIds: string[] = [];
    for await (const wf of stack.client.workflow.list({
      query: `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus != 'Running'`,
      pageSize: 1000,
    })) {
      const postedAt = submitted.get(wf.workflowId);
      if (postedAt === undefined || !wf.closeTime) continue;
      lastClose = Math.max(lastClose, wf.closeTime.getTime());
      taskMs.push(wf.closeTime.getTime() - postedAt);
      closedIds.push(wf.workflowId);
    }
    const succeeded =
      (await countOf(stack.client, `TaskQueue = '${stack.taskQueue}' AND BosunTaskStatus = 'SUCCEEDED'${notProbe()}`)) - WARMUP_TASKS;
    const failed = await countOf(stack.client, `TaskQueue = '${stack.taskQueue}' AND BosunTaskStatus = 'FAILED'${notProbe()}`);

    // Where the time went, from a spread sample of finished tasks' histories.
    const step = Math.max(1, Math.floor(closedIds.length / 40));
    const timelines: Timeline[] = [];
    for (let i = 0; i < closedIds.length; i += step)
      timelines.push(timelineOf(await stack.client.workflow.getHandle(closedIds[i]!).fetchHistory()));

    const makespanSeconds = finished ? (lastClose - t0wall) / 1000 : resources.wallSeconds;
    return {
      tasks,
      oneApp,
      tuning,
      controlDb,
      finished,
      closed,
      succeeded,
      failed,
      makespanSeconds: round(makespanSeconds, 1),
      tasksPerSecond: round(closed / makespanSeconds, 1),
      submitSeconds: round(submitResult.seconds, 1),
      submitLatency: summarize(submitResult.latenciesMs, 1),
      taskLatency: summarize(
        taskMs.map((m) => m / 1000),
        1,
      ),
      resources,
      persistence,
      worker,
      workerThreads: [...threadsAfter]
        .map(([thread, s]) => ({ thread, cpuSeconds: round(s - (threadsBefore.get(thread) ?? 0), 1) }))
        .filter((t) => t.cpuSeconds > 0.5)
        .sort((a, b) => b.cpuSeconds - a.cpuSeconds)
        .slice(0, 5),
      timelines: summarizeTimelines(timelines),
      progress,
      stall,
      regionScan,
      probe,
    };
  } finally {
    http.close();
    await stack.close();
  }
}

/** Each bigger level's makespan against the smallest's, with the target (10x the time for 10x the deploys). */
function wallTimeRatio(base: Level, others: readonly Level[]): string {
  const parts = others.map((l) => {
    const ratio = l.makespanSeconds / base.makespanSeconds;
    const allowed = l.tasks / base.tasks;
    return `${l.tasks} tasks ${l.finished ? '' : 'did not finish; at least '}${l.makespanSeconds} s = ${round(ratio, 1)}x the ${base.tasks}-task ${base.makespanSeconds} s for ${round(allowed, 1)}x the deploys (${ratio <= allowed * 1.05 && l.finished ? 'within' : 'over'} the ~${round(allowed, 1)}x target; all succeeded: ${l.succeeded === l.tasks ? 'yes' : `no, ${l.succeeded} of ${l.tasks}`})`;
  });
  return `Wall time against the smallest level: ${parts.join('; ')}.`;
}

export interface ScaleOptions {
  readonly levels?: readonly number[] | undefined;
  /** A second run of one level with these worker options, to compare with the default. */
  readonly tuning?: WorkerTuning | undefined;
  readonly tunedLevel?: number | undefined;
  /** Each level also into one application (its deploys in different clusters of it), reported next to the many-application run. */
  readonly oneApp?: boolean | undefined;
}

/** Each level's one-application run against its many-application run (target: within 1.5x the time). */
export const ONE_APP_TARGET = 1.5;

function oneAppLines(results: readonly Level[]): string[] {
  return results
    .filter((l) => l.oneApp)
    .map((one) => {
      const many = results.find((l) => l.tasks === one.tasks && !l.oneApp && !l.tuning && !l.controlDb);
      if (!many) return `${one.tasks} deploys into one application: no many-application run of the same size to compare with.`;
      const ratio = one.makespanSeconds / many.makespanSeconds;
      const met = ratio <= ONE_APP_TARGET && one.finished && many.finished;
      return `One application vs many at ${one.tasks} deploys: ${one.finished ? '' : 'did not finish; at least '}${one.makespanSeconds} s into one application (${one.tasks} clusters of it; succeeded ${one.succeeded} of ${one.tasks}) vs ${many.finished ? '' : 'did not finish; at least '}${many.makespanSeconds} s into ${many.tasks} applications (succeeded ${many.succeeded} of ${many.tasks}) = ${round(ratio, 2)}x (target within ${ONE_APP_TARGET}x: ${met ? 'met' : 'not met'}).`;
    });
}

export async function runScale(ctx: BenchContext, opts: ScaleOptions = {}): Promise<BenchmarkResult> {
  const envelope = resultOf(ctx);
  const levels = opts.levels ?? (ctx.quick ? [20, 50] : [100, 1000]);
  const boundOf = (tasks: number) => levelBoundMs(tasks, ctx.quick);
  const results: Level[] = [];
  for (const tasks of levels) {
    results.push(await runLevel(ctx, tasks, boundOf(tasks), undefined));
    if (opts.oneApp) results.push(await runLevel(ctx, tasks, boundOf(tasks), undefined, undefined, true));
  }
  // The smallest level once more on the other SQLite mode: what the database's durability costs
  // below the point where moto's scans take over. Only when that level is small (it is a control,
  // not a level), and not in a one-application comparison (its question is another one).
  const otherDb: TemporalDb = ctx.temporalDb === 'file' ? 'memory' : 'file';
  if (levels[0]! <= 200 && !opts.oneApp) results.push(await runLevel(ctx, levels[0]!, boundOf(levels[0]!), undefined, otherDb));
  const tunedLevel = opts.tunedLevel ?? levels[levels.length - 1]!;
  if (opts.tuning) results.push(await runLevel(ctx, tunedLevel, boundOf(tunedLevel), opts.tuning));
  for (const l of results) requireMeasured(`finished createServerGroup tasks at ${l.tasks}`, l.closed);

  const proc = (l: Level, name: string) => l.resources.processes.find((p) => p.name.startsWith(name));
  const label = (l: Level) =>
    `${l.tasks}${l.oneApp ? ' into one application' : ''}${l.tuning ? ` tuned ${JSON.stringify(l.tuning)}` : ''}${l.controlDb ? ` (control: SQLite ${l.controlDb === 'memory' ? 'in memory' : 'file'})` : ''}`;
  const rows = results.map((l) => [
    label(l),
    l.finished ? 'yes' : `no (${l.closed})`,
    l.succeeded,
    l.failed,
    l.makespanSeconds,
    l.tasksPerSecond,
    l.taskLatency.p50,
    l.taskLatency.max,
    proc(l, 'bosun worker')?.peakRssMiB,
    proc(l, 'bosun worker')?.cpuPercentOfCore,
    proc(l, 'temporal')?.cpuSeconds,
    proc(l, 'temporal')?.cpuPercentOfCore,
    proc(l, 'moto')?.cpuSeconds,
    proc(l, 'moto')?.cpuPercentOfCore,
    proc(l, 'bench')?.cpuPercentOfCore,
    l.resources.machine.busyPercentOfCore,
    l.resources.machine.othersPercentOfCore,
    `${l.regionScan.groups} / ${l.regionScan.pages} / ${l.regionScan.ms}`,
  ]);
  const breakdown = results.map((l) => [
    label(l),
    l.timelines.medianTotalMs,
    l.timelines.medianWftQueueMs,
    l.timelines.medianWftExecMs,
    l.timelines.medianActivityQueueMs,
    l.timelines.medianActivityExecMs,
    l.timelines.medianOtherMs,
    l.timelines.wftTimeouts,
    l.timelines.activityRetries,
    l.timelines.byActivity.map((a) => `${a.type} ${a.medianQueueMs}/${a.medianExecMs}`).join(', '),
  ]);

  const defaults = results.filter((l) => !l.tuning && !l.controlDb && !l.oneApp);
  const control = results.find((l) => l.controlDb);
  const controlBase = control && defaults.find((l) => l.tasks === control.tasks);
  const biggest = defaults[defaults.length - 1]!;
  const smallest = defaults[0]!;
  const t = biggest.timelines;
  const perTask = (l: Level, name: string) => {
    const p = proc(l, name);
    return p && l.closed > 0 ? round((p.cpuSeconds * 1000) / l.closed) : NaN;
  };
  const cpuRows = results.map((l) => {
    const parts = ['temporal', 'moto', 'bosun worker', 'bench'].map((n) => perTask(l, n));
    return [
      label(l),
      l.closed,
      ...parts,
      round(parts.reduce((a, b) => a + b, 0)),
      l.resources.machine.busyPercentOfCore,
      l.resources.machine.othersPercentOfCore,
    ];
  });
  const motoGrowth = perTask(biggest, 'moto') / perTask(smallest, 'moto');
  const slowest = [...t.byActivity].sort((a, b) => b.medianQueueMs + b.medianExecMs - (a.medianQueueMs + a.medianExecMs))[0];
  const saturated = defaults.filter((l) => l.resources.machine.busyPercentOfCore >= l.resources.machine.cores * 100 * 0.85);
  const probeRows = results.map((l) => [
    label(l),
    l.probe ? `${l.probe.postedAtSecond}` : undefined,
    l.probe ? `${l.probe.closedBefore} of ${l.tasks}` : 'not sent',
    l.probe?.postMs,
    l.probe?.closedSeconds ?? (l.probe ? 'not closed' : undefined),
    l.probe?.status,
  ]);
  const ratioLine = defaults.length < 2 ? [] : [wallTimeRatio(smallest, defaults.slice(1))];
  const probeLines = defaults.flatMap((l) =>
    l.probe
      ? [
          `Probe at ${l.tasks} tasks: resizeServerGroup of ${l.probe.group} posted ${l.probe.postedAtSecond} s in (${l.probe.closedBefore} of ${l.tasks} deploys closed) ${
            l.probe.closedSeconds === undefined ? 'had not closed when the level ended' : `closed ${l.probe.closedSeconds} s after its POST`
          } (${l.probe.status}; target < 5 s: ${l.probe.closedSeconds !== undefined && l.probe.closedSeconds < 5 ? 'met).' : "not met). A small operation shares the task queue, Temporal's database and the worker's slots with the deploys, so it waits behind them."}`,
        ]
      : [],
  );
  const bottleneck = [
    ...oneAppLines(results),
    ...ratioLine,
    ...probeLines,
    `CPU per finished task (Temporal / moto / worker, ms): ${defaults.map((l) => `${l.tasks} tasks ${perTask(l, 'temporal')} / ${perTask(l, 'moto')} / ${perTask(l, 'bosun worker')}`).join('; ')}. ${
      defaults.length < 2
        ? ''
        : motoGrowth > 1.8
          ? `moto's cost per task grows ${round(motoGrowth, 1)}x from ${smallest.tasks} to ${biggest.tasks} tasks: naming reads only the application's groups, but moto answers a filtered DescribeAutoScalingGroups by walking every group of the region (one unfiltered scan: ${defaults.map((l) => `${l.regionScan.ms} ms for ${l.regionScan.groups} groups`).join(', ')}), so the emulator's work grows with the groups already there. Real AWS filters by tag server-side.`
          : 'The cost per task stays roughly flat across levels.'
    }`,
    saturated.length
      ? `The 2-core machine was CPU-saturated at ${saturated.map((l) => `${l.tasks} tasks (${l.resources.machine.busyPercentOfCore}% of 200%, other processes ${l.resources.machine.othersPercentOfCore}%)`).join(', ')}: Temporal, moto and the worker compete for the same cores, so no single one of them is pinned at 100% of a core, and tasks/s is total CPU available / CPU per task.`
      : `The machine was not CPU-saturated (busiest: ${Math.max(...defaults.map((l) => l.resources.machine.busyPercentOfCore))}% of 200%).`,
    ...(control && controlBase
      ? [
          `Temporal's database: the ${control.tasks}-task level with SQLite ${control.controlDb === 'memory' ? 'in memory' : 'in a file'} took ${control.makespanSeconds} s (${control.tasksPerSecond} tasks/s, workflow tasks waiting ${control.timelines.medianWftQueueMs} ms per task) vs ${controlBase.makespanSeconds} s (${controlBase.tasksPerSecond} tasks/s, ${controlBase.timelines.medianWftQueueMs} ms) on the ${ctx.temporalDb === 'file' ? 'file' : 'in-memory database'}. ${
            ctx.temporalDb === 'file' && control.tasksPerSecond > controlBase.tasksPerSecond * 1.25
              ? "Below the CPU limit, the file database's durable writes (UpdateWorkflowExecution per workflow-task and activity completion, one writer) set the pace: workflow tasks wait for Temporal, not for the worker."
              : 'The database mode made little difference at this size.'
          }`,
        ]
      : []),
    ...defaults.map(
      (l) =>
        `${l.tasks} tasks: ${cpuVerdict(l.resources)}; worker: ${l.worker?.maxInFlightActivities ?? '-'} activities in flight at most (${l.worker?.secondsAtActivitySlotLimit ?? '-'} s at the slot limit), ${l.worker?.maxInFlightWorkflowActivations ?? '-'} workflow activations in flight at most (of 40 slots), main thread busy at most ${l.worker?.maxMainThreadBusy ?? '-'}, busiest threads ${l.workerThreads.map((x) => `${x.thread} ${x.cpuSeconds} s`).join(', ')}. ${persistenceNote(l.persistence)}.`,
    ),
    `Where a finished task's time went at ${biggest.tasks}: workflow tasks waiting ${t.medianWftQueueMs} ms, on the worker ${t.medianWftExecMs} ms, activities waiting for a slot ${t.medianActivityQueueMs} ms, running ${t.medianActivityExecMs} ms (median total ${t.medianTotalMs} ms); the slowest step is ${slowest?.type} (${slowest?.medianQueueMs} ms waiting, ${slowest?.medianExecMs} ms running). Workflow-task waits are Temporal dispatching work through its SQLite-bound history and matching queues (the in-memory control cuts them several-fold where it runs)${(biggest.worker?.maxInFlightWorkflowActivations ?? 0) >= 40 ? '; the worker also reached its 40 workflow-task slots at its busiest, so raising maxConcurrentWorkflowTaskExecutions is the next thing to try' : ''}.`,
    `Worker memory: peak RSS ${defaults.map((l) => `${proc(l, 'bosun worker')?.peakRssMiB} MiB with ${l.worker?.maxCachedWorkflows} workflows cached`).join(', ')}${
      defaults.length > 1
        ? `, about ${round(((proc(biggest, 'bosun worker')?.peakRssMiB ?? 0) - (proc(smallest, 'bosun worker')?.peakRssMiB ?? 0)) / Math.max(1, (biggest.worker?.maxCachedWorkflows ?? 0) - (smallest.worker?.maxCachedWorkflows ?? 0)), 2)} MiB per cached workflow`
        : ''
    }: every running task stays in the sticky cache (the default limit is ~2,300 on this heap). maxCachedWorkflows caps it at the price of replaying histories.`,
    ...results
      .filter((l) => !l.finished)
      .map(
        (l) =>
          `${label(l)} did not finish within ${boundOf(l.tasks) / 1000} s: ${l.closed} done (${minuteMarks(l.progress)
            .map((p) => `${p.closed} at ${p.second} s`)
            .join(
              ', ',
            )}). ${l.stall.join(' ')}. ${l.timelines.activityRetries > 0 ? `Retried activity attempts in the finished sample: ${l.timelines.activityRetries} (an attempt that outlives its start-to-close or heartbeat timeout under load is retried, and its AWS calls are made again).` : ''}`,
      ),
    ...results
      .filter((l) => l.tuning)
      .map((l) => {
        const base = defaults.find((d) => d.tasks === l.tasks);
        if (!base) return `${label(l)}: no default run of the same size to compare with.`;
        const same = Math.abs(l.makespanSeconds - base.makespanSeconds) / base.makespanSeconds < 0.15;
        return `Tuning check at ${l.tasks} tasks, ${JSON.stringify(l.tuning)}: makespan ${base.makespanSeconds} s -> ${l.makespanSeconds} s, tasks/s ${base.tasksPerSecond} -> ${l.tasksPerSecond}; activities waiting ${base.timelines.medianActivityQueueMs} -> ${l.timelines.medianActivityQueueMs} ms, running ${base.timelines.medianActivityExecMs} -> ${l.timelines.medianActivityExecMs} ms. ${same ? 'The wait moved between the task queue and moto; throughput did not change, so worker slots are not the bottleneck.' : 'Throughput changed by more than 15%.'}`;
      }),
  ];

  return envelope.finish({
    name: 'scale',
    title: 'Scale: concurrent createServerGroup tasks on one machine',
    setup: {
      levels,
      tuning: opts.tuning ? { level: opts.tunedLevel ?? levels[levels.length - 1], options: opts.tuning } : 'none',
      boundSecondsPerLevel: Object.fromEntries(levels.map((n) => [n, boundOf(n) / 1000])),
      probe: 'one resizeServerGroup (desired 2 -> 3) of a warm-up group, posted when half the level had closed (or at half the bound)',
      worker: 'one, child process, production options unless a row says tuned',
      facade: 'in this process, over HTTP; tasks submitted with 32 POSTs in flight',
      deploy: deploy('<app>', '<al2023 AMI name>'),
      ...(opts.oneApp
        ? {
            oneApp: `each level also into one application s<tasks>one: deploy i into cluster s<tasks>one-st<i mod 10>-d<i> (its own cluster), next to the run into one application per deploy`,
          }
        : {}),
      freshStackPerLevel: true,
      workflowBundleKiB: round(statSync(await workflowBundle(ctx.runDir)).size / 1024),
      progress: 'counted through Temporal visibility once a second (no per-task polling)',
    },
    tables: [
      {
        title: 'Concurrent createServerGroup tasks',
        headers: [
          'tasks',
          'all done',
          'succeeded',
          'failed',
          'makespan s',
          'tasks/s',
          'task p50 s',
          'task max s',
          'worker peak RSS MiB',
          'worker CPU %',
          'Temporal CPU s',
          'Temporal CPU %',
          'moto CPU s',
          'moto CPU %',
          'bench CPU %',
          'machine CPU %',
          'others CPU %',
          'region scan groups / pages / ms',
        ],
        rows,
        notes: [
          "CPU % is of one core over the level's window (submission start to last task closed); the machine has 2 cores = 200%",
          'task time: POST sent to workflow closed',
          "region scan: one unfiltered DescribeAutoScalingGroups pass over the whole region (how moto's reads grow with its groups), timed after the level with the worker stopped",
        ],
      },
      {
        title:
          'Where a finished task spent its time (medians over a sample of up to 40 histories per level, ms; timeouts and retries summed over the sample)',
        headers: [
          'tasks',
          'total',
          'WFT waiting',
          'WFT on worker',
          'activities waiting',
          'activities running',
          'hand-offs',
          'WFT timeouts',
          'activity retries',
          'per activity: waiting/running',
        ],
        rows: breakdown,
      },
      {
        title: 'CPU per finished task (ms of CPU time)',
        headers: ['tasks', 'finished', 'Temporal', 'moto', 'worker', 'bench (facade)', 'total', 'machine busy %', 'others %'],
        rows: cpuRows,
        notes: [
          "CPU seconds of each process over the level's window divided by the tasks that finished in it; for a level that did not finish this overstates the cost per task, since unfinished tasks did work too",
        ],
      },
      {
        title: 'Probe: one resizeServerGroup posted in the middle of the level',
        headers: ['tasks', 'posted at s', 'level tasks closed then', 'POST ms', 'POST to closed s', 'outcome'],
        rows: probeRows,
        notes: ['target: under 5 s at 1,000 deploys (measured, not asserted)'],
      },
      ...results.map((l) => resourcesTable(`Resources at ${label(l)} tasks`, l.resources, [persistenceNote(l.persistence)])),
    ],
    bottleneck,
    interferencePercentOfCore: Math.max(...results.map((l) => l.resources.machine.othersPercentOfCore)),
    data: results,
  });
}
