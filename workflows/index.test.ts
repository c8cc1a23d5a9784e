import { CLUSTER_LEASE_WORKFLOW } from './cluster-lease';
import type { ResizeServerGroup } from '../domain/operations';
import { operationNames } from '../domain/operations/catalog';
import type { OperationInput, TaskResult } from '../domain/task-input';
import { ORCHESTRATION_WORKFLOW } from '../domain/task-input';
import * as workflows from './index';

// The worker registers workflows under their export names; the client starts a workflow function
// under its `.name`. A generated workflow whose `.name` differed would start tasks no worker runs.
test.each(operationNames)('%s is exported as a workflow under its own name', (name) => {
  const workflow = (workflows as Record<string, unknown>)[name];
  expect(typeof workflow).toBe('function');
  expect((workflow as () => unknown).name).toBe(name);
});

test('the exported functions are exactly the operations, orchestration and the cluster lease', () => {
  const exported = Object.entries(workflows)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k)
    .sort();
  expect(exported).toEqual([...operationNames, ORCHESTRATION_WORKFLOW, CLUSTER_LEASE_WORKFLOW].sort());
  expect(workflows.orchestration.name).toBe(ORCHESTRATION_WORKFLOW);
});

// Compile-time: a generated workflow keeps its operation's input type, so starts stay type-checked.
export const typed: (input: OperationInput<ResizeServerGroup>) => Promise<TaskResult> = workflows.resizeServerGroup;
// @ts-expect-error a resize workflow does not take a destroy's description
export const mistyped: (input: OperationInput<{ account: string; waitTimeoutSeconds: string }>) => Promise<TaskResult> =
  workflows.resizeServerGroup;
