/**
 * `npm run bench`: the one entry point of Bosun's benchmarks. Each runs in this process, one after
 * another, on its own fresh Temporal dev server and moto, so ratios between them hold on a noisy
 * machine; each prints its tables, writes bench/results/bench-<name>.json and its section of the
 * summary, and checks its floor (the figures of docs/performance.md with a margin): a result
 * below its floor fails the run (exit 1) with the numbers.
 *
 *   npm run bench -- --list                  # the benchmarks, their floors, which run by default
 *   npm run bench                            # the standard run, about 30-40 minutes on 2 cores
 *   npm run bench -- --quick                 # smoke version, a few minutes (results under .state/)
 *   npm run bench -- --only e2e,scale        # pick benchmarks
 *   npm run bench -- --only chaos -- --ops 2000   # flags after `--` go to the chaos run (= npm run chaos)
 *   npm run bench -- --help                  # every option
 *
 * The standard summary (bench-summary.md) covers the standard benchmarks: one not run this time
 * keeps its section from the result file already in the output folder (marked with the date it
 * ran). Each benchmark waits (up to 2 minutes) for other work on the machine to calm down before it
 * starts, and records how much CPU other processes used while it ran.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../infra/tools';
import { loadAverage, machineCpu, ownCpuWithChildren, round } from '../test/support/child-process';
import { closeAllStacks } from '../test/support/stack';
import { e2e } from './bench-e2e';
import { memory } from './bench-memory';
import { scale } from './bench-scale';
import { status } from './bench-status';
import { submission } from './bench-submission';
import { tracingBench } from './bench-tracing';
import { runChaosCli } from './chaos/main';
import { history } from './history-size';
import type { Bench, BenchContext, BenchmarkResult } from './lib/report';
import { atMost, passed, printResult, resultOf, writeResult, writeSummary } from './lib/report';

const chaos: Bench = {
  about:
    'Orca-style operations under AWS faults and process kills, Bosun vs a non-durable baseline (flags after --; writes chaos-*.json/md)',
  standard: false,
  floorText: 'Bosun: 0 failed, lost, duplicated or leaked',
  run: async (ctx, _v, passThrough) => {
    const envelope = resultOf();
    // Quick: the smoke test's size, Bosun only, its files under .state/.
    const quick = ['--ops', '20', '--worker-kills', '1', '--server-restarts', '0', '--facade-restarts', '0', '--no-baseline'];
    const out = ctx.quick ? ['--out', path.relative(PROJECT_ROOT, path.join(ctx.runDir, 'chaos-quick'))] : [];
    const problems = await runChaosCli([...(ctx.quick ? [...quick, ...out] : []), ...passThrough]);
    return envelope.finish({
      name: 'chaos',
      title: 'Chaos: Bosun under AWS faults and process kills (tables in chaos-*.md)',
      setup: { flags: passThrough },
      tables: [],
      bottleneck: problems.length ? problems : ['none: Bosun ran every operation once, lost none and leaked nothing'],
      interferencePercentOfCore: 0,
      data: { problems },
    });
  },
  floor: (d: { problems: string[] }) => [atMost('Bosun problems (failed, lost, duplicated, leaked)', d.problems.length, 0)],
};

/** The benchmarks, in the order the standard run takes them; each declares its options and its floor. */
const BENCHMARKS: Readonly<Record<string, Bench>> = { submission, status, e2e, scale, memory, history, tracing: tracingBench, chaos };

/** The runner's options; each benchmark's come from it (named after it). */
const RUNNER = {
  list: { type: 'boolean', help: 'list the benchmarks, their floors and which run by default' },
  only: { type: 'string', help: 'benchmarks to run, in this order (default: the standard ones)' },
  quick: { type: 'boolean', help: 'smoke version: small counts, short bounds, results under .state/bench/results-quick' },
  out: { type: 'string', help: 'where results go (default bench/results)' },
  label: { type: 'string', help: 'names result files bench-<benchmark>-<name>.json and the summary, for experiments' },
  'no-floors': { type: 'boolean', help: 'report the floors but do not fail on them (experiments on purpose below them)' },
  help: { type: 'boolean', help: 'this text' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; help: string }>;
type RunnerValues = { readonly [K in keyof typeof RUNNER]?: (typeof RUNNER)[K]['type'] extends 'string' ? string : boolean };

const OPTIONS: Readonly<Record<string, { type: 'string' | 'boolean'; help: string }>> = {
  ...RUNNER,
  ...Object.fromEntries(Object.values(BENCHMARKS).flatMap((b) => Object.entries(b.options ?? {}))),
};

function help(): string {
  const lines = Object.entries(OPTIONS).map(([k, o]) => `  --${k.padEnd(22)} ${o.help}`);
  return `usage: npm run bench -- [options] [-- chaos flags]\n\n${lines.join('\n')}\n\nbenchmarks:\n${list()}\n`;
}

function list(): string {
  return Object.entries(BENCHMARKS)
    .map(([name, b]) => `  ${name.padEnd(11)} ${b.standard ? '(standard) ' : ''}${b.about}\n  ${''.padEnd(11)} floor: ${b.floorText}`)
    .join('\n');
}

/** Other processes' average CPU, in % of one core, below which the machine counts as quiet. */
const HEAVY_OTHER_LOAD = 50;

interface Attempt {
  readonly result: BenchmarkResult;
  /** Average CPU of processes this run did not start, over the whole benchmark, in % of one core. */
  readonly othersPercentOfCore: number;
}

async function attempt(run: () => Promise<BenchmarkResult>): Promise<Attempt> {
  const machineStart = machineCpu();
  const oursStart = ownCpuWithChildren();
  const t0 = performance.now();
  const result = await run();
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
  const { values, positionals } = parseArgs({ args: process.argv.slice(2), options: OPTIONS, allowPositionals: true, strict: true });
  const v = values as RunnerValues;
  if (v.help) return void process.stdout.write(help());
  if (v.list) return void process.stdout.write(`${list()}\n`);
  const only = (
    v.only ??
    Object.keys(BENCHMARKS)
      .filter((n) => BENCHMARKS[n]!.standard)
      .join(',')
  )
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of only) if (!BENCHMARKS[o]) throw new Error(`unknown benchmark '${o}'; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  if (positionals.length && !only.includes('chaos'))
    throw new Error(`unexpected arguments ${positionals.join(' ')} (flags after -- go to chaos)`);
  if (v.label !== undefined && !/^[a-z0-9-]+$/.test(v.label))
    throw new Error(`--label takes lower-case letters, digits and dashes, not '${v.label}'`);
  const quick = v.quick ?? false;
  // Quick runs must not overwrite the committed full results.
  const out = path.resolve(v.out ?? path.join(PROJECT_ROOT, ...(quick ? ['.state', 'bench', 'results-quick'] : ['bench', 'results'])));

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
    quick,
    runDir,
    log: (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`),
  };
  ctx.log(`benchmarks: ${only.join(', ')}${quick ? ' (quick)' : ''}; load average ${loadAverage().join(' ')}; results to ${out}`);

  const results: BenchmarkResult[] = [];
  const failures: string[] = [];
  const belowFloor: string[] = [];
  const notes: string[] = [];
  for (const name of only) {
    if (interrupted) break;
    const bench = BENCHMARKS[name]!;
    const run = () => bench.run(ctx, values, positionals);
    try {
      // Chaos is not a timing, nor is a quick run (a smoke test of the code paths): neither waits
      // for a quiet machine.
      const timed = name !== 'chaos' && !quick;
      const quietBefore = timed ? await waitForQuiet(ctx, 120_000) : 0;
      const a = await attempt(run);
      const result: BenchmarkResult = {
        ...a.result,
        setup: { ...a.result.setup, otherProcessesPercentOfCore: a.othersPercentOfCore, otherProcessesBeforeStart: quietBefore },
      };
      if (interrupted) break;
      printResult(result);
      if (name !== 'chaos') {
        const file = writeResult(out, result, v.label);
        ctx.log(
          `${name}: wrote ${file}; other processes used ${a.othersPercentOfCore}% of a core over the run, ${a.result.interferencePercentOfCore}% in the measured windows`,
        );
      }
      if (!bench.standard && name !== 'chaos') {
        const file = writeSummary(
          out,
          runInfo(startedAt, []),
          [result],
          [],
          v.label,
          `bench-${name}${v.label ? `-${v.label}` : ''}-summary`,
        );
        ctx.log(`${name}: summary ${file}`);
      }
      if (bench.standard) results.push(result);
      const checks = bench.floor(result.data);
      for (const c of checks) {
        const line = `${name}: ${c.what}: ${c.value} (floor: ${c.kind === 'max' ? 'at most' : 'at least'} ${c.limit})`;
        process.stdout.write(`${passed(c) ? 'ok   ' : 'BELOW'} ${line}\n`);
        if (!passed(c)) belowFloor.push(line);
      }
    } catch (err) {
      const message = `${name}: ${(err as Error).stack ?? String(err)}`;
      failures.push(message);
      process.stderr.write(`\nBENCHMARK FAILED ${message}\n`);
    }
  }

  // An interrupted run writes nothing: its half-measured numbers must not replace a full run's.
  if (interrupted) return;
  if (results.length > 0) {
    if (!v.label) {
      // Experiments run with --label keep their own summaries beside the standard run's.
      const experiments = existsSync(out) ? readdirSync(out).filter((f) => /^bench-summary-.+\.md$/.test(f)) : [];
      if (experiments.length) notes.push(`Experiments kept beside this run (each file names its command): ${experiments.join(', ')}.`);
    }
    // A summary of only this run's benchmarks would drop the others' sections: keep theirs from
    // the result files already there (each section names its own start time and raw file).
    const standard = Object.keys(BENCHMARKS).filter((n) => BENCHMARKS[n]!.standard);
    const earlier = standard
      .filter((name) => !only.includes(name))
      .flatMap((name) => {
        try {
          return [JSON.parse(readFileSync(path.join(out, `bench-${name}${v.label ? `-${v.label}` : ''}.json`), 'utf8')) as BenchmarkResult];
        } catch {
          return [];
        }
      });
    if (earlier.length)
      notes.push(
        `Kept from earlier runs (not run this time): ${earlier.map((r) => `${r.name} (${r.startedAt.slice(0, 16)}Z)`).join(', ')}.`,
      );
    const all = [...results, ...earlier].sort((a, b) => standard.indexOf(a.name) - standard.indexOf(b.name));
    ctx.log(`summary: ${writeSummary(out, runInfo(startedAt, notes), all, failures, v.label)}`);
  }
  if (failures.length === 0) rmSync(runDir, { recursive: true, force: true });
  else ctx.log(`logs of the failed run kept in ${runDir}`);
  if (belowFloor.length) {
    process.stdout.write(`\n${belowFloor.length} result(s) below their floor:\n${belowFloor.map((l) => `  ${l}`).join('\n')}\n`);
    if (v['no-floors']) ctx.log('--no-floors: reported, not failed');
  }
  process.exitCode = failures.length > 0 || (belowFloor.length > 0 && !v['no-floors']) ? 1 : 0;
}

function runInfo(startedAt: string, notes: readonly string[]) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Temporal dev server on SQLite in a temp file.`,
    notes,
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
