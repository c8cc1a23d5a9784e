/**
 * `npm start`, the embedded default: brings up what is not configured (a Temporal dev server
 * unless TEMPORAL_ADDRESS is set; moto unless BOSUN_AWS=aws or AWS_ENDPOINT_URL is set), then a
 * worker and the facade in this process, and prints where everything is and a request to try.
 *
 * Ctrl-C (or SIGTERM, SIGHUP, an uncaught error) stops exactly what it started: the worker drains
 * first, then the servers. If this process is killed outright, the servers it started are recorded
 * in `<stateDir>/stack.json`, and the next `npm start` (or `npm run stack -- down`) stops them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { awsEndpoint, ConfigError, temporalAddress } from '../config';
import { buildFacade } from '../client/facade/build';
import { changeFlagFile, describe, emptyDocument, onboard, readFlagFile } from '../client/routing';
import { bootstrap } from '../runtime';
import { createConfiguredWorker } from '../worker/create-worker';
import { serveWorkerHealth } from '../worker/health';
import { createWorkerMetrics } from '../worker/metrics';
import { DEMO_APP, DEMO_GROUP, demoRequest, ensureEmulatorServerGroup } from './demo';
import type { JaegerServer } from './jaeger/jaeger';
import { defaultJaegerCacheDir, ensureJaeger, startJaeger } from './jaeger/jaeger';
import type { RunningProcess } from './stack';
import { startLocalServers } from './stack';
import { StackRecord } from './stack-record';

async function main(): Promise<void> {
  const started = Date.now();
  const say = (message: string) => process.stderr.write(`bosun: ${message}\n`);
  let bosun: ReturnType<typeof bootstrap>;
  const workerMetrics = createWorkerMetrics();
  try {
    bosun = bootstrap({ component: 'start', onAwsCall: workerMetrics.awsCall });
  } catch (err) {
    say(err instanceof ConfigError ? err.message : String(err));
    process.exit(1);
  }
  const { config, logger } = bosun;
  const owned: RunningProcess[] = [];
  // A server this command owns that dies on its own leaves Bosun useless (the worker would retry
  // a dead dev server for ever): stop the rest and exit, naming the server and its log.
  const own = (p: RunningProcess) => {
    owned.push(p);
    void p.exited.then((how) => {
      if (stopping) return;
      say(`${p.name} (pid ${p.pid}) exited on its own (${how}); see ${p.logFile}. Stopping the rest.`);
      void stop(1);
    });
  };
  const cleanups: (() => Promise<void>)[] = [];
  let record: StackRecord | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => logger.warn({ err }, 'shutdown step failed'));
    await bosun.close();
    for (const p of owned.reverse()) await p.stop().catch((err: unknown) => logger.warn({ err, server: p.name }, 'stopping failed'));
    record?.release();
    process.exit(code);
  };
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // One Ctrl-C can arrive twice (from the terminal and relayed by tsx): only a second press,
      // a moment later, means "do not wait".
      if (stopping) {
        if (Date.now() - firstSignalAt < 1000) return;
        say(`${signal} again: exiting without waiting; the next npm start stops what is left`);
        process.exit(130);
      }
      firstSignalAt = Date.now();
      say(`${signal}: stopping the worker, the facade and the servers this command started`);
      void stop(0);
    });
  }
  // A bug must not leave the servers behind: stop them, then exit with the error.
  const crash = (kind: string) => (err: unknown) => {
    logger.fatal({ err }, kind);
    say(`${kind}: ${(err as Error)?.stack ?? String(err)}\n  stopping what this command started`);
    void stop(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));

  try {
    const flagFile = config.routing.flagFile;
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
    const emulator = config.aws.mode === 'emulator' && !config.aws.endpoint;
    if (!config.temporal.address || emulator) record = await StackRecord.claim(config.stateDir, say);
    const servers = await startLocalServers(config, record, own);
    const uiUrl = servers.temporal?.uiUrl;
    let jaeger: JaegerServer | undefined;
    if (process.argv.includes('--jaeger') || config.tracing.jaeger) {
      say(`Jaeger: building or reusing ${defaultJaegerCacheDir()} (the first build takes minutes)`);
      const built = await ensureJaeger({ log: (line) => logger.debug({ jaeger: line }, 'jaeger build') });
      if (built.built) say(`Jaeger: built in ${Math.round(built.ms / 1000)} s`);
      jaeger = await startJaeger({ binary: built.binary, dir: path.join(config.stateDir, 'jaeger'), record });
      own(jaeger);
      // The worker and the facade export to it, unless an OTLP endpoint is configured already.
      if (!config.tracing.endpoint && !config.tracing.tracesEndpoint) {
        bosun = bootstrap({ component: 'start', env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint } });
      }
    }
    if (servers.moto) {
      const account = config.aws.accounts[0]!;
      await ensureEmulatorServerGroup(bosun.aws().clientsFor(account.name, config.aws.region), {
        name: DEMO_GROUP,
        region: config.aws.region,
      });
    }

    // The onboarded applications keep their own label in the worker's metrics.
    workerMetrics.applications.know(describe((await readFlagFile(flagFile).catch(() => undefined))?.doc ?? emptyDocument()).applications);

    // Unversioned on purpose: the embedded default has one worker and nothing to roll over.
    const worker = await createConfiguredWorker(bosun, { metrics: workerMetrics });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    // The worker's /health and /metrics, as `npm run worker` serves them, when a port is configured.
    if (config.worker.healthPort !== undefined) {
      const health = await serveWorkerHealth(worker, {
        port: config.worker.healthPort,
        host: config.worker.healthHost,
        taskQueue: config.temporal.taskQueue,
        metrics: workerMetrics.registry,
      });
      cleanups.push(() => health.close());
    }

    // The facade's client shares the worker's NativeConnection, so a POST can ask for eager
    // workflow start: the server hands the task's first workflow task straight to this worker,
    // saving a trip through matching (bench e2e, variant in-process; docs/performance.md).
    const client = await bosun.workerClient();
    // bosun.config, not config: with Jaeger it was rebuilt to export there (traces on).
    const service = await buildFacade({ config: bosun.config, client, logger, payloadCodec: bosun.payloadCodec, eagerStart: true });
    const facadeUrl = await service.listen();
    cleanups.push(() => service.close());

    const account = config.aws.accounts[0]!.name;
    const ui = uiUrl ?? "(your Temporal cluster's UI)";
    process.stdout.write(
      [
        '',
        `Bosun is ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        `  facade (Clouddriver API): ${facadeUrl}`,
        `  Temporal UI:              ${ui}${uiUrl ? `/namespaces/${config.temporal.namespace}/workflows` : ''}`,
        `  Temporal frontend:        ${temporalAddress(config)} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`,
        `  AWS:                      ${awsEndpoint(config) ?? `real AWS, ${config.aws.region}`}${emulator ? ` (moto; demo group ${DEMO_GROUP})` : ''}`,
        `  onboarding flag:          ${flagFile} (${service.router.status().state}; onboard with: npm run bosun -- onboard <app> --reason "…")`,
        `  legacy Clouddriver:       ${config.facade.legacyUrl ?? 'none (requests for applications not onboarded get 503)'}`,
        `  logs:                     ${path.join(config.stateDir, 'logs')} (servers); this terminal's stderr (Bosun, JSON lines)`,
        ...(jaeger
          ? [
              `  traces (Jaeger):          ${jaeger.uiUrl} (recent traces; OTLP in at ${jaeger.otlpEndpoint})`,
              `                            a task's trace: ${jaeger.uiUrl}/trace/<trace id from the POST's traceparent>`,
            ]
          : []),
        '',
        'Resize the demo group the way Orca does:',
        `  curl -s -X POST '${facadeUrl}/aws/ops' -H 'Content-Type: application/json' -H 'X-SPINNAKER-USER: you@example.com' -H 'X-SPINNAKER-ACCOUNTS: ${account}' \\`,
        `    -d '${JSON.stringify(demoRequest({ account, region: config.aws.region }))}'`,
        'then poll the task it names:',
        `  curl -s ${facadeUrl}/task/<id>`,
        '',
        'Ctrl-C stops everything this command started.',
        '',
      ].join('\n'),
    );
    await running;
  } catch (err) {
    say(err instanceof ConfigError ? err.message : ((err as Error).message ?? String(err)));
    await stop(1);
  }
}

void main();
