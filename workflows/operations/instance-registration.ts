import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { InstanceRegistration } from '../../domain/operations/schemas/instance-registration';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

type Action = 'register' | 'deregister';

/** Clouddriver's RegisterInstancesWithLoadBalancer / RegisterInstancesWithTargetGroup operations. */
export async function registerInstancesOperation(ctx: OperationContext, d: InstanceRegistration): Promise<TaskOutput> {
  return changeRegistration(ctx, d, 'register');
}

/** Clouddriver's DeregisterInstancesFromLoadBalancer / DeregisterInstancesFromTargetGroup operations. */
export async function deregisterInstancesOperation(ctx: OperationContext, d: InstanceRegistration): Promise<TaskOutput> {
  return changeRegistration(ctx, d, 'deregister');
}

/**
 * Clouddriver's AbstractInstanceLoadBalancerRegistrationAtomicOperation and
 * AbstractInstanceTargetGroupRegistrationAtomicOperation, with their history lines. With an
 * `asgName` of a group that exists, the load balancers are the group's and only the instances in
 * the group move; otherwise the named ones, and a name that names nothing fails the task before
 * anything changes. Each load balancer is one activity, which reads what is registered first and
 * sends only what is left to do, so a repeat changes nothing twice (and no instance left to
 * move is no call, where Clouddriver would send an empty list). Nothing is created: a failure
 * leaves the registrations already made, as in Clouddriver.
 */
async function changeRegistration(ctx: OperationContext, d: InstanceRegistration, action: Action): Promise<TaskOutput> {
  const verb = action === 'register' ? 'Registering' : 'Deregistering';
  const { region } = d;
  const targetGroups = d.kind === 'targetGroups';
  ctx.log(`Initializing ${verb} of Instances (${d.instanceIds.join(', ')}) in Load Balancer Operation...`);

  const group = d.asgName
    ? await ctx.call('describeServerGroup', `Describe ${d.asgName} in ${region}`, {
        account: d.account,
        region,
        serverGroupName: d.asgName,
      })
    : null;
  let instanceIds = d.instanceIds;
  let loadBalancers: readonly string[];
  if (group) {
    const members = new Set(group.instances.map((i) => i.instanceId));
    instanceIds = d.instanceIds.filter((id) => members.has(id));
    loadBalancers = targetGroups ? group.targetGroupArns : group.loadBalancerNames;
  } else {
    const lookup = { account: d.account, region, names: d.names };
    const { found, unknown } = targetGroups
      ? await ctx.call('findTargetGroupsByName', `Find target groups ${d.names.join(', ')} in ${region}`, lookup)
      : await ctx.call('findClassicLoadBalancersByName', `Find classic load balancers ${d.names.join(', ')} in ${region}`, lookup);
    if (unknown.length > 0) {
      throw ApplicationFailure.nonRetryable(
        `${targetGroups ? 'targetgroups' : 'loadbalancers'} not found: [${unknown.join(', ')}]`,
        FailureType.LoadBalancerNotFound,
        { region, unknown },
      );
    }
    loadBalancers = found;
  }

  if (loadBalancers.length === 0) {
    ctx.log(
      `${verb} instances not required for Instances ${d.instanceIds.join(', ')}, no ${targetGroups ? 'target groups' : 'load balancers'} are found`,
    );
    return { resultObjects: [] };
  }

  const ids = instanceIds.join(', ');
  const base = { account: d.account, region, serverGroupName: d.asgName ?? '(no server group)', instanceIds };
  for (const lb of loadBalancers) {
    if (targetGroups) {
      ctx.log(`${verb} instances ([${ids}]) in target group ${lb}`);
      const input = { ...base, targetGroupArns: [lb] };
      if (action === 'register') await ctx.call('registerInstancesWithTargetGroups', `Register ${ids} with ${lb}`, input);
      else await ctx.call('deregisterInstancesFromTargetGroups', `Deregister ${ids} from ${lb}`, input);
    } else {
      ctx.log(`${verb} instances ([${ids}]) in ${lb}.`);
      const input = { ...base, loadBalancerNames: [lb] };
      if (action === 'register') await ctx.call('registerInstancesWithClassicLoadBalancers', `Register ${ids} with ${lb}`, input);
      else await ctx.call('deregisterInstancesFromClassicLoadBalancers', `Deregister ${ids} from ${lb}`, input);
      ctx.log(`Finished ${verb.toLowerCase()} instances (${ids}) in ${lb}.`);
    }
  }
  ctx.log(`${verb} completed.`);
  return { resultObjects: [] };
}
