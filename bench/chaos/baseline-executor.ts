/**
 * The baseline: operations run the way legacy Clouddriver runs them. The AWS steps are Bosun's
 * own activity functions (called in-process through MockActivityEnvironment, so every describe,
 * create and wait is the same code), but what surrounds them is Clouddriver's: the AWS SDK's
 * default retries (standard mode, 3 attempts) and nothing else, task state in memory, no
 * compensation, and any exception fails the task, not retryably (an SDK exception is not a
 * SpinnakerException, so Clouddriver marks it non-retryable and Orca does not resume it).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { capacityProblem, formatCapacity, healthyTarget, resolveCapacity, sameCapacity } from '../../domain/capacity';
import type { AllowLaunch, DeployDescription, DestroyServerGroup, EnableServerGroup, OperationRequest, ResizeServerGroup } from '../../domain/operations';
import { clusterOf } from '../../domain/operations/create-server-group';
import type { OperationError } from '../../domain/result';
import type { HistoryLine, ResolvedImage, TaskOutput } from '../../domain/task';
import { createdByValue, ORCHESTRATION_PHASE } from '../../domain/task';
import { phaseOf } from '../../domain/operations';

export interface BaselineTask {
  readonly id: string;
  readonly requestId: string | undefined;
  readonly startTimeMs: number;
  readonly history: HistoryLine[];
  state: 'running' | 'succeeded' | 'failed';
  resultObjects: unknown[];
  error: OperationError | undefined;
}

/** An exception from one step; carries the step's name for the EXCEPTION object. */
class StepFailed extends Error {
  constructor(
    readonly type: string,
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

  async function deploy(task: BaselineTask, index: number, d: DeployDescription, prior: readonly TaskOutput[], log: (s: string) => void): Promise<TaskOutput> {
    const cluster = clusterOf(d);
    const createdBy = createdByValue(task.id, index);
    const image = d.imageId ?? d.amiName!;
    const deployed: { region: string; serverGroupName: string }[] = [];
    for (const { region, zones } of d.regions) {
      log(`Preparing deployment of ${cluster} to ${region}`);
      let imageId = priorImage(prior, d.account, region, image)?.imageId;
      if (!imageId) {
        const resolved = await call('resolveImage', { account: d.account, region, image });
        if (!resolved) throw new StepFailed('ImageNotFound', `image ${image} not found in ${region}`);
        imageId = resolved.imageId;
      }
      const resources = await call('resolveDeployResources', {
        account: d.account,
        region,
        zones,
        securityGroups: d.securityGroups,
        targetGroups: d.targetGroups,
        loadBalancers: d.loadBalancers,
        subnetType: d.subnetType,
        subnetIds: d.subnetIds,
      });
      const { serverGroupName } = await call('chooseServerGroupName', { account: d.account, region, cluster, sequence: d.sequence, createdBy });
      log(`Creating launch template and server group ${serverGroupName} in ${region}`);
      const lt = await call('createServerGroupLaunchTemplate', {
        account: d.account,
        region,
        serverGroupName,
        createdBy,
        imageId,
        instanceType: d.instanceType,
        keyPair: d.keyPair,
        securityGroupIds: resources.securityGroupIds,
        iamRole: d.iamRole,
        base64UserData: d.base64UserData,
        instanceMonitoring: d.instanceMonitoring,
        ebsOptimized: d.ebsOptimized,
      });
      await call('createAutoScalingGroup', {
        account: d.account,
        region,
        serverGroupName,
        createdBy,
        launchTemplateId: lt.launchTemplateId,
        maxSize: d.capacity.max,
        zones,
        subnetIds: resources.subnetIds,
        targetGroupArns: resources.targetGroupArns,
        loadBalancers: d.loadBalancers,
        tags: { ...d.tags, 'spinnaker:application': d.application, ...(d.stack ? { 'spinnaker:stack': d.stack } : {}) },
        suspendedProcesses: [...d.suspendedProcesses, ...(d.startDisabled ? ['AddToLoadBalancer'] : [])],
        lifecycleHooks: d.lifecycleHooks,
        healthCheckType: d.healthCheckType,
        healthCheckGracePeriod: d.healthCheckGracePeriod,
        cooldown: d.cooldown,
        terminationPolicies: d.terminationPolicies,
      });
      await call('updateServerGroupCapacity', { account: d.account, region, serverGroupName, capacity: d.capacity });
      if (d.targetHealthyDeployPercentage !== undefined && d.capacity.desired > 0) {
        const state = await call('waitForServerGroupCapacity', {
          account: d.account,
          region,
          serverGroupName,
          desired: d.capacity.desired,
          minHealthy: healthyTarget(d.capacity.desired, d.targetHealthyDeployPercentage),
          deadlineMs: Date.now() + d.waitTimeoutSeconds * 1000,
          pollIntervalMs,
        });
        log(state.message);
      }
      log(`Deployed ${serverGroupName} in ${region}`);
      deployed.push({ region, serverGroupName });
    }
    return {
      resultObjects: [
        {
          serverGroupNames: deployed.map((x) => `${x.region}:${x.serverGroupName}`),
          serverGroupNameByRegion: Object.fromEntries(deployed.map((x) => [x.region, x.serverGroupName])),
          deployments: deployed.map((x) => ({ cloudProvider: 'aws', account: d.account, location: x.region, serverGroupName: x.serverGroupName, capacity: d.capacity })),
          messages: [],
        },
      ],
    };
  }

  async function allowLaunch(d: AllowLaunch, log: (s: string) => void): Promise<TaskOutput> {
    const image = await call('resolveImage', { account: d.sourceAccount, region: d.region, image: d.amiName });
    if (!image) throw new StepFailed('ImageNotFound', `image ${d.amiName} not found in ${d.region} (${d.sourceAccount})`);
    const shared = await call('allowImageLaunch', { sourceAccount: d.sourceAccount, targetAccount: d.targetAccount, region: d.region, imageId: image.imageId });
    log(`Allowed ${d.targetAccount} to launch ${image.imageId}: ${shared.reason}`);
    return {
      resultObjects: [{ amiName: image.name ?? d.amiName, amiId: image.imageId, region: d.region }],
      resolvedImages: [{ account: d.targetAccount, region: d.region, amiName: d.amiName, imageId: image.imageId }],
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
        throw new StepFailed('CapacityConstraintViolated', `capacity of ${serverGroupName} is ${formatCapacity(group.capacity)}`);
      }
      const wanted = resolveCapacity(group.capacity, d.capacity);
      const problem = capacityProblem(wanted);
      if (problem) throw new StepFailed('InvalidCapacity', problem);
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
          case 'createServerGroup':
            outputs.push(await deploy(task, index, op.description, outputs, log));
            break;
          case 'allowLaunchDescription':
            outputs.push(await allowLaunch(op.description, log));
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
            throw new StepFailed('UnsupportedOperation', `the baseline does not run ${op.name}`);
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

function priorImage(outputs: readonly TaskOutput[], account: string, region: string, image: string): ResolvedImage | undefined {
  for (const o of [...outputs].reverse()) {
    const hit = o.resolvedImages?.find((r) => r.account === account && r.region === region && (r.amiName === image || r.imageId === image));
    if (hit) return hit;
  }
  return undefined;
}
