/**
 * The facade process on its own (`npm run facade`): any number of replicas can run side by side,
 * since a task lives in Temporal, not here.
 */
import { bootstrap } from '../../runtime';
import { buildFacade } from './build';

async function main(): Promise<void> {
  const bosun = bootstrap({ component: 'facade' });
  const { config, logger } = bosun;
  const service = await buildFacade({ config, client: await bosun.client(), logger, payloadCodec: bosun.payloadCodec });
  const url = await service.listen();
  logger.info({ url, flags: service.router.status(), legacy: config.facade.legacyUrl ?? null }, 'facade listening');
  const stop = async () => {
    await service.close();
    await bosun.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`bosun facade: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
