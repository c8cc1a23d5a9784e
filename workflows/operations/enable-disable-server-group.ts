import type { ServerGroupSnapshot } from '../../domain/server-group';
import type { DisableServerGroup, EnableServerGroup } from '../../domain/operations';
import { TRAFFIC_PROCESSES } from '../../domain/operations/asg-process-names';
import type { TaskOutput } from '../../domain/task';
import { Patch } from '../patches';
import type { OperationContext } from '../task-runner';
import { describeTargetGroupOrSkip } from './target-group';

const PROCESSES = TRAFFIC_PROCESSES.join(', ');

/**
 * Clouddriver's disable (AbstractEnableDisableAtomicOperation), made durable: a missing group is
 * a success; otherwise suspend Launch, Terminate and AddToLoadBalancer first, so no instance
 * joins or leaves while the group's instances are taken out of its load balancers.
 */
export async function disableServerGroupOperation(ctx: OperationContext, d: DisableServerGroup): Promise<TaskOutput> {
  if (d.desiredPercentage !== undefined && ctx.patched(Patch.partialDisable)) return disableShare(ctx, d, d.desiredPercentage);
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    const group = await describeTargetGroupOrSkip(ctx, ref, 'disable');
    if (!group) continue;
    const settled = await suspendAndReread(ctx, ref);
    if (!settled) continue;
    await moveInstances(ctx, d.account, settled, 'deregister');
    ctx.log(`Disabled ${where}`);
  }
  return { resultObjects: [] };
}

/**
 * A disable that names `desiredPercentage` (Orca's rolling red/black and monitored deploys), as
 * Clouddriver's AbstractEnableDisableAtomicOperation runs it: processes are suspended only at
 * 100; the instances to take out are chosen from the group's live load-balancer health
 * (`chooseInstancesToDisable`: those already out count, the others by instance id), and go back
 * to Orca as `instanceIdsToDisable`, which WaitForRequiredInstancesDownTask waits on.
 *
 * Below 100 only the chosen instances are deregistered. At 100 every instance in service is, as
 * a whole disable does: a superset of Clouddriver's choice, which would leave an instance that
 * fails its health checks registered and so back in traffic once it recovers.
 */
async function disableShare(ctx: OperationContext, d: DisableServerGroup, percentage: number): Promise<TaskOutput> {
  const resultObjects: { instanceIdsToDisable: readonly string[] }[] = [];
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    let group = await describeTargetGroupOrSkip(ctx, ref, 'disable');
    if (!group) continue;
    if (percentage === 100) {
      group = await suspendAndReread(ctx, ref);
      if (!group) continue;
    } else {
      ctx.log(`Disabling ${percentage}% of ${where}; its processes stay as they are`);
    }
    // Clouddriver's candidates: instances in service or still launching.
    const candidates = group.instances
      .filter((i) => i.lifecycleState === 'InService' || i.lifecycleState.startsWith('Pending'))
      .map((i) => i.instanceId);
    if (candidates.length === 0) {
      ctx.log(`${where} has no instances in service or launching; none to disable`);
      continue;
    }
    const chosen = await ctx.call('chooseInstancesToDisable', `Choose ${percentage}% of the instances of ${where} to disable`, {
      ...ref,
      instanceIds: candidates,
      targetGroupArns: group.targetGroupArns,
      loadBalancerNames: group.loadBalancerNames,
      desiredPercentage: percentage,
    });
    ctx.log(
      `Only disabling instances [${chosen.instanceIds.join(', ')}] on ASG ${serverGroupName} with percentage ${percentage} ` +
        `(${chosen.alreadyDisabled} of ${candidates.length} already out of traffic)`,
    );
    resultObjects.push({ instanceIdsToDisable: chosen.instanceIds });
    await moveInstances(ctx, d.account, group, 'deregister', percentage === 100 ? undefined : chosen.instanceIds);
    ctx.log(percentage === 100 ? `Disabled ${where}` : `Disabled ${percentage}% of ${where}`);
  }
  return { resultObjects };
}

/**
 * Suspends Launch, Terminate and AddToLoadBalancer, then reads the instances again: with Launch
 * and Terminate suspended the list can no longer change, while the first read may have missed an
 * instance that went into service just before. Null (logged) when the group went away meanwhile.
 */
async function suspendAndReread(ctx: OperationContext, ref: { account: string; region: string; serverGroupName: string }) {
  const where = `${ref.serverGroupName} in ${ref.region}`;
  ctx.log(`Disabling ${where}: suspending ${PROCESSES}`);
  const suspended = await ctx.call('suspendProcesses', `Suspend ${PROCESSES} of ${where}`, { ...ref, processes: TRAFFIC_PROCESSES });
  const settled = suspended.found ? await ctx.call('describeServerGroup', `Describe the instances of ${where}`, ref) : null;
  if (!settled) {
    ctx.log(
      `Server group ${ref.serverGroupName} disappeared from ${ref.region} (${ref.account}) while being disabled; nothing left to disable`,
    );
  }
  return settled;
}

/**
 * Clouddriver's enable: a missing group is a success; otherwise register the instances with the
 * group's load balancers, then resume the processes. Resuming last means a task that stops half
 * way leaves AddToLoadBalancer suspended, so Spinnaker still shows the group as disabled.
 */
export async function enableServerGroupOperation(ctx: OperationContext, d: EnableServerGroup): Promise<TaskOutput> {
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    const group = await describeTargetGroupOrSkip(ctx, ref, 'enable');
    if (!group) continue;
    ctx.log(`Enabling ${where}`);
    await moveInstances(ctx, d.account, group, 'register');
    ctx.log(`Resuming ${PROCESSES} of ${where}`);
    const resumed = await ctx.call('resumeProcesses', `Resume ${PROCESSES} of ${where}`, {
      ...ref,
      processes: TRAFFIC_PROCESSES,
    });
    if (!resumed.found) {
      ctx.log(`Server group ${serverGroupName} disappeared from ${region} (${d.account}) while being enabled; nothing left to enable`);
      continue;
    }
    ctx.log(`Enabled ${where}`);
  }
  return { resultObjects: [] };
}

/**
 * Registers or deregisters instances with the group's target groups, then its classic load
 * balancers: `only` those, or else every instance in service.
 */
async function moveInstances(
  ctx: OperationContext,
  account: string,
  group: ServerGroupSnapshot,
  direction: 'register' | 'deregister',
  only?: readonly string[],
): Promise<void> {
  const { serverGroupName, region, targetGroupArns, loadBalancerNames } = group;
  const where = `${serverGroupName} in ${region}`;
  if (targetGroupArns.length === 0 && loadBalancerNames.length === 0) {
    ctx.log(`${where} has no target groups or classic load balancers; no instances to ${direction}`);
    return;
  }
  // Instances still launching join through AddToLoadBalancer; those in Standby or terminating stay out.
  const instanceIds = only ?? group.instances.filter((i) => i.lifecycleState === 'InService').map((i) => i.instanceId);
  if (instanceIds.length === 0) {
    ctx.log(only ? `No instances of ${where} to ${direction}` : `${where} has no instances in service; none to ${direction}`);
    return;
  }
  const input = { account, region, serverGroupName, instanceIds };
  const [doing, todo, preposition] =
    direction === 'register' ? (['Registering', 'Register', 'with'] as const) : (['Deregistering', 'Deregister', 'from'] as const);
  const instances = count(instanceIds.length, 'instance');

  // The same steps for each kind of load balancer: a line, the call, a line for each one gone.
  const moveWith = async (
    noun: string,
    n: number,
    call: (summary: string) => Promise<{ readonly missing: readonly string[] }>,
  ): Promise<void> => {
    if (n === 0) return;
    const loadBalancers = count(n, noun);
    ctx.log(`${doing} ${instances} of ${where} ${preposition} ${loadBalancers}`);
    const change = await call(`${todo} ${instances} of ${where} ${preposition} ${loadBalancers}`);
    const gone = noun.charAt(0).toUpperCase() + noun.slice(1);
    for (const name of change.missing) ctx.log(`${gone} ${name} of ${where} no longer exists; skipped it`);
  };
  await moveWith('target group', targetGroupArns.length, (summary) =>
    ctx.call(direction === 'register' ? 'registerInstancesWithTargetGroups' : 'deregisterInstancesFromTargetGroups', summary, {
      ...input,
      targetGroupArns,
    }),
  );
  await moveWith('classic load balancer', loadBalancerNames.length, (summary) =>
    ctx.call(
      direction === 'register' ? 'registerInstancesWithClassicLoadBalancers' : 'deregisterInstancesFromClassicLoadBalancers',
      summary,
      { ...input, loadBalancerNames },
    ),
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
