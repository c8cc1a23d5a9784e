/**
 * One chaos phase against one system (Bosun or the baseline): the fault proxy and the recorder
 * in front of moto, the system's processes, the per-application scenarios submitted as Orca
 * does, the process faults at their seeded moments, then the sweep of what AWS holds.
 */
import { CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { FaultKind } from '../fault-proxy';
import { profileFor, startFaultProxy } from '../fault-proxy';
import { startAwsRecorder } from './aws-recorder';
import type { SystemUnderTest } from '../../test/support/bosun-system';
import { sleep } from '../../test/support/child-process';
import type { OpOutcome, OrcaClientOptions } from '../../test/support/orca-client';
import { runOperation } from '../../test/support/orca-client';
import type { ClusterFault, PlannedFault, ProcessFault } from './schedule';
import { isClusterFault } from './schedule';
import type { Duplicates, EmulatorState, Leaks } from './sweep';
import { findDuplicates, findLeaks, readEmulator } from './sweep';
import type { EndState } from './end-state';
import { checkEndState } from './end-state';
import { createFixtures, readGroupFacts } from './fixtures';
import type { AppFixture, GroupFacts, OpKind, Scenario } from './workload';
import { clientRequestIdFor, clusterOf, isDeploy, needsGroupFacts, operationLabel, planWorkload, REGION, requestFor } from './workload';

export interface PhaseOptions {
  readonly system: 'bosun' | 'baseline';
  readonly runId: string;
  readonly appPrefix: string;
  readonly ops: number;
  readonly seed: number;
  readonly faultRate: number;
  readonly lostAnswerRate: number;
  readonly rampMs: number;
  readonly opTimeoutMs: number;
  /** The phase ends by itself at this point, whatever is still running. */
  readonly phaseTimeoutMs: number;
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

export interface StepRecord {
  readonly app: string;
  readonly template: string;
  readonly step: number;
  readonly kind: OpKind;
  readonly operation: string;
  readonly group: string | undefined;
  readonly clientRequestId: string;
  /** The group's instances and policies the step's body was built from (steps that name them). */
  readonly facts?: GroupFacts | undefined;
  readonly outcome:
    (OpOutcome & { readonly skipped?: false }) | { readonly status: 'skipped'; readonly reason: string; readonly skipped: true };
}

export interface InjectedFault {
  readonly kind: ProcessFault;
  readonly plannedAtMs: number;
  readonly atMs: number | undefined;
  readonly tookMs: number | undefined;
  readonly outcome: 'done' | 'not-reached' | 'not-applicable' | 'error';
  readonly detail?: string | undefined;
}

export interface PhaseResult {
  readonly system: 'bosun' | 'baseline';
  readonly appPrefix: string;
  readonly scenarios: number;
  readonly planned: number;
  readonly steps: readonly StepRecord[];
  readonly counts: {
    readonly posted: number;
    readonly accepted: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly lost: number;
    readonly rejected: number;
    readonly skipped: number;
  };
  readonly duplicates: Duplicates;
  readonly leaks: Leaks;
  /** What the succeeded day-two steps left in AWS (end-state.ts). */
  readonly endState: EndState;
  /** Per operation posted: how its steps ended. */
  readonly byOperation: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly emulator: { readonly groups: number; readonly launchTemplates: number; readonly instances: number };
  readonly timing: {
    readonly wallMs: number;
    readonly opLatencyMs: { readonly p50: number; readonly p95: number; readonly max: number };
  };
  readonly client: { readonly postRetries: number; readonly resumes: number; readonly pollErrors: number };
  readonly faults: {
    readonly proxy: Readonly<Record<FaultKind | 'forwarded', number>>;
    readonly lostAnswers: Readonly<Record<string, number>>;
    readonly process: readonly InjectedFault[];
    readonly unexpectedExits: readonly string[];
  };
}

export async function runPhase(opts: PhaseOptions, hooks: PhaseHooks): Promise<PhaseResult> {
  const scenarios = planWorkload({ ops: opts.ops, seed: opts.seed, appPrefix: opts.appPrefix, rampMs: opts.rampMs });
  await createTargetGroups(opts.motoEndpoint, scenarios);
  const fixtures = await createFixtures(opts.motoEndpoint, scenarios);
  const recorder = await startAwsRecorder({ target: opts.motoEndpoint, lostAnswerRate: opts.lostAnswerRate, seed: opts.seed });
  const proxy = await startFaultProxy({ target: recorder.url, profile: profileFor(opts.faultRate, opts.seed) });
  let system: SystemUnderTest | undefined;
  try {
    system = await hooks.start(proxy.url);
    const sys = system;
    hooks.log(
      `${opts.system}: ${scenarios.length} applications, ${scenarios.reduce((n, s) => n + s.steps.length, 0)} operations, ${opts.faults.length} process faults planned`,
    );

    const started = Date.now();
    const phaseDeadline = started + opts.phaseTimeoutMs;
    const records: StepRecord[] = [];
    let finished = false;

    const monkey = (async () => {
      const injected: InjectedFault[] = [];
      for (const fault of opts.faults) {
        if (fault.kind === 'server-restart' && !hooks.restartServer) {
          injected.push({
            kind: fault.kind,
            plannedAtMs: fault.atMs,
            atMs: undefined,
            tookMs: undefined,
            outcome: 'not-applicable',
            detail: `${opts.system} has no Temporal server`,
          });
          continue;
        }
        if (isClusterFault(fault.kind) && !hooks.clusterFault) {
          injected.push({
            kind: fault.kind,
            plannedAtMs: fault.atMs,
            atMs: undefined,
            tookMs: undefined,
            outcome: 'not-applicable',
            detail: `${opts.system} has no Temporal cluster`,
          });
          continue;
        }
        while (!finished && Date.now() - started < fault.atMs) await sleep(Math.min(250, fault.atMs - (Date.now() - started)));
        if (finished) {
          injected.push({
            kind: fault.kind,
            plannedAtMs: fault.atMs,
            atMs: undefined,
            tookMs: undefined,
            outcome: 'not-reached',
            detail: 'every scenario had finished',
          });
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
          injected.push({ kind: fault.kind, plannedAtMs: fault.atMs, atMs: at, tookMs: Date.now() - t0, outcome: 'done', detail });
          hooks.log(
            `${opts.system}: ${fault.kind} at ${(at / 1000).toFixed(1)} s (back after ${((Date.now() - t0) / 1000).toFixed(1)} s${detail ? `: ${detail}` : ''})`,
          );
        } catch (err) {
          injected.push({
            kind: fault.kind,
            plannedAtMs: fault.atMs,
            atMs: at,
            tookMs: Date.now() - t0,
            outcome: 'error',
            detail: (err as Error).message,
          });
          hooks.log(`${opts.system}: ${fault.kind} failed: ${(err as Error).message}`);
        }
      }
      return injected;
    })();

    const progress = setInterval(() => {
      const done = records.length;
      const planned = scenarios.reduce((n, s) => n + s.steps.length, 0);
      hooks.log(`${opts.system}: ${done}/${planned} operations finished after ${Math.round((Date.now() - started) / 1000)} s`);
    }, 15_000);
    try {
      await Promise.all(scenarios.map((s) => runScenario(s, sys, opts, phaseDeadline, records, fixtures.get(s.app))));
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
    const state = await readEmulator(opts.motoEndpoint, opts.appPrefix);
    const endState = await checkEndState(opts.motoEndpoint, scenarios, records, fixtures);
    return summarise(opts, scenarios, records, state, endState, recorder.creations, {
      wallMs,
      proxy: { ...proxy.counts },
      lostAnswers: { ...recorder.lostAnswers },
      injected,
      unexpectedExits,
    });
  } finally {
    if (system) await system.stop().catch(() => undefined);
    await proxy.close();
    await recorder.close();
  }
}

async function runScenario(
  s: Scenario,
  sys: SystemUnderTest,
  opts: PhaseOptions,
  phaseDeadline: number,
  records: StepRecord[],
  fixture: AppFixture | undefined,
): Promise<void> {
  await sleep(s.startDelayMs);
  const slots: Partial<Record<string, string>> = {};
  let stopped: string | undefined;
  for (const [i, step] of s.steps.entries()) {
    const base = {
      app: s.app,
      template: s.template,
      step: i,
      kind: step.kind,
      operation: operationLabel(step.kind),
      group: isDeploy(step.kind) ? undefined : slots[step.slot],
      clientRequestId: clientRequestIdFor(opts.runId, s.app, i),
    };
    if (stopped) {
      records.push({ ...base, outcome: { status: 'skipped', reason: stopped, skipped: true } });
      continue;
    }
    // Orca reads the group from Clouddriver's cache before a stage that names its instances or policies.
    const facts = needsGroupFacts(step.kind) && base.group ? await readGroupFacts(opts.motoEndpoint, base.group) : undefined;
    const req = requestFor(s, step, base.group, { amiName: opts.amiName, executionId: `${opts.runId}:${s.app}:${i}`, fixture, facts });
    const deadline = Math.min(Date.now() + opts.opTimeoutMs, phaseDeadline);
    const outcome = await runOperation(() => sys.url, req, isDeploy(step.kind), base.clientRequestId, deadline, opts.client);
    records.push({ ...base, facts, outcome });
    if (outcome.status === 'succeeded' && isDeploy(step.kind)) {
      const name = outcome.deployedGroups[REGION];
      if (name) slots[step.slot] = name;
    }
    // Orca stops the pipeline at a failed stage; the later steps of this application never go out.
    if (outcome.status !== 'succeeded') stopped = `step ${i} (${base.operation}) ${outcome.status}`;
  }
}

async function createTargetGroups(endpoint: string, scenarios: readonly Scenario[]): Promise<void> {
  const wanted = scenarios.flatMap((s) => (s.targetGroup ? [s.targetGroup] : []));
  if (wanted.length === 0) return;
  const config = { region: REGION, endpoint, credentials: { accessKeyId: 'chaos', secretAccessKey: 'chaos' } };
  const ec2 = new EC2Client(config);
  const elbv2 = new ElasticLoadBalancingV2Client(config);
  try {
    const vpc = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.find((v) => v.IsDefault)?.VpcId;
    for (const name of wanted) {
      await elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpc, TargetType: 'instance' }));
    }
  } finally {
    ec2.destroy();
    elbv2.destroy();
  }
}

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function summarise(
  opts: PhaseOptions,
  scenarios: readonly Scenario[],
  records: readonly StepRecord[],
  state: EmulatorState,
  endState: EndState,
  creations: Parameters<typeof findDuplicates>[0],
  extra: {
    wallMs: number;
    proxy: Record<FaultKind | 'forwarded', number>;
    lostAnswers: Record<string, number>;
    injected: InjectedFault[];
    unexpectedExits: string[];
  },
): PhaseResult {
  const ordered = [...records].sort((a, b) => a.app.localeCompare(b.app) || a.step - b.step);
  const count = (st: string) => ordered.filter((r) => r.outcome.status === st).length;
  const ran = ordered.flatMap((r) => (r.outcome.skipped ? [] : [r.outcome]));

  // What AWS should hold: groups of succeeded deploys, minus groups a succeeded destroy removed.
  const expected = new Set<string>();
  const intended = new Map<string, number>();
  for (const r of ordered) {
    if (r.outcome.skipped) continue;
    if (isDeploy(r.kind)) intended.set(clusterOf(r.app), (intended.get(clusterOf(r.app)) ?? 0) + 1);
    if (r.outcome.status !== 'succeeded') continue;
    if (isDeploy(r.kind)) for (const g of Object.values(r.outcome.deployedGroups)) expected.add(g);
    if (r.kind === 'destroy' && r.group) expected.delete(r.group);
  }
  const byOperation: Record<string, Record<string, number>> = {};
  for (const r of ordered) {
    const o = (byOperation[r.operation] ??= {});
    o[r.outcome.status] = (o[r.outcome.status] ?? 0) + 1;
  }
  const latencies = ran.filter((o) => o.status === 'succeeded').map((o) => o.finishedAtMs - o.submittedAtMs);
  return {
    system: opts.system,
    appPrefix: opts.appPrefix,
    scenarios: scenarios.length,
    planned: ordered.length,
    steps: ordered,
    counts: {
      posted: ran.length,
      accepted: ran.filter((o) => o.taskId !== undefined).length,
      succeeded: count('succeeded'),
      failed: count('failed'),
      lost: count('lost'),
      rejected: count('rejected'),
      skipped: count('skipped'),
    },
    duplicates: findDuplicates(creations, intended, opts.appPrefix),
    leaks: findLeaks(state, expected),
    endState,
    byOperation,
    emulator: { groups: state.groups.length, launchTemplates: state.launchTemplates.length, instances: state.instances.length },
    timing: {
      wallMs: extra.wallMs,
      opLatencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: percentile(latencies, 100) },
    },
    client: {
      postRetries: ran.reduce((n, o) => n + Math.max(0, o.postAttempts - 1), 0),
      resumes: ran.reduce((n, o) => n + o.resumes, 0),
      pollErrors: ran.reduce((n, o) => n + o.pollErrors, 0),
    },
    faults: { proxy: extra.proxy, lostAnswers: extra.lostAnswers, process: extra.injected, unexpectedExits: extra.unexpectedExits },
  };
}
