/**
 * Scale-out: the same load (500 concurrent createServerGroup tasks by default) run with 1, 2 and
 * 3 Bosun worker processes against one Temporal dev server, behind 2 facade replicas, each run
 * on a fresh Temporal and moto. Workers and facades are the production entry points
 * (`worker/main.ts`, `client/facade/main.ts`) started as separate processes, configured only by
 * environment, as the chaos run starts them; the load generator alternates its POSTs between the
 * facades. Reports throughput, makespan, task latency, CPU of every process, and which process
 * saturated: on one small machine, more workers help only while Temporal and moto have CPU to spare.
 */
import type { Client } from '@temporalio/client';
import { deploy, countOf } from './bench-scale';
import type { BosunSystem } from '../test/support/bosun-system';
import { startBosunSystem } from '../test/support/bosun-system';
import { freePort } from '../infra/stack';
import type { BenchContext } from './lib/context';
import type { Timeline, TimelineSummary } from './lib/history';
import { summarizeTimelines, timelineOf } from './lib/history';
import { FacadeHttp } from '../test/support/orca-client';
import { runClosedLoop, sleep } from './lib/load';
import { round } from '../test/support/child-process';
import type { BenchmarkResult } from './lib/report';
import { resultOf } from './lib/report';
import { cpuVerdict, persistenceNote, requireMeasured, resourcesTable } from './lib/report';
import { startBenchStack, workflowBundle } from '../test/support/bench-stack';
import { percentile } from './lib/stats';
import type { PersistenceUse } from './lib/temporal-metrics';
import { TemporalMetricsWindow } from './lib/temporal-metrics';
import type { ProcessUsage, WindowUsage } from './lib/usage';
import { UsageWindow } from './lib/usage';
import { BENCH_ACCOUNTS } from '../test/support/worker-protocol';
import { emulatorAl2023Image } from '../test/support/instances';

const SUBMIT_CONCURRENCY = 32;
const WARMUP_TASKS = 6;

export interface ScaleOutOptions {
  /** Concurrent createServerGroup tasks per run. */
  readonly tasks?: number | undefined;
  /** Worker process counts, one run each. */
  readonly workers?: readonly number[] | undefined;
  readonly facades?: number | undefined;
}

interface Run {
  readonly workers: number;
  readonly facades: number;
  readonly tasks: number;
  readonly finished: boolean;
  readonly closed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly submitErrors: number;
  readonly makespanSeconds: number;
  readonly tasksPerSecond: number;
  readonly taskLatency: { readonly p50: number; readonly p95: number; readonly max: number };
  readonly resources: WindowUsage;
  readonly persistence: PersistenceUse | undefined;
  readonly timelines: TimelineSummary;
  readonly verdict: string;
}

/** Bounded like a scale level: a run that cannot finish says how far it got. */
const boundMs = (tasks: number, quick: boolean) => (quick ? 120_000 : tasks > 500 ? 600_000 : 420_000);

/** Waits until a task's workflow has closed; the bench's client has no payload key, so it reads the status, not the result. */
async function closedOf(client: Client, id: string, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const d = await client.workflow.getHandle(id).describe();
    if (d.status.name !== 'RUNNING') return;
    await sleep(250);
  }
  throw new Error(`warm-up task ${id} did not close within ${maxMs} ms`);
}

const sum = (ps: readonly ProcessUsage[], f: (p: ProcessUsage) => number) => round(ps.reduce((s, p) => s + f(p), 0));

/**
 * Which process (or the machine) set the pace of one run, named with its numbers. A process near
 * one core most of the time is pinned (moto is single-threaded under the GIL; a Node event loop
 * too); a machine near all its cores is saturated, whoever uses them; otherwise Temporal's
 * SQLite, one writer, is the queue when its summed call time exceeds the wall time.
 */
export function scaleOutVerdict(u: WindowUsage, p: PersistenceUse | undefined): string {
  const of = (prefix: string) => u.processes.filter((x) => x.name.startsWith(prefix));
  const temporal = of('temporal');
  const moto = of('moto');
  const workers = of('bosun worker');
  const facades = of('facade');
  const groups = [
    {
      name: 'Temporal',
      cpu: sum(temporal, (x) => x.cpuPercentOfCore),
      pinned: Math.max(0, ...temporal.map((x) => x.percentOfTimeAbove90)),
    },
    { name: 'moto', cpu: sum(moto, (x) => x.cpuPercentOfCore), pinned: Math.max(0, ...moto.map((x) => x.percentOfTimeAbove90)) },
    { name: 'workers', cpu: sum(workers, (x) => x.cpuPercentOfCore), pinned: Math.max(0, ...workers.map((x) => x.percentOfTimeAbove90)) },
    { name: 'facades', cpu: sum(facades, (x) => x.cpuPercentOfCore), pinned: Math.max(0, ...facades.map((x) => x.percentOfTimeAbove90)) },
  ].sort((a, b) => b.cpu - a.cpu);
  const capacity = u.machine.cores * 100;
  const shares = groups.map((g) => `${g.name} ${g.cpu}%`).join(', ');
  const pinned = [...groups].sort((a, b) => b.pinned - a.pinned)[0]!;
  const sqlite = p
    ? `; Temporal SQLite calls summed ${p.busyPercentOfWall}% of the wall time (${p.callsPerSecond} calls/s, mean ${p.meanMs} ms)`
    : '';
  const ours = groups.reduce((a, g) => a + g.cpu, 0);
  if (u.machine.busyPercentOfCore >= capacity * 0.85 && u.machine.othersPercentOfCore > ours)
    return `the machine was saturated by other processes (${u.machine.othersPercentOfCore}% of ${capacity}%, this run's ${round(ours)}%): ${shares}${sqlite}; not a limit of Bosun, run again on a quiet machine`;
  if (u.machine.busyPercentOfCore >= capacity * 0.85)
    return `machine CPU saturated (${u.machine.busyPercentOfCore}% of ${capacity}%, others ${u.machine.othersPercentOfCore}%): ${shares}; the biggest consumer is ${groups[0]!.name}${pinned.pinned >= 50 ? `, and ${pinned.name} ran at >= 90% of a core ${pinned.pinned}% of the time` : ''}${sqlite}`;
  if (pinned.pinned >= 50)
    return `${pinned.name} pinned at one core (>= 90% of a core ${pinned.pinned}% of the time) while the machine had room (${u.machine.busyPercentOfCore}% of ${capacity}%): ${shares}${sqlite}`;
  if (p && p.busyPercentOfWall >= 100)
    return `Temporal SQLite writes (one writer): calls summed ${p.busyPercentOfWall}% of the wall time at mean ${p.meanMs} ms while the CPU had room (${u.machine.busyPercentOfCore}% of ${capacity}%): ${shares}`;
  return `no process saturated (${u.machine.busyPercentOfCore}% of ${capacity}%): ${shares}${sqlite}; the tasks' own waits set the pace`;
}

async function runWith(ctx: BenchContext, tasks: number, workers: number, facades: number): Promise<Run> {
  const label = `${tasks}x${workers}w${facades}f`;
  const dir = `${ctx.runDir}/scaleout-${label}`;
  const bound = boundMs(tasks, ctx.quick);
  // Temporal and moto only: the Bosun processes below are the production entry points, not the bench's own worker and facade.
  const stack = await startBenchStack({ dir, temporalDb: ctx.temporalDb, temporalConfig: ctx.temporalConfig, moto: true, worker: false });
  const https: FacadeHttp[] = [];
  let system: BosunSystem | undefined;
  try {
    const ports: number[] = [];
    for (let i = 0; i < facades; i++) ports.push(await freePort());
    ctx.log(`scaleout ${label}: starting ${workers} worker and ${facades} facade processes`);
    system = await startBosunSystem({
      temporalAddress: () => stack.temporal.address,
      awsEndpoint: stack.moto!.endpoint,
      taskQueue: stack.taskQueue,
      stateDir: `${dir}/bosun`,
      facadePort: ports[0]!,
      extraFacadePorts: ports.slice(1),
      workers,
      workflowBundle: await workflowBundle(ctx.runDir),
      accounts: JSON.stringify(BENCH_ACCOUNTS),
      // Production's defaults (defaultTaskSettings), as the scale benchmark's in-process facade uses.
      pollInterval: '10s',
      retryWindow: '2h',
      startTimeoutMs: 120_000,
    });
    for (const port of ports) https.push(new FacadeHttp(`http://127.0.0.1:${port}`, SUBMIT_CONCURRENCY));
    const facade = (i: number) => https[i % https.length]!;

    const amiName = (await emulatorAl2023Image(stack.awsClients().ec2)).name;

    ctx.log(`scaleout ${label}: warming up`);
    const warm = await runClosedLoop(WARMUP_TASKS, WARMUP_TASKS, async (i) => {
      const { id } = await facade(i).submit(deploy(`warm${i}`, amiName));
      await closedOf(stack.client, id, 120_000);
    });
    if (warm.errors) throw new Error(`warm-up deploys failed: ${warm.firstError}`);
    const closedQuery = `TaskQueue = '${stack.taskQueue}' AND ExecutionStatus != 'Running'`;
    const warmClosed = await countOf(stack.client, closedQuery);

    ctx.log(`scaleout ${label}: submitting ${tasks} createServerGroup tasks through ${facades} facades, bound ${bound / 1000} s`);
    const usage = UsageWindow.start([
      { name: 'temporal dev server', pid: stack.temporal.pid },
      { name: 'moto', pid: stack.moto!.pid },
      ...system.processes(),
    ]);
    const metrics = await TemporalMetricsWindow.start(stack.temporalMetricsUrl);
    const t0wall = Date.now();
    const t0 = performance.now();
    const submitted = new Map<string, number>();
    let submitDone = false;
    const submit = runClosedLoop(tasks, SUBMIT_CONCURRENCY, async (i) => {
      const postedAt = Date.now();
      const { id } = await facade(i).submit(deploy(`o${workers}n${i}`, amiName));
      submitted.set(id, postedAt);
    }).finally(() => (submitDone = true));

    let closed = 0;
    while (performance.now() - t0 < bound) {
      await sleep(1000);
      closed = (await countOf(stack.client, closedQuery)) - warmClosed;
      const second = Math.round((performance.now() - t0) / 1000);
      if (second % 15 === 0) ctx.log(`scaleout ${label}: ${second} s, ${closed} of ${tasks} finished`);
      if (submitDone && closed >= tasks) break;
    }
    const submitResult = await submit;
    const resources = usage.stop();
    const persistence = await metrics.stop();
    if (submitResult.errors) ctx.log(`scaleout ${label}: ${submitResult.errors} submissions failed: ${submitResult.firstError}`);
    const finished = closed >= tasks && submitResult.errors === 0;

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
    const succeeded = (await countOf(stack.client, `TaskQueue = '${stack.taskQueue}' AND BosunTaskStatus = 'SUCCEEDED'`)) - WARMUP_TASKS;
    const failed = await countOf(stack.client, `TaskQueue = '${stack.taskQueue}' AND BosunTaskStatus = 'FAILED'`);
    const step = Math.max(1, Math.floor(closedIds.length / 30));
    const timelines: Timeline[] = [];
    for (let i = 0; i < closedIds.length; i += step)
      timelines.push(timelineOf(await stack.client.workflow.getHandle(closedIds[i]!).fetchHistory()));

    const sorted = taskSeconds.sort((a, b) => a - b);
    const makespanSeconds = finished ? (lastClose - t0wall) / 1000 : resources.wallSeconds;
    return {
      workers,
      facades,
      tasks,
      finished,
      closed,
      succeeded,
      failed,
      submitErrors: submitResult.errors,
      makespanSeconds: round(makespanSeconds, 1),
      tasksPerSecond: round(closed / makespanSeconds, 2),
      taskLatency: { p50: round(percentile(sorted, 50), 1), p95: round(percentile(sorted, 95), 1), max: round(sorted.at(-1) ?? NaN, 1) },
      resources,
      persistence,
      timelines: summarizeTimelines(timelines),
      verdict: scaleOutVerdict(resources, persistence),
    };
  } finally {
    for (const h of https) h.close();
    await system?.stop();
    await stack.close();
  }
}

export async function runScaleOut(ctx: BenchContext, opts: ScaleOutOptions = {}): Promise<BenchmarkResult> {
  const envelope = resultOf(ctx);
  const tasks = opts.tasks ?? (ctx.quick ? 50 : 500);
  const workerCounts = opts.workers ?? (ctx.quick ? [1, 2] : [1, 2, 3]);
  const facades = opts.facades ?? 2;
  const runs: Run[] = [];
  for (const w of workerCounts) runs.push(await runWith(ctx, tasks, w, facades));
  for (const r of runs) requireMeasured(`finished createServerGroup tasks with ${r.workers} workers`, r.closed);

  const cpuOf = (r: Run, prefix: string) => r.resources.processes.filter((p) => p.name.startsWith(prefix));
  const rows = runs.map((r) => [
    r.workers,
    r.facades,
    r.finished ? 'yes' : `no (${r.closed})`,
    r.succeeded,
    r.failed,
    r.makespanSeconds,
    r.tasksPerSecond,
    r.taskLatency.p50,
    r.taskLatency.p95,
    r.taskLatency.max,
    sum(cpuOf(r, 'temporal'), (p) => p.cpuPercentOfCore),
    sum(cpuOf(r, 'moto'), (p) => p.cpuPercentOfCore),
    cpuOf(r, 'bosun worker')
      .map((p) => p.cpuPercentOfCore)
      .join(' / '),
    cpuOf(r, 'facade')
      .map((p) => p.cpuPercentOfCore)
      .join(' / '),
    sum(cpuOf(r, 'bench'), (p) => p.cpuPercentOfCore),
    r.resources.machine.busyPercentOfCore,
    r.resources.machine.othersPercentOfCore,
    Math.max(...cpuOf(r, 'bosun worker').map((p) => p.peakRssMiB)),
  ]);

  const base = runs[0]!;
  const best = [...runs].sort((a, b) => b.tasksPerSecond - a.tasksPerSecond)[0]!;
  const gain = (r: Run) => round((r.tasksPerSecond / base.tasksPerSecond - 1) * 100);
  const helped = runs.length > 1 && best !== base && gain(best) >= 10;
  const bottleneck = [
    `Throughput with ${runs.map((r) => `${r.workers} worker${r.workers > 1 ? 's' : ''} ${r.tasksPerSecond} tasks/s (makespan ${r.makespanSeconds} s, p95 ${r.taskLatency.p95} s${r === base ? '' : `, ${gain(r) >= 0 ? '+' : ''}${gain(r)}%`})`).join('; ')}. ${
      runs.length < 2
        ? ''
        : helped
          ? `More workers helped up to ${best.workers}: the single worker was a limit at this load.`
          : `More workers did not help (within 10%): the single worker was not the limit; ${base.verdict}.`
    }`,
    ...runs.map((r) => `${r.workers} worker${r.workers > 1 ? 's' : ''}, ${r.facades} facades: bottleneck: ${r.verdict}.`),
    ...runs.map((r) => `${r.workers} worker${r.workers > 1 ? 's' : ''}: ${cpuVerdict(r.resources)}. ${persistenceNote(r.persistence)}.`),
    ...runs
      .filter((r) => !r.finished)
      .map(
        (r) =>
          `${r.workers} workers did not finish within ${boundMs(r.tasks, ctx.quick) / 1000} s: ${r.closed} of ${r.tasks} closed${r.submitErrors ? `, ${r.submitErrors} POSTs failed` : ''}.`,
      ),
  ];

  return envelope.finish({
    name: 'scaleout',
    title: `Scale-out: ${tasks} concurrent createServerGroup tasks with ${workerCounts.join(', ')} worker processes and ${facades} facades`,
    setup: {
      tasks,
      workers: workerCounts,
      facades,
      boundSeconds: boundMs(tasks, ctx.quick) / 1000,
      processes:
        'worker/main.ts and client/facade/main.ts as child processes (node --require tsx/cjs), configured by environment as in production; one Temporal dev server and one moto per run',
      load: `${SUBMIT_CONCURRENCY} POSTs in flight, alternating between the facades; ${WARMUP_TASKS} warm-up deploys first`,
      deploy: deploy('<app>', '<al2023 AMI name>'),
    },
    tables: [
      {
        title: 'Same load, more worker processes',
        headers: [
          'workers',
          'facades',
          'all done',
          'succeeded',
          'failed',
          'makespan s',
          'tasks/s',
          'task p50 s',
          'task p95 s',
          'task max s',
          'Temporal CPU %',
          'moto CPU %',
          'worker CPU % (each)',
          'facade CPU % (each)',
          'bench CPU %',
          'machine CPU %',
          'others CPU %',
          'worker peak RSS MiB (max)',
        ],
        rows,
        notes: [
          `CPU % is of one core over the run's window (first POST to last task closed); the machine has ${runs[0]!.resources.machine.cores} cores = ${runs[0]!.resources.machine.cores * 100}%`,
          'task time: POST sent to workflow closed; makespan: first POST to last close',
        ],
      },
      {
        title: 'Where a finished task spent its time (medians over up to 30 histories per run, ms)',
        headers: ['workers', 'total', 'WFT waiting', 'WFT on worker', 'activities waiting', 'activities running', 'hand-offs'],
        rows: runs.map((r) => [
          r.workers,
          r.timelines.medianTotalMs,
          r.timelines.medianWftQueueMs,
          r.timelines.medianWftExecMs,
          r.timelines.medianActivityQueueMs,
          r.timelines.medianActivityExecMs,
          r.timelines.medianOtherMs,
        ]),
      },
      ...runs.map((r) =>
        resourcesTable(`Resources with ${r.workers} worker${r.workers > 1 ? 's' : ''}`, r.resources, [persistenceNote(r.persistence)]),
      ),
    ],
    bottleneck,
    interferencePercentOfCore: Math.max(...runs.map((r) => r.resources.machine.othersPercentOfCore)),
    data: runs,
  });
}
