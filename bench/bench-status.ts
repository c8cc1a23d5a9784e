/**
 * Status: `GET /task/{id}` while many tasks run and Orca polls each of them every 5 s.
 *
 * The running tasks are real resizeServerGroup tasks, run by the real worker against moto, that
 * block in their wait for capacity: each targets a group whose one instance was marked
 * Unhealthy (SetInstanceHealth), and moto never replaces it, so `waitForServerGroupCapacity`
 * polls AWS every 10 s (the production default) until the benchmark ends. That is the state
 * Orca polls for most of a real deploy: a workflow with a few history lines in its memo,
 * search attributes and a pending activity with heartbeat details, which is what
 * DescribeWorkflowExecution has to read and the facade has to render. (Tasks on a queue with no
 * worker would be cheaper to describe than that: one event, no pending activity, one memo line.)
 * With the worker's default 100 activity slots, at most 100 tasks are inside the wait at a time;
 * the rest wait for a slot with their first activity scheduled, which is also what a real
 * worker would show under this load, and is reported.
 *
 * Completed tasks (same resize on a healthy group) are polled alongside; for them the facade
 * also reads the workflow result (describe + result).
 *
 * The worker and the facade are the production entry points (worker/main.ts,
 * client/facade/main.ts) in processes of their own, as deployed; the facade answers running tasks
 * from its list of them. The pollers (Orca) run in a process of their own too
 * (lib/status-pollers.ts), so their garbage collector's pauses are not counted as the facade's.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { DescribeAutoScalingGroupsCommand, SetInstanceHealthCommand } from '@aws-sdk/client-auto-scaling';
import { ensureEmulatorServerGroup } from '../infra/demo';
import { FacadeHttp } from '../test/support/orca-client';
import { runClosedLoop, sleep } from './lib/load';
import { round } from '../test/support/child-process';
import type { Bench, BenchContext, BenchmarkResult } from './lib/report';
import { atMost, cpuVerdict, persistenceNote, requireMeasured, resourcesTable, resultOf } from './lib/report';
import { freePort } from '../infra/stack';
import type { BosunSystem } from '../test/support/bosun-system';
import { startBosunSystem } from '../test/support/bosun-system';
import { ACCOUNT, REGION, startStack, workflowBundle } from '../test/support/stack';
import { BENCH_ACCOUNTS } from '../test/support/worker-protocol';
import { summarize } from './lib/stats';
import { persistenceCalls, TemporalMetricsWindow } from './lib/temporal-metrics';
import type { PollJob, PollResult } from './lib/status-pollers';
import { UsageWindow } from './lib/usage';

const POLL_EVERY_MS = 5000;
/** A stall of the pollers' own event loop this long would show in the tail. */
const SLOW_MS = 250;

/** How often the running tasks' waits look at AWS (BOSUN_POLL_INTERVAL): production's default. */
const AWS_POLL_INTERVAL = '10s';

export async function runStatus(ctx: BenchContext): Promise<BenchmarkResult> {
  const envelope = resultOf();
  const running = ctx.quick ? 200 : 1000;
  const completed = ctx.quick ? 10 : 50;
  const windowMs = ctx.quick ? 15_000 : 60_000;
  const blockedGroups = ctx.quick ? 4 : 10;
  const idleSamples = ctx.quick ? 30 : 100;

  const dir = `${ctx.runDir}/status`;
  // Temporal and moto only: the worker and facade are the production entry points, started below.
  const stack = await startStack({ servers: { dir }, worker: false });
  let system: BosunSystem | undefined;
  let closeHttp = () => {};
  const port = await freePort();
  try {
    system = await startBosunSystem({
      temporalAddress: () => stack.servers!.temporal.address,
      awsEndpoint: stack.servers!.moto!.endpoint,
      taskQueue: stack.taskQueue,
      stateDir: `${dir}/bosun`,
      facadePort: port,
      workflowBundle: await workflowBundle(ctx.runDir),
      accounts: JSON.stringify(BENCH_ACCOUNTS),
      // Production's defaults.
      pollInterval: AWS_POLL_INTERVAL,
      retryWindow: '2h',
      startTimeoutMs: 120_000,
    });
    const url = `http://127.0.0.1:${port}`;
    const metricsUrl = `${url}/metrics`;
    const http = new FacadeHttp(url, 64);
    closeHttp = () => http.close();
    const clients = stack.awsClients();
    const resize = (serverGroupName: string) => [
      { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName, capacity: { min: 1, max: 1, desired: 1 } } },
    ];

    // Groups whose capacity can never be reached: one instance each, marked Unhealthy.
    ctx.log(`status: creating ${blockedGroups} groups with an unhealthy instance and one healthy group`);
    const blocked = Array.from({ length: blockedGroups }, (_, i) => `benchstatus-blocked-v${String(i).padStart(3, '0')}`);
    for (const name of [...blocked, 'benchstatus-done-v000'])
      await ensureEmulatorServerGroup(clients, { name, region: REGION, min: 1, max: 1, desired: 1 });
    for (const name of blocked) {
      const g = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
      const instanceId = g.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId;
      if (!instanceId) throw new Error(`${name} has no instance to mark unhealthy`);
      await clients.autoScaling.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Unhealthy' }));
    }

    ctx.log(`status: running ${completed} tasks to completion`);
    const done: string[] = [];
    const doneRun = await runClosedLoop(completed, 8, async () => {
      const { id } = await http.submit(resize('benchstatus-done-v000'));
      await stack.client.workflow.getHandle(id).result();
      // The facade answers a running task from its list, refreshed every few seconds: poll until it sees the end.
      let { task } = await http.task(id);
      for (let i = 0; i < 60 && !task.status.completed; i++) {
        await sleep(500);
        ({ task } = await http.task(id));
      }
      if (!task.status.completed || task.status.failed) throw new Error(`task ${id} did not succeed: ${JSON.stringify(task.status)}`);
      done.push(id);
    });
    if (doneRun.errors) throw new Error(`completed tasks failed: ${doneRun.firstError}`);

    // Latency of one GET at a time, before the 1,000 tasks exist: the floor under load numbers.
    const idleCompleted = await runClosedLoop(idleSamples, 1, (i) => http.task(done[i % done.length]!));

    ctx.log(`status: starting ${running} tasks that block in their wait for capacity`);
    const ids: string[] = [];
    const submit = await runClosedLoop(running, 32, async (i) => {
      ids.push((await http.submit(resize(blocked[i % blocked.length]!))).id);
    });
    if (submit.errors) throw new Error(`${submit.errors} of ${running} submissions failed: ${submit.firstError}`);

    // Let the worker take every task as far as it can go: settled when Temporal's workflow-state
    // writes drop to the background of the waits' heartbeats for 3 s.
    const settleStart = performance.now();
    let quiet = 0;
    let writes = await persistenceCalls(stack.temporalMetricsUrl, 'UpdateWorkflowExecution');
    while (quiet < 3 && performance.now() - settleStart < 120_000) {
      await sleep(1000);
      const now = await persistenceCalls(stack.temporalMetricsUrl, 'UpdateWorkflowExecution');
      quiet = now - writes <= 10 ? quiet + 1 : 0;
      writes = now;
    }
    const settleSeconds = round((performance.now() - settleStart) / 1000);
    const idleRunning = await runClosedLoop(idleSamples, 1, (i) => http.task(ids[i % ids.length]!));

    // The polling window: Orca's polls of every task, from a process of their own.
    ctx.log(`status: polling ${running} running and ${completed} completed tasks every ${POLL_EVERY_MS / 1000} s for ${windowMs / 1000} s`);
    const pollers = fork(path.join(__dirname, 'lib', 'status-pollers.ts'), [], {
      execArgv: ['--require', 'tsx/cjs'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const answered = new Promise<PollResult>((resolve, reject) => {
      pollers.once('message', (m) => resolve(m as PollResult));
      pollers.once('exit', (code) => reject(new Error(`the status pollers exited with code ${code} before answering`)));
    });
    // The answer's exit must not be taken for a failure once the answer is in.
    answered.catch(() => undefined);
    const usage = UsageWindow.start([...stack.watched(), ...system.processes(), { name: 'pollers (node, Orca)', pid: pollers.pid! }]);
    const metrics = await TemporalMetricsWindow.start(stack.temporalMetricsUrl);
    const listBefore = await listMetrics(metricsUrl);
    pollers.send({ url, running: ids, completed: done, windowMs, pollEveryMs: POLL_EVERY_MS } satisfies PollJob);
    let after: PollResult;
    try {
      after = await answered;
    } finally {
      if (pollers.exitCode === null) pollers.kill();
    }
    const resources = usage.stop();
    const persistence = await metrics.stop();
    const { lookups, listRefresh } = listWindow(listBefore, await listMetrics(metricsUrl), after.windowSeconds);
    requireMeasured('polls of running tasks', after.latencies.running.length, running);
    requireMeasured('polls of completed tasks', after.latencies.completed.length);

    // What the running tasks showed in their last answer: inside the wait, or waiting for a slot.
    const where = new Map<string, number>();
    for (const id of ids) {
      const line = after.lastLines[id]?.replace(/benchstatus-blocked-v\d+/g, '<group>') ?? '(never answered)';
      where.set(line, (where.get(line) ?? 0) + 1);
    }

    const targetRate = (running + completed) / (POLL_EVERY_MS / 1000);
    const achieved = (after.latencies.running.length + after.latencies.completed.length) / after.windowSeconds;
    const row = (label: string, v: number[], errs: number, rate?: number) => {
      const s = summarize(v, 2);
      return [label, s.n, rate !== undefined ? round(rate, 1) : undefined, s.p50, s.p90, s.p99, s.max, errs];
    };
    const { latencies, errors, pauses } = after;
    const run = summarize(after.latencies.running, 2);
    const ownStall = pauses.eventLoopDelayMaxMs >= SLOW_MS;
    const lookupTotal = Object.values(lookups).reduce((a, b) => a + b, 0);
    const bottleneck = [
      `${cpuVerdict(resources)}; this process's event loop (the pollers only; the facade is its own process) was busy ${round(after.loopBusy * 100)}% of the window.`,
      `The list answered ${lookups.hit ?? 0} of ${lookupTotal} polls (running and completed tasks; ${round(((lookups.hit ?? 0) / Math.max(1, lookupTotal)) * 100, 1)}%; the rest: ${Object.entries(
        lookups,
      )
        .filter(([k]) => k !== 'hit')
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}): only those others were sent to Temporal; ${listRefresh}.`,
      `Achieved ${round(achieved, 1)} polls/s of the ${round(targetRate, 1)}/s asked for (${round((achieved / targetRate) * 100)}%): ${achieved >= targetRate * 0.95 ? 'the facade kept up, so the poll rate is set by Orca, not by Bosun' : 'the pollers fell behind, so the facade or Temporal could not keep up'}.`,
      `Latency under load vs one at a time: running p50 ${run.p50} ms vs ${summarize(idleRunning.latenciesMs, 2).p50} ms; p99 ${run.p99} ms. This process's event loop: delay p99 ${pauses.eventLoopDelayP99Ms} ms, max ${pauses.eventLoopDelayMaxMs} ms; GC ${pauses.gcPauses} pauses, longest ${pauses.gcMaxMs} ms. ${
        ownStall
          ? 'Part of the tail is this process stalling (the pollers).'
          : "This process did not stall that long, so the slow polls waited in the facade or Temporal (its SQLite connection serves the polls' reads and the worker's writes)."
      }${resources.machine.othersPercentOfCore > 20 ? ` Other processes used ${resources.machine.othersPercentOfCore}% of a core in this window, so some of the tail may be theirs.` : ''}`,
      `${persistenceNote(persistence)}.`,
      `Where the running tasks were at their last poll: ${[...where].map(([k, v]) => `${v} tasks at "${k}"`).join('; ')}.`,
    ];
    return envelope.finish({
      name: 'status',
      title: `Status: GET /task/{id} with ${running} running tasks polled every ${POLL_EVERY_MS / 1000} s (facade and worker in processes of their own)`,
      setup: {
        layout:
          'worker/main.ts and client/facade/main.ts as processes of their own (production entry points and defaults); this process only polls',
        worker: 'one, production options (100 activity slots)',
        runningTasks: running,
        completedTasks: completed,
        pollEveryMs: POLL_EVERY_MS,
        windowMs,
        blockedBy: `resize to 1/1/1 of ${blockedGroups} groups whose only instance is Unhealthy; wait polls AWS every ${AWS_POLL_INTERVAL}`,
        settleSeconds,
        submissionOfRunningTasks: { wallMs: round(submit.wallMs), latency: summarize(submit.latenciesMs, 2) },
      },
      tables: [
        {
          title: 'GET /task/{id} latency (ms)',
          headers: ['what', 'n', 'polls/s', 'p50', 'p90', 'p99', 'max', 'errors'],
          rows: [
            row(
              `running task, under load (${running} + ${completed} tasks polled every 5 s)`,
              latencies.running,
              errors.running,
              latencies.running.length / after.windowSeconds,
            ),
            row(
              `completed task (describe + result), under the same load`,
              latencies.completed,
              errors.completed,
              latencies.completed.length / after.windowSeconds,
            ),
            row(`all polls`, [...latencies.running, ...latencies.completed], errors.running + errors.completed, achieved),
            row('running task, one GET at a time, before the window', [...idleRunning.latenciesMs], idleRunning.errors),
            row(
              `completed task, one GET at a time, before the ${running} tasks existed`,
              [...idleCompleted.latenciesMs],
              idleCompleted.errors,
            ),
          ],
          notes: [
            `asked-for poll rate ${round(targetRate, 1)}/s, achieved ${round(achieved, 1)}/s over ${round(after.windowSeconds, 1)} s${after.firstError ? `; first error: ${after.firstError}` : ''}`,
          ],
        },
        resourcesTable('Resources during the polling window', resources, [persistenceNote(persistence), listRefresh]),
      ],
      bottleneck,
      interferencePercentOfCore: resources.machine.othersPercentOfCore,
      data: {
        facade: 'list of running tasks (default)',
        latency: { running: summarize(latencies.running, 2), completed: summarize(latencies.completed, 2) },
        pollRate: { target: targetRate, achieved, windowSeconds: after.windowSeconds },
        errors,
        firstError: after.firstError,
        listLookups: lookups,
        listRefresh,
        benchLoopBusy: after.loopBusy,
        benchPauses: pauses,
        resources,
        persistence,
        idle: { running: summarize(idleRunning.latenciesMs, 2), completed: summarize(idleCompleted.latenciesMs, 2) },
        lastHistoryLineOfRunningTasks: Object.fromEntries(where),
      },
    });
  } finally {
    closeHttp();
    await system?.stop();
    await stack.close();
  }
}

interface ListMetrics {
  /** GET /task answers by the facade's own clock (Fastify's elapsed time): count at or under each bucket. */
  readonly answered: Record<string, number>;
  readonly lookups: Record<string, number>;
  readonly refreshes: number;
  readonly refreshSeconds: number;
  readonly listed: number;
}

/** The facade's running-task list counters, from its /metrics. */
async function listMetrics(metricsUrl: string): Promise<ListMetrics> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return {
    answered: Object.fromEntries(
      [...text.matchAll(/^bosun_http_request_duration_seconds_bucket\{le="([^"]+)",route="task"\} (\d+)/gm)].map((m) => [
        m[1]!,
        Number(m[2]),
      ]),
    ),
    lookups: Object.fromEntries(
      [...text.matchAll(/^bosun_running_tasks_lookups_total\{outcome="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]),
    ),
    refreshes: value(/^bosun_running_tasks_refresh_seconds_count (\S+)/m),
    refreshSeconds: value(/^bosun_running_tasks_refresh_seconds_sum (\S+)/m),
    listed: value(/^bosun_running_tasks_listed (\S+)/m),
  };
}

/** The list's lookups in the window, by outcome (running-tasks.ts), and what the lists cost, in words. */
function listWindow(before: ListMetrics, after: ListMetrics, seconds: number): { lookups: Record<string, number>; listRefresh: string } {
  const lookups = Object.fromEntries(Object.entries(after.lookups).map(([k, v]) => [k, v - (before.lookups[k] ?? 0)]));
  const n = after.refreshes - before.refreshes;
  const meanMs = n > 0 ? ((after.refreshSeconds - before.refreshSeconds) / n) * 1000 : 0;
  const answered = (le: string) => (after.answered[le] ?? 0) - (before.answered[le] ?? 0);
  const all = answered('+Inf');
  const within = (le: string, label: string) => `${round((answered(le) / Math.max(1, all)) * 100, 2)}% within ${label}`;
  return {
    lookups,
    listRefresh: `${n} lists of running tasks in ${round(seconds)} s (${round(n / seconds, 2)}/s), ${round(meanMs, 1)} ms each on average, the last holding ${after.listed} tasks; by the facade's own clock (request in to response written), ${all} GET /task answered ${within('0.001', '1 ms')}, ${within('0.0025', '2.5 ms')}, ${within('0.005', '5 ms')}, ${within('0.01', '10 ms')}`,
  };
}

export const status: Bench = {
  about: 'GET /task of 1,000 running tasks (quick 200) polled every 5 s',
  standard: true,
  floorText: 'no failed poll; p50 of a running task <= 2 ms, p99 <= 40 ms (measured 0.31 / 6.92 ms)',
  run: runStatus,
  floor: (d: { errors: Record<'running' | 'completed', number>; latency: { running: { p50: number; p99: number } } }) => [
    atMost('failed polls', d.errors.running + d.errors.completed, 0),
    atMost('GET /task p50 of a running task, ms', d.latency.running.p50, 2),
    atMost('GET /task p99 of a running task, ms', d.latency.running.p99, 40),
  ],
};
