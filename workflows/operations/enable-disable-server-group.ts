import type { ServerGroupSnapshot } from '../../domain/server-group';
import type { DisableServerGroup, EnableServerGroup } from '../../domain/operations';
import { TRAFFIC_PROCESSES } from '../../domain/operations/asg-process-names';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

const PROCESSES = TRAFFIC_PROCESSES.join(', ');

/**
 * Clouddriver's disable (AbstractEnableDisableAtomicOperation), made durable: a missing group is
 * a success; otherwise suspend Launch, Terminate and AddToLoadBalancer first, so no instance
 * joins or leaves while the group's instances are taken out of its load balancers.
 */
export async function disableServerGroupOperation(ctx: OperationContext, d: DisableServerGroup): Promise<TaskOutput> {
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    const group = await ctx.call('describeServerGroup', `Describe ${where}`, ref);
    if (!group) {
      ctx.log(`Server group ${serverGroupName} not found in ${region} (${d.account}); nothing to disable`);
      continue;
    }
    ctx.log(`Disabling ${where}: suspending ${PROCESSES}`);
    const suspended = await ctx.call('suspendProcesses', `Suspend ${PROCESSES} of ${where}`, {
      ...ref,
      processes: TRAFFIC_PROCESSES,
    });
    // Read the instances again: with Launch and Terminate suspended this list can no longer change,
    // while the first read may have missed an instance that went into service just before.
    const settled = suspended.found ? await ctx.call('describeServerGroup', `Describe the instances of ${where}`, ref) : null;
    if (!settled) {
      ctx.log(`Server group ${serverGroupName} disappeared from ${region} (${d.account}) while being disabled; nothing left to disable`);
      continue;
    }
    await moveInstances(ctx, d.account, settled, 'deregister');
    ctx.log(`Disabled ${where}`);
  }
  return { resultObjects: [] };
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
    const group = await ctx.call('describeServerGroup', `Describe ${where}`, ref);
    if (!group) {
      ctx.log(`Server group ${serverGroupName} not found in ${region} (${d.account}); nothing to enable`);
      continue;
    }
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

/** Registers or deregisters the group's in-service instances with its target groups, then its classic load balancers. */
async function moveInstances(
  ctx: OperationContext,
  account: string,
  group: ServerGroupSnapshot,
  direction: 'register' | 'deregister',
): Promise<void> {
  const { serverGroupName, region, targetGroupArns, loadBalancerNames } = group;
  const where = `${serverGroupName} in ${region}`;
  if (targetGroupArns.length === 0 && loadBalancerNames.length === 0) {
    ctx.log(`${where} has no target groups or classic load balancers; no instances to ${direction}`);
    return;
  }
  // Instances still launching join through AddToLoadBalancer; those in Standby or terminating stay out.
  const instanceIds = group.instances.filter((i) => i.lifecycleState === 'InService').map((i) => i.instanceId);
  if (instanceIds.length === 0) {
    ctx.log(`${where} has no instances in service; none to ${direction}`);
    return;
  }
  const input = { account, region, serverGroupName, instanceIds };
  const [doing, todo, preposition] =
    direction === 'register' ? (['Registering', 'Register', 'with'] as const) : (['Deregistering', 'Deregister', 'from'] as const);
  const instances = count(instanceIds.length, 'instance');

  if (targetGroupArns.length > 0) {
    const targetGroups = count(targetGroupArns.length, 'target group');
    ctx.log(`${doing} ${instances} of ${where} ${preposition} ${targetGroups}`);
    const change = await ctx.call(
      direction === 'register' ? 'registerInstancesWithTargetGroups' : 'deregisterInstancesFromTargetGroups',
      `${todo} ${instances} of ${where} ${preposition} ${targetGroups}`,
      { ...input, targetGroupArns },
    );
    for (const arn of change.missing) ctx.log(`Target group ${arn} of ${where} no longer exists; skipped it`);
  }
  if (loadBalancerNames.length > 0) {
    const loadBalancers = count(loadBalancerNames.length, 'classic load balancer');
    ctx.log(`${doing} ${instances} of ${where} ${preposition} ${loadBalancers}`);
    const change = await ctx.call(
      direction === 'register' ? 'registerInstancesWithClassicLoadBalancers' : 'deregisterInstancesFromClassicLoadBalancers',
      `${todo} ${instances} of ${where} ${preposition} ${loadBalancers}`,
      { ...input, loadBalancerNames },
    );
    for (const name of change.missing) ctx.log(`Classic load balancer ${name} of ${where} no longer exists; skipped it`);
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
