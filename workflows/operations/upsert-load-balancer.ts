import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type {
  UpsertClassicLoadBalancer,
  UpsertLoadBalancer,
  UpsertLoadBalancerV2,
} from '../../domain/operations/schemas/upsert-load-balancer';
import type { TaskOutput } from '../../domain/task';
import { createdByValue } from '../../domain/task';
import type { OperationContext } from '../task-runner';

const CLASSIC_PHASE = 'CREATE_ELB';
const CLASSIC_HANDLER_PHASE = 'UPSERT_ELB';
const V2_PHASE = 'CREATE_ELB_V2';
const V2_HANDLER_PHASE = 'UPSERT_ELB_V2';

/** Groovy's `"$list"`: `[a, b]`. */
const listText = (items: readonly string[]) => `[${items.join(', ')}]`;

/**
 * Clouddriver's UpsertAmazonLoadBalancerAtomicOperation (classic) and
 * UpsertAmazonLoadBalancerV2AtomicOperation (application, network), region by region, with their
 * phases, history lines and result (`loadBalancers`: each region's name and DNS name). What this
 * task creates is deleted again if the task fails or is cancelled; a load balancer or target
 * group that existed before is never deleted by the undo.
 */
export async function upsertLoadBalancerOperation(ctx: OperationContext, d: UpsertLoadBalancer): Promise<TaskOutput> {
  const phase = d.type === 'classic' ? CLASSIC_PHASE : V2_PHASE;
  ctx.log('Initializing load balancer creation...', phase);
  const loadBalancers: Record<string, { name: string; dnsName: string }> = {};
  for (const { region, zones } of d.regions) {
    ctx.log(`Beginning deployment to ${region} in ${listText(zones)} for ${d.name}`, phase);
    const dnsName = d.type === 'classic' ? await upsertClassic(ctx, d, region, zones) : await upsertV2(ctx, d, region, zones);
    ctx.log(`Done deploying ${d.name} to ${d.account} in ${region}.`, phase);
    loadBalancers[region] = { name: d.name, dnsName };
  }
  ctx.log('Done deploying load balancers.', phase);
  return {
    resultObjects: [{ loadBalancers }],
    ...(d.type === 'classic' ? { classicLoadBalancers: d.regions.map(({ region }) => ({ region, name: d.name })) } : {}),
  };
}

function failIfRefused(errors: readonly string[]): void {
  if (errors.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `Failed to apply all load balancer updates: ${errors.join('; ')}`,
      FailureType.LoadBalancerUpdatesFailed,
      { errors },
    );
  }
}

async function upsertV2(ctx: OperationContext, d: UpsertLoadBalancerV2, region: string, zones: readonly string[]): Promise<string> {
  const ref = { account: d.account, region };
  const createdBy = createdByValue(ctx.taskId, ctx.index);
  const where = `${d.name} in ${region}`;
  const { securityGroupIds, subnetIds } = await ctx.call('resolveLoadBalancerNetwork', `Resolve security groups and subnets for ${where}`, {
    ...ref,
    securityGroups: d.securityGroups,
    vpcId: d.vpcId,
    subnetType: d.subnetType,
    zones,
  });
  const found = await ctx.call('describeLoadBalancerV2ForUpsert', `Describe load balancer ${where}`, { ...ref, name: d.name });
  // Registered before anything is made: a create whose answer was lost may still have made it.
  // The undo deletes only what carries this task's tag.
  ctx.onFailure(`delete what this task created for ${where}`, async () => {
    try {
      const { deleted, kept } = await ctx.call('deleteLoadBalancerV2CreatedByTask', `Delete what this task created for ${where}`, {
        ...ref,
        name: d.name,
        targetGroupNames: d.targetGroups.map((t) => t.name),
        createdBy,
      });
      for (const what of deleted) ctx.log(`Deleted ${what} (created by this task) in ${region}.`, V2_HANDLER_PHASE);
      for (const what of kept) ctx.log(`Kept ${what} in ${region}: a listener that existed before uses it.`, V2_HANDLER_PHASE);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      ctx.log(
        `Could not delete what this task created for ${where}; delete it by hand: ${cause instanceof Error ? cause.message : String(err)}`,
        V2_HANDLER_PHASE,
      );
    }
  });

  let loadBalancerArn: string;
  let dnsName: string;
  if (!found.found) {
    ctx.log(`Creating ${d.name} of type ${d.type} in ${d.account}:${region}...`, V2_PHASE);
    if (subnetIds.length > 0) ctx.log(`Subnets: [${listText(subnetIds)}]`, V2_HANDLER_PHASE);
    ctx.log('Creating load balancer.', V2_HANDLER_PHASE);
    const created = await ctx.call('createLoadBalancerV2', `Create ${d.type} load balancer ${where}`, {
      ...ref,
      name: d.name,
      type: d.type,
      isInternal: d.isInternal,
      subnetIds,
      securityGroupIds,
      ipAddressType: d.ipAddressType,
      createdBy,
    });
    loadBalancerArn = created.loadBalancerArn;
    dnsName = created.dnsName;
  } else {
    ctx.log(`Found existing load balancer named ${d.name} in ${region}... Using that.`, V2_PHASE);
    loadBalancerArn = found.loadBalancerArn;
    dnsName = found.dnsName;
  }
  const report = await ctx.call('updateLoadBalancerV2', `Update load balancer ${where}`, {
    ...ref,
    loadBalancerArn,
    securityGroupIds,
    targetGroups: d.targetGroups,
    listeners: d.listeners,
    idleTimeout: d.idleTimeout,
    deletionProtection: d.deletionProtection,
    // After a create Clouddriver passes `!!loadBalancingCrossZone`: absent turns cross-zone off.
    loadBalancingCrossZone: found.found ? d.loadBalancingCrossZone : (d.loadBalancingCrossZone ?? false),
    ipAddressType: d.ipAddressType,
    createdBy,
  });
  for (const line of report.lines) ctx.log(line, V2_HANDLER_PHASE);
  failIfRefused(report.errors);
  return dnsName;
}

async function upsertClassic(
  ctx: OperationContext,
  d: UpsertClassicLoadBalancer,
  region: string,
  zones: readonly string[],
): Promise<string> {
  const ref = { account: d.account, region };
  const createdBy = createdByValue(ctx.taskId, ctx.index);
  const where = `${d.name} in ${region}`;
  ctx.log(`Setting up listeners for ${d.name} in ${region}...`, CLASSIC_PHASE);
  for (const l of d.listeners) {
    if (l.sslCertificateId) ctx.log(`Attaching listener with SSL ServerCertificate: ${l.sslCertificateId}`, CLASSIC_PHASE);
    ctx.log(`Appending listener ${l.protocol}:${l.loadBalancerPort} -> ${l.instanceProtocol}:${l.instancePort}`, CLASSIC_PHASE);
  }
  const found = await ctx.call('describeClassicLoadBalancerForUpsert', `Describe classic load balancer ${where}`, { ...ref, name: d.name });
  if (found.found) ctx.log(`Found existing load balancer named ${d.name} in ${region}... Using that.`, CLASSIC_PHASE);
  const { securityGroupIds, subnetIds } = await ctx.call('resolveLoadBalancerNetwork', `Resolve security groups and subnets for ${where}`, {
    ...ref,
    securityGroups: d.securityGroups,
    vpcId: d.vpcId,
    subnetType: found.found ? undefined : d.subnetType,
    zones,
  });

  let dnsName: string;
  if (!found.found) {
    ctx.log(`Creating ${d.name} in ${d.account}:${region}...`, CLASSIC_PHASE);
    // Registered before the create: one whose answer was lost may still have made it.
    ctx.onFailure(`delete classic load balancer ${where} if this task created it`, async () => {
      try {
        const { deleted } = await ctx.call('deleteClassicLoadBalancerCreatedByTask', `Delete classic load balancer ${where}`, {
          ...ref,
          name: d.name,
          createdBy,
        });
        if (deleted) ctx.log(`Deleted load balancer ${d.name} (created by this task) in ${region}.`, CLASSIC_HANDLER_PHASE);
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        ctx.log(
          `Could not delete load balancer ${where}; delete it by hand: ${cause instanceof Error ? cause.message : String(err)}`,
          CLASSIC_HANDLER_PHASE,
        );
      }
    });
    if (subnetIds.length > 0) ctx.log(`Subnets: [${listText(subnetIds)}]`, CLASSIC_HANDLER_PHASE);
    ctx.log('Creating load balancer.', CLASSIC_HANDLER_PHASE);
    ({ dnsName } = await ctx.call('createClassicLoadBalancer', `Create classic load balancer ${where}`, {
      ...ref,
      name: d.name,
      isInternal: d.isInternal,
      zones,
      subnetIds,
      listeners: d.listeners,
      securityGroupIds,
      createdBy,
    }));
  } else {
    dnsName = found.dnsName;
    const report = await ctx.call('updateClassicLoadBalancer', `Update classic load balancer ${where}`, {
      ...ref,
      name: d.name,
      listeners: d.listeners,
      securityGroupIds,
    });
    for (const line of report.lines) ctx.log(line, CLASSIC_HANDLER_PHASE);
    failIfRefused(report.errors);
  }

  if (d.healthCheck) {
    ctx.log(`Configuring healthcheck for ${d.name} in ${region}...`, CLASSIC_PHASE);
    await ctx.call('configureClassicHealthCheck', `Configure health check of ${where}: ${d.healthCheck}`, {
      ...ref,
      name: d.name,
      target: d.healthCheck,
      interval: d.healthInterval,
      timeout: d.healthTimeout,
      unhealthyThreshold: d.unhealthyThreshold,
      healthyThreshold: d.healthyThreshold,
    });
    ctx.log('Healthcheck configured.', CLASSIC_PHASE);
  }
  await ctx.call('applyClassicLoadBalancerAttributes', `Set attributes of ${where}`, {
    ...ref,
    name: d.name,
    existed: found.found,
    crossZoneBalancing: d.crossZoneBalancing,
    connectionDraining: d.connectionDraining,
    deregistrationDelay: d.deregistrationDelay,
    idleTimeout: d.idleTimeout,
  });
  return dnsName;
}
