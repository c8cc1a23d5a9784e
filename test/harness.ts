/**
 * What integration tests share: a real worker on a unique task queue against the run's Temporal
 * dev server, AWS clients against the run's moto, and the facade over real HTTP, all built by
 * startStack (test/support/stack.ts), the builder the benchmarks use too.
 */
import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Activities, AwsClientProvider, AwsClients } from '../activities';
import type { TaskSettings } from '../domain/task-input';
import { defaultTaskSettings } from '../domain/task-input';
import { FaultPlan } from './faults';
import type { RanTask, RunTaskOptions, TaskJson } from './support/orca-client';
import { pollTask, post } from './support/orca-client';
import type { Stack, StackOptions } from './support/stack';
import { ACCOUNT, emulatorAwsProvider, REGION, startStack } from './support/stack';

export { ACCOUNT, REGION };

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
  const endpoint = process.env.BOSUN_TEST_AWS_ENDPOINT;
  if (!endpoint) throw new Error('BOSUN_TEST_AWS_ENDPOINT is not set: run the tests with jest so test/global-setup.ts starts the stack');
  return emulatorAwsProvider(endpoint);
}

export function testAwsClients(provider: AwsClientProvider, region = REGION): AwsClients {
  return provider.clientsFor(ACCOUNT, region);
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 8)}`;
}

export type TestEnv = Pick<Stack, 'client' | 'taskQueue' | 'aws' | 'facade' | 'facadeUrl' | 'run' | 'close'>;

export type TestEnvOptions = Omit<StackOptions, 'servers' | 'worker' | 'logger'> & {
  /** false: no worker (tasks stay RUNNING); otherwise one in this process. */
  readonly withWorker?: boolean;
};

/** A worker on a fresh task queue of the test run's servers, a client and a facade on an ephemeral loopback port. */
export async function startTestEnv(opts: TestEnvOptions = {}): Promise<TestEnv> {
  const { withWorker, ...rest } = opts;
  // Only for a worker: a Runtime no worker ever used is never shut down, and holds jest open at exit.
  if (withWorker !== false) installRuntime();
  return startStack({ ...rest, settings: rest.settings ?? testSettings, worker: withWorker === false ? false : 'in-process' });
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
  return readThrough(current, ['client', 'taskQueue', 'aws', 'facade', 'facadeUrl'], {
    run: (body: unknown, runOpts?: RunTaskOptions) => current().run(body, runOpts),
    close: () => current().close(),
  });
}

/**
 * `rest` with `keys` added as getters that read `current()`'s at each use: the view of something
 * a `beforeAll` starts, handed out when the file is loaded.
 */
export function readThrough<T, K extends keyof T, R extends object>(current: () => T, keys: readonly K[], rest: R): Pick<T, K> & R {
  for (const key of keys) Object.defineProperty(rest, key, { get: () => current()[key], enumerable: true });
  return rest as Pick<T, K> & R;
}

/** Orca names the accounts the user may write to; the facade refuses the others. */
export const AS_ORCA: Readonly<Record<string, string>> = { 'x-spinnaker-accounts': ACCOUNT };

export interface OrcaRun extends RanTask {
  /** Posts the same body under the same clientRequestId again, as Orca does when an answer is lost; answers the task id the facade gives. */
  repost(): Promise<string>;
}

export interface OrcaTestEnv {
  readonly env: TestEnv;
  /** The plan the env's activities run through: faults to inject, and the calls they saw. */
  readonly faults: FaultPlan;
  /** AWS clients of the test account and region. */
  readonly clients: () => AwsClients;
  /** Runs `body` as Orca does, under a fresh clientRequestId, posted to `path` (`/aws/ops` unless told). */
  runAsOrca(body: unknown, path?: string): Promise<OrcaRun>;
  /** Posts `body` with the next call of `activity` on inputs that `match` hanging; answers the task id once that call has begun. */
  startHanging(activity: keyof Activities, match: (input: unknown) => boolean, body: unknown): Promise<string>;
}

/**
 * useTestEnv as the operation tests use it: every run sends Orca's headers (AS_ORCA unless
 * `opts.headers` says otherwise) and the activities run through a fresh FaultPlan.
 */
export function useOrcaTestEnv(opts: Omit<TestEnvOptions, 'faults'> = {}): OrcaTestEnv {
  const faults = new FaultPlan();
  const headers = opts.headers ?? AS_ORCA;
  const env = useTestEnv({ ...opts, faults, headers });
  return {
    env,
    faults,
    clients: () => testAwsClients(env.aws),
    runAsOrca: async (body, path = '/aws/ops') => {
      const url = `${path}?clientRequestId=${uniqueName('orca-')}`;
      const ran = await env.run(body, { path: url });
      return { ...ran, repost: async () => ((await post(`${env.facadeUrl}${url}`, body, headers)).body as { id: string }).id };
    },
    startHanging: async (activity, match, body) => {
      faults.hang(activity, match);
      const res = await post(`${env.facadeUrl}/aws/ops`, body, headers);
      await faults.untilCalled(activity, match);
      return (res.body as { id: string }).id;
    },
  };
}

/**
 * A TestEnv whose activities run through a fresh FaultPlan and whose AWS commands in the test
 * account and region are recorded (from this file's next `beforeAll` on): for tests that check on
 * the wire that something was done once.
 */
export function useRecordedTestEnv(): { env: TestEnv; faults: FaultPlan; recorder: CommandRecorder; clients: () => AwsClients } {
  const faults = new FaultPlan();
  const env = useTestEnv({ faults });
  return { env, faults, recorder: useAwsCommandRecorder(env), clients: () => testAwsClients(env.aws) };
}

/**
 * Cancels running task `id` as Orca does (the facade accepts with a 202), waits until it has
 * completed, then releases the calls `faults` holds: answers the task, which failed as Cancelled.
 */
export async function cancelTask(env: Pick<TestEnv, 'facadeUrl'>, faults: FaultPlan, id: string): Promise<TaskJson> {
  expect((await post(`${env.facadeUrl}/task/${id}/cancel`, '')).status).toBe(202);
  const task = await pollTask(env.facadeUrl, id);
  faults.release();
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(task.resultObjects[0]).toMatchObject({ cause: 'Cancelled' });
  return task;
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
