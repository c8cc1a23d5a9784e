/**
 * The composition root. Every entry point (`npm start`, `npm run worker`, `npm run facade`, the
 * `bosun` CLI, benchmarks) builds its parts here, in one order: configuration, then the logger,
 * then (on demand) the Temporal connections with the payload codec, then the AWS client provider.
 * Nothing else reads the environment or builds these parts, so the same environment always means
 * the same flag file, key, addresses and accounts in every process.
 */
import { Client, Connection } from '@temporalio/client';
import type * as WorkerSdk from '@temporalio/worker';
import type { NativeConnection } from '@temporalio/worker';
import type { AwsCallObserver, AwsClientProvider, AwsClientSettings } from '../activities';
import { createAwsClientProvider } from '../activities';
import type { BosunConfig } from '../config';
import { awsEndpoint, loadConfig, temporalAddress } from '../config';
import type { Logger, LogSink } from './logger';
import { createLogger } from './logger';
import type { SecretsCodec } from './payload-codec';
import { createSecretsCodec } from './payload-codec';
import { temporalConnectionSettings } from './temporal-connection';
import type { Tracing } from './tracing';
import { startConfiguredTracing } from './tracing';

export interface BootstrapOptions {
  /** Names the process in every log line (`worker`, `facade`, `start`, `cli`). */
  readonly component: string;
  /** The environment to read (the process environment by default, through config/; tests pass their own). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Where log lines go (stderr by default). */
  readonly logSink?: LogSink;
  /** Overrides the configured log level (the CLI only wants warnings). */
  readonly logLevel?: BosunConfig['logLevel'];
  /** Told of every AWS call's attempt (the worker's metrics). */
  readonly onAwsCall?: AwsCallObserver;
}

/** What an entry point gets from the composition root; connections are made when first asked for. */
export interface Bosun {
  readonly config: BosunConfig;
  readonly logger: Logger;
  /** Encrypts payloads that may hold secrets; workers, clients and the UI codec endpoint share it. */
  readonly payloadCodec: SecretsCodec;
  /** A Temporal client with the payload codec (one connection per process). */
  client(): Promise<Client>;
  /** The worker's native connection, with the SDK runtime logging through Bosun's logger. */
  nativeConnection(): Promise<NativeConnection>;
  /**
   * A Temporal client with the payload codec on the worker's native connection: in a process that
   * runs a worker too (`npm start`), its starts may ask for eager workflow start, which the SDK
   * accepts only from a client on a local worker's connection.
   */
  workerClient(): Promise<Client>;
  /**
   * This process's tracing (runtime/tracing.ts), started on first use: clients and workers made
   * here join traces through it. TRACING_OFF unless the OTEL_* variables turn it on.
   */
  tracing(): Promise<Tracing>;
  /** AWS clients per account and region, resolved by account name (credentials never enter history). */
  aws(): AwsClientProvider;
  /** Closes what was opened, in reverse order. */
  close(): Promise<void>;
}

/** Builds the parts of a Bosun process from its environment (docs/configuration.md). */
export function bootstrap(opts: BootstrapOptions): Bosun {
  const config = loadConfig(opts.env, opts.cwd);
  const logger = createLogger(opts.logLevel ?? config.logLevel, { service: 'bosun', component: opts.component }, opts.logSink);
  let codec: SecretsCodec | undefined;
  let client: Promise<Client> | undefined;
  let native: Promise<NativeConnection> | undefined;
  let workerClient: Promise<Client> | undefined;
  let aws: AwsClientProvider | undefined;
  let tracing: Promise<Tracing> | undefined;
  const closers: (() => Promise<void>)[] = [];
  const payloadCodec = () => (codec ??= createSecretsCodec(config));
  const clientOn = async (connection: Client['connection']) =>
    new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: { payloadCodecs: [payloadCodec()] },
      interceptors: { workflow: (await bosun.tracing()).clientInterceptors },
    });

  const bosun: Bosun = {
    config,
    logger,
    get payloadCodec() {
      return payloadCodec();
    },
    client() {
      client ??= (async () => {
        const connection = await Connection.connect(temporalConnectionSettings(config)).catch(unreachable(config));
        closers.push(() => connection.close());
        return clientOn(connection);
      })();
      return client;
    },
    nativeConnection() {
      native ??= (async () => {
        // Loaded here, not at the top: the facade and the CLI never load the worker's native module.
        const worker = await import('@temporalio/worker');
        installSdkRuntime(worker, logger, config);
        const connection = await worker.NativeConnection.connect(temporalConnectionSettings(config)).catch(unreachable(config));
        closers.push(() => connection.close());
        return connection;
      })();
      return native;
    },
    tracing() {
      tracing ??= startConfiguredTracing(config, opts.component).then((t) => {
        // Closed last (closers run in reverse), so spans of the shutdown itself are exported.
        if (t.enabled) closers.unshift(() => t.shutdown());
        return t;
      });
      return tracing;
    },
    workerClient() {
      workerClient ??= bosun.nativeConnection().then(clientOn);
      return workerClient;
    },
    aws() {
      if (!aws) {
        const provider = createAwsClientProvider({ ...awsClientSettings(config), onCall: opts.onAwsCall });
        closers.push(async () => provider.destroy());
        aws = provider;
      }
      return aws;
    },
    async close() {
      for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => logger.warn({ err }, 'closing failed'));
    },
  };
  return bosun;
}

/** A connection error that says where Bosun looked and how to point it elsewhere. */
function unreachable(config: BosunConfig): (err: unknown) => never {
  return (err) => {
    const where = config.temporal.address
      ? `TEMPORAL_ADDRESS=${config.temporal.address}`
      : `the local stack's port ${config.temporal.localPort} (start it with npm run stack, or set TEMPORAL_ADDRESS)`;
    throw new Error(`cannot reach Temporal at ${temporalAddress(config)}, from ${where}: ${(err as Error).message}`, { cause: err });
  };
}

/** The AWS client provider's settings: the configured accounts, and moto's endpoint in emulator mode. */
export function awsClientSettings(config: BosunConfig): AwsClientSettings {
  return {
    accounts: config.aws.accounts,
    endpoint: awsEndpoint(config),
    emulator: config.aws.mode === 'emulator',
    maxAttempts: config.aws.sdkMaxAttempts,
  };
}

type WorkerModule = typeof WorkerSdk;
const SDK_LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The SDK runtime is per process and can be installed once; its log lines (worker, bundler, core,
 * and workflow code's `log`, which carries workflowId, runId and workflowType) go through Bosun's
 * logger, at WARN and above unless Bosun logs at debug (its INFO lines report every worker state
 * change and drown the rest). With `worker.metricsAddress` set, the runtime serves its metrics
 * for Prometheus there, among them `temporal_workflow_task_execution_failed_total` (a Bosun bug or a
 * non-deterministic change) and activity failures per type.
 */
function installSdkRuntime(worker: WorkerModule, logger: Logger, config: BosunConfig): void {
  const level = logger.level === 'debug' || logger.level === 'trace' ? 'DEBUG' : 'WARN';
  const sdkLogger = new worker.DefaultLogger(level, (entry) =>
    logger[SDK_LEVELS[entry.level]]({ sdk: true, ...entry.meta }, entry.message),
  );
  const metricsAddress = config.worker.metricsAddress;
  try {
    // Bosun's entry points handle SIGINT/SIGTERM themselves (the worker drains before the servers
    // stop), so the SDK must not shut workers down on its own when a signal arrives.
    worker.Runtime.install({
      logger: sdkLogger,
      shutdownSignals: [],
      telemetryOptions: {
        // Core's own lines (e.g. "Failing workflow task" with its run id) reach the same logger.
        logging: { filter: { core: level, other: level }, forward: {} },
        // Prometheus' conventions: counters end in `_total`, durations are `_seconds`.
        ...(metricsAddress
          ? {
              metrics: {
                prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
              },
            }
          : {}),
      },
    });
  } catch {
    // Already installed in this process (npm start runs the worker and the facade together).
  }
}
