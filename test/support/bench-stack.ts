/**
 * One benchmark's world, as test/harness.ts builds it but with every part measurable: a fresh
 * Temporal dev server (headless, SQLite in a temp file or in memory, Prometheus metrics on a
 * free port), a fresh warmed-up moto, optionally the Bosun worker as a child process, and the
 * facade in this process over real HTTP on loopback. close() stops exactly what it started.
 */
import { writeWorkflowBundle } from '../../worker/workflow-bundle';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { PatchActivationInput, WorkerOptions } from '@temporalio/worker';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { AwsClientProvider, AwsClients } from '../../activities';
import { createActivities, createAwsClientProvider } from '../../activities';
import type { BosunWorker } from '../../worker/create-worker';
import { createBosunWorker } from '../../worker/create-worker';
import type { Facade } from '../../client/facade/server';
import { createFacade } from '../../client/facade/server';
import { createLogger } from '../../runtime';
import { SecretsCodec } from '../../runtime';
import type { TaskSettings } from '../../domain/task-input';
import { defaultTaskSettings } from '../../domain/task-input';
import type { MotoServer, TemporalDevServer } from '../../infra/stack';
import { freePort } from '../../infra/stack';
import { startServers } from './stack';
import type { Watched } from '../../bench/lib/usage';
import type { WorkerTuning } from './worker-protocol';
import { BENCH_ACCOUNTS } from './worker-protocol';
import { WorkerProcess } from './worker-process';

export const REGION = 'us-east-1';
export const ACCOUNT = 'test';

/** Where Temporal keeps its state: a temp SQLite file (as `npm start` does) or SQLite in memory (as the tests do). */
export type TemporalDb = 'file' | 'memory';

export interface StackOptions {
  /** Folder for this stack's logs and database (removed on close, logs kept). */
  readonly dir: string;
  readonly temporalDb: TemporalDb;
  readonly moto: boolean;
  /**
   * false: no worker (tasks stay RUNNING); otherwise the worker child, with optional tuning, or
   * (inProcess) the worker in this process, as `npm start` runs it, with the facade's client on
   * the worker's NativeConnection so the facade can ask for eager workflow start.
   */
  readonly worker:
    | false
    | {
        readonly tuning?: WorkerTuning | undefined;
        readonly inProcess?: boolean | undefined;
        /** With inProcess: whether the facade asks for eager workflow start (default true). */
        readonly eagerStart?: boolean | undefined;
      };
  /** Temporal dynamic config (`KEY=VALUE`, VALUE in JSON) for experiments; none by default. */
  readonly temporalConfig?: readonly string[] | undefined;
  /** The settings the facade puts into every task; production defaults unless given. */
  readonly settings?: TaskSettings | undefined;
}

export interface BenchStack {
  readonly temporal: TemporalDevServer;
  readonly moto: MotoServer | undefined;
  readonly worker: WorkerProcess | undefined;
  readonly client: Client;
  readonly facade: Facade;
  readonly facadeUrl: string;
  readonly taskQueue: string;
  readonly temporalMetricsUrl: string;
  /** AWS clients in this process, for setup and for the direct-SDK baseline. */
  readonly aws: AwsClientProvider | undefined;
  awsClients(): AwsClients;
  /** The processes whose CPU and memory a benchmark reports. */
  watched(): Watched[];
  close(): Promise<void>;
}

let bundlePath: Promise<string> | undefined;

/** Stacks that are up, so an interrupted run can still stop exactly what it started. */
const openStacks = new Set<() => Promise<void>>();

/** Stops every stack that is still up (on SIGINT/SIGTERM of the benchmark run). */
export async function closeAllStacks(): Promise<void> {
  await Promise.all([...openStacks].map((close) => close()));
}

/** The workflow bundle, built once per benchmark run (as test/global-setup.ts does per test run). */
export function workflowBundle(runDir: string): Promise<string> {
  bundlePath ??= writeWorkflowBundle(path.join(runDir, 'workflow-bundle.js'));
  return bundlePath;
}

export async function startBenchStack(opts: StackOptions): Promise<BenchStack> {
  mkdirSync(opts.dir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    openStacks.delete(closeAll);
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  openStacks.add(closeAll);
  try {
    const metricsPort = await freePort();
    const dbFile = opts.temporalDb === 'file' ? path.join(opts.dir, 'temporal.sqlite') : undefined;
    const servers = await startServers({
      dir: opts.dir,
      dbFile,
      moto: opts.moto,
      temporalArgs: ['--metrics-port', String(metricsPort), ...(opts.temporalConfig ?? []).flatMap((c) => ['--dynamic-config-value', c])],
    });
    const { temporal, moto } = servers;
    stops.push(async () => {
      await servers.stop();
      if (dbFile) rmSync(dbFile, { force: true });
    });
    const aws = moto
      ? createAwsClientProvider({ accounts: BENCH_ACCOUNTS, endpoint: moto.endpoint, emulator: true, maxAttempts: 1 })
      : undefined;
    if (aws) stops.push(async () => aws.destroy());

    const key = randomBytes(32);
    const payloadCodec = new SecretsCodec({ id: 'bench', key });
    const taskQueue = `bosun-bench-${randomUUID().slice(0, 8)}`;
    let worker: WorkerProcess | undefined;
    let client: Client | undefined;
    if (opts.worker !== false && opts.worker.inProcess) {
      if (!moto || !aws) throw new Error('a worker needs moto');
      const native = await NativeConnection.connect({ address: temporal.address });
      stops.push(() => native.close());
      const { patchesOff, ...tuning } = opts.worker.tuning ?? {};
      const off = new Set(patchesOff ?? []);
      const codePath = await workflowBundle(path.dirname(opts.dir));
      // Production options plus exactly the benchmark's tuning, as the worker child does it;
      // createBosunWorker creates the task queue's worker synchronously (the waits worker, after an
      // await, gets production options): the swap touches only the workflow worker.
      const create = Worker.create.bind(Worker);
      Worker.create = (options: WorkerOptions) =>
        create({
          ...options,
          // Slot tuning is for the task queue's worker; the waits worker keeps its own limit.
          ...(options.taskQueue === taskQueue ? tuning : {}),
          ...(off.size > 0 ? { patchActivationCallback: ({ patchId }: PatchActivationInput) => !off.has(patchId) } : {}),
        });
      let created: Promise<BosunWorker>;
      try {
        created = createBosunWorker({
          connection: native,
          namespace: 'default',
          taskQueue,
          activities: createActivities({ aws }),
          workflowBundle: { codePath },
          payloadCodec,
          identity: `bench-in-process-${process.pid}`,
        });
      } finally {
        Worker.create = create;
      }
      const inProcess = await created;
      const running = inProcess.run();
      stops.push(async () => {
        if (inProcess.getState() === 'RUNNING') inProcess.shutdown();
        await running;
      });
      client = new Client({ connection: native, dataConverter: { payloadCodecs: [payloadCodec] } });
    } else if (opts.worker !== false) {
      if (!moto) throw new Error('a worker needs moto');
      worker = await WorkerProcess.start(
        {
          address: temporal.address,
          taskQueue,
          awsEndpoint: moto.endpoint,
          bundlePath: await workflowBundle(path.dirname(opts.dir)),
          payloadKey: key.toString('base64'),
          tuning: opts.worker.tuning,
        },
        path.join(opts.dir, 'worker.log'),
      );
      const w = worker;
      stops.push(() => w.stop());
    }

    const eagerStart = client !== undefined && opts.worker !== false && opts.worker.eagerStart !== false;
    if (!client) {
      const connection = await Connection.connect({ address: temporal.address });
      stops.push(() => connection.close());
      client = new Client({ connection, dataConverter: { payloadCodecs: [payloadCodec] } });
    }
    // The production facade logs a JSON line per task; format it, as production does, and drop it.
    const logger = createLogger('info', {}, () => undefined);
    const facade = createFacade({
      client,
      taskQueue,
      settings: opts.settings ?? defaultTaskSettings,
      logger,
      eagerStart,
    });
    const facadeUrl = await facade.listen(0, '127.0.0.1');
    stops.push(() => facade.close());

    return {
      temporal,
      moto,
      worker,
      client,
      facade,
      facadeUrl,
      taskQueue,
      temporalMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      aws,
      awsClients: () => {
        if (!aws) throw new Error('this stack has no moto');
        return aws.clientsFor(ACCOUNT, REGION);
      },
      watched: () => [
        { name: 'temporal dev server', pid: temporal.pid },
        ...(moto ? [{ name: 'moto', pid: moto.pid }] : []),
        ...(worker ? [{ name: 'bosun worker (child)', pid: worker.pid }] : []),
      ],
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
