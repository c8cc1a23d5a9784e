/**
 * `npm run bench -- --only waits [--waits-tasks N] [--waits-rounds R]`: long waits against a task's
 * short calls, for each wait strategy (domain/waits.ts) in the same run.
 *
 * Per variant, a fresh stack (dev server, moto, the production worker as a child process with its
 * default 100 activity slots and 1,000 wait slots, the facade with production settings except the
 * strategy): N resize tasks whose wait for capacity cannot end (each group's one instance is
 * Unhealthy) until the benchmark heals the groups. S seconds after the last submission (the
 * submission burst is over and the tasks are inside their waits, or waiting for a slot), a probe
 * resize (a describe, an update and a wait that converges at once) is submitted every second for
 * P seconds: its time from POST to the workflow's result is what Orca would wait for a resize
 * submitted in the middle of many long deploys. Then the groups are healed. Also reported: the dev server's
 * and the worker's CPU over the window, the worker's peak RSS, the history events of a waiting
 * task, and how long the waits took to drain after the heal. Variants alternate over the rounds,
 * because the machine is shared and its noise drifts.
 *
 * Writes bench/results/bench-waits.json and its section of bench/results/bench-waits-summary.md.
 */
import path from 'node:path';
import { DescribeAutoScalingGroupsCommand, SetInstanceHealthCommand } from '@aws-sdk/client-auto-scaling';
import { ensureEmulatorServerGroup } from '../infra/demo';
import { defaultTaskSettings } from '../domain/task-input';
import type { WaitStrategy } from '../domain/waits';
import type { TimelineSummary } from './lib/history';
import { summarizeTimelines, timelineOf } from './lib/history';
import { FacadeHttp } from '../test/support/orca-client';
import { runClosedLoop, sleep } from './lib/load';
import { loadAverage, round } from '../test/support/child-process';
import type { BenchContext } from './lib/context';
import type { BenchmarkResult } from './lib/report';
import { requireMeasured, resultOf } from './lib/report';
import { ACCOUNT, REGION, startBenchStack } from '../test/support/bench-stack';
import { summarize } from './lib/stats';
import type { Table } from './lib/table';
import { UsageWindow } from './lib/usage';

const BLOCKED_GROUPS = 10;
const PROBE_EVERY_MS = 1000;
/** Histories read per variant to count a waiting task's events. */
const HISTORY_SAMPLE = 20;

export interface WaitsOptions {
  readonly tasks?: number | undefined;
  readonly rounds?: number | undefined;
}

interface Options {
  readonly tasks: number;
  readonly settleSeconds: number;
  readonly probeSeconds: number;
  readonly rounds: number;
}

interface VariantResult {
  readonly strategy: WaitStrategy;
  readonly round: number;
  /** The probe alone, before the waits: what the machine allowed at that moment. */
  readonly idleProbeP50Ms: number;
  readonly probes: number;
  readonly probeP50Ms: number;
  readonly probeP90Ms: number;
  readonly probeMaxMs: number;
  /** Probes that took over 5 s (the requirement: a resize among 1,000 deploys within 5 s). */
  readonly probesOver5s: number;
  readonly temporalCpuPercent: number;
  readonly workerCpuPercent: number;
  /** moto answers every describe of every poll, single-threaded: the emulator's own ceiling. */
  readonly motoCpuPercent: number;
  readonly workerPeakRssMiB: number;
  readonly eventsPerWaitingTask: number;
  /** Activities in the task queue worker's slots just before the heal (waits held there, or not). */
  readonly taskQueueActivitiesBeforeHeal: number;
  readonly drainSecondsAfterHeal: number;
  readonly failedTasks: number;
  readonly othersPercentOfCore: number;
  readonly windowSeconds: number;
  /** Where the probes' time went (median per probe), from their histories. */
  readonly probeTimeline: TimelineSummary;
  /** How long the N submissions took (the burst before the probes). */
  readonly submitSeconds: number;
  /** How long the waits lasted: from the first submission to the heal. */
  readonly waitSeconds: number;
}

async function runVariant(strategy: WaitStrategy, round_: number, opts: Options, runDir: string): Promise<VariantResult> {
  const log = (m: string) => process.stderr.write(`[bench-waits ${strategy} #${round_}] ${m}\n`);
  const stack = await startBenchStack({
    dir: path.join(runDir, `${strategy}-${round_}`),
    temporalDb: 'memory',
    moto: true,
    worker: {},
    settings: { ...defaultTaskSettings, waitStrategy: strategy },
  });
  const http = new FacadeHttp(stack.facadeUrl, 64);
  try {
    const clients = stack.awsClients();
    const blocked = Array.from({ length: BLOCKED_GROUPS }, (_, i) => `benchwaits-blocked-v${String(i).padStart(3, '0')}`);
    const probeGroup = 'benchwaits-probe-v000';
    for (const name of [...blocked, probeGroup])
      await ensureEmulatorServerGroup(clients, { name, region: REGION, min: 1, max: 1, desired: 1 });
    const unhealthy: string[] = [];
    for (const name of blocked) {
      const g = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
      const instanceId = g.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId;
      if (!instanceId) throw new Error(`${name} has no instance`);
      await clients.autoScaling.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Unhealthy' }));
      unhealthy.push(instanceId);
    }
    const resize = (serverGroupName: string) => [
      {
        resizeServerGroup: {
          credentials: ACCOUNT,
          region: REGION,
          serverGroupName,
          capacity: { min: 1, max: 1, desired: 1 },
          waitTimeoutSeconds: 600,
        },
      },
    ];

    // The floor: the same probe, one at a time, before any wait exists (the machine is shared).
    const idle = await runClosedLoop(5, 1, async () => {
      const { id } = await http.submit(resize(probeGroup));
      await stack.client.workflow.getHandle(id).result();
    });
    stack.worker?.resetStatus();
    const usage = UsageWindow.start(stack.watched());
    const windowStart = performance.now();
    log(`submitting ${opts.tasks} waiting tasks`);
    const ids: string[] = [];
    const submit = await runClosedLoop(opts.tasks, 32, async (i) => {
      ids.push((await http.submit(resize(blocked[i % blocked.length]!))).id);
    });
    if (submit.errors) throw new Error(`${submit.errors} submissions failed: ${submit.firstError}`);
    const submitSeconds = (performance.now() - windowStart) / 1000;
    await sleep(opts.settleSeconds * 1000);
    const healAt = performance.now() + opts.probeSeconds * 1000;

    // Probes every second until the heal, each timed from its POST to its workflow's result.
    const probeLatencies: number[] = [];
    const probeIds: string[] = [];
    const probeRuns: Promise<void>[] = [];
    while (performance.now() < healAt) {
      probeRuns.push(
        (async () => {
          const sent = performance.now();
          const { id } = await http.submit(resize(probeGroup));
          await stack.client.workflow.getHandle(id).result();
          probeLatencies.push(performance.now() - sent);
          probeIds.push(id);
        })(),
      );
      await sleep(PROBE_EVERY_MS);
    }
    const taskQueueActivitiesBeforeHeal = stack.worker?.latest()?.status.numInFlightNonLocalActivities ?? NaN;
    log('healing the groups');
    for (const instanceId of unhealthy) {
      await clients.autoScaling.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Healthy' }));
    }
    const healed = performance.now();
    const waitSeconds = (healed - windowStart) / 1000;
    let failedTasks = 0;
    await Promise.all(
      ids.map(async (id) => {
        try {
          await stack.client.workflow.getHandle(id).result();
        } catch {
          failedTasks++;
        }
      }),
    );
    const drainSecondsAfterHeal = (performance.now() - healed) / 1000;
    await Promise.all(probeRuns);
    const resources = usage.stop();
    const windowSeconds = (performance.now() - windowStart) / 1000;

    const events: number[] = [];
    for (const id of ids.slice(0, HISTORY_SAMPLE)) {
      const h = await stack.client.workflow.getHandle(id).fetchHistory();
      events.push(h.events?.length ?? 0);
    }
    const timelines = [];
    for (const id of probeIds) timelines.push(timelineOf(await stack.client.workflow.getHandle(id).fetchHistory()));
    const probeTimeline = summarizeTimelines(timelines);
    const probes = summarize(probeLatencies, 0);
    const cpuOf = (name: string) => resources.processes.find((p) => p.name === name);
    const result: VariantResult = {
      strategy,
      round: round_,
      idleProbeP50Ms: summarize(idle.latenciesMs, 0).p50,
      probes: probes.n,
      probeP50Ms: probes.p50,
      probeP90Ms: probes.p90,
      probeMaxMs: probes.max,
      probesOver5s: probeLatencies.filter((ms) => ms > 5000).length,
      temporalCpuPercent: cpuOf('temporal dev server')?.cpuPercentOfCore ?? NaN,
      workerCpuPercent: cpuOf('bosun worker (child)')?.cpuPercentOfCore ?? NaN,
      motoCpuPercent: cpuOf('moto')?.cpuPercentOfCore ?? NaN,
      workerPeakRssMiB: cpuOf('bosun worker (child)')?.peakRssMiB ?? NaN,
      eventsPerWaitingTask: round(events.reduce((a, b) => a + b, 0) / Math.max(1, events.length), 1),
      taskQueueActivitiesBeforeHeal,
      drainSecondsAfterHeal: round(drainSecondsAfterHeal, 1),
      failedTasks,
      othersPercentOfCore: resources.machine.othersPercentOfCore,
      windowSeconds: round(windowSeconds, 1),
      probeTimeline,
      submitSeconds: round(submitSeconds, 1),
      waitSeconds: round(waitSeconds, 1),
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    http.close();
    await stack.close();
  }
}

export async function runWaits(ctx: BenchContext, o: WaitsOptions = {}): Promise<BenchmarkResult> {
  const opts: Options = {
    tasks: o.tasks ?? (ctx.quick ? 40 : 300),
    settleSeconds: ctx.quick ? 5 : 10,
    probeSeconds: ctx.quick ? 8 : 20,
    rounds: o.rounds ?? (ctx.quick ? 1 : 2),
  };
  const envelope = resultOf(ctx);
  const loadStart = loadAverage();
  // Alternated so that drift in the machine's other load does not favour one variant. The
  // `activity` strategy (waits in the task queue's slots) is no longer measured: it lost
  // (bench/results/bench-waits.md) and waits run on their own queue.
  const orders: WaitStrategy[][] = [
    ['task-queue', 'workflow-timer'],
    ['workflow-timer', 'task-queue'],
  ];
  const results: VariantResult[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    for (const strategy of orders[r % orders.length]!) results.push(await runVariant(strategy, r + 1, opts, ctx.runDir));
  }
  for (const x of results) requireMeasured(`probes of ${x.strategy}`, x.probes);

  const table: Table = {
    title: `${opts.tasks} resize tasks waiting ~${Math.round(results.reduce((a, x) => a + x.waitSeconds, 0) / Math.max(1, results.length))} s (poll every ${defaultTaskSettings.pollIntervalMs / 1000} s), 100 activity slots, a probe resize every second for ${opts.probeSeconds} s`,
    headers: [
      'strategy',
      'round',
      'idle probe p50 ms',
      'probes',
      'probe p50 ms',
      'probe p90 ms',
      'probe max ms',
      'probes > 5 s',
      'dev server CPU %',
      'worker CPU %',
      'moto CPU %',
      'worker peak RSS MiB',
      'events / waiting task',
      'task-queue slots in use before heal',
      'drain s after heal',
      'failed',
      'others % of core',
    ],
    rows: results.map((x) => [
      x.strategy,
      x.round,
      x.idleProbeP50Ms,
      x.probes,
      x.probeP50Ms,
      x.probeP90Ms,
      x.probeMaxMs,
      x.probesOver5s,
      x.temporalCpuPercent,
      x.workerCpuPercent,
      x.motoCpuPercent,
      x.workerPeakRssMiB,
      x.eventsPerWaitingTask,
      x.taskQueueActivitiesBeforeHeal,
      x.drainSecondsAfterHeal,
      x.failedTasks,
      x.othersPercentOfCore,
    ]),
    notes: [
      `probe: POST of a resize whose wait converges at once, to its workflow result; probes start ${opts.settleSeconds} s after the last of the ${opts.tasks} submissions`,
      'idle probe: the same probe alone, before the waits were submitted, on the same stack (the floor the shared machine allowed)',
      'CPU in % of one core and peak RSS over the window (first submission to the last task done)',
      'events / waiting task: mean over 20 waiting tasks of their whole history (start to completion)',
      `machine shared with other engineers' runs; load average ${loadStart.join(' ')} at the start, ${loadAverage().join(' ')} at the end`,
    ],
  };
  const where: Table = {
    title: "Where a probe's time went (median per probe, ms, from its history)",
    headers: [
      'strategy',
      'round',
      'total',
      'workflow tasks queued',
      'workflow tasks running',
      'activities queued (slots)',
      'activities running',
      'other',
    ],
    rows: results.map((x) => [
      x.strategy,
      x.round,
      x.probeTimeline.medianTotalMs,
      x.probeTimeline.medianWftQueueMs,
      x.probeTimeline.medianWftExecMs,
      x.probeTimeline.medianActivityQueueMs,
      x.probeTimeline.medianActivityExecMs,
      x.probeTimeline.medianOtherMs,
    ]),
    notes: ['queued = scheduled to started (waiting for a worker poller or slot); running = started to completed'],
  };
  const best = (strategy: WaitStrategy) => Math.min(...results.filter((x) => x.strategy === strategy).map((x) => x.probeP50Ms));
  return envelope.finish({
    name: 'waits',
    title: 'Waits: a probe resize while hundreds of waits sleep, per wait strategy',
    setup: { ...opts, strategies: ['task-queue', 'workflow-timer'], pollIntervalMs: defaultTaskSettings.pollIntervalMs },
    tables: [table, where],
    bottleneck: [
      `Probe p50: ${best('task-queue')} ms with waits on their own queue (task-queue) vs ${best('workflow-timer')} ms with workflow timers; failed waiting tasks ${results.reduce((a, x) => a + x.failedTasks, 0)}.`,
    ],
    interferencePercentOfCore: Math.max(...results.map((x) => x.othersPercentOfCore)),
    data: results,
  });
}
