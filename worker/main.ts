/**
 * The worker process on its own (`npm run worker`), for deployments where workers and facades
 * scale apart. Needs TEMPORAL_ADDRESS or a running embedded stack.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createActivities, createAwsClientProvider } from '../activities';
import { loadConfig } from '../config';
import { createLogger } from '../config/logger';
import { loadPayloadKey, SecretsCodec } from '../config/payload-codec';
import { temporalConnectionSettings } from '../config/temporal';
import { createBosunWorker } from './create-worker';
import { awsClientSettings, temporalAddress } from '../config/runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { component: 'worker' });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const address = temporalAddress(config);
  const connection = await NativeConnection.connect(temporalConnectionSettings(config, address));
  const aws = createAwsClientProvider(awsClientSettings(config));
  const worker = await createBosunWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ aws }),
    payloadCodec: new SecretsCodec(loadPayloadKey(process.env, config.stateDir)),
    // A prebuilt bundle (bundleWorkflowCode) saves the bundling time on every restart.
    workflowBundle: process.env.BOSUN_WORKFLOW_BUNDLE ? { codePath: process.env.BOSUN_WORKFLOW_BUNDLE } : undefined,
    identity: process.env.BOSUN_WORKER_IDENTITY || undefined,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
  log.info('worker polling', { address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue });
  await worker.run();
  aws.destroy();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`bosun worker: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
