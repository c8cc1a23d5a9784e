/**
 * The Orca workload's report: Bosun and the baseline side by side, as markdown (committed under
 * bench/results/ and printed at the end of the run) and as JSON (everything, per operation).
 */
import type { ClusterFault } from './schedule';
import { CLUSTER_FAULTS } from './schedule';
import { disabledTwice } from './aws-recorder';
import type { ChaosRunReport } from './chaos';
import type { PhaseResult, StepRecord } from './run';

export type ChaosReport = ChaosRunReport<PhaseResult>;

/** Everything that breaks Bosun's promise in one phase; empty = clean. */
export function problemsOf(r: PhaseResult): string[] {
  const p: string[] = [];
  if (r.counts.failed) p.push(`${r.counts.failed} failed`);
  if (r.counts.lost) p.push(`${r.counts.lost} lost`);
  if (r.counts.rejected) p.push(`${r.counts.rejected} never accepted`);
  if (r.duplicates.extraGroups + r.duplicates.extraLaunchTemplates) {
    p.push(`${r.duplicates.extraGroups} duplicated groups, ${r.duplicates.extraLaunchTemplates} duplicated launch templates`);
  }
  const leaked = r.leaks.groups.length + r.leaks.launchTemplates.length + r.leaks.instances.length;
  if (leaked)
    p.push(
      `${r.leaks.groups.length} leaked groups, ${r.leaks.launchTemplates.length} leaked launch templates, ${r.leaks.instances.length} leaked instances`,
    );
  if (r.leaks.missingGroups.length) p.push(`${r.leaks.missingGroups.length} reported groups missing`);
  const e = r.endState;
  if (e.duplicated.length) p.push(`${e.duplicated.length} duplicated by day-two steps`);
  if (e.leaked.length) p.push(`${e.leaked.length} left behind by day-two steps`);
  if (e.wrong.length) p.push(`${e.wrong.length} day-two effects missing`);
  if (r.faults.unexpectedExits.length) p.push(`${r.faults.unexpectedExits.length} processes exited on their own`);
  return p;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function processFaults(r: PhaseResult, kind: string): string {
  const all = r.faults.process.filter((f) => f.kind === kind);
  if (all.length === 0) return '0';
  const done = all.filter((f) => f.outcome === 'done').length;
  if (all.every((f) => f.outcome === 'not-applicable')) return 'n/a';
  const extra = all.length - done;
  return `${done}${extra ? ` (+${extra} ${all.find((f) => f.outcome !== 'done')!.outcome})` : ''}`;
}

/** Rows of the side-by-side table: label, Bosun, baseline (or two Bosun runs: the dev server's and the cluster's). */
export function tableRows(bosun: PhaseResult, baseline: PhaseResult | undefined): string[][] {
  const row = (label: string, f: (r: PhaseResult) => string | number): string[] => [
    label,
    String(f(bosun)),
    baseline ? String(f(baseline)) : '(not run)',
  ];
  return [
    row('operations planned', (r) => r.planned),
    row('posted', (r) => r.counts.posted),
    row('accepted', (r) => r.counts.accepted),
    row('succeeded', (r) => r.counts.succeeded),
    row('failed', (r) => r.counts.failed),
    row('lost (404 or not finished by the deadline)', (r) => r.counts.lost),
    row('never accepted (POST)', (r) => r.counts.rejected),
    row('skipped (pipeline stopped at an earlier step)', (r) => r.counts.skipped),
    row('duplicated groups / launch templates', (r) => `${r.duplicates.extraGroups} / ${r.duplicates.extraLaunchTemplates}`),
    row(
      'leaked groups / launch templates / instances',
      (r) => `${r.leaks.groups.length} / ${r.leaks.launchTemplates.length} / ${r.leaks.instances.length}`,
    ),
    row('reported groups missing', (r) => r.leaks.missingGroups.length),
    row('groups disabled twice (no enable between) / beyond the plan', (r) => disabledTwice(r.disables)),
    row(
      'day-two end state: duplicated / left behind / missing (of checks)',
      (r) => `${r.endState.duplicated.length} / ${r.endState.leaked.length} / ${r.endState.wrong.length} (of ${r.endState.checked})`,
    ),
    row('time to complete (first POST to last answer)', (r) => s(r.timing.wallMs)),
    row(
      'operation time p50 / p95 / max (succeeded)',
      (r) => `${s(r.timing.opLatencyMs.p50)} / ${s(r.timing.opLatencyMs.p95)} / ${s(r.timing.opLatencyMs.max)}`,
    ),
    row('POST retries / resumes / polls without answer', (r) => `${r.client.postRetries} / ${r.client.resumes} / ${r.client.pollErrors}`),
    row('AWS requests through the proxy', (r) => Object.values(r.faults.proxy).reduce((a, b) => a + b, 0) - r.faults.proxy.latency),
    row(
      'faults: throttled / 500 / 503 / reset',
      (r) => `${r.faults.proxy.throttle} / ${r.faults.proxy.serverError} / ${r.faults.proxy.unavailable} / ${r.faults.proxy.reset}`,
    ),
    row('faults: delayed (up to 300 ms)', (r) => r.faults.proxy.latency),
    row('faults: answer lost after AWS acted', (r) => Object.values(r.faults.lostAnswers).reduce((a, b) => a + b, 0)),
    row('worker kills (SIGKILL)', (r) => processFaults(r, 'worker-kill')),
    row('Temporal server restarts', (r) => processFaults(r, 'server-restart')),
    row('facade restarts', (r) => processFaults(r, 'facade-restart')),
    // Only a run on a Temporal cluster has these (the dev-server report keeps its rows).
    ...CLUSTER_FAULTS.filter((kind) => [bosun, baseline].some((r) => r?.faults.process.some((f) => f.kind === kind))).map((kind) =>
      row(CLUSTER_FAULT_LABELS[kind], (r) => processFaults(r, kind)),
    ),
    row('processes that exited on their own', (r) => r.faults.unexpectedExits.length),
  ];
}

const CLUSTER_FAULT_LABELS: Record<ClusterFault, string> = {
  'history-kill': 'Temporal history node kills (SIGKILL)',
  'matching-kill': 'Temporal matching kills (SIGKILL)',
  'frontend-kill': 'Temporal frontend kills (SIGKILL)',
  'temporal-worker-kill': 'Temporal worker-service kills (SIGKILL)',
  'postgres-kill': 'PostgreSQL crashes (pg_ctl -m immediate)',
};

const STATUSES = ['succeeded', 'failed', 'lost', 'rejected', 'skipped'] as const;

/** Markdown rows: per operation, how its steps ended on Bosun (and on the baseline). */
export function renderByOperation(bosun: PhaseResult, baseline: PhaseResult | undefined): string[] {
  const cell = (r: PhaseResult | undefined, op: string) =>
    r ? STATUSES.map((st) => r.byOperation[op]?.[st] ?? 0).join(' / ') : '(not run)';
  const ops = [...new Set([...Object.keys(bosun.byOperation), ...Object.keys(baseline?.byOperation ?? {})])].sort();
  return [
    `| operation | Bosun ${STATUSES.join(' / ')} | baseline ${STATUSES.join(' / ')} |`,
    '|---|---:|---:|',
    ...ops.map((op) => `| ${op} | ${cell(bosun, op)} | ${cell(baseline, op)} |`),
  ];
}

function reasons(r: PhaseResult): [string, number][] {
  const m = new Map<string, number>();
  for (const st of r.steps) {
    if (st.outcome.status !== 'failed' && st.outcome.status !== 'lost' && st.outcome.status !== 'rejected') continue;
    // Numbers and ids vary per task; the shape of the reason is what repeats.
    const reason = `${st.outcome.status}: ${(st.outcome.reason ?? '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').replace(/\b(i|lt|ami|sg|subnet)-[0-9a-f]+\b/g, '$1-…')}`;
    m.set(reason, (m.get(reason) ?? 0) + 1);
  }
  return [...m].sort((a, b) => b[1] - a[1]);
}

function badSteps(r: PhaseResult): StepRecord[] {
  return r.steps.filter((st) => st.outcome.status === 'failed' || st.outcome.status === 'lost' || st.outcome.status === 'rejected');
}

export function renderMarkdown(report: ChaosReport): string {
  const o = report.options;
  const md: string[] = [];
  const onCluster = typeof report.setup.temporal === 'string' ? report.setup.temporal : undefined;
  md.push(onCluster ? `# Chaos run on a Temporal cluster: ${onCluster}` : `# Chaos run: Bosun vs a legacy-style executor`, '');
  md.push(
    `${report.startedAt} · ${report.machine.cpus} CPUs · Node ${report.machine.node} · total ${s(report.totalMs)}. ` +
      `Options: \`--ops ${String(o.ops)} --fault-rate ${String(o.faultRate)} --seed ${String(o.seed)} --worker-kills ${String(o.workerKills)} ` +
      `--server-restarts ${String(o.serverRestarts)} --facade-restarts ${String(o.facadeRestarts)} --poll-ms ${String(o.pollMs)}` +
      (onCluster
        ? ` --temporal cluster --workers ${String(o.workers)} --facades ${String(o.facades)} --history-kills ${String(o.historyKills)} --matching-kills ${String(o.matchingKills)} ` +
          `--frontend-kills ${String(o.frontendKills)} --temporal-worker-kills ${String(o.temporalWorkerKills)} --postgres-kills ${String(o.postgresKills)} --service-downtime-ms ${String(o.serviceDowntimeMs)}`
        : '') +
      `\`` +
      ` (answers lost after AWS acted: ${String(o.lostAnswerRate)} of mutating calls; scenarios started over ${s(Number(o.rampMs))}; process faults between ${s(Number(o.faultWindowStartMs))} and ${s(Number(o.faultWindowEndMs))}; per-operation deadline ${s(Number(o.opTimeoutMs))}; phase bound ${s(Number(o.phaseTimeoutMs))}).`,
    '',
  );
  const st = report.setup;
  md.push(
    `Setup: ${onCluster ? 'Temporal cluster' : 'Temporal dev server'} and moto ready in ${s(Number(st.stackReadyMs ?? 0))}, workflow bundle built once in ${s(Number(st.workflowBundleMs ?? 0))}; ` +
      `children started with \`${String(st.launcher)}\`` +
      (Array.isArray(st.temporalRestartMs) && st.temporalRestartMs.length
        ? `; Temporal restarts took ${(st.temporalRestartMs as number[]).map(s).join(', ')}`
        : '') +
      '.',
    '',
  );
  const rows = tableRows(report.bosun, report.baseline);
  md.push('| | Bosun | baseline |', '|---|---:|---:|', ...rows.map((r) => `| ${r.join(' | ')} |`), '');
  md.push(
    report.bosunProblems.length
      ? `**Bosun: not clean** — ${report.bosunProblems.join('; ')}.`
      : '**Bosun: clean** — nothing failed, lost, duplicated or leaked.',
    '',
  );
  const mix = new Map<string, number>();
  for (const st of report.bosun.steps) mix.set(st.operation, (mix.get(st.operation) ?? 0) + 1);
  md.push(
    `Workload: ${report.bosun.scenarios} applications, each an Orca-style scenario (red/black, rollback, scale, group settings, scaling and alarms, instances, clean-up) run concurrently; ` +
      [...mix].map(([op, n]) => `${n} × ${op}`).join(', ') +
      '.',
    '',
  );
  md.push('## Operations by type', '');
  md.push(...renderByOperation(report.bosun, report.baseline), '');
  md.push('## Process faults (same offsets for both systems)', '');
  md.push('| planned at | fault | Bosun | baseline |', '|---:|---|---|---|');
  report.schedule.forEach((f, i) => {
    const b = report.bosun.faults.process[i];
    const l = report.baseline?.faults.process[i];
    const cell = (x: typeof b) =>
      !x
        ? '—'
        : x.outcome === 'done'
          ? `at ${s(x.atMs ?? 0)}, back in ${s(x.tookMs ?? 0)}${x.detail ? ` (${x.detail})` : ''}`
          : `${x.outcome}${x.detail ? ` (${x.detail})` : ''}`;
    md.push(`| ${s(f.atMs)} | ${f.kind} | ${cell(b)} | ${cell(l)} |`);
  });
  md.push('');
  for (const r of [report.bosun, report.baseline]) {
    if (!r) continue;
    const rs = reasons(r);
    md.push(`## ${r.system}: operations that did not succeed`, '');
    if (rs.length === 0) {
      md.push('None.', '');
    } else {
      md.push(
        '| count | outcome and reason |',
        '|---:|---|',
        ...rs.map(([reason, n]) => `| ${n} | ${reason.replace(/\|/g, '\\|').slice(0, 300)} |`),
        '',
      );
    }
    const bad = badSteps(r);
    if (r.system === 'bosun' && bad.length) {
      md.push('Bosun tasks, for `temporal workflow show -w <task id>`:', '');
      for (const st of bad) {
        md.push(
          `- \`${st.outcome.skipped ? '' : (st.outcome.taskId ?? 'no task')}\` ${st.app} step ${st.step} ${st.operation}: ${st.outcome.reason ?? ''}`,
        );
        if (!st.outcome.skipped) for (const h of st.outcome.lastHistory) md.push(`  - ${h}`);
      }
      md.push('');
    }
    if (r.duplicates.clusters.length) {
      md.push(`Duplicated in ${r.system}:`, '');
      for (const c of r.duplicates.clusters.slice(0, 20)) {
        md.push(
          `- ${c.cluster}: ${c.intendedDeploys} deploys posted; groups created ${c.groupsCreated.join(', ')}; launch templates created ${c.launchTemplatesCreated.join(', ')}`,
        );
      }
      md.push('');
    }
    for (const [label, list] of [
      ['duplicated by day-two steps', r.endState.duplicated],
      ['left behind by day-two steps', r.endState.leaked],
      ['day-two effects missing', r.endState.wrong],
    ] as const) {
      if (list.length)
        md.push(`${r.system}, ${label} (${list.length}): ${list.slice(0, 30).join('; ')}${list.length > 30 ? '; …' : ''}`, '');
    }
    if (r.disables.groups.length) {
      const list = r.disables.groups.map((g) => `${g.group}: ${g.changes} (plan: ${g.planned})`);
      md.push(`${r.system}, groups disabled twice or beyond the plan (${list.length}): ${list.slice(0, 30).join('; ')}`, '');
    }
    const leaks = [
      ...r.leaks.groups.map((g) => `group ${g}`),
      ...r.leaks.launchTemplates.map((t) => `launch template ${t}`),
      ...r.leaks.instances.map((i) => `instance ${i}`),
    ];
    if (leaks.length)
      md.push(`Leaked in ${r.system} (${leaks.length}): ${leaks.slice(0, 30).join(', ')}${leaks.length > 30 ? ', …' : ''}`, '');
  }
  const slow = report.bosun.steps
    .flatMap((st) =>
      st.outcome.skipped || st.outcome.status !== 'succeeded' ? [] : [{ st, ms: st.outcome.finishedAtMs - st.outcome.submittedAtMs }],
    )
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5);
  if (slow.length) {
    md.push('## Slowest Bosun operations', '', '| time | operation | task id |', '|---:|---|---|');
    for (const { st, ms } of slow)
      md.push(`| ${s(ms)} | ${st.app} step ${st.step} ${st.operation} | \`${st.outcome.skipped ? '' : (st.outcome.taskId ?? '')}\` |`);
    md.push('');
  }
  if (report.notes.length) md.push('## How to read this', '', ...report.notes.map((n) => `- ${n}`), '');
  return md.join('\n');
}

/**
 * The same workload on the dev server and on a Temporal cluster, side by side (the cluster run's
 * markdown ends with it; `dev` is the committed dev-server run, when there is one).
 */
export function renderComparison(dev: ChaosReport | undefined, cluster: ChaosReport): string {
  const md: string[] = ['## Cluster vs dev server', ''];
  if (!dev) return [...md, 'No dev-server run in bench/results/chaos-full.json to compare with.', ''].join('\n');
  const both = (f: (r: ChaosReport) => string | number) => [String(f(dev)), String(f(cluster))];
  const rows = [
    [
      'run',
      ...both(
        (r) =>
          `${r.startedAt.slice(0, 10)}, seed ${String(r.options.seed)}, ${String(r.options.ops)} ops, fault rate ${String(r.options.faultRate)}`,
      ),
    ],
    ['Bosun processes', ...both((r) => `${Number(r.options.workers ?? 1)} workers, ${Number(r.options.facades ?? 1)} facades`)],
    ...tableRows(dev.bosun, cluster.bosun),
    ['Bosun clean', ...both((r) => (r.bosunProblems.length ? `no: ${r.bosunProblems.join('; ')}` : 'yes'))],
  ];
  md.push('| | dev server (SQLite) | cluster (PostgreSQL, 5 services) |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`), '');
  const rec = cluster.setup.clusterRecoveries as
    { service: string; downMs: number; restartMs: number; servingAfterKillMs: number }[] | undefined;
  if (rec?.length) {
    md.push(
      '### Cluster faults: what was killed and how long recovery took',
      '',
      '| service | down for | ready after restart | serving again after the kill |',
      '|---|---:|---:|---:|',
    );
    for (const r of rec) md.push(`| ${r.service} | ${s(r.downMs)} | ${s(r.restartMs)} | ${s(r.servingAfterKillMs)} |`);
    md.push('');
  }
  return md.join('\n');
}
