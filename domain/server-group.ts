import type { Capacity, InstanceState } from './capacity';

/**
 * A server group as Bosun's workflows see it: only what they decide on, nothing secret.
 * Activities build it from an Auto Scaling group; workflows and the chaos baseline read it.
 */
export interface ServerGroupSnapshot {
  readonly serverGroupName: string;
  readonly region: string;
  readonly capacity: Capacity;
  readonly instances: readonly InstanceState[];
  readonly suspendedProcesses: readonly string[];
  readonly targetGroupArns: readonly string[];
  readonly loadBalancerNames: readonly string[];
  readonly launchTemplate?:
    { readonly id?: string | undefined; readonly name?: string | undefined; readonly version?: string | undefined } | undefined;
  /** Set for a group built from a launch configuration (then it has no launch template). */
  readonly launchConfigurationName?: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdTimeMs: number | undefined;
}
