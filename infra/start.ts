/**
 * `npm start`, the embedded default: brings up what is not configured (a Temporal dev server
 * unless TEMPORAL_ADDRESS is set; moto unless BOSUN_AWS=aws or AWS_ENDPOINT_URL is set), then a
 * worker and the facade in this process, and prints where everything is. Ctrl-C stops exactly
 * what it started.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities, createAwsClientProvider } from '../activities';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../config/logger';
import { awsClientSettings, awsEndpoint, taskSettings, temporalAddress } from '../config/runtime';
import { temporalConnectionSettings } from '../config/temporal';
import { createFacade } from '../client/facade/server';
import { createBosunWorker } from '../worker/create-worker';
import { ensureEmulatorServerGroup } from './demo';
import type { RunningProcess } from './stack';
import { startMoto, startTemporalDevServer } from './stack';

const DEMO_GROUP = 'bosundemo-main-v001';

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  const log = createLogger(config.logLevel, { service: 'bosun' });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const owned: RunningProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    for (const p of owned.reverse()) await p.stop().catch(() => undefined);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0));

  try {
    let uiUrl: string | undefined;
    if (!config.temporal.address) {
      const temporal = await startTemporalDevServer({
        port: config.temporal.localPort,
        uiPort: config.temporal.localUiPort,
        dbFile: path.join(config.stateDir, 'temporal.sqlite'),
        namespace: config.temporal.namespace,
        logFile: path.join(config.stateDir, 'logs', 'temporal.log'),
      });
      owned.push(temporal);
      uiUrl = temporal.uiUrl;
    }
    const emulator = config.aws.mode === 'emulator' && !config.aws.endpoint;
    if (emulator) owned.push(await startMoto({ port: config.aws.localPort, logFile: path.join(config.stateDir, 'logs', 'moto.log') }));

    const address = temporalAddress(config);
    const aws = createAwsClientProvider(awsClientSettings(config, awsEndpoint(config)));
    cleanups.push(async () => aws.destroy());
    if (emulator) {
      const account = config.aws.accounts[0]!;
      await ensureEmulatorServerGroup(aws.clientsFor(account.name, config.aws.region), { name: DEMO_GROUP, region: config.aws.region });
    }

    const nativeConnection = await NativeConnection.connect(temporalConnectionSettings(config, address));
    const worker = await createBosunWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createActivities({ aws }),
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    });

    const connection = await Connection.connect(temporalConnectionSettings(config, address));
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const facade = createFacade({
      client,
      taskQueue: config.temporal.taskQueue,
      settings: taskSettings(config),
      logger: log,
      maxBodyBytes: config.facade.maxBodyBytes,
    });
    const facadeUrl = await facade.listen(config.facade.port, config.facade.host);
    cleanups.push(() => facade.close());

    const account = config.aws.accounts[0]!.name;
    const ui = uiUrl ?? '(your Temporal cluster\'s UI)';
    const body = JSON.stringify([
      { resizeServerGroup: { credentials: account, region: config.aws.region, serverGroupName: DEMO_GROUP, capacity: { min: 2, max: 4, desired: 3 } } },
    ]);
    process.stdout.write(
      [
        '',
        `Bosun is ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        `  facade (Clouddriver API): ${facadeUrl}`,
        `  Temporal UI:              ${ui}${uiUrl ? `/namespaces/${config.temporal.namespace}/workflows` : ''}`,
        `  Temporal frontend:        ${address} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`,
        `  AWS:                      ${awsEndpoint(config) ?? `real AWS, ${config.aws.region}`}${emulator ? ` (moto; demo group ${DEMO_GROUP})` : ''}`,
        '',
        'Resize the demo group the way Orca does:',
        `  curl -s -X POST '${facadeUrl}/aws/ops' -H 'Content-Type: application/json' -H 'X-SPINNAKER-USER: you@example.com' \\`,
        `    -d '${body}'`,
        'then poll the task it names:',
        `  curl -s ${facadeUrl}/task/<id>`,
        '',
        'Ctrl-C stops everything this command started.',
        '',
      ].join('\n'),
    );
    await running;
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : ((err as Error).message ?? String(err));
    process.stderr.write(`bosun: ${message}\n`);
    await stop(1);
  }
}

void main();
