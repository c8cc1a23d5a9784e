/**
 * A whole chaos run on a given stack (a Temporal server and moto): Bosun's phase, then the
 * baseline's under the same seed, the same fault profile and the same process-fault offsets.
 * `main.ts` gives it a stack of its own (and restarts its Temporal server); the jest smoke test
 * gives it the test run's shared stack (no server restarts, no emulator resets).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { freePort } from '../../infra/stack';
import { startBaselineSystem } from './baseline-system';
import { startBosunSystem } from '../../test/support/bosun-system';
import type { ChaosReport } from './report';
import { problemsOf } from './report';
import type { PhaseOptions, PhaseResult } from './run';
import { runPhase } from './run';
import { motoAccount } from './sweep';
import type { ClusterFault } from './schedule';
import { planProcessFaults } from './schedule';
import { ACCOUNTS_JSON, BAKERY_ACCOUNT, REGION } from './workload';

const count = z.coerce.number().int().min(0);
/** Every knob of a run, with the full run's defaults (about 5 minutes on 2 cores). */
export const chaosOptionsSchema = z.object({
  ops: z.coerce.number().int().min(1).max(2000).default(100),
  faultRate: z.coerce.number().min(0).max(0.9).default(0.1),
  /** Share of mutating AWS calls whose answer is dropped after AWS acted; default faultRate / 5. */
  lostAnswerRate: z.coerce.number().min(0).max(0.5).optional(),
  seed: z.coerce.number().int().default(42),
  workerKills: count.max(50).default(3),
  serverRestarts: count.max(20).default(1),
  facadeRestarts: count.max(20).default(1),
  pollMs: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** Orca's per-stage deadline here: an operation not finished by then is lost. */
  opTimeoutMs: z.coerce.number().int().min(5_000).default(240_000),
  /** A phase ends by itself after this long, whatever is still running. */
  phaseTimeoutMs: z.coerce.number().int().min(10_000).default(300_000),
  rampMs: count.default(10_000),
  faultWindowStartMs: count.default(5_000),
  faultWindowEndMs: count.default(50_000),
  faultMinGapMs: count.default(4_000),
  baseline: z.boolean().default(true),
  /** How often Bosun's (and the baseline's) waits look at AWS (BOSUN_POLL_INTERVAL). */
  awsPollInterval: z.string().default('1s'),
  retryWindow: z.string().default('2h'),
  postAttempts: z.coerce.number().int().min(1).max(100).default(30),
  maxResumes: count.max(10).default(3),
  launcher: z.enum(['node-require-tsx', 'npx-tsx']).default('node-require-tsx'),
  /** Bosun's worker processes and facade replicas (the cluster run uses 3 and 2). */
  workers: z.coerce.number().int().min(1).max(8).default(1),
  facades: z.coerce.number().int().min(1).max(4).default(1),
  /** Kills of each Temporal cluster service (only with a cluster: `--temporal cluster`). */
  historyKills: count.max(20).default(0),
  matchingKills: count.max(20).default(0),
  frontendKills: count.max(20).default(0),
  temporalWorkerKills: count.max(20).default(0),
  postgresKills: count.max(20).default(0),
  /** How long a killed cluster service stays down before it is started again. */
  serviceDowntimeMs: count.max(120_000).default(2000),
  /** `orca`: Orca-style scenarios of separate operations; `strategy`: deploys with a strategy (strategy-run.ts), ops = deploys. */
  workload: z.enum(['orca', 'strategy']).default('orca'),
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

export const NOTES = [
  'Both systems get the same per-application scenarios (seeded), the same fault proxy profile and seed, the same answer-loss rate, and the process faults at the same offsets from their first POST.',
  'Bosun: one worker and one facade, real child processes, real Temporal dev server (SQLite file), real AWS SDK through the fault proxy to moto. SDK attempts 1: retries belong to Temporal.',
  "Baseline: Bosun's own activity functions run in-process (MockActivityEnvironment, so the AWS steps are identical), wrapped like legacy Clouddriver: AWS SDK default retries (standard mode, 3 attempts), tasks in memory, no compensation, a failure is not retryable. One process is both API and executor, so a worker kill is a SIGKILL of it and a facade restart a SIGTERM of it; a Temporal restart has no counterpart (n/a).",
  'Orca fails a stage after 30 consecutive 404s; here the first 404 after acceptance counts as lost (it would not change). A task still running at the deadline is lost too. A POST is retried with the same clientRequestId on connection errors and 5xx; a retryably failed task is resumed (POST /task/{id}:resume) up to the resume limit.',
  "When an operation does not succeed, the rest of that application's scenario is skipped, as a pipeline stops at a failed stage.",
  "Leaked: groups, launch templates and running instances of the run's applications that no succeeded deploy (minus succeeded destroys) explains, read from moto after the run. Duplicated: distinct groups or launch templates AWS created in a cluster beyond the deploys posted for it (counted by a recorder in front of moto, so a duplicate a later destroy removed still counts).",
  "The baseline is a conservative stand-in for legacy Clouddriver: it inherits Bosun's idempotent activities (describe before create, adopt what carries its own tag), so an SDK retry after a lost answer rarely duplicates; what it lacks is durability, long retries and compensation. Its time to complete is short because its pipelines stop at the first lost or failed stage.",
  "Answer lost after AWS acted: a recorder between the proxy and moto drops the response of a mutating call after moto performed it (the fault proxy's resets happen before forwarding).",
  "Day-two end state: after the run, every succeeded step after the deploys is checked in moto (bench/chaos/end-state.ts): a tag, setting, scheduled action, lifecycle hook, policy, alarm, registration or security group it set is there, once (duplicated otherwise); what it deleted, detached or deregistered is gone (left behind otherwise). The infrastructure scenario's security group holds exactly the last upsert's rules, and its load balancers, target group, listener and listener rule exist once each as the last upsert left them. Images, snapshots, launch settings, security groups and load balancers the clean-up scenario deletes are made before the run (bench/chaos/fixtures.ts).",
];

export async function findAmiName(motoEndpoint: string): Promise<string> {
  const client = (accountId: string) => {
    const c = new EC2Client({ region: REGION, endpoint: motoEndpoint, credentials: { accessKeyId: 'chaos', secretAccessKey: 'chaos' } });
    c.middlewareStack.add(motoAccount(accountId), { step: 'build', name: 'chaosMotoAccount' });
    return c;
  };
  const test = client('123456789012');
  const accounts = JSON.parse(ACCOUNTS_JSON) as { name: string; accountId: string }[];
  const bakery = client(accounts.find((a) => a.name === BAKERY_ACCOUNT)!.accountId);
  try {
    const images = await test.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['al2023-ami-2023*x86_64'] }] }));
    for (const image of images.Images ?? []) {
      if (!image.Name) continue;
      // The bakery account must see it too: allowLaunchDescription resolves it there.
      const there = await bakery.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: [image.Name] }] }));
      if ((there.Images ?? []).length > 0) return image.Name;
    }
    throw new Error('moto has no al2023 image visible in both accounts');
  } finally {
    test.destroy();
    bakery.destroy();
  }
}

function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

export async function runChaos(
  options: ChaosOptions,
  stack: ChaosStack,
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<ChaosReport> {
  const started = Date.now();
  const tag = randomBytes(3)
    .toString('hex')
    .replace(/^[0-9]/, 'k');
  const runId = `chaos-${options.seed}-${tag}`;
  const amiName = await findAmiName(stack.motoEndpoint);
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
    system,
    runId,
    appPrefix: `c${tag}${system === 'bosun' ? 'b' : 'l'}`,
    ops: options.ops,
    seed: options.seed,
    faultRate: options.faultRate,
    lostAnswerRate: options.lostAnswerRate ?? options.faultRate / 5,
    rampMs: options.rampMs,
    opTimeoutMs: options.opTimeoutMs,
    phaseTimeoutMs: options.phaseTimeoutMs,
    client: { pollMs: options.pollMs, postAttempts: options.postAttempts, maxResumes: options.maxResumes, requestTimeoutMs: 10_000 },
    faults: schedule,
    motoEndpoint: stack.motoEndpoint,
    amiName,
  });
  log(
    `chaos ${runId}: ${options.ops} operations, fault rate ${options.faultRate}, ${schedule.map((f) => `${f.kind}@${(f.atMs / 1000).toFixed(0)}s`).join(', ') || 'no process faults'}`,
  );

  const facadePort = await freePort();
  const extraFacadePorts: number[] = [];
  for (let i = 1; i < options.facades; i++) extraFacadePorts.push(await freePort());
  const bosun = await runPhase(phase('bosun'), {
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
        launcher: options.launcher,
      }),
    restartServer: stack.restartTemporal,
    clusterFault: stack.clusterFault,
    log,
  });
  log(
    `bosun: done in ${(bosun.timing.wallMs / 1000).toFixed(1)} s: ${bosun.counts.succeeded} succeeded, ${bosun.counts.failed} failed, ${bosun.counts.lost} lost`,
  );

  let baseline: PhaseResult | undefined;
  if (options.baseline) {
    await stack.resetMoto?.();
    const port = await freePort();
    baseline = await runPhase(phase('baseline'), {
      start: (awsEndpoint) =>
        startBaselineSystem({
          awsEndpoint,
          port,
          accounts: ACCOUNTS_JSON,
          pollIntervalMs: durationMs(options.awsPollInterval),
          logDir: path.join(stack.workDir, 'baseline'),
          launcher: options.launcher,
        }),
      log,
    });
    log(
      `baseline: done in ${(baseline.timing.wallMs / 1000).toFixed(1)} s: ${baseline.counts.succeeded} succeeded, ${baseline.counts.failed} failed, ${baseline.counts.lost} lost`,
    );
  }

  const finished = Date.now();
  return {
    kind: 'bosun-chaos',
    version: 1,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    totalMs: finished - started,
    machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}` },
    options: { ...options, lostAnswerRate: options.lostAnswerRate ?? options.faultRate / 5, runId, amiName },
    setup: { ...stack.setup, logs: stack.workDir },
    schedule,
    bosun,
    baseline,
    bosunProblems: problemsOf(bosun),
    notes: stack.description ? [NOTES[0]!, stack.description, ...NOTES.slice(2)] : NOTES,
  };
}
