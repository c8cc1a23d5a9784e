/**
 * One deploy per cluster at a time. A deployWithStrategy holds its cluster by running this
 * workflow as its child under the id `lease:{account}:{region}:{cluster}`; a second deploy's
 * start of the same id fails while the first holds it, and it waits on a durable timer and tries
 * again. The lease never ends by itself: its parent-close policy is TERMINATE, so the server ends
 * it when the holding deploy closes, whatever way it closes (completed, failed, cancelled after
 * its compensations, terminated), and no lease outlives its holder.
 */
import { condition, defineSignal, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';

export const CLUSTER_LEASE_WORKFLOW = 'clusterLease';

/** A waiting deploy asks who holds the cluster, giving its own workflow id for the answer. */
export const whoHoldsSignal = defineSignal<[string]>('whoHolds');
/** The lease's answer: the holding deploy's task id. */
export const leaseHeldBySignal = defineSignal<[string]>('leaseHeldBy');

export interface ClusterLeaseInput {
  /** The task id of the deploy that holds the cluster. */
  readonly holder: string;
}

export function leaseIdOf(account: string, region: string, cluster: string): string {
  return `lease:${account}:${region}:${cluster}`;
}

/** Held until the holding deploy closes (parent-close policy TERMINATE); answers who holds it. */
export async function clusterLease(input: ClusterLeaseInput): Promise<void> {
  setHandler(whoHoldsSignal, async (waiter) => {
    try {
      await getExternalWorkflowHandle(waiter).signal(leaseHeldBySignal, input.holder);
    } catch {
      // The waiter has gone; nobody to tell.
    }
  });
  await condition(() => false);
}
