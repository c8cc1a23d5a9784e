import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TaskSettings } from '../domain/task-input';

/**
 * After a wait's own deadline, how long its last poll may still take to report: long enough for
 * a throttled describe to be retried (backoff caps at 1 minute) and for a worker that died at
 * the deadline to be noticed and replaced, short enough that a stuck wait fails visibly.
 */
const WAIT_MARGIN_MS = 15 * 60 * 1000;

/**
 * Named option profiles for activities. Every AWS call uses one of these, so timeouts and
 * retries are decided in one place. The retry window (scheduleToClose) comes from the task's
 * settings: transient AWS trouble is retried with backoff for hours, not surfaced to Orca.
 * Every profile is bounded (DESIGN invariant 9): no activity retries forever.
 */
export function activityProfiles(settings: TaskSettings) {
  const window = settings.awsRetryWindowMs;
  return {
    /**
     * Read-only calls: cheap to repeat, so retry quickly. Each attempt is one SDK call (or a few
     * pages), so a short start-to-close hands the call to another worker soon after a crash.
     */
    describeCall: {
      startToCloseTimeout: '20 seconds',
      scheduleToCloseTimeout: window,
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
    /**
     * Calls that change AWS: each is idempotent. 30 s per attempt (measured under chaos: a 2-minute
     * timeout stalled a task for 2 minutes after a worker was killed mid-call); backoff capped at
     * 1 minute so a burst of throttling does not leave a task idle for many minutes.
     */
    mutatingAwsCall: {
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: window,
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
    /**
     * Long polls (waiting for capacity or health) and long heartbeating scans. The activity ends
     * itself at its own deadline; the heartbeat timeout is what notices a dead worker and hands
     * the wait to another one. Bounded by the retry window here; a call whose input carries a
     * `deadlineMs` is bounded by that deadline plus a margin instead (see `activityOptions`).
     */
    waitCall: {
      startToCloseTimeout: window,
      scheduleToCloseTimeout: window,
      // Waits heartbeat on every poll; three missed polls (at least 20 s) mean the worker is gone.
      heartbeatTimeout: Math.max(20_000, settings.pollIntervalMs * 3),
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
    },
  } as const satisfies Record<string, ActivityOptions>;
}

export type ActivityProfiles = ReturnType<typeof activityProfiles>;
export type ActivityProfileName = keyof ActivityProfiles;

/**
 * The profile of every activity, so a call site cannot pick the wrong one. Typed so that an
 * activity added to `createActivities` without a profile does not compile.
 */
export const activityProfileOf = {
  // Reads. resolve* and findServerGroupLeftovers only describe (images, subnets, groups).
  chooseInstancesToDisable: 'describeCall',
  describeServerGroup: 'describeCall',
  describeGroupHealth: 'describeCall',
  describeServerGroupDeletion: 'describeCall',
  describeCloneSource: 'describeCall',
  describeEc2Instances: 'describeCall',
  describeLaunchConfiguration: 'describeCall',
  describeLaunchTemplateVersion: 'describeCall',
  describeScalingPolicy: 'describeCall',
  describeScalingPolicyAlarm: 'describeCall',
  findServerGroupLeftovers: 'describeCall',
  resolveDeployResources: 'describeCall',
  resolveImage: 'describeCall',
  resolveLaunchTemplateImage: 'describeCall',
  resolveServerGroupSecurityGroups: 'describeCall',

  // Single idempotent changes.
  allowImageLaunch: 'mutatingAwsCall',
  createAutoScalingGroup: 'mutatingAwsCall',
  createLaunchConfiguration: 'mutatingAwsCall',
  // Puts by name (policies, alarms, scheduled actions): a retry writes the same copies again.
  copySourceScaling: 'mutatingAwsCall',
  deleteCopiedAlarms: 'mutatingAwsCall',
  createLaunchTemplateVersion: 'mutatingAwsCall',
  createServerGroupLaunchTemplate: 'mutatingAwsCall',
  deleteLaunchConfiguration: 'mutatingAwsCall',
  deleteLaunchTemplateVersion: 'mutatingAwsCall',
  deleteScalingPolicy: 'mutatingAwsCall',
  deleteScalingPolicyAlarm: 'mutatingAwsCall',
  deleteServerGroupLaunchTemplate: 'mutatingAwsCall',
  deregisterInstancesFromClassicLoadBalancers: 'mutatingAwsCall',
  deregisterInstancesFromTargetGroups: 'mutatingAwsCall',
  disableServerGroupMetricsCollection: 'mutatingAwsCall',
  forceDeleteServerGroup: 'mutatingAwsCall',
  pointServerGroupAtLaunchConfiguration: 'mutatingAwsCall',
  pointServerGroupAtLaunchTemplateVersion: 'mutatingAwsCall',
  putScalingPolicy: 'mutatingAwsCall',
  putScalingPolicyAlarm: 'mutatingAwsCall',
  rebootEc2Instances: 'mutatingAwsCall',
  registerInstancesWithClassicLoadBalancers: 'mutatingAwsCall',
  registerInstancesWithTargetGroups: 'mutatingAwsCall',
  resumeProcesses: 'mutatingAwsCall',
  setServerGroupSizeLimits: 'mutatingAwsCall',
  suspendProcesses: 'mutatingAwsCall',
  terminateEc2Instances: 'mutatingAwsCall',
  terminateInstanceInServerGroup: 'mutatingAwsCall',
  updateServerGroupCapacity: 'mutatingAwsCall',

  // Heartbeating activities that may outlast a 30-second attempt. The two waits and the rollback
  // run on the waits queue under the `task-queue` and `workflow-timer` strategies (workflows/wait-routing.ts).
  waitForServerGroupCapacity: 'waitCall',
  waitForServerGroupDeleted: 'waitCall',
  // Usually two or three reads (the application's groups, then the candidate names), but a group
  // of the cluster without the application tag makes it read the whole region, heartbeating per
  // page: that can outlast describeCall's 20 s attempt, and a retry would only start it again.
  chooseServerGroupName: 'waitCall',
  // Heartbeating scans of a region's groups, like chooseServerGroupName.
  findNewestServerGroup: 'waitCall',
  describeCluster: 'waitCall',
  // Deletes the group and waits for it to be gone (heartbeating), then deletes its template.
  rollbackServerGroup: 'waitCall',

  // Server-group settings (activities/server-group-settings.ts): each describes the group first when it can find it missing.
  describeServerGroupSettings: 'describeCall',
  putServerGroupTags: 'mutatingAwsCall',
  deleteServerGroupTags: 'mutatingAwsCall',
  enableServerGroupMetrics: 'mutatingAwsCall',
  disableServerGroupMetrics: 'mutatingAwsCall',
  updateServerGroupSettings: 'mutatingAwsCall',
  describeScheduledActions: 'describeCall',
  putScheduledAction: 'mutatingAwsCall',
  deleteScheduledAction: 'mutatingAwsCall',
  describeLifecycleHook: 'describeCall',
  putLifecycleHook: 'mutatingAwsCall',
  deleteLifecycleHook: 'mutatingAwsCall',

  // CloudWatch alarms by name (activities/alarms.ts).
  describeMetricAlarms: 'describeCall',
  putMetricAlarm: 'mutatingAwsCall',
  deleteMetricAlarms: 'mutatingAwsCall',

  // Clean-up of single resources by name or id (activities/cleanup.ts): each looks first; gone is done.
  deleteLaunchConfigurationByName: 'mutatingAwsCall',
  deleteLaunchTemplateById: 'mutatingAwsCall',
  deleteEbsSnapshot: 'mutatingAwsCall',
  describeImageById: 'describeCall',
  deregisterImageById: 'mutatingAwsCall',

  // Image tags by name (activities/image-tags.ts): CreateTags is an upsert.
  findImagesByName: 'describeCall',
  tagImage: 'mutatingAwsCall',

  // detachInstances (activities/detach-instances.ts): the detach describes the group first.
  tagEc2Instances: 'mutatingAwsCall',
  untagEc2Instances: 'mutatingAwsCall',
  detachInstancesFromServerGroup: 'mutatingAwsCall',

  // Load balancers by name (activities/load-balancer-lookup.ts): one describe per name.
  findTargetGroupsByName: 'describeCall',
  findClassicLoadBalancersByName: 'describeCall',

  // updateInstances (activities/instance-security-groups.ts): ModifyInstanceAttribute sets the whole list.
  describeServerGroupInstances: 'describeCall',
  setInstanceSecurityGroups: 'mutatingAwsCall',

  // deleteSecurityGroup (activities/security-group-operations.ts): looks first; gone is done.
  deleteSecurityGroupByName: 'mutatingAwsCall',

  // upsertSecurityGroup (activities/security-group-upsert.ts): each change looks at the group first.
  lookupSecurityGroupUpsert: 'describeCall',
  createSecurityGroupForUpsert: 'mutatingAwsCall',
  deleteSecurityGroupCreatedByTask: 'mutatingAwsCall',
  updateSecurityGroupIngressDescriptions: 'mutatingAwsCall',
  authorizeSecurityGroupIngress: 'mutatingAwsCall',
  revokeSecurityGroupIngress: 'mutatingAwsCall',
  updateSecurityGroupTagsForUpsert: 'mutatingAwsCall',

  // deleteLoadBalancer (activities/load-balancer-deletion.ts): one call each; gone is done.
  describeLoadBalancerV2ForDeletion: 'describeCall',
  deleteListenerByArn: 'mutatingAwsCall',
  deleteTargetGroupByArn: 'mutatingAwsCall',
  deleteLoadBalancerV2ByArn: 'mutatingAwsCall',
  deleteClassicLoadBalancerByName: 'mutatingAwsCall',

  // upsertLoadBalancer (activities/load-balancer-upsert.ts): creates adopt what this task made;
  // updates re-read the load balancer and apply what differs; compensation deletes only the tagged.
  resolveLoadBalancerNetwork: 'describeCall',
  describeLoadBalancerV2ForUpsert: 'describeCall',
  createLoadBalancerV2: 'mutatingAwsCall',
  updateLoadBalancerV2: 'mutatingAwsCall',
  deleteLoadBalancerV2CreatedByTask: 'mutatingAwsCall',
  describeClassicLoadBalancerForUpsert: 'describeCall',
  createClassicLoadBalancer: 'mutatingAwsCall',
  updateClassicLoadBalancer: 'mutatingAwsCall',
  configureClassicHealthCheck: 'mutatingAwsCall',
  applyClassicLoadBalancerAttributes: 'mutatingAwsCall',
  deleteClassicLoadBalancerCreatedByTask: 'mutatingAwsCall',
} as const satisfies Record<keyof Activities, ActivityProfileName>;

/**
 * The options one activity call runs with: its profile, and for a wait whose input names its
 * deadline, a retry window of that deadline plus a margin (itself no longer than the task's
 * retry window), so a 24-hour wait is not cut at 2 hours nor a 5-minute one kept for 2 hours.
 * `now` is workflow time.
 */
export function activityOptions(settings: TaskSettings, name: keyof Activities, input: unknown, now: number): ActivityOptions {
  const profiles = activityProfiles(settings);
  const profileName = activityProfileOf[name];
  // Waits take their deadline in the input (WaitForCapacityInput, WaitForDeletedInput).
  const deadlineMs = (input as { deadlineMs?: unknown } | undefined)?.deadlineMs;
  if (profileName !== 'waitCall' || typeof deadlineMs !== 'number') return profiles[profileName];
  const profile = profiles.waitCall;
  const margin = Math.min(settings.awsRetryWindowMs, Math.max(WAIT_MARGIN_MS, 2 * profile.heartbeatTimeout));
  return { ...profile, scheduleToCloseTimeout: Math.max(0, deadlineMs - now) + margin };
}

/**
 * Changes a workflow may also run as local activities: each sets absolute values, so running it
 * again (a retried workflow task runs its local activities again) leaves AWS as one run would.
 * Never a call that creates, deletes or counts (terminate-and-decrement), and never a change
 * whose caller checked a precondition against what it described first: the retried task would
 * describe the changed state and judge its own change.
 */
type LocalMutation = 'updateServerGroupCapacity';

/** Activities a workflow may run as local activities: reads, and the absolute setters above. */
export type LocalActivityName =
  | {
      [N in keyof Activities]: (typeof activityProfileOf)[N] extends 'describeCall' ? N : never;
    }[keyof Activities]
  | LocalMutation;

/**
 * Local activities of runs that started before patch bosun-local-activity-fallback (only reads
 * then): the activity's own profile for the whole retry window; backoffs up to 10 s stay in the
 * worker, a longer one becomes a server timer. New runs use `localAttemptOptions`.
 */
export function localActivityOptions(settings: TaskSettings, name: LocalActivityName): LocalActivityOptions {
  const { startToCloseTimeout, scheduleToCloseTimeout, retry } = activityProfiles(settings)[activityProfileOf[name]];
  return { startToCloseTimeout, scheduleToCloseTimeout, retry, localRetryThreshold: '10 seconds' };
}

/** Local attempts before the call becomes a regular activity, and the bound of each attempt. */
const LOCAL_ATTEMPTS = 3;
const LOCAL_ATTEMPT_MS = 10_000;

/**
 * A local activity's attempts since patch bosun-local-activity-fallback: three, with its
 * profile's backoff (1-2 s, then 2-4 s), all in the worker; the caller then runs the same call as
 * a regular activity for the retry window (task-runner's `callLocal`). Never a server timer: with
 * the pinned SDK a local activity whose backoff outgrew the local retry threshold was rescheduled
 * after a timer even past its schedule-to-close, and a resize recorded that way failed replay
 * ("Fail workflow machine does not handle this event"). Attempts, not a time window, bound the
 * local part: the SDK did not stop local retries at schedule-to-close (4 attempts in 14 s with
 * 10 s). Long trouble is also better shown as a pending activity with its attempts.
 */
export function localAttemptOptions(settings: TaskSettings, name: LocalActivityName): LocalActivityOptions {
  const { retry } = activityProfiles(settings)[activityProfileOf[name]];
  return {
    startToCloseTimeout: LOCAL_ATTEMPT_MS,
    // Only a bound of last resort: the attempts end well before it.
    scheduleToCloseTimeout: LOCAL_ATTEMPTS * LOCAL_ATTEMPT_MS * 2,
    retry: { ...retry, maximumAttempts: LOCAL_ATTEMPTS },
    localRetryThreshold: LOCAL_ATTEMPT_MS,
  };
}
