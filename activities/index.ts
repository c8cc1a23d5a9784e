/**
 * Bosun's activities: every call to a cloud API. Workflows import only the type of
 * `createActivities`; the worker builds them with real clients, tests with emulator clients.
 */
import type { ActivityDeps } from './deps';
import { createCloneSourceActivities } from './clone-source';
import { createDeployResourceActivities } from './deploy-resources';
import { createGroupPolls } from './group-polls';
import { createDeployRollbackActivities } from './deploy-rollback';
import { createImageActivities } from './images';
import { createInstanceActivities } from './instances';
import { createLaunchConfigurationActivities } from './launch-configurations';
import { createLaunchTemplateActivities } from './launch-templates';
import { createLoadBalancingActivities } from './load-balancing';
import { createScalingPolicyActivities } from './scaling-policies';
import { createServerGroupActivities } from './server-group';
import { createServerGroupCreationActivities } from './server-group-creation';
import { createServerGroupSettingsActivities } from './server-group-settings';
import { createAlarmActivities } from './alarms';
import { createCleanupActivities } from './cleanup';
import { createSecurityGroupActivities } from './security-group-operations';
import { createSecurityGroupUpsertActivities } from './security-group-upsert';
import { createLoadBalancerDeletionActivities } from './load-balancer-deletion';
import { createLoadBalancerUpsertActivities } from './load-balancer-upsert';
import { createImageTagActivities } from './image-tags';
import { createDetachInstanceActivities } from './detach-instances';
import { createLoadBalancerLookupActivities } from './load-balancer-lookup';
import { createInstanceSecurityGroupActivities } from './instance-security-groups';
import { createServerGroupNamingActivities } from './server-group-naming';
import { createSourceScalingActivities } from './source-scaling';
import { createStrategyActivities } from './strategy';
import { createTeardownActivities } from './teardown';

export type {
  AwsAccount,
  AwsCallObserver,
  AwsCallRecord,
  AwsClientProvider,
  AwsClients,
  AwsClientSettings,
  AwsService,
} from './aws-clients';
export { AWS_SERVICES, createAwsClientProvider } from './aws-clients';
export { awsCall, classifyAwsError, isAwsNotFound, isAwsThrottling } from './aws-errors';
export type { AwsResourceKind } from './aws-errors';
export type { ServerGroupRef, ServerGroupSnapshot, UpdateCapacityInput, WaitForCapacityInput } from './server-group';
export type { ProcessesChange, ProcessesInput } from './server-group';
export type {
  ChooseInstancesToDisableInput,
  ClassicLoadBalancersInput,
  InstancesToDisable,
  MembershipChange,
  TargetGroupsInput,
} from './load-balancing';

export type { ActivityDeps } from './deps';

/** Every activity Bosun registers, by the names workflows call them by. */
export function createActivities(baseDeps: ActivityDeps) {
  // One batcher of the waits' looks per worker, so capacity and deletion waits share calls.
  const deps = { ...baseDeps, groupPolls: createGroupPolls() };
  return {
    ...createServerGroupActivities(deps),
    ...createLoadBalancingActivities(deps),
    ...createInstanceActivities(deps),
    ...createTeardownActivities(deps),
    ...createImageActivities(deps),
    ...createDeployResourceActivities(deps),
    ...createServerGroupNamingActivities(deps),
    ...createServerGroupCreationActivities(deps),
    ...createDeployRollbackActivities(deps),
    ...createCloneSourceActivities(deps),
    ...createLaunchTemplateActivities(deps),
    ...createLaunchConfigurationActivities(deps),
    ...createScalingPolicyActivities(deps),
    ...createSourceScalingActivities(deps),
    ...createServerGroupSettingsActivities(deps),
    ...createAlarmActivities(deps),
    ...createCleanupActivities(deps),
    ...createImageTagActivities(deps),
    ...createDetachInstanceActivities(deps),
    ...createLoadBalancerLookupActivities(deps),
    ...createInstanceSecurityGroupActivities(deps),
    ...createSecurityGroupActivities(deps),
    ...createSecurityGroupUpsertActivities(deps),
    ...createLoadBalancerDeletionActivities(deps),
    ...createLoadBalancerUpsertActivities(deps),
    ...createStrategyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
