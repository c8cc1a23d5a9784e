/**
 * A whole chaos run on a given stack (a Temporal server and moto), for either workload: Bosun's
 * phase, then the baseline's, under the same seed, the same fault profile and the same
 * process-fault offsets. Each phase puts the fault proxy and the answer-losing recorder between
 * the system and moto, starts the system, injects the process faults at their offsets while the
 * workload posts its scenarios, stops the system and lets the workload read what AWS holds. The
 * workload (run.ts: Orca-style scenarios; strategy-run.ts: deploys with a strategy) supplies only
 * what differs: what is posted, what AWS should hold afterwards, the report.
 * `main.ts` gives it a stack of its own (and restarts its Temporal server); the jest smoke test
 * gives it the test run's shared stack (no server restarts, no emulator resets).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../activities';
import { z } from 'zod';
import type { FaultKind } from '../../test/support/fault-proxy';
import { profileFor, startFaultProxy } from '../../test/support/fault-proxy';
import { freePort } from '../../infra/stack';
import type { SystemUnderTest } from '../../test/support/bosun-system';
import { startBosunSystem } from '../../test/support/bosun-system';
import { sleep } from '../../test/support/child-process';
import type { OrcaClientOptions } from '../../test/support/orca-client';
import type { DisableCounts } from './aws-recorder';
import { countDisables, startAwsRecorder } from './aws-recorder';
import { startBaselineSystem } from './baseline-system';
import type { ClusterFault, PlannedFault, ProcessFault } from './schedule';
import { isClusterFault, planProcessFaults } from './schedule';
import type { Duplicates } from './sweep';
import { findDuplicates, withMoto } from './sweep';
import { ACCOUNTS_JSON, BAKERY_ACCOUNT } from './workload';

const count = z.coerce.number().int().min(0);
const share = (max: number) => z.coerce.number().min(0).max(max);
const ms = (min: number) => z.coerce.number().int().min(min);
const kills = (what: string) => count.max(20).default(0).describe(`${what} (with --temporal cluster)`);
/** Every knob of a run, with the full run's defaults (about 5 minutes on 2 cores); each description is its line of --help. */
export const chaosOptionsSchema = z.object({
  ops: z.coerce.number().int().min(1).max(2000).default(100).describe('operations in Orca-style scenarios (1-2000)'),
  faultRate: share(0.9).default(0.1).describe('share of AWS calls the fault proxy breaks'),
  lostAnswerRate: share(0.5).optional().describe('share of mutating calls whose answer is lost after AWS acted (default fault rate / 5)'),
  seed: z.coerce.number().int().default(42).describe('seeds the workload, the faults and their moments'),
  workerKills: count.max(50).default(3).describe('SIGKILLs of a worker'),
  serverRestarts: count.max(20).default(1).describe('Temporal server restarts'),
  facadeRestarts: count.max(20).default(1).describe('facade restarts'),
  pollMs: z.coerce.number().int().min(100).max(60_000).default(2000).describe('how often the Orca-like client polls a task'),
  opTimeoutMs: ms(5_000)
    .default(240_000)
    .describe("Orca's per-stage deadline: an operation not finished by then is lost (default max(240 s, 900 ms x ops))"),
  phaseTimeoutMs: ms(10_000).default(300_000).describe('each phase ends by itself after this long (default max(300 s, 2 s x ops))'),
  rampMs: count.default(10_000).describe('scenarios start spread over this long (default max(10 s, 100 ms x ops))'),
  faultWindowStartMs: count.default(5_000).describe('process faults happen after this offset'),
  faultWindowEndMs: count.default(50_000).describe('... and before this one (default max(50 s, 100 ms x ops): the ramp)'),
  faultMinGapMs: count.default(4_000).describe('at least this long between two process faults'),
  baseline: z.boolean().default(true).describe('--no-baseline: run Bosun only (half the time)'),
  awsPollInterval: z.string().default('1s').describe("how often Bosun's (and the baseline's) waits look at AWS (BOSUN_POLL_INTERVAL)"),
  retryWindow: z.string().default('2h').describe("Bosun's AWS retry window"),
  postAttempts: z.coerce.number().int().min(1).max(100).default(30).describe("the Orca-like client's POST attempts"),
  maxResumes: count.max(10).default(3).describe('resumes of a retryably failed task'),
  workers: z.coerce.number().int().min(1).max(8).default(1).describe('Bosun worker processes (the cluster run uses 3)'),
  facades: z.coerce.number().int().min(1).max(4).default(1).describe('Bosun facade replicas (the cluster run uses 2)'),
  historyKills: kills('kills of a Temporal history node'),
  matchingKills: kills("kills of Temporal's matching service"),
  frontendKills: kills("kills of Temporal's frontend"),
  temporalWorkerKills: kills("kills of Temporal's worker service"),
  postgresKills: kills('crashes of PostgreSQL'),
  serviceDowntimeMs: count.max(120_000).default(2000).describe('how long a killed cluster service stays down'),
  workload: z.enum(['orca', 'strategy']).default('orca').describe('orca: Orca-style scenarios (run.ts); strategy: --ops strategy deploys'),
});
export type ChaosOptions = z.infer<typeof chaosOptionsSchema>;

/** The options whose defaults grow with the number of operations (scaledDefaults). */
export const SCALED_OPTIONS = ['rampMs', 'opTimeoutMs', 'phaseTimeoutMs', 'faultWindowEndMs'] as const;
export type ScaledOption = (typeof SCALED_OPTIONS)[number];

/**
 * Defaults for a run of `ops` operations: the schema's own up to 100 operations (so the committed
 * 100-operation run stays comparable), growing linearly above. Pipelines start over a longer ramp
 * (100 ms per operation: 2,000 operations arrive over 200 s, as a busy Spinnaker spreads them,
 * instead of 330 applications within 10 s). Every application's scenario is then in flight at
 * once and an operation's activities queue behind all of theirs, so an operation may take
 * (applications in flight) / (operations per second): trials on a shared 2-core machine did 1.2
 * operations/s at 300 operations (p50 25 s, max 145 s) and 0.45/s at 2,000 with a load average
 * of 20. Hence 900 ms of operation deadline per operation (30 minutes at 2,000) and 2 s of phase
 * per operation (67 minutes at 2,000): bounds that a slow machine does not turn into lost
 * operations, not expected durations. The process faults land anywhere in the ramp (while
 * scenarios are still starting and load is high, not only in its first minute): with 150 ms per
 * operation, a clean 2,000-operation run on an idle machine finished at 282 s and the third
 * worker kill, planned at 287 s, found nothing left to hit.
 */
export function scaledDefaults(ops: number): Record<ScaledOption, number> {
  return {
    rampMs: Math.max(10_000, ops * 100),
    opTimeoutMs: Math.max(240_000, ops * 900),
    phaseTimeoutMs: Math.max(300_000, ops * 2_000),
    faultWindowEndMs: Math.max(50_000, ops * 100),
  };
}

export interface ChaosStack {
  readonly temporalAddress: () => string;
  /** Stops the Temporal server and starts it again on the same database and port; absent = no server restarts. */
  readonly restartTemporal?: (() => Promise<void>) | undefined;
  readonly motoEndpoint: string;
  /** Empties the emulator between the phases, so both start alike; absent on a shared emulator. */
  readonly resetMoto?: (() => Promise<void>) | undefined;
  readonly workflowBundle: string;
  readonly workDir: string;
  readonly setup?: Readonly<Record<string, unknown>>;
  /** Kills one service of a Temporal cluster and starts it again (absent: no cluster faults). */
  readonly clusterFault?: ((kind: ClusterFault) => Promise<string>) | undefined;
  /** Environment every Bosun child gets besides TEMPORAL_ADDRESS (a cluster's TLS settings). */
  readonly temporalEnv?: Readonly<Record<string, string>> | undefined;
  /** What Bosun ran on, for the report's notes (default: the dev server). */
  readonly description?: string | undefined;
}

export function findAmiName(motoEndpoint: string): Promise<string> {
  const images = (c: AwsClients, name: string) =>
    c.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: [name] }] })).then((o) => o.Images ?? []);
  return withMoto(motoEndpoint, async (test) =>
    withMoto(
      motoEndpoint,
      async (bakery) => {
        for (const image of await images(test, 'al2023-ami-2023*x86_64')) {
          // The bakery account must see it too: allowLaunchDescription resolves it there.
          if (image.Name && (await images(bakery, image.Name)).length > 0) return image.Name;
        }
        throw new Error('moto has no al2023 image visible in both accounts');
      },
      BAKERY_ACCOUNT,
    ),
  );
}

function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

/** The run's options as one phase sees them (`ops`: operations, or strategy deploys for the strategy workload). */
export interface PhaseOptions extends Pick<ChaosOptions, 'ops' | 'seed' | 'faultRate' | 'rampMs' | 'opTimeoutMs' | 'phaseTimeoutMs'> {
  readonly system: 'bosun' | 'baseline';
  readonly runId: string;
  readonly appPrefix: string;
  readonly lostAnswerRate: number;
  readonly client: OrcaClientOptions;
  readonly faults: readonly PlannedFault[];
  readonly motoEndpoint: string;
  readonly amiName: string;
}

export interface PhaseHooks {
  /** Starts the system with its AWS endpoint pointed at `awsEndpoint` (the fault proxy). */
  start(awsEndpoint: string): Promise<SystemUnderTest>;
  /** Restarts the Temporal server; undefined when this system (or this run) has none to restart. */
  restartServer?: (() => Promise<void>) | undefined;
  /** Kills one service of the Temporal cluster and starts it again; resolves with what happened. */
  clusterFault?: ((kind: ClusterFault) => Promise<string>) | undefined;
  log(line: string): void;
}

export interface InjectedFault {
  readonly kind: ProcessFault;
  readonly plannedAtMs: number;
  readonly atMs: number | undefined;
  readonly tookMs: number | undefined;
  readonly outcome: 'done' | 'not-reached' | 'not-applicable' | 'error';
  readonly detail?: string | undefined;
}

export interface PhaseFaults {
  readonly proxy: Readonly<Record<FaultKind | 'forwarded', number>>;
  readonly lostAnswers: Readonly<Record<string, number>>;
  readonly process: readonly InjectedFault[];
  readonly unexpectedExits: readonly string[];
}

/** What every phase measures, whatever the workload: the workload's result carries it. */
export interface PhaseMeasures {
  readonly wallMs: number;
  readonly duplicates: Duplicates;
  readonly disables: DisableCounts;
  readonly faults: PhaseFaults;
}

/** What a workload posted: deploys per cluster, and disables the posted operations call for per group. */
export interface PostedPlan {
  readonly deploys: ReadonlyMap<string, number>;
  readonly disables: ReadonlyMap<string, number>;
}

/** One phase of a workload, planned and prepared in moto. */
export interface PhaseWork<R> {
  /** For the log: what the phase will post. */
  readonly summary: string;
  /** For the log every 15 s: how far it is. */
  progress(): string;
  /** Posts every scenario as Orca does; nothing runs past `phaseDeadline`. */
  run(sys: SystemUnderTest, phaseDeadline: number): Promise<PostedPlan>;
  /** Once the system has stopped: what the workload finds in moto, with what every phase measures. */
  collect(measures: PhaseMeasures): Promise<R>;
}

export interface ChaosWorkload<R> {
  /** The report's kind, the run id's and the applications' prefixes, and what --ops counts (for the log). */
  readonly names: { readonly report: string; readonly runId: string; readonly apps: string; readonly ops: string };
  prepare(opts: PhaseOptions): Promise<PhaseWork<R>>;
  /** Everything that breaks Bosun's promise in one phase; empty = clean. */
  problems(r: R): string[];
  /** One log line once a phase is over. */
  outcome(r: R): string;
  notes(stackDescription: string | undefined): readonly string[];
  /** The report as markdown: committed beside the JSON, printed at the end of the run. */
  markdown(report: ChaosRunReport<R>): string;
}

export interface ChaosRunReport<R> {
  readonly kind: string;
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly totalMs: number;
  readonly machine: { readonly cpus: number; readonly loadavg: readonly number[]; readonly node: string; readonly platform: string };
  readonly options: Readonly<Record<string, unknown>>;
  readonly setup: Readonly<Record<string, unknown>>;
  readonly schedule: readonly PlannedFault[];
  readonly bosun: R;
  readonly baseline: R | undefined;
  /** Why Bosun is not clean; empty when it is. */
  readonly bosunProblems: readonly string[];
  readonly notes: readonly string[];
}

export async function runChaos<R>(
  workload: ChaosWorkload<R>,
  options: ChaosOptions,
  stack: ChaosStack,
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<ChaosRunReport<R>> {
  const started = Date.now();
  const tag = randomBytes(3)
    .toString('hex')
    .replace(/^[0-9]/, 'k');
  const runId = `${workload.names.runId}-${options.seed}-${tag}`;
  const amiName = await findAmiName(stack.motoEndpoint);
  const lostAnswerRate = options.lostAnswerRate ?? options.faultRate / 5;
  const schedule = planProcessFaults({
    seed: options.seed,
    workerKills: options.workerKills,
    serverRestarts: stack.restartTemporal ? options.serverRestarts : 0,
    facadeRestarts: options.facadeRestarts,
    clusterKills: stack.clusterFault
      ? {
          'history-kill': options.historyKills,
          'matching-kill': options.matchingKills,
          'frontend-kill': options.frontendKills,
          'temporal-worker-kill': options.temporalWorkerKills,
          'postgres-kill': options.postgresKills,
        }
      : undefined,
    windowStartMs: options.faultWindowStartMs,
    windowEndMs: options.faultWindowEndMs,
    minGapMs: options.faultMinGapMs,
  });
  const phase = (system: 'bosun' | 'baseline'): PhaseOptions => ({
    ...options,
    system,
    runId,
    appPrefix: `${workload.names.apps}${tag}${system === 'bosun' ? 'b' : 'l'}`,
    lostAnswerRate,
    client: { pollMs: options.pollMs, postAttempts: options.postAttempts, maxResumes: options.maxResumes, requestTimeoutMs: 10_000 },
    faults: schedule,
    motoEndpoint: stack.motoEndpoint,
    amiName,
  });
  log(
    `chaos ${runId}: ${options.ops} ${workload.names.ops}, fault rate ${options.faultRate}, ${schedule.map((f) => `${f.kind}@${(f.atMs / 1000).toFixed(0)}s`).join(', ') || 'no process faults'}`,
  );

  const facadePort = await freePort();
  const extraFacadePorts: number[] = [];
  for (let i = 1; i < options.facades; i++) extraFacadePorts.push(await freePort());
  const bosun = await runPhase(workload, phase('bosun'), {
    start: (awsEndpoint) =>
      startBosunSystem({
        temporalAddress: stack.temporalAddress,
        awsEndpoint,
        taskQueue: `chaos-${tag}`,
        stateDir: path.join(stack.workDir, 'bosun'),
        facadePort,
        extraFacadePorts,
        workers: options.workers,
        temporalEnv: stack.temporalEnv,
        workflowBundle: stack.workflowBundle,
        accounts: ACCOUNTS_JSON,
        pollInterval: options.awsPollInterval,
        retryWindow: options.retryWindow,
      }),
    restartServer: stack.restartTemporal,
    clusterFault: stack.clusterFault,
    log,
  });
  log(`bosun: ${workload.outcome(bosun)}`);

  let baseline: R | undefined;
  if (options.baseline) {
    await stack.resetMoto?.();
    const port = await freePort();
    baseline = await runPhase(workload, phase('baseline'), {
      start: (awsEndpoint) =>
        startBaselineSystem({
          awsEndpoint,
          port,
          accounts: ACCOUNTS_JSON,
          pollIntervalMs: durationMs(options.awsPollInterval),
          logDir: path.join(stack.workDir, 'baseline'),
        }),
      log,
    });
    log(`baseline: ${workload.outcome(baseline)}`);
  }

  const finished = Date.now();
  return {
    kind: workload.names.report,
    version: 1,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    totalMs: finished - started,
    machine: {
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    options: { ...options, lostAnswerRate, runId, amiName },
    setup: { ...stack.setup, logs: stack.workDir },
    schedule,
    bosun,
    baseline,
    bosunProblems: workload.problems(bosun),
    notes: workload.notes(stack.description),
  };
}

/** One system's phase: proxy and recorder, the system, the workload's scenarios beside the process faults, then the sweep. */
async function runPhase<R>(workload: ChaosWorkload<R>, opts: PhaseOptions, hooks: PhaseHooks): Promise<R> {
  const work = await workload.prepare(opts);
  const recorder = await startAwsRecorder({ target: opts.motoEndpoint, lostAnswerRate: opts.lostAnswerRate, seed: opts.seed });
  const proxy = await startFaultProxy({ target: recorder.url, profile: profileFor(opts.faultRate, opts.seed) });
  let system: SystemUnderTest | undefined;
  try {
    system = await hooks.start(proxy.url);
    const sys = system;
    hooks.log(`${opts.system}: ${work.summary}, ${opts.faults.length} process faults planned`);
    const started = Date.now();
    let finished = false;
    const monkey = injectFaults(opts, hooks, sys, started, () => finished);
    const progress = setInterval(() => {
      hooks.log(`${opts.system}: ${work.progress()} finished after ${Math.round((Date.now() - started) / 1000)} s`);
    }, 15_000);
    let posted: PostedPlan;
    try {
      posted = await work.run(sys, started + opts.phaseTimeoutMs);
    } finally {
      clearInterval(progress);
      finished = true;
    }
    const wallMs = Date.now() - started;
    const injected = await monkey;

    // Nothing may change AWS while it is swept.
    await system.stop();
    const unexpectedExits = [...system.unexpectedExits];
    system = undefined;
    return await work.collect({
      wallMs,
      duplicates: findDuplicates(recorder.creations, posted.deploys, opts.appPrefix),
      disables: countDisables(recorder.trafficChanges, posted.disables, opts.appPrefix),
      faults: { proxy: { ...proxy.counts }, lostAnswers: { ...recorder.lostAnswers }, process: injected, unexpectedExits },
    });
  } finally {
    if (system) await system.stop().catch(() => undefined);
    await proxy.close();
    await recorder.close();
  }
}

/** The process faults at their offsets from `started`, until the workload has finished. */
async function injectFaults(
  opts: PhaseOptions,
  hooks: PhaseHooks,
  sys: SystemUnderTest,
  started: number,
  finished: () => boolean,
): Promise<InjectedFault[]> {
  const injected: InjectedFault[] = [];
  for (const fault of opts.faults) {
    const record = (outcome: InjectedFault['outcome'], detail?: string, atMs?: number, tookMs?: number) =>
      injected.push({ kind: fault.kind, plannedAtMs: fault.atMs, atMs, tookMs, outcome, detail });
    if (fault.kind === 'server-restart' && !hooks.restartServer) {
      record('not-applicable', `${opts.system} has no Temporal server`);
      continue;
    }
    if (isClusterFault(fault.kind) && !hooks.clusterFault) {
      record('not-applicable', `${opts.system} has no Temporal cluster`);
      continue;
    }
    while (!finished() && Date.now() - started < fault.atMs) await sleep(Math.min(250, fault.atMs - (Date.now() - started)));
    if (finished()) {
      record('not-reached', 'every scenario had finished');
      continue;
    }
    const at = Date.now() - started;
    const t0 = Date.now();
    try {
      let detail: string | undefined;
      if (fault.kind === 'worker-kill') await sys.killWorker();
      else if (fault.kind === 'facade-restart') await sys.restartFacade();
      else if (isClusterFault(fault.kind)) detail = await hooks.clusterFault!(fault.kind);
      else await hooks.restartServer!();
      record('done', detail, at, Date.now() - t0);
      hooks.log(
        `${opts.system}: ${fault.kind} at ${(at / 1000).toFixed(1)} s (back after ${((Date.now() - t0) / 1000).toFixed(1)} s${detail ? `: ${detail}` : ''})`,
      );
    } catch (err) {
      record('error', (err as Error).message, at, Date.now() - t0);
      hooks.log(`${opts.system}: ${fault.kind} failed: ${(err as Error).message}`);
    }
  }
  return injected;
}
