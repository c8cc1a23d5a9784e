/**
 * Workflow entry points. The workflow type is the Clouddriver operation's name, so the Temporal
 * UI's "Workflow Type" column reads like Orca's stage tasks; a POST with several operations runs
 * as `orchestration`. Everything else in this folder is plain functions they compose.
 */
import type { AllowLaunch, CloneDescription, DeployDescription, ResizeServerGroup } from '../domain/operations';
import type { DestroyServerGroup, InstancesInRegion, TerminateInstanceAndDecrementServerGroup } from '../domain/operations';
import type { OperationInput, OrchestrationInput, TaskResult } from '../domain/task-input';
import { allowLaunchOperation, cloneServerGroupOperation, createServerGroupOperation } from './operations/deploy-server-group';
import { destroyServerGroupOperation } from './operations/destroy-server-group';
import { rebootInstancesOperation, terminateInstanceAndDecrementOperation, terminateInstancesOperation } from './operations/instances';
import { resizeServerGroupOperation } from './operations/resize-server-group';
import type { UpdateLaunchTemplate, UpsertScalingPolicy } from '../domain/operations';
import { updateLaunchTemplateOperation } from './operations/update-launch-template';
import { upsertScalingPolicyOperation } from './operations/upsert-scaling-policy';
import type { DisableServerGroup, EnableServerGroup, ResumeAsgProcesses, SuspendAsgProcesses } from '../domain/operations';
import { resumeAsgProcessesOperation, suspendAsgProcessesOperation } from './operations/asg-processes';
import { disableServerGroupOperation, enableServerGroupOperation } from './operations/enable-disable-server-group';
import type { OperationHandlers } from './task-runner';
import { runTask } from './task-runner';

const handlers: OperationHandlers = {
  resizeServerGroup: resizeServerGroupOperation,
  enableServerGroup: enableServerGroupOperation,
  disableServerGroup: disableServerGroupOperation,
  suspendAsgProcessesDescription: suspendAsgProcessesOperation,
  resumeAsgProcessesDescription: resumeAsgProcessesOperation,
  destroyServerGroup: destroyServerGroupOperation,
  terminateInstances: terminateInstancesOperation,
  rebootInstances: rebootInstancesOperation,
  terminateInstanceAndDecrementServerGroup: terminateInstanceAndDecrementOperation,
  createServerGroup: createServerGroupOperation,
  cloneServerGroup: cloneServerGroupOperation,
  allowLaunchDescription: allowLaunchOperation,
  updateLaunchTemplate: updateLaunchTemplateOperation,
  upsertScalingPolicy: upsertScalingPolicyOperation,
};

export async function resizeServerGroup(input: OperationInput<ResizeServerGroup>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'resizeServerGroup', description: input.description }], input.context, input.settings);
}

export async function enableServerGroup(input: OperationInput<EnableServerGroup>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'enableServerGroup', description: input.description }], input.context, input.settings);
}

export async function disableServerGroup(input: OperationInput<DisableServerGroup>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'disableServerGroup', description: input.description }], input.context, input.settings);
}

export async function suspendAsgProcessesDescription(input: OperationInput<SuspendAsgProcesses>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'suspendAsgProcessesDescription', description: input.description }], input.context, input.settings);
}

export async function resumeAsgProcessesDescription(input: OperationInput<ResumeAsgProcesses>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'resumeAsgProcessesDescription', description: input.description }], input.context, input.settings);
}

export async function createServerGroup(input: OperationInput<DeployDescription>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'createServerGroup', description: input.description }], input.context, input.settings);
}

export async function cloneServerGroup(input: OperationInput<CloneDescription>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'cloneServerGroup', description: input.description }], input.context, input.settings);
}

export async function allowLaunchDescription(input: OperationInput<AllowLaunch>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'allowLaunchDescription', description: input.description }], input.context, input.settings);
}

export async function destroyServerGroup(input: OperationInput<DestroyServerGroup>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'destroyServerGroup', description: input.description }], input.context, input.settings);
}

export async function terminateInstances(input: OperationInput<InstancesInRegion>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'terminateInstances', description: input.description }], input.context, input.settings);
}

export async function rebootInstances(input: OperationInput<InstancesInRegion>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'rebootInstances', description: input.description }], input.context, input.settings);
}

export async function terminateInstanceAndDecrementServerGroup(
  input: OperationInput<TerminateInstanceAndDecrementServerGroup>,
): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'terminateInstanceAndDecrementServerGroup', description: input.description }], input.context, input.settings);
}

export async function updateLaunchTemplate(input: OperationInput<UpdateLaunchTemplate>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'updateLaunchTemplate', description: input.description }], input.context, input.settings);
}

export async function upsertScalingPolicy(input: OperationInput<UpsertScalingPolicy>): Promise<TaskResult> {
  return runTask(handlers, [{ name: 'upsertScalingPolicy', description: input.description }], input.context, input.settings);
}

/** Several operations of one POST, in order; the first failure stops the task. */
export async function orchestration(input: OrchestrationInput): Promise<TaskResult> {
  return runTask(handlers, input.operations, input.context, input.settings);
}
