/**
 * Workflow entry points. The workflow type is the Clouddriver operation's name, so the Temporal
 * UI's "Workflow Type" column reads like Orca's stage tasks; a POST with several operations runs
 * as `orchestration`. Everything else in this folder is plain functions they compose.
 */
import type { ResizeServerGroup } from '../domain/operations';
import type { OperationInput, OrchestrationInput, TaskResult } from '../domain/task-input';
import { resizeServerGroupOperation } from './operations/resize-server-group';
import type { OperationHandlers } from './task-runner';
import { runTask } from './task-runner';

const handlers: OperationHandlers = {
  resizeServerGroup: resizeServerGroupOperation,
};

export async function resizeServerGroup(input: OperationInput<ResizeServerGroup>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'resizeServerGroup', description: input.description }], input.context, input.settings);
}

/** Several operations of one POST, in order; the first failure stops the task. */
export async function orchestration(input: OrchestrationInput): Promise<TaskResult> {
  return runTask(handlers, input.operations, input.context, input.settings);
}
