import { ApplicationFailure } from '@temporalio/workflow';
import { formatCapacity, healthyTarget } from '../../domain/capacity';
import { FailureType } from '../../domain/failures';
import type { AllowLaunch } from '../../domain/operations/allow-launch';
import type { CloneDescription, DeployDescription } from '../../domain/operations/create-server-group';
import { clusterOf } from '../../domain/frigga';
import { cloneLaunchSettings, describeLaunchSettings, launchSettingsProblems, mixedInstancesOf } from '../../domain/launch-settings';
import type { ResolvedImage, TaskOutput } from '../../domain/task';
import { createdByValue } from '../../domain/task';
import { Patch } from '../patches';
import type { OperationContext } from '../task-runner';
import { waitForCapacity } from '../waits';

/** How long a rollback waits for the group it deletes to be gone before it fails, naming what is left. */
const ROLLBACK_WAIT_MS = 10 * 60 * 1000;

interface Deployed {
  readonly region: string;
  readonly serverGroupName: string;
}

/**
 * Clouddriver's BasicAmazonDeployHandler as one durable function: per region, resolve the image
 * and the names the description refers to, choose the next name once, create the launch
 * template and the group (at zero, configured, then at capacity), and optionally wait for
 * health. A failure or cancellation after anything was created deletes what this deploy made.
 */
export async function deployServerGroups(ctx: OperationContext, d: DeployDescription): Promise<TaskOutput> {
  const cluster = clusterOf(d);
  const createdBy = createdByValue(ctx.taskId, ctx.index);
  const deployed: Deployed[] = [];
  const image = d.imageId ?? d.amiName!;

  for (const { region, zones } of d.regions) {
    ctx.log(`Preparing deployment of ${cluster} to ${region} (${d.account}) at ${formatCapacity(d.capacity)} (min/desired/max)`);
    const prior = priorImage(ctx.priorOutputs, d.account, region, image);
    let imageId = prior?.imageId;
    if (prior) {
      ctx.log(`Using ${prior.imageId} for ${image}, resolved earlier in this task`);
    } else {
      const resolved = await ctx.call('resolveImage', `Resolve image ${image} in ${region}`, { account: d.account, region, image });
      if (!resolved) {
        throw ApplicationFailure.nonRetryable(`image ${image} not found in ${region} (${d.account})`, FailureType.ImageNotFound);
      }
      imageId = resolved.imageId;
      ctx.log(`Resolved image ${image} to ${resolved.imageId}${resolved.name && resolved.name !== image ? ` (${resolved.name})` : ''}`);
    }
    const resources = await ctx.call('resolveDeployResources', `Resolve network and load balancers in ${region}`, {
      account: d.account,
      region,
      zones,
      securityGroups: d.securityGroups,
      targetGroups: d.targetGroups,
      loadBalancers: d.loadBalancers,
      subnetType: d.subnetType,
      subnetIds: d.subnetIds,
    });
    // A heartbeating scan of the region's groups: it can take long in a big region.
    const { serverGroupName } = await ctx.call('chooseServerGroupName', `Choose the next name in ${cluster} in ${region}`, {
      account: d.account,
      region,
      cluster,
      sequence: d.sequence,
      createdBy,
    });
    ctx.recordServerGroups([serverGroupName]);
    // Registered before anything exists: the rollback deletes only what carries this deploy's tag.
    ctx.onFailure(`delete ${serverGroupName} and its launch template in ${region}`, async () => {
      const r = await ctx.call('rollbackServerGroup', `Delete ${serverGroupName} in ${region} (rollback)`, {
        account: d.account,
        region,
        serverGroupName,
        createdBy,
        // Bounds the wait for the group to go (and with it the call's schedule-to-close).
        deadlineMs: Date.now() + ROLLBACK_WAIT_MS,
      });
      ctx.log(
        `Rolled back ${serverGroupName} in ${region}: group ${r.deletedGroup ? 'deleted' : 'was not created'}, launch template ${r.deletedTemplate ? 'deleted' : 'was not created'}`,
      );
    });

    ctx.log(
      `Creating launch template ${serverGroupName} in ${region} with ${imageId} on ${d.instanceType}${describeLaunchSettings(d.launch ?? {})}`,
    );
    const lt = await ctx.call('createServerGroupLaunchTemplate', `Create launch template ${serverGroupName} in ${region}`, {
      account: d.account,
      region,
      serverGroupName,
      createdBy,
      imageId: imageId!,
      instanceType: d.instanceType,
      keyPair: d.keyPair,
      securityGroupIds: resources.securityGroupIds,
      iamRole: d.iamRole,
      base64UserData: d.base64UserData,
      instanceMonitoring: d.instanceMonitoring,
      ebsOptimized: d.ebsOptimized,
      launch: d.launch,
    });

    const suspended = [...new Set([...d.suspendedProcesses, ...(d.startDisabled ? ['AddToLoadBalancer'] : [])])];
    const where = resources.subnetIds.length
      ? `${resources.subnetIds.length} subnets`
      : zones.length
        ? zones.join(', ')
        : 'the default zones';
    ctx.log(
      `Creating server group ${serverGroupName} in ${region} (${where}, ${resources.targetGroupArns.length} target groups, ${d.loadBalancers.length} load balancers)`,
    );
    await ctx.call('createAutoScalingGroup', `Create ${serverGroupName} in ${region} at 0 instances`, {
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
      tags: {
        ...d.tags,
        'spinnaker:application': d.application,
        ...(d.stack ? { 'spinnaker:stack': d.stack } : {}),
        ...(d.detail ? { 'spinnaker:details': d.detail } : {}),
      },
      suspendedProcesses: suspended,
      lifecycleHooks: d.lifecycleHooks,
      healthCheckType: d.healthCheckType,
      healthCheckGracePeriod: d.healthCheckGracePeriod,
      cooldown: d.cooldown,
      terminationPolicies: d.terminationPolicies,
      mixedInstances: mixedInstancesOf(d.launch ?? {}),
    });
    if (suspended.length)
      ctx.log(`Suspended ${suspended.join(', ')} on ${serverGroupName}${d.startDisabled ? ' (starting disabled)' : ''}`);
    if (d.lifecycleHooks.length) ctx.log(`Added ${d.lifecycleHooks.length} lifecycle hooks to ${serverGroupName}`);

    ctx.log(`Setting capacity of ${serverGroupName} in ${region} to ${formatCapacity(d.capacity)} (min/desired/max)`);
    await ctx.call('updateServerGroupCapacity', `Set ${serverGroupName} to ${formatCapacity(d.capacity)}`, {
      account: d.account,
      region,
      serverGroupName,
      capacity: d.capacity,
    });

    if (d.targetHealthyDeployPercentage !== undefined && d.capacity.desired > 0) {
      const minHealthy = healthyTarget(d.capacity.desired, d.targetHealthyDeployPercentage);
      ctx.log(
        `Waiting for ${minHealthy} of ${d.capacity.desired} instances of ${serverGroupName} to be healthy (${d.targetHealthyDeployPercentage}%)`,
      );
      const state = await waitForCapacity(ctx, `Wait for ${minHealthy} healthy instances in ${serverGroupName}`, {
        account: d.account,
        region,
        serverGroupName,
        desired: d.capacity.desired,
        minHealthy,
        deadlineMs: Date.now() + d.waitTimeoutSeconds * 1000,
        pollIntervalMs: ctx.settings.pollIntervalMs,
      });
      ctx.log(state.message);
    }
    ctx.log(`Deployed ${serverGroupName} in ${region}`);
    deployed.push({ region, serverGroupName });
  }
  return { resultObjects: [deploymentResult(d, deployed)] };
}

/** The result object Orca reads after a deploy (clouddriver-core DeploymentResult). */
function deploymentResult(d: DeployDescription, deployed: readonly Deployed[]): Record<string, unknown> {
  return {
    serverGroupNames: deployed.map((x) => `${x.region}:${x.serverGroupName}`),
    serverGroupNameByRegion: Object.fromEntries(deployed.map((x) => [x.region, x.serverGroupName])),
    deployedNames: deployed.map((x) => x.serverGroupName),
    deployedNamesByLocation: Object.fromEntries(deployed.map((x) => [x.region, [x.serverGroupName]])),
    deployments: deployed.map((x) => ({
      cloudProvider: 'aws',
      account: d.account,
      location: x.region,
      serverGroupName: x.serverGroupName,
      capacity: d.capacity,
    })),
    messages: [],
  };
}

function priorImage(outputs: readonly TaskOutput[], account: string, region: string, image: string): ResolvedImage | undefined {
  for (const o of [...outputs].reverse()) {
    const hit = o.resolvedImages?.find((r) => r.account === account && r.region === region && (r.amiName === image || r.imageId === image));
    if (hit) return hit;
  }
  return undefined;
}

/** createServerGroup: one server group per region of `availabilityZones`, each created at 0, configured, then sized. */
export async function createServerGroupOperation(ctx: OperationContext, d: DeployDescription): Promise<TaskOutput> {
  return deployServerGroups(ctx, d);
}

/** A target group ARN's name (`…:targetgroup/<name>/<id>`), so a clone can resolve it in any region. */
function targetGroupName(arnOrName: string): string {
  const m = /:targetgroup\/([^/]+)\//.exec(arnOrName);
  return m ? m[1]! : arnOrName;
}

/** Clouddriver's copyLastAsg: the source group's settings, with every field the caller sent winning. */
export async function cloneServerGroupOperation(ctx: OperationContext, d: CloneDescription): Promise<TaskOutput> {
  const s = d.source;
  const source = await ctx.call('describeCloneSource', `Describe clone source ${s.serverGroupName} in ${s.region}`, {
    account: s.account,
    region: s.region,
    serverGroupName: s.serverGroupName,
  });
  if (!source) {
    throw ApplicationFailure.nonRetryable(
      `source server group ${s.serverGroupName} not found in ${s.region} (${s.account})`,
      FailureType.ServerGroupNotFound,
    );
  }
  const o = d.overrides;
  const has = (k: keyof DeployDescription) => Object.prototype.hasOwnProperty.call(o, k);
  const regions = o.regions ?? [{ region: source.region, zones: source.zones }];
  const sameRegion = regions.every((r) => r.region === source.region);
  const instanceType = o.instanceType ?? source.instanceType;
  if (!instanceType) {
    throw ApplicationFailure.nonRetryable(
      `source ${s.serverGroupName} has no instance type in its launch template; set instanceType`,
      FailureType.InvalidDescription,
    );
  }
  const imageFromSource = !o.amiName && !o.imageId;
  if (imageFromSource && !source.imageId) {
    throw ApplicationFailure.nonRetryable(
      `source ${s.serverGroupName} has no image in its launch template; set amiName`,
      FailureType.InvalidDescription,
    );
  }
  const merged: DeployDescription = {
    account: d.account,
    application: o.application ?? source.application,
    stack: has('stack') ? o.stack : source.stack,
    detail: has('detail') ? o.detail : source.detail,
    sequence: o.sequence,
    regions,
    capacity: o.capacity ?? source.capacity,
    amiName: o.amiName,
    imageId: imageFromSource ? source.imageId : o.imageId,
    instanceType,
    // A key pair is per account and region: Clouddriver copies it only into the source's own.
    keyPair: has('keyPair') ? o.keyPair : sameRegion && d.account === s.account ? source.keyPair : undefined,
    securityGroups: o.securityGroups ?? (sameRegion ? source.securityGroups : []),
    loadBalancers: o.loadBalancers ?? source.loadBalancers,
    targetGroups: o.targetGroups ?? source.targetGroupArns.map(targetGroupName),
    subnetType: o.subnetType,
    subnetIds: o.subnetIds ?? (sameRegion && !o.subnetType ? source.subnetIds : undefined),
    iamRole: has('iamRole') ? o.iamRole : source.iamRole,
    base64UserData: has('base64UserData') ? o.base64UserData : source.base64UserData,
    tags: { ...source.tags, ...(o.tags ?? {}) },
    suspendedProcesses: o.suspendedProcesses ?? source.suspendedProcesses,
    startDisabled: o.startDisabled ?? false,
    lifecycleHooks: o.lifecycleHooks ?? [],
    healthCheckType: o.healthCheckType ?? source.healthCheckType,
    healthCheckGracePeriod: o.healthCheckGracePeriod ?? source.healthCheckGracePeriod,
    cooldown: o.cooldown ?? source.cooldown,
    terminationPolicies: o.terminationPolicies ?? source.terminationPolicies,
    instanceMonitoring: o.instanceMonitoring ?? source.instanceMonitoring,
    ebsOptimized: o.ebsOptimized ?? source.ebsOptimized,
    targetHealthyDeployPercentage: o.targetHealthyDeployPercentage,
    waitTimeoutSeconds: o.waitTimeoutSeconds ?? 1800,
    launch: cloneLaunchSettings(o.launch ?? {}, o.instanceType, source.launch, source.instanceType),
  };
  // Clouddriver validates the merged clone (BasicAmazonDeployDescriptionValidator) before deploying.
  const problems = launchSettingsProblems(merged.launch ?? {}, merged.instanceType, merged);
  if (problems.length && ctx.patched(Patch.cloneChecksLaunchSettings)) {
    throw ApplicationFailure.nonRetryable(
      `cannot clone ${s.serverGroupName}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      FailureType.InvalidDescription,
    );
  }
  ctx.log(`Cloning ${s.serverGroupName} in ${s.region} into cluster ${clusterOf(merged)} (${Object.keys(o).length} fields overridden)`);
  return deployServerGroups(ctx, merged);
}

/** Clouddriver's AllowLaunchAtomicOperation: resolve the image, share it with the target account. */
export async function allowLaunchOperation(ctx: OperationContext, d: AllowLaunch): Promise<TaskOutput> {
  const image = await ctx.call('resolveImage', `Resolve image ${d.amiName} in ${d.region}`, {
    account: d.sourceAccount,
    region: d.region,
    image: d.amiName,
  });
  if (!image) {
    throw ApplicationFailure.nonRetryable(`image ${d.amiName} not found in ${d.region} (${d.sourceAccount})`, FailureType.ImageNotFound);
  }
  const shared = await ctx.call('allowImageLaunch', `Allow ${d.targetAccount} to launch ${image.imageId}`, {
    sourceAccount: d.sourceAccount,
    targetAccount: d.targetAccount,
    region: d.region,
    imageId: image.imageId,
  });
  ctx.log(
    shared.shared
      ? `Allowed ${d.targetAccount} to launch ${image.imageId} (${image.name ?? d.amiName}) in ${d.region}: ${shared.reason}`
      : `${image.imageId} (${image.name ?? d.amiName}) needs no sharing: ${shared.reason}`,
  );
  return {
    resultObjects: [{ amiName: image.name ?? d.amiName, amiId: image.imageId, region: d.region }],
    resolvedImages: [{ account: d.targetAccount, region: d.region, amiName: d.amiName, imageId: image.imageId }],
  };
}
