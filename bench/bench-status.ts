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
 */
import { DescribeAutoScalingGroupsCommand, SetInstanceHealthCommand } from '@aws-sdk/client-auto-scaling';
import { ensureEmulatorServerGroup } from '../infra/demo';
import type { BenchContext } from './lib/context';
import type { TaskJson } from './lib/http';
import { FacadeHttp } from './lib/http';
import { runClosedLoop, sleep } from './lib/load';
import { loadAverage, round } from './lib/proc';
import type { BenchmarkResult } from './lib/report';
import { cpuVerdict, persistenceNote, requireMeasured, resourcesTable } from './lib/report';
import { freePort } from '../infra/stack';
import type { BosunSystem } from './chaos/bosun-system';
import { startBosunSystem } from './chaos/bosun-system';
import { ACCOUNT, REGION, startBenchStack, workflowBundle } from './lib/stack';
import { BENCH_ACCOUNTS } from './lib/worker-protocol';
import { summarize } from './lib/stats';
import { persistenceCalls, TemporalMetricsWindow } from './lib/temporal-metrics';
import { PauseWindow } from './lib/pauses';
import { UsageWindow } from './lib/usage';

const POLL_EVERY_MS = 5000;
/** Running tasks also described straight from this process, without the facade (10 per second). */
const DIRECT_SAMPLE = 50;
/** A poll slower than this counts as part of the tail when looking at when the tail happens. */
const SLOW_MS = 250;

type Kind = 'running' | 'completed';

/**
 * Where the facade runs. `processes`: the worker and the facade are the production entry points
 * (worker/main.ts, client/facade/main.ts) in processes of their own, as deployed, and this
 * process only polls, as Orca does from its own machine. `bench-process`: the facade in this
 * process, sharing its event loop (and its garbage collector) with the pollers, and the bench's
 * worker child; the layout of the results committed before issue 11's last measurements.
 */
export const STATUS_LAYOUTS = ['processes', 'bench-process'] as const;
export type StatusLayout = (typeof STATUS_LAYOUTS)[number];
export const isStatusLayout = (s: string): s is StatusLayout => (STATUS_LAYOUTS as readonly string[]).includes(s);

export interface StatusOptions {
  readonly layout: StatusLayout;
  /** How often the running tasks' waits look at AWS (BOSUN_POLL_INTERVAL; production's 10 s by default). */
  readonly pollInterval?: string | undefined;
}

export async function runStatus(ctx: BenchContext, opts: StatusOptions = { layout: 'processes' }): Promise<BenchmarkResult> {
  const started = new Date();
  const loadStart = loadAverage();
  const running = ctx.quick ? 200 : 1000;
  const completed = ctx.quick ? 10 : 50;
  const windowMs = ctx.quick ? 15_000 : 60_000;
  const blockedGroups = ctx.quick ? 4 : 10;
  const idleSamples = ctx.quick ? 30 : 100;

  const separate = opts.layout === 'processes';
  const dir = `${ctx.runDir}/status-${opts.layout}`;
  const stack = await startBenchStack({
    dir,
    temporalDb: ctx.temporalDb,
    temporalConfig: ctx.temporalConfig,
    moto: true,
    worker: separate ? false : {},
  });
  let system: BosunSystem | undefined;
  let closeHttp = () => {};
  try {
    if (separate) {
      system = await startBosunSystem({
        temporalAddress: () => stack.temporal.address,
        awsEndpoint: stack.moto!.endpoint,
        taskQueue: stack.taskQueue,
        stateDir: `${dir}/bosun`,
        facadePort: await freePort(),
        workflowBundle: await workflowBundle(ctx.runDir),
        accounts: JSON.stringify(BENCH_ACCOUNTS),
        // Production's defaults, as the bench's own worker child takes them.
        pollInterval: opts.pollInterval ?? '10s',
        retryWindow: '2h',
        startTimeoutMs: 120_000,
      });
    }
    const http = new FacadeHttp(system ? system.url : stack.facadeUrl, 64);
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
      const { task } = await http.task(id);
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
      const activations = stack.worker?.latest()?.status.numInFlightWorkflowActivations ?? 0;
      quiet = now - writes <= 10 && activations === 0 ? quiet + 1 : 0;
      writes = now;
    }
    const settleSeconds = round((performance.now() - settleStart) / 1000);
    const idleRunning = await runClosedLoop(idleSamples, 1, (i) => http.task(ids[i % ids.length]!));

    ctx.log(`status: polling ${running} running and ${completed} completed tasks every ${POLL_EVERY_MS / 1000} s for ${windowMs / 1000} s`);
    const latencies: Record<Kind, number[]> = { running: [], completed: [] };
    /** Polls slower than SLOW_MS, by the second of the window in which they were sent. */
    const slowBySecond = new Map<number, number>();
    const errors: Record<Kind, number> = { running: 0, completed: 0 };
    let firstError: string | undefined;
    const lastSeen = new Map<string, TaskJson>();
    stack.worker?.resetStatus();
    const usage = UsageWindow.start([...stack.watched(), ...(system?.processes() ?? [])]);
    const metrics = await TemporalMetricsWindow.start(stack.temporalMetricsUrl);
    const elu = performance.eventLoopUtilization();
    const pauses = new PauseWindow();
    const windowStart = performance.now();
    const end = windowStart + windowMs;
    // The floor under the facade: the same DescribeWorkflowExecution a poll makes, sent by this
    // process straight to Temporal for a sample of the running tasks (no HTTP, no rendering).
    const direct: number[] = [];
    let directErrors = 0;
    const directPoller = async (id: string, offsetMs: number) => {
      await sleep(offsetMs);
      const handle = stack.client.workflow.getHandle(id);
      while (performance.now() < end) {
        const sentAt = performance.now();
        try {
          await handle.describe();
          direct.push(performance.now() - sentAt);
        } catch {
          directErrors++;
        }
        if (performance.now() + POLL_EVERY_MS >= end) break;
        await sleep(POLL_EVERY_MS);
      }
    };
    const poller = async (id: string, kind: Kind, offsetMs: number) => {
      await sleep(offsetMs);
      // Orca's fixed delay: the next poll is scheduled when the previous answer has arrived.
      while (performance.now() < end) {
        const sentAt = performance.now();
        try {
          const { task, ms } = await http.task(id);
          latencies[kind].push(ms);
          if (ms > SLOW_MS) {
            const second = Math.floor((sentAt - windowStart) / 1000);
            slowBySecond.set(second, (slowBySecond.get(second) ?? 0) + 1);
          }
          lastSeen.set(id, task);
          if (kind === 'running' && task.status.completed) throw new Error(`task ${id} completed, but it should be blocked`);
        } catch (err) {
          errors[kind]++;
          firstError ??= (err as Error).message;
        }
        if (performance.now() + POLL_EVERY_MS >= end) break;
        await sleep(POLL_EVERY_MS);
      }
    };
    await Promise.all([
      ...ids.map((id, i) => poller(id, 'running', (i * POLL_EVERY_MS) / ids.length)),
      ...done.map((id, i) => poller(id, 'completed', (i * POLL_EVERY_MS) / done.length)),
      ...ids.slice(0, DIRECT_SAMPLE).map((id, i) => directPoller(id, (i * POLL_EVERY_MS) / DIRECT_SAMPLE)),
    ]);
    const pollWindowSeconds = (performance.now() - windowStart) / 1000;
    const benchLoopBusy = performance.eventLoopUtilization(elu).utilization;
    const benchPauses = pauses.stop();
    const resources = usage.stop();
    const persistence = await metrics.stop();
    const worker = stack.worker?.peaks(100);

    requireMeasured('polls of running tasks', latencies.running.length, running);
    requireMeasured('polls of completed tasks', latencies.completed.length);

    // What the running tasks showed in their last answer: inside the wait, or waiting for a slot.
    const where = new Map<string, number>();
    for (const id of ids) {
      const t = lastSeen.get(id);
      const line = t?.history[t.history.length - 1]?.status.replace(/benchstatus-blocked-v\d+/g, '<group>') ?? '(never answered)';
      where.set(line, (where.get(line) ?? 0) + 1);
    }

    const targetRate = (running + completed) / (POLL_EVERY_MS / 1000);
    const achieved = (latencies.running.length + latencies.completed.length) / pollWindowSeconds;
    const row = (label: string, v: number[], errs: number, rate?: number) => {
      const s = summarize(v, 2);
      return [label, s.n, rate !== undefined ? round(rate, 1) : undefined, s.p50, s.p90, s.p99, s.max, errs];
    };
    const run = summarize(latencies.running, 2);
    const polls = latencies.running.length + latencies.completed.length;
    const slow = [...slowBySecond.values()].reduce((a, b) => a + b, 0);
    const worstSeconds = [...slowBySecond].sort((a, b) => b[1] - a[1]).slice(0, 4);
    const historyReads = persistence?.callsByOperation.ReadHistoryBranch ?? 0;
    const currentReads = persistence?.callsByOperation.GetCurrentExecution ?? 0;
    const ownStall = benchPauses.eventLoopDelayMaxMs >= SLOW_MS;
    const bottleneck = [
      `${cpuVerdict(resources)}; ${separate ? "this process's event loop (the pollers only; the facade is its own process)" : "the facade's event loop (this process, also the pollers)"} was busy ${round(benchLoopBusy * 100)}% of the window.`,
      `Achieved ${round(achieved, 1)} polls/s of the ${round(targetRate, 1)}/s asked for (${round((achieved / targetRate) * 100)}%): ${achieved >= targetRate * 0.95 ? 'the facade kept up, so the poll rate is set by Orca, not by Bosun' : 'the pollers fell behind, so the facade or Temporal could not keep up'}.`,
      `Per poll Temporal read ${round(currentReads / Math.max(1, polls), 2)} current-execution rows and ${round(historyReads / Math.max(1, polls), 2)} history branches from SQLite (${currentReads} and ${historyReads} for ${polls} polls). ${
        historyReads > latencies.completed.length * 2 && historyReads > polls / 2
          ? `Running tasks should be answered from the history service's caches; that nearly every poll reads history means the ${running} tasks' start events do not fit the shard events cache (history.eventsCacheMaxSizeBytes, 512 KiB by default, one shard on the dev server), so every DescribeWorkflowExecution reads its start event from SQLite. With the cache at 32 MiB the reads disappear (--temporal-config history.eventsCacheMaxSizeBytes=33554432). A production cluster spreads tasks over many shards, each with its own cache.`
          : "Running tasks were answered from the history service's caches; only completed tasks read their history (for the result)."
      }`,
      `Latency under load vs one at a time: running p50 ${run.p50} ms vs ${summarize(idleRunning.latenciesMs, 2).p50} ms; p99 ${run.p99} ms. ${
        slow === 0
          ? `No poll took over ${SLOW_MS} ms.`
          : `${slow} of ${polls} polls took over ${SLOW_MS} ms, in ${slowBySecond.size} of ${Math.round(pollWindowSeconds)} seconds (worst: ${worstSeconds.map(([sec, n]) => `${n} in second ${sec}`).join(', ')})${slowBySecond.size <= pollWindowSeconds * 0.25 ? ': the tail comes in bursts' : ''}. This process's event loop: delay p99 ${benchPauses.eventLoopDelayP99Ms} ms, max ${benchPauses.eventLoopDelayMaxMs} ms; GC ${benchPauses.gcPauses} pauses, longest ${benchPauses.gcMaxMs} ms. ${
              ownStall
                ? `Part of the tail is this process stalling${separate ? ' (the pollers)' : ' (the facade shares it with the pollers)'}.`
                : "This process did not stall that long, so the slow polls waited in Temporal (its SQLite connection serves the polls' reads and the worker's writes)."
            }${resources.machine.othersPercentOfCore > 20 ? ` Other processes used ${resources.machine.othersPercentOfCore}% of a core in this window, so some of these bursts may be theirs.` : ''}`
      }`,
      (() => {
        const d = summarize(direct, 2);
        return `Temporal alone (DescribeWorkflowExecution from this process for ${DIRECT_SAMPLE} of the running tasks, ${d.n} calls): p50 ${d.p50} ms, p99 ${d.p99} ms, against the facade's p50 ${run.p50} ms, p99 ${run.p99} ms: ${
          d.p99 >= run.p99 * 0.7
            ? "the tail is Temporal's (the dev server under this load), not the facade's"
            : 'the facade adds most of the tail'
        }.`;
      })(),
      `${persistenceNote(persistence)}.`,
      worker
        ? `Worker during the window: ${worker.maxInFlightActivities} activities in flight at most (${worker.secondsAtActivitySlotLimit} s at the 100-slot limit): ${[...where].map(([k, v]) => `${v} tasks at "${k}"`).join('; ')}. The waits run on the waits queue's own worker (BOSUN_WAIT_STRATEGY task-queue), so ${worker.maxInFlightActivities} of the task queue's 100 slots were taken while they waited.`
        : 'no worker status',
    ];

    return {
      name: 'status',
      title: `Status: GET /task/{id} with ${running} running tasks polled every ${POLL_EVERY_MS / 1000} s (${separate ? 'facade and worker in processes of their own' : 'facade in the polling process'})`,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      durationSeconds: round((Date.now() - started.getTime()) / 1000),
      loadAverageStart: loadStart,
      loadAverageEnd: loadAverage(),
      setup: {
        temporalDb: ctx.temporalDb,
        ...(ctx.temporalConfig.length ? { temporalConfig: ctx.temporalConfig } : {}),
        layout: separate
          ? 'worker/main.ts and client/facade/main.ts as processes of their own (production entry points and defaults); this process only polls'
          : "the facade in this process beside the pollers; the bench's worker child with production options",
        worker: 'one, production options (100 activity slots)',
        runningTasks: running,
        completedTasks: completed,
        pollEveryMs: POLL_EVERY_MS,
        windowMs,
        blockedBy: `resize to 1/1/1 of ${blockedGroups} groups whose only instance is Unhealthy; wait polls AWS every ${separate ? (opts.pollInterval ?? '10s') : '10s'}`,
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
              latencies.running.length / pollWindowSeconds,
            ),
            row(
              'completed task (describe + result), under the same load',
              latencies.completed,
              errors.completed,
              latencies.completed.length / pollWindowSeconds,
            ),
            row('all polls', [...latencies.running, ...latencies.completed], errors.running + errors.completed, achieved),
            row(
              `running task, DescribeWorkflowExecution from this process straight to Temporal (${DIRECT_SAMPLE} tasks, no facade), same window`,
              direct,
              directErrors,
              direct.length / pollWindowSeconds,
            ),
            row('running task, one GET at a time, before the window', [...idleRunning.latenciesMs], idleRunning.errors),
            row(
              `completed task, one GET at a time, before the ${running} tasks existed`,
              [...idleCompleted.latenciesMs],
              idleCompleted.errors,
            ),
          ],
          notes: [
            `asked-for poll rate ${round(targetRate, 1)}/s, achieved ${round(achieved, 1)}/s over ${round(pollWindowSeconds, 1)} s${firstError ? `; first error: ${firstError}` : ''}`,
          ],
        },
        resourcesTable('Resources during the polling window', resources, [
          persistenceNote(persistence),
          `worker status: ${JSON.stringify(worker)}`,
        ]),
      ],
      bottleneck,
      interferencePercentOfCore: resources.machine.othersPercentOfCore,
      data: {
        latency: {
          running: summarize(latencies.running, 2),
          completed: summarize(latencies.completed, 2),
          directDescribe: summarize(direct, 2),
        },
        idle: { running: summarize(idleRunning.latenciesMs, 2), completed: summarize(idleCompleted.latenciesMs, 2) },
        pollRate: { target: targetRate, achieved, windowSeconds: pollWindowSeconds },
        errors,
        firstError,
        lastHistoryLineOfRunningTasks: Object.fromEntries(where),
        benchLoopBusy,
        benchPauses,
        slowPollsBySecond: Object.fromEntries(slowBySecond),
        resources,
        persistence,
        worker,
      },
    };
  } finally {
    closeHttp();
    await system?.stop();
    await stack.close();
  }
}
