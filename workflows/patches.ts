/**
 * Every `patched()` id in workflow code, with when it shipped and when it may be deprecated.
 * A patch id is recorded in the history of each run that took the new path; renaming or removing
 * one breaks those runs. Lifecycle (CONTRIBUTING.md): `patched(id)` → after every run that could
 * have started before it has closed, `deprecatePatch(id)` and drop the old path → after every run
 * recorded with the marker has closed, remove the call (and the history sets that need it).
 */
export const Patch = {
  /**
   * A failed task closes its workflow as Failed (ApplicationFailure with the
   * Clouddriver EXCEPTION in its details) instead of Completed with `{ ok: false }`. Old path:
   * runs that reached their end before it shipped (histories set v1). Deprecate once no run
   * started before it can be open (the longest task: retry window plus its longest wait).
   */
  failedTaskFailsWorkflow: 'bosun-failed-task-fails-workflow',
  /**
   * Waits hold no activity slot of the task queue. A run whose settings name the
   * `task-queue` or `workflow-timer` strategy schedules its waits (and deploy rollbacks) on
   * `<taskQueue>-waits`, or polls with a describe activity and a timer, instead of one wait
   * activity on its own queue. Old path: runs that reached a wait before it shipped (history
   * sets v1, v2), including runs a new facade started with a strategy that an old worker
   * ignored. Deprecate once no such run can be open (the retry window plus its longest wait).
   */
  waitsHoldNoSlot: 'bosun-waits-hold-no-slot',
  /**
   * A resize describes its group with a local activity, and
   * before scheduling the long wait checks once, also locally, whether the group has already
   * settled (in the emulator and for a no-op resize it has): 2 workflow tasks instead of 4.
   * Old path: `describeServerGroup` and `waitForServerGroupCapacity` as regular activities
   * (histories sets v1, v2). Deprecate once no resize started before it can be open (the retry
   * window plus its longest wait).
   */
  resizeLocalDescribes: 'bosun-resize-local-describes',
  /**
   * A resize without a capacity constraint updates its group
   * with a local activity too, so a resize whose group settles at once is one workflow task
   * (was 2). With a constraint the update stays a regular activity: a retried workflow task runs
   * its local activities again and would check the constraint against the capacity it had set
   * itself. Old path: the update as a regular activity (history sets v1-v4). Deprecate once no
   * resize started before it can be open (the retry window plus its longest wait).
   */
  resizeLocalUpdate: 'bosun-resize-local-update',
  /**
   * A local activity makes three attempts in the worker, never through a server timer,
   * and then the same call runs as a regular activity for the retry window (`localAttemptOptions`). Old path: local activities that retry for the whole window, timers
   * for long backoffs (history sets v3-overhead, v4). Deprecate once no run started before it can
   * be open (the retry window plus its longest wait).
   */
  localActivityFallback: 'bosun-local-activity-fallback',
  /**
   * A disable with `desiredPercentage` follows Clouddriver: it chooses the instances from live
   * load-balancer health (`chooseInstancesToDisable`), deregisters only those below 100% (no
   * processes suspended), and returns `instanceIdsToDisable`. Old path: a disable that carried
   * `desiredPercentage: 100` (the only value accepted before) suspended and deregistered every
   * instance in service, with no result object. Deprecate once no disable started before it
   * can be open (the retry window).
   */
  partialDisable: 'bosun-partial-disable',
  /**
   * A destroy of a group built from a launch configuration deletes that launch configuration
   * once the group is gone, as Clouddriver's DestroyAsgAtomicOperation does. Old path: the
   * launch configuration was left behind. Deprecate once no destroy started before it can be
   * open (the retry window plus its wait for the deletion).
   */
  destroyDeletesLaunchConfiguration: 'bosun-destroy-deletes-launch-configuration',
  /**
   * A deploy no longer waits on Orca's `targetHealthyDeployPercentage` (Clouddriver ignores it;
   * Orca waits after the task), so it never fails or deletes a group for it; the wait runs only
   * for Bosun's own `waitForHealthyPercentage`. Old path: runs that waited on
   * targetHealthyDeployPercentage (history sets v1-v5). Deprecate once no deploy started before
   * it can be open (the retry window plus its longest wait).
   */
  deployIgnoresTargetHealthy: 'bosun-deploy-ignores-target-healthy',
  /**
   * A deploy with a source (cloneServerGroup, or createServerGroup with `source`) copies the
   * source's scaling policies, their alarms and its scheduled actions to each new group, and its
   * rollback deletes the alarms it copied. Old path: no copy (history sets v1-v5, whose clones
   * took it). Deprecate once no deploy started before it can be open (the retry window plus its
   * longest wait).
   */
  deployCopiesSourceScaling: 'bosun-deploy-copies-source-scaling',
  /**
   * A clone whose named source is gone clones the newest group of its cluster in the source's
   * region instead, or deploys the request as it is when the cluster has none
   * (CopyLastAsgAtomicOperation). Old path: the clone fails naming the missing source. Deprecate
   * once no clone started before it can be open (the retry window).
   */
  cloneFallsBackToNewest: 'bosun-clone-falls-back-to-newest',
  /**
   * createServerGroup with `source.useSourceCapacity` describes the source and deploys at its
   * capacity. Old path: runs started before it, which deployed at the request's capacity (no
   * recorded set has one). Deprecate once no deploy
   * started before it can be open (the retry window plus its longest wait).
   */
  deployUsesSourceCapacity: 'bosun-deploy-uses-source-capacity',
  /**
   * A clone whose merged launch settings break a rule of Clouddriver's deploy validator (CPU
   * credits on a type without them, spot pools with a strategy that takes none, a public IP
   * without a VPC subnet) fails before it creates anything. Old path: such clones ran, with those
   * settings ignored (every history set before the settings were read). Deprecate once no clone
   * started before it can be open (the retry window plus its longest wait).
   */
  cloneChecksLaunchSettings: 'bosun-clone-checks-launch-settings',
  /**
   * createServerGroup with a `source` and no block devices of its own takes the source's custom
   * block devices (or, when the source ran its type's defaults and the type changes, the new
   * type's defaults), and without subnets of its own the source's subnet override, as
   * BasicAmazonDeployHandler does (`copySourceCustomBlockDeviceMappings`,
   * `copySourceSubnetIdOverrides`). Old path: neither, without describing the source.
   * Deprecate once no deploy started before it can be open (the retry window plus its longest wait).
   */
  deployCopiesSourceBlockDevices: 'bosun-deploy-copies-source-block-devices',
  /**
   * deployWithStrategy's rollback of its create (the new group deleted, with
   * `rollback.destroyLatest` or when the create itself fails) runs every one of the create's
   * compensations even when one fails (the copied alarms' deletion, say), then reports the ones
   * that failed. Old path: the first failure stopped it, leaving the group and its launch template.
   * Deprecate once no deploy started before it can be open (the retry window plus its longest wait).
   */
  strategyUndoesEveryCreateStep: 'bosun-strategy-undoes-every-create-step',
  /**
   * deployWithStrategy sets the `BosunStrategy` and `BosunDeployStep` search attributes (the
   * step as it moves, then the outcome). Old path: neither (history set v11). Deprecate once no
   * deploy started before it can be open (the retry window plus its longest wait).
   */
  strategySearchAttributes: 'bosun-strategy-search-attributes',
} as const;

export type Patch = (typeof Patch)[keyof typeof Patch];
