/**
 * End to end: one resizeServerGroup through Bosun (POST /aws/ops, the workflow, its activities,
 * moto; the client polls GET /task until done) against the same AWS calls made directly with
 * the SDK (describe, update, describe until settled), repeated and interleaved on two groups of
 * the same shape, alternating which goes first. Each Bosun run's event history says where its
 * time went: workflow tasks waiting for and running on the worker, activities waiting for a
 * slot and running, and the server's hand-offs in between.
 */
import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { convergence } from '../domain/capacity';
import { ensureEmulatorServerGroup } from '../infra/demo';
import type { AwsClients } from '../activities';
import { FacadeHttp } from '../test/support/orca-client';
import { sleep } from './lib/load';
import { round } from '../test/support/child-process';
import type { Bench, BenchContext, BenchmarkResult } from './lib/report';
import { atMost, cpuVerdict, persistenceNote, requireMeasured, resourcesTable, resultOf } from './lib/report';
import type { Timeline } from './lib/history';
import { summarizeTimelines, timelineOf } from './lib/history';
import { ACCOUNT, REGION, startStack } from '../test/support/stack';
import { median, summarize } from './lib/stats';
import { TemporalMetricsWindow } from './lib/temporal-metrics';
import { UsageWindow } from './lib/usage';

/** How often this client polls GET /task. Orca polls every few seconds; see the notes. */
const CLIENT_POLL_MS = 100;
const BOSUN_GROUP = 'benche2e-bosun-v000';
const DIRECT_GROUP = 'benche2e-direct-v000';

interface BosunRun {
  /** POST sent to task seen completed by the polling client. */
  readonly observedMs: number;
  /** POST sent to the workflow's close time (server clock): Bosun's latency without the client's polling. */
  readonly toCloseMs: number;
  readonly postMs: number;
  readonly polls: number;
  readonly timeline: Timeline;
}

async function direct(c: AwsClients, name: string, capacity: { min: number; max: number; desired: number }): Promise<number> {
  const t0 = performance.now();
  const describe = async () => {
    const out = await c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const g = out.AutoScalingGroups?.[0];
    if (!g) throw new Error(`${name} is missing`);
    return g;
  };
  await describe();
  await c.autoScaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      MinSize: capacity.min,
      MaxSize: capacity.max,
      DesiredCapacity: capacity.desired,
    }),
  );
  for (let i = 0; ; i++) {
    const g = await describe();
    const instances = (g.Instances ?? []).map((x) => ({
      instanceId: x.InstanceId ?? '',
      lifecycleState: x.LifecycleState ?? '',
      healthStatus: x.HealthStatus ?? '',
    }));
    if (convergence(name, capacity.desired, instances).converged) break;
    if (i >= 100) throw new Error(`${name} did not settle at ${capacity.desired} instances`);
    await sleep(CLIENT_POLL_MS);
  }
  return performance.now() - t0;
}

export async function runEndToEnd(ctx: BenchContext): Promise<BenchmarkResult> {
  const envelope = resultOf();
  const repeats = ctx.quick ? 8 : 30;
  const warmup = ctx.quick ? 2 : 4;
  const stack = await startStack({
    servers: { dir: `${ctx.runDir}/e2e` },
    worker: { processes: 1 },
  });
  const http = new FacadeHttp(stack.facadeUrl, 4);
  try {
    const clients = stack.awsClients();
    for (const name of [BOSUN_GROUP, DIRECT_GROUP])
      await ensureEmulatorServerGroup(clients, { name, region: REGION, min: 1, max: 2, desired: 1 });

    const bosun = async (desired: number): Promise<BosunRun> => {
      const capacity = { min: 1, max: 2, desired };
      const t0wall = Date.now();
      const t0 = performance.now();
      const { id, ms: postMs } = await http.submit([
        { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: BOSUN_GROUP, capacity } },
      ]);
      let polls = 0;
      for (;;) {
        const { task } = await http.task(id);
        polls++;
        if (task.status.completed) {
          if (task.status.failed) throw new Error(`resize failed: ${JSON.stringify(task.history.slice(-2))}`);
          break;
        }
        if (performance.now() - t0 > 60_000) throw new Error(`task ${id} not done after 60 s`);
        await sleep(CLIENT_POLL_MS);
      }
      const observedMs = performance.now() - t0;
      const handle = stack.client.workflow.getHandle(id);
      const [desc, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
      return { observedMs, toCloseMs: (desc.closeTime?.getTime() ?? NaN) - t0wall, postMs, polls, timeline: timelineOf(history) };
    };

    ctx.log(`e2e: warming up (${warmup} resizes each way)`);
    for (let i = 0; i < warmup; i++) {
      await bosun(i % 2 === 0 ? 2 : 1);
      await direct(clients, DIRECT_GROUP, { min: 1, max: 2, desired: i % 2 === 0 ? 2 : 1 });
    }
    // Every group starts the measured runs at the same capacity.
    const start = warmup % 2 === 0 ? 1 : 2;

    ctx.log(`e2e: ${repeats} resizes each way, interleaved`);
    const runs: BosunRun[] = [];
    const directMs: number[] = [];
    stack.workers[0]?.resetStatus();
    const usage = UsageWindow.start(stack.watched());
    const metrics = await TemporalMetricsWindow.start(stack.temporalMetricsUrl);
    for (let i = 0; i < repeats; i++) {
      const desired = (start === 1) === (i % 2 === 0) ? 2 : 1;
      const steps: (() => Promise<unknown>)[] = [
        async () => runs.push(await bosun(desired)),
        async () => directMs.push(await direct(clients, DIRECT_GROUP, { min: 1, max: 2, desired })),
      ];
      // Alternate who goes first, so neither always follows the other.
      for (let j = 0; j < steps.length; j++) await steps[(i + j) % steps.length]!();
    }
    const resources = usage.stop();
    const persistence = await metrics.stop();
    requireMeasured('Bosun resizes', runs.length, repeats);
    requireMeasured('direct resizes', directMs.length, repeats);

    const mDirect = median(directMs);
    const toClose = runs.map((r) => r.toCloseMs);
    const observed = runs.map((r) => r.observedMs);
    const t = summarizeTimelines(runs.map((r) => r.timeline));
    const row = (label: string, v: readonly number[]) => {
      const s = summarize(v, 1);
      return [label, s.n, s.p50, s.p90, s.min, s.max, round(s.p50 / mDirect, 1), round(s.p50 - mDirect, 1)];
    };
    const parts: [string, number][] = [
      ['workflow tasks waiting for the worker', t.medianWftQueueMs],
      ['workflow tasks on the worker (to completion recorded; includes local activities)', t.medianWftExecMs],
      ['activities waiting for a slot', t.medianActivityQueueMs],
      ['activities running (AWS calls)', t.medianActivityExecMs],
      ['server hand-offs between tasks', t.medianOtherMs],
    ];
    const biggest = [...parts].sort((a, b) => b[1] - a[1]);
    const posts = runs.map((r) => r.postMs);
    const postP50 = median(posts);
    const mClose = median(toClose);
    const mObserved = median(observed);
    const pollDelay = mObserved - mClose;
    const awsInActivities = Math.min(mDirect, t.medianActivityExecMs);
    const wftTotal = t.medianWftQueueMs + t.medianWftExecMs;
    const activityOverhead = t.medianActivityExecMs - awsInActivities;
    const saturated = resources.machine.busyPercentOfCore >= resources.machine.cores * 100 * 0.85;
    const bottleneck = [
      `Bosun's own latency (POST sent to workflow closed, median) is ${round(mClose)} ms vs ${round(mDirect)} ms for the same AWS calls made directly: ${round(mClose / mDirect, 1)}x, +${round(mClose - mDirect)} ms. Largest parts of the workflow's ${t.medianTotalMs} ms: ${biggest
        .slice(0, 3)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')}.`,
      `What dominates the overhead: workflow-task round trips, ${round(wftTotal)} ms for ${t.medianWorkflowTasks} workflow tasks (${t.medianWftQueueMs} ms dispatch to the worker's sticky queue, ${t.medianWftExecMs} ms from the worker taking the task to the server recording its completion, which includes running the workflow code, its ${t.medianLocalActivities} local activities and persisting its commands). Then activity overhead: the regular activities ran ${t.medianActivityExecMs} ms, of which the AWS calls are at most ${round(awsInActivities)} ms (the direct path's time for all of them), so at least ~${round(activityOverhead)} ms is activity start, codec and completion; activities waited ${t.medianActivityQueueMs} ms for a slot. The POST itself took ${round(postP50)} ms (start of the workflow, persisted).`,
      `The client's poll interval (${CLIENT_POLL_MS} ms here) added ${round(pollDelay)} ms on top (median ${round(median(runs.map((r) => r.polls)))} polls per task). Orca polls a Clouddriver task every few seconds, so in a real pipeline the poll interval (on average half of it) dominates everything Bosun adds: at 5 s, ~2,500 ms of expected wait against ${round(mClose - mDirect)} ms of orchestration.`,
      `${cpuVerdict(resources)}. ${persistenceNote(persistence)}. ${saturated ? 'The machine was busy; latencies include waiting for CPU.' : 'No process and not the machine was saturated: a single resize is bound by sequential round trips (worker <-> Temporal <-> SQLite), not by throughput.'}`,
    ];

    return envelope.finish({
      name: 'e2e',
      title: 'End to end: one resizeServerGroup through Bosun vs the same AWS calls made directly',
      setup: {
        worker: 'one child process, production options',
        repeats,
        warmupEachWay: warmup,
        clientPollMs: CLIENT_POLL_MS,
        resize: 'desired alternates between 2 and 1 (min 1, max 2), waitForCapacity true; moto settles at once',
        direct:
          'DescribeAutoScalingGroups, UpdateAutoScalingGroup, DescribeAutoScalingGroups until converged, with the same SDK settings (maxAttempts 1) from this process',
      },
      tables: [
        {
          title: 'Resize latency (ms)',
          headers: ['path', 'n', 'p50', 'p90', 'min', 'max', 'p50 / direct', 'p50 - direct ms'],
          rows: [
            row('direct AWS SDK (describe, update, describe until settled)', directMs),
            row('Bosun: POST to workflow closed (server clock)', toClose),
            row(`Bosun: POST to completed seen by a client polling every ${CLIENT_POLL_MS} ms`, observed),
          ],
          notes: [
            `orchestration overhead (medians): ${round(mClose / mDirect, 1)}x and +${round(mClose - mDirect)} ms without the client's polling; ${round(mObserved / mDirect, 1)}x and +${round(mObserved - mDirect)} ms as the polling client saw it`,
          ],
        },
        {
          title: 'Where a Bosun resize spends its time (medians per run, from event histories)',
          headers: ['part', 'ms'],
          rows: [
            ['POST /aws/ops round trip (client side)', round(postP50)],
            ...parts,
            ['workflow total (started to closed)', t.medianTotalMs],
            ['workflow tasks per run', t.medianWorkflowTasks],
            ['local activities per run', t.medianLocalActivities],
            ['client polling delay (seen completed - closed)', round(pollDelay)],
          ],
          notes: [
            `per regular activity (queue / run ms): ${t.byActivity.map((a) => `${a.type} ${a.medianQueueMs} / ${a.medianExecMs}`).join(', ') || 'none'}`,
            'medians of each part are taken separately, so they need not add up to the median total',
          ],
        },
        resourcesTable('Resources during the measured runs', resources, [persistenceNote(persistence)]),
      ],
      bottleneck,
      interferencePercentOfCore: resources.machine.othersPercentOfCore,
      data: {
        direct: summarize(directMs, 2),
        bosunToClose: summarize(toClose, 2),
        bosunObserved: summarize(observed, 2),
        post: summarize(posts, 2),
        timelines: t,
        runs: runs.map((r, i) => ({
          observedMs: round(r.observedMs, 2),
          toCloseMs: r.toCloseMs,
          postMs: round(r.postMs, 2),
          polls: r.polls,
          directMs: round(directMs[i] ?? NaN, 2),
          timeline: r.timeline,
        })),
        resources,
        persistence,
      },
    });
  } finally {
    http.close();
    await stack.close();
  }
}

export const e2e: Bench = {
  about: 'one resizeServerGroup through Bosun vs the same AWS calls made directly',
  standard: true,
  floorText: "Bosun's p50 overhead over direct (POST to closed) <= 100 ms (measured +23 ms)",
  run: runEndToEnd,
  floor: (d: { bosunToClose: { p50: number }; direct: { p50: number } }) => [
    atMost('p50 overhead over direct AWS calls, ms', round(d.bosunToClose.p50 - d.direct.p50), 100),
  ],
};
