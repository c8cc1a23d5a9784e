/**
 * Every failure type Bosun itself raises (as an `ApplicationFailure` type, or as the `type` of a
 * task's OperationError, shown as `cause` in Clouddriver's EXCEPTION). One catalogue, so the UI,
 * the facade and the tests name a failure the same way, and a new one is added here, on purpose.
 *
 * AWS's own error codes (`Throttling`, `ValidationError`, `InvalidAMIID.NotFound`…) are not
 * listed: `awsCall` passes them through unchanged as the failure type, so they keep AWS's names.
 *
 * Bundled into the workflow sandbox: nothing from Node, no zod, no I/O.
 */
export const FailureType = {
  // What the operation refers to does not exist (nothing was changed).
  /** The server group named in the operation does not exist, or is being deleted. */
  ServerGroupNotFound: 'ServerGroupNotFound',
  /** No image matches the AMI name or id in the account and region. */
  ImageNotFound: 'ImageNotFound',
  /** Security groups, target groups, load balancers or subnets a deploy names do not exist. */
  DeployResourceNotFound: 'DeployResourceNotFound',
  /** A target group or classic load balancer of the group is gone; nothing was registered. */
  LoadBalancerNotFound: 'LoadBalancerNotFound',
  /** The scaling policy to update or delete is not on the group. */
  ScalingPolicyNotFound: 'ScalingPolicyNotFound',
  /** The launch template version the group runs (or the one asked for) does not exist. */
  LaunchTemplateVersionNotFound: 'LaunchTemplateVersionNotFound',
  /** The group runs a launch configuration, not a launch template; Bosun updates templates only. */
  NoLaunchTemplate: 'NoLaunchTemplate',
  /** The group runs a launch template, not a launch configuration; updateLaunchConfig changes configurations only. */
  NoLaunchConfiguration: 'NoLaunchConfiguration',
  /** The launch configuration the group runs does not exist. */
  LaunchConfigurationNotFound: 'LaunchConfigurationNotFound',
  /** Security groups the operation names do not exist in the group's VPC. */
  SecurityGroupNotFound: 'SecurityGroupNotFound',
  /** Some of the instances named in the operation do not exist in the account and region. */
  InstancesNotFound: 'InstancesNotFound',

  // Bosun's configuration does not cover the request.
  /** The account is not configured in Bosun. */
  UnknownAccount: 'UnknownAccount',
  /** The account is configured, but not for this region. */
  UnknownRegion: 'UnknownRegion',
  /** The target account has no AWS account id configured, so an image cannot be shared with it. */
  AccountIdUnknown: 'AccountIdUnknown',

  // The request is wrong, or the world is not as it requires.
  /** An activity was called with an input it cannot act on (a Bosun bug or a bad description). */
  InvalidInput: 'InvalidInput',
  /** The description cannot be carried out as given (e.g. a clone source lacks an image). */
  InvalidDescription: 'InvalidDescription',
  /** Min, desired and max do not fit together (the emulator would accept them; AWS would not). */
  InvalidCapacity: 'InvalidCapacity',
  /** Resize with constraints: the group's capacity is no longer what the caller saw. */
  CapacityConstraintViolated: 'CapacityConstraintViolated',
  /** Terminating the instance would take the group below its minimum. */
  CapacityBelowMinimum: 'CapacityBelowMinimum',
  /** Both an image id and a name were given and they name different images. */
  ImageMismatch: 'ImageMismatch',
  /** Rebooting refused: some instances are not running. */
  InstancesNotRunning: 'InstancesNotRunning',
  /** The forced sequence is taken, or a group of that name exists and this deploy did not make it. */
  ServerGroupExists: 'ServerGroupExists',
  /** A launch template of the group's name exists and this deploy did not make it. */
  LaunchTemplateConflict: 'LaunchTemplateConflict',
  /** A launch configuration of the new one's name exists with other settings (made by another task). */
  LaunchConfigurationConflict: 'LaunchConfigurationConflict',
  /** AWS refused some of a load balancer's updates (Clouddriver: "Failed to apply all load balancer updates"). */
  LoadBalancerUpdatesFailed: 'LoadBalancerUpdatesFailed',
  /** The cluster has used all 1000 sequence numbers. */
  ClusterFull: 'ClusterFull',

  // A deploy with a strategy that did not go through.
  /**
   * The deploy rolled back before its commit point (a failure, a gate, the traffic guard or a
   * `rollback` Update): the source is as it was, the new group out of traffic.
   */
  RolledBack: 'RolledBack',
  /** The deploy passed its commit point (traffic on the new group) but its cleanup did not finish; the failure lists what is left. */
  CleanupIncomplete: 'CleanupIncomplete',
  /** Another deploy of the same cluster ran longer than this one would wait for it. */
  ClusterBusy: 'ClusterBusy',

  // Waiting ran out, or an answer was not what it should be.
  /** The group did not reach its healthy capacity before the operation's deadline. */
  CapacityNotReached: 'CapacityNotReached',
  /** The group was still there (being deleted) at the operation's deadline. */
  ServerGroupNotDeleted: 'ServerGroupNotDeleted',
  /** EC2 refused to delete a launch template version without saying which code. */
  LaunchTemplateVersionNotDeleted: 'LaunchTemplateVersionNotDeleted',
  /** Read-after-write lag: a policy just put is not listed yet (retryable). */
  PolicyNotVisibleYet: 'PolicyNotVisibleYet',
  /** AWS answered a create without the id it must carry (retryable: the retry finds it). */
  IncompleteAnswer: 'IncompleteAnswer',
  /** An activity kept failing transiently until its retry window closed; running the task again may succeed. */
  RetryWindowExhausted: 'RetryWindowExhausted',
  /**
   * An error that is neither an AWS answer nor a network failure (a TypeError, a credentials
   * error): a Bosun bug or a configuration problem. Tried a few times, then the task fails.
   */
  UnexpectedError: 'UnexpectedError',

  // How a failed task closes its workflow (the ApplicationFailure's type when the task's own
  // failure type is not one of Bosun's).
  /** AWS refused a request with a code of its own (`InvalidAMIID.Malformed`…): the EXCEPTION's `cause` names it. */
  AwsRequestFailed: 'AwsRequestFailed',

  // How a task's workflow ended without a result (rendered by the facade).
  /** The task was cancelled (by Orca or an operator); compensation ran. */
  Cancelled: 'Cancelled',
  /** The task's workflow was terminated: nothing was compensated. */
  Terminated: 'Terminated',
  /** The task's workflow ran past its execution timeout. */
  TimedOut: 'TimedOut',
  /** The task's workflow failed without a task result (a Bosun bug or a failed top level). */
  WorkflowFailed: 'WorkflowFailed',
  /** An ApplicationFailure without a type (should not happen: every Bosun failure has one). */
  ApplicationFailure: 'ApplicationFailure',
  /** An activity failed with a cause Bosun does not classify. */
  ActivityFailure: 'ActivityFailure',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

const known: ReadonlySet<string> = new Set(Object.values(FailureType));

/** True when `type` is one of Bosun's own failure types (not an AWS code passed through). */
export function isFailureType(type: unknown): type is FailureType {
  return typeof type === 'string' && known.has(type);
}
