/**
 * Builds a facade from configuration: the onboarding flag router, the legacy Clouddriver, the
 * payload codec, authorization and metrics. `npm start` and `npm run facade` both use it, so
 * the embedded default and a production facade are the same code.
 */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { BosunConfig } from '../../config';
import { taskSettings } from '../../config';
import type { Logger } from '../../runtime';
import type { Router } from '../routing';
import { createRouter } from '../routing';
import { createLegacyClouddriver } from './legacy';
import { createFacadeMetrics } from './metrics';
import type { Facade } from './server';
import { createFacade } from './server';

export interface FacadeRuntime {
  readonly facade: Facade;
  readonly router: Router;
  close(): Promise<void>;
}

/** The facade as every entry point builds it from configuration (npm start, npm run facade, tests of the CLI). */
export async function buildFacade(input: { config: BosunConfig; client: Client; logger: Logger; payloadCodec?: PayloadCodec }): Promise<FacadeRuntime> {
  const { config, client, logger } = input;
  const metrics = createFacadeMetrics();
  const router = await createRouter({
    flagFile: config.routing.flagFile,
    logger,
    registry: metrics.registry,
    onInvalidAtStart: config.routing.onInvalidAtStart,
  });
  const facade = createFacade({
    client,
    taskQueue: config.temporal.taskQueue,
    settings: taskSettings(config),
    logger,
    maxBodyBytes: config.facade.maxBodyBytes,
    router,
    legacy: config.facade.legacyUrl ? createLegacyClouddriver(config.facade.legacyUrl) : undefined,
    authorization: { requireUser: config.facade.requireUser, checkAccounts: config.facade.checkAccounts },
    metrics,
    payloadCodec: input.payloadCodec,
  });
  return {
    facade,
    router,
    async close() {
      await facade.close();
      await router.close();
    },
  };
}
