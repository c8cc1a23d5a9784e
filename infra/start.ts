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
import { awsClientSettings, awsEndpoint, temporalAddress } from '../config/runtime';
import { temporalConnectionSettings } from '../config/temporal';
import { buildFacade, flagFileOf } from '../client/facade/runtime';
import { changeFlagFile, onboard } from '../client/routing';
import { loadPayloadKey, SecretsCodec } from '../config/payload-codec';
import { existsSync } from 'node:fs';
import { createBosunWorker } from '../worker/create-worker';
import { ensureEmulatorServerGroup } from './demo';
import type { RunningProcess } from './stack';
import { startMoto, startTemporalDevServer } from './stack';

const DEMO_APP = 'bosundemo';
const DEMO_GROUP = `${DEMO_APP}-main-v001`;

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
    // Encrypts payloads that may hold secrets; the facade serves the matching codec for the UI.
    const payloadCodec = new SecretsCodec(loadPayloadKey(process.env, config.stateDir));
    const flagFile = flagFileOf(config);
    if (!existsSync(flagFile)) {
      // The embedded default starts with the demo application onboarded, so the printed request
      // runs on Temporal; every other application needs `npm run bosun -- onboard <app>`.
      await changeFlagFile({
        file: flagFile,
        edit: (doc) => onboard(doc, DEMO_APP),
        who: 'bosun start',
        action: 'onboard',
        args: { application: DEMO_APP },
        reason: 'the embedded default onboards its demo application',
      });
    }
    let uiUrl: string | undefined;
    if (!config.temporal.address) {
      const temporal = await startTemporalDevServer({
        port: config.temporal.localPort,
        uiPort: config.temporal.localUiPort,
        dbFile: path.join(config.stateDir, 'temporal.sqlite'),
        namespace: config.temporal.namespace,
        logFile: path.join(config.stateDir, 'logs', 'temporal.log'),
        extraArgs: ['--ui-codec-endpoint', `http://${config.facade.host}:${config.facade.port}/codec`],
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
      payloadCodec,
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    });

    const connection = await Connection.connect(temporalConnectionSettings(config, address));
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: { payloadCodecs: [payloadCodec] } });
    const runtime = await buildFacade({ config, client, logger: log, payloadCodec });
    const facadeUrl = await runtime.facade.listen(config.facade.port, config.facade.host);
    cleanups.push(() => runtime.close());

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
        `  onboarding flag:          ${flagFile} (${runtime.router.status().state}; onboard with: npm run bosun -- onboard <app> --reason "…")`,
        `  legacy Clouddriver:       ${config.facade.legacyUrl ?? 'none (requests for applications not onboarded get 503)'}`,
        '',
        'Resize the demo group the way Orca does:',
        `  curl -s -X POST '${facadeUrl}/aws/ops' -H 'Content-Type: application/json' -H 'X-SPINNAKER-USER: you@example.com' -H 'X-SPINNAKER-ACCOUNTS: ${account}' \\`,
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
