/**
 * The strategy workload of the chaos run (`npm run chaos -- --workload strategy`; chaos.ts runs
 * its phases): Bosun's deployWithStrategy against the baseline's Orca-style task sequences, then
 * every cluster checked in moto (strategy-workload.ts).
 */
import type { OpOutcome } from '../../test/support/orca-client';
import { runOperation } from '../../test/support/orca-client';
import { sleep } from '../../test/support/child-process';
import { disabledTwice } from './aws-recorder';
import type { ChaosRunReport, ChaosWorkload, PhaseMeasures, PhaseWork } from './chaos';
import { latencyPercentiles } from './run';
import { readEmulator } from './sweep';
import type { DeployRecord, Post, StrategyEndState, StrategyScenario } from './strategy-workload';
import {
  baselineDeployPosts,
  bosunDeployPost,
  checkClusters,
  clustersOf,
  disabledBy,
  groupsAfter,
  planStrategyWorkload,
  seedPost,
  STRATEGIES,
} from './strategy-workload';
import { clientRequestIdFor, headersFor, REGION } from './workload';

type Counts = Record<DeployRecord['status'], number>;

export interface StrategyPhaseResult extends Omit<PhaseMeasures, 'wallMs'> {
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
  readonly timing: { readonly wallMs: number; readonly deployLatencyMs: { p50: number; p95: number; max: number } };
  readonly deploys: readonly DeployRecord[];
}

const zero = (): Counts => ({ succeeded: 0, failed: 0, lost: 0, rejected: 0, skipped: 0 });

const STRATEGY_NOTES = [
  'Each cluster gets a first group (createServerGroup, 1/2/3), then one or two deploys in a row with one strategy: redblack (maxRemainingAsgs 2), highlander, or rollingredblack (targetPercentages 50, 100). Seeded: both systems get the same clusters, strategies, faults and process-fault offsets.',
  'Bosun: each strategy deploy is one deployWithStrategy task (rollback.onFailure with destroyLatest, so a rolled-back deploy leaves the cluster as it was). Baseline: the same deploy as the separate tasks Orca posts (highlander: create, disable and destroy the older groups; redblack: create, destroy beyond maxRemainingAsgs, disable the source; rollingredblack: pin the source by resize, create empty, grow to 50%, disable 50% of the source, grow to 100%, disable it, unpin by resize), on the legacy-style baseline (in-memory tasks, SDK retries, no compensation). A failed or lost task stops the deploy there, as Orca stops a pipeline.',
  'End state, read from moto after the run: per cluster exactly the groups the succeeded deploys should leave (extra / missing), the newest taking traffic and every other disabled (wrong traffic), no pin tag and no min above the original 1 (leaked pins). Duplicates: distinct groups AWS created in a cluster beyond the deploys posted into it (recorder in front of moto).',
  "Groups disabled twice: the recorder in front of moto writes down every disable (a SuspendProcesses carrying AddToLoadBalancer, of Clouddriver's disable set Launch, Terminate, AddToLoadBalancer) and enable (the ResumeProcesses of it) AWS performed, per group; a group disabled again with no enable in between counts, as does one disabled more often than the posted deploys call for (the enabled source of each deploy, once; a 50% disable suspends nothing, as in Clouddriver). A second disable changes nothing on the group (Clouddriver's disable is idempotent), but it is a call no plan asked for. Target deregistration is not counted: these groups are behind no load balancer.",
];

/** Deploys with a strategy: `--ops` strategy deploys, into clusters that each get a first group. */
export const STRATEGY_WORKLOAD: ChaosWorkload<StrategyPhaseResult> = {
  names: { report: 'bosun-chaos-strategy', runId: 'chaos-strategy', apps: 's', ops: 'strategy deploys' },
  async prepare(opts): Promise<PhaseWork<StrategyPhaseResult>> {
    const scenarios = planStrategyWorkload({ deploys: opts.ops, seed: opts.seed, appPrefix: opts.appPrefix, rampMs: opts.rampMs });
    const records: DeployRecord[] = [];
    const expected = new Map<string, readonly string[]>();
    const deploys = new Map<string, number>();
    const disables = new Map<string, number>();
    let tasksPosted = 0;
    let step = 0;
    const runCluster = async (sys: { readonly url: string }, s: StrategyScenario, phaseDeadline: number): Promise<void> => {
      await sleep(s.startDelayMs);
      let groups: string[] = [];
      let stopped = false;
      deploys.set(s.cluster, 0);
      const made = () => deploys.set(s.cluster, (deploys.get(s.cluster) ?? 0) + 1);
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
          tasksPosted++;
          const id = clientRequestIdFor(opts.runId, s.app, step++);
          const req = { path: '/aws/ops', body: p.body, headers: headersFor(s.app, `${opts.runId}:${s.app}:${index}`) };
          const deadline = Math.min(Date.now() + opts.opTimeoutMs, phaseDeadline);
          const o = await runOperation(() => sys.url, req, p.deploy, id, deadline, opts.client);
          tasks.push({ label: p.label, status: o.status, ...(o.reason ? { reason: o.reason } : {}) });
          if (o.status !== 'succeeded') status = o.status;
          return o;
        };
        if (index > 0) for (const g of disabledBy(s.strategy, groups)) disables.set(g, (disables.get(g) ?? 0) + 1);
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
    return {
      summary: `${scenarios.length} clusters, ${opts.ops} strategy deploys`,
      progress: () => `${records.length}/${scenarios.length + opts.ops} deploys`,
      async run(sys, phaseDeadline) {
        await Promise.all(scenarios.map((s) => runCluster(sys, s, phaseDeadline)));
        return { deploys, disables };
      },
      async collect({ wallMs, ...measures }) {
        const actual = clustersOf(await readEmulator(opts.motoEndpoint, opts.appPrefix));
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
        const latencies = records.filter((r) => r.index > 0 && r.status === 'succeeded').map((r) => r.latencyMs!);
        return {
          system: opts.system,
          appPrefix: opts.appPrefix,
          clusters: scenarios.length,
          counts,
          byStrategy,
          seeds,
          tasksPosted,
          endState: checkClusters(scenarios, expected, actual),
          ...measures,
          timing: { wallMs, deployLatencyMs: latencyPercentiles(latencies) },
          deploys: [...records].sort((a, b) => a.app.localeCompare(b.app) || a.index - b.index),
        };
      },
    };
  },
  problems(r) {
    const p: string[] = [];
    if (r.counts.failed) p.push(`${r.counts.failed} deploys failed`);
    if (r.counts.lost) p.push(`${r.counts.lost} deploys lost`);
    if (r.counts.rejected) p.push(`${r.counts.rejected} deploys never accepted`);
    if (r.seeds.failed + r.seeds.lost + r.seeds.rejected)
      p.push(`${r.seeds.failed + r.seeds.lost + r.seeds.rejected} first groups not made`);
    const e = r.endState;
    if (e.leakedPins) p.push(`${e.leakedPins} leaked pins`);
    if (e.extraGroups) p.push(`${e.extraGroups} extra groups`);
    if (e.missingGroups) p.push(`${e.missingGroups} missing groups`);
    if (e.wrongTraffic) p.push(`${e.wrongTraffic} groups with the wrong traffic state`);
    if (r.duplicates.extraGroups) p.push(`${r.duplicates.extraGroups} duplicate groups created`);
    if (r.disables.disabledTwice.groups) p.push(`${r.disables.disabledTwice.groups} groups disabled twice`);
    if (r.disables.beyondPlan.groups) p.push(`${r.disables.beyondPlan.groups} groups disabled beyond the plan`);
    return p;
  },
  outcome: (r) => `${JSON.stringify(r.counts)}; end state ${JSON.stringify({ ...r.endState, problems: r.endState.problems.length })}`,
  notes: () => STRATEGY_NOTES,
  markdown: renderStrategyMarkdown,
};

export function renderStrategyMarkdown(r: ChaosRunReport<StrategyPhaseResult>): string {
  const systems = [r.bosun, ...(r.baseline ? [r.baseline] : [])];
  const head = `| | ${systems.map((s) => s.system).join(' | ')} |\n|---|${systems.map(() => '---:').join('|')}|\n`;
  const row = (label: string, f: (s: StrategyPhaseResult) => string | number) => `| ${label} | ${systems.map((s) => f(s)).join(' | ')} |\n`;
  const ok = (c: Counts) => `${c.succeeded} ok / ${c.failed} failed / ${c.lost} lost / ${c.rejected} rejected / ${c.skipped} skipped`;
  const faults = (s: StrategyPhaseResult, kind: string) => s.faults.process.filter((f) => f.kind === kind && f.outcome === 'done').length;
  const sec = (ms: unknown) => `${Number(ms) / 1000} s`;
  let md = `# Chaos: deploy strategies, Bosun beside the baseline\n\n`;
  md += `${r.startedAt}, ${(r.totalMs / 1000).toFixed(0)} s, ${r.machine.cpus} CPUs (load ${r.machine.loadavg.join(' ')}), seed ${String(r.options.seed)}, fault rate ${String(r.options.faultRate)}; deploys started over ${sec(r.options.rampMs)}, process faults until ${sec(r.options.faultWindowEndMs)}, deadlines ${sec(r.options.opTimeoutMs)} per task and ${sec(r.options.phaseTimeoutMs)} per phase\n\n`;
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
  md += row('groups disabled twice (no enable between) / beyond the plan', (s) => disabledTwice(s.disables));
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
    if (!s.endState.problems.length && !s.disables.groups.length) continue;
    md += `\n## ${s.system}: clusters with a problem (first 20)\n\n`;
    for (const c of s.endState.problems.slice(0, 20)) md += `- ${c.cluster} (${c.strategy}): ${c.problems.join('; ')}\n`;
    for (const g of s.disables.groups.slice(0, 20))
      md += `- ${g.group}: ${g.changes} (plan: ${g.planned} disable${g.planned === 1 ? '' : 's'})\n`;
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
