/**
 * The parts of a deploy that follow Clouddriver's source and result rules: copying a source's
 * scaling policies, alarms and scheduled actions (BasicAmazonDeployHandler), which health wait
 * the task itself runs, and the result objects Orca reads (DeploymentResult plus the
 * `ancestorServerGroupNameByRegion` objects of AbstractServerGroupNameResolver).
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { formatCapacity } from '../../domain/capacity';
import { FailureType } from '../../domain/failures';
import type { DeployDescription } from '../../domain/operations/schemas/create-server-group';
import { blockDevicesFromSource } from '../../domain/launch-settings';
import type { TaskOutput } from '../../domain/task';
import { Patch } from '../patches';
import type { OperationContext } from '../task-runner';

/**
 * Copies the deploy's source scaling onto the group just created in `region`. The alarms are
 * separate CloudWatch resources the group's deletion leaves behind, so their removal is
 * registered before the copy starts: a copy that fails half way is undone too.
 */
export async function copySourceScaling(
  ctx: OperationContext,
  d: DeployDescription,
  target: { region: string; serverGroupName: string; createdBy: string },
): Promise<void> {
  const source = d.scalingSource;
  if (!source || !ctx.patched(Patch.deployCopiesSourceScaling)) return;
  const { region, serverGroupName, createdBy } = target;
  ctx.onFailure(`delete the alarms copied for ${serverGroupName} in ${region}`, async () => {
    const r = await ctx.call('deleteCopiedAlarms', `Delete the alarms copied for ${serverGroupName} (rollback)`, {
      account: d.account,
      region,
      serverGroupName,
      createdBy,
    });
    ctx.log(`Deleted ${r.deleted.length} alarms copied for ${serverGroupName} in ${region}`);
  });
  const copied = await ctx.call('copySourceScaling', `Copy scaling policies and scheduled actions of ${source.serverGroupName}`, {
    source,
    target: { account: d.account, region, serverGroupName },
    createdBy,
  });
  ctx.log(
    copied.sourceFound
      ? `Copied ${copied.policies.length} scaling policies, ${copied.alarms.length} alarms and ${copied.scheduledActions.length} scheduled actions from ${source.serverGroupName} (${source.region}) to ${serverGroupName}`
      : `Source ${source.serverGroupName} not found in ${source.region} (${source.account}): no scaling policies or scheduled actions copied`,
  );
}

/**
 * `source.useSourceCapacity` on createServerGroup: the source's min/max/desired replace the
 * request's before anything is created (BasicAmazonDeployHandler.copySourceAttributes); a source
 * that is gone fails the deploy, as there.
 */
export async function withSourceCapacity(ctx: OperationContext, d: DeployDescription): Promise<DeployDescription> {
  const s = d.capacitySource;
  if (!s || !ctx.patched(Patch.deployUsesSourceCapacity)) return d;
  const source = await ctx.call('describeServerGroup', `Describe ${s.serverGroupName} in ${s.region} for its capacity`, { ...s });
  if (!source) {
    throw ApplicationFailure.nonRetryable(
      `useSourceCapacity requested, but source ${s.serverGroupName} was not found in ${s.region} (${s.account})`,
      FailureType.ServerGroupNotFound,
    );
  }
  ctx.log(`Using the capacity of ${s.serverGroupName}: ${formatCapacity(source.capacity)} (min/desired/max)`);
  return { ...d, capacity: source.capacity };
}

/** The tag in which Spinnaker keeps a group's own subnets, which a deploy from it inherits. */
const SUBNET_OVERRIDE_TAG = 'SPINNAKER_SUBNET_ID_OVERRIDE';

/**
 * createServerGroup with a `source` (BasicAmazonDeployHandler.copySourceAttributes): its custom
 * block devices when the request gives none (buildBlockDeviceMappingsFromSourceAsg: a source that
 * ran its type's defaults gives the new type's defaults), and its subnet override when the request
 * names no subnets. A source that is gone gives nothing, as there.
 */
export async function withSourceLaunchDefaults(ctx: OperationContext, d: DeployDescription): Promise<DeployDescription> {
  const s = d.blockDeviceSource ?? d.subnetSource;
  if (!s || !ctx.patched(Patch.deployCopiesSourceBlockDevices)) return d;
  const source = await ctx.call('describeCloneSource', `Describe ${s.serverGroupName} in ${s.region} for its launch defaults`, { ...s });
  if (!source) {
    ctx.log(`Source ${s.serverGroupName} not found in ${s.region} (${s.account}): no block devices or subnets copied`);
    return d;
  }
  let out = d;
  const devices = source.launch?.blockDevices;
  if (d.blockDeviceSource && devices !== undefined) {
    const blockDevices = blockDevicesFromSource(d.instanceType, source.instanceType, devices);
    ctx.log(
      `Using ${blockDevices.length} block device(s) of ${s.serverGroupName}${blockDevices === devices ? '' : ` (its type's defaults, so those of ${d.instanceType})`}: ${blockDevices.map((b) => b.deviceName).join(', ') || 'none'}`,
    );
    out = { ...out, launch: { ...out.launch, blockDevices } };
  }
  const override = source.tags[SUBNET_OVERRIDE_TAG];
  if (d.subnetSource && override) {
    const subnetIds = override
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    ctx.log(`Using the subnets of ${s.serverGroupName} (${SUBNET_OVERRIDE_TAG}): ${subnetIds.join(', ')}`);
    out = { ...out, subnetIds };
  }
  return out;
}

/**
 * The share of desired instances the task itself waits for, or undefined for no wait. Orca's
 * `targetHealthyDeployPercentage` made runs before the patch wait; Bosun's own
 * `waitForHealthyPercentage` is the only trigger now. Asks `patched` only when either is set, so a
 * deploy without them records no marker.
 */
export function healthyPercentageToWaitFor(ctx: OperationContext, d: DeployDescription): number | undefined {
  if (d.targetHealthyDeployPercentage === undefined && d.waitForHealthyPercentage === undefined) return undefined;
  return ctx.patched(Patch.deployIgnoresTargetHealthy) ? d.waitForHealthyPercentage : d.targetHealthyDeployPercentage;
}

export interface Deployed {
  readonly region: string;
  readonly serverGroupName: string;
  /** The cluster's newest group before this one, when the name was chosen by sequence. */
  readonly ancestor?: string | undefined;
}

/**
 * The result objects Orca reads after a deploy: one `{ancestorServerGroupNameByRegion}` per region
 * that had an ancestor (Clouddriver adds them to the task as it names each group), then the
 * DeploymentResult.
 */
export function deploymentResultObjects(d: DeployDescription, deployed: readonly Deployed[]): Record<string, unknown>[] {
  const ancestors = deployed.flatMap((x) => (x.ancestor ? [{ ancestorServerGroupNameByRegion: { [x.region]: x.ancestor } }] : []));
  return [
    ...ancestors,
    {
      serverGroupNames: deployed.map((x) => `${x.region}:${x.serverGroupName}`),
      serverGroupNameByRegion: Object.fromEntries(deployed.map((x) => [x.region, x.serverGroupName])),
      deployedNames: deployed.map((x) => x.serverGroupName),
      deployedNamesByLocation: Object.fromEntries(deployed.map((x) => [x.region, [x.serverGroupName]])),
      createdArtifacts: [],
      deployments: deployed.map((x) => ({
        cloudProvider: 'aws',
        account: d.account,
        location: x.region,
        serverGroupName: x.serverGroupName,
        capacity: d.capacity,
        metadata: {},
      })),
      messages: [],
    },
  ];
}

interface DeploymentResultShape {
  serverGroupNames: string[];
  serverGroupNameByRegion: Record<string, string>;
  deployedNames: string[];
  deployedNamesByLocation: Record<string, string[]>;
  createdArtifacts: unknown[];
  deployments: unknown[];
  messages: string[];
}

const isDeploymentResult = (o: Record<string, unknown>): boolean => Array.isArray(o.serverGroupNames);

/** CopyLastAsgAtomicOperation's merge of one deploy per region into one DeploymentResult. */
export function mergeDeployOutputs(outputs: readonly TaskOutput[]): TaskOutput {
  const objects = outputs.flatMap((o) => o.resultObjects ?? []) as Record<string, unknown>[];
  const merged: DeploymentResultShape = {
    serverGroupNames: [],
    serverGroupNameByRegion: {},
    deployedNames: [],
    deployedNamesByLocation: {},
    createdArtifacts: [],
    deployments: [],
    messages: [],
  };
  for (const r of objects.filter(isDeploymentResult) as unknown as DeploymentResultShape[]) {
    merged.serverGroupNames.push(...r.serverGroupNames);
    Object.assign(merged.serverGroupNameByRegion, r.serverGroupNameByRegion);
    merged.deployedNames.push(...r.deployedNames);
    Object.assign(merged.deployedNamesByLocation, r.deployedNamesByLocation);
    merged.createdArtifacts.push(...(r.createdArtifacts ?? []));
    merged.deployments.push(...r.deployments);
    merged.messages.push(...r.messages);
  }
  const resolvedImages = outputs.flatMap((o) => o.resolvedImages ?? []);
  return {
    resultObjects: [...objects.filter((o) => !isDeploymentResult(o)), merged],
    ...(resolvedImages.length ? { resolvedImages } : {}),
  };
}
