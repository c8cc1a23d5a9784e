/**
 * The operations Bosun runs, without their schemas: names, the legacy description keys Orca
 * still posts, and each one's Clouddriver task phase. Workflow code reads this file, so it must
 * stay free of zod (and of anything else with a large footprint in the workflow bundle); the
 * schemas in `index.ts` are keyed by it.
 */
export const operationCatalog = {
  resizeServerGroup: { legacyKeys: ['resizeAsgDescription'], phase: 'RESIZE' },
  enableServerGroup: { legacyKeys: ['enableAsgDescription'], phase: 'ENABLE_ASG' },
  disableServerGroup: { legacyKeys: ['disableAsgDescription'], phase: 'DISABLE_ASG' },
  suspendAsgProcessesDescription: { legacyKeys: [], phase: 'SUSPEND_ASG_PROCESSES' },
  resumeAsgProcessesDescription: { legacyKeys: [], phase: 'RESUME_ASG_PROCESSES' },
  destroyServerGroup: { legacyKeys: ['destroyAsgDescription'], phase: 'DESTROY_ASG' },
  terminateInstances: { legacyKeys: ['terminateInstancesDescription'], phase: 'TERMINATE_INSTANCES' },
  rebootInstances: { legacyKeys: ['rebootInstancesDescription'], phase: 'REBOOT_INSTANCES' },
  terminateInstanceAndDecrementServerGroup: { legacyKeys: ['terminateInstanceAndDecrementAsgDescription'], phase: 'TERMINATE_INSTANCES' },
  createServerGroup: { legacyKeys: ['basicAmazonDeployDescription'], phase: 'DEPLOY' },
  cloneServerGroup: { legacyKeys: ['copyLastAsgDescription'], phase: 'DEPLOY' },
  allowLaunchDescription: { legacyKeys: [], phase: 'ALLOW_LAUNCH' },
  updateLaunchTemplate: { legacyKeys: ['modifyServerGroupLaunchTemplateDescription'], phase: 'UPDATE_LAUNCH_TEMPLATE' },
  upsertScalingPolicy: { legacyKeys: ['upsertScalingPolicyDescription'], phase: 'UPSERT_SCALING_POLICY' },
  updateLaunchConfig: { legacyKeys: ['modifyAsgLaunchConfigurationDescription'], phase: 'MODIFY_ASG_LAUNCH_CONFIGURATION' },
  upsertServerGroupTags: { legacyKeys: ['upsertAsgTagsDescription'], phase: 'UPSERT_ASG_TAGS' },
  deleteAsgTagsDescription: { legacyKeys: [], phase: 'DELETE_ASG_TAGS' },
  modifyAsgDescription: { legacyKeys: [], phase: 'MODIFY_ASG' },
  deleteScalingPolicy: { legacyKeys: ['deleteScalingPolicyDescription'], phase: 'DELETE_SCALING_POLICY' },
  upsertAsgScheduledActionsDescription: { legacyKeys: [], phase: 'UPSERT_ASG_SCHEDULED_ACTIONS' },
  upsertAsgLifecycleHookDescription: { legacyKeys: [], phase: 'UPSERT_ASG_LIFECYCLE' },
  upsertAlarmDescription: { legacyKeys: [], phase: 'UPSERT_ALARM' },
  deleteAlarmDescription: { legacyKeys: [], phase: 'DELETE_ALARM' },
  deleteLaunchConfiguration: {
    legacyKeys: ['deleteAmazonLaunchConfigurationAtomicOperationConverter'],
    phase: 'DELETE_LAUNCH_CONFIGURATION',
  },
  deleteLaunchTemplate: { legacyKeys: ['deleteAmazonLaunchTemplateAtomicOperationConverter'], phase: 'DELETE_LAUNCH_TEMPLATE' },
  deleteSnapshot: { legacyKeys: ['deleteAmazonSnapshotAtomicOperationConverter'], phase: 'DELETE_SNAPSHOT' },
  deleteImage: { legacyKeys: ['deleteAmazonImageAtomicOperationConverter'], phase: 'DELETE_IMAGE' },
  upsertImageTags: { legacyKeys: ['upsertAmiTagsDescription'], phase: 'UPSERT_AMI_TAGS' },
  detachInstances: { legacyKeys: ['detachInstancesDescription'], phase: 'DETACH_INSTANCES' },
  // Clouddriver's legacy register key is spelled "From", as Orca posts it.
  registerInstancesWithLoadBalancer: { legacyKeys: ['registerInstancesFromLoadBalancerDescription'], phase: 'REGISTER_INSTANCES_WITH_LB' },
  deregisterInstancesFromLoadBalancer: {
    legacyKeys: ['deregisterInstancesFromLoadBalancerDescription'],
    phase: 'DEREGISTER_INSTANCES_FROM_LB',
  },
  updateInstances: { legacyKeys: ['updateInstancesDescription'], phase: 'UPDATE' },
  deleteSecurityGroup: { legacyKeys: ['deleteSecurityGroupDescription'], phase: 'DELETE_SECURITY_GROUP' },
  upsertSecurityGroup: { legacyKeys: ['upsertSecurityGroupDescription'], phase: 'UPSERT_SG' },
  // DELETE_ELB for a classic load balancer; the application/network path logs in DELETE_ELB_V2.
  deleteLoadBalancer: { legacyKeys: ['deleteAmazonLoadBalancerDescription'], phase: 'DELETE_ELB' },
  // CREATE_ELB for a classic load balancer; the application/network path logs in CREATE_ELB_V2.
  upsertLoadBalancer: { legacyKeys: ['upsertAmazonLoadBalancerDescription'], phase: 'CREATE_ELB' },
  // Bosun's own: a deploy with Orca's strategy (red/black, highlander, rolling red/black) as one task.
  deployWithStrategy: { legacyKeys: [], phase: 'DEPLOY' },
} as const satisfies Record<string, { readonly legacyKeys: readonly string[]; readonly phase: string }>;

/** Clouddriver's modern operation name; also the workflow type of a one-operation task. */
export type OperationName = keyof typeof operationCatalog;

export const operationNames = Object.keys(operationCatalog) as OperationName[];

/** The Clouddriver task phase of an operation's history lines. */
export function phaseOf(name: OperationName): string {
  return operationCatalog[name].phase;
}

/**
 * Deploys: the operations a fleet-wide rollout or a region evacuation submits by the thousand,
 * each running for minutes. Everything else (resize, disable, enable, terminate, ...) is what an
 * engineer or a pipeline's rollback needs now, and must not queue behind a flood of deploys.
 */
const BULK_OPERATIONS: ReadonlySet<OperationName> = new Set(['createServerGroup', 'cloneServerGroup', 'deployWithStrategy']);

/** Temporal task-queue priority keys (1 = first); 3 is Temporal's default. */
export const TaskPriority = { urgent: 2, bulk: 3 } as const;

/**
 * A task's priority key: a task with a deploy in it is bulk work; any other task goes ahead of
 * it in every task queue (workflow and activity tasks alike: activities inherit the workflow's
 * priority). Order within one level stays first come, first served.
 */
export function taskPriorityOf(names: readonly OperationName[]): number {
  return names.some((n) => BULK_OPERATIONS.has(n)) ? TaskPriority.bulk : TaskPriority.urgent;
}
