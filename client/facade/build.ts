/**
 * Builds a facade from configuration: the onboarding flag router, the legacy Clouddriver,
 * authorization, limits and metrics, and (only when configured) the codec endpoint on its own
 * listener. `npm start` and `npm run facade` both use it, so the embedded default and a
 * production facade are the same code.
 */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { BosunConfig } from '../../config';
import { taskSettings } from '../../config';
import type { Logger } from '../../runtime';
import { tracingEnabled } from '../../runtime';
import type { Router } from '../routing';
import { createRouter } from '../routing';
import type { CodecServer } from './codec-endpoint';
import { createCodecServer } from './codec-endpoint';
import { createLegacyClouddriver } from './legacy';
import { createFacadeMetrics } from './metrics';
import type { Facade } from './server';
import { createFacade } from './server';

export interface FacadeService {
  readonly facade: Facade;
  readonly router: Router;
  /** The codec endpoint, when BOSUN_CODEC_ENDPOINT is on: its own listener, never the Orca one. */
  readonly codec: CodecServer | undefined;
  /** Starts the facade's listener (and the codec endpoint's); returns the facade's URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The facade as every entry point builds it from configuration (npm start, npm run facade, tests of the CLI). */
export async function buildFacade(input: {
  config: BosunConfig;
  client: Client;
  logger: Logger;
  payloadCodec?: PayloadCodec;
  /** FacadeOptions.eagerStart: only when `client` is on the NativeConnection of a worker in this process. */
  eagerStart?: boolean;
}): Promise<FacadeService> {
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
    temporalCallTimeoutMs: config.facade.temporalCallTimeoutMs,
    router,
    legacy: config.facade.legacyUrl ? createLegacyClouddriver(config.facade.legacyUrl, config.facade.legacyTimeoutMs) : undefined,
    authorization: { requireUser: config.facade.requireUser, checkAccounts: config.facade.checkAccounts },
    metrics,
    tracing: tracingEnabled(config),
    limits: { maxOperations: config.facade.maxOperations, maxJsonDepth: config.facade.maxJsonDepth },
    eagerStart: input.eagerStart ?? false,
    runningTasks: { refreshMs: config.facade.runningTasksRefreshMs, maxTasks: config.facade.runningTasksMax },
  });
  const endpoint = config.codecEndpoint;
  let codec: CodecServer | undefined;
  if (endpoint.enabled && input.payloadCodec && endpoint.token) {
    codec = await createCodecServer({ codec: input.payloadCodec, token: endpoint.token, corsOrigins: endpoint.corsOrigins, logger });
  }
  return {
    facade,
    router,
    codec,
    async listen() {
      const url = await facade.listen(config.facade.port, config.facade.host);
      if (codec) {
        const codecUrl = await codec.listen(endpoint.port, endpoint.host);
        logger.info({ url: codecUrl, corsOrigins: endpoint.corsOrigins }, 'codec endpoint listening');
      }
      return url;
    },
    async close() {
      await facade.close();
      await codec?.close();
      await router.close();
    },
  };
}
