/**
 * Scale: 100 and 1,000 createServerGroup tasks into one region submitted at once through the
 * facade, run by worker child processes (one unless `--scale-workers` names more; each its own
 * process, so its CPU and memory are its own) against moto, each level on a fresh Temporal dev
 * server and a fresh moto. Reports the time until every task finished, tasks/s, peak worker RSS,
 * CPU of the Temporal server, moto, the workers and this process, and which of them set the pace.
 * In the middle of each level (when half its tasks have closed) one resizeServerGroup goes to a
 * group made before the level: how long a small operation takes while the system is busy with
 * deploys (POST to workflow closed). Each level is bounded (5 minutes up to 500 tasks, 10 above;
 * 2 in --quick); a level that does not finish says how far it got, minute by minute, rather
 * than pretending.
 */
import { statSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { FacadeHttp, orcaGroupRef } from '../test/support/orca-client';
import { runClosedLoop, sleep } from './lib/load';
import type { Timeline, TimelineSummary } from './lib/history';
import { summarizeTimelines, timelineOf } from './lib/history';
import { round } from '../test/support/child-process';
import type { Bench, BenchContext, BenchmarkResult } from './lib/report';
import { atLeast, atMost, cpuVerdict, numbers, persistenceNote, requireMeasured, resourcesTable, resultOf } from './lib/report';
import { ACCOUNT, REGION, startStack, workflowBundle } from '../test/support/stack';
import { summarize } from './lib/stats';
import type { PersistenceUse } from './lib/temporal-metrics';
import { TemporalMetricsWindow } from './lib/temporal-metrics';
import type { WindowUsage } from './lib/usage';
import { UsageWindow } from './lib/usage';
import type { WorkerPeaks } from '../test/support/worker-process';
import { emulatorAl2023Image } from '../test/support/instances';

const SUBMIT_CONCURRENCY = 32;
const WARMUP_TASKS = 5;
const ACTIVITY_SLOTS = 100;

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
  /** Worker processes on the task queue. */
  readonly workers: number;
  readonly finished: boolean;
  readonly closed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly submitErrors: number;
  /** Submission start to the last workflow's close time. */
  readonly makespanSeconds: number;
  readonly tasksPerSecond: number;
  readonly submitSeconds: number;
  readonly submitLatency: ReturnType<typeof summarize>;
  readonly taskLatency: ReturnType<typeof summarize>;
  readonly resources: WindowUsage;
  readonly persistence: PersistenceUse | undefined;
  /** Of the first worker. */
  readonly worker: WorkerPeaks | undefined;
  readonly timelines: TimelineSummary;
  readonly progress: readonly { readonly second: number; readonly closed: number }[];
  readonly probe: Probe | undefined;
  /** Which process (or the machine) set the pace, in words. */
  readonly verdict: string;
}

// One more instance than the warm-up deploy asked for, so the resize really changes AWS and waits for it.
const resize = (group: string) => [{ resizeServerGroup: { ...orcaGroupRef(group), capacity: { min: 1, max: 3, desired: 3 } } }];

/** The createServerGroup POST body of the scale benchmark (cluster `<app>-main`). */
function deploy(app: string, amiName: string) {
  return [
    {
      createServerGroup: {
        credentials: ACCOUNT,
        application: app,
        stack: 'main',
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

async function countOf(client: Client, query: string): Promise<number> {
  return (await client.workflow.count(query)).count;
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

async function runLevel(ctx: BenchContext, tasks: number, boundMs: number, workers: number): Promise<Level> {
  const label = `${tasks}${workers > 1 ? `x${workers}w` : ''}`;
  const dir = `${ctx.runDir}/scale-${label}`;
  const stack = await startStack({
    servers: { dir },
    worker: { processes: workers },
  });
  const http = new FacadeHttp(stack.facadeUrl, SUBMIT_CONCURRENCY);
  const first = stack.workers[0];
  try {
    const amiName = (await emulatorAl2023Image(stack.awsClients().ec2)).name;

    ctx.log(`scale ${label}: warming up`);
    const warm = await runClosedLoop(WARMUP_TASKS, WARMUP_TASKS, async (i) => {
      const { id } = await http.submit(deploy(`warm${i}`, amiName));
      await stack.client.workflow.getHandle(id).result();
    });
    if (warm.errors) throw new Error(`warm-up deploys failed: ${warm.firstError}`);
    const closedQuery = `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus != 'Running'`;
    const warmClosed = await countOf(stack.client, closedQuery);
    // The first group of the warm-up application warm0's cluster: made before the level, not part of it.
    const probeGroup = 'warm0-main-v000';

    ctx.log(
      `scale ${label}: submitting ${tasks} createServerGroup tasks (${SUBMIT_CONCURRENCY} POSTs in flight), bound ${boundMs / 1000} s`,
    );
    first?.resetStatus();
    const usage = UsageWindow.start(stack.watched());
    const metrics = await TemporalMetricsWindow.start(stack.temporalMetricsUrl);
    const t0wall = Date.now();
    const t0 = performance.now();
    const submitted = new Map<string, number>();
    const submit = runClosedLoop(tasks, SUBMIT_CONCURRENCY, async (i) => {
      const postedAt = Date.now();
      const { id } = await http.submit(deploy(`s${tasks}n${i}`, amiName));
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
      closed = (await countOf(stack.client, `${closedQuery}${notProbe()}`)) - warmClosed;
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
    const worker = first?.peaks(ACTIVITY_SLOTS);
    const finished = closed >= tasks && submitResult.errors === 0;
    if (submitResult.errors) ctx.log(`scale ${label}: ${submitResult.errors} submissions failed: ${submitResult.firstError}`);

    // Close times and outcomes of the measured tasks (not the warm-up).
    let lastClose = 0;
    const taskSeconds: number[] = [];
    const closedIds: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: closedQuery, pageSize: 1000 })) {
      const postedAt = submitted.get(wf.workflowId);
      if (postedAt === undefined || !wf.closeTime) continue;
      lastClose = Math.max(lastClose, wf.closeTime.getTime());
      taskSeconds.push((wf.closeTime.getTime() - postedAt) / 1000);
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
      workers,
      finished,
      closed,
      succeeded,
      failed,
      submitErrors: submitResult.errors,
      makespanSeconds: round(makespanSeconds, 1),
      tasksPerSecond: round(closed / makespanSeconds, 1),
      submitSeconds: round(submitResult.seconds, 1),
      submitLatency: summarize(submitResult.latenciesMs, 1),
      taskLatency: summarize(taskSeconds, 1),
      resources,
      persistence,
      worker,
      timelines: summarizeTimelines(timelines),
      progress,
      probe,
      verdict: cpuVerdict(resources, persistence),
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
  /** Worker process counts: every level runs once with each (default 1). */
  readonly workers?: readonly number[] | undefined;
}

export async function runScale(ctx: BenchContext, opts: ScaleOptions = {}): Promise<BenchmarkResult> {
  const envelope = resultOf();
  const levels = opts.levels ?? (ctx.quick ? [20, 50] : [100, 1000]);
  const workerCounts = opts.workers ?? [1];
  const boundOf = (tasks: number) => levelBoundMs(tasks, ctx.quick);
  const results: Level[] = [];
  for (const tasks of levels) for (const w of workerCounts) results.push(await runLevel(ctx, tasks, boundOf(tasks), w));
  for (const l of results) requireMeasured(`finished createServerGroup tasks at ${l.tasks} with ${l.workers} workers`, l.closed);

  const procs = (l: Level, name: string) => l.resources.processes.filter((p) => p.name.startsWith(name));
  const cpu = (l: Level, name: string) => round(procs(l, name).reduce((a, p) => a + p.cpuSeconds, 0));
  const cpuPct = (l: Level, name: string) => round(procs(l, name).reduce((a, p) => a + p.cpuPercentOfCore, 0));
  const peakRss = (l: Level) => Math.max(0, ...procs(l, 'bosun worker').map((p) => p.peakRssMiB));
  const label = (l: Level) =>
    `${l.tasks}${workerCounts.length > 1 || l.workers > 1 ? ` with ${l.workers} worker${l.workers > 1 ? 's' : ''}` : ''}`;
  const rows = results.map((l) => [
    label(l),
    l.finished ? 'yes' : `no (${l.closed})`,
    l.succeeded,
    l.failed,
    l.makespanSeconds,
    l.tasksPerSecond,
    l.taskLatency.p50,
    l.taskLatency.max,
    peakRss(l),
    cpuPct(l, 'bosun worker'),
    cpu(l, 'temporal'),
    cpuPct(l, 'temporal'),
    cpu(l, 'moto'),
    cpuPct(l, 'moto'),
    cpuPct(l, 'bench'),
    l.resources.machine.busyPercentOfCore,
    l.resources.machine.othersPercentOfCore,
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

  const single = results.filter((l) => l.workers === workerCounts[0]);
  const biggest = single[single.length - 1]!;
  const smallest = single[0]!;
  const t = biggest.timelines;
  const perTask = (l: Level, name: string) => (l.closed > 0 && procs(l, name).length ? round((cpu(l, name) * 1000) / l.closed) : NaN);
  const slowest = [...t.byActivity].sort((a, b) => b.medianQueueMs + b.medianExecMs - (a.medianQueueMs + a.medianExecMs))[0];
  const byWorkers = levels.flatMap((tasks) => {
    const same = results.filter((l) => l.tasks === tasks);
    if (same.length < 2) return [];
    const base = same[0]!;
    const best = [...same].sort((a, b) => b.tasksPerSecond - a.tasksPerSecond)[0]!;
    const gain = (l: Level) => round((l.tasksPerSecond / base.tasksPerSecond - 1) * 100);
    return [
      `${tasks} tasks: ${same.map((l) => `${l.workers} worker${l.workers > 1 ? 's' : ''} ${l.tasksPerSecond} tasks/s${l === base ? '' : ` (${gain(l) >= 0 ? '+' : ''}${gain(l)}%)`}`).join(', ')}: ${
        best !== base && gain(best) >= 10
          ? `more workers helped up to ${best.workers}: the single worker was a limit at this load.`
          : `more workers did not help (none gained 10%): the single worker was not the limit.`
      }`,
    ];
  });
  const bottleneck = [
    ...(single.length < 2 ? [] : [wallTimeRatio(smallest, single.slice(1))]),
    ...byWorkers,
    ...results.flatMap((l) =>
      l.probe
        ? [
            `Probe at ${label(l)} tasks: resizeServerGroup of ${l.probe.group} posted ${l.probe.postedAtSecond} s in (${l.probe.closedBefore} of ${l.tasks} deploys closed) ${
              l.probe.closedSeconds === undefined
                ? 'had not closed when the level ended'
                : `closed ${l.probe.closedSeconds} s after its POST`
            } (${l.probe.status}; target < 5 s: ${l.probe.closedSeconds !== undefined && l.probe.closedSeconds < 5 ? 'met).' : "not met). A small operation shares the task queue, Temporal's database and the worker's slots with the deploys, so it waits behind them."}`,
          ]
        : [],
    ),
    `CPU per finished task (Temporal / moto / workers, ms): ${results.map((l) => `${label(l)} tasks ${perTask(l, 'temporal')} / ${perTask(l, 'moto')} / ${perTask(l, 'bosun worker')}`).join('; ')}.`,
    ...results.map(
      (l) =>
        `${label(l)} tasks: bottleneck: ${l.verdict}; first worker: ${l.worker?.maxInFlightActivities ?? '-'} activities in flight at most (${l.worker?.secondsAtActivitySlotLimit ?? '-'} s at the slot limit), ${l.worker?.maxInFlightWorkflowActivations ?? '-'} workflow activations in flight at most (of 40 slots), main thread busy at most ${l.worker?.maxMainThreadBusy ?? '-'}. ${persistenceNote(l.persistence)}.`,
    ),
    `Where a finished task's time went at ${biggest.tasks}: workflow tasks waiting ${t.medianWftQueueMs} ms, on the worker ${t.medianWftExecMs} ms, activities waiting for a slot ${t.medianActivityQueueMs} ms, running ${t.medianActivityExecMs} ms (median total ${t.medianTotalMs} ms); the slowest step is ${slowest?.type} (${slowest?.medianQueueMs} ms waiting, ${slowest?.medianExecMs} ms running). Workflow-task waits are Temporal dispatching work through its SQLite-bound history and matching queues${(biggest.worker?.maxInFlightWorkflowActivations ?? 0) >= 40 ? '; the worker also reached its 40 workflow-task slots at its busiest, so raising maxConcurrentWorkflowTaskExecutions is the next thing to try' : ''}.`,
    `Worker memory: peak RSS ${single.map((l) => `${peakRss(l)} MiB with ${l.worker?.maxCachedWorkflows} workflows cached`).join(', ')}: every running task stays in the sticky cache (the default limit is ~2,300 on this heap). maxCachedWorkflows caps it at the price of replaying histories.`,
    ...results
      .filter((l) => !l.finished)
      .map(
        (l) =>
          `${label(l)} did not finish within ${boundOf(l.tasks) / 1000} s: ${l.closed} done${l.submitErrors ? `, ${l.submitErrors} POSTs failed` : ''} (${minuteMarks(
            l.progress,
          )
            .map((p) => `${p.closed} at ${p.second} s`)
            .join(
              ', ',
            )}). ${l.timelines.activityRetries > 0 ? `Retried activity attempts in the finished sample: ${l.timelines.activityRetries} (an attempt that outlives its start-to-close or heartbeat timeout under load is retried, and its AWS calls are made again).` : ''}`,
      ),
  ];

  return envelope.finish({
    name: 'scale',
    title: 'Scale: concurrent createServerGroup tasks on one machine',
    setup: {
      levels,
      workers: workerCounts,
      boundSecondsPerLevel: Object.fromEntries(levels.map((n) => [n, boundOf(n) / 1000])),
      probe: 'one resizeServerGroup (desired 2 -> 3) of a warm-up group, posted when half the level had closed (or at half the bound)',
      worker: 'child processes with production options, on one task queue',
      facade: 'in this process, over HTTP; tasks submitted with 32 POSTs in flight',
      deploy: deploy('<app>', '<al2023 AMI name>'),
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
          'workers CPU %',
          'Temporal CPU s',
          'Temporal CPU %',
          'moto CPU s',
          'moto CPU %',
          'bench CPU %',
          'machine CPU %',
          'others CPU %',
        ],
        rows,
        notes: [
          "CPU % is of one core over the level's window (submission start to last task closed); the machine has 2 cores = 200%",
          'task time: POST sent to workflow closed',
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
      ...results.map((l) => resourcesTable(`Resources at ${label(l)} tasks`, l.resources, [persistenceNote(l.persistence)])),
    ],
    bottleneck,
    interferencePercentOfCore: Math.max(...results.map((l) => l.resources.machine.othersPercentOfCore)),
    data: results,
  });
}

export const scale: Bench = {
  about:
    '100 and 1,000 concurrent createServerGroup (quick 20, 50), a probe resize in the middle; --scale-workers for more worker processes',
  standard: true,
  floorText:
    'every level finished, none failed; >= 3 tasks/s at 100 tasks or more (measured 9.6-10.7); probe resize POST to closed <= 5 s (measured 0.59 s)',
  options: {
    'scale-levels': { type: 'string', help: 'scale: concurrent createServerGroup tasks per level (default 100,1000; quick 20,50)' },
    'scale-workers': { type: 'string', help: 'scale: worker process counts, each level once with each (default 1; e.g. 1,2,3)' },
  },
  run: (ctx, v) => runScale(ctx, { levels: numbers(v, 'scale-levels', 5000), workers: numbers(v, 'scale-workers', 8) }),
  floor: (levels: Level[]) =>
    levels.flatMap((l) => {
      const at = `at ${l.tasks} with ${l.workers} workers`;
      return [
        atLeast(`tasks finished ${at}`, l.closed, l.tasks),
        atMost(`tasks failed ${at}`, l.failed + l.submitErrors, 0),
        ...(l.tasks >= 100 ? [atLeast(`tasks/s ${at}`, l.tasksPerSecond, 3)] : []),
        ...(l.probe?.closedSeconds !== undefined ? [atMost(`probe resize ${at}, POST to closed s`, l.probe.closedSeconds, 5)] : []),
      ];
    }),
};
