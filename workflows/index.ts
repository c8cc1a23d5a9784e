/**
 * Workflow entry points. The workflow type is the Clouddriver operation's name, so the Temporal
 * UI's "Workflow Type" column reads like Orca's stage tasks; a POST with several operations runs
 * as `orchestration`. Everything else in this folder is plain functions they compose.
 */
import type { VersioningBehavior } from '@temporalio/common';
import { ApplicationFailure, isCancellation, log, patched, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { FailureType, isFailureType } from '../domain/failures';
import type { DescriptionOf, OperationRequest } from '../domain/operations';
import type { OperationName } from '../domain/operations/catalog';
import { operationNames } from '../domain/operations/catalog';
import type { OperationError } from '../domain/result';
import { exceptionResult } from '../domain/task';
import type { OperationInput, OrchestrationInput, TaskResult } from '../domain/task-input';
import { operationHandlers as handlers } from './operation-handlers';
import { Patch } from './patches';
import { measuredTask } from './task-metrics';
import { DeployControl } from './deploy-control';
import { deployWithStrategyOperation } from './operations/deploy-with-strategy';
import type { OperationHandlers } from './task-runner';
import { runTask } from './task-runner';

export type { DescriptionOf } from '../domain/operations';

/** The workflow of one operation: its description in, the task's result out. */
export type OperationWorkflow<N extends OperationName> = (input: OperationInput<DescriptionOf<N>>) => Promise<TaskResult>;

/**
 * Worker versioning (README, "Deploying a new worker version"). A one-operation task is PINNED:
 * it finishes on the worker version it started on, so a deploy never changes the code (and the
 * rollback) of a running operation; its version drains within the longest operation (retry
 * window plus its wait). An orchestration AUTO_UPGRADEs: a 50-operation task can run for many
 * hours, so it moves to the new version at its next workflow task, and its code (shared with
 * every operation) stays replay-safe through patched() and the replay suite.
 */
const OPERATION_VERSIONING = 'PINNED';
const ORCHESTRATION_VERSIONING = 'AUTO_UPGRADE';

/**
 * The behavior to declare, only on a versioned worker: the server refuses the workflow tasks of
 * an unversioned worker (the local stack, tests) that declare one, and the task never starts.
 */
const versioning = (behavior: VersioningBehavior) => () =>
  workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {};

/**
 * A task of one operation. Its `.name` is the operation's name, because the client starts a
 * workflow function under its `.name` and the worker registers it under its export name: the
 * two must agree (a test checks every export).
 */
function operationWorkflow<N extends OperationName>(name: N): OperationWorkflow<N> {
  const workflow: OperationWorkflow<N> = async (input) =>
    reportingBugs(async () =>
      measuredTask(input.context, async () =>
        closeTask(await runTask(handlers, [{ name, description: input.description } as OperationRequest], input.context, input.settings)),
      ),
    );
  Object.defineProperty(workflow, 'name', { value: name });
  setWorkflowOptions(versioning(OPERATION_VERSIONING), workflow);
  return workflow;
}

/**
 * deployWithStrategy's task: the one-operation workflow with the deploy's Updates (approve,
 * rollback, skipWait) and its `status` query registered before it runs.
 */
function deployWithStrategyWorkflow(): OperationWorkflow<'deployWithStrategy'> {
  const workflow: OperationWorkflow<'deployWithStrategy'> = async (input) =>
    reportingBugs(async () => {
      const control = new DeployControl();
      control.register();
      const own = { ...handlers, deployWithStrategy: (ctx, d) => deployWithStrategyOperation(ctx, d, control) } satisfies OperationHandlers;
      try {
        return await measuredTask(input.context, async () =>
          closeTask(await runTask(own, [{ name: 'deployWithStrategy', description: input.description }], input.context, input.settings)),
        );
      } finally {
        control.finished = true;
      }
    });
  Object.defineProperty(workflow, 'name', { value: 'deployWithStrategy' });
  setWorkflowOptions(versioning(OPERATION_VERSIONING), workflow);
  return workflow;
}

/**
 * One workflow per operation, keyed by operation name (= workflow type), derived from the
 * catalogue so an operation cannot be catalogued without a workflow. What each one does is its
 * handler's (operation-handlers.ts); the export list below names them for the worker.
 */
const operationWorkflows = Object.fromEntries(
  operationNames.map((name) => [name, name === 'deployWithStrategy' ? deployWithStrategyWorkflow() : operationWorkflow(name)]),
) as {
  [N in OperationName]: OperationWorkflow<N>;
};

// The export names are the workflow types of running tasks and of the facade's starts: never rename.
export const {
  resizeServerGroup,
  enableServerGroup,
  disableServerGroup,
  suspendAsgProcessesDescription,
  resumeAsgProcessesDescription,
  destroyServerGroup,
  terminateInstances,
  rebootInstances,
  terminateInstanceAndDecrementServerGroup,
  createServerGroup,
  cloneServerGroup,
  allowLaunchDescription,
  updateLaunchTemplate,
  upsertScalingPolicy,
  updateLaunchConfig,
  upsertServerGroupTags,
  deleteAsgTagsDescription,
  modifyAsgDescription,
  deleteScalingPolicy,
  upsertAsgScheduledActionsDescription,
  upsertAsgLifecycleHookDescription,
  upsertAlarmDescription,
  deleteAlarmDescription,
  deleteLaunchConfiguration,
  deleteLaunchTemplate,
  deleteSnapshot,
  deleteImage,
  upsertImageTags,
  detachInstances,
  registerInstancesWithLoadBalancer,
  deregisterInstancesFromLoadBalancer,
  updateInstances,
  deleteSecurityGroup,
  upsertSecurityGroup,
  deleteLoadBalancer,
  upsertLoadBalancer,
  deployWithStrategy,
} = operationWorkflows;

export { clusterLease } from './cluster-lease';

/** Several operations of one POST, in order; the first failure stops the task. */
export async function orchestration(input: OrchestrationInput): Promise<TaskResult> {
  return reportingBugs(async () =>
    measuredTask(input.context, async () => closeTask(await runTask(handlers, input.operations, input.context, input.settings))),
  );
}
setWorkflowOptions(versioning(ORCHESTRATION_VERSIONING), orchestration);

/**
 * Anything but a failure or a cancellation escaping a workflow is a Bosun bug: the SDK fails the
 * workflow task and Temporal retries it until a fixed worker replays it (the task stays open,
 * nothing is lost). It must not sit silent: each failed attempt is logged at error with the
 * workflow id (the workflow logger adds workflowId, runId and workflowType), and the SDK's
 * metrics count it (`temporal_workflow_task_execution_failed_total`, see the worker's metrics endpoint).
 */
async function reportingBugs(run: () => Promise<TaskResult>): Promise<TaskResult> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ApplicationFailure) && !isCancellation(err)) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      log.error(`workflow task failed: a Bosun bug (${error}); the task stays open and is retried until a fixed worker runs it`, {
        error,
        stack: (err as Error).stack,
      });
    }
    throw err;
  }
}

/**
 * The workflow's top level: a task that failed in Clouddriver's sense closes its workflow as
 * Failed (DESIGN invariant 1), so the UI shows it red and counts it. Inside, operations and the
 * task runner still pass failures around as data; only here do they become a Failed workflow.
 */
function closeTask(result: TaskResult): TaskResult {
  // Runs that completed with `{ ok: false }` before the patch must replay the same way.
  if (result.ok || !patched(Patch.failedTaskFailsWorkflow)) return result;
  throw taskFailure(result.error);
}

/**
 * The Failed workflow's failure: the type from the catalogue (an AWS code passed through is
 * `AwsRequestFailed`, and stays the EXCEPTION's `cause`), the message Orca shows, and the
 * Clouddriver EXCEPTION object as details, from which the facade renders the task.
 */
function taskFailure(error: OperationError): ApplicationFailure {
  return ApplicationFailure.create({
    type: isFailureType(error.type) ? error.type : FailureType.AwsRequestFailed,
    message: error.message,
    nonRetryable: true,
    // Workflow time: when the task failed, as Clouddriver stamps its exception.
    details: [exceptionResult(error, Date.now())],
  });
}
