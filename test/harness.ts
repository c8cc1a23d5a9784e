/**
 * What integration tests share: a real worker on a unique task queue against the run's Temporal
 * dev server, AWS clients against the run's moto, and the facade over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Activities, AwsClientProvider, AwsClients } from '../activities';
import { createActivities, createAwsClientProvider } from '../activities';
import type { Tracing } from '../runtime';
import { silentLogger } from '../runtime';
import type { Facade, FacadeOptions } from '../client/facade/server';
import { createFacade } from '../client/facade/server';
import type { TaskSettings } from '../domain/task-input';
import { defaultTaskSettings } from '../domain/task-input';
import type { BosunWorkerOptions } from '../worker/create-worker';
import { createBosunWorker } from '../worker/create-worker';
import { randomBytes } from 'node:crypto';
import { SecretsCodec } from '../runtime';
import type { FaultPlan } from './faults';
import type { RanTask, RunTaskOptions } from './support/orca-client';
import { runTask } from './support/orca-client';

export const REGION = 'us-east-1';
export const ACCOUNT = 'test';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with jest so test/global-setup.ts starts the stack`);
  return v;
}

let runtimeInstalled = false;
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // Activity failures are the point of many tests; only errors are worth printing.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Already installed by an earlier test file in this jest worker.
  }
}

/** Fast polls for tests; the retry window stays long enough that a transient error is retried. */
export const testSettings: TaskSettings = { awsRetryWindowMs: 60_000, pollIntervalMs: 200, waitStrategy: defaultTaskSettings.waitStrategy };

export function testAwsProvider(): AwsClientProvider {
  return createAwsClientProvider({
    accounts: [{ name: ACCOUNT, accountId: '123456789012' }, { name: 'prod' }, { name: 'staging', accountId: '210987654321' }],
    endpoint: env('BOSUN_TEST_AWS_ENDPOINT'),
    emulator: true,
    maxAttempts: 1,
  });
}

export function testAwsClients(provider: AwsClientProvider, region = REGION): AwsClients {
  return provider.clientsFor(ACCOUNT, region);
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 8)}`;
}

export interface TestEnv {
  readonly client: Client;
  readonly taskQueue: string;
  readonly aws: AwsClientProvider;
  readonly facade: Facade;
  readonly facadeUrl: string;
  /** Submits `body` to this env's facade as Orca does and polls the task until it is completed. */
  run(body: unknown, opts?: RunTaskOptions): Promise<RanTask>;
  close(): Promise<void>;
}

export interface TestEnvOptions {
  /** Wrap or replace activities with test doubles (a FaultPlan goes in `faults`). */
  readonly activities?: (real: Activities) => Activities;
  /** Faults to inject: wraps the activities (after `activities`, if given). */
  readonly faults?: FaultPlan;
  /** Headers every `run` sends on top of Orca's defaults (narrower accounts, say). */
  readonly headers?: Record<string, string>;
  readonly settings?: TaskSettings;
  readonly withWorker?: boolean;
  /** Slots of the worker (activity slots of the task queue, and of the waits queue); absent = production defaults. */
  readonly workerLimits?: Pick<BosunWorkerOptions, 'maxConcurrentActivities' | 'maxConcurrentWaits'>;
  /** The payload key of worker and facade (a fresh random one unless told: recorded histories need a fixed one). */
  readonly payloadKey?: Buffer;
  /** Facade extras: the onboarding flag, the legacy Clouddriver, authorization. */
  readonly facade?: Partial<Pick<FacadeOptions, 'router' | 'legacy' | 'authorization'>>;
  /**
   * Traces of the env's client, worker and facade (runtime/tracing.ts `startTracing`), read when
   * the env starts: the test starts tracing in an earlier `beforeAll`.
   */
  readonly tracing?: () => Tracing;
}

/** A worker on a fresh task queue, a client and a facade on an ephemeral loopback port. */
export async function startTestEnv(opts: TestEnvOptions = {}): Promise<TestEnv> {
  installRuntime();
  const address = env('BOSUN_TEST_TEMPORAL_ADDRESS');
  const taskQueue = uniqueName('bosun-test-');
  const aws = testAwsProvider();
  const real = createActivities({ aws });
  const own = opts.activities ? opts.activities(real) : real;
  const activities = opts.faults ? opts.faults.wrap(own) : own;

  // The same codec on both sides, as in production: user data never reaches Temporal in clear.
  const payloadCodec = new SecretsCodec({ id: 'test', key: opts.payloadKey ?? randomBytes(32) });
  const connection = await Connection.connect({ address });
  const tracing = opts.tracing?.();
  const client = new Client({
    connection,
    dataConverter: { payloadCodecs: [payloadCodec] },
    ...(tracing ? { interceptors: { workflow: tracing.clientInterceptors } } : {}),
  });
  let stopWorker: () => Promise<void> = async () => undefined;
  if (opts.withWorker !== false) {
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await createBosunWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      activities,
      workflowBundle: { codePath: env('BOSUN_TEST_WORKFLOW_BUNDLE') },
      payloadCodec,
      tracing,
      ...opts.workerLimits,
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    };
  }
  const facade = createFacade({
    client,
    taskQueue,
    settings: opts.settings ?? testSettings,
    logger: silentLogger,
    tracing: tracing?.enabled ?? false,
    ...opts.facade,
  });
  const facadeUrl = await facade.listen(0, '127.0.0.1');
  return {
    client,
    taskQueue,
    aws,
    facade,
    facadeUrl,
    run: (body, runOpts = {}) => runTask(facadeUrl, body, { ...runOpts, headers: { ...opts.headers, ...runOpts.headers } }),
    async close() {
      await facade.close();
      await stopWorker();
      await connection.close();
      aws.destroy();
    },
  };
}

/**
 * A TestEnv for the whole test file: started in a `beforeAll`, closed in an `afterAll`. The env
 * it returns forwards to the started one, so it is used inside tests and later hooks only.
 */
export function useTestEnv(opts: TestEnvOptions = {}): TestEnv {
  let started: TestEnv | undefined;
  beforeAll(async () => {
    started = await startTestEnv(opts);
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): TestEnv => {
    if (!started) throw new Error('the test env starts in beforeAll: use it inside a test or a later hook');
    return started;
  };
  return {
    get client() {
      return current().client;
    },
    get taskQueue() {
      return current().taskQueue;
    },
    get aws() {
      return current().aws;
    },
    get facade() {
      return current().facade;
    },
    get facadeUrl() {
      return current().facadeUrl;
    },
    run: (body, runOpts) => current().run(body, runOpts),
    close: () => current().close(),
  };
}

interface Recordable {
  middlewareStack: {
    add(
      mw: (
        next: (args: { input: unknown }) => Promise<unknown>,
        context: { commandName: string },
      ) => (args: { input: unknown }) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

export interface CommandRecorder {
  readonly sent: { command: string; input: unknown }[];
  /** How many `command`s were sent whose input mentions `marker`. */
  count(command: string, marker: string): number;
}

/**
 * Records every AWS command the env's activities send in the test account and region, from this
 * file's next `beforeAll` on. They share the provider's cached clients, so middleware on those
 * sees each call: the way to prove something was done exactly once.
 */
export function useAwsCommandRecorder(env: Pick<TestEnv, 'aws'>): CommandRecorder {
  const sent: { command: string; input: unknown }[] = [];
  beforeAll(() => {
    recordInto(testAwsClients(env.aws), sent);
  });
  return recorderOf(sent);
}

/** Records every AWS command sent through `clients` from now on (for set-ups that already have clients). */
export function recordAwsCommands(clients: AwsClients): CommandRecorder {
  const sent: { command: string; input: unknown }[] = [];
  recordInto(clients, sent);
  return recorderOf(sent);
}

function recordInto(clients: AwsClients, sent: { command: string; input: unknown }[]): void {
  for (const client of [clients.ec2, clients.autoScaling, clients.elbv2, clients.elb, clients.cloudWatch] as unknown as Recordable[]) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push({ command: context.commandName, input: args.input });
        return next(args);
      },
      { step: 'initialize', name: 'bosunTestRecorder' },
    );
  }
}

function recorderOf(sent: { command: string; input: unknown }[]): CommandRecorder {
  return { sent, count: (command, marker) => sent.filter((s) => s.command === command && JSON.stringify(s.input).includes(marker)).length };
}
