/**
 * Every committed history (test/histories/<set>/*.json, recorded from real runs by
 * `npm run histories:record`) replays against the current workflow code. A change to workflows/
 * that would make a running task fail its workflow tasks after a deploy fails here instead.
 */
import { CLUSTER_LEASE_WORKFLOW } from '../workflows/cluster-lease';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { SecretsCodec } from '../runtime';
import { taskMetricsSinks } from '../worker/create-worker';
import { HISTORIES_PAYLOAD_KEY, recordedHistories } from './histories/histories';
import { operationNames } from '../domain/operations';
import { ORCHESTRATION_WORKFLOW } from '../domain/task-input';

const histories = recordedHistories();

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed by an earlier test file in this jest worker.
  }
});

test('the committed histories cover every workflow type', () => {
  const types = new Set(histories.map((h) => h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
  // Every workflow type the registry runs: a new operation without a recorded history fails here.
  expect([...types].sort()).toEqual([...operationNames, ORCHESTRATION_WORKFLOW, CLUSTER_LEASE_WORKFLOW].sort());
});

test("the patch policy's example: failed tasks completed before the patch (v1) and fail with its marker after it (v2), and both replay", () => {
  const last = (name: string) => {
    const events = histories.find((h) => h.name === name)!.history.events ?? [];
    const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length;
    const end = events[events.length - 1]!;
    return { completed: !!end.workflowExecutionCompletedEventAttributes, failed: !!end.workflowExecutionFailedEventAttributes, markers };
  };
  expect(last('v1/createServerGroup-image-not-found')).toEqual({ completed: true, failed: false, markers: 0 });
  expect(last('v2/createServerGroup-image-not-found')).toEqual({ completed: false, failed: true, markers: 1 });
  // A succeeded task never reaches the patch, so its history has no marker.
  expect(last('v2/createServerGroup-success')).toEqual({ completed: true, failed: false, markers: 0 });
});

test('waits of v3-waits ran off the task queue behind their patch marker; v2 waited in a slot of the task queue', () => {
  const events = (name: string) => histories.find((h) => h.name === name)!.history.events ?? [];
  const markers = (name: string) => events(name).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length;
  const scheduled = (name: string) =>
    events(name).flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [{ type: a.activityType?.name ?? '', queue: a.taskQueue?.name ?? '' }] : [];
    });
  const wait = (name: string) => scheduled(name).find((a) => a.type === 'waitForServerGroupCapacity');
  expect(markers('v2/resizeServerGroup-success')).toBe(0);
  expect(wait('v2/resizeServerGroup-success')?.queue).not.toMatch(/-waits$/);
  // task-queue (the default): the same wait activity, on the waits queue.
  expect(markers('v3-waits/resizeServerGroup-success')).toBe(1);
  expect(wait('v3-waits/resizeServerGroup-success')?.queue).toMatch(/-waits$/);
  // workflow-timer: describes and timers, no wait activity.
  const timer = 'v3-waits/resizeServerGroup-timer-success';
  expect(markers(timer)).toBe(1);
  expect(wait(timer)).toBeUndefined();
  expect(scheduled(timer).map((a) => a.type)).toContain('describeServerGroup');
  expect(events('v3-waits/resizeServerGroup-timer-capacity-not-reached').some((e) => e.timerStartedEventAttributes)).toBe(true);
});

test('a resize ran in 4 workflow tasks before bosun-resize-local-describes (v2), in 2 with its marker (v3-overhead) and in 1 with bosun-resize-local-update (v5), and all replay', () => {
  const shape = (name: string) => {
    const events = histories.find((h) => h.name === name)!.history.events ?? [];
    return {
      workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
      patchMarkers: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length,
      localActivities: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
      activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
    };
  };
  expect(shape('v2/resizeServerGroup-success')).toEqual({ workflowTasks: 4, patchMarkers: 0, localActivities: 0, activities: 3 });
  expect(shape('v3-overhead/resizeServerGroup-success')).toEqual({ workflowTasks: 2, patchMarkers: 1, localActivities: 2, activities: 1 });
  // Not settled at the check: the wait activity still runs, as before the patch.
  expect(shape('v3-overhead/resizeServerGroup-waited-after-check')).toMatchObject({ patchMarkers: 1, localActivities: 2, activities: 2 });
  // bosun-resize-local-update (v5): the update runs locally too, one workflow task; with a
  // capacity constraint it stays a regular activity.
  expect(shape('v5/resizeServerGroup-success')).toEqual({ workflowTasks: 1, patchMarkers: 3, localActivities: 3, activities: 0 });
  expect(shape('v5/resizeServerGroup-constraint-met')).toEqual({ workflowTasks: 2, patchMarkers: 2, localActivities: 2, activities: 1 });
});

test('every committed history replays against the current workflow code', async () => {
  const bundle = process.env.BOSUN_TEST_WORKFLOW_BUNDLE;
  if (!bundle) throw new Error('BOSUN_TEST_WORKFLOW_BUNDLE is not set: run with jest (test/global-setup.ts builds the bundle)');
  const failures: string[] = [];
  const results = Worker.runReplayHistories(
    {
      workflowBundle: { codePath: bundle },
      dataConverter: { payloadCodecs: [new SecretsCodec({ id: 'test', key: HISTORIES_PAYLOAD_KEY })] },
      replayName: 'bosun-replay',
      // Registered as a worker registers it (replay makes no sink calls, but checks the names).
      sinks: taskMetricsSinks(undefined),
    },
    histories.map(({ workflowId, history }) => ({ workflowId, history })),
  );
  for await (const r of results) {
    if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
  }
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} of ${histories.length} recorded histories no longer replay:\n  ${failures.join('\n  ')}\n\n` +
        'The workflow code now makes different commands than runs already recorded (and runs open in production).\n' +
        "If the change must reach running tasks: put the new code behind patched('<change-id>') and keep the old path (CONTRIBUTING.md).\n" +
        'If the change is meant only for new tasks and no run of the old code can still be open (or it ships as a new pinned worker\n' +
        'deployment version): record a new set with `npm run histories:record -- <next set>` and delete the set it replaces.',
    );
  }
  expect(histories.length).toBeGreaterThan(0);
}, 120_000);
