/**
 * Starts the worker child (worker-child.ts) and keeps what it reports: the Temporal worker's
 * status (in-flight activities and workflow activations, cached workflows) and how busy its main
 * thread was, second by second. Stops exactly that child, by its pid.
 */
import path from 'node:path';
import type { TsChild } from './child-process';
import { spawnTs } from './child-process';
import type { WorkerChildConfig, WorkerChildMessage } from './worker-protocol';

type StatusMessage = Extract<WorkerChildMessage, { type: 'status' }>;

export interface WorkerPeaks {
  readonly maxInFlightActivities: number;
  readonly maxInFlightWorkflowActivations: number;
  readonly maxCachedWorkflows: number;
  readonly maxMainThreadBusy: number;
  /** Seconds (of status reports) during which every activity slot was taken. */
  readonly secondsAtActivitySlotLimit: number;
}

export class WorkerProcess {
  private readonly statuses: StatusMessage[] = [];

  private constructor(private readonly child: TsChild) {
    child.onMessage((m) => {
      if ((m as WorkerChildMessage).type === 'status') this.statuses.push(m as StatusMessage);
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  static async start(config: WorkerChildConfig, logFile: string, readyTimeoutMs = 90_000): Promise<WorkerProcess> {
    const heap = process.env.BOSUN_BENCH_WORKER_NODE_OPTIONS;
    const child = spawnTs({
      name: 'bench worker',
      script: path.join(__dirname, 'worker-child.ts'),
      // Node flags for the worker alone (e.g. a heap limit), for memory experiments.
      env: { BOSUN_BENCH_WORKER: JSON.stringify(config), ...(heap ? { NODE_OPTIONS: heap } : {}) },
      logFile,
      ipc: true,
    });
    const worker = new WorkerProcess(child);
    const ready = new Promise<void>((resolve) => child.onMessage((m) => (m as WorkerChildMessage).type === 'ready' && resolve()));
    const exited = child.exited.then((e) => {
      throw new Error(`the bench worker exited (${e.code ?? e.signal}) before it was ready; see ${logFile}`);
    });
    // The exit after a successful start is the normal stop, not a failure.
    exited.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the bench worker was not ready after ${readyTimeoutMs} ms; see ${logFile}`)),
        readyTimeoutMs,
      );
    });
    try {
      await Promise.race([ready, exited, late]);
    } catch (err) {
      await child.kill();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return worker;
  }

  /** The last status the worker reported, if any. */
  latest(): StatusMessage | undefined {
    return this.statuses[this.statuses.length - 1];
  }

  /** Forget what was reported so far (call it when a measured window starts). */
  resetStatus(): void {
    this.statuses.length = 0;
  }

  peaks(activitySlots: number): WorkerPeaks {
    const s = this.statuses;
    const max = (f: (m: StatusMessage) => number) => s.reduce((a, m) => Math.max(a, f(m)), 0);
    return {
      maxInFlightActivities: max((m) => m.status.numInFlightNonLocalActivities),
      maxInFlightWorkflowActivations: max((m) => m.status.numInFlightWorkflowActivations),
      maxCachedWorkflows: max((m) => m.status.numCachedWorkflows),
      maxMainThreadBusy: Math.round(max((m) => m.mainThreadBusy) * 100) / 100,
      secondsAtActivitySlotLimit: s.filter((m) => m.status.numInFlightNonLocalActivities >= activitySlots).length,
    };
  }

  /** SIGKILL, no drain: a crash, as the fuzz and durability tests make one. */
  async kill(): Promise<void> {
    await this.child.kill();
  }

  /** SIGTERM (the worker drains), then SIGKILL after a grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    await this.child.stop(graceMs);
  }
}
