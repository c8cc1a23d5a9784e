/**
 * While Orca polls, a facade lists the running tasks once per refresh and answers their
 * polls from the list, so a running task's poll costs Temporal nothing. Against the run's real dev
 * server, over HTTP: the JSON is the one a describe renders, no describe is sent, and a task that
 * ends is reported ended within a couple of refreshes and never as running again.
 */
import { createFacade } from '../client/facade/server';
import { silentLogger } from '../runtime';
import { testSettings, uniqueName, useTestEnv } from './harness';
import { startUnworkedTask } from './support/unworked-task';

const env = useTestEnv();

type Task = { id: string; status: { completed: boolean; failed: boolean }; history: unknown[] };

const runningTask = (taskQueue: string, serverGroupName: string) => startUnworkedTask(env.client, { taskQueue, serverGroupName });

/** A facade of this test's client on `taskQueue`, listing running tasks every `refreshMs` (0 = never). */
function facadeOn(taskQueue: string, refreshMs: number) {
  return createFacade({ client: env.client, taskQueue, settings: testSettings, logger: silentLogger, runningTasks: { refreshMs } });
}

async function lookups(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Object.fromEntries(
    [...text.matchAll(/^bosun_running_tasks_lookups_total\{outcome="(\w+)"\} (\d+)/gm)].map((m): [string, number] => [m[1]!, Number(m[2])]),
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
  const describe = jest.spyOn(env.client.connection.workflowService, 'describeWorkflowExecution');
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
        env.client.workflow
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
    await env.client.workflow.getHandle(id).terminate('ended for the test');
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
  const list = jest.spyOn(env.client.connection.workflowService, 'listWorkflowExecutions');
  try {
    await sleep(300);
    expect(list).not.toHaveBeenCalled();
    expect(await lookups(url)).toEqual({});
  } finally {
    list.mockRestore();
    await facade.close();
  }
});
