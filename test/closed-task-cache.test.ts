/**
 * A finished task never changes, so a facade keeps its Clouddriver JSON by run id: Orca's polls of
 * it cost one Temporal call (describe), not two. Counted on the real gRPC service of the client,
 * against the run's Temporal dev server. A running task's polls name the run they last saw, so
 * Temporal answers them without looking up the current run.
 */
import { createFacade } from '../client/facade/server';
import { silentLogger } from '../runtime';
import { ACCOUNT, REGION, testSettings, uniqueName, useTestEnv } from './harness';
import { startUnworkedTask } from './support/unworked-task';
import { makeServerGroup } from './support/server-group';

const env = useTestEnv();

test('a second facade renders a finished task from Temporal once, then from its cache', async () => {
  const group = await makeServerGroup(env, { prefix: 'cache', min: 1, max: 2, desired: 1 });
  const { id, task } = await env.run([
    { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: group.name, capacity: { min: 1, max: 2, desired: 2 } } },
  ]);
  expect(task.status).toMatchObject({ completed: true, failed: false });

  // Another replica, which has never seen this task.
  const replica = createFacade({ client: env.client, taskQueue: env.taskQueue, settings: testSettings, logger: silentLogger });
  const url = await replica.listen(0, '127.0.0.1');
  const service = env.client.connection.workflowService;
  const describe = jest.spyOn(service, 'describeWorkflowExecution');
  const history = jest.spyOn(service, 'getWorkflowExecutionHistory');
  try {
    const first = await (await fetch(`${url}/task/${id}`)).json();
    expect({ describe: describe.mock.calls.length, history: history.mock.calls.length > 0 }).toEqual({ describe: 1, history: true });
    const historyCalls = history.mock.calls.length;

    const second = await (await fetch(`${url}/task/${id}`)).json();
    expect(second).toEqual(first);
    expect({ describe: describe.mock.calls.length, history: history.mock.calls.length }).toEqual({ describe: 2, history: historyCalls });
  } finally {
    describe.mockRestore();
    history.mockRestore();
    await replica.close();
  }
});

test('a running task is described by its run from the second poll on; once that run ends, by id again', async () => {
  // A queue no worker polls: the task stays running until it is terminated.
  const id = await startUnworkedTask(env.client, { taskQueue: uniqueName('no-worker-'), serverGroupName: 'runcache-v000' });
  const replica = createFacade({ client: env.client, taskQueue: env.taskQueue, settings: testSettings, logger: silentLogger });
  const url = await replica.listen(0, '127.0.0.1');
  const describe = jest.spyOn(env.client.connection.workflowService, 'describeWorkflowExecution');
  const runIds = () => describe.mock.calls.map(([req]) => req.execution?.runId ?? '');
  const poll = async () => (await (await fetch(`${url}/task/${id}`)).json()) as { status: { completed: boolean; failed: boolean } };
  try {
    expect((await poll()).status.completed).toBe(false);
    expect((await poll()).status.completed).toBe(false);
    const runId = (await env.client.workflow.getHandle(id).describe()).runId;
    describe.mockClear();

    // Still running: one describe, naming the run (Temporal skips its current-run lookup).
    await poll();
    expect(runIds()).toEqual([runId]);

    await env.client.workflow.getHandle(id).terminate('test');
    describe.mockClear();
    // The run ended (a re-run could have followed it): described by id as well, once.
    expect((await poll()).status).toMatchObject({ completed: true, failed: true });
    expect(runIds()).toEqual([runId, '']);
    describe.mockClear();
    await poll();
    expect(runIds()).toEqual(['']);
  } finally {
    describe.mockRestore();
    await replica.close();
  }
});
