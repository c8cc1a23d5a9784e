/**
 * Submission: what the facade costs on top of starting the workflow yourself. The same
 * resizeServerGroup task, the same count, at the same concurrency levels, two ways:
 *  - facade: `POST /aws/ops` over real HTTP (keep-alive), i.e. parse, validate, authorize, start
 *    (memo, summary, 8 search attributes);
 *  - bare start: `client.workflow.start('resizeServerGroup', { args })`, the same input and nothing else.
 * No worker: every task stays RUNNING on its task queue, so only the submission path (this
 * process, the Temporal frontend, history and SQLite) is measured, with no worker competing for
 * the two cores. A worker would add its own polling and workflow-task CPU to Temporal's, which
 * belongs to the end-to-end and scale benchmarks.
 */
import { randomUUID } from 'node:crypto';
import { parseSubmission, taskTargets } from '../client/facade/submission';
import type { TaskContext } from '../domain/task-input';
import { defaultTaskSettings } from '../domain/task-input';

import { FacadeHttp } from '../test/support/orca-client';
import type { LoadResult } from './lib/load';
import { runClosedLoop } from './lib/load';
import { round } from '../test/support/child-process';
import type { Bench, BenchContext, BenchmarkResult, Cell } from './lib/report';
import { atMost, cpuVerdict, persistenceNote, requireMeasured, resourcesTable, resultOf } from './lib/report';
import type { Stack } from '../test/support/stack';
import { ACCOUNT, REGION, startStack } from '../test/support/stack';
import { sum, summarize } from './lib/stats';
import type { PersistenceUse } from './lib/temporal-metrics';
import { TemporalMetricsWindow } from './lib/temporal-metrics';
import type { WindowUsage } from './lib/usage';
import { UsageWindow } from './lib/usage';

const VARIANTS = ['facade POST /aws/ops', 'bare client.workflow.start'] as const;
type Variant = (typeof VARIANTS)[number];

interface Run {
  readonly variant: Variant;
  readonly concurrency: number;
  readonly load: LoadResult;
  readonly usage: WindowUsage;
  readonly persistence: PersistenceUse | undefined;
  /** Event-loop utilisation of this process (facade + load generator) during the run. */
  readonly benchLoopBusy: number;
}

interface Submitter {
  readonly call: Record<Variant, () => Promise<unknown>>;
  readonly stack: Stack;
  close(): Promise<void>;
}

const OPERATIONS = [
  {
    resizeServerGroup: {
      credentials: ACCOUNT,
      region: REGION,
      serverGroupName: 'benchapp-main-v001',
      capacity: { min: 1, max: 2, desired: 1 },
    },
  },
];

/** A fresh Temporal dev server (no worker, no moto), the facade, and the two ways to start the same task. */
async function startSubmitter(ctx: BenchContext, maxInFlight: number): Promise<Submitter> {
  const stack = await startStack({
    servers: { dir: `${ctx.runDir}/submission`, moto: false },
    worker: false,
  });
  const parsed = parseSubmission(OPERATIONS);
  if (!parsed.ok) throw new Error(`the benchmark's own operation is invalid: ${parsed.errors.join('; ')}`);
  const targets = taskTargets(parsed.operations);
  // What the facade builds from the same POST (no execution id or clientRequestId headers).
  const context: TaskContext = {
    cloudProvider: 'aws',
    user: 'bench@example.com',
    requestId: undefined,
    executionId: undefined,
    application: targets.application,
  };
  const single = parsed.operations[0]!;
  const http = new FacadeHttp(stack.facadeUrl, maxInFlight);
  return {
    stack,
    call: {
      'facade POST /aws/ops': () => http.submit(OPERATIONS),
      'bare client.workflow.start': () =>
        stack.client.workflow.start(single.name, {
          workflowId: randomUUID(),
          taskQueue: stack.taskQueue,
          args: [{ description: single.description, context, settings: defaultTaskSettings }],
        }),
    },
    async close() {
      http.close();
      await stack.close();
    },
  };
}

async function warmUp(s: Submitter, count: number): Promise<void> {
  for (const v of VARIANTS) {
    const w = await runClosedLoop(count, 8, () => s.call[v]());
    if (w.errors) throw new Error(`warm-up of ${v} failed: ${w.firstError}`);
  }
}

async function measure(s: Submitter, variant: Variant, concurrency: number, count: number): Promise<Run> {
  const metrics = await TemporalMetricsWindow.start(s.stack.temporalMetricsUrl);
  const usage = UsageWindow.start(s.stack.watched());
  const elu = performance.eventLoopUtilization();
  const load = await runClosedLoop(count, concurrency, () => s.call[variant]());
  const benchLoopBusy = performance.eventLoopUtilization(elu).utilization;
  return { variant, concurrency, load, usage: usage.stop(), persistence: await metrics.stop(), benchLoopBusy };
}

const perOp = (r: Run, name: string) => {
  const p = r.usage.processes.find((x) => x.name.startsWith(name));
  return p ? round((p.cpuSeconds * 1000) / r.load.latenciesMs.length, 2) : undefined;
};

function runRow(r: Run): Cell[] {
  const s = summarize(r.load.latenciesMs, 2);
  return [
    r.variant,
    r.concurrency,
    s.n,
    round((s.n / r.load.wallMs) * 1000),
    s.p50,
    s.p90,
    s.p99,
    s.max,
    r.load.errors,
    perOp(r, 'bench'),
    perOp(r, 'temporal'),
    round(r.benchLoopBusy * 100),
    r.persistence ? round(r.persistence.calls / s.n, 1) : undefined,
    r.persistence?.meanMs,
  ];
}

const RUN_HEADERS = [
  'variant',
  'in flight',
  'n',
  'ops/s',
  'p50',
  'p90',
  'p99',
  'max',
  'errors',
  'bench CPU ms/op',
  'Temporal CPU ms/op',
  'bench loop busy %',
  'SQLite calls/op',
  'SQLite mean ms',
];

export async function runSubmission(ctx: BenchContext): Promise<BenchmarkResult> {
  const envelope = resultOf();
  const levels = [1, 8, 32];
  const count = ctx.quick ? 60 : 300;
  const warmup = ctx.quick ? 15 : 60;

  const runs: Run[] = [];
  let total: WindowUsage;
  let totalPersistence: PersistenceUse | undefined;
  const main = await startSubmitter(ctx, Math.max(...levels));
  try {
    ctx.log(`submission: warming up (${warmup} starts per variant)`);
    await warmUp(main, warmup);
    const overall = UsageWindow.start(main.stack.watched());
    const overallPersistence = await TemporalMetricsWindow.start(main.stack.temporalMetricsUrl);
    for (const [li, concurrency] of levels.entries()) {
      // Rotate the order per level so no variant always runs first (or last) on a drifting machine.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + li) % VARIANTS.length]!);
      for (const variant of order) {
        ctx.log(`submission: ${variant}, ${count} starts, ${concurrency} in flight`);
        runs.push(await measure(main, variant, concurrency, count));
      }
    }
    total = overall.stop();
    totalPersistence = await overallPersistence.stop();
    for (const r of runs) requireMeasured(`${r.variant} at ${r.concurrency} in flight`, r.load.latenciesMs.length);
    const expected = runs.reduce((s, r) => s + r.load.latenciesMs.length, 0) + warmup * VARIANTS.length;
    // Visibility is eventually consistent: the last starts can take a moment to be counted.
    let inTemporal = await main.stack.client.workflow.count(`TaskQueue = '${main.stack.taskQueue}'`);
    for (let i = 0; i < 50 && inTemporal.count < expected; i++) {
      await new Promise((r) => setTimeout(r, 100));
      inTemporal = await main.stack.client.workflow.count(`TaskQueue = '${main.stack.taskQueue}'`);
    }
    requireMeasured('workflows Temporal holds for the started tasks', inTemporal.count, expected);
  } finally {
    await main.close();
  }

  const at = (v: Variant, c: number) => runs.find((r) => r.variant === v && r.concurrency === c)!;
  const p50 = (r: Run) => summarize(r.load.latenciesMs, 2).p50;
  const tput = (r: Run) => (r.load.latenciesMs.length / r.load.wallMs) * 1000;
  const ratioRows = levels.map((c) => {
    const f = at('facade POST /aws/ops', c);
    const b = at('bare client.workflow.start', c);
    return [c, round(p50(f) - p50(b), 2), round(p50(f) / p50(b), 2), round(tput(f) / tput(b), 2)];
  });

  const top = at('facade POST /aws/ops', 32);
  const bare32 = at('bare client.workflow.start', 32);
  const machineCap = top.usage.machine.cores * 100;
  const flat = tput(at('bare client.workflow.start', 8)) > 0 && tput(bare32) / tput(at('bare client.workflow.start', 8)) < 1.2;
  const bottleneck = [
    `Throughput of a bare start: ${round(tput(at('bare client.workflow.start', 1)))}/s at 1 in flight, ${round(tput(at('bare client.workflow.start', 8)))}/s at 8, ${round(tput(bare32))}/s at 32${flat ? ": flat from 8 to 32 in flight, so past 8 in flight more concurrency only adds queueing (latency grows with it, Little's law)" : ''}. The facade reaches ${round(tput(top))}/s at 32 (${round((tput(top) / tput(bare32)) * 100)}% of bare).`,
    `At 32 in flight through the facade: ${cpuVerdict(top.usage)}; the bench process (facade + HTTP load generator) had its event loop busy ${round(top.benchLoopBusy * 100)}% of the time. ${top.usage.machine.busyPercentOfCore >= machineCap * 0.9 ? 'The machine was saturated.' : `The machine was not saturated (${top.usage.machine.busyPercentOfCore}% of ${machineCap}%), and neither was any single process: the queue is elsewhere.`}`,
    `${persistenceNote(top.persistence)}. The summed latency of SQLite calls exceeds the wall time because calls wait for each other: SQLite has one writer.`,
    `What the facade adds per start: ${round(p50(at('facade POST /aws/ops', 1)) - p50(at('bare client.workflow.start', 1)), 2)} ms at 1 in flight (HTTP, JSON, zod validation, authorization, memo, summary and 8 search attributes); Temporal CPU per start facade ${perOp(top, 'temporal')} ms vs bare ${perOp(bare32, 'temporal')} ms, bench-process CPU per start facade ${perOp(top, 'bench')} ms vs bare ${perOp(bare32, 'bench')} ms.`,
  ];

  return envelope.finish({
    name: 'submission',
    title: 'Submission: facade POST /aws/ops vs starting the workflow directly',
    setup: {
      worker: 'none (tasks stay RUNNING; only the submission path is measured)',
      countPerRun: count,
      warmupPerVariant: warmup,
      concurrencyLevels: levels,
      operation: OPERATIONS,
      http: 'node:http keep-alive agent, one socket per request in flight',
    },
    tables: [
      {
        title: `Submission latency (ms) and throughput, Temporal on SQLite file`,
        headers: RUN_HEADERS,
        rows: runs
          .slice()
          .sort((a, b) => a.concurrency - b.concurrency || VARIANTS.indexOf(a.variant) - VARIANTS.indexOf(b.variant))
          .map(runRow),
        notes: ['bench CPU = this process: the facade and the HTTP load generator (or only the Temporal client for the bare start)'],
      },
      {
        title: 'Facade overhead over a bare start (medians)',
        headers: ['in flight', 'facade - bare p50 ms', 'facade / bare p50', 'facade / bare ops/s'],
        rows: ratioRows,
      },
      resourcesTable(`Resources over all measured submission runs (SQLite file)`, total, [persistenceNote(totalPersistence)]),
    ],
    bottleneck,
    interferencePercentOfCore: total.machine.othersPercentOfCore,
    data: {
      runs: runs.map(runData),
      total,
      totalPersistence,
    },
  });
}

function runData(r: Run) {
  return {
    variant: r.variant,
    concurrency: r.concurrency,
    wallMs: r.load.wallMs,
    errors: r.load.errors,
    firstError: r.load.firstError,
    latency: summarize(r.load.latenciesMs, 2),
    usage: r.usage,
    persistence: r.persistence,
    benchLoopBusy: r.benchLoopBusy,
  };
}

export const submission: Bench = {
  about: 'facade POST /aws/ops vs starting the workflow directly, at 1, 8 and 32 in flight',
  standard: true,
  floorText: 'no failed POST; facade POST p50 at 1 in flight <= 50 ms (measured 10.8 ms)',
  run: runSubmission,
  floor: ({ runs }: { runs: ReturnType<typeof runData>[] }) => [
    atMost('failed submissions', sum(runs.map((r) => r.errors)), 0),
    atMost(
      'facade POST p50 at 1 in flight, ms',
      runs.find((r) => r.variant === VARIANTS[0] && r.concurrency === 1)?.latency.p50 ?? Infinity,
      50,
    ),
  ],
};
