/**
 * The facade process on its own (`npm run facade`): any number of replicas can run side by side,
 * since a task lives in Temporal, not here.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config';
import { createLogger } from '../../config/logger';
import { taskSettings, temporalAddress } from '../../config/runtime';
import { temporalConnectionSettings } from '../../config/temporal';
import { createFacade } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'bosun' });
  const connection = await Connection.connect(temporalConnectionSettings(config, temporalAddress(config)));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const facade = createFacade({
    client,
    taskQueue: config.temporal.taskQueue,
    settings: taskSettings(config),
    logger,
    maxBodyBytes: config.facade.maxBodyBytes,
  });
  const url = await facade.listen(config.facade.port, config.facade.host);
  logger.info('facade listening', { url });
  const stop = async () => {
    await facade.close();
    await connection.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`bosun facade: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
