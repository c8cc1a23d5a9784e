/**
 * The one way tests, scripts and benchmarks start the servers under Bosun: a Temporal dev server
 * (headless, on a free port, SQLite in memory or in a file) and a warmed-up moto, both from the
 * pinned binaries, started side by side and awaited properly; optionally the workflow bundle.
 * jest's global setup, the scripts (startTestServers), the chaos run and startStack use it.
 *
 * startStack is the one builder of a Bosun under test, for test/harness.ts and every benchmark:
 * the servers (the test run's, or fresh ones), the AWS provider (optionally wrapped, with a fault
 * plan), the worker (none, in this process, or child processes with tuning), the Temporal client
 * and the facade over real HTTP. Its close() stops exactly what it started.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Activities, AwsClientProvider, AwsClients } from '../../activities';
import { createActivities, createAwsClientProvider } from '../../activities';
import type { Facade, FacadeOptions } from '../../client/facade/server';
import { createFacade } from '../../client/facade/server';
import type { TaskSettings } from '../../domain/task-input';
import { defaultTaskSettings } from '../../domain/task-input';
import type { MotoServer, TemporalDevServer, TemporalDevServerOptions } from '../../infra/stack';
import { freePort, startMoto, startTemporalDevServer } from '../../infra/stack';
import type { Logger, Tracing } from '../../runtime';
import { createLogger, SecretsCodec, silentLogger } from '../../runtime';
import type { BosunWorkerOptions } from '../../worker/create-worker';
import { createBosunWorker } from '../../worker/create-worker';
import { writeWorkflowBundle } from '../../worker/workflow-bundle';
import type { FaultPlan } from '../faults';
import type { RanTask, RunTaskOptions } from './orca-client';
import { runTask } from './orca-client';
import { WorkerProcess } from './worker-process';
import type { WorkerTuning } from './worker-protocol';
import { BENCH_ACCOUNTS } from './worker-protocol';

export const REGION = 'us-east-1';
export const ACCOUNT = 'test';

export interface ServersOptions {
  /** Logs (and the SQLite file, the bundle) go here. */
  readonly dir: string;
  /** SQLite file that keeps workflows across restarts; absent = in memory (as the tests run). */
  readonly dbFile?: string | undefined;
  /** More dev server arguments (a metrics port, dynamic config for experiments). */
  readonly temporalArgs?: readonly string[] | undefined;
  /** false: no moto (a benchmark of the facade alone). */
  readonly moto?: boolean;
  /** Build the workflow bundle into `dir` while the servers start. */
  readonly bundle?: boolean;
  readonly temporalReadyTimeoutMs?: number;
}

export interface Servers {
  readonly temporal: TemporalDevServer;
  /** How the dev server was started, so a run can restart it on the same port and database. */
  readonly temporalOptions: TemporalDevServerOptions;
  readonly moto: MotoServer | undefined;
  readonly bundlePath: string | undefined;
  /** Stops both servers (each once). */
  stop(): Promise<void>;
}

/** moto loads its AMI and instance-type catalogues on the first EC2 call (1-2 s); pay it before measuring. */
export async function warmMoto(endpoint: string): Promise<void> {
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  try {
    await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }));
  } finally {
    ec2.destroy();
  }
}

export async function startServers(opts: ServersOptions): Promise<Servers> {
  // The SDK versions are pinned; its "Node 22 from 2027" notice would only bury the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  mkdirSync(opts.dir, { recursive: true });
  const temporalOptions: TemporalDevServerOptions = {
    port: await freePort(),
    headless: true,
    dbFile: opts.dbFile,
    logFile: path.join(opts.dir, 'temporal.log'),
    readyTimeoutMs: opts.temporalReadyTimeoutMs ?? 120_000,
    extraArgs: opts.temporalArgs,
  };
  const [temporal, moto, bundlePath] = await Promise.allSettled([
    startTemporalDevServer(temporalOptions),
    opts.moto === false
      ? Promise.resolve(undefined)
      : freePort().then(async (port) => {
          const m = await startMoto({ port, logFile: path.join(opts.dir, 'moto.log'), readyTimeoutMs: 60_000 });
          await warmMoto(m.endpoint).catch(async (err: unknown) => {
            await m.stop();
            throw err;
          });
          return m;
        }),
    opts.bundle ? writeWorkflowBundle(path.join(opts.dir, 'workflow-bundle.js')) : Promise.resolve(undefined),
  ]);
  const failed = [temporal, moto, bundlePath].find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // Whatever did start is stopped again: a half-started stack must not outlive the error.
    if (temporal.status === 'fulfilled') await temporal.value.stop().catch(() => undefined);
    if (moto.status === 'fulfilled') await moto.value?.stop().catch(() => undefined);
    throw failed.reason;
  }
  const t = (temporal as PromiseFulfilledResult<TemporalDevServer>).value;
  const m = (moto as PromiseFulfilledResult<MotoServer | undefined>).value;
  let stopped: Promise<void> | undefined;
  return {
    temporal: t,
    temporalOptions,
    moto: m,
    bundlePath: (bundlePath as PromiseFulfilledResult<string | undefined>).value,
    stop: () => (stopped ??= Promise.all([t.stop(), m?.stop()]).then(() => undefined)),
  };
}

/** What jest's global setup hands to its global teardown (same process, through globalThis). */
export type TestStack = Pick<Servers, 'temporal'> & { readonly moto: MotoServer };

/**
 * The servers of a test run (jest's global setup) or of a script that runs outside jest (recording
 * histories, measuring them), with the workflow bundle, handed to test/harness.ts through the
 * environment.
 */
export async function startTestServers(dir: string): Promise<Servers & { readonly moto: MotoServer; readonly bundlePath: string }> {
  const servers = await startServers({ dir, bundle: true });
  const { moto, bundlePath } = servers;
  if (!moto || !bundlePath) throw new Error('the test servers start moto and build the bundle');
  process.env.BOSUN_TEST_TEMPORAL_ADDRESS = servers.temporal.address;
  process.env.BOSUN_TEST_AWS_ENDPOINT = moto.endpoint;
  process.env.BOSUN_TEST_WORKFLOW_BUNDLE = bundlePath;
  return { ...servers, moto, bundlePath };
}

/** An AWS provider for moto at `endpoint`: the test account (moto's default), and two more for the authorization tests. */
export function emulatorAwsProvider(endpoint: string, maxAttempts = 1): AwsClientProvider {
  return createAwsClientProvider({
    accounts: [...BENCH_ACCOUNTS, { name: 'prod' }, { name: 'staging', accountId: '210987654321' }],
    endpoint,
    emulator: true,
    maxAttempts,
  });
}

function testRunEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with jest so test/global-setup.ts starts the stack`);
  return v;
}

export interface StackOptions {
  /**
   * Fresh servers this stack starts and stops (a benchmark's), or servers started already (with
   * their workflow bundle) that it uses and leaves running. Absent: the test run's servers and
   * workflow bundle (jest's global setup).
   */
  readonly servers?: FreshServers | Servers;
  /**
   * false: no worker (tasks stay RUNNING); `in-process` (the default): createBosunWorker in this
   * process, with the activities below; otherwise that many worker child processes
   * (worker-child.ts, production activities) with optional tuning.
   */
  readonly worker?: false | 'in-process' | { readonly processes?: number; readonly tuning?: WorkerTuning | undefined };
  /** Wrap or replace the in-process worker's activities with test doubles. */
  readonly activities?: (real: Activities) => Activities;
  /** Faults to inject into the in-process worker's activities (after `activities`, if given). */
  readonly faults?: FaultPlan;
  /** Slots of the in-process worker; absent = production defaults. */
  readonly workerLimits?: Pick<BosunWorkerOptions, 'maxConcurrentActivities' | 'maxConcurrentWaits'>;
  /** The payload key of worker and facade (a fresh random one unless told: recorded histories need a fixed one). */
  readonly payloadKey?: Buffer;
  /** The settings the facade puts into every task; production defaults unless given. */
  readonly settings?: TaskSettings;
  /** Facade extras: the onboarding flag, the legacy Clouddriver, authorization. */
  readonly facade?: Partial<Pick<FacadeOptions, 'router' | 'legacy' | 'authorization'>>;
  /** The facade's logger (silent in tests, formatting and dropping each line in benchmarks, unless given). */
  readonly logger?: Logger;
  /** Headers every `run` sends on top of Orca's defaults. */
  readonly headers?: Record<string, string>;
  /** Traces of the client, the in-process worker and the facade, read when the stack starts. */
  readonly tracing?: () => Tracing;
}

/** Servers a stack starts: logs and the database under `dir`, Prometheus metrics on a free port. */
export interface FreshServers {
  readonly dir: string;
  /** Temporal's SQLite in a file under `dir` (as `npm start`, the default) or in memory. */
  readonly temporalDb?: TemporalDb;
  /** false: no moto (the facade and Temporal alone). */
  readonly moto?: boolean;
}

/** Where Temporal keeps its state: a temp SQLite file (as `npm start` does) or SQLite in memory (as the tests do). */
export type TemporalDb = 'file' | 'memory';

export interface Stack {
  readonly client: Client;
  readonly taskQueue: string;
  /** AWS clients in this process (for setup, fakes and the direct-SDK baseline); throws without moto. */
  readonly aws: AwsClientProvider;
  readonly facade: Facade;
  readonly facadeUrl: string;
  /** The servers this stack runs on; undefined on the test run's. */
  readonly servers: Servers | undefined;
  /** The worker children (empty unless the worker runs as processes). */
  readonly workers: readonly WorkerProcess[];
  /** Temporal's Prometheus metrics (servers this stack started only). */
  readonly temporalMetricsUrl: string;
  awsClients(): AwsClients;
  /** The processes whose CPU and memory a benchmark reports. */
  watched(): { readonly name: string; readonly pid: number }[];
  /** Submits `body` to the facade as Orca does and polls the task until it is completed. */
  run(body: unknown, opts?: RunTaskOptions): Promise<RanTask>;
  close(): Promise<void>;
}

let benchBundle: Promise<string> | undefined;

/** The workflow bundle, built once per process into `dir` (as test/global-setup.ts does per test run). */
export function workflowBundle(dir: string): Promise<string> {
  benchBundle ??= writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
  return benchBundle;
}

/** Stacks that are up, so an interrupted benchmark run can still stop exactly what it started. */
const openStacks = new Set<() => Promise<void>>();

/** Stops every stack that is still up (on SIGINT/SIGTERM of a benchmark run). */
export async function closeAllStacks(): Promise<void> {
  await Promise.all([...openStacks].map((close) => close()));
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    openStacks.delete(close);
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  openStacks.add(close);
  try {
    let servers: Servers | undefined;
    let metricsPort = 0;
    let address: string;
    let awsEndpoint: string | undefined;
    let bundle: () => Promise<string>;
    if (opts.servers && 'temporal' in opts.servers) {
      servers = opts.servers;
      address = servers.temporal.address;
      awsEndpoint = servers.moto?.endpoint;
      const codePath = servers.bundlePath;
      if (!codePath) throw new Error('servers a stack shares must have built the workflow bundle');
      bundle = async () => codePath;
    } else if (opts.servers) {
      const { dir, temporalDb = 'file', moto } = opts.servers;
      mkdirSync(dir, { recursive: true });
      metricsPort = await freePort();
      const dbFile = temporalDb === 'file' ? path.join(dir, 'temporal.sqlite') : undefined;
      const started = await startServers({
        dir,
        dbFile,
        moto,
        temporalArgs: ['--metrics-port', String(metricsPort)],
      });
      servers = started;
      stops.push(async () => {
        await started.stop();
        if (dbFile) rmSync(dbFile, { force: true });
      });
      address = started.temporal.address;
      awsEndpoint = started.moto?.endpoint;
      bundle = () => workflowBundle(path.dirname(dir));
    } else {
      address = testRunEnv('BOSUN_TEST_TEMPORAL_ADDRESS');
      awsEndpoint = testRunEnv('BOSUN_TEST_AWS_ENDPOINT');
      const codePath = testRunEnv('BOSUN_TEST_WORKFLOW_BUNDLE');
      bundle = async () => codePath;
    }
    const provider = awsEndpoint ? emulatorAwsProvider(awsEndpoint) : undefined;
    if (provider) stops.push(async () => provider.destroy());
    const aws = (): AwsClientProvider => {
      if (!provider) throw new Error('this stack has no moto');
      return provider;
    };

    const taskQueue = `bosun-${opts.servers ? 'bench' : 'test'}-${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    // The same codec on both sides, as in production: user data never reaches Temporal in clear.
    const key = opts.payloadKey ?? randomBytes(32);
    const payloadCodec = new SecretsCodec({ id: 'test', key });
    const tracing = opts.tracing?.();
    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({
      connection,
      dataConverter: { payloadCodecs: [payloadCodec] },
      ...(tracing ? { interceptors: { workflow: tracing.clientInterceptors } } : {}),
    });

    const workers: WorkerProcess[] = [];
    const worker = opts.worker ?? 'in-process';
    if (worker === 'in-process') {
      const real = createActivities({ aws: aws() });
      const own = opts.activities ? opts.activities(real) : real;
      const native = await NativeConnection.connect({ address });
      stops.push(() => native.close());
      const inProcess = await createBosunWorker({
        connection: native,
        namespace: 'default',
        taskQueue,
        activities: opts.faults ? opts.faults.wrap(own) : own,
        workflowBundle: { codePath: await bundle() },
        payloadCodec,
        tracing,
        ...opts.workerLimits,
      });
      const running = inProcess.run();
      stops.push(async () => {
        if (inProcess.getState() === 'RUNNING') inProcess.shutdown();
        await running;
      });
    } else if (worker) {
      if (!awsEndpoint) throw new Error('a worker needs moto');
      const logDir = opts.servers && 'dir' in opts.servers ? opts.servers.dir : path.dirname(await bundle());
      const count = worker.processes ?? 1;
      for (let i = 0; i < count; i++) {
        const child = await WorkerProcess.start(
          {
            address,
            taskQueue,
            awsEndpoint,
            bundlePath: await bundle(),
            payloadKey: key.toString('base64'),
            tuning: worker.tuning,
          },
          path.join(logDir, count > 1 ? `worker-${i + 1}.log` : 'worker.log'),
        );
        workers.push(child);
        stops.push(() => child.stop());
      }
    }

    const facade = createFacade({
      client,
      taskQueue,
      settings: opts.settings ?? defaultTaskSettings,
      // A benchmark's facade formats each log line as production does (and drops it); a test's is silent.
      logger: opts.logger ?? (opts.servers ? createLogger('info', {}, () => undefined) : silentLogger),
      tracing: tracing?.enabled ?? false,
      ...opts.facade,
    });
    const facadeUrl = await facade.listen(0, '127.0.0.1');
    stops.push(() => facade.close());

    return {
      client,
      taskQueue,
      get aws() {
        return aws();
      },
      facade,
      facadeUrl,
      servers,
      workers,
      temporalMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      awsClients: () => aws().clientsFor(ACCOUNT, REGION),
      watched: () => [
        ...(servers ? [{ name: 'temporal dev server', pid: servers.temporal.pid }] : []),
        ...(servers?.moto ? [{ name: 'moto', pid: servers.moto.pid }] : []),
        ...workers.map((w, i) => ({ name: `bosun worker (child${workers.length > 1 ? ` ${i + 1}` : ''})`, pid: w.pid })),
      ],
      run: (body, runOpts = {}) => runTask(facadeUrl, body, { ...runOpts, headers: { ...opts.headers, ...runOpts.headers } }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
