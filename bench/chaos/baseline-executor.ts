/**
 * The baseline: operations run the way legacy Clouddriver runs them. The AWS steps are Bosun's
 * own activity functions (called in-process through MockActivityEnvironment, so every describe,
 * create and wait is the same code); a deploy (createServerGroup, allowLaunchDescription) runs
 * the workflow's own operation function, so its step list is the workflow's by construction.
 * What surrounds the steps is Clouddriver's: the AWS SDK's
 * default retries (standard mode, 3 attempts) and nothing else, task state in memory, no
 * compensation, and any exception fails the task, not retryably (an SDK exception is not a
 * SpinnakerException, so Clouddriver marks it non-retryable and Orca does not resume it).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { capacityProblem, formatCapacity, resolveCapacity, sameCapacity } from '../../domain/capacity';
import { FailureType } from '../../domain/failures';
import type { DestroyServerGroup, EnableServerGroup, OperationRequest, ResizeServerGroup } from '../../domain/operations';
import type { OperationError } from '../../domain/result';
import type { HistoryLine, TaskOutput } from '../../domain/task';
import { ORCHESTRATION_PHASE } from '../../domain/task';
import { defaultTaskSettings } from '../../domain/task-input';
import { phaseOf } from '../../domain/operations';
import { allowLaunchOperation, createServerGroupOperation } from '../../workflows/operations/deploy-server-group';
import type { OperationContext } from '../../workflows/task-runner';

export interface BaselineTask {
  readonly id: string;
  readonly requestId: string | undefined;
  readonly startTimeMs: number;
  readonly history: HistoryLine[];
  state: 'running' | 'succeeded' | 'failed';
  resultObjects: unknown[];
  error: OperationError | undefined;
}

/** An exception from one step; carries the failure type for the EXCEPTION object. */
class StepFailed extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
  ) {
    super(message);
  }
}

const quietLogger = new DefaultLogger('ERROR');

export function createBaselineExecutor(activities: Activities, pollIntervalMs: number) {
  async function call<N extends keyof Activities>(name: N, input: Parameters<Activities[N]>[0]): Promise<Awaited<ReturnType<Activities[N]>>> {
    const env = new MockActivityEnvironment({ activityType: name, heartbeatTimeoutMs: undefined }, { logger: quietLogger });
    const fn = activities[name] as unknown as (i: typeof input) => Promise<Awaited<ReturnType<Activities[N]>>>;
    return env.run<[typeof input], Awaited<ReturnType<Activities[N]>>, typeof fn>(fn, input);
  }

  /**
   * The operation context a workflow operation runs with, as the baseline provides it: the same
   * activity calls (summaries and the bound profiles ignored: the SDK's own retries are all there is), and
   * no compensation and no search attributes, as in legacy Clouddriver.
   */
  function operationContext(task: BaselineTask, index: number, prior: readonly TaskOutput[], log: (s: string) => void): OperationContext {
    return {
      taskId: task.id,
      index,
      settings: { ...defaultTaskSettings, pollIntervalMs },
      context: { cloudProvider: 'aws', requestId: task.requestId },
      priorOutputs: prior,
      log,
      call: (name, _summary, input) => call(name, input),
      onFailure: () => undefined,
      recordServerGroups: () => undefined,
    };
  }

  async function resize(d: ResizeServerGroup, log: (s: string) => void): Promise<TaskOutput> {
    for (const { serverGroupName, region } of d.targets) {
      const ref = { account: d.account, region, serverGroupName };
      const group = await call('describeServerGroup', ref);
      if (!group) {
        log(`Server group ${serverGroupName} not found in ${region}; nothing to resize`);
        continue;
      }
      if (d.constraints && !sameCapacity(group.capacity, d.constraints)) {
        throw new StepFailed(FailureType.CapacityConstraintViolated, `capacity of ${serverGroupName} is ${formatCapacity(group.capacity)}`);
      }
      const wanted = resolveCapacity(group.capacity, d.capacity);
      const problem = capacityProblem(wanted);
      if (problem) throw new StepFailed(FailureType.InvalidCapacity, problem);
      log(`Resizing ${serverGroupName} in ${region} to ${formatCapacity(wanted)}`);
      await call('updateServerGroupCapacity', { ...ref, capacity: wanted });
      if (d.waitForCapacity) {
        const state = await call('waitForServerGroupCapacity', {
          ...ref,
          desired: wanted.desired,
          deadlineMs: Date.now() + d.waitTimeoutSeconds * 1000,
          pollIntervalMs,
        });
        log(state.message);
      }
    }
    return { resultObjects: [] };
  }

  async function enableDisable(d: EnableServerGroup, direction: 'enable' | 'disable', log: (s: string) => void): Promise<TaskOutput> {
    const processes = ['Launch', 'Terminate', 'AddToLoadBalancer'] as const;
    for (const { serverGroupName, region } of d.targets) {
      const ref = { account: d.account, region, serverGroupName };
      const group = await call('describeServerGroup', ref);
      if (!group) {
        log(`Server group ${serverGroupName} not found in ${region}; nothing to ${direction}`);
        continue;
      }
      if (direction === 'disable') await call('suspendProcesses', { ...ref, processes });
      const ids = group.instances.filter((i) => i.lifecycleState === 'InService').map((i) => i.instanceId);
      if (group.targetGroupArns.length > 0 && ids.length > 0) {
        const input = { ...ref, instanceIds: ids, targetGroupArns: group.targetGroupArns };
        await call(direction === 'enable' ? 'registerInstancesWithTargetGroups' : 'deregisterInstancesFromTargetGroups', input);
      }
      if (direction === 'enable') await call('resumeProcesses', { ...ref, processes });
      log(`${direction === 'enable' ? 'Enabled' : 'Disabled'} ${serverGroupName} in ${region}`);
    }
    return { resultObjects: [] };
  }

  async function destroy(d: DestroyServerGroup, log: (s: string) => void): Promise<TaskOutput> {
    for (const { serverGroupName, region } of d.targets) {
      const ref = { account: d.account, region, serverGroupName };
      const group = await call('describeServerGroup', ref);
      if (!group) {
        log(`Server group ${serverGroupName} not found in ${region}; nothing to destroy`);
        continue;
      }
      await call('forceDeleteServerGroup', ref);
      await call('waitForServerGroupDeleted', { ...ref, deadlineMs: Date.now() + d.waitTimeoutSeconds * 1000, pollIntervalMs });
      if (group.launchTemplate) {
        await call('deleteServerGroupLaunchTemplate', { ...ref, launchTemplateId: group.launchTemplate.id, launchTemplateName: group.launchTemplate.name });
      }
      const leftovers = await call('findServerGroupLeftovers', ref);
      if (leftovers.length > 0) await call('terminateEc2Instances', { account: d.account, region, instanceIds: leftovers });
      log(`Destroyed ${serverGroupName} in ${region}`);
    }
    return { resultObjects: [] };
  }

  /** Runs the task's operations in order; the first exception fails the task (nothing is undone). */
  async function run(task: BaselineTask, operations: readonly OperationRequest[]): Promise<void> {
    const outputs: TaskOutput[] = [];
    for (const [index, op] of operations.entries()) {
      task.history.push({ phase: ORCHESTRATION_PHASE, status: `Processing op: ${op.name}` });
      const phase = phaseOf(op.name);
      const log = (status: string) => task.history.push({ phase, status });
      try {
        switch (op.name) {
          // The deploy pipeline runs the workflow's own operation code, so its AWS steps cannot drift.
          case 'createServerGroup':
            outputs.push(await createServerGroupOperation(operationContext(task, index, outputs, log), op.description));
            break;
          case 'allowLaunchDescription':
            outputs.push(await allowLaunchOperation(operationContext(task, index, outputs, log), op.description));
            break;
          case 'resizeServerGroup':
            outputs.push(await resize(op.description, log));
            break;
          case 'enableServerGroup':
            outputs.push(await enableDisable(op.description, 'enable', log));
            break;
          case 'disableServerGroup':
            outputs.push(await enableDisable(op.description, 'disable', log));
            break;
          case 'destroyServerGroup':
            outputs.push(await destroy(op.description, log));
            break;
          default:
            throw new StepFailed(FailureType.UnsupportedOperation, `the baseline does not run ${op.name}`);
        }
      } catch (err) {
        const e = err as Error & { type?: string };
        task.error = { type: e.type ?? e.name ?? 'Error', message: e.message, operation: op.name, details: [], retryable: false };
        task.state = 'failed';
        return;
      }
    }
    task.history.push({ phase: ORCHESTRATION_PHASE, status: 'Orchestration completed.' });
    task.resultObjects = outputs.flatMap((o) => [...o.resultObjects]);
    task.state = 'succeeded';
  }

  return { run };
}
