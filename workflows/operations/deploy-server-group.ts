import { ApplicationFailure } from '@temporalio/workflow';
import { formatCapacity, healthyTarget } from '../../domain/capacity';
import { FailureType } from '../../domain/failures';
import type { AllowLaunch } from '../../domain/operations/schemas/allow-launch';
import type { CloneDescription, DeployDescription, SourceRef } from '../../domain/operations/schemas/create-server-group';
import { clusterOf, parseServerGroupName } from '../../domain/frigga';
import { cloneLaunchSettings, describeLaunchSettings, launchSettingsProblems, mixedInstancesOf } from '../../domain/launch-settings';
import type { ResolvedImage, TaskOutput } from '../../domain/task';
import { createdByValue } from '../../domain/task';
import { Patch } from '../patches';
import type { OperationContext } from '../task-runner';
import { waitForCapacity } from '../waits';
import type { Deployed } from './deploy-source-settings';
import {
  copySourceScaling,
  deploymentResultObjects,
  healthyPercentageToWaitFor,
  mergeDeployOutputs,
  withSourceLaunchDefaults,
  withSourceCapacity,
} from './deploy-source-settings';

/** How long a rollback waits for the group it deletes to be gone before it fails, naming what is left. */
const ROLLBACK_WAIT_MS = 10 * 60 * 1000;

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
    const loadBalancers = [...new Set([...d.loadBalancers, ...priorClassicLoadBalancers(ctx.priorOutputs, region)])];
    const resources = await ctx.call('resolveDeployResources', `Resolve network and load balancers in ${region}`, {
      account: d.account,
      region,
      zones,
      securityGroups: d.securityGroups,
      targetGroups: d.targetGroups,
      loadBalancers,
      subnetType: d.subnetType,
      subnetIds: d.subnetIds,
    });
    // A heartbeating scan of the region's groups: it can take long in a big region.
    const { serverGroupName, ancestor } = await ctx.call('chooseServerGroupName', `Choose the next name in ${cluster} in ${region}`, {
      account: d.account,
      region,
      cluster,
      sequence: d.sequence,
      ignoreSequence: d.ignoreSequence,
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
      `Creating server group ${serverGroupName} in ${region} (${where}, ${resources.targetGroupArns.length} target groups, ${loadBalancers.length} load balancers)`,
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
      loadBalancers,
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
      capacityRebalance: d.capacityRebalance,
      enabledMetrics: d.enabledMetrics,
      instanceMonitoring: d.instanceMonitoring,
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

    // Clouddriver copies the source's scaling once the group is sized.
    await copySourceScaling(ctx, d, { region, serverGroupName, createdBy });

    const healthyPercentage = d.capacity.desired > 0 ? healthyPercentageToWaitFor(ctx, d) : undefined;
    if (healthyPercentage !== undefined) {
      const minHealthy = healthyTarget(d.capacity.desired, healthyPercentage);
      ctx.log(`Waiting for ${minHealthy} of ${d.capacity.desired} instances of ${serverGroupName} to be healthy (${healthyPercentage}%)`);
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
    deployed.push({ region, serverGroupName, ancestor });
  }
  return { resultObjects: deploymentResultObjects(d, deployed) };
}

function priorImage(outputs: readonly TaskOutput[], account: string, region: string, image: string): ResolvedImage | undefined {
  for (const o of [...outputs].reverse()) {
    const hit = o.resolvedImages?.find((r) => r.account === account && r.region === region && (r.amiName === image || r.imageId === image));
    if (hit) return hit;
  }
  return undefined;
}

/** The classic load balancers earlier upsertLoadBalancer operations of this task made or updated in `region`. */
function priorClassicLoadBalancers(outputs: readonly TaskOutput[], region: string): string[] {
  return outputs.flatMap((o) => (o.classicLoadBalancers ?? []).filter((lb) => lb.region === region).map((lb) => lb.name));
}

/** createServerGroup: one server group per region of `availabilityZones`, each created at 0, configured, then sized. */
export async function createServerGroupOperation(ctx: OperationContext, d: DeployDescription): Promise<TaskOutput> {
  return deployServerGroups(ctx, await withSourceLaunchDefaults(ctx, await withSourceCapacity(ctx, d)));
}

/** A target group ARN's name (`…:targetgroup/<name>/<id>`), so a clone can resolve it in any region. */
function targetGroupName(arnOrName: string): string {
  const m = /:targetgroup\/([^/]+)\//.exec(arnOrName);
  return m ? m[1]! : arnOrName;
}

/**
 * Clouddriver's copyLastAsg: the source group's settings, with every field the caller sent
 * winning. Without a source, each target region clones the cluster's newest group there
 * (CopyLastAsgAtomicOperation); a region whose cluster has none deploys the request as it is,
 * which needs what a createServerGroup needs.
 */
export async function cloneServerGroupOperation(ctx: OperationContext, d: CloneDescription): Promise<TaskOutput> {
  if (d.source) return cloneFrom(ctx, d, d.source);
  const o = d.overrides;
  const cluster = clusterOf({ application: d.application ?? '', stack: o.stack, detail: o.detail });
  const outputs: TaskOutput[] = [];
  for (const target of o.regions ?? []) {
    const { region } = target;
    const newest = await ctx.call('findNewestServerGroup', `Find the newest group of ${cluster} in ${region}`, {
      account: d.account,
      region,
      cluster,
    });
    if (newest) {
      ctx.log(`Using ${region}/${newest.serverGroupName} as source`);
      outputs.push(await cloneFrom(ctx, { ...d, overrides: { ...o, regions: [target] } }, { account: d.account, region, ...newest }));
      continue;
    }
    outputs.push(
      await deployWithoutAncestor(ctx, d, [target], `cluster ${cluster} has no server group in ${region} (${d.account}) to clone`),
    );
  }
  return mergeDeployOutputs(outputs);
}

/**
 * A clone with no group to start from deploys the request as it is (CopyLastAsgAtomicOperation
 * hands it to the deploy handler unchanged), so the request must hold what a deploy needs.
 */
async function deployWithoutAncestor(
  ctx: OperationContext,
  d: CloneDescription,
  regions: DeployDescription['regions'],
  why: string,
): Promise<TaskOutput> {
  const o = d.overrides;
  const missing = [
    !d.application && 'application',
    !regions.length && 'availabilityZones',
    !o.capacity && 'capacity',
    !o.amiName && !o.imageId && 'amiName',
    !o.instanceType && 'instanceType',
  ].filter(Boolean);
  if (missing.length) {
    throw ApplicationFailure.nonRetryable(
      `${why}, and the request lacks ${missing.join(', ')} to deploy without one`,
      FailureType.ServerGroupNotFound,
    );
  }
  ctx.log(`${why}: deploying the request as given`);
  return deployServerGroups(ctx, withoutSource(d, regions));
}

/** A clone request with no group to start from, as the deploy it describes (its required fields checked). */
function withoutSource(d: CloneDescription, regions: DeployDescription['regions']): DeployDescription {
  const o = d.overrides;
  return {
    securityGroups: [],
    loadBalancers: [],
    targetGroups: [],
    tags: {},
    suspendedProcesses: [],
    startDisabled: false,
    lifecycleHooks: [],
    waitTimeoutSeconds: 1800,
    ...o,
    account: d.account,
    application: d.application!,
    regions,
    capacity: o.capacity!,
    instanceType: o.instanceType!,
  };
}

/**
 * A named source that is gone: CopyLastAsgAtomicOperation then clones the newest group of the
 * clone's cluster (the request's application, stack and details, each defaulting to the source
 * name's) in the source's region, or, with none, deploys the request as it is.
 */
async function cloneInsteadOfMissing(ctx: OperationContext, d: CloneDescription, s: SourceRef, gone: string): Promise<TaskOutput> {
  const o = d.overrides;
  const has = (k: keyof DeployDescription) => Object.prototype.hasOwnProperty.call(o, k);
  const named = parseServerGroupName(s.serverGroupName);
  const application = d.application ?? named?.app ?? s.serverGroupName;
  const cluster = clusterOf({
    application,
    stack: has('stack') ? o.stack : named?.stack,
    detail: has('detail') ? o.detail : named?.detail,
  });
  const newest = await ctx.call('findNewestServerGroup', `Find the newest group of ${cluster} in ${s.region}`, {
    account: s.account,
    region: s.region,
    cluster,
  });
  if (newest && newest.serverGroupName !== s.serverGroupName) {
    ctx.log(`${gone}: using ${s.region}/${newest.serverGroupName}, the newest group of ${cluster}, as source`);
    // The found group becomes the source without useSourceCapacity (CopyLastAsgAtomicOperation).
    return cloneFrom(ctx, { ...d, useSourceCapacity: false }, { ...s, serverGroupName: newest.serverGroupName });
  }
  return deployWithoutAncestor(ctx, { ...d, application }, o.regions ?? [], `${gone}, nor any other group of ${cluster}`);
}

async function cloneFrom(ctx: OperationContext, d: CloneDescription, s: SourceRef): Promise<TaskOutput> {
  const source = await ctx.call('describeCloneSource', `Describe clone source ${s.serverGroupName} in ${s.region}`, {
    account: s.account,
    region: s.region,
    serverGroupName: s.serverGroupName,
  });
  if (!source) {
    const gone = `source server group ${s.serverGroupName} not found in ${s.region} (${s.account})`;
    if (!ctx.patched(Patch.cloneFallsBackToNewest)) throw ApplicationFailure.nonRetryable(gone, FailureType.ServerGroupNotFound);
    return cloneInsteadOfMissing(ctx, d, s, gone);
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
    // The handler overwrites the request's capacity with the source's on useSourceCapacity.
    capacity: d.useSourceCapacity ? source.capacity : (o.capacity ?? source.capacity),
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
    // The request's hooks replace the source's only when there are some (CopyLastAsgAtomicOperation).
    lifecycleHooks: o.lifecycleHooks?.length ? o.lifecycleHooks : (source.lifecycleHooks ?? []),
    healthCheckType: o.healthCheckType ?? source.healthCheckType,
    healthCheckGracePeriod: o.healthCheckGracePeriod ?? source.healthCheckGracePeriod,
    cooldown: o.cooldown ?? source.cooldown,
    terminationPolicies: o.terminationPolicies ?? source.terminationPolicies,
    instanceMonitoring: o.instanceMonitoring ?? source.instanceMonitoring,
    ebsOptimized: o.ebsOptimized ?? source.ebsOptimized,
    // Absent from describeCloneSource answers recorded before they were copied.
    capacityRebalance: has('capacityRebalance') ? o.capacityRebalance : source.capacityRebalance,
    enabledMetrics: o.enabledMetrics ?? source.enabledMetrics,
    ignoreSequence: o.ignoreSequence,
    targetHealthyDeployPercentage: o.targetHealthyDeployPercentage,
    waitForHealthyPercentage: o.waitForHealthyPercentage,
    waitTimeoutSeconds: o.waitTimeoutSeconds ?? 1800,
    ...(d.copySourceScalingPoliciesAndActions !== false ? { scalingSource: s } : {}),
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
