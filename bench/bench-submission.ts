/**
 * Submission: what the facade costs on top of starting the workflow yourself. The same
 * resizeServerGroup task, the same count, at the same concurrency levels, three ways:
 *  - facade: `POST /aws/ops` over real HTTP (keep-alive), i.e. parse, validate, authorize, start;
 *  - startTask(): the facade's own start call in this process (memo, summary, 8 search attributes), no HTTP;
 *  - bare start: `client.workflow.start('resizeServerGroup', { args })`, the same input and nothing else.
 * No worker: every task stays RUNNING on its task queue, so only the submission path (this
 * process, the Temporal frontend, history and SQLite) is measured, with no worker competing for
 * the two cores. A worker would add its own polling and workflow-task CPU to Temporal's, which
 * belongs to the end-to-end and scale benchmarks.
 */
import { randomUUID } from 'node:crypto';
import { startTask } from './../client/facade/tasks';
import { parseSubmission, taskTargets } from '../domain/submission';
import type { TaskContext } from '../domain/task-input';
import { defaultTaskSettings } from '../domain/task-input';
import type { BenchContext } from './lib/context';
import { FacadeHttp } from './lib/http';
import type { LoadResult } from './lib/load';
import { runClosedLoop } from './lib/load';
import { loadAverage, round } from './lib/proc';
import type { BenchmarkResult } from './lib/report';
import { cpuVerdict, persistenceNote, requireMeasured, resourcesTable } from './lib/report';
import { ACCOUNT, REGION, startBenchStack } from './lib/stack';
import { summarize } from './lib/stats';
import type { PersistenceUse } from './lib/temporal-metrics';
import { TemporalMetricsWindow } from './lib/temporal-metrics';
import type { WindowUsage } from './lib/usage';
import { UsageWindow } from './lib/usage';

const VARIANTS = ['facade POST /aws/ops', 'startTask() in-process', 'bare client.workflow.start'] as const;
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

export async function runSubmission(ctx: BenchContext): Promise<BenchmarkResult> {
  const started = new Date();
  const loadStart = loadAverage();
  const levels = [1, 8, 32];
  const count = ctx.quick ? 60 : 400;
  const warmup = ctx.quick ? 15 : 60;

  const stack = await startBenchStack({ dir: `${ctx.runDir}/submission`, temporalDb: ctx.temporalDb, moto: false, worker: false });
  try {
    const operations = [
      { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: 'benchapp-main-v001', capacity: { min: 1, max: 2, desired: 1 } } },
    ];
    const parsed = parseSubmission(operations);
    if (!parsed.ok) throw new Error(`the benchmark's own operation is invalid: ${parsed.errors.join('; ')}`);
    const targets = taskTargets(parsed.operations);
    // What the facade builds from the same POST (no execution id or clientRequestId headers).
    const context: TaskContext = { cloudProvider: 'aws', user: 'bench@example.com', requestId: undefined, executionId: undefined, application: targets.application };
    const single = parsed.operations[0]!;

    const http = new FacadeHttp(stack.facadeUrl, Math.max(...levels));
    const call: Record<Variant, () => Promise<unknown>> = {
      'facade POST /aws/ops': () => http.submit(operations),
      'startTask() in-process': () => startTask(stack.client, { operations: parsed.operations, targets, context, settings: defaultTaskSettings, taskQueue: stack.taskQueue }),
      'bare client.workflow.start': () =>
        stack.client.workflow.start(single.name, {
          workflowId: randomUUID(),
          taskQueue: stack.taskQueue,
          args: [{ description: single.description, context, settings: defaultTaskSettings }],
        }),
    };

    ctx.log(`submission: warming up (${warmup} starts per variant)`);
    for (const v of VARIANTS) {
      const w = await runClosedLoop(warmup, 8, () => call[v]());
      if (w.errors) throw new Error(`warm-up of ${v} failed: ${w.firstError}`);
    }

    const runs: Run[] = [];
    const overall = UsageWindow.start(stack.watched());
    const overallPersistence = await TemporalMetricsWindow.start(stack.temporalMetricsUrl);
    for (const [li, concurrency] of levels.entries()) {
      // Rotate the order per level so no variant always runs first (or last) on a drifting machine.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + li) % VARIANTS.length]!);
      for (const variant of order) {
        ctx.log(`submission: ${variant}, ${count} starts, ${concurrency} in flight`);
        const metrics = await TemporalMetricsWindow.start(stack.temporalMetricsUrl);
        const usage = UsageWindow.start(stack.watched());
        const elu = performance.eventLoopUtilization();
        const load = await runClosedLoop(count, concurrency, () => call[variant]());
        const benchLoopBusy = performance.eventLoopUtilization(elu).utilization;
        runs.push({ variant, concurrency, load, usage: usage.stop(), persistence: await metrics.stop(), benchLoopBusy });
      }
    }
    const total = overall.stop();
    const totalPersistence = await overallPersistence.stop();
    http.close();

    for (const r of runs) requireMeasured(`${r.variant} at ${r.concurrency} in flight`, r.load.latenciesMs.length);
    const expected = runs.reduce((s, r) => s + r.load.latenciesMs.length, 0) + warmup * VARIANTS.length;
    const inTemporal = await stack.client.workflow.count(`TaskQueue = '${stack.taskQueue}'`);
    requireMeasured('workflows Temporal holds for the started tasks', inTemporal.count, expected);

    const perOp = (r: Run, name: string) => {
      const p = r.usage.processes.find((x) => x.name.startsWith(name));
      return p ? round((p.cpuSeconds * 1000) / r.load.latenciesMs.length, 2) : undefined;
    };
    const rows = runs
      .slice()
      .sort((a, b) => a.concurrency - b.concurrency || VARIANTS.indexOf(a.variant) - VARIANTS.indexOf(b.variant))
      .map((r) => {
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
        ];
      });

    const at = (v: Variant, c: number) => runs.find((r) => r.variant === v && r.concurrency === c)!;
    const ratioRows = levels.map((c) => {
      const f = at('facade POST /aws/ops', c);
      const t = at('startTask() in-process', c);
      const b = at('bare client.workflow.start', c);
      const p50 = (r: Run) => summarize(r.load.latenciesMs, 2).p50;
      const tput = (r: Run) => (r.load.latenciesMs.length / r.load.wallMs) * 1000;
      return [c, round(p50(f) - p50(b), 2), round(p50(f) / p50(b), 2), round(p50(t) - p50(b), 2), round(p50(f) - p50(t), 2), round(tput(f) / tput(b), 2)];
    });

    const top = at('facade POST /aws/ops', 32);
    const bare32 = at('bare client.workflow.start', 32);
    const machineCap = top.usage.machine.cores * 100;
    const bottleneck = [
      `At 32 in flight through the facade: ${cpuVerdict(top.usage)}. The bench process is the facade plus the HTTP load generator; its event loop was busy ${round(top.benchLoopBusy * 100)}% of the time.`,
      `At 32 in flight, bare start: ${cpuVerdict(bare32.usage)}.`,
      top.usage.machine.busyPercentOfCore >= machineCap * 0.9
        ? `The machine's ${top.usage.machine.cores} cores were saturated at 32 in flight, so throughput there is a CPU split between the Temporal server and this process, not a limit of either alone.`
        : `The machine was not saturated at 32 in flight (${top.usage.machine.busyPercentOfCore}% of ${machineCap}%): latency there is queueing inside the Temporal server (start requests wait on history/persistence), see the SQLite line.`,
      `${persistenceNote(top.persistence)}.`,
      `Temporal CPU per start: facade ${perOp(top, 'temporal')} ms vs bare ${perOp(bare32, 'temporal')} ms (search attributes and memo cost the server ~${round((perOp(top, 'temporal') ?? 0) - (perOp(bare32, 'temporal') ?? 0), 2)} ms CPU per start); bench-process CPU per start: facade ${perOp(top, 'bench')} ms vs bare ${perOp(bare32, 'bench')} ms.`,
    ];

    return {
      name: 'submission',
      title: 'Submission: facade POST /aws/ops vs starting the workflow directly',
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      durationSeconds: round((Date.now() - started.getTime()) / 1000),
      loadAverageStart: loadStart,
      loadAverageEnd: loadAverage(),
      setup: {
        temporalDb: ctx.temporalDb,
        worker: 'none (tasks stay RUNNING; only the submission path is measured)',
        countPerRun: count,
        warmupPerVariant: warmup,
        concurrencyLevels: levels,
        operation: operations,
        http: 'node:http keep-alive agent, one socket per request in flight',
      },
      tables: [
        {
          title: 'Submission latency (ms) and throughput',
          headers: ['variant', 'in flight', 'n', 'ops/s', 'p50', 'p90', 'p99', 'max', 'errors', 'bench CPU ms/op', 'Temporal CPU ms/op', 'bench loop busy %', 'SQLite calls/op'],
          rows,
          notes: ['bench CPU = this process: the facade and the HTTP load generator (or only the Temporal client for the in-process variants)'],
        },
        {
          title: 'Facade overhead over a bare start (medians)',
          headers: ['in flight', 'facade - bare p50 ms', 'facade / bare p50', 'startTask - bare p50 ms (memo, SAs)', 'facade - startTask p50 ms (HTTP, parse, auth)', 'facade / bare ops/s'],
          rows: ratioRows,
        },
        resourcesTable('Resources over all measured submission runs', total, [persistenceNote(totalPersistence)]),
      ],
      bottleneck,
      data: { runs: runs.map((r) => ({ variant: r.variant, concurrency: r.concurrency, wallMs: r.load.wallMs, errors: r.load.errors, firstError: r.load.firstError, latency: summarize(r.load.latenciesMs, 2), usage: r.usage, persistence: r.persistence, benchLoopBusy: r.benchLoopBusy })), total, totalPersistence },
    };
  } finally {
    await stack.close();
  }
}
