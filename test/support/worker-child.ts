/**
 * The Bosun worker as a child process of the benchmark, so its CPU and memory can be read from
 * /proc apart from the facade and the load generator. It is built with `createBosunWorker`, the
 * production options, and the production activities against moto. Configuration arrives as JSON
 * in BOSUN_BENCH_WORKER; status goes back over the IPC channel once a second.
 */
import type { PatchActivationInput, WorkerOptions } from '@temporalio/worker';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, createAwsClientProvider } from '../../activities';
import { SecretsCodec } from '../../runtime';
import { createBosunWorker } from '../../worker/create-worker';
import { configSchema } from '../../config';

/** The worker settings' defaults (config/index.ts), as `npm run worker` gets them with no environment. */
const PRODUCTION_WORKER = configSchema.shape.worker.parse({});
import type { WorkerChildConfig, WorkerChildMessage } from './worker-protocol';
import { BENCH_ACCOUNTS } from './worker-protocol';

async function main(): Promise<void> {
  const raw = process.env.BOSUN_BENCH_WORKER;
  if (!raw) throw new Error('BOSUN_BENCH_WORKER is not set; the benchmark starts this file itself');
  const config = JSON.parse(raw) as WorkerChildConfig;
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const { patchesOff, ...tuning } = config.tuning ?? {};
  const off = new Set(patchesOff ?? []);
  if (Object.keys(tuning).length > 0 || off.size > 0) {
    // createBosunWorker does not take slot or cache options; adding exactly these to the options
    // it builds keeps a tuned worker identical to the production one in everything else. Only the
    // task queue's worker is tuned: the waits worker keeps its own limit.
    const create = Worker.create.bind(Worker);
    // Slot tuning is for the task queue's worker (the waits worker keeps its own limit); switching
    // patches off (e2e variants) applies to both.
    Worker.create = (options: WorkerOptions) =>
      create({
        ...options,
        ...(options.taskQueue === config.taskQueue ? tuning : {}),
        ...(off.size > 0 ? { patchActivationCallback: ({ patchId }: PatchActivationInput) => !off.has(patchId) } : {}),
      });
  }

  const connection = await NativeConnection.connect({ address: config.address });
  const aws = createAwsClientProvider({ accounts: BENCH_ACCOUNTS, endpoint: config.awsEndpoint, emulator: true, maxAttempts: 1 });
  const worker = await createBosunWorker({
    connection,
    namespace: 'default',
    taskQueue: config.taskQueue,
    activities: createActivities({ aws }),
    workflowBundle: { codePath: config.bundlePath },
    payloadCodec: new SecretsCodec({ id: 'bench', key: Buffer.from(config.payloadKey, 'base64') }),
    identity: `bench-worker-${process.pid}`,
    // The limits a production worker gets from its config when nothing is set (the sticky cache
    // above all), so the benchmark measures the worker people run; a tuning overrides them.
    maxConcurrentWaits: PRODUCTION_WORKER.maxConcurrentWaits,
    maxCachedWorkflows: PRODUCTION_WORKER.maxCachedWorkflows,
  });

  let elu = performance.eventLoopUtilization();
  const send = (m: WorkerChildMessage) => process.send?.(m);
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    send({
      type: 'status',
      atMs: Date.now(),
      status: worker.getStatus(),
      mainThreadBusy: performance.eventLoopUtilization(now, elu).utilization,
    });
    elu = now;
  }, 1000);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());

  const running = worker.run();
  send({ type: 'ready' });
  await running;
  clearInterval(timer);
  aws.destroy();
  await connection.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench worker: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
