/**
 * The field policy of every operation Bosun runs (field-policy.ts says what the columns mean).
 * Honoured fields are not listed here: they are the keys of the operation's schema. A field of
 * Clouddriver's description that is in no column fails the field-table test.
 */
import type { OperationName } from './catalog';
import type { FieldPolicy } from './field-policy';

/** Fields every operation's schema reads only to label and route the task (application, provider). */
export const CONTEXT_FIELDS: Readonly<Record<string, string>> = {
  cloudProvider: 'names the provider; the path decides it (`/aws/ops`), as in Clouddriver',
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

const none: FieldPolicy = { routed: {}, unused: {}, extensions: {} };

/** Waits that Bosun adds after Clouddriver's calls (Clouddriver returns at once and Orca waits). */
const WAIT_TIMEOUT = 'Bosun: how long the task waits for the group to settle, in seconds (default 1800)';

export const fieldPolicies: { readonly [N in OperationName]: FieldPolicy } = {
  resizeServerGroup: {
    routed: {},
    unused: {},
    extensions: {
      waitForCapacity: 'Bosun: wait until the group has settled at its new capacity (default true)',
      waitTimeoutSeconds: WAIT_TIMEOUT,
    },
  },
  enableServerGroup: {
    routed: {},
    unused: {
      targetHealthyDeployPercentage: `read only to size the wait for ${DISCOVERY}`,
      desiredPercentage: 'Clouddriver enables the whole group whatever it says',
    },
    extensions: {},
  },
  disableServerGroup: {
    routed: {},
    unused: { targetHealthyDeployPercentage: `read only to size the wait for ${DISCOVERY}` },
    extensions: {},
  },
  suspendAsgProcessesDescription: none,
  resumeAsgProcessesDescription: none,
  destroyServerGroup: {
    routed: {},
    unused: {},
    extensions: { waitTimeoutSeconds: 'Bosun: how long the task waits for the group to be deleted, in seconds (default 1800)' },
  },
  terminateInstances: {
    routed: {},
    unused: { serverGroups: "read only for Clouddriver's authorization; the instances are named by id" },
    extensions: {},
  },
  rebootInstances: {
    routed: {},
    unused: { serverGroups: "read only for Clouddriver's authorization; the instances are named by id" },
    extensions: {},
  },
  terminateInstanceAndDecrementServerGroup: { routed: {}, unused: {}, extensions: { serverGroupName: 'Bosun: another name for asgName' } },
  allowLaunchDescription: none,
  createServerGroup: {
    routed: {
      legacyUdf: { why: USER_DATA_PROVIDERS },
      userDataOverride,
      classicLinkVpcId: { why: CLASSIC_LINK },
      classicLinkVpcSecurityGroups: { why: CLASSIC_LINK },
    },
    unused: {},
    extensions: {},
  },
  cloneServerGroup: {
    routed: {
      legacyUdf: { why: USER_DATA_PROVIDERS },
      userDataOverride,
      classicLinkVpcId: { why: CLASSIC_LINK },
      classicLinkVpcSecurityGroups: { why: CLASSIC_LINK },
    },
    unused: {},
    extensions: {},
  },
  updateLaunchTemplate: {
    routed: {
      legacyUdf: { why: USER_DATA_PROVIDERS },
      userDataOverride,
      classicLinkVpcId: { why: CLASSIC_LINK },
      classicLinkVpcSecurityGroups: { why: CLASSIC_LINK },
    },
    unused: {},
    extensions: {},
  },
  upsertScalingPolicy: none,
};
