/**
 * Creating a deploy's launch template and Auto Scaling group. Both are idempotent: each carries
 * the `bosun:created-by-task` tag, so a retried attempt adopts what the first one made.
 */
import type { Tag as AsgTag } from '@aws-sdk/client-auto-scaling';
import {
  CreateAutoScalingGroupCommand,
  EnableMetricsCollectionCommand,
  PutLifecycleHookCommand,
  SuspendProcessesCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type { LaunchTemplateSpec } from '../domain/launch-template-data';
import { blockDevicesFromImage, launchTemplateDataOf, mixedInstancesPolicyOf } from '../domain/launch-template-data';
import type { BlockDevice, LaunchSettings, MixedInstances } from '../domain/launch-settings';
import type { DeployDescription } from '../domain/operations/schemas/create-server-group';
import { CREATED_BY_TAG } from '../domain/task';
import { awsCall, hasAwsCode } from './aws-errors';
import { describeLaunchTemplateByName, tagOf } from './deploy-ownership';
import { describeOneServerGroup } from './server-group-lookup';
import type { DeployResources } from './deploy-resources';
import type { ActivityDeps } from './deps';

/** The template's fields as domain/launch-template-data.ts builds them, and where the template goes. */
export interface LaunchTemplateInput extends Omit<LaunchTemplateSpec, 'serverGroupName' | 'launch' | 'amiBlockDevices'> {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly createdBy: string;
  /** Launch-template settings (block devices, IMDSv2, network interface, spot, credits, …); absent in older runs. */
  readonly launch?: LaunchSettings | undefined;
}

/**
 * The group's settings as the deploy description carries them (`enabledMetrics` are collected
 * only when `instanceMonitoring` is true, as Clouddriver's AsgBuilder does), what the deploy's
 * first step resolved, and where it goes.
 */
export interface CreateGroupInput
  extends
    Pick<
      DeployDescription,
      | 'account'
      | 'tags'
      | 'suspendedProcesses'
      | 'lifecycleHooks'
      | 'healthCheckType'
      | 'healthCheckGracePeriod'
      | 'cooldown'
      | 'terminationPolicies'
      | 'capacityRebalance'
      | 'enabledMetrics'
      | 'instanceMonitoring'
      | 'loadBalancers'
    >,
    Pick<DeployResources, 'subnetIds' | 'targetGroupArns'> {
  readonly region: string;
  readonly serverGroupName: string;
  readonly createdBy: string;
  readonly launchTemplateId: string;
  readonly maxSize: number;
  readonly zones: readonly string[];
  /** Set for a mixed-instances group: the group then runs its template through a MixedInstancesPolicy. */
  readonly mixedInstances?: MixedInstances | undefined;
}

/** The deploy activities that create the launch template and the group. */
export function createServerGroupCreationActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Creates the group's launch template, named after the group. A template of that name made
     * by this deploy is adopted; one made by anyone else is a conflict, never silently reused.
     */
    async createServerGroupLaunchTemplate(input: LaunchTemplateInput): Promise<{ launchTemplateId: string; launchTemplateName: string }> {
      const c = aws.clientsFor(input.account, input.region);
      const name = input.serverGroupName;
      const adopt = async () => {
        const existing = await describeLaunchTemplateByName(c, name, input.region);
        if (!existing) return undefined;
        if (tagOf(existing.Tags, CREATED_BY_TAG) !== input.createdBy) {
          throw ApplicationFailure.nonRetryable(
            `launch template ${name} already exists in ${input.region} and was not made by this deploy (${tagOf(existing.Tags, CREATED_BY_TAG) ?? 'untagged'})`,
            FailureType.LaunchTemplateConflict,
          );
        }
        return { launchTemplateId: existing.LaunchTemplateId!, launchTemplateName: name };
      };
      const found = await adopt();
      if (found) return found;

      const launch = input.launch ?? {};
      let amiBlockDevices: BlockDevice[] | undefined;
      if (launch.useAmiBlockDeviceMappings) {
        const images = await awsCall(`DescribeImages ${input.imageId} in ${input.region}`, () =>
          c.ec2.send(new DescribeImagesCommand({ ImageIds: [input.imageId] })),
        );
        amiBlockDevices = blockDevicesFromImage(images.Images?.[0]?.BlockDeviceMappings ?? []);
      }
      const data = launchTemplateDataOf({ ...input, launch, amiBlockDevices });
      try {
        const out = await awsCall(`CreateLaunchTemplate ${name} in ${input.region}`, () =>
          c.ec2.send(
            new CreateLaunchTemplateCommand({
              LaunchTemplateName: name,
              LaunchTemplateData: data,
              // Idempotency token for real AWS; the emulator ignores it, hence the tag check above.
              ClientToken: input.createdBy.slice(-64),
              TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }] }],
            }),
          ),
        );
        return { launchTemplateId: out.LaunchTemplate!.LaunchTemplateId!, launchTemplateName: name };
      } catch (err) {
        if (hasAwsCode(err, 'InvalidLaunchTemplateName.AlreadyExistsException')) {
          const raced = await adopt();
          if (raced) return raced;
        }
        throw err;
      }
    },

    /**
     * Creates the Auto Scaling group at zero instances, then suspends processes and adds lifecycle
     * hooks, so no instance launches before the group is fully configured; the workflow sets the
     * real capacity afterwards. The emulator silently replaces a group on a duplicate name, so
     * the group is described first and adopted only if it carries this deploy's tag.
     */
    async createAutoScalingGroup(input: CreateGroupInput): Promise<{ adopted: boolean }> {
      const c = aws.clientsFor(input.account, input.region);
      // A group being deleted still holds its name: it is there, and must be this deploy's own.
      const existing = (await describeOneServerGroup(c.autoScaling, input))?.group;
      let adopted = false;
      if (existing) {
        if (tagOf(existing.Tags, CREATED_BY_TAG) !== input.createdBy) {
          throw ApplicationFailure.nonRetryable(
            `${input.serverGroupName} already exists in ${input.region} and was not made by this deploy`,
            FailureType.ServerGroupExists,
          );
        }
        adopted = true;
      } else {
        const tags: AsgTag[] = Object.entries({ ...input.tags, [CREATED_BY_TAG]: input.createdBy }).map(([Key, Value]) => ({
          Key,
          Value,
          PropagateAtLaunch: Key !== CREATED_BY_TAG,
          ResourceId: input.serverGroupName,
          ResourceType: 'auto-scaling-group',
        }));
        try {
          await awsCall(`CreateAutoScalingGroup ${input.serverGroupName} in ${input.region}`, () =>
            c.autoScaling.send(
              new CreateAutoScalingGroupCommand({
                AutoScalingGroupName: input.serverGroupName,
                ...(input.mixedInstances
                  ? { MixedInstancesPolicy: mixedInstancesPolicyOf(input.mixedInstances, input.launchTemplateId) }
                  : { LaunchTemplate: { LaunchTemplateId: input.launchTemplateId, Version: '$Latest' } }),
                MinSize: 0,
                MaxSize: input.maxSize,
                DesiredCapacity: 0,
                ...(input.subnetIds.length
                  ? { VPCZoneIdentifier: input.subnetIds.join(',') }
                  : input.zones.length
                    ? { AvailabilityZones: [...input.zones] }
                    : {}),
                ...(input.targetGroupArns.length ? { TargetGroupARNs: [...input.targetGroupArns] } : {}),
                ...(input.loadBalancers.length ? { LoadBalancerNames: [...input.loadBalancers] } : {}),
                ...(input.healthCheckType ? { HealthCheckType: input.healthCheckType } : {}),
                ...(input.healthCheckGracePeriod !== undefined ? { HealthCheckGracePeriod: input.healthCheckGracePeriod } : {}),
                ...(input.cooldown !== undefined ? { DefaultCooldown: input.cooldown } : {}),
                ...(input.terminationPolicies?.length ? { TerminationPolicies: [...input.terminationPolicies] } : {}),
                ...(input.capacityRebalance !== undefined ? { CapacityRebalance: input.capacityRebalance } : {}),
                Tags: tags,
              }),
            ),
          );
        } catch (err) {
          // Real AWS: a concurrent attempt got there first. Adopt it only if it is ours.
          if (hasAwsCode(err, 'AlreadyExistsFault')) {
            const raced = (await describeOneServerGroup(c.autoScaling, input))?.group;
            if (tagOf(raced?.Tags, CREATED_BY_TAG) !== input.createdBy) throw err;
            adopted = true;
          } else {
            throw err;
          }
        }
      }
      if (input.suspendedProcesses.length > 0) {
        await awsCall(`SuspendProcesses ${input.suspendedProcesses.join(',')} on ${input.serverGroupName}`, () =>
          c.autoScaling.send(
            new SuspendProcessesCommand({ AutoScalingGroupName: input.serverGroupName, ScalingProcesses: [...input.suspendedProcesses] }),
          ),
        );
      }
      for (const [i, hook] of input.lifecycleHooks.entries()) {
        const hookName = hook.name ?? `${input.serverGroupName}-lifecycle-${i}`;
        await awsCall(`PutLifecycleHook ${hookName} on ${input.serverGroupName}`, () =>
          c.autoScaling.send(
            new PutLifecycleHookCommand({
              AutoScalingGroupName: input.serverGroupName,
              LifecycleHookName: hookName,
              LifecycleTransition: hook.lifecycleTransition,
              RoleARN: hook.roleARN,
              NotificationTargetARN: hook.notificationTargetARN,
              NotificationMetadata: hook.notificationMetadata,
              HeartbeatTimeout: hook.heartbeatTimeout,
              DefaultResult: hook.defaultResult,
            }),
          ),
        );
      }
      if (input.enabledMetrics !== undefined && input.instanceMonitoring === true) {
        await awsCall(`EnableMetricsCollection on ${input.serverGroupName}`, () =>
          c.autoScaling.send(
            new EnableMetricsCollectionCommand({
              AutoScalingGroupName: input.serverGroupName,
              Granularity: '1Minute',
              Metrics: [...input.enabledMetrics!],
            }),
          ),
        );
      }
      return { adopted };
    },
  };
}
