/**
 * Each Clouddriver operation's code, by operation name: the one table the workflows run, and the
 * chaos baseline runs too (outside Temporal), so both make the same AWS calls in the same order.
 */
import { allowLaunchOperation, cloneServerGroupOperation, createServerGroupOperation } from './operations/deploy-server-group';
import { destroyServerGroupOperation } from './operations/destroy-server-group';
import { rebootInstancesOperation, terminateInstanceAndDecrementOperation, terminateInstancesOperation } from './operations/instances';
import { resizeServerGroupOperation } from './operations/resize-server-group';
import { updateLaunchConfigOperation } from './operations/update-launch-config';
import { updateLaunchTemplateOperation } from './operations/update-launch-template';
import { upsertScalingPolicyOperation } from './operations/upsert-scaling-policy';
import { resumeAsgProcessesOperation, suspendAsgProcessesOperation } from './operations/asg-processes';
import { disableServerGroupOperation, enableServerGroupOperation } from './operations/enable-disable-server-group';
import { deleteAsgTagsOperation, upsertServerGroupTagsOperation } from './operations/asg-tags';
import { modifyAsgOperation } from './operations/modify-asg';
import { deleteScalingPolicyOperation } from './operations/delete-scaling-policy';
import { upsertAsgScheduledActionsOperation } from './operations/asg-scheduled-actions';
import { upsertAsgLifecycleHookOperation } from './operations/asg-lifecycle-hook';
import { deleteAlarmOperation, upsertAlarmOperation } from './operations/alarms';
import {
  deleteImageOperation,
  deleteLaunchConfigurationOperation,
  deleteLaunchTemplateOperation,
  deleteSnapshotOperation,
} from './operations/cleanup';
import { upsertImageTagsOperation } from './operations/image-tags';
import { detachInstancesOperation } from './operations/detach-instances';
import { deregisterInstancesOperation, registerInstancesOperation } from './operations/instance-registration';
import { updateInstancesOperation } from './operations/update-instances';
import { deleteSecurityGroupOperation } from './operations/security-groups';
import { upsertSecurityGroupOperation } from './operations/upsert-security-group';
import { deleteLoadBalancerOperation } from './operations/load-balancer-deletion';
import { upsertLoadBalancerOperation } from './operations/upsert-load-balancer';
import { deployWithStrategyOperation } from './operations/deploy-with-strategy';
import { unregisteredControl } from './deploy-control';
import type { OperationHandlers } from './task-runner';

export const operationHandlers: OperationHandlers = {
  resizeServerGroup: resizeServerGroupOperation,
  enableServerGroup: enableServerGroupOperation,
  disableServerGroup: disableServerGroupOperation,
  suspendAsgProcessesDescription: suspendAsgProcessesOperation,
  resumeAsgProcessesDescription: resumeAsgProcessesOperation,
  destroyServerGroup: destroyServerGroupOperation,
  terminateInstances: terminateInstancesOperation,
  rebootInstances: rebootInstancesOperation,
  terminateInstanceAndDecrementServerGroup: terminateInstanceAndDecrementOperation,
  createServerGroup: createServerGroupOperation,
  cloneServerGroup: cloneServerGroupOperation,
  allowLaunchDescription: allowLaunchOperation,
  updateLaunchTemplate: updateLaunchTemplateOperation,
  upsertScalingPolicy: upsertScalingPolicyOperation,
  updateLaunchConfig: updateLaunchConfigOperation,
  upsertServerGroupTags: upsertServerGroupTagsOperation,
  deleteAsgTagsDescription: deleteAsgTagsOperation,
  modifyAsgDescription: modifyAsgOperation,
  deleteScalingPolicy: deleteScalingPolicyOperation,
  upsertAsgScheduledActionsDescription: upsertAsgScheduledActionsOperation,
  upsertAsgLifecycleHookDescription: upsertAsgLifecycleHookOperation,
  upsertAlarmDescription: upsertAlarmOperation,
  deleteAlarmDescription: deleteAlarmOperation,
  deleteLaunchConfiguration: deleteLaunchConfigurationOperation,
  deleteLaunchTemplate: deleteLaunchTemplateOperation,
  deleteSnapshot: deleteSnapshotOperation,
  deleteImage: deleteImageOperation,
  upsertImageTags: upsertImageTagsOperation,
  detachInstances: detachInstancesOperation,
  registerInstancesWithLoadBalancer: registerInstancesOperation,
  deregisterInstancesFromLoadBalancer: deregisterInstancesOperation,
  updateInstances: updateInstancesOperation,
  deleteSecurityGroup: deleteSecurityGroupOperation,
  upsertSecurityGroup: upsertSecurityGroupOperation,
  deleteLoadBalancer: deleteLoadBalancerOperation,
  upsertLoadBalancer: upsertLoadBalancerOperation,
  // Inside a task of several operations no Update reaches it: its gates can only time out.
  deployWithStrategy: (ctx, d) => deployWithStrategyOperation(ctx, d, unregisteredControl()),
};
