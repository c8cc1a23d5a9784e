import { renderTask, TaskState } from './task';

const base = { id: 't1', ownerId: 'run@bosun', startTimeMs: 1000, resultObjects: [] };

test('a running task is neither completed nor failed, and its status is the last history line', () => {
  const t = renderTask({ ...base, state: TaskState.running, memo: { history: [{ phase: 'RESIZE', status: 'Resizing x' }], requestId: 'k' } });
  expect(t.status).toEqual({ phase: 'RESIZE', status: 'Resizing x', complete: false, completed: false, failed: false, retryable: false });
  expect(t.requestId).toBe('k');
  expect(t).toMatchObject({ sagaIds: [], outputs: [], retryable: false });
});

test('a task with no memo yet still has Clouddriver\'s first line', () => {
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
  const t = renderTask({ ...base, state: TaskState.succeeded, memo: { history: [] }, resultObjects: [{ serverGroupNames: ['us-east-1:a-v001'] }] });
  expect(t.status).toMatchObject({ completed: true, failed: false });
  expect(t.resultObjects).toEqual([{ serverGroupNames: ['us-east-1:a-v001'] }]);
});
