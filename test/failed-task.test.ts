/**
 * A failed task looks failed in Temporal (a Failed workflow with a catalogue type, Orca's message
 * and the Clouddriver EXCEPTION as details), while GET /task renders the same Clouddriver JSON as
 * before, from Temporal alone: no worker needs to run.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { FaultPlan, mentions } from './faults';
import { startTestEnv, useTestEnv } from './harness';
import type { TaskJson } from './support/orca-client';
import { makeServerGroup, resizeOps } from './support/server-group';

const faults = new FaultPlan();
const env = useTestEnv({ faults, settings: { awsRetryWindowMs: 3_000, pollIntervalMs: 100 } });

async function failureOf(id: string): Promise<ApplicationFailure> {
  const err: unknown = await env.client.workflow
    .getHandle(id)
    .result()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** GET /task from a facade with no worker behind it (another task queue, same Temporal). */
async function renderedWithoutWorker(id: string): Promise<TaskJson> {
  const bare = await startTestEnv({ withWorker: false });
  try {
    const res = await fetch(`${bare.facadeUrl}/task/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as TaskJson;
  } finally {
    await bare.close();
  }
}

test("a business failure closes its workflow as Failed with the catalogue type, Orca's message and the EXCEPTION", async () => {
  const { name } = await makeServerGroup(env, { prefix: 'fail', min: 1, max: 4, desired: 1 });
  const { id, task } = await env.run(resizeOps(name, { desired: 2 }, { constraints: { capacity: { min: 3, max: 3, desired: 3 } } }));
  expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('FAILED');
  const failure = await failureOf(id);
  const exception = task.resultObjects[0]!;
  expect(failure.type).toBe(FailureType.CapacityConstraintViolated);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(exception.message);
  expect(failure.details?.[0]).toEqual(exception);
  expect(exception).toMatchObject({
    type: 'EXCEPTION',
    operation: 'resizeServerGroup',
    cause: 'CapacityConstraintViolated',
    retryable: false,
  });
  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  expect(task.history[task.history.length - 1]!.status).toBe(
    `Orchestration failed: resizeServerGroup | CapacityConstraintViolated: [${String(exception.message)}]`,
  );

  // Exactly the same JSON with no worker running.
  expect(await renderedWithoutWorker(id)).toEqual(task);
});

test('an AWS code passed through fails the workflow as AwsRequestFailed; the EXCEPTION keeps the code as its cause', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'awsfail', min: 1, max: 4, desired: 1 });
  faults.failRetryably('updateServerGroupCapacity', mentions(name), 1000);
  const { id, task } = await env.run(resizeOps(name, { desired: 2 }));
  faults.clear();
  const failure = await failureOf(id);
  expect(failure.type).toBe(FailureType.AwsRequestFailed);
  expect(task.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', cause: 'Throttling', retryable: true });
  expect(task.status).toMatchObject({ failed: true, retryable: true });
  expect(failure.details?.[0]).toEqual(task.resultObjects[0]);
  expect(await renderedWithoutWorker(id)).toEqual(task);
});
