/**
 * The Orca workload of the chaos run (chaos.ts runs its phases): per application a scenario of
 * operations posted the way Orca does, one after the other, a failed one stopping the rest; then
 * what AWS holds is swept for leaks and each day-two step's effect checked (end-state.ts).
 */
import { CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import type { SystemUnderTest } from '../../test/support/bosun-system';
import { sleep } from '../../test/support/child-process';
import type { OpOutcome } from '../../test/support/orca-client';
import { runOperation } from '../../test/support/orca-client';
import type { ChaosWorkload, PhaseMeasures, PhaseOptions, PhaseWork } from './chaos';
import type { EmulatorState, Leaks } from './sweep';
import { findLeaks, readEmulator, withMoto } from './sweep';
import type { EndState } from './end-state';
import { checkEndState } from './end-state';
import { createFixtures, readGroupFacts } from './fixtures';
import { problemsOf, renderMarkdown } from './report';
import type { AppFixture, GroupFacts, OpKind, Scenario } from './workload';
import { clientRequestIdFor, clusterOf, isDeploy, needsGroupFacts, operationLabel, planWorkload, REGION, requestFor } from './workload';

const NOTES = [
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

export interface PhaseResult extends Omit<PhaseMeasures, 'wallMs'> {
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
  await withMoto(endpoint, async ({ ec2, elbv2 }) => {
    const vpc = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.find((v) => v.IsDefault)?.VpcId;
    for (const name of wanted) {
      await elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpc, TargetType: 'instance' }));
    }
  });
}

/** p50, p95 and max of `xs` (0 for none). */
export function latencyPercentiles(xs: readonly number[]): { p50: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : 0);
  return { p50: at(50), p95: at(95), max: at(100) };
}

/** Orca-style scenarios: `--ops` operations; the default workload. */
export const ORCA_WORKLOAD: ChaosWorkload<PhaseResult> = {
  names: { report: 'bosun-chaos', runId: 'chaos', apps: 'c', ops: 'operations' },
  async prepare(opts): Promise<PhaseWork<PhaseResult>> {
    const scenarios = planWorkload({ ops: opts.ops, seed: opts.seed, appPrefix: opts.appPrefix, rampMs: opts.rampMs });
    await createTargetGroups(opts.motoEndpoint, scenarios);
    const fixtures = await createFixtures(opts.motoEndpoint, scenarios);
    const planned = scenarios.reduce((n, s) => n + s.steps.length, 0);
    const records: StepRecord[] = [];
    return {
      summary: `${scenarios.length} applications, ${planned} operations`,
      progress: () => `${records.length}/${planned} operations`,
      async run(sys, phaseDeadline) {
        await Promise.all(scenarios.map((s) => runScenario(s, sys, opts, phaseDeadline, records, fixtures.get(s.app))));
        const deploys = new Map<string, number>();
        const disables = new Map<string, number>();
        for (const r of records) {
          if (r.outcome.skipped) continue;
          if (isDeploy(r.kind)) deploys.set(clusterOf(r.app), (deploys.get(clusterOf(r.app)) ?? 0) + 1);
          if (r.kind === 'disable' && r.group) disables.set(r.group, (disables.get(r.group) ?? 0) + 1);
        }
        return { deploys, disables };
      },
      async collect(measures) {
        const state = await readEmulator(opts.motoEndpoint, opts.appPrefix);
        const endState = await checkEndState(opts.motoEndpoint, scenarios, records, fixtures);
        return summarise(opts, scenarios, records, state, endState, measures);
      },
    };
  },
  problems: problemsOf,
  outcome: (r) =>
    `done in ${(r.timing.wallMs / 1000).toFixed(1)} s: ${r.counts.succeeded} succeeded, ${r.counts.failed} failed, ${r.counts.lost} lost`,
  notes: (description) => (description ? [NOTES[0]!, description, ...NOTES.slice(2)] : NOTES),
  markdown: renderMarkdown,
};

function summarise(
  opts: PhaseOptions,
  scenarios: readonly Scenario[],
  records: readonly StepRecord[],
  state: EmulatorState,
  endState: EndState,
  { wallMs, ...measures }: PhaseMeasures,
): PhaseResult {
  const ordered = [...records].sort((a, b) => a.app.localeCompare(b.app) || a.step - b.step);
  const count = (st: string) => ordered.filter((r) => r.outcome.status === st).length;
  const ran = ordered.flatMap((r) => (r.outcome.skipped ? [] : [r.outcome]));

  // What AWS should hold: groups of succeeded deploys, minus groups a succeeded destroy removed.
  const expected = new Set<string>();
  for (const r of ordered) {
    if (r.outcome.status !== 'succeeded' || r.outcome.skipped) continue;
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
    duplicates: measures.duplicates,
    disables: measures.disables,
    leaks: findLeaks(state, expected),
    endState,
    byOperation,
    emulator: { groups: state.groups.length, launchTemplates: state.launchTemplates.length, instances: state.instances.length },
    timing: { wallMs, opLatencyMs: latencyPercentiles(latencies) },
    client: {
      postRetries: ran.reduce((n, o) => n + Math.max(0, o.postAttempts - 1), 0),
      resumes: ran.reduce((n, o) => n + o.resumes, 0),
      pollErrors: ran.reduce((n, o) => n + o.pollErrors, 0),
    },
    faults: measures.faults,
  };
}
