/**
 * The worker process on its own (`npm run worker`), for deployments where workers and facades
 * scale apart. Needs TEMPORAL_ADDRESS or a running local stack (`npm run stack`).
 */
import { temporalAddress } from '../config';
import { waitsTaskQueue } from '../domain/waits';
import { bootstrap, workerDeploymentVersion } from '../runtime';
import { createConfiguredWorker } from './create-worker';
import { serveWorkerHealth } from './health';
import { createWorkerMetrics } from './metrics';

async function main(): Promise<void> {
  const metrics = createWorkerMetrics();
  const bosun = bootstrap({ component: 'worker', onAwsCall: metrics.awsCall });
  const { config, logger } = bosun;
  try {
    const deployment = workerDeploymentVersion(config);
    const worker = await createConfiguredWorker(bosun, { deployment, metrics });
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      });
    const health =
      config.worker.healthPort !== undefined
        ? await serveWorkerHealth(worker, {
            port: config.worker.healthPort,
            host: config.worker.healthHost,
            taskQueue: config.temporal.taskQueue,
            metrics: metrics.registry,
          })
        : undefined;
    logger.info(
      {
        address: temporalAddress(config),
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        waitsTaskQueue: waitsTaskQueue(config.temporal.taskQueue),
        maxConcurrentWaits: config.worker.maxConcurrentWaits,
        deploymentVersion: deployment ?? 'unversioned',
        metrics: config.worker.metricsAddress ?? 'off',
        health: health?.url,
      },
      'worker polling',
    );
    try {
      await worker.run();
    } finally {
      await health?.close();
    }
  } finally {
    await bosun.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bosun worker: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
