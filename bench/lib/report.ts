/**
 * What a benchmark is (its options, its run, its floor), what it gets from the runner, the shape
 * it returns, and how that is printed and stored: one JSON file per benchmark under
 * bench/results/ and one markdown summary of the whole run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadAverage, round } from '../../test/support/child-process';
import type { PersistenceUse } from './temporal-metrics';
import type { ProcessUsage, WindowUsage } from './usage';

/** Plain-text tables for the terminal and the same rows as markdown for the summary file. */
export type Cell = string | number | undefined;

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Lines printed under the table: what was measured and how to read it. */
  readonly notes?: readonly string[];
}

const text = (c: Cell): string => (c === undefined || (typeof c === 'number' && Number.isNaN(c)) ? '-' : String(c));

export function renderText(t: Table): string {
  const cells = [t.headers, ...t.rows].map((r) => r.map(text));
  const widths = t.headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `\n${t.title}`,
    line(cells[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
    ...(t.notes ?? []).map((n) => `  ${n}`),
  ].join('\n');
}

export function renderMarkdown(t: Table, level = '###'): string {
  const esc = (c: Cell) => text(c).replace(/\|/g, '\\|');
  return [
    `${level} ${t.title}`,
    '',
    `| ${t.headers.map(esc).join(' | ')} |`,
    `|${t.headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
    ...(t.notes ?? []).map((n) => `- ${n}`),
    '',
  ].join('\n');
}

/** What every benchmark gets from the runner. */
export interface BenchContext {
  /** The smoke version: same code paths, small counts and short windows. */
  readonly quick: boolean;
  /** Scratch folder of this run (logs, databases, the workflow bundle); under .state/, not committed. */
  readonly runDir: string;
  /** Progress for the person watching (stderr), not results. */
  log(message: string): void;
}

/** The values of the command line's options (each benchmark's carry its name). */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** One number a floor looks at: it fails when `value` is past `limit` (above it for `max`, below it for `min`). */
export interface Check {
  readonly what: string;
  readonly value: number;
  readonly limit: number;
  readonly kind: 'max' | 'min';
}
export const atMost = (what: string, value: number, limit: number): Check => ({ what, value, limit, kind: 'max' });
export const atLeast = (what: string, value: number, limit: number): Check => ({ what, value, limit, kind: 'min' });
export const passed = (c: Check): boolean => (c.kind === 'max' ? c.value <= c.limit : c.value >= c.limit);

/**
 * A benchmark as bench-main.ts runs it. Its floor is docs/performance.md's figures with a margin
 * wide enough for a shared 2-core machine, tight enough that a regression of several times fails;
 * quick runs use smaller counts and the floors hold for them too.
 */
export interface Bench {
  readonly about: string;
  /** In the standard run (`npm run bench` with no --only) and its summary. */
  readonly standard: boolean;
  /** The floor, in words, for --list. */
  readonly floorText: string;
  /** Its own command-line options, named `<benchmark>-...`. */
  readonly options?: Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly help: string }>>;
  run(ctx: BenchContext, v: OptionValues, passThrough: readonly string[]): Promise<BenchmarkResult>;
  /** The checks of `data` (the benchmark's own shape, as written to its JSON; each types what it reads) against the floor. */
  floor(data: unknown): readonly Check[];
}

/** A whole number from 1 to max (or a list of them, comma-separated), or undefined when not given. */
export function numbers(v: OptionValues, flag: string, max: number): number[] | undefined {
  const raw = v[flag];
  if (raw === undefined) return undefined;
  const list = String(raw).split(',').map(Number);
  if (typeof raw !== 'string' || list.some((n) => !Number.isInteger(n) || n < 1 || n > max))
    throw new Error(`--${flag} takes whole numbers from 1 to ${max} (e.g. 1,2), not '${String(raw)}'`);
  return list;
}

export const wholeNumber = (v: OptionValues, flag: string, max: number): number | undefined => numbers(v, flag, max)?.[0];

export interface BenchmarkResult {
  readonly name: string;
  readonly title: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly loadAverageStart: readonly number[];
  readonly loadAverageEnd: readonly number[];
  /** How the benchmark was set up: counts, concurrency, which Temporal database, worker or not. */
  readonly setup: Readonly<Record<string, unknown>>;
  readonly tables: readonly Table[];
  /** The bottleneck this benchmark hit, each line with the numbers behind it. */
  readonly bottleneck: readonly string[];
  /** CPU of other processes during the measured windows (the worst window), in % of one core. */
  readonly interferencePercentOfCore: number;
  /** Everything measured, for whoever wants to plot it. */
  readonly data: unknown;
}

/** What a benchmark says of itself; the envelope (times, load, Temporal's settings) is resultOf's. */
export type BenchmarkBody = Omit<BenchmarkResult, 'startedAt' | 'finishedAt' | 'durationSeconds' | 'loadAverageStart' | 'loadAverageEnd'>;

/** Starts a benchmark's clock: `finish` wraps what it measured in the one result envelope every benchmark writes. */
export function resultOf(): { finish(body: BenchmarkBody): BenchmarkResult } {
  const started = new Date();
  const loadAverageStart = loadAverage();
  return {
    finish: (body) => ({
      ...body,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      durationSeconds: round((Date.now() - started.getTime()) / 1000),
      loadAverageStart,
      loadAverageEnd: loadAverage(),
    }),
  };
}

/** A benchmark that measured nothing must not pass for a fast one. */
export class NothingMeasuredError extends Error {
  override readonly name = 'NothingMeasuredError';
}

export function requireMeasured(what: string, count: number, atLeast = 1): void {
  if (!(count >= atLeast))
    throw new NothingMeasuredError(`${what}: measured ${count}, expected at least ${atLeast}; the benchmark measured nothing useful`);
}

export function printResult(r: BenchmarkResult): void {
  const out = [
    `\n=== ${r.title} (${r.durationSeconds} s; load average ${r.loadAverageStart.join(' ')} -> ${r.loadAverageEnd.join(' ')}; other processes ${r.interferencePercentOfCore}% of a core while measuring) ===`,
    ...r.tables.map(renderText),
    '\nBottleneck:',
    ...r.bottleneck.map((b) => `  - ${b}`),
    '',
  ];
  process.stdout.write(out.join('\n') + '\n');
}

/** `label` names an experiment's files apart from the standard run's (bench-status-<label>.json). */
export function writeResult(dir: string, r: BenchmarkResult, label?: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${r.name}${label ? `-${label}` : ''}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

export interface RunInfo {
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: string;
  readonly notes: readonly string[];
}

export function writeSummary(
  dir: string,
  run: RunInfo,
  results: readonly BenchmarkResult[],
  failures: readonly string[],
  label?: string,
  /** The file's name without `.md` (default bench-summary[-label]). */
  name = `bench-summary${label ? `-${label}` : ''}`,
): string {
  const md = [
    '# Bosun benchmarks',
    '',
    `Run: \`${run.command}\`, ${run.startedAt} to ${run.finishedAt}. ${run.machine}`,
    '',
    ...run.notes.map((n) => `- ${n}`),
    '',
    ...failures.map((f) => `**Failed:** ${f}\n`),
    ...results.flatMap((r) => [
      `## ${r.title}`,
      '',
      `${r.durationSeconds} s; load average (1/5/15 min) ${r.loadAverageStart.join(' / ')} at start, ${r.loadAverageEnd.join(' / ')} at end; other processes on the machine used ${r.interferencePercentOfCore}% of a core during the measured windows. Raw numbers: \`bench-${r.name}${label ? `-${label}` : ''}.json\`.`,
      '',
      ...r.tables.map((t) => renderMarkdown(t)),
      '**Bottleneck**',
      '',
      ...r.bottleneck.map((b) => `- ${b}`),
      '',
    ]),
  ].join('\n');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.md`);
  writeFileSync(file, md);
  return file;
}

/** Per-process CPU and memory of a measured window, with the machine's and everyone else's share. */
export function resourcesTable(title: string, u: WindowUsage, extraNotes: readonly string[] = []): Table {
  return {
    title,
    headers: ['process', 'CPU s', '% of one core', '% of time >= 90% of a core', 'peak RSS MiB'],
    rows: [
      ...u.processes.map((p) => [p.name, p.cpuSeconds, p.cpuPercentOfCore, p.percentOfTimeAbove90, p.peakRssMiB]),
      ['other processes on the machine', u.machine.othersCpuSeconds, u.machine.othersPercentOfCore, undefined, undefined],
      [`machine (${u.machine.cores} cores = ${u.machine.cores * 100}%)`, undefined, u.machine.busyPercentOfCore, undefined, undefined],
    ],
    notes: [`window ${u.wallSeconds} s; load average ${u.loadAverageStart.join(' ')} -> ${u.loadAverageEnd.join(' ')}`, ...extraNotes],
  };
}

export function persistenceNote(p: PersistenceUse | undefined): string {
  if (!p) return 'Temporal persistence metrics: not available';
  const top = p.top
    .slice(0, 5)
    .map((t) => `${t.operation} ${t.calls}x ${t.meanMs} ms`)
    .join(', ');
  return `Temporal SQLite: ${p.calls} calls (${p.callsPerSecond}/s), mean ${p.meanMs} ms, summed latency ${p.busySeconds} s = ${p.busyPercentOfWall}% of the window; top: ${top}`;
}

const sum = (ps: readonly ProcessUsage[], f: (p: ProcessUsage) => number) => round(ps.reduce((s, p) => s + f(p), 0));

/**
 * Which process (or the machine) set the pace of one run, named with its numbers. A process near
 * one core most of the time is pinned (moto is single-threaded under the GIL; a Node event loop
 * too); a machine near all its cores is saturated, whoever uses them; otherwise Temporal's
 * SQLite, one writer, is the queue when its summed call time exceeds the wall time.
 */
export function cpuVerdict(u: WindowUsage, p?: PersistenceUse): string {
  const groups = (
    [
      ['Temporal', 'temporal'],
      ['moto', 'moto'],
      ['workers', 'bosun worker'],
      ['facades', 'facade'],
      ['this process', 'bench'],
    ] as const
  )
    .map(([name, prefix]) => {
      const ps = u.processes.filter((x) => x.name.startsWith(prefix));
      return { name, cpu: sum(ps, (x) => x.cpuPercentOfCore), pinned: Math.max(0, ...ps.map((x) => x.percentOfTimeAbove90)) };
    })
    .sort((a, b) => b.cpu - a.cpu);
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

export const ms = (n: number): number => round(n, 1);
