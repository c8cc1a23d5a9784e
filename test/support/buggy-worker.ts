/**
 * A worker process built by the composition root exactly as `npm run worker` builds it, except
 * that describeServerGroup answers a malformed group, so the resize workflow's code throws a
 * TypeError: a Bosun bug that fails workflow tasks. test/workflow-task-failure.test.ts runs it to
 * see that such a bug is logged with the workflow id and counted in the SDK's metrics.
 */
import type { Activities } from '../../activities';
import { createActivities } from '../../activities';
import { bootstrap } from '../../runtime';
import { createBosunWorker } from '../../worker/create-worker';

async function main(): Promise<void> {
  const bosun = bootstrap({ component: 'worker' });
  const { config } = bosun;
  const real = createActivities({ aws: bosun.aws() });
  const activities = { ...real, describeServerGroup: async () => ({}) } as unknown as Activities;
  const worker = await createBosunWorker({
    connection: await bosun.nativeConnection(),
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities,
    payloadCodec: bosun.payloadCodec,
    workflowBundle: config.worker.bundlePath ? { codePath: config.worker.bundlePath } : undefined,
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.stdout.write('polling\n');
  await worker.run();
  await bosun.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`buggy worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
