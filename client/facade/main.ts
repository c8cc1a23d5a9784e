/**
 * The facade process on its own (`npm run facade`): any number of replicas can run side by side,
 * since a task lives in Temporal, not here.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config';
import { createLogger } from '../../config/logger';
import { loadPayloadKey, SecretsCodec } from '../../config/payload-codec';
import { temporalAddress } from '../../config/runtime';
import { temporalConnectionSettings } from '../../config/temporal';
import { buildFacade } from './runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'bosun' });
  const connection = await Connection.connect(temporalConnectionSettings(config, temporalAddress(config)));
  const payloadCodec = new SecretsCodec(loadPayloadKey(process.env, config.stateDir));
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: { payloadCodecs: [payloadCodec] } });
  const runtime = await buildFacade({ config, client, logger, payloadCodec });
  const url = await runtime.facade.listen(config.facade.port, config.facade.host);
  logger.info('facade listening', { url, flags: runtime.router.status(), legacy: config.facade.legacyUrl ?? null });
  const stop = async () => {
    await runtime.close();
    await connection.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`bosun facade: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
