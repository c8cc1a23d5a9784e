/**
 * The chaos run's strategy workload (`npm run chaos -- --workload strategy`): Bosun's
 * deployWithStrategy against the baseline's Orca-style task sequences, through the same fault
 * proxy, answer-losing recorder and process faults as the Orca workload (run.ts), then every
 * cluster checked in moto (strategy-workload.ts).
 */
import path from 'node:path';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FaultKind } from '../fault-proxy';
import { profileFor, startFaultProxy } from '../fault-proxy';
import { startAwsRecorder } from './aws-recorder';
import type { SystemUnderTest } from '../../test/support/bosun-system';
import { startBosunSystem } from '../../test/support/bosun-system';
import { sleep } from '../../test/support/child-process';
import type { OpOutcome, OrcaClientOptions } from '../../test/support/orca-client';
import { runOperation } from '../../test/support/orca-client';
import { freePort } from '../../infra/stack';
import { startBaselineSystem } from './baseline-system';
import type { ChaosOptions, ChaosStack } from './chaos';
import { findAmiName } from './chaos';
import type { InjectedFault } from './run';
import type { PlannedFault } from './schedule';
import { planProcessFaults } from './schedule';
import type { Duplicates } from './sweep';
import { findDuplicates } from './sweep';
import type { DeployRecord, Post, StrategyEndState, StrategyScenario } from './strategy-workload';
import {
  baselineDeployPosts,
  bosunDeployPost,
  checkClusters,
  groupsAfter,
  headersFor,
  planStrategyWorkload,
  readClusters,
  seedPost,
  STRATEGIES,
} from './strategy-workload';
import { ACCOUNTS_JSON, clientRequestIdFor, REGION } from './workload';

interface StrategyPhaseOptions {
  readonly system: 'bosun' | 'baseline';
  readonly runId: string;
  readonly appPrefix: string;
  readonly deploys: number;
  readonly seed: number;
  readonly faultRate: number;
  readonly lostAnswerRate: number;
  readonly rampMs: number;
  readonly opTimeoutMs: number;
  readonly phaseTimeoutMs: number;
  readonly client: OrcaClientOptions;
  readonly faults: readonly PlannedFault[];
  readonly motoEndpoint: string;
  readonly amiName: string;
}

type Counts = Record<DeployRecord['status'], number>;

export interface StrategyPhaseResult {
  readonly system: 'bosun' | 'baseline';
  readonly appPrefix: string;
  readonly clusters: number;
  /** Strategy deploys (not the clusters' first groups). */
  readonly counts: Counts;
  readonly byStrategy: Readonly<Record<string, Counts>>;
  /** The clusters' first groups (createServerGroup, the same for both systems). */
  readonly seeds: Counts;
  readonly tasksPosted: number;
  readonly endState: StrategyEndState;
  readonly duplicates: Duplicates;
  readonly timing: { readonly wallMs: number; readonly deployLatencyMs: { p50: number; p95: number; max: number } };
  readonly faults: {
    readonly proxy: Readonly<Record<FaultKind | 'forwarded', number>>;
    readonly lostAnswers: Readonly<Record<string, number>>;
    readonly process: readonly InjectedFault[];
    readonly unexpectedExits: readonly string[];
  };
  readonly deploys: readonly DeployRecord[];
}

export interface StrategyChaosReport {
  readonly kind: 'bosun-chaos-strategy';
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly totalMs: number;
  readonly machine: { cpus: number; loadavg: readonly number[]; node: string };
  readonly options: Record<string, unknown>;
  readonly schedule: readonly PlannedFault[];
  readonly bosun: StrategyPhaseResult;
  readonly baseline: StrategyPhaseResult | undefined;
  readonly bosunProblems: readonly string[];
  readonly notes: readonly string[];
}

const zero = (): Counts => ({ succeeded: 0, failed: 0, lost: 0, rejected: 0, skipped: 0 });

export const STRATEGY_NOTES = [
  'Each cluster gets a first group (createServerGroup, 1/2/3), then one or two deploys in a row with one strategy: redblack (maxRemainingAsgs 2), highlander, or rollingredblack (targetPercentages 50, 100). Seeded: both systems get the same clusters, strategies, faults and process-fault offsets.',
  'Bosun: each strategy deploy is one deployWithStrategy task (rollback.onFailure with destroyLatest, so a rolled-back deploy leaves the cluster as it was). Baseline: the same deploy as the separate tasks Orca posts (highlander: create, disable and destroy the older groups; redblack: create, destroy beyond maxRemainingAsgs, disable the source; rollingredblack: pin the source by resize, create empty, grow to 50%, disable 50% of the source, grow to 100%, disable it, unpin by resize), on the legacy-style baseline (in-memory tasks, SDK retries, no compensation). A failed or lost task stops the deploy there, as Orca stops a pipeline.',
  'End state, read from moto after the run: per cluster exactly the groups the succeeded deploys should leave (extra / missing), the newest taking traffic and every other disabled (wrong traffic), no pin tag and no min above the original 1 (leaked pins). Duplicates: distinct groups AWS created in a cluster beyond the deploys posted into it (recorder in front of moto).',
];

async function runStrategyPhase(
  opts: StrategyPhaseOptions,
  start: (awsEndpoint: string) => Promise<SystemUnderTest>,
  restartServer: (() => Promise<void>) | undefined,
  log: (line: string) => void,
): Promise<StrategyPhaseResult> {
  const scenarios = planStrategyWorkload({ deploys: opts.deploys, seed: opts.seed, appPrefix: opts.appPrefix, rampMs: opts.rampMs });
  const recorder = await startAwsRecorder({ target: opts.motoEndpoint, lostAnswerRate: opts.lostAnswerRate, seed: opts.seed });
  const proxy = await startFaultProxy({ target: recorder.url, profile: profileFor(opts.faultRate, opts.seed) });
  let system: SystemUnderTest | undefined;
  try {
    system = await start(proxy.url);
    const sys = system;
    log(`${opts.system}: ${scenarios.length} clusters, ${opts.deploys} strategy deploys, ${opts.faults.length} process faults planned`);
    const started = Date.now();
    const phaseDeadline = started + opts.phaseTimeoutMs;
    const records: DeployRecord[] = [];
    const expected = new Map<string, readonly string[]>();
    const intended = new Map<string, number>();
    let tasksPosted = 0;
    let finished = false;

    const monkey = (async () => {
      const injected: InjectedFault[] = [];
      for (const fault of opts.faults) {
        const skip = (outcome: InjectedFault['outcome'], detail: string) =>
          injected.push({ kind: fault.kind, plannedAtMs: fault.atMs, atMs: undefined, tookMs: undefined, outcome, detail });
        if (fault.kind === 'server-restart' && !restartServer) {
          skip('not-applicable', `${opts.system} has no Temporal server`);
          continue;
        }
        while (!finished && Date.now() - started < fault.atMs) await sleep(Math.min(250, fault.atMs - (Date.now() - started)));
        if (finished) {
          skip('not-reached', 'every deploy had finished');
          continue;
        }
        const at = Date.now() - started;
        const t0 = Date.now();
        try {
          if (fault.kind === 'worker-kill') await sys.killWorker();
          else if (fault.kind === 'facade-restart') await sys.restartFacade();
          else if (fault.kind === 'server-restart') await restartServer!();
          else throw new Error(`${fault.kind} needs a Temporal cluster`);
          injected.push({ kind: fault.kind, plannedAtMs: fault.atMs, atMs: at, tookMs: Date.now() - t0, outcome: 'done' });
          log(`${opts.system}: ${fault.kind} at ${(at / 1000).toFixed(1)} s`);
        } catch (err) {
          injected.push({
            kind: fault.kind,
            plannedAtMs: fault.atMs,
            atMs: at,
            tookMs: Date.now() - t0,
            outcome: 'error',
            detail: (err as Error).message,
          });
        }
      }
      return injected;
    })();

    let step = 0;
    const post = (s: StrategyScenario, p: Post, index: number): Promise<OpOutcome> => {
      tasksPosted++;
      const n = step++;
      const id = clientRequestIdFor(opts.runId, s.app, n);
      const req = { path: '/aws/ops', body: p.body, headers: headersFor(s.app, `${opts.runId}:${s.app}:${index}`) };
      return runOperation(() => sys.url, req, p.deploy, id, Math.min(Date.now() + opts.opTimeoutMs, phaseDeadline), opts.client);
    };

    const runCluster = async (s: StrategyScenario): Promise<void> => {
      await sleep(s.startDelayMs);
      let groups: string[] = [];
      let stopped = false;
      intended.set(s.cluster, 0);
      const made = () => intended.set(s.cluster, (intended.get(s.cluster) ?? 0) + 1);
      for (let index = 0; index <= s.deploys; index++) {
        const base = { app: s.app, cluster: s.cluster, strategy: s.strategy, index };
        if (stopped) {
          records.push({ ...base, tasks: [], status: 'skipped', newGroup: undefined, latencyMs: undefined });
          continue;
        }
        const t0 = Date.now();
        const tasks: { label: string; status: OpOutcome['status'] | 'skipped'; reason?: string }[] = [];
        let newGroup: string | undefined;
        let status: DeployRecord['status'] = 'succeeded';
        const run = async (p: Post): Promise<OpOutcome> => {
          const o = await post(s, p, index);
          tasks.push({ label: p.label, status: o.status, ...(o.reason ? { reason: o.reason } : {}) });
          if (o.status !== 'succeeded') status = o.status;
          return o;
        };
        if (index === 0 || opts.system === 'bosun') {
          made();
          const o = await run(index === 0 ? seedPost(s, opts.amiName) : bosunDeployPost(s, opts.amiName));
          newGroup = o.status === 'succeeded' ? o.deployedGroups[REGION] : undefined;
        } else {
          const seq = baselineDeployPosts(s, opts.amiName, groups);
          for (const p of seq.before) if (status === 'succeeded') await run(p);
          if (status === 'succeeded') {
            made();
            const o = await run(seq.create);
            newGroup = o.status === 'succeeded' ? o.deployedGroups[REGION] : undefined;
            if (newGroup) for (const p of seq.rest(newGroup)) if (status === 'succeeded') await run(p);
          }
        }
        if (status === 'succeeded' && !newGroup) status = 'failed';
        records.push({ ...base, tasks, status, newGroup, latencyMs: Date.now() - t0 });
        if (status === 'succeeded') {
          groups = index === 0 ? [newGroup!] : groupsAfter(s.strategy, groups, newGroup!);
          expected.set(s.cluster, groups);
        } else {
          stopped = true;
        }
      }
    };

    const progress = setInterval(() => {
      log(
        `${opts.system}: ${records.length}/${scenarios.length + opts.deploys} deploys finished after ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }, 15_000);
    try {
      await Promise.all(scenarios.map(runCluster));
    } finally {
      clearInterval(progress);
      finished = true;
    }
    const wallMs = Date.now() - started;
    const injected = await monkey;
    await system.stop();
    const unexpectedExits = [...system.unexpectedExits];
    system = undefined;

    const actual = await readClusters(opts.motoEndpoint, opts.appPrefix);
    const endState = checkClusters(scenarios, expected, actual);
    const counts = zero();
    const seeds = zero();
    const byStrategy: Record<string, Counts> = Object.fromEntries(STRATEGIES.map((k) => [k, zero()]));
    for (const r of records) {
      if (r.index === 0) seeds[r.status]++;
      else {
        counts[r.status]++;
        byStrategy[r.strategy]![r.status]++;
      }
    }
    const lat = records
      .filter((r) => r.index > 0 && r.status === 'succeeded')
      .map((r) => r.latencyMs!)
      .sort((a, b) => a - b);
    const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)]! : 0);
    return {
      system: opts.system,
      appPrefix: opts.appPrefix,
      clusters: scenarios.length,
      counts,
      byStrategy,
      seeds,
      tasksPosted,
      endState,
      duplicates: findDuplicates(recorder.creations, intended, opts.appPrefix),
      timing: { wallMs, deployLatencyMs: { p50: pct(50), p95: pct(95), max: pct(100) } },
      faults: { proxy: { ...proxy.counts }, lostAnswers: { ...recorder.lostAnswers }, process: injected, unexpectedExits },
      deploys: [...records].sort((a, b) => a.app.localeCompare(b.app) || a.index - b.index),
    };
  } finally {
    if (system) await system.stop().catch(() => undefined);
    await proxy.close();
    await recorder.close();
  }
}

export function strategyProblemsOf(r: StrategyPhaseResult): string[] {
  const p: string[] = [];
  if (r.counts.failed) p.push(`${r.counts.failed} deploys failed`);
  if (r.counts.lost) p.push(`${r.counts.lost} deploys lost`);
  if (r.counts.rejected) p.push(`${r.counts.rejected} deploys never accepted`);
  if (r.seeds.failed + r.seeds.lost + r.seeds.rejected) p.push(`${r.seeds.failed + r.seeds.lost + r.seeds.rejected} first groups not made`);
  const e = r.endState;
  if (e.leakedPins) p.push(`${e.leakedPins} leaked pins`);
  if (e.extraGroups) p.push(`${e.extraGroups} extra groups`);
  if (e.missingGroups) p.push(`${e.missingGroups} missing groups`);
  if (e.wrongTraffic) p.push(`${e.wrongTraffic} groups with the wrong traffic state`);
  if (r.duplicates.extraGroups) p.push(`${r.duplicates.extraGroups} duplicate groups created`);
  return p;
}

function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

/** The strategy workload: `options.ops` is the number of strategy deploys. */
export async function runStrategyChaos(
  options: ChaosOptions,
  stack: ChaosStack,
  log: (line: string) => void,
): Promise<StrategyChaosReport> {
  const started = Date.now();
  const tag = randomBytes(3)
    .toString('hex')
    .replace(/^[0-9]/, 'k');
  const runId = `chaos-strategy-${options.seed}-${tag}`;
  const amiName = await findAmiName(stack.motoEndpoint);
  const schedule = planProcessFaults({
    seed: options.seed,
    workerKills: options.workerKills,
    serverRestarts: stack.restartTemporal ? options.serverRestarts : 0,
    facadeRestarts: options.facadeRestarts,
    clusterKills: undefined,
    windowStartMs: options.faultWindowStartMs,
    windowEndMs: options.faultWindowEndMs,
    minGapMs: options.faultMinGapMs,
  });
  const phase = (system: 'bosun' | 'baseline'): StrategyPhaseOptions => ({
    system,
    runId,
    appPrefix: `s${tag}${system === 'bosun' ? 'b' : 'l'}`,
    deploys: options.ops,
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
    `chaos ${runId}: ${options.ops} strategy deploys, fault rate ${options.faultRate}, ${schedule.map((f) => `${f.kind}@${(f.atMs / 1000).toFixed(0)}s`).join(', ')}`,
  );
  const facadePort = await freePort();
  const bosun = await runStrategyPhase(
    phase('bosun'),
    (awsEndpoint) =>
      startBosunSystem({
        temporalAddress: stack.temporalAddress,
        awsEndpoint,
        taskQueue: `chaos-${tag}`,
        stateDir: path.join(stack.workDir, 'bosun'),
        facadePort,
        workers: options.workers,
        temporalEnv: stack.temporalEnv,
        workflowBundle: stack.workflowBundle,
        accounts: ACCOUNTS_JSON,
        pollInterval: options.awsPollInterval,
        retryWindow: options.retryWindow,
        launcher: options.launcher,
      }),
    stack.restartTemporal,
    log,
  );
  log(
    `bosun: ${JSON.stringify(bosun.counts)}; end state ${JSON.stringify({ ...bosun.endState, problems: bosun.endState.problems.length })}`,
  );
  let baseline: StrategyPhaseResult | undefined;
  if (options.baseline) {
    await stack.resetMoto?.();
    const port = await freePort();
    baseline = await runStrategyPhase(
      phase('baseline'),
      (awsEndpoint) =>
        startBaselineSystem({
          awsEndpoint,
          port,
          accounts: ACCOUNTS_JSON,
          pollIntervalMs: durationMs(options.awsPollInterval),
          logDir: path.join(stack.workDir, 'baseline'),
          launcher: options.launcher,
        }),
      undefined,
      log,
    );
    log(
      `baseline: ${JSON.stringify(baseline.counts)}; end state ${JSON.stringify({ ...baseline.endState, problems: baseline.endState.problems.length })}`,
    );
  }
  const finished = Date.now();
  return {
    kind: 'bosun-chaos-strategy',
    version: 1,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    totalMs: finished - started,
    machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10), node: process.version },
    options: { ...options, workload: 'strategy', runId, amiName },
    schedule,
    bosun,
    baseline,
    bosunProblems: strategyProblemsOf(bosun),
    notes: STRATEGY_NOTES,
  };
}

export function renderStrategyMarkdown(r: StrategyChaosReport): string {
  const systems = [r.bosun, ...(r.baseline ? [r.baseline] : [])];
  const head = `| | ${systems.map((s) => s.system).join(' | ')} |\n|---|${systems.map(() => '---:').join('|')}|\n`;
  const row = (label: string, f: (s: StrategyPhaseResult) => string | number) => `| ${label} | ${systems.map((s) => f(s)).join(' | ')} |\n`;
  const ok = (c: Counts) => `${c.succeeded} ok / ${c.failed} failed / ${c.lost} lost / ${c.rejected} rejected / ${c.skipped} skipped`;
  const faults = (s: StrategyPhaseResult, kind: string) => s.faults.process.filter((f) => f.kind === kind && f.outcome === 'done').length;
  let md = `# Chaos: deploy strategies, Bosun beside the baseline\n\n`;
  md += `${r.startedAt}, ${(r.totalMs / 1000).toFixed(0)} s, ${r.machine.cpus} CPUs (load ${r.machine.loadavg.join(' ')}), seed ${String(r.options.seed)}, fault rate ${String(r.options.faultRate)}\n\n`;
  md += head;
  md += row('clusters', (s) => s.clusters);
  md += row('first groups (createServerGroup)', (s) => ok(s.seeds));
  md += row('**strategy deploys**', (s) => ok(s.counts));
  for (const k of STRATEGIES) md += row(`&nbsp;&nbsp;${k}`, (s) => ok(s.byStrategy[k]!));
  md += row('tasks posted', (s) => s.tasksPosted);
  md += row('leaked pins (pin tag or min above original)', (s) => s.endState.leakedPins);
  md += row('extra groups (beyond what the strategy leaves)', (s) => s.endState.extraGroups);
  md += row('missing groups', (s) => s.endState.missingGroups);
  md += row('groups with the wrong traffic state', (s) => s.endState.wrongTraffic);
  md += row('duplicate groups created (extra vNNN)', (s) => s.duplicates.extraGroups);
  md += row('clusters with a problem', (s) => s.endState.problems.length);
  md += row('deploy latency p50 / p95 / max (s)', (s) =>
    [s.timing.deployLatencyMs.p50, s.timing.deployLatencyMs.p95, s.timing.deployLatencyMs.max]
      .map((x) => (x / 1000).toFixed(1))
      .join(' / '),
  );
  md += row('wall time (s)', (s) => (s.timing.wallMs / 1000).toFixed(0));
  md += row('AWS faults injected (proxy)', (s) =>
    Object.entries(s.faults.proxy)
      .filter(([k]) => k !== 'forwarded')
      .reduce((n, [, v]) => n + v, 0),
  );
  md += row('answers lost after AWS acted', (s) => Object.values(s.faults.lostAnswers).reduce((n, v) => n + v, 0));
  md += row('worker kills done', (s) => faults(s, 'worker-kill'));
  md += row('facade restarts done', (s) => faults(s, 'facade-restart'));
  md += row('Temporal server restarts done', (s) => faults(s, 'server-restart'));
  md += `\nBosun problems: ${r.bosunProblems.length ? r.bosunProblems.join('; ') : 'none'}\n`;
  for (const s of systems) {
    if (!s.endState.problems.length) continue;
    md += `\n## ${s.system}: clusters with a problem (first 20)\n\n`;
    for (const c of s.endState.problems.slice(0, 20)) md += `- ${c.cluster} (${c.strategy}): ${c.problems.join('; ')}\n`;
    const notOk = s.deploys.filter((d) => d.status !== 'succeeded' && d.status !== 'skipped').slice(0, 20);
    if (notOk.length) {
      md += `\n${s.system}: deploys that did not succeed (first 20)\n\n`;
      for (const d of notOk)
        md += `- ${d.cluster} #${d.index} (${d.index ? d.strategy : 'first group'}): ${d.status} at ${d.tasks.at(-1)?.label ?? '?'}${d.tasks.at(-1)?.reason ? `: ${d.tasks.at(-1)!.reason!.slice(0, 200)}` : ''}\n`;
    }
  }
  md += `\n## Notes\n\n${r.notes.map((n) => `- ${n}`).join('\n')}\n`;
  return md;
}
