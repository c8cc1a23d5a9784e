/** What the benchmark and its worker child process say to each other. */
import type { WorkerOptions, WorkerStatus } from '@temporalio/worker';
import type { AwsAccount } from '../../activities';

/** The one emulator account every benchmark acts on (moto's default account). */
export const BENCH_ACCOUNTS: readonly AwsAccount[] = [{ name: 'test', accountId: '123456789012' }];

/** Worker options a benchmark may change; everything else is createBosunWorker's. */
export type WorkerTuning = Partial<
  Pick<
    WorkerOptions,
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxCachedWorkflows'
    // 0 turns eager activity dispatch off (as a server without system.enableActivityEagerExecution does).
    | 'maxEagerActivityReservationsPerWorkflowTask'
  >
> & {
  /**
   * Patch ids (workflows/patches.ts) this worker does not activate for new runs, so one
   * benchmark run can compare a change's old and new workflow paths on the same machine.
   */
  readonly patchesOff?: readonly string[] | undefined;
};

export interface WorkerChildConfig {
  readonly address: string;
  readonly taskQueue: string;
  readonly awsEndpoint: string;
  readonly bundlePath: string;
  /** base64 of the 32-byte payload key the facade's codec uses too. */
  readonly payloadKey: string;
  readonly tuning?: WorkerTuning | undefined;
}

export type WorkerChildMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'status';
      readonly atMs: number;
      readonly status: WorkerStatus;
      /** Event-loop utilisation of the worker's main thread (activities, SDK glue) over the last second. */
      readonly mainThreadBusy: number;
    };
