/**
 * The process floor between the code that does the work (activities, workflows) and the entry
 * points (worker/, client/, infra/): the composition root, the logger, the payload codec and the
 * Temporal connection settings.
 */
export type { Bosun, BootstrapOptions } from './bootstrap';
export { awsClientSettings, bootstrap } from './bootstrap';
export type { Logger, LogLevel, LogSink } from './logger';
export { createLogger, silentLogger } from './logger';
export { metricsOn } from './metrics';
export type { PayloadKey } from './payload-codec';
export {
  createSecretsCodec,
  isLocalStack,
  loadPayloadKeys,
  PayloadKeyMissingError,
  payloadKey,
  payloadKeyId,
  SecretsCodec,
} from './payload-codec';
export { temporalConnectionSettings } from './temporal-connection';
export type { Tracing } from './tracing';
export { otlpTracesUrl, startConfiguredTracing, startTracing, TRACE_HEADER, TRACING_OFF, tracingEnabled } from './tracing';
export type { DeploymentVersion } from './worker-version';
export { workerDeploymentVersion } from './worker-version';
