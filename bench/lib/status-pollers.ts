/**
 * Orca's polls for the status benchmark, in a process of their own (Orca runs on its own
 * machines). In the benchmark process they shared an event loop and a garbage collector with the
 * benchmark's stack, clients and bookkeeping (~480 MiB, GC pauses up to 33 ms measured), and
 * those pauses landed in the measured tail as if the facade had been slow. This process holds
 * only the pollers, so what it measures is the facade, the network and the machine.
 *
 * Started with fork(); takes one PollJob as its first IPC message, answers one PollResult and exits.
 */
import { FacadeHttp } from '../../test/support/orca-client';
import { sleep } from './load';
import type { Pauses } from './pauses';
import { PauseWindow } from './pauses';

export type PollKind = 'running' | 'completed';

export interface PollJob {
  readonly url: string;
  readonly running: readonly string[];
  readonly completed: readonly string[];
  readonly windowMs: number;
  readonly pollEveryMs: number;
}

export interface PollResult {
  readonly latencies: Record<PollKind, number[]>;
  readonly errors: Record<PollKind, number>;
  readonly firstError: string | undefined;
  /** The last history line each running task showed. */
  readonly lastLines: Record<string, string>;
  readonly windowSeconds: number;
  readonly loopBusy: number;
  readonly pauses: Pauses;
}

async function pollWindow(job: PollJob): Promise<PollResult> {
  const http = new FacadeHttp(job.url, 64);
  const latencies: Record<PollKind, number[]> = { running: [], completed: [] };
  const errors: Record<PollKind, number> = { running: 0, completed: 0 };
  const lastLines: Record<string, string> = {};
  let firstError: string | undefined;
  // Unmeasured warm-up: this process's code compiled and its keep-alive sockets open, as the
  // in-process pollers had them from the benchmark's setup.
  for (const id of [...job.completed, ...job.running.slice(0, 64)]) await http.task(id).catch(() => undefined);
  const elu = performance.eventLoopUtilization();
  const pauses = new PauseWindow();
  const windowStart = performance.now();
  const end = windowStart + job.windowMs;
  /** Orca's fixed delay: the next poll is scheduled when the previous answer has arrived. */
  const every = async (offsetMs: number, once: () => Promise<void>) => {
    await sleep(offsetMs);
    while (performance.now() < end) {
      await once();
      if (performance.now() + job.pollEveryMs >= end) break;
      await sleep(job.pollEveryMs);
    }
  };
  const poll = (id: string, kind: PollKind) => async () => {
    try {
      const { task, ms } = await http.task(id);
      latencies[kind].push(ms);
      if (kind === 'running') {
        lastLines[id] = task.history[task.history.length - 1]?.status ?? '(no history line)';
        if (task.status.completed) throw new Error(`task ${id} completed, but it should be blocked`);
      }
    } catch (err) {
      errors[kind]++;
      firstError ??= (err as Error).message;
    }
  };
  try {
    const spread = (i: number, n: number) => (i * job.pollEveryMs) / n;
    await Promise.all([
      ...job.running.map((id, i) => every(spread(i, job.running.length), poll(id, 'running'))),
      ...job.completed.map((id, i) => every(spread(i, job.completed.length), poll(id, 'completed'))),
    ]);
  } finally {
    http.close();
  }
  return {
    latencies,
    errors,
    firstError,
    lastLines,
    windowSeconds: (performance.now() - windowStart) / 1000,
    loopBusy: performance.eventLoopUtilization(elu).utilization,
    pauses: pauses.stop(),
  };
}

if (require.main === module) {
  process.once('message', (job: PollJob) => {
    pollWindow(job).then(
      (result) => process.send!(result, () => process.exit(0)),
      (err: unknown) => {
        process.stderr.write(`status pollers: ${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
