/** Auto Scaling process names, zod-free because workflow code uses them. */

/** The Auto Scaling process names AWS accepts in SuspendProcesses / ResumeProcesses. */
export const ASG_PROCESS_NAMES = [
  'Launch',
  'Terminate',
  'HealthCheck',
  'ReplaceUnhealthy',
  'AZRebalance',
  'AlarmNotification',
  'ScheduledActions',
  'AddToLoadBalancer',
  'InstanceRefresh',
] as const;

export type AsgProcessName = (typeof ASG_PROCESS_NAMES)[number];

/**
 * What Clouddriver suspends to take a group out of service and resumes to put it back
 * (AutoScalingProcessType.getDisableProcesses). Spinnaker reads a group with AddToLoadBalancer
 * suspended as disabled.
 */
export const TRAFFIC_PROCESSES = ['Launch', 'Terminate', 'AddToLoadBalancer'] as const satisfies readonly AsgProcessName[];
