/**
 * The field policy of every operation Bosun runs (field-policy.ts says what the columns mean).
 * Honoured fields are not listed here: they are the keys of the operation's schema. A field of
 * Clouddriver's description that is in no column fails the field-table test.
 */
import type { OperationName } from './catalog';
import type { FieldPolicy, RoutedField } from './field-policy';
import { isFalse } from './field-policy';
import { createServerGroupFields } from './schemas/create-server-group';
import type { strategyFields } from './schemas/deploy-with-strategy';

/** Fields every operation's schema reads only to label and route the task. */
export const CONTEXT_FIELDS: Readonly<Record<string, string>> = {
  application: "names the task's application for routing and search attributes",
  moniker: "`moniker.app` names the task's application for routing and search attributes",
};

const DISCOVERY = 'Eureka/discovery: Bosun has no discovery integration';
const USER_DATA_PROVIDERS = "Clouddriver's own user-data providers (UserDataProvider beans and overrides), configured in Clouddriver";
const CLASSIC_LINK = 'EC2-Classic ClassicLink, retired by AWS';

/** `userDataOverride` changes nothing unless it is enabled (its tokenizer name alone has no effect). */
const userDataOverride = {
  why: USER_DATA_PROVIDERS,
  noEffect: (v: unknown) => typeof v === 'object' && v !== null && (v as { enabled?: unknown }).enabled !== true,
};

/** User-data and ClassicLink fields every description that builds instances has (deploys, launch updates). */
const launchRouted: Record<string, RoutedField> = {
  legacyUdf: { why: USER_DATA_PROVIDERS },
  userDataOverride,
  classicLinkVpcId: { why: CLASSIC_LINK },
  classicLinkVpcSecurityGroups: { why: CLASSIC_LINK },
};

/**
 * On `POST /ops` Clouddriver picks the provider from each description's `cloudProvider`: any
 * provider but AWS is another system's operation (on `/aws/ops` Clouddriver ignores the field).
 */
const cloudProvider = {
  why: "another cloud provider's operation (Bosun runs AWS)",
  noEffect: (v: unknown) => typeof v === 'string' && v.trim().toLowerCase() === 'aws',
};

/** Inherited by the registration descriptions; their operations never read it. */
const REGISTRATION_PERCENTAGE =
  "inherited from AbstractRegionAsgInstanceIdsDescription; Clouddriver's registration operations never read it";

/** A policy with the fields every operation shares. */
const policy = (p: Partial<FieldPolicy> = {}): FieldPolicy => ({
  routed: { cloudProvider, ...p.routed },
  unused: { ...p.unused },
  extensions: { ...p.extensions },
});

/** Bosun also names groups the ways other Clouddriver descriptions do. */
const OTHER_GROUP_NAMES = {
  serverGroupName: 'Bosun: another name for asgName',
  regions: 'Bosun: the group in each of these regions',
  asgs: 'Bosun: a list of {serverGroupName, region}',
};

/** updateLaunchTemplate fields whose new-version rules Bosun does not reproduce yet. */
const LAUNCH_TEMPLATE_DATA = "a launch-template setting Bosun's updateLaunchTemplate does not change yet";
const MIXED_INSTANCES = "a mixed-instances setting Bosun's updateLaunchTemplate does not change yet";

/**
 * A launch-template boolean that Clouddriver writes into the new version whenever it is set, so
 * false has an effect too: it turns off what the source version has on, and unlimitedCpuCredits
 * false writes CpuCredits "standard" where EC2's default for T3 and later is unlimited
 * (LaunchTemplateService.buildLaunchTemplateDataForModify).
 */
const WRITTEN_WHEN_SET: RoutedField = { why: LAUNCH_TEMPLATE_DATA, effect: (v) => v !== undefined && v !== null };

/** What createServerGroup and cloneServerGroup share. */
const deployRouted: Record<string, RoutedField> = {
  ...launchRouted,
  // Bosun builds every group from a launch template; false asks Clouddriver for a launch configuration.
  setLaunchTemplate: { why: 'a launch configuration instead of a launch template', effect: isFalse },
  // Clouddriver turns this transition into a notification configuration, not a lifecycle hook.
  'lifecycleHooks[].lifecycleTransition': {
    why: 'a launch-error notification (PutNotificationConfiguration), which Bosun does not set',
    effect: (v) => Array.isArray(v) && v.some((t) => t === 'EC2InstanceLaunchError' || t === 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR'),
  },
};

const deployUnused = {
  events: "Clouddriver's own record of what the operation did, filled while it runs",
  securityGroupNames: "written by Clouddriver's converter from securityGroups; nothing reads a posted value",
  includeAccountLifecycleHooks:
    "adds the lifecycle hooks of Clouddriver's account configuration; Bosun's accounts define none (onboarding guide)",
};

const deployExtensions = {
  imageId: 'Bosun: the AMI by id (Clouddriver takes an id in amiName, which Bosun also accepts)',
  targetHealthyDeployPercentage:
    "Orca's: the share of instances its own wait after the task counts; Clouddriver ignores it, and so does the deploy here",
  waitForHealthyPercentage: 'Bosun: wait until this share of the desired instances is healthy, and fail (rolling back) if not',
  waitTimeoutSeconds: 'Bosun: how long the task waits for health, in seconds (default 1800)',
};

/** Waits that Bosun adds after Clouddriver's calls (Clouddriver returns at once and Orca waits). */
const WAIT_TIMEOUT = 'Bosun: how long the task waits for the group to settle, in seconds (default 1800)';

export const fieldPolicies: { readonly [N in OperationName]: FieldPolicy } = {
  resizeServerGroup: policy({
    extensions: {
      waitForCapacity: 'Bosun: wait until the group has settled at its new capacity (default true)',
      waitTimeoutSeconds: WAIT_TIMEOUT,
    },
  }),
  enableServerGroup: policy({
    unused: {
      targetHealthyDeployPercentage: `only the tolerance for failed status updates of ${DISCOVERY}`,
      desiredPercentage: 'Clouddriver enables the whole group whatever it says',
    },
  }),
  disableServerGroup: policy({
    unused: { targetHealthyDeployPercentage: `only the tolerance for failed status updates of ${DISCOVERY}` },
  }),
  suspendAsgProcessesDescription: policy(),
  resumeAsgProcessesDescription: policy(),
  destroyServerGroup: policy({
    extensions: { waitTimeoutSeconds: 'Bosun: how long the task waits for the group to be deleted, in seconds (default 1800)' },
  }),
  terminateInstances: policy({
    unused: { serverGroups: "read only for Clouddriver's authorization; the instances are named by id" },
  }),
  rebootInstances: policy({
    unused: { serverGroups: "read only for Clouddriver's authorization; the instances are named by id" },
  }),
  terminateInstanceAndDecrementServerGroup: policy({ extensions: { serverGroupName: OTHER_GROUP_NAMES.serverGroupName } }),
  allowLaunchDescription: policy(),
  createServerGroup: policy({
    routed: deployRouted,
    unused: deployUnused,
    extensions: deployExtensions,
  }),
  cloneServerGroup: policy({ routed: deployRouted, unused: deployUnused, extensions: deployExtensions }),
  updateLaunchTemplate: policy({
    routed: {
      ...launchRouted,
      // Clouddriver sends HttpTokens "" for false; only true changes a version.
      requireIMDV2: { why: LAUNCH_TEMPLATE_DATA },
      associatePublicIpAddress: WRITTEN_WHEN_SET,
      associateIPv6Address: WRITTEN_WHEN_SET,
      blockDevices: { why: LAUNCH_TEMPLATE_DATA },
      kernelId: { why: LAUNCH_TEMPLATE_DATA },
      ramdiskId: { why: LAUNCH_TEMPLATE_DATA },
      unlimitedCpuCredits: WRITTEN_WHEN_SET,
      enableEnclave: WRITTEN_WHEN_SET,
      spotPrice: { why: LAUNCH_TEMPLATE_DATA },
      onDemandAllocationStrategy: { why: MIXED_INSTANCES },
      onDemandBaseCapacity: { why: MIXED_INSTANCES },
      onDemandPercentageAboveBaseCapacity: { why: MIXED_INSTANCES },
      spotAllocationStrategy: { why: MIXED_INSTANCES },
      spotInstancePools: { why: MIXED_INSTANCES },
      launchTemplateOverridesForInstanceType: { why: MIXED_INSTANCES },
    },
    unused: {
      subnetType: 'Clouddriver only checks it beside associatePublicIpAddress; it moves nothing',
      copySourceCustomBlockDeviceMappings: 'chooses block devices only when the instance type changes and none are given',
    },
    extensions: OTHER_GROUP_NAMES,
  }),
  updateLaunchConfig: policy({
    routed: launchRouted,
    extensions: { serverGroupName: OTHER_GROUP_NAMES.serverGroupName, regions: OTHER_GROUP_NAMES.regions, asgs: OTHER_GROUP_NAMES.asgs },
  }),
  upsertScalingPolicy: policy({
    extensions: { asgName: 'Bosun: another name for serverGroupName', regions: OTHER_GROUP_NAMES.regions, asgs: OTHER_GROUP_NAMES.asgs },
  }),
  upsertServerGroupTags: policy(),
  deleteAsgTagsDescription: policy(),
  modifyAsgDescription: policy(),
  deleteScalingPolicy: policy(),
  upsertAsgScheduledActionsDescription: policy(),
  upsertAsgLifecycleHookDescription: policy(),
  upsertAlarmDescription: policy(),
  deleteAlarmDescription: policy(),
  deleteLaunchConfiguration: policy(),
  deleteLaunchTemplate: policy(),
  deleteSnapshot: policy(),
  deleteImage: policy(),
  upsertImageTags: policy(),
  detachInstances: policy(),
  registerInstancesWithLoadBalancer: policy({ unused: { targetHealthyDeployPercentage: REGISTRATION_PERCENTAGE } }),
  deregisterInstancesFromLoadBalancer: policy({ unused: { targetHealthyDeployPercentage: REGISTRATION_PERCENTAGE } }),
  updateInstances: policy(),
  deleteSecurityGroup: policy(),
  deleteLoadBalancer: policy(),
  upsertSecurityGroup: policy(),
  upsertLoadBalancer: policy({
    unused: {
      // UpsertAmazonLoadBalancerAtomicOperation reads it only to open the application's ingress,
      // which needs deployDefaults.createLoadBalancerIngressPermissions and addAppGroupToServerGroup
      // (both off by default; Bosun has neither setting).
      healthCheckPort: "read only for Clouddriver's load balancer ingress, which its default deployDefaults turn off",
      shieldProtectionEnabled:
        'read only for accounts with shieldEnabled (AWS Shield Advanced, off by default); Bosun accounts have no such setting',
    },
  }),
  deployWithStrategy: { routed: {}, unused: {}, extensions: deployWithStrategyExtensions() },
};

/**
 * deployWithStrategy is Bosun's own operation (no Clouddriver description): its createServerGroup
 * fields mean what they mean there, and its strategy fields what they mean in Orca's deploy stage.
 */
function deployWithStrategyExtensions(): Record<string, string> {
  const strategy: Record<keyof typeof strategyFields, string> = {
    strategy: "Orca's: redblack, highlander, rollingredblack or none (the default)",
    scaleDown: "Orca's: scale the older groups down to 0 after the cutover (redblack, rollingredblack)",
    maxRemainingAsgs: "Orca's: redblack keeps at most this many groups, destroying older disabled ones",
    allowDeleteActive: "Orca's shrinkCluster: may destroy groups still in traffic",
    allowScaleDownActive: "Orca's scaleDownCluster: may scale down groups still in traffic",
    delayBeforeDisableSec: "Orca's: wait this long before disabling the older groups",
    delayBeforeCleanup: "Orca's: the same wait, winning over delayBeforeDisableSec",
    delayBeforeScaleDownSec: "Orca's: wait this long before scaling the older groups down",
    targetPercentages: "Orca's rollingredblack: the steps, in percent of the source's size (100 is appended)",
    interestingHealthProviderNames: "Orca's: the health providers that count (Amazon, TargetGroup, LoadBalancer); absent = all",
    maxInitialAsgs: "Orca's rollingredblack precondition: at most this many enabled groups before it starts (default 1, -1 = off)",
    rollback: "Orca's rollback.onFailure (default true here) and destroyLatest",
    gates: 'Bosun: approvals and sleeps at beforeCutover, eachStep or beforeScaleDown, with a timeout and what then',
    clusterLockTimeoutSec: 'Bosun: how long to wait for a running deploy of the same cluster (default 1800)',
  };
  const create = Object.fromEntries(
    Object.keys(createServerGroupFields)
      .filter((f) => !(f in CONTEXT_FIELDS))
      .map((f) => [
        f,
        f === 'targetHealthyDeployPercentage'
          ? "Orca's: the share of desired instances that must be up before the strategy goes on (default 100)"
          : 'as in createServerGroup',
      ]),
  );
  return { ...create, ...strategy };
}
