/**
 * The task runner under TestWorkflowEnvironment with mocked activities (no moto, seconds): the
 * order compensation runs in, how failures map to a Failed workflow and Clouddriver's EXCEPTION,
 * and cancellation. Runs against the test run's dev server (test/global-setup.ts), never the
 * SDK's downloaded one.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Activities } from '../activities';
import { FailureType } from '../domain/failures';
import type { DeployDescription } from '../domain/operations';
import { parseOperation } from '../domain/operations';
import { uniqueName } from '../test/harness';
import { useWorkflowTestWorker } from '../test/support/workflow-test-worker';
import { taskMemoOf } from '../domain/task';
import type { OperationInput } from '../domain/task-input';

const taskQueue = uniqueName('task-runner-');

/** Every activity call, in order, as `name region`. */
let calls: string[] = [];
/** What a test makes an activity do instead of the default answer. */
let overrides: Partial<Record<keyof Activities, (input: { region: string }) => Promise<unknown>>> = {};

const defaults: Partial<Record<keyof Activities, (input: { region: string; cluster?: string }) => unknown>> = {
  resolveImage: () => ({ imageId: 'ami-0123456789abcdef0', name: 'img' }),
  resolveDeployResources: () => ({ subnetIds: [], targetGroupArns: [], securityGroupIds: [] }),
  chooseServerGroupName: (i) => ({ serverGroupName: `${i.cluster}-v001` }),
  createServerGroupLaunchTemplate: () => ({ launchTemplateId: 'lt-1', launchTemplateName: 'x' }),
  createAutoScalingGroup: () => ({}),
  updateServerGroupCapacity: () => ({}),
  waitForServerGroupCapacity: () => ({ message: 'healthy' }),
  rollbackServerGroup: () => ({ deletedGroup: true, deletedTemplate: true }),
};

const mocked: Record<string, (input: { region: string }) => Promise<unknown>> = new Proxy(
  {},
  {
    get: (_, name: string) => async (input: { region: string }) => {
      calls.push(`${name} ${input.region}`);
      const override = overrides[name as keyof Activities];
      if (override) return override(input);
      const answer = defaults[name as keyof Activities];
      if (!answer) throw new Error(`the test gives no answer for ${name}`);
      return answer(input);
    },
    ownKeys: () => Object.keys(defaults),
    getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
  },
);

const testEnv = useWorkflowTestWorker(
  taskQueue,
  () => Object.fromEntries(Object.keys(defaults).map((name) => [name, mocked[name]])) as unknown as Activities,
);

beforeEach(() => {
  calls = [];
  overrides = {};
});

function deploy(): DeployDescription {
  const parsed = parseOperation('createServerGroup', {
    credentials: 'test',
    application: 'app',
    stack: 'main',
    availabilityZones: { 'us-east-1': ['us-east-1a'], 'us-west-2': ['us-west-2a'] },
    capacity: { min: 1, max: 2, desired: 1 },
    amiName: 'img',
    instanceType: 't3.micro',
    waitForHealthyPercentage: 100,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.request.description as DeployDescription;
}

const input = (): OperationInput<DeployDescription> => ({
  description: deploy(),
  context: { cloudProvider: 'aws', user: 'u' },
  settings: { awsRetryWindowMs: 3_000, pollIntervalMs: 100 },
});

async function start() {
  return testEnv.client.workflow.start('createServerGroup', { taskQueue, workflowId: uniqueName('runner-'), args: [input()] });
}

async function failureOf(handle: Awaited<ReturnType<typeof start>>): Promise<unknown> {
  return handle.result().then(
    () => undefined,
    (err: unknown) => (err instanceof WorkflowFailedError ? err.cause : err),
  );
}

const lines = async (handle: Awaited<ReturnType<typeof start>>) =>
  taskMemoOf((await handle.describe()).memo)?.history.map((h) => h.status) ?? [];

test('a failure in the second region rolls back both regions, last created first, and fails the workflow', async () => {
  overrides.waitForServerGroupCapacity = async (i) => {
    if (i.region === 'us-west-2') throw ApplicationFailure.nonRetryable('only 0 of 1 healthy', FailureType.CapacityNotReached);
    return { message: 'healthy' };
  };
  const handle = await start();
  const failure = await failureOf(handle);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: FailureType.CapacityNotReached, message: 'only 0 of 1 healthy', nonRetryable: true });
  expect((failure as ApplicationFailure).details?.[0]).toMatchObject({
    type: 'EXCEPTION',
    operation: 'createServerGroup',
    cause: 'CapacityNotReached',
    retryable: false,
  });
  expect(calls.filter((c) => c.startsWith('rollbackServerGroup'))).toEqual([
    'rollbackServerGroup us-west-2',
    'rollbackServerGroup us-east-1',
  ]);
  const history = await lines(handle);
  const rollbacks = history.filter((l) => l.startsWith('Rolling back:'));
  expect(rollbacks).toEqual([
    'Rolling back: delete app-main-v001 and its launch template in us-west-2',
    'Rolling back: delete app-main-v001 and its launch template in us-east-1',
  ]);
  expect(history[history.length - 1]).toBe('Orchestration failed: createServerGroup | CapacityNotReached: [only 0 of 1 healthy]');
  expect((await handle.describe()).status.name).toBe('FAILED');
});

test('an undo step that fails is reported and the others still run; the original failure stands', async () => {
  overrides.waitForServerGroupCapacity = async (i) => {
    if (i.region === 'us-west-2') throw ApplicationFailure.nonRetryable('only 0 of 1 healthy', FailureType.CapacityNotReached);
    return { message: 'healthy' };
  };
  overrides.rollbackServerGroup = async (i) => {
    if (i.region === 'us-west-2') throw ApplicationFailure.nonRetryable('still there', FailureType.ServerGroupNotDeleted);
    return { deletedGroup: true, deletedTemplate: true };
  };
  const handle = await start();
  expect(await failureOf(handle)).toMatchObject({ type: FailureType.CapacityNotReached });
  expect(calls.filter((c) => c.startsWith('rollbackServerGroup'))).toEqual([
    'rollbackServerGroup us-west-2',
    'rollbackServerGroup us-east-1',
  ]);
  expect(await lines(handle)).toContain(
    'Rollback step failed, left behind: delete app-main-v001 and its launch template in us-west-2: still there',
  );
});

test.each([
  [
    'an AWS code refused outright',
    () => ApplicationFailure.nonRetryable('bad id', 'InvalidAMIID.Malformed'),
    { cause: 'InvalidAMIID.Malformed', retryable: false },
  ],
  [
    'throttling that outlasts the retry window',
    () => ApplicationFailure.retryable('slow down', 'Throttling'),
    { cause: 'Throttling', retryable: true },
  ],
])('%s fails the workflow as AwsRequestFailed with the code in the EXCEPTION', async (_, error, expected) => {
  overrides.resolveImage = async () => {
    throw error();
  };
  const handle = await start();
  const failure = (await failureOf(handle)) as ApplicationFailure;
  expect(failure.type).toBe(FailureType.AwsRequestFailed);
  expect(failure.details?.[0]).toMatchObject({ type: 'EXCEPTION', ...expected });
  // Nothing was created before the image was resolved, so nothing is rolled back.
  expect(calls.some((c) => c.startsWith('rollbackServerGroup'))).toBe(false);
});

test('cancelled during a wait: the wait is cancelled, both regions roll back, the workflow is Canceled', async () => {
  let waiting!: () => void;
  const inWait = new Promise<void>((r) => (waiting = r));
  overrides.waitForServerGroupCapacity = async (i) => {
    if (i.region !== 'us-west-2') return { message: 'healthy' };
    waiting();
    const ctx = Context.current();
    for (;;) {
      ctx.heartbeat();
      await ctx.sleep(50); // throws CancelledFailure once the cancellation reaches the activity
    }
  };
  const handle = await start();
  await inWait;
  await handle.cancel();
  expect(await failureOf(handle)).toBeInstanceOf(CancelledFailure);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  expect(calls.filter((c) => c.startsWith('rollbackServerGroup'))).toEqual([
    'rollbackServerGroup us-west-2',
    'rollbackServerGroup us-east-1',
  ]);
  expect((await lines(handle)).slice(-1)).toEqual(['Orchestration cancelled during createServerGroup.']);
});
