/**
 * The tasks routes (client/facade/routes/tasks.ts) over real HTTP against the real Temporal dev
 * server: GET /task (Bosun's running tasks, merged with the legacy Clouddriver's), GET /task/{id}
 * (from any replica; a running task from the running-task list, a finished one from a cache),
 * POST /task/{id}/cancel and POST /task/{id}:resume. Cancel, resume and list by a caller without
 * the task's account are in attack.test.ts.
 */
import { createFacade } from '../../client/facade/server';
import { silentLogger } from '../../runtime';
import { mentions } from '../faults';
import { ACCOUNT, REGION, startTestEnv, testSettings, uniqueName, useTestEnv } from '../harness';
import type { TaskJson } from '../support/orca-client';
import { pollTask, post } from '../support/orca-client';
import { makeServerGroup } from '../support/server-group';
import { startUnworkedTask } from '../support/unworked-task';
import { orcaResize, useOrcaEnv, useRoutedEnv } from './setup';

const { env, faults, group } = useOrcaEnv();

describe('GET /task', () => {
  test('lists running tasks in Clouddriver shape', async () => {
    const name = await group('listed');
    faults.hang('waitForServerGroupCapacity', mentions(name));
    // moto settles at once: the check before the wait must see an unsettled group for the wait to run.
    faults.rewriteAnswer('describeServerGroup', mentions(name), (g) => g && { ...g, instances: [] }, 2);
    const { body } = await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: orcaResize(name, 2) }]);
    const id = (body as { id: string }).id;
    let listed: TaskJson | undefined;
    for (let i = 0; i < 50 && !listed; i++) {
      // Listed only for a caller who holds the task's accounts (Bosun's facade, like Clouddriver's write check).
      const all = (await (
        await fetch(`${env.facadeUrl}/task`, { headers: { 'x-spinnaker-user': 'test@example.com', 'x-spinnaker-accounts': ACCOUNT } })
      ).json()) as TaskJson[];
      listed = all.find((t) => t.id === id);
      if (!listed) await new Promise((r) => setTimeout(r, 200));
    }
    expect(listed?.status).toMatchObject({ completed: false, failed: false });
    await post(`${env.facadeUrl}/task/${id}/cancel`, '');
    await pollTask(env.facadeUrl, id);
    faults.release();
  });

  describe('with a legacy Clouddriver', () => {
    const routed = useRoutedEnv({ withWorker: false });

    test("merges Bosun's running tasks with Clouddriver's", async () => {
      const tasks = (await (await fetch(`${routed.env.facadeUrl}/task`)).json()) as { id: string }[];
      expect(tasks.map((t) => t.id)).toContain('legacy-running');
    });
  });
});

describe('GET /task/{id}', () => {
  test('an unknown task is a 404, as Orca expects', async () => {
    const res = await fetch(`${env.facadeUrl}/task/00000000-0000-4000-8000-000000000000`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toContain('not found');
  });

  test('any facade replica answers for any task: start on one, poll on another', async () => {
    const replica = await startTestEnv({ withWorker: false });
    try {
      const name = await group('replica');
      const { body } = await post(`${env.facadeUrl}/aws/ops`, [{ resizeServerGroup: orcaResize(name, 2) }]);
      const task = await pollTask(replica.facadeUrl, (body as { id: string }).id);
      expect(task.status).toMatchObject({ completed: true, failed: false });
    } finally {
      await replica.close();
    }
  });

  /**
   * While Orca polls, a facade lists the running tasks once per refresh and answers their polls
   * from the list, so a running task's poll costs Temporal nothing: the JSON is the one a describe
   * renders, no describe is sent, and a task that ends is reported ended within a couple of
   * refreshes and never as running again.
   */
  describe('running tasks, from the running-task list', () => {
    // Its own env: its facade is never polled, so nothing but the facades made here lists tasks.
    const own = useTestEnv();

    type Task = { id: string; status: { completed: boolean; failed: boolean }; history: unknown[] };

    const runningTask = (taskQueue: string, serverGroupName: string) => startUnworkedTask(own.client, { taskQueue, serverGroupName });

    /** A facade of this test's client on `taskQueue`, listing running tasks every `refreshMs` (0 = never). */
    function facadeOn(taskQueue: string, refreshMs: number) {
      return createFacade({ client: own.client, taskQueue, settings: testSettings, logger: silentLogger, runningTasks: { refreshMs } });
    }

    async function lookups(url: string): Promise<Record<string, number>> {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Object.fromEntries(
        [...text.matchAll(/^bosun_running_tasks_lookups_total\{outcome="(\w+)"\} (\d+)/gm)].map((m): [string, number] => [
          m[1]!,
          Number(m[2]),
        ]),
      );
    }

    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    test('polls of running tasks are answered from the list, with the JSON a describe renders and no describe', async () => {
      const queue = uniqueName('listed-');
      const ids = [await runningTask(queue, 'listed-v000'), await runningTask(queue, 'listed-v001')];
      const listing = facadeOn(queue, 200);
      // The same facade with the list off: every poll is a describe.
      const describing = facadeOn(queue, 0);
      const [url, reference] = await Promise.all([listing.listen(0, '127.0.0.1'), describing.listen(0, '127.0.0.1')]);
      const describe = jest.spyOn(own.client.connection.workflowService, 'describeWorkflowExecution');
      const poll = async (base: string, id: string) => (await (await fetch(`${base}/task/${id}`)).json()) as Task;
      try {
        // The first poll starts the list; visibility sees a new run within moments.
        const deadline = Date.now() + 10_000;
        while (((await lookups(url)).hit ?? 0) < 1 && Date.now() < deadline) {
          await poll(url, ids[0]!);
          await sleep(100);
        }
        describe.mockClear();
        const listed = await Promise.all(ids.map((id) => poll(url, id)));
        expect(describe).not.toHaveBeenCalled();
        expect(listed).toEqual(await Promise.all(ids.map((id) => poll(reference, id))));
        expect(listed.map((t) => t.status.completed)).toEqual([false, false]);
        expect((await lookups(url)).hit).toBeGreaterThanOrEqual(3);
      } finally {
        describe.mockRestore();
        await Promise.all([listing.close(), describing.close()]);
        await Promise.all(
          ids.map((id) =>
            own.client.workflow
              .getHandle(id)
              .terminate('test over')
              .catch(() => undefined),
          ),
        );
      }
    });

    test('a task that ends is reported ended within a few refreshes, and never as running after that', async () => {
      const queue = uniqueName('listed-');
      const id = await runningTask(queue, 'listed-v002');
      const listing = facadeOn(queue, 200);
      const url = await listing.listen(0, '127.0.0.1');
      const poll = async () => (await (await fetch(`${url}/task/${id}`)).json()) as Task;
      try {
        let deadline = Date.now() + 10_000;
        while (((await lookups(url)).hit ?? 0) < 1 && Date.now() < deadline) {
          expect((await poll()).status.completed).toBe(false);
          await sleep(100);
        }
        await own.client.workflow.getHandle(id).terminate('ended for the test');
        const ended = Date.now();
        deadline = ended + 10_000;
        let task = await poll();
        while (!task.status.completed && Date.now() < deadline) {
          await sleep(20);
          task = await poll();
        }
        const tookMs = Date.now() - ended;
        expect(task.status).toMatchObject({ completed: true, failed: true });
        // Two refreshes of 200 ms and the list's own time; 10 s would be a facade that never noticed.
        expect(tookMs).toBeLessThan(3000);
        for (let i = 0; i < 10; i++) {
          await sleep(50);
          expect((await poll()).status.completed).toBe(true);
        }
      } finally {
        await listing.close();
      }
    });

    test('a facade with nothing polled lists nothing', async () => {
      const facade = facadeOn(uniqueName('idle-'), 50);
      const url = await facade.listen(0, '127.0.0.1');
      const list = jest.spyOn(own.client.connection.workflowService, 'listWorkflowExecutions');
      try {
        await sleep(300);
        expect(list).not.toHaveBeenCalled();
        expect(await lookups(url)).toEqual({});
      } finally {
        list.mockRestore();
        await facade.close();
      }
    });
  });

  /**
   * A finished task never changes, so a facade keeps its Clouddriver JSON by run id: Orca's polls
   * of it cost one Temporal call (describe), not two. Counted on the real gRPC service of the
   * client. A running task's polls name the run they last saw, so Temporal answers them without
   * looking up the current run.
   */
  describe('finished tasks, from the cache', () => {
    const own = useTestEnv();

    test('a second facade renders a finished task from Temporal once, then from its cache', async () => {
      const fixture = await makeServerGroup(own, { prefix: 'cache', min: 1, max: 2, desired: 1 });
      const { id, task } = await own.run([
        {
          resizeServerGroup: {
            credentials: ACCOUNT,
            region: REGION,
            serverGroupName: fixture.name,
            capacity: { min: 1, max: 2, desired: 2 },
          },
        },
      ]);
      expect(task.status).toMatchObject({ completed: true, failed: false });

      // Another replica, which has never seen this task.
      const replica = createFacade({ client: own.client, taskQueue: own.taskQueue, settings: testSettings, logger: silentLogger });
      const url = await replica.listen(0, '127.0.0.1');
      const service = own.client.connection.workflowService;
      const describe = jest.spyOn(service, 'describeWorkflowExecution');
      const history = jest.spyOn(service, 'getWorkflowExecutionHistory');
      try {
        const first = await (await fetch(`${url}/task/${id}`)).json();
        expect({ describe: describe.mock.calls.length, history: history.mock.calls.length > 0 }).toEqual({ describe: 1, history: true });
        const historyCalls = history.mock.calls.length;

        const second = await (await fetch(`${url}/task/${id}`)).json();
        expect(second).toEqual(first);
        expect({ describe: describe.mock.calls.length, history: history.mock.calls.length }).toEqual({
          describe: 2,
          history: historyCalls,
        });
      } finally {
        describe.mockRestore();
        history.mockRestore();
        await replica.close();
      }
    });

    test('a running task is described by its run from the second poll on; once that run ends, by id again', async () => {
      // A queue no worker polls: the task stays running until it is terminated.
      const id = await startUnworkedTask(own.client, { taskQueue: uniqueName('no-worker-'), serverGroupName: 'runcache-v000' });
      const replica = createFacade({ client: own.client, taskQueue: own.taskQueue, settings: testSettings, logger: silentLogger });
      const url = await replica.listen(0, '127.0.0.1');
      const describe = jest.spyOn(own.client.connection.workflowService, 'describeWorkflowExecution');
      const runIds = () => describe.mock.calls.map(([req]) => req.execution?.runId ?? '');
      const poll = async () => (await (await fetch(`${url}/task/${id}`)).json()) as { status: { completed: boolean; failed: boolean } };
      try {
        expect((await poll()).status.completed).toBe(false);
        expect((await poll()).status.completed).toBe(false);
        const runId = (await own.client.workflow.getHandle(id).describe()).runId;
        describe.mockClear();

        // Still running: one describe, naming the run (Temporal skips its current-run lookup).
        await poll();
        expect(runIds()).toEqual([runId]);

        await own.client.workflow.getHandle(id).terminate('test');
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
  });
});

describe('POST /task/{id}:resume', () => {
  test('a retryable failure runs again under the same id: on resubmission and on :resume', async () => {
    const name = await group('retry');
    faults.failRetryably('updateServerGroupCapacity', mentions(name), 1000);
    const key = uniqueName('orca-');
    const first = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, [{ resizeServerGroup: orcaResize(name, 2) }]);
    const id = (first.body as { id: string }).id;
    const failed = await pollTask(env.facadeUrl, id);
    expect(failed.status).toMatchObject({ failed: true, retryable: true });
    expect(failed.resultObjects[0]).toMatchObject({ type: 'EXCEPTION', cause: 'Throttling', retryable: true });
    expect(String(failed.resultObjects[0]!.message)).toContain('still failing when the retry window ran out');
    // A failed task is a Failed workflow; the id reuse policy lets only a failed run be run again.
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('FAILED');

    // Still failing: resubmitting the same key runs it again (and it fails again, retryably).
    const again = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, [{ resizeServerGroup: orcaResize(name, 2) }]);
    expect((again.body as { id: string }).id).toBe(id);
    const failedAgain = await pollTask(env.facadeUrl, id);
    expect(failedAgain.history.filter((h) => h.status === 'Re-initializing Orchestration Task (failure is retryable)')).toHaveLength(1);

    // The outage ends; Orca calls :resume.
    faults.clear();
    const resumed = await post(`${env.facadeUrl}/task/${id}:resume`, '');
    expect(resumed.status).toBe(200);
    const done = await pollTask(env.facadeUrl, id);
    expect(done.status).toMatchObject({ completed: true, failed: false });
    expect(done.history[0]?.status).toBe('Initializing Orchestration Task');
    expect(done.history.filter((h) => h.status.startsWith('Re-initializing'))).toHaveLength(2);
    expect((await env.client.workflow.count(`WorkflowId = '${id}'`)).count).toBe(3);

    // A succeeded task is not resumable, and its key now returns it without running anything.
    expect((await post(`${env.facadeUrl}/task/${id}:resume`, '')).status).toBe(400);
    const last = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${key}`, [{ resizeServerGroup: orcaResize(name, 2) }]);
    expect((last.body as { id: string }).id).toBe(id);
    expect((await env.client.workflow.count(`WorkflowId = '${id}'`)).count).toBe(3);
  });

  test('an unknown task is a 404', async () => {
    expect((await post(`${env.facadeUrl}/task/no-such-task:resume`, '')).status).toBe(404);
  });

  test('a business failure is not retryable and cannot be resumed', async () => {
    const name = await group('biz');
    const { id, task } = await env.run([
      { resizeServerGroup: { ...orcaResize(name, 2), constraints: { capacity: { min: 9, max: 9, desired: 9 } } } },
    ]);
    expect(task.status).toMatchObject({ failed: true, retryable: false });
    const res = await post(`${env.facadeUrl}/task/${id}:resume`, '');
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toContain('did not fail retryably');
  });
});
