/**
 * The list's bookkeeping on its own: when a lookup may answer from the list and when it must fall
 * back to a describe. Temporal is a stand-in here (only `list` and `withDeadline`); the facade
 * over a real dev server is tested in test/facade/tasks.test.ts.
 */
import type { Client } from '@temporalio/client';
import { silentLogger } from '../../runtime';
import { createFacadeMetrics } from './metrics';
import type { RunningTaskInfo, RunningTasksOptions } from './running-tasks';
import { RunningTasks } from './running-tasks';

type Raw = {
  execution: { workflowId: string; runId: string };
  type: { name: string };
  memo: { fields: Record<string, { data: Uint8Array }> };
};

function raw(workflowId: string, type = 'resizeServerGroup', line = 'started'): Raw {
  return {
    execution: { workflowId, runId: `run-${workflowId}` },
    type: { name: type },
    memo: { fields: { line: { data: Buffer.from(line) } } },
  };
}

/** A client whose list answers `answer()` (or throws it), a page of at most 2 at a time, counting the pages and their queries. */
function listClient(answer: () => Raw[] | Error) {
  const queries: string[] = [];
  const client = {
    options: { namespace: 'default' },
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflowService: {
      listWorkflowExecutions: async ({ query, nextPageToken }: { query: string; nextPageToken?: Uint8Array }) => {
        queries.push(query);
        const a = answer();
        if (a instanceof Error) throw a;
        const from = nextPageToken?.length ? Number(Buffer.from(nextPageToken).toString()) : 0;
        const more = from + 2 < a.length;
        return { executions: a.slice(from, from + 2), nextPageToken: more ? Buffer.from(String(from + 2)) : Buffer.alloc(0) };
      },
    },
  } as unknown as Client;
  return { client, queries };
}

/** Decodes as the SDK would, counting how often. */
function decoder() {
  const decoded: string[] = [];
  const decode = async (r: Raw): Promise<RunningTaskInfo> => {
    decoded.push(r.execution.workflowId);
    return {
      workflowId: r.execution.workflowId,
      runId: r.execution.runId,
      type: r.type.name,
      startTime: new Date(0),
      memo: { line: Buffer.from(r.memo.fields.line!.data).toString() },
      primaryAccount: undefined,
    };
  };
  return { decode: decode as unknown as RunningTasksOptions['decode'], decoded };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => false;

function tasks(client: Client, more: { refreshMs?: number; maxTasks?: number; idleMs?: number } = {}) {
  const metrics = createFacadeMetrics();
  const { decode, decoded } = decoder();
  const running = new RunningTasks({
    client,
    taskQueue: "bosun-'q'",
    refreshMs: more.refreshMs ?? 50,
    maxTasks: more.maxTasks ?? 100,
    idleMs: more.idleMs,
    callTimeoutMs: 1000,
    isTaskType: (t) => t !== 'somethingElse',
    logger: silentLogger,
    metrics,
    decode,
  });
  const outcomes = async () =>
    Object.fromEntries((await metrics.runningLookups.get()).values.map((v) => [String(v.labels.outcome), v.value]));
  return { running, outcomes, decoded };
}

test('the first poll starts the list and is described; later polls of a listed task are answered from it', async () => {
  const { client, queries } = listClient(() => [raw('a'), raw('b'), raw('c', 'somethingElse')]);
  const { running, outcomes } = tasks(client);
  try {
    expect(await running.lookup('a', never)).toBeUndefined();
    await sleep(20);
    expect((await running.lookup('a', never))?.runId).toBe('run-a');
    expect((await running.lookup('b', never))?.runId).toBe('run-b');
    // Not a Bosun task's workflow type, and not listed at all: both described.
    expect(await running.lookup('c', never)).toBeUndefined();
    expect(await running.lookup('zzz', never)).toBeUndefined();
    expect(await outcomes()).toEqual({ stale: 1, hit: 2, absent: 2 });
    // The queue name cannot break out of its quotes.
    expect(queries[0]).toBe("TaskQueue = 'bosun-q' AND ExecutionStatus = 'Running'");
  } finally {
    await running.close();
  }
});

test('a run this facade has seen closed is never answered as running', async () => {
  const { client } = listClient(() => [raw('a')]);
  const { running, outcomes } = tasks(client);
  try {
    await running.lookup('a', never);
    await sleep(20);
    expect(await running.lookup('a', (runId) => runId === 'run-a')).toBeUndefined();
    expect((await outcomes()).closed).toBe(1);
  } finally {
    await running.close();
  }
});

test('when listing fails, the last list is used for at most two refreshes, then every poll is described', async () => {
  let fail = false;
  const { client } = listClient(() => (fail ? new Error('14 UNAVAILABLE') : [raw('a')]));
  const { running } = tasks(client, { refreshMs: 100 });
  try {
    await running.lookup('a', never);
    await sleep(30);
    expect(await running.lookup('a', never)).toBeDefined();
    fail = true;
    await sleep(350);
    expect(await running.lookup('a', never)).toBeUndefined();
    fail = false;
    await sleep(150);
    expect(await running.lookup('a', never)).toBeDefined();
  } finally {
    await running.close();
  }
});

test('a list holds at most maxTasks; the rest are described', async () => {
  const { client } = listClient(() => [raw('a'), raw('b'), raw('c')]);
  const { running } = tasks(client, { maxTasks: 2 });
  try {
    await running.lookup('a', never);
    await sleep(20);
    expect(await Promise.all(['a', 'b', 'c'].map(async (id) => (await running.lookup(id, never)) !== undefined))).toEqual([
      true,
      true,
      false,
    ]);
  } finally {
    await running.close();
  }
});

test('with no polls the list stops, and the next poll starts it again', async () => {
  const { client, queries } = listClient(() => [raw('a')]);
  const { running } = tasks(client, { refreshMs: 20, idleMs: 100 });
  try {
    await running.lookup('a', never);
    await sleep(250);
    const listed = queries.length;
    expect(listed).toBeGreaterThan(1);
    await sleep(200);
    expect(queries.length).toBe(listed);
    // Its last list is too old to answer from; this poll is described and restarts the list.
    expect(await running.lookup('a', never)).toBeUndefined();
    await sleep(10);
    expect(queries.length).toBe(listed + 1);
    expect(await running.lookup('a', never)).toBeDefined();
  } finally {
    await running.close();
  }
});

test('an entry is decoded once while its memo is unchanged, and again when it changes', async () => {
  let line = 'started';
  const { client, queries } = listClient(() => [raw('a', 'resizeServerGroup', line), raw('b'), raw('c')]);
  const { running, decoded } = tasks(client, { refreshMs: 20 });
  try {
    await running.lookup('a', never);
    await sleep(10);
    // Three entries in pages of two: one list is two pages.
    expect(queries.length).toBe(2);
    expect((await running.lookup('a', never))?.memo).toEqual({ line: 'started' });
    await sleep(60);
    expect(queries.length).toBeGreaterThan(2);
    expect((await running.lookup('a', never))?.memo).toEqual({ line: 'started' });
    expect(decoded).toEqual(['a']);
    line = 'waiting for capacity';
    await sleep(60);
    expect((await running.lookup('a', never))?.memo).toEqual({ line: 'waiting for capacity' });
    expect(decoded).toEqual(['a', 'a']);
  } finally {
    await running.close();
  }
});

test('refreshMs 0 turns it off: nothing is listed', async () => {
  const { client, queries } = listClient(() => [raw('a')]);
  const { running } = tasks(client, { refreshMs: 0 });
  await running.lookup('a', never);
  await sleep(20);
  expect(await running.lookup('a', never)).toBeUndefined();
  expect(queries).toEqual([]);
  await running.close();
});
