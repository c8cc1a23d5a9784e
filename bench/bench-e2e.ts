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
import type { BenchContext } from './lib/context';
import { FacadeHttp } from '../test/support/orca-client';
import { sleep } from './lib/load';
import { round } from '../test/support/child-process';
import type { BenchmarkResult } from './lib/report';
import { resultOf } from './lib/report';
import { cpuVerdict, persistenceNote, requireMeasured, resourcesTable } from './lib/report';
import type { Timeline } from './lib/history';
import { summarizeTimelines, timelineOf } from './lib/history';
import type { BenchStack } from '../test/support/bench-stack';
import { ACCOUNT, REGION, startBenchStack } from '../test/support/bench-stack';
import type { WorkerTuning } from '../test/support/worker-protocol';
import { Patch } from '../workflows/patches';
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

/**
 * One way of running Bosun that the benchmark compares with the others in the same run (issue
 * 11: what each latency measure buys), on its own stack so that nothing is shared but the CPU.
 */
export interface E2eVariant {
  readonly name: string;
  readonly description: string;
  readonly worker: { readonly tuning?: WorkerTuning; readonly inProcess?: boolean; readonly eagerStart?: boolean };
}

/** The variants `--e2e-variants` may name; the standard run measures only `production`. */
export const E2E_VARIANTS: Readonly<Record<string, E2eVariant>> = {
  production: {
    name: 'production',
    description: 'worker child process with the production options; the stack turns eager activity dispatch on',
    worker: {},
  },
  'regular-update': {
    name: 'regular-update',
    description: `the code before patch ${Patch.resizeLocalUpdate}: the update as a regular activity (2 workflow tasks)`,
    worker: { tuning: { patchesOff: [Patch.resizeLocalUpdate] } },
  },
  'no-eager-activities': {
    name: 'no-eager-activities',
    description: 'as production, but no eager activity dispatch (maxEagerActivityReservationsPerWorkflowTask 0)',
    worker: { tuning: { maxEagerActivityReservationsPerWorkflowTask: 0 } },
  },
  'regular-describes': {
    name: 'regular-describes',
    description: `the workflow code main ran: resizes take the path before patch ${Patch.resizeLocalDescribes} (describe and wait as regular activities)`,
    worker: { tuning: { patchesOff: [Patch.resizeLocalDescribes] } },
  },
  'regular-describes-no-eager-activities': {
    name: 'regular-describes-no-eager-activities',
    description: `neither eager activity dispatch nor ${Patch.resizeLocalDescribes}`,
    worker: { tuning: { maxEagerActivityReservationsPerWorkflowTask: 0, patchesOff: [Patch.resizeLocalDescribes] } },
  },
  'in-process-no-eager-start': {
    name: 'in-process-no-eager-start',
    description: 'worker in the facade process (as npm start), the facade client on its NativeConnection, no eager workflow start',
    worker: { inProcess: true, eagerStart: false },
  },
  'in-process': {
    name: 'in-process',
    description: 'worker in the facade process (as npm start), the facade client on its NativeConnection, eager workflow start',
    worker: { inProcess: true, eagerStart: true },
  },
};

export interface EndToEndOptions {
  /** Names from E2E_VARIANTS; default: production only. */
  readonly variants?: readonly string[] | undefined;
}

export async function runEndToEnd(ctx: BenchContext, opts: EndToEndOptions = {}): Promise<BenchmarkResult> {
  const envelope = resultOf(ctx);
  const repeats = ctx.quick ? 8 : 30;
  const warmup = ctx.quick ? 2 : 4;
  const variants = (opts.variants?.length ? opts.variants : ['production']).map((n) => {
    const v = E2E_VARIANTS[n];
    if (!v) throw new Error(`unknown e2e variant '${n}'; known: ${Object.keys(E2E_VARIANTS).join(', ')}`);
    return v;
  });

  const stacks: BenchStack[] = [];
  const https: FacadeHttp[] = [];
  try {
    for (const v of variants) {
      ctx.log(`e2e: starting the stack of variant ${v.name}`);
      const stack = await startBenchStack({
        dir: `${ctx.runDir}/e2e-${v.name}`,
        temporalDb: ctx.temporalDb,
        temporalConfig: ctx.temporalConfig,
        moto: true,
        worker: v.worker,
      });
      stacks.push(stack);
      https.push(new FacadeHttp(stack.facadeUrl, 4));
      await ensureEmulatorServerGroup(stack.awsClients(), { name: BOSUN_GROUP, region: REGION, min: 1, max: 2, desired: 1 });
    }
    const first = stacks[0]!;
    const clients = first.awsClients();
    await ensureEmulatorServerGroup(clients, { name: DIRECT_GROUP, region: REGION, min: 1, max: 2, desired: 1 });

    const bosun = async (stack: BenchStack, http: FacadeHttp, desired: number): Promise<BosunRun> => {
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
      for (const [k, stack] of stacks.entries()) await bosun(stack, https[k]!, i % 2 === 0 ? 2 : 1);
      await direct(clients, DIRECT_GROUP, { min: 1, max: 2, desired: i % 2 === 0 ? 2 : 1 });
    }
    // Every group starts the measured runs at the same capacity.
    const start = warmup % 2 === 0 ? 1 : 2;

    ctx.log(`e2e: ${repeats} resizes each way, interleaved (${variants.map((v) => v.name).join(', ')}, direct)`);
    const bosunRuns: BosunRun[][] = variants.map(() => []);
    const directMs: number[] = [];
    for (const s of stacks) s.worker?.resetStatus();
    const usage = UsageWindow.start(
      stacks.flatMap((s, k) => s.watched().map((w) => (k === 0 ? w : { ...w, name: `${w.name} (${variants[k]!.name})` }))),
    );
    const metrics = await TemporalMetricsWindow.start(first.temporalMetricsUrl);
    for (let i = 0; i < repeats; i++) {
      const desired = (start === 1) === (i % 2 === 0) ? 2 : 1;
      const steps: (() => Promise<unknown>)[] = [
        ...stacks.map((stack, k) => async () => bosunRuns[k]!.push(await bosun(stack, https[k]!, desired))),
        async () => directMs.push(await direct(clients, DIRECT_GROUP, { min: 1, max: 2, desired })),
      ];
      // Rotate who goes first, so no way of running always follows the same one.
      for (let j = 0; j < steps.length; j++) await steps[(i + j) % steps.length]!();
    }
    const resources = usage.stop();
    const persistence = await metrics.stop();
    for (const [k, v] of variants.entries()) requireMeasured(`Bosun resizes (${v.name})`, bosunRuns[k]!.length, repeats);
    requireMeasured('direct resizes', directMs.length, repeats);

    const mDirect = median(directMs);
    const per = variants.map((v, k) => {
      const runs = bosunRuns[k]!;
      const toClose = runs.map((r) => r.toCloseMs);
      const observed = runs.map((r) => r.observedMs);
      const t = summarizeTimelines(runs.map((r) => r.timeline));
      return {
        variant: v,
        runs,
        toClose,
        observed,
        mClose: median(toClose),
        mObserved: median(observed),
        postP50: median(runs.map((r) => r.postMs)),
        t,
      };
    });
    const main = per[0]!;
    const t = main.t;
    const row = (label: string, v: readonly number[]) => {
      const s = summarize(v, 1);
      return [label, s.n, s.p50, s.p90, s.min, s.max, round(s.p50 / mDirect, 1), round(s.p50 - mDirect, 1)];
    };
    const partsOf = (x: (typeof per)[number]['t']): [string, number][] => [
      ['workflow tasks waiting for the worker', x.medianWftQueueMs],
      ['workflow tasks on the worker (to completion recorded; includes local activities)', x.medianWftExecMs],
      ['activities waiting for a slot', x.medianActivityQueueMs],
      ['activities running (AWS calls)', x.medianActivityExecMs],
      ['server hand-offs between tasks', x.medianOtherMs],
    ];
    const parts = partsOf(t);
    const biggest = [...parts].sort((a, b) => b[1] - a[1]);
    const postP50 = main.postP50;
    const mClose = main.mClose;
    const mObserved = main.mObserved;
    const pollDelay = mObserved - mClose;
    const awsInActivities = Math.min(mDirect, t.medianActivityExecMs);
    const wftTotal = t.medianWftQueueMs + t.medianWftExecMs;
    const activityOverhead = t.medianActivityExecMs - awsInActivities;
    const saturated = resources.machine.busyPercentOfCore >= resources.machine.cores * 100 * 0.85;
    const named = (x: (typeof per)[number]) => (per.length > 1 ? ` (${x.variant.name})` : '');
    const bottleneck = [
      `Bosun's own latency (POST sent to workflow closed, median${named(main)}) is ${round(mClose)} ms vs ${round(mDirect)} ms for the same AWS calls made directly: ${round(mClose / mDirect, 1)}x, +${round(mClose - mDirect)} ms. Largest parts of the workflow's ${t.medianTotalMs} ms: ${biggest
        .slice(0, 3)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')}.`,
      `What dominates the overhead: workflow-task round trips, ${round(wftTotal)} ms for ${t.medianWorkflowTasks} workflow tasks (${t.medianWftQueueMs} ms dispatch to the worker's sticky queue, ${t.medianWftExecMs} ms from the worker taking the task to the server recording its completion, which includes running the workflow code, its ${t.medianLocalActivities} local activities and persisting its commands). Then activity overhead: the regular activities ran ${t.medianActivityExecMs} ms, of which the AWS calls are at most ${round(awsInActivities)} ms (the direct path's time for all of them), so at least ~${round(activityOverhead)} ms is activity start, codec and completion; activities waited ${t.medianActivityQueueMs} ms for a slot. The POST itself took ${round(postP50)} ms (start of the workflow, persisted).`,
      ...(per.length > 1
        ? [
            `Variants, same run, interleaved (p50 POST to closed; overhead over direct ${round(mDirect)} ms; workflow tasks per run): ${per
              .map((x) => `${x.variant.name} ${round(x.mClose)} ms (+${round(x.mClose - mDirect)}), ${x.t.medianWorkflowTasks} WFTs`)
              .join('; ')}.`,
          ]
        : []),
      `The client's poll interval (${CLIENT_POLL_MS} ms here) added ${round(pollDelay)} ms on top (median ${round(median(main.runs.map((r) => r.polls)))} polls per task). Orca polls a Clouddriver task every few seconds, so in a real pipeline the poll interval (on average half of it) dominates everything Bosun adds: at 5 s, ~2,500 ms of expected wait against ${round(mClose - mDirect)} ms of orchestration.`,
      `${cpuVerdict(resources)}. ${persistenceNote(persistence)}. ${saturated ? 'The machine was busy; latencies include waiting for CPU.' : 'No process and not the machine was saturated: a single resize is bound by sequential round trips (worker <-> Temporal <-> SQLite), not by throughput.'}`,
    ];

    return envelope.finish({
      name: 'e2e',
      title: 'End to end: one resizeServerGroup through Bosun vs the same AWS calls made directly',
      setup: {
        worker: 'one per variant, production options unless the variant says otherwise',
        variants: Object.fromEntries(variants.map((v) => [v.name, v.description])),
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
            ...per.map((x) => row(`Bosun${named(x)}: POST to workflow closed (server clock)`, x.toClose)),
            row(`Bosun${named(main)}: POST to completed seen by a client polling every ${CLIENT_POLL_MS} ms`, main.observed),
          ],
          notes: [
            `orchestration overhead (medians${named(main)}): ${round(mClose / mDirect, 1)}x and +${round(mClose - mDirect)} ms without the client's polling; ${round(mObserved / mDirect, 1)}x and +${round(mObserved - mDirect)} ms as the polling client saw it`,
            ...(per.length > 1 ? per.map((x) => `${x.variant.name}: ${x.variant.description}`) : []),
          ],
        },
        {
          title: 'Where a Bosun resize spends its time (medians per run, from event histories)',
          headers: ['part', ...per.map((x) => (per.length > 1 ? `${x.variant.name} ms` : 'ms'))],
          rows: [
            ['POST /aws/ops round trip (client side)', ...per.map((x) => round(x.postP50))],
            ...parts.map(([k], i) => [k, ...per.map((x) => partsOf(x.t)[i]![1])] as (string | number)[]),
            ['workflow total (started to closed)', ...per.map((x) => x.t.medianTotalMs)],
            ['workflow tasks per run', ...per.map((x) => x.t.medianWorkflowTasks)],
            ['local activities per run', ...per.map((x) => x.t.medianLocalActivities)],
            [`client polling delay (seen completed - closed)`, ...per.map((x) => round(x.mObserved - x.mClose))],
          ],
          notes: [
            ...per.map(
              (x) =>
                `${per.length > 1 ? `${x.variant.name}: ` : ''}workflow tasks per run: ${x.t.medianWorkflowTasks}, local activities ${x.t.medianLocalActivities}; per regular activity (queue / run ms): ${x.t.byActivity.map((a) => `${a.type} ${a.medianQueueMs} / ${a.medianExecMs}`).join(', ') || 'none'}`,
            ),
            'medians of each part are taken separately, so they need not add up to the median total',
          ],
        },
        resourcesTable('Resources during the measured runs', resources, [persistenceNote(persistence)]),
      ],
      bottleneck,
      interferencePercentOfCore: resources.machine.othersPercentOfCore,
      data: {
        direct: summarize(directMs, 2),
        bosunToClose: summarize(main.toClose, 2),
        bosunObserved: summarize(main.observed, 2),
        post: summarize(
          main.runs.map((r) => r.postMs),
          2,
        ),
        timelines: t,
        variants: per.map((x) => ({
          name: x.variant.name,
          toClose: summarize(x.toClose, 2),
          observed: summarize(x.observed, 2),
          timelines: x.t,
        })),
        runs: main.runs.map((r, i) => ({
          observedMs: round(r.observedMs, 2),
          toCloseMs: r.toCloseMs,
          postMs: round(r.postMs, 2),
          polls: r.polls,
          directMs: round(directMs[i] ?? NaN, 2),
          timeline: { ...r.timeline, activities: r.timeline.activities },
        })),
        resources,
        persistence,
      },
    });
  } finally {
    for (const h of https) h.close();
    for (const s of stacks.reverse()) await s.close();
  }
}
