import { exceptionResult, operationErrorOf, renderTask, TASK_MEMO_KEY, taskLineKey, taskMemoOf, TaskState, withoutLineKeys } from './task';

const base = { id: 't1', ownerId: 'run@bosun', startTimeMs: 1000, resultObjects: [] };

test('a running task is neither completed nor failed, and its status is the last history line', () => {
  const t = renderTask({
    ...base,
    state: TaskState.running,
    memo: { history: [{ phase: 'RESIZE', status: 'Resizing x' }], requestId: 'k' },
  });
  expect(t.status).toEqual({ phase: 'RESIZE', status: 'Resizing x', complete: false, completed: false, failed: false, retryable: false });
  expect(t.requestId).toBe('k');
  expect(t).toMatchObject({ sagaIds: [], outputs: [], retryable: false });
});

test("a task with no memo yet still has Clouddriver's first line", () => {
  expect(renderTask({ ...base, state: TaskState.running, memo: undefined }).history).toEqual([
    { phase: 'ORCHESTRATION', status: 'Initializing Orchestration Task' },
  ]);
});

test('a failed task gets the EXCEPTION result object and the failure line once', () => {
  const error = { type: 'Throttling', message: 'slow down', operation: 'resizeServerGroup', details: ['d1'], retryable: true };
  const t = renderTask({ ...base, state: TaskState.failed, memo: { history: [] }, error });
  expect(t.status).toMatchObject({ completed: true, failed: true, retryable: true });
  expect(t.retryable).toBe(true);
  expect(t.resultObjects).toEqual([
    {
      type: 'EXCEPTION',
      operation: 'resizeServerGroup',
      cause: 'Throttling',
      message: 'slow down',
      details: [
        { message: 'slow down', retryable: true },
        { message: 'd1', retryable: true },
      ],
      timestamp: 1000,
      retryable: true,
    },
  ]);
  expect(t.history.at(-1)).toEqual({ phase: 'ORCHESTRATION', status: 'Orchestration failed: resizeServerGroup | Throttling: [slow down]' });
  const again = renderTask({ ...base, state: TaskState.failed, memo: { history: t.history }, error });
  expect(again.history.filter((h) => h.status.startsWith('Orchestration failed'))).toHaveLength(1);
});

test('a succeeded task carries its result objects', () => {
  const t = renderTask({
    ...base,
    state: TaskState.succeeded,
    memo: { history: [] },
    resultObjects: [{ serverGroupNames: ['us-east-1:a-v001'] }],
  });
  expect(t.status).toMatchObject({ completed: true, failed: false });
  expect(t.resultObjects).toEqual([{ serverGroupNames: ['us-east-1:a-v001'] }]);
});

test('history lines in keys of their own are laid over the start memo by index', () => {
  const memo = {
    [TASK_MEMO_KEY]: { history: [{ phase: 'ORCHESTRATION', status: 'a' }], requestId: 'k' },
    [taskLineKey(2)]: { phase: 'RESIZE', status: 'c' },
    [taskLineKey(1)]: { phase: 'ORCHESTRATION', status: 'b' },
    other: 'kept apart',
  };
  expect(taskMemoOf(memo)).toEqual({
    history: ['a', 'b', 'c'].map((status, i) => ({ phase: i === 2 ? 'RESIZE' : 'ORCHESTRATION', status })),
    requestId: 'k',
  });
  expect(Object.keys(withoutLineKeys(memo)).sort()).toEqual([TASK_MEMO_KEY, 'other']);
});

test('a run that changed over mid-way (whole memo first, then keys) reads as one story', () => {
  const whole = {
    history: [
      { phase: 'O', status: 'a' },
      { phase: 'O', status: 'b' },
    ],
  };
  expect(taskMemoOf({ [TASK_MEMO_KEY]: whole, [taskLineKey(2)]: { phase: 'O', status: 'c' } })?.history.map((h) => h.status)).toEqual([
    'a',
    'b',
    'c',
  ]);
  expect(taskMemoOf({ [TASK_MEMO_KEY]: whole })).toBe(whole);
});

test('the EXCEPTION a Failed workflow carries gives the task error back', () => {
  const error = { type: 'Throttling', message: 'slow down', operation: 'resizeServerGroup', details: ['d1'], retryable: true };
  expect(operationErrorOf(exceptionResult(error, 42))).toEqual({ error, failedAtMs: 42 });
  expect(operationErrorOf({ type: 'other' })).toBeUndefined();
});
