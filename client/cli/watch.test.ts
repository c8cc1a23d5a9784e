import type { ClouddriverTask } from '../../domain/task';
import { durationMs, explainFailure, formatTasks, progressOf, tasksQuery, temporalUiLink } from './watch';

test('the numbers behind a wait come from where it stands, not from its target', () => {
  expect(progressOf('myapp-v001 has 3 of 4 instances in service (5 in the group)')).toEqual({ done: 3, total: 4 });
  expect(progressOf('3 of 4 instances healthy')).toEqual({ done: 3, total: 4 });
  expect(progressOf('Waiting for 4 of 4 instances of myapp-v001 to be healthy (100%)')).toBeUndefined();
  expect(progressOf('Point myapp-v001 at version 3 of myapp-v001')).toBeUndefined();
});

test('durations and the visibility query of a filter', () => {
  expect([durationMs('45s'), durationMs('30m'), durationMs('1h'), durationMs('2d'), durationMs('yesterday')]).toEqual([
    45_000,
    1_800_000,
    3_600_000,
    172_800_000,
    undefined,
  ]);
  expect(tasksQuery({ taskQueue: 'bosun', application: "my'app", failed: true, since: new Date('2026-01-01T00:00:00Z') })).toBe(
    "TaskQueue = 'bosun' AND BosunApplication = 'myapp' AND BosunTaskStatus = 'FAILED' AND StartTime > '2026-01-01T00:00:00.000Z'",
  );
  expect(tasksQuery({})).toBe('');
});

test("the Temporal UI link: TEMPORAL_UI_URL, else the local stack's UI, none for a cluster without one", () => {
  const local = { temporal: { address: undefined, localUiPort: 8233, namespace: 'default' } } as never;
  const cluster = { temporal: { address: 'temporal:7233', localUiPort: 8233, namespace: 'prod' } } as never;
  expect(temporalUiLink(local, {}, 't1', 'r1')).toBe('http://localhost:8233/namespaces/default/workflows/t1/r1/history');
  expect(temporalUiLink(cluster, {}, 't1', 'r1')).toBeUndefined();
  expect(temporalUiLink(cluster, { TEMPORAL_UI_URL: 'https://ui.example/' }, 't1', 'r1')).toBe(
    'https://ui.example/namespaces/prod/workflows/t1/r1/history',
  );
});

test('a failure is explained: its type, its message, the step it followed, whether a retry helps', () => {
  const task = {
    id: 't1',
    status: { failed: true, retryable: false },
    history: [
      { phase: 'DEPLOY', status: 'Resolving image no-such-image in us-east-1' },
      { phase: 'DEPLOY', status: 'Orchestration failed: createServerGroup | ImageNotFound: [no image]' },
    ],
    resultObjects: [{ type: 'EXCEPTION', cause: 'ImageNotFound', message: 'no image named no-such-image', operation: 'createServerGroup' }],
  } as unknown as ClouddriverTask;
  expect(explainFailure(task)).toEqual([
    '✗ task t1 failed',
    '  why:   ImageNotFound (in createServerGroup)',
    '  what:  no image named no-such-image',
    '  where: after "Resolving image no-such-image in us-east-1" (DEPLOY)',
    '  retry: not retryable as it stands; fix the cause above first',
  ]);
});

test('the task table', () => {
  const start = new Date('2026-01-01T10:00:00.123Z');
  expect(
    formatTasks([
      {
        id: 'a',
        operation: 'resizeServerGroup',
        application: 'app',
        status: 'SUCCEEDED',
        startTime: start,
        closeTime: new Date(start.getTime() + 1500),
      },
      { id: 'bb', operation: 'createServerGroup', application: 'other', status: 'RUNNING', startTime: start },
    ]),
  ).toBe(
    [
      'TASK  OPERATION          APPLICATION  STATUS     STARTED               TOOK',
      'a     resizeServerGroup  app          SUCCEEDED  2026-01-01T10:00:00Z  1.5 s',
      'bb    createServerGroup  other        RUNNING    2026-01-01T10:00:00Z  running',
    ].join('\n'),
  );
  expect(formatTasks([])).toBe('no tasks match');
});
