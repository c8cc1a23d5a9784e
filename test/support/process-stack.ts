/**
 * A worker and a facade as separate processes, started exactly as `npm run worker` and
 * `npm run facade` start them (worker/main.ts, client/facade/main.ts, the composition root
 * reading the environment), against the test run's Temporal dev server and moto (or a proxy in
 * front of moto), on a task queue of their own. For tests that look at what an operator sees:
 * the metrics endpoints a Prometheus scrapes, the CLI.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyDocument, formatFlagDocument, setRollout } from '../../client/routing/flag-document';
import { freePort } from '../../infra/stack';
import { uniqueName } from '../harness';
import { spawnTs, waitForHttp } from './child-process';

export interface ProcessStack {
  readonly facadeUrl: string;
  /** Bosun's worker metrics (the worker's health endpoint). */
  readonly workerMetricsUrl: string;
  /** The SDK's metrics, served by the worker's runtime. */
  readonly sdkMetricsUrl: string;
  readonly taskQueue: string;
  /** The environment both processes were started with; a CLI run with it talks to the same stack. */
  readonly env: Readonly<Record<string, string>>;
  /** What each process wrote so far (for a failing test's message). */
  logs(): string;
  stop(): Promise<void>;
}

export async function startProcessStack(opts: { awsEndpoint?: string } = {}): Promise<ProcessStack> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'bosun-procs-'));
  const flagFile = path.join(stateDir, 'flags', 'routing.json');
  mkdirSync(path.dirname(flagFile), { recursive: true });
  // Every application on Temporal.
  writeFileSync(flagFile, formatFlagDocument(setRollout(emptyDocument(), 100)));
  const [facadePort, healthPort, sdkPort] = [await freePort(), await freePort(), await freePort()];
  const taskQueue = uniqueName('bosun-procs-');
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: need('BOSUN_TEST_TEMPORAL_ADDRESS'),
    AWS_ENDPOINT_URL: opts.awsEndpoint ?? need('BOSUN_TEST_AWS_ENDPOINT'),
    BOSUN_TASK_QUEUE: taskQueue,
    BOSUN_WORKFLOW_BUNDLE: need('BOSUN_TEST_WORKFLOW_BUNDLE'),
    BOSUN_STATE_DIR: stateDir,
    BOSUN_FLAG_FILE: flagFile,
    BOSUN_PAYLOAD_KEY: randomBytes(32).toString('base64'),
    BOSUN_FACADE_HOST: '127.0.0.1',
    BOSUN_FACADE_PORT: String(facadePort),
    BOSUN_WORKER_HEALTH_PORT: String(healthPort),
    BOSUN_WORKER_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`,
    BOSUN_AWS_RETRY_WINDOW: '60000',
    BOSUN_POLL_INTERVAL: '200',
    BOSUN_LOG_LEVEL: 'warn',
  };
  // The one launcher of tests and benchmarks (child-process.ts): logs in the state folder.
  const start = (script: string, name: string) => spawnTs({ name, script, env, logFile: path.join(stateDir, `${name}.log`) });
  const children = [start('worker/main.ts', 'worker'), start('client/facade/main.ts', 'facade')];
  const stack: ProcessStack = {
    facadeUrl: `http://127.0.0.1:${facadePort}`,
    workerMetricsUrl: `http://127.0.0.1:${healthPort}/metrics`,
    sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics`,
    taskQueue,
    env,
    logs: () => children.map((c) => `[${c.name}] ${readFileSync(path.join(stateDir, `${c.name}.log`), 'utf8')}`).join('\n'),
    async stop() {
      await Promise.all(children.map((c) => c.stop(15_000)));
    },
  };
  // Up when the worker polls (its /health answers 200) and the facade answers.
  try {
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${healthPort}/health`, 90_000, children[0]),
      waitForHttp(`${stack.facadeUrl}/health`, 90_000, children[1]),
    ]);
    return stack;
  } catch (err) {
    await stack.stop();
    throw new Error(`the worker and facade processes did not come up (${(err as Error).message}):\n${stack.logs()}`);
  }
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with jest so test/global-setup.ts starts the stack`);
  return v;
}
