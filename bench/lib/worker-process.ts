/**
 * Starts the worker child (worker-child.ts) and keeps what it reports: the Temporal worker's
 * status (in-flight activities and workflow activations, cached workflows) and how busy its main
 * thread was, second by second. Stops exactly that child, by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../infra/tools';
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

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
    child.on('message', (m: WorkerChildMessage) => {
      if (m.type === 'status') this.statuses.push(m);
    });
  }

  static async start(config: WorkerChildConfig, logFile: string, readyTimeoutMs = 90_000): Promise<WorkerProcess> {
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'worker-child.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        BOSUN_BENCH_WORKER: JSON.stringify(config),
        // Node flags for the worker alone (e.g. a heap limit), for memory experiments.
        ...(process.env.BOSUN_BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BOSUN_BENCH_WORKER_NODE_OPTIONS } : {}),
      },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    closeSync(fd);
    const worker = new WorkerProcess(child, child.pid!);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the bench worker was not ready after ${readyTimeoutMs} ms; see ${logFile}`));
      }, readyTimeoutMs);
      child.on('message', (m: WorkerChildMessage) => {
        if (m.type !== 'ready') return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the bench worker exited (${code ?? signal}) before it was ready; see ${logFile}`));
      });
    });
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

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (the worker drains), then SIGKILL after a grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
