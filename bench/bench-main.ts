/**
 * `npm run bench`: Bosun's benchmarks in one process, one after another, each on its own fresh
 * Temporal dev server and moto, so ratios between them hold on a noisy machine. Prints a table
 * per benchmark and writes bench/results/bench-<name>.json plus bench/results/bench-summary.md.
 *
 *   npx tsx bench/bench-main.ts                   # everything, about 30-40 minutes on 2 cores
 *   npx tsx bench/bench-main.ts --quick           # smoke version, a few minutes (results under .state/)
 *   npx tsx bench/bench-main.ts --only e2e,scale  # pick benchmarks
 *   npx tsx bench/bench-main.ts --only scaleout --scaleout-tasks 500 --scaleout-workers 1,2,3 --scaleout-facades 2
 *   options: --temporal-db file|memory (default file), --scale-levels 100,1000 (the default),
 *            --scaleout-tasks n (default 500), --scaleout-workers 1,2,3 (worker processes, one run
 *            each), --scaleout-facades n (default 2),
 *            --temporal-config history.eventsCacheMaxSizeBytes=67108864 (Temporal dynamic config, for experiments),
 *            --scale-tuning maxConcurrentActivityTaskExecutions=16 [--scale-tuned-level 500]
 *              (one more scale run with these worker options, to compare with the default),
 *            --scale-one-app (scale: each level also into ONE application, a cluster of it per deploy,
 *              reported next to the run into one application per deploy),
 *            --out <dir>, --label <name> (result files bench-<benchmark>-<name>.json, for experiments),
 *            --no-rerun (do not repeat a benchmark that overlapped with heavy other load),
 *            --e2e-variants production,regular-describes,in-process (e2e: ways of running Bosun,
 *              each on its own stack, interleaved in one run; see bench-e2e E2E_VARIANTS)
 *
 * The summary covers every benchmark: one not run this time keeps its section from the result
 * file already in the output folder (marked with the date it ran).
 *
 * Each benchmark waits (up to 2 minutes) for other work on the machine to calm down before it
 * starts. One that still ran while other processes used more than half a core on average is
 * run once more and the quieter attempt is kept; both attempts' interference is recorded.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../infra/tools';
import { E2E_VARIANTS, runEndToEnd } from './bench-e2e';
import { runScale } from './bench-scale';
import { runScaleOut } from './bench-scaleout';
import { isStatusLayout, runStatus, STATUS_LAYOUTS, type StatusLayout } from './bench-status';
import { runSubmission } from './bench-submission';
import type { BenchContext } from './lib/context';
import { loadAverage, machineCpu, ownCpuWithChildren, round } from '../test/support/child-process';
import type { BenchmarkResult } from './lib/report';
import { printResult, writeResult, writeSummary } from './lib/report';
import type { TemporalDb } from './lib/stack';
import { closeAllStacks } from './lib/stack';
import type { WorkerTuning } from './lib/worker-protocol';

interface Options {
  readonly quick: boolean;
  readonly only: readonly string[];
  readonly temporalDb: TemporalDb;
  readonly scaleLevels: readonly number[] | undefined;
  readonly scaleTuning: WorkerTuning | undefined;
  readonly scaleTunedLevel: number | undefined;
  /** scale: each level also into one application, next to the many-application run. */
  readonly scaleOneApp: boolean;
  readonly scaleOutTasks: number | undefined;
  readonly scaleOutWorkers: readonly number[] | undefined;
  readonly scaleOutFacades: number | undefined;
  readonly out: string;
  readonly rerun: boolean;
  readonly temporalConfig: readonly string[];
  /** Names an experiment's result files apart from the standard run's. */
  readonly label: string | undefined;
  /** e2e: ways of running Bosun to compare in one run (bench-e2e E2E_VARIANTS). */
  readonly e2eVariants: readonly string[];
  /** status: where the facade runs (bench-status STATUS_LAYOUTS). */
  readonly statusLayout: StatusLayout;
  /** status: the running tasks' wait poll interval (processes layout only). */
  readonly statusPollInterval: string | undefined;
}

type Runner = (ctx: BenchContext, opts: Options) => Promise<BenchmarkResult>;

const BENCHMARKS: Readonly<Record<string, Runner>> = {
  submission: (ctx) => runSubmission(ctx),
  status: (ctx, o) => runStatus(ctx, { layout: o.statusLayout, pollInterval: o.statusPollInterval }),
  e2e: (ctx, o) => runEndToEnd(ctx, { variants: o.e2eVariants }),
  scale: (ctx, o) => runScale(ctx, { levels: o.scaleLevels, tuning: o.scaleTuning, tunedLevel: o.scaleTunedLevel, oneApp: o.scaleOneApp }),
  scaleout: (ctx, o) => runScaleOut(ctx, { tasks: o.scaleOutTasks, workers: o.scaleOutWorkers, facades: o.scaleOutFacades }),
};

/** Other processes' average CPU, in % of one core, above which a benchmark is run again. */
const HEAVY_OTHER_LOAD = 50;

function parseArgs(argv: readonly string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) return undefined;
    const a = argv[i]!;
    return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
  };
  const known = [
    '--quick',
    '--only',
    '--temporal-db',
    '--temporal-config',
    '--scale-levels',
    '--scale-tuning',
    '--scale-tuned-level',
    '--scale-one-app',
    '--scaleout-tasks',
    '--scaleout-workers',
    '--scaleout-facades',
    '--out',
    '--label',
    '--no-rerun',
    '--e2e-variants',
    '--status-layout',
    '--status-poll-interval',
    '--help',
  ];
  for (const a of argv) {
    if (a.startsWith('--') && !known.includes(a.split('=')[0]!)) throw new Error(`unknown option ${a}; known: ${known.join(', ')}`);
  }
  if (argv.includes('--help')) {
    process.stdout.write(
      [
        `usage: npm run bench -- [options]   (or npx tsx bench/bench-main.ts [options])`,
        ``,
        `  --only a,b,...              benchmarks to run, in this order (default all): ${Object.keys(BENCHMARKS).join(',')}`,
        `  --quick                     smoke version: small counts, 2-minute bounds, results under .state/bench/results-quick`,
        `  --temporal-db file|memory   Temporal's SQLite in a temp file (default, as npm start) or in memory`,
        `  --temporal-config k=v,...   Temporal dynamic config values (JSON), for experiments`,
        `  --scale-levels n,n,...      scale: concurrent createServerGroup tasks per level (default 100,1000; quick 20,50);`,
        `                              each level is bounded (5 min up to 500 tasks, 10 min above) and gets a probe`,
        `                              resizeServerGroup when half its tasks have closed`,
        `  --scale-tuning opt=n,...    scale: one more level with these worker options (${TUNABLE.join(', ')})`,
        `  --scale-tuned-level n       scale: the level of that tuned run (default the biggest)`,
        `  --scale-one-app             scale: each level also into ONE application (a cluster of it per deploy), reported`,
        `                              next to the run into one application per deploy (no SQLite control level then)`,
        `  --scaleout-tasks n          scaleout: concurrent createServerGroup tasks per run (default 500; quick 50)`,
        `  --scaleout-workers n,n,...  scaleout: worker process counts, one run each (default 1,2,3; quick 1,2)`,
        `  --scaleout-facades n        scaleout: facade replicas the load alternates between (default 2)`,
        `  --e2e-variants a,b,...      e2e: ways of running Bosun to compare in one run (${Object.keys(E2E_VARIANTS).join(', ')})`,
        `  --status-layout l           status: ${STATUS_LAYOUTS.join(' (default) or ')}: the facade and worker as their own`,
        `                              processes (as deployed) or the facade in this process beside the pollers`,
        `  --status-poll-interval d    status (processes layout): how often the running tasks' waits look at AWS (default 10s)`,
        `  --out dir                   where results go (default bench/results)`,
        `  --label name                names result files bench-<benchmark>-<name>.json, for experiments`,
        `  --no-rerun                  do not repeat a benchmark that overlapped with heavy other load`,
        `  --help                      this text`,
        ``,
      ].join('\n'),
    );
    process.exit(0);
  }
  const quick = argv.includes('--quick');
  const only = (value('--only') ?? Object.keys(BENCHMARKS).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of only) if (!BENCHMARKS[o]) throw new Error(`unknown benchmark '${o}'; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const db = value('--temporal-db') ?? 'file';
  if (db !== 'file' && db !== 'memory') throw new Error(`--temporal-db must be file or memory, not ${db}`);
  const levels = value('--scale-levels')?.split(',').map(Number);
  if (levels?.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) throw new Error('--scale-levels takes whole numbers from 1 to 5000');
  const label = value('--label');
  if (label !== undefined && !/^[a-z0-9-]+$/.test(label))
    throw new Error(`--label takes lower-case letters, digits and dashes, not '${label}'`);
  const tuning = parseTuning(value('--scale-tuning'));
  const e2eVariants = (value('--e2e-variants') ?? '').split(',').filter(Boolean);
  for (const v of e2eVariants)
    if (!E2E_VARIANTS[v]) throw new Error(`--e2e-variants: unknown variant '${v}'; known: ${Object.keys(E2E_VARIANTS).join(', ')}`);
  const statusLayout = value('--status-layout') ?? STATUS_LAYOUTS[0];
  if (!isStatusLayout(statusLayout)) throw new Error(`--status-layout must be ${STATUS_LAYOUTS.join(' or ')}, not '${statusLayout}'`);
  const statusPollInterval = value('--status-poll-interval');
  if (statusPollInterval !== undefined && !/^\d+(ms|s|m)$/.test(statusPollInterval))
    throw new Error(`--status-poll-interval takes a duration such as 30s, not '${statusPollInterval}'`);
  const temporalConfig = (value('--temporal-config') ?? '').split(',').filter(Boolean);
  for (const c of temporalConfig)
    if (!/^[\w.]+=\S+$/.test(c)) throw new Error(`--temporal-config takes key=value pairs (value in JSON), not '${c}'`);
  const tunedLevel = value('--scale-tuned-level') === undefined ? undefined : Number(value('--scale-tuned-level'));
  if (tunedLevel !== undefined && !(Number.isInteger(tunedLevel) && tunedLevel > 0))
    throw new Error('--scale-tuned-level takes a whole number');
  const wholeNumber = (flag: string, max: number): number | undefined => {
    const v = value(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} takes a whole number from 1 to ${max}, not '${v}'`);
    return n;
  };
  const scaleOutWorkers = value('--scaleout-workers')?.split(',').map(Number);
  if (scaleOutWorkers?.some((n) => !Number.isInteger(n) || n < 1 || n > 8))
    throw new Error('--scaleout-workers takes whole numbers from 1 to 8, e.g. 1,2,3');
  return {
    quick,
    only,
    temporalDb: db,
    scaleLevels: levels,
    scaleTuning: tuning,
    scaleTunedLevel: tunedLevel,
    scaleOneApp: argv.includes('--scale-one-app'),
    scaleOutTasks: wholeNumber('--scaleout-tasks', 5000),
    scaleOutWorkers,
    scaleOutFacades: wholeNumber('--scaleout-facades', 4),
    // Quick runs must not overwrite the committed full results.
    out: path.resolve(
      value('--out') ?? (quick ? path.join(PROJECT_ROOT, '.state', 'bench', 'results-quick') : path.join(PROJECT_ROOT, 'bench', 'results')),
    ),
    rerun: !argv.includes('--no-rerun'),
    temporalConfig,
    label,
    e2eVariants,
    statusLayout,
    statusPollInterval,
  };
}

const TUNABLE = ['maxConcurrentActivityTaskExecutions', 'maxConcurrentWorkflowTaskExecutions', 'maxCachedWorkflows'] as const;

/** `--scale-tuning maxConcurrentActivityTaskExecutions=16,maxCachedWorkflows=200` */
function parseTuning(text: string | undefined): WorkerTuning | undefined {
  if (!text) return undefined;
  const tuning: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const [key = '', raw = ''] = pair.split('=');
    if (!(TUNABLE as readonly string[]).includes(key))
      throw new Error(`--scale-tuning: unknown option '${key}'; tunable: ${TUNABLE.join(', ')}`);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--scale-tuning: ${key} takes a whole number, not '${raw}'`);
    tuning[key] = n;
  }
  return tuning;
}

interface Attempt {
  readonly result: BenchmarkResult;
  /** Average CPU of processes this run did not start, over the whole benchmark, in % of one core. */
  readonly othersPercentOfCore: number;
}

/** How much another run disturbed an attempt: the worse of its whole-run and measured-window averages. */
const disturbance = (a: Attempt): number => Math.max(a.othersPercentOfCore, a.result.interferencePercentOfCore);

async function attempt(name: string, ctx: BenchContext, opts: Options): Promise<Attempt> {
  const machineStart = machineCpu();
  const oursStart = ownCpuWithChildren();
  const t0 = performance.now();
  const result = await BENCHMARKS[name]!(ctx, opts);
  const wall = (performance.now() - t0) / 1000;
  // Temporal, moto and the worker have exited (and been reaped) by now, so their CPU is in ours.
  const others = machineCpu().busySeconds - machineStart.busySeconds - (ownCpuWithChildren() - oursStart);
  return { result, othersPercentOfCore: round((Math.max(0, others) / wall) * 100) };
}

/**
 * Between benchmarks nothing of ours runs, so the machine's busy time is other people's. Waits
 * (up to maxMs) until that is below the threshold, so a benchmark starts on a quiet machine.
 */
async function waitForQuiet(ctx: BenchContext, maxMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const machine = machineCpu();
    const ours = ownCpuWithChildren();
    await new Promise((r) => setTimeout(r, 5000));
    const others = ((machineCpu().busySeconds - machine.busySeconds - (ownCpuWithChildren() - ours)) / 5) * 100;
    if (others < HEAVY_OTHER_LOAD) return round(others);
    if (performance.now() - started > maxMs) {
      ctx.log(`the machine is still busy with other work (${round(others)}% of a core); going ahead`);
      return round(others);
    }
    ctx.log(`waiting for other work on the machine to calm down (${round(others)}% of a core over the last 5 s)`);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`\nbench: ${signal}, stopping the Temporal servers, emulators and workers this run started\n`);
      void closeAllStacks().finally(() => process.exit(130));
    });
  }
  const runDir = path.join(PROJECT_ROOT, '.state', 'bench', `run-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const ctx: BenchContext = {
    quick: opts.quick,
    runDir,
    temporalDb: opts.temporalDb,
    temporalConfig: opts.temporalConfig,
    log: (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`),
  };
  ctx.log(
    `benchmarks: ${opts.only.join(', ')}${opts.quick ? ' (quick)' : ''}; Temporal on SQLite ${opts.temporalDb === 'file' ? 'in a temp file' : 'in memory'}; load average ${loadAverage().join(' ')}; results to ${opts.out}`,
  );

  const results: BenchmarkResult[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  for (const name of opts.only) {
    if (interrupted) break;
    try {
      const quietBefore = await waitForQuiet(ctx, 120_000);
      let a = await attempt(name, ctx, opts);
      let attempts = 1;
      if (opts.rerun && disturbance(a) > HEAVY_OTHER_LOAD) {
        ctx.log(
          `${name}: other processes used ${disturbance(a)}% of a core while it ran; running it once more when the machine is quieter`,
        );
        await waitForQuiet(ctx, 300_000);
        const again = await attempt(name, ctx, opts);
        attempts = 2;
        const keep = disturbance(again) <= disturbance(a) ? again : a;
        notes.push(
          `${name}: the first attempt overlapped with other load (${disturbance(a)}% of a core), the re-run had ${disturbance(again)}%; kept the ${keep === again ? 're-run' : 'first attempt'}.`,
        );
        a = keep;
      }
      const result: BenchmarkResult = {
        ...a.result,
        setup: { ...a.result.setup, otherProcessesPercentOfCore: a.othersPercentOfCore, otherProcessesBeforeStart: quietBefore, attempts },
      };
      if (interrupted) break;
      printResult(result);
      ctx.log(
        `${name}: wrote ${writeResult(opts.out, result, opts.label)}; other processes used ${a.othersPercentOfCore}% of a core over the run, ${a.result.interferencePercentOfCore}% in the measured windows`,
      );
      results.push(result);
    } catch (err) {
      const message = `${name}: ${(err as Error).stack ?? String(err)}`;
      failures.push(message);
      process.stderr.write(`\nBENCHMARK FAILED ${message}\n`);
    }
  }

  // An interrupted run writes nothing: its half-measured numbers must not replace a full run's.
  if (interrupted) return;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  if (!opts.label) {
    // Experiments run with --label keep their own summaries beside the standard run's.
    const experiments = existsSync(opts.out) ? readdirSync(opts.out).filter((f) => /^bench-summary-.+\.md$/.test(f)) : [];
    if (experiments.length) notes.push(`Experiments kept beside this run (each file names its command): ${experiments.join(', ')}.`);
  }
  // A summary of only this run's benchmarks would drop the others' sections: keep theirs from
  // the result files already there (each section names its own start time and raw file).
  const earlier = Object.keys(BENCHMARKS)
    .filter((name) => !opts.only.includes(name))
    .flatMap((name) => {
      const file = path.join(opts.out, `bench-${name}${opts.label ? `-${opts.label}` : ''}.json`);
      if (!existsSync(file)) return [];
      try {
        return [JSON.parse(readFileSync(file, 'utf8')) as BenchmarkResult];
      } catch {
        return [];
      }
    });
  if (earlier.length)
    notes.push(`Kept from earlier runs (not run this time): ${earlier.map((r) => `${r.name} (${r.startedAt.slice(0, 16)}Z)`).join(', ')}.`);
  const order = Object.keys(BENCHMARKS);
  const all = [...results, ...earlier].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const summary = writeSummary(
    opts.out,
    {
      command: `npx tsx bench/bench-main.ts ${process.argv.slice(2).join(' ')}`.trim(),
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Temporal dev server on SQLite ${opts.temporalDb === 'file' ? 'in a temp file' : 'in memory'}.`,
      notes,
    },
    all,
    failures,
    opts.label,
  );
  ctx.log(`summary: ${summary}`);
  if (failures.length === 0) rmSync(runDir, { recursive: true, force: true });
  else ctx.log(`logs of the failed run kept in ${runDir}`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
