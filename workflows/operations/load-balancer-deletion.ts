import { ApplicationFailure } from '@temporalio/workflow';
import type { DeleteLoadBalancer } from '../../domain/operations/schemas/load-balancer-deletion';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';

const CLASSIC_PHASE = 'DELETE_ELB';
const V2_PHASE = 'DELETE_ELB_V2';

/**
 * Clouddriver's DeleteAmazonLoadBalancerClassicAtomicOperation and
 * DeleteAmazonLoadBalancerV2AtomicOperation, with their phases and history lines. The regions
 * of the last line print as Java prints a Set ("[us-east-1, us-west-2]").
 */
export async function deleteLoadBalancerOperation(ctx: OperationContext, d: DeleteLoadBalancer): Promise<TaskOutput> {
  const { account, loadBalancerName: name } = d;
  const done = `Done deleting ${name} in [${d.regions.join(', ')}] for ${account}.`;
  if (d.classic) {
    ctx.log('Initializing Delete Amazon Load Balancer Classic Operation...', CLASSIC_PHASE);
    for (const region of d.regions) {
      ctx.log(`Deleting ${name} in ${region} for ${account}.`, CLASSIC_PHASE);
      await ctx.call('deleteClassicLoadBalancerByName', `Delete classic load balancer ${name} in ${region}`, {
        account,
        region,
        loadBalancerName: name,
      });
    }
    ctx.log(done, CLASSIC_PHASE);
    return { resultObjects: [] };
  }

  ctx.log('Initializing Delete Amazon Load Balancer V2 Operation...', V2_PHASE);
  for (const region of d.regions) {
    const where = `in ${region} for ${account}`;
    const lb = await ctx.call('describeLoadBalancerV2ForDeletion', `Describe load balancer ${name} in ${region}`, {
      account,
      region,
      loadBalancerName: name,
    });
    if (!lb.found) {
      ctx.log(`Failed deleting ${name} ${where}. Not found.`, V2_PHASE);
      continue;
    }
    ctx.log(`Deleting ${name} ${where}.`, V2_PHASE);
    if (lb.deletionProtection) {
      throw ApplicationFailure.nonRetryable(
        `Load Balancer ${lb.loadBalancerName} has deletion protection enabled. Aborting delete operation.`,
        'DeletionProtectionEnabledException',
        { region, loadBalancerArn: lb.loadBalancerArn },
      );
    }
    for (const listenerArn of lb.listenerArns) {
      const { deleted } = await ctx.call('deleteListenerByArn', `Delete listener of ${name} in ${region}`, {
        account,
        region,
        listenerArn,
      });
      ctx.log(
        deleted ? `Deleted listener ${listenerArn} ${where}.` : `Failed deleting listener ${listenerArn} ${where}. Not found.`,
        V2_PHASE,
      );
    }
    for (const targetGroupArn of lb.targetGroupArns) {
      const { deleted } = await ctx.call('deleteTargetGroupByArn', `Delete target group of ${name} in ${region}`, {
        account,
        region,
        targetGroupArn,
      });
      ctx.log(
        deleted
          ? `Deleted target group ${targetGroupArn} ${where}.`
          : `Failed deleting target group ${targetGroupArn} ${where}. Not found.`,
        V2_PHASE,
      );
    }
    await ctx.call('deleteLoadBalancerV2ByArn', `Delete load balancer ${name} in ${region}`, {
      account,
      region,
      loadBalancerArn: lb.loadBalancerArn,
    });
  }
  ctx.log(done, V2_PHASE);
  return { resultObjects: [] };
}
