/**
 * The one way tests, scripts and benchmarks start the servers under Bosun: a Temporal dev server
 * (headless, on a free port, SQLite in memory or in a file) and a warmed-up moto, both from the
 * pinned binaries, started side by side and awaited properly; optionally the workflow bundle.
 * jest's global setup, the scripts (startTestServers), every benchmark's stack
 * (test/support/bench-stack.ts) and the chaos run use it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { MotoServer, TemporalDevServer, TemporalDevServerOptions } from '../../infra/stack';
import { freePort, startMoto, startTemporalDevServer } from '../../infra/stack';
import { writeWorkflowBundle } from '../../worker/workflow-bundle';

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
